"""Views of an `Evaluation`: text for people, Markdown for memos, JSON for programs (the contract in docs/output.md).

Takes an Evaluation (and the pack, for titles and sources), gives a string. Nothing here evaluates.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from engine.model import Evaluation, Fact, Ledger, Pack, Response

# What a terminal or a Markdown viewer acts on instead of showing: C0 and C1 controls (ESC and CSI start the
# sequences that clear a screen or retitle a window; CR and BS overprint; LF starts a line of its own), DEL,
# the Unicode line and paragraph separators, and the bidirectional marks that reorder what is shown.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": r"\n", "\r": r"\r", "\t": r"\t"}


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return _NAMED.get(match.group()) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def printable(text: str) -> str:
    """`text` with every control character written out as an escape (`\\x1b`, `\\n`): a title, an id or a note
    from a file can then neither move the cursor nor print a line of its own (a fake "Guardrails: all hold")."""
    return _CONTROL.sub(_escape, text)


def view(lines: Iterable[str]) -> str:
    """The lines of a text or Markdown view, each made printable, joined: how every view is put together."""
    return "\n".join(printable(line) for line in lines)


def as_json(evaluation: Evaluation, pack: Pack) -> dict[str, Any]:
    """The recorded result, plus `headline`: the pack's headline kinds and their values (null when none)."""
    data: dict[str, Any] = evaluation.model_dump(mode="json")
    data["headline"] = evaluation.headline(pack)
    return data


def render_json(evaluation: Evaluation, pack: Pack, defaulted: bool = False) -> str:
    """The recorded result as it is (a program reads `as_of` itself; the banner is for readers)."""
    return json.dumps(as_json(evaluation, pack), indent=2, ensure_ascii=False)


def headline_text(values: dict[str, str | None], pack: Pack) -> str:
    """"<label> is <value>" in the pack's words, one clause per headline kind."""
    return "; ".join(f"{pack.label(kind)} is {value or 'not derived'}" for kind, value in values.items())


def _as_of_banner(evaluation: Evaluation, defaulted: bool) -> list[str]:
    """A result as of today, because no date was given, says so before anything else: a memo read later
    must not pass for one about the date it was meant for."""
    return [f"AS OF {evaluation.as_of} (today: no --as-of was given)"] if defaulted else []


def _reason(response: Response, evaluation: Evaluation, pack: Pack) -> str:
    titles = {r.id: r.title for r in pack.rules}
    why = "; ".join(titles[r] for r in response.rules)
    based = ", ".join(response.facts) if response.facts else "applies whatever the facts"
    return f"{why} [{based}]"


def _cite(response: Response) -> str:
    cite = response.citations[0]
    return f"{cite.source} ¶{cite.para}: “{cite.quote}”"


def _sections(evaluation: Evaluation, pack: Pack) -> list[tuple[str, list[Response]]]:
    return [(title, [r for r in evaluation.responses if r.category == category])
            for category, title in pack.categories.items()
            if any(r.category == category for r in evaluation.responses)]


def render_text(evaluation: Evaluation, pack: Pack, defaulted: bool = False) -> str:
    lines = [*hypothetical_banner(evaluation), *_as_of_banner(evaluation, defaulted),
             f"{pack.title or pack.name} (pack {pack.version}, {pack.digest[:12]})",
             f"As of {evaluation.as_of}" + (f": {headline_text(evaluation.headline(pack), pack)}." if pack.headline
                                            else "."),
             f"{len(evaluation.counted)} facts count; {len(evaluation.not_counted)} do not.",
             *(f"Warning: {w}." for w in evaluation.warnings), ""]
    for title, responses in _sections(evaluation, pack):
        lines.append(title)
        for response in responses:
            lines.append(f"  • {response.text}  ({response.id})")
            lines.append(f"      why: {_reason(response, evaluation, pack)}")
            lines.append(f"      cite: {_cite(response)}")
        lines.append("")
    if evaluation.undetermined:
        lines.append("Undetermined (information requirements)")
        lines.extend(f"  • {u.rule}: needs {', '.join(u.missing)}" for u in evaluation.undetermined)
        lines.append("")
    if evaluation.not_counted:
        lines.append("Not counted")
        lines.extend(f"  • {n.fact}: {n.reason}" for n in evaluation.not_counted)
        lines.append("")
    broken = [g for g in evaluation.guardrails if not g.ok]
    if broken:
        lines.append("GUARDRAILS VIOLATED")
        lines.extend(f"  ✗ {g.id}: {g.detail}" for g in broken)
    else:
        lines.append(f"Guardrails: all {len(evaluation.guardrails)} hold.")
    lines.append(f"Run {evaluation.run_id}")
    return view(lines)


