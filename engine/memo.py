"""A memo a policymaker can read: the bottom line first, then what to do, then the evidence and the ledger.

Takes an `Evaluation` with the pack, facts and commitment ledger it came from; gives a `Memo` (plain data,
every sentence already in the pack's words) and its two renderings, Markdown and a standalone HTML page.
Nothing here evaluates; the HTML template (engine/templates/memo.html.j2) escapes every value it shows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from functools import cache
from typing import TYPE_CHECKING

from engine.model import TERMINAL, Citation, Evaluation, Fact, Frozen, Ledger, Pack
from engine.render import headline_text, view

if TYPE_CHECKING:
    import jinja2
    from markupsafe import Markup


class MemoCitation(Frozen):
    source: str
    title: str  # the pack's title of the source, or its id when the pack gives none
    short: str  # author (publisher, year), as a footnote names it
    para: int
    quote: str


class MemoResponse(Frozen):
    id: str
    text: str
    why: str  # the titles of the rules that recommend it
    facts: tuple[str, ...]  # the counting facts it rests on; none: it applies whatever the facts
    citation: MemoCitation | None


class MemoSection(Frozen):
    category: str
    title: str
    responses: tuple[MemoResponse, ...]


class MemoEvidence(Frozen):
    """A counting fact as a reader checks it: what was observed when, by whom, how good the source is."""

    id: str
    kind: str
    subject: str
    value: str  # its fields, `name=value`, in the order they were written
    observed: dt.date
    source_title: str
    source_ref: str
    source_date: dt.date
    grade: str  # reliability and credibility, as "B2"
    supports: tuple[str, ...]  # the responses that rest on it
    hypothetical: bool = False


class MemoCommitment(Frozen):
    id: str
    title: str
    debtor: str
    creditor: str
    state: str
    since: dt.date | None
    due: str
    due_by: dt.date | None


class MemoNote(Frozen):
    """A line the memo keeps short: an id and what is said about it."""

    id: str
    text: str


class MemoGuardrail(Frozen):
    id: str
    ok: bool
    text: str


class Memo(Frozen):
    title: str
    pack: str  # name, version and short digest
    as_of: dt.date
    as_of_defaulted: bool  # no --as-of was given: the memo is about the day it was made
    warnings: tuple[str, ...]  # shown on top: the as-of date long after the newest counting fact
    hypothetical: tuple[str, ...]  # the hypothetical fact files it is built on
    bottom_line: tuple[str, str, str]
    headline: tuple[MemoNote, ...]  # label → value
    sections: tuple[MemoSection, ...]
    evidence: tuple[MemoEvidence, ...] | None  # None: made without the facts (an audit export shows its own)
    not_counted: tuple[MemoNote, ...]
    undetermined: tuple[MemoNote, ...]
    ledger: tuple[MemoCommitment, ...] | None  # None: no ledger was given (or the pack declares no commitments)
    guardrails: tuple[MemoGuardrail, ...]
    guardrails_ok: bool
    run_id: str | None  # the audit record's run id when the run was recorded

    @property
    def hypothetical_label(self) -> str | None:
        return f"HYPOTHETICAL — built on {', '.join(self.hypothetical)}" if self.hypothetical else None


def _citation(cite: Citation, pack: Pack) -> MemoCitation:
    source = pack.sources.get(cite.source)
    if source is None:
        return MemoCitation(source=cite.source, title=cite.source, short=cite.source, para=cite.para, quote=cite.quote)
    year = source.date.year if source.date else None
    if source.author:
        where = ", ".join(str(part) for part in (source.publisher, year) if part)
        short = source.author.split()[-1] + (f" ({where})" if where else "")
    else:
        title = source.title if len(source.title) <= 48 else source.title[:48].rsplit(" ", 1)[0] + "…"
        short = title + (f" ({year})" if year else "")
    return MemoCitation(source=cite.source, title=source.title, short=short, para=cite.para, quote=cite.quote)


def _value(fact: Fact) -> str:
    """Its fields as they were written in the fact file (`verified=true`, not Python's `True`)."""
    return ", ".join(f"{name}={str(value).lower() if isinstance(value, bool) else value}"
                     for name, value in fact.fields.items())


def _count(section: MemoSection) -> str:
    """"Messaging (6)": a section's title without its gloss, and how many responses it holds."""
    return f"{section.title.split(' (')[0]} ({len(section.responses)})"


def _bottom_line(evaluation: Evaluation, pack: Pack, sections: tuple[MemoSection, ...],
                 ledger: tuple[MemoCommitment, ...] | None) -> tuple[str, str, str]:
    """Three lines: where things stand, what the argument recommends now, and what would change it next."""
    plain = {kind: value.replace("_", " ") if value else value for kind, value in evaluation.headline(pack).items()}
    standing = (f"As of {evaluation.as_of}, {headline_text(plain, pack)}." if pack.headline
                else f"As of {evaluation.as_of}, {len(evaluation.counted)} facts count.")
    if sections:
        lead, others = sections[0], sections[1:]
        more = len(lead.responses) - 1
        doing = (f"Recommended now — {lead.title}: {lead.responses[0].text.rstrip('.')}"
                 + (f", and {more} more." if more else ".")
                 + (f" Also below: {', '.join(_count(s) for s in others)}." if others else ""))
    else:
        doing = "The argument recommends nothing on these facts."
    # the earliest deadline first; on the same day the condition the argument turns on before what is owed
    open_ones = sorted((c for c in ledger or () if c.state not in TERMINAL),
                       key=lambda c: (c.due_by or dt.date.max, c.state != "conditional"))
    if open_ones:
        first = open_ones[0]
        by = f" by {first.due_by}" if first.due_by else ""
        nxt = (f"Next: {first.title.rstrip('.')} — owed only if its condition comes about{by}."
               if first.state == "conditional" else
               f"Next: {first.title.rstrip('.')} — owed now by {first.debtor} to {first.creditor}{by}.")
    elif evaluation.undetermined:
        gap = evaluation.undetermined[0]
        nxt = f"Next: the argument cannot yet decide {gap.rule}; it needs {', '.join(gap.missing)}."
    else:
        nxt = "Next: no open commitment or missing information; watch for new facts."
    return standing, doing, nxt


def build_memo(evaluation: Evaluation, pack: Pack, facts: Iterable[Fact] | None = None, ledger: Ledger | None = None,
               defaulted: bool = False, recorded: bool = False) -> Memo:
    """The memo of an evaluation. `facts` gives the evidence its sources (without them it has no evidence section);
    `recorded`: the run is in the audit trail, so the memo names its run id."""
    titles = {r.id: r.title for r in pack.rules}
    sections = tuple(
        MemoSection(category=category, title=title, responses=tuple(
            MemoResponse(id=r.id, text=r.text, why="; ".join(titles.get(rule, rule) for rule in r.rules),
                         facts=r.facts, citation=_citation(r.citations[0], pack) if r.citations else None)
            for r in evaluation.responses if r.category == category))
        for category, title in pack.categories.items()
        if any(r.category == category for r in evaluation.responses))
    by_id = {f.id: f for f in facts or ()}
    supports: dict[str, list[str]] = {}
    for response in evaluation.responses:
        for fid in response.facts:
            supports.setdefault(fid, []).append(response.id)
    evidence = None if facts is None else tuple(
        MemoEvidence(id=f.id, kind=f.kind, subject=f.subject, value=_value(f), observed=f.observed,
                     source_title=f.source.title, source_ref=f.source.ref, source_date=f.source.date,
                     grade=f"{f.reliability}{f.credibility}", supports=tuple(supports.get(f.id, ())),
                     hypothetical=f.hypothetical)
        for f in sorted((by_id[fid] for fid in evaluation.counted if fid in by_id),
                        key=lambda f: (f.observed, f.id)))
    commitments = None if ledger is None else tuple(
        MemoCommitment(id=c.id, title=c.title, debtor=pack.parties.get(c.debtor, c.debtor),
                       creditor=pack.parties.get(c.creditor, c.creditor), state=c.state, since=c.since,
                       due=c.due, due_by=c.due_by)
        for c in ledger.commitments)
    return Memo(
        title=pack.title or pack.name,
        pack=f"{pack.name} {pack.version} ({pack.digest[:12]})",
        as_of=evaluation.as_of,
        as_of_defaulted=defaulted,
        warnings=evaluation.warnings,
        hypothetical=evaluation.hypothetical,
        bottom_line=_bottom_line(evaluation, pack, sections, commitments),
        headline=tuple(MemoNote(id=h.label, text=evaluation.value_of(h.kind) or "not derived") for h in pack.headline),
        sections=sections,
        evidence=evidence,
        not_counted=tuple(MemoNote(id=n.fact, text=n.reason) for n in evaluation.not_counted),
        undetermined=tuple(MemoNote(id=u.rule, text=f"needs {', '.join(u.missing)}") for u in evaluation.undetermined),
        ledger=commitments,
        guardrails=tuple(MemoGuardrail(id=g.id, ok=g.ok, text=g.detail) for g in evaluation.guardrails),
        guardrails_ok=evaluation.ok,
        run_id=evaluation.run_id if recorded else None,
    )


# --- Markdown ---------------------------------------------------------------------------------------------

def _md(text: str) -> str:
    """Text from a file, safe inside a Markdown line: no markup of its own, no HTML a viewer would run."""
    for char in "\\`*<>|":
        text = text.replace(char, "\\" + char)
    return text


def render_memo_markdown(memo: Memo) -> str:
    lines = [f"# {_md(memo.title)}", ""]
    if memo.hypothetical_label:
        lines += [f"> **{_md(memo.hypothetical_label)}** — a scenario, not observed facts.", ""]
    # a memo made without a date says so as loudly as the text view: read later, it must not pass for another day's
    lines += [f"**AS OF {memo.as_of} (today: no --as-of was given)**" if memo.as_of_defaulted
              else f"**As of {memo.as_of}**", ""]
    lines += [f"**{_md(h.id)}:** `{h.text}`  " for h in memo.headline] + ([""] if memo.headline else [])
    lines += [f"> **Warning:** {_md(w)}." for w in memo.warnings] + ([""] if memo.warnings else [])
    lines += ["## Bottom line", "", *(f"{i}. {_md(line)}" for i, line in enumerate(memo.bottom_line, 1)), ""]
    if not memo.guardrails_ok:
        lines += ["> **GUARDRAILS VIOLATED** — see the end of this memo.", ""]
    for section in memo.sections:
        lines += [f"## {_md(section.title)}", ""]
        for r in section.responses:
            lines.append(f"- **{_md(r.text)}** (`{r.id}`)  ")
            lines.append(f"  Why: {_md(r.why)}; on {', '.join(f'`{f}`' for f in r.facts) or 'any facts'}  ")
            if r.citation:
                c = r.citation
                lines.append(f"  Source: {_md(c.short)} ¶{c.para}: “{_md(c.quote)}”")
        lines.append("")
    if memo.undetermined:
        lines += ["## Information requirements", "", *(f"- `{u.id}` {_md(u.text)}" for u in memo.undetermined), ""]
    if memo.evidence is not None:
        lines += ["## Evidence", ""]
        if memo.evidence:
            lines += ["| Fact | Observed | Value | Source | Dated | Grade |", "|---|---|---|---|---|---|"]
            lines += [f"| `{e.id}`{' (hypothetical)' if e.hypothetical else ''} | {e.observed} | {_md(e.kind)}: "
                      f"{_md(e.value)} | {_md(e.source_title)} | {e.source_date} | {e.grade} |" for e in memo.evidence]
        else:
            lines.append("No fact counts.")
        lines.append("")
    if memo.not_counted:
        lines += ["Not counted:" if memo.evidence is not None else "## Facts not counted", "",
                  *(f"- `{n.id}`: {_md(n.text)}" for n in memo.not_counted), ""]
    if memo.ledger is not None:
        lines += ["## Commitment ledger", "", "| Commitment | Who owes whom | State | Due |", "|---|---|---|---|"]
        lines += [f"| {_md(c.title)} (`{c.id}`) | {_md(c.debtor)} → {_md(c.creditor)} | {c.state}"
                  f"{f' since {c.since}' if c.since else ''} | {_md(c.due)} |" for c in memo.ledger]
        lines.append("")
    lines += ["## Guardrails", "", *(f"- {'✓' if g.ok else '✗'} `{g.id}`: {_md(g.text)}" for g in memo.guardrails), ""]
    lines.append(f"*Pack {_md(memo.pack)}" + (f" · run `{memo.run_id}`*" if memo.run_id else "*"))
    return view(lines) + "\n"


# --- HTML ---------------------------------------------------------------------------------------------------

@cache
def _environment() -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(loader=jinja2.PackageLoader("engine", "templates"), autoescape=True,
                              trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)


def render_memo_html(memo: Memo, chart_svg: str | None = None) -> str:
    """A standalone HTML5 page (inline CSS, no script, no external asset); `chart_svg` is embedded as is: it is
    the engine's own drawing (engine.chart), never text from a file."""
    from markupsafe import Markup

    return _environment().get_template("memo.html.j2").render(
        memo=memo, chart=Markup(chart_svg) if chart_svg else None,  # noqa: S704 - our own SVG, values escaped in it
        chart_src=None, explain_href=None)


def render_memo_body(memo: Memo, chart_svg: str | None, explain_href: Callable[[str], str],
                     chart_src: str | None = None) -> Markup:
    """The memo's body alone, for a page of its own to hold (the workbench), each response's id followed by a
    link to its explanation; the chart embedded, or given as the URL of an image (`chart_src`) that the page
    loads after the memo."""
    from markupsafe import Markup

    return Markup(_environment().get_template("memo_body.html.j2").render(  # noqa: S704 - rendered with autoescape
        memo=memo, chart=Markup(chart_svg) if chart_svg else None,  # noqa: S704 - our own SVG
        chart_src=chart_src, explain_href=explain_href))
