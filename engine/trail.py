"""Views of the audit trail for people: the list of runs, one run's trail (facts → rules → responses, with
citations) as text or Markdown, and the verdicts of `verify` and `replay`.

Takes what `engine.audit` gives (records, summaries, a verification, a replay), gives strings. Nothing
here reads the store or evaluates: the trail is rebuilt from what was recorded, never from today's files.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from engine.ledger_view import render_ledger
from engine.model import Pack
from engine.record import AuditRecord, AuditSummary, Verification
from engine.render import printable, render_markdown, render_text, view
from engine.replay import Replay

if TYPE_CHECKING:  # cryptography is loaded only by the commands that sign or check a checkpoint
    from engine.audit import Copy
    from engine.checkpoint import CheckpointCheck


def render_list(summaries: list[AuditSummary], total: int) -> str:
    if not summaries:
        return f"no records match (of {total})" if total else "no records yet"
    header = ("#", "run", "recorded (UTC)", "user", "as of", "headline", "pack", "responses", "guardrails")
    rows = [(str(s.seq), s.run_id[:12], s.recorded_at[:19].replace("T", " "), s.user, str(s.as_of),
             _headline(s.headline), f"{s.pack.name} {s.pack.version}", str(len(s.responses)),
             "ok" if s.ok else "VIOLATED")
            for s in summaries]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
             for row in (header, *rows)]
    shown = f"{len(summaries)} of {total} records" if len(summaries) != total else f"{total} records"
    return view([*lines, shown])


def _headline(values: dict[str, str | None] | None) -> str:
    """A run's headline in one cell: the value alone when the pack has one headline kind, else kind=value."""
    if values is None:
        return "UNREADABLE"  # the body cannot be read as it was sealed
    if len(values) == 1:
        return next(iter(values.values())) or "—"
    return ", ".join(f"{kind}={value or '—'}" for kind, value in values.items()) or "—"


def list_json(summaries: list[AuditSummary]) -> str:
    return json.dumps([s.model_dump(mode="json") for s in summaries], indent=2, ensure_ascii=False)


def render_verification(result: Verification) -> str:
    if result.ok:
        return f"ok: {result.records} records, chain intact (head {result.head})"
    return printable(f"TAMPERED: record #{result.bad_seq}: {result.problem} ({result.records} records in the store)")


def render_copy(done: Copy, source: str, target: str) -> str:
    """The source as verified, what was copied, and the target as verified after."""
    copied = (f"copied {done.copied} records to {target}" + (f" after the {done.already} it already had"
                                                              if done.already else "")
              if done.copied else f"nothing to copy: {target} already holds all {done.already} records")
    return view([f"source {source}: {render_verification(done.source)}", copied,
                 f"target {target}: {render_verification(done.target)}"])


def render_checkpoint_check(result: CheckpointCheck) -> str:
    point = result.checkpoint
    signed = f"the checkpoint signed by {point.signer} at {point.signed_at} (#{point.records}, head {point.head[:12]}…)"
    if not result.ok:
        return printable(f"TAMPERED: {signed}: {result.problem}")
    key = "your key" if result.trusted else "its own key only: give --public-key to check that it is yours"
    return printable(f"ok: the store extends {signed}; signature valid ({key})")


def render_replay(result: Replay) -> str:
    lines = [f"replay of run {result.run_id} (record #{result.seq}), recorded with engine {result.engine_then}, "
             f"replayed with {result.engine_now}"]
    if result.identical:
        lines.append(f"identical: result digest {result.stored_digest} reproduced")
    else:
        lines.append(f"DIFFERENT: result digest recorded {result.stored_digest}, replayed {result.replayed_digest}")
        lines += [f"  {line}" for line in result.differences]
    if result.note:
        lines.append(f"note: {result.note}")
    return view(lines)


def _fields(fields: dict[str, Any]) -> str:
    return ", ".join(f"{name}={value}" for name, value in sorted(fields.items())) or "—"


def _facts(record: AuditRecord) -> list[tuple[dict[str, Any], str]]:
    """Each fact entered, with whether it counted and, if not, why."""
    why = {n.fact: n.reason for n in record.result.not_counted}
    return [(fact, f"not counted: {why[fact['id']]}" if fact["id"] in why else "counts")
            for fact in record.facts_snapshot]


BRANCHES = (("then", "Fired"), ("else", "Definitely false (the else branch)"))