def render_markdown(evaluation: Evaluation, pack: Pack, defaulted: bool = False, facts: Iterable[Fact] | None = None,
                    ledger: Ledger | None = None, recorded: bool = False) -> str:
    """The memo (engine.memo) in Markdown: the bottom line first, the evidence with its sources when `facts`
    are given."""
    from engine.memo import build_memo, render_memo_markdown

    return render_memo_markdown(build_memo(evaluation, pack, facts, ledger, defaulted, recorded))


def render_html(evaluation: Evaluation, pack: Pack, defaulted: bool = False, facts: Iterable[Fact] | None = None,
                ledger: Ledger | None = None, recorded: bool = False) -> str:
    """The memo as a standalone HTML page, with the timeline chart of the year up to the as-of date when the
    facts are given (engine.chart)."""
    from engine.chart import memo_chart
    from engine.memo import build_memo, render_memo_html

    given = None if facts is None else list(facts)
    chart = memo_chart(pack, given, evaluation.as_of) if given else None
    return render_memo_html(build_memo(evaluation, pack, given, ledger, defaulted, recorded), chart)


def hypothetical_banner(evaluation: Evaluation) -> list[str]:
    """A result built on a scenario says so first: it must not be read as one about observed facts."""
    return [f"HYPOTHETICAL — built on {', '.join(evaluation.hypothetical)}"] if evaluation.hypothetical else []


RENDERERS: dict[str, Callable[..., str]] = {"text": render_text, "json": render_json, "markdown": render_markdown,
                                            "html": render_html}
# The views that show the evidence and the ledger: they are given the facts and the ledger too.
MEMOS = ("markdown", "html")


# --- analyst tools ----------------------------------------------------------------------------------------

def render_explanation(explanation: Any) -> str:
    """An `engine.explain.Explanation`: the answer in a plain sentence, then the indented chain (rule → facts
    with grade and source → citations), then the new observations that would change the answer."""
    lines = [explanation.plain] if explanation.plain else []
    lines.append(explanation.summary + ".")
    for link in explanation.chain:
        lines.append(f"  rule {link.rule} — {link.title}: {link.status}")
        if link.missing:
            lines.append(f"    needs: {', '.join(link.missing)}")
        lines.extend(f"    moot: {m}" for m in link.moot)
        for fact in link.branch_facts:
            values = ", ".join(f"{k}={v}" for k, v in sorted(fact.fields.items()))
            when = f" observed {fact.observed}" if fact.observed else ""
            lines.append(f"    on {fact.id}: {fact.kind}({values}){when} [{fact.grade}: {fact.source}]")
        for cite in link.citations:
            lines.append(f"    cites {cite.source} ¶{cite.para}: “{cite.quote}”")
        lines.extend(f"    assumes {assumption}" for assumption in link.assumptions)
    if not explanation.present and explanation.what == "response":
        if explanation.change_found:
            lines.append("New observations that would produce it (checked by evaluating them; what is on record "
                         "stays as recorded):")
            for proposal in explanation.proposals:
                lines += [f"  - {proposal.text}", f"      {proposal.command}"]
            if explanation.proposals:
                lines.append("  (each command asks for the id, the source and its grade)")
        else:
            lines.append("No new observation among those tried produces it.")
    return view(lines)


def render_diff(result: Any, changes: list[Any], pack: Pack) -> str:
    """An `engine.whatif.Diff` after the changes that made it."""
    lines = ["What if:"] + [f"  - {c.describe()}" for c in changes]
    lines += [f"{pack.label(kind)}: {result.headline_before.get(kind)} → {value}"
              for kind, value in result.headline_after.items()]
    lines += [f"  + {r}" for r in result.gained] + [f"  - {r}" for r in result.lost]
    if not result.gained and not result.lost:
        lines.append("  (no response changes)")
    return view(lines)


def render_sweep(rows: list[tuple[Any, Any]], changes: list[Any], pack: Pack) -> str:
    """A sensitivity sweep: one line per value of an assumption, each a `Diff` against the pack as written."""
    first = rows[0][0]
    lines = [f"Sensitivity to {first.name} (the pack says {first.was})"
             + (", with:" if changes else ":")] + [f"  - {c.describe()}" for c in changes]
    for assumed, result in rows:
        moved = [f"+ {r}" for r in result.gained] + [f"- {r}" for r in result.lost]
        moved += [f"{pack.label(kind)} {result.headline_before.get(kind)} → {value}"
                  for kind, value in result.headline_after.items() if result.headline_before.get(kind) != value]
        lines.append(f"  {assumed.name} = {assumed.value}: {'; '.join(moved) or 'no response changes'}")
    return view(lines)


def render_timeline(result: Any, fmt: str, pack: Pack) -> str:
    """An `engine.timeline.Timeline` as text (events), JSON (all), or CSV: one row a step, a column per
    headline kind, then one per response recommended at some step (in the pack's order), 1 on the steps
    that recommend it and 0 on the others, so a spreadsheet can sum, filter or chart each response."""
    if fmt == "json":
        return json.dumps(result.model_dump(mode="json"), indent=2, ensure_ascii=False)
    kinds = [h.kind for h in pack.headline]
    if fmt == "csv":
        out = io.StringIO()  # quoted where a value needs it: an enum value may hold a comma or a quote
        table = csv.writer(out, lineterminator="\n")
        seen = {r for p in result.points for r in p.responses}
        responses = [r for r in pack.responses if r in seen] + sorted(seen - set(pack.responses))
        table.writerow(["date", *kinds, *responses])
        table.writerows([str(p.date), *(p.headline.get(k) or "" for k in kinds),
                         *("1" if r in p.responses else "0" for r in responses)] for p in result.points)
        return out.getvalue().rstrip("\n")
    lines = [f"Timeline {result.start} → {result.end}, every {result.step.text} "
             f"({len(result.points)} evaluations)"]
    if result.points:
        first = result.points[0]
        lead = headline_text(first.headline, pack) + "; " if first.headline else ""
        lines.append(f"{first.date}  {lead}recommended: {', '.join(first.responses) or 'nothing'}")
    for event in (e for e in result.events
                  if result.points and (e.date > result.points[0].date or e.change in ("commitment", "deadline"))):
        if event.change in ("commitment", "deadline"):
            lines.append(f"{event.date}  commitment {event.subject}: {event.detail}")
        elif event.change == "headline":
            lines.append(f"{event.date}  {pack.label(event.subject)} {event.detail}{_because(event.because)}")
        elif event.change == "evidence":
            lines.append(f"{event.date}    now counts for {event.subject}: {event.detail}")
        else:
            lines.append(f"{event.date}  {'+' if event.change == 'appeared' else '-'} {event.subject}"
                         f"{_because(event.because)}")
    return view(lines)


def _because(causes: Any) -> str:
    """The facts that came to count or stopped counting since the previous step, named on the change."""
    parts = [f"{c.fact} now counts" if c.counts else f"{c.fact} no longer counts{': ' + c.reason if c.reason else ''}"
             for c in causes]
    return f"  (because {'; '.join(parts)})" if parts else ""


def render_check(report: Any, summary: str) -> str:
    """An `engine.check.CheckReport` after the validation summary."""
    lines = [summary]
    lines += [f"guardrail proved: {g}" for g in report.proved]
    for finding in report.findings:
        where = f"{finding.location}: " if finding.location else ""
        lines.append(f"{where}{finding.severity}: {finding.code}: {finding.message}")
        if finding.counterexample:
            lines.append(f"    counterexample facts: {'; '.join(finding.counterexample)}")
    return view(lines)