def _firings(record: AuditRecord, pack: Pack, branch: str) -> list[tuple[str, str, str]]:
    """(rule, title, which facts it rested on and what it derived) for each firing of one branch."""
    titles = {r.id: r.title for r in pack.rules}
    out = []
    for firing in record.firings:
        if firing.branch != branch:
            continue
        facts = f"on {', '.join(firing.facts)}" if firing.facts else "on no particular fact"
        made = f" → {', '.join(firing.derived)}" if firing.derived else ""
        out.append((firing.rule, titles.get(firing.rule, ""), f"{facts}{made}"))
    return out


def render_show(record: AuditRecord, pack: Pack) -> str:
    seal = "content intact" if record.intact() else "CONTENT DOES NOT MATCH ITS HASH: run `commitments audit verify`"
    counting = len(record.result.counted)
    lines = [f"Audit record #{record.seq} · run {record.run_id}",
             f"  recorded {record.recorded_at} by {record.user} with engine {record.engine_version}",
             f"  as of {record.as_of} · pack {record.pack.name} {record.pack.version} ({record.pack.digest[:12]})",
             f"  facts digest {record.facts_digest[:12]} · result digest {record.result_digest[:12]}",
             f"  hash {record.hash} ({seal})", "",
             f"Facts ({len(record.facts_snapshot)} entered, {counting} count)"]
    for fact, counted in _facts(record):
        source = fact["source"]
        lines.append(f"  • {fact['id']}: {fact['kind']} about {fact['subject']}, observed {fact['observed']}: "
                     f"{_fields(fact['fields'])}")
        lines.append(f"      source: {source['title']} ({source['date']}) {source['ref']} · graded "
                     f"{fact['reliability']}{fact['credibility']} · {counted}")
    for branch, heading in BRANCHES:
        firings = _firings(record, pack, branch)
        lines += ["", f"Rules: {heading.lower()} ({len(firings)})"]
        for rule, title, detail in firings:
            lines += [f"  • {rule}: {title}", f"      {detail}"]
    lines += ["", "Recommendation (as recorded)", *render_text(record.result, pack).split("\n")]
    if record.ledger is not None:
        lines += ["", *render_ledger(record.ledger).split("\n")]
    return view(lines)


def export_json(record: AuditRecord) -> str:
    """The whole record; dropping `hash` and re-serialising canonically lets anyone recheck it."""
    return json.dumps(record.body(), indent=2, ensure_ascii=False) + "\n"


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def export_markdown(record: AuditRecord, pack: Pack) -> str:
    lines = [f"# Audit record #{record.seq}: run `{record.run_id}`", "",
             "| | |", "|---|---|",
             f"| Recorded | {record.recorded_at} by {_cell(record.user)} |",
             f"| Engine | {record.engine_version} |",
             f"| As of | {record.as_of} |",
             f"| Pack | {_cell(record.pack.name)} {_cell(record.pack.version)} (`{record.pack.digest}`) |",
             f"| Facts digest | `{record.facts_digest}` |",
             f"| Result digest | `{record.result_digest}` |",
             f"| Chain | #{record.seq}, prev `{record.prev_hash}`, hash `{record.hash}` |", "",
             "## Facts", "",
             "| id | kind | subject | observed | fields | source | grade | counted |",
             "|---|---|---|---|---|---|---|---|"]
    for fact, counted in _facts(record):
        lines.append(f"| `{fact['id']}` | {fact['kind']} | {fact['subject']} | {fact['observed']} | "
                     f"{_cell(_fields(fact['fields']))} | {_cell(fact['source']['title'])} | "
                     f"{fact['reliability']}{fact['credibility']} | {_cell(counted)} |")
    for branch, heading in BRANCHES:
        lines += ["", f"## Rules: {heading.lower()}", ""]
        lines += [f"- `{rule}` {title}: {detail}" for rule, title, detail in _firings(record, pack, branch)]
    lines += ["", "## Recommendation (as recorded)", ""]
    memo = render_markdown(record.result, pack)
    lines += [f"#{line}" if line.startswith("#") else line for line in memo.removesuffix("\n").split("\n")[2:]]
    if record.ledger is not None:
        lines += ["", "## Commitment ledger (as recorded)", "", "```", *render_ledger(record.ledger).split("\n"), "```"]
    return view(lines) + "\n"
