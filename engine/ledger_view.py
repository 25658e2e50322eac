"""Views of a `Ledger` for people (text) and programs (JSON): each commitment's state, since when, what
is due by when, and every transition with the facts that moved it and its citation."""

from __future__ import annotations

import datetime as dt
import json

from engine.model import Citation, Ledger
from engine.render import view

STATE_MARK = {"conditional": "·", "detached": "!", "discharged": "✓", "violated": "✗", "expired": "–",
              "cancelled": "–", "released": "–"}


def ledger_json(ledger: Ledger) -> str:
    return json.dumps(ledger.model_dump(mode="json"), indent=2, ensure_ascii=False)


def render_ledger(ledger: Ledger, fmt: str = "text") -> str:
    if fmt == "json":
        return ledger_json(ledger)
    if not ledger.commitments:
        return view([f"Commitment ledger as of {ledger.as_of}: the pack declares no commitments"])
    lines = [f"Commitment ledger as of {ledger.as_of} ({len(ledger.commitments)} commitment"
             f"{'' if len(ledger.commitments) == 1 else 's'})"]
    for c in ledger.commitments:
        since = f" since {c.since}" if c.since else ""
        lines += ["", f"{STATE_MARK[c.state]} {c.id}: {c.state.upper()}{since}",
                  f"    {c.debtor} → {c.creditor}: {c.title}",
                  f"    due: {c.due}"]
        events: list[tuple[dt.date, str]] = []
        for move in c.transitions:
            facts = f" [{', '.join(move.facts)}]" if move.facts else ""
            events.append((move.date, f"{move.previous} → {move.state}: {move.why}{facts} ({_cited(move.citations)})"))
        for shift in c.deadline_moves:
            facts = f" [{', '.join(shift.facts)}]" if shift.facts else ""
            events.append((shift.date, f"{shift.part} deadline moved {shift.before} → {shift.after or 'none'}{facts}"))
        lines += [f"    {day}  {text}" for day, text in sorted(events, key=lambda e: e[0])]
        lines += [f"    cite: {cite.source} ¶{cite.para} “{cite.quote}”" for cite in c.citations]
    return view(lines)


def _cited(citations: tuple[Citation, ...]) -> str:
    """Where a transition's rule comes from, in short: the full quotes follow the commitment."""
    return "; ".join(f"{source} ¶{', ¶'.join(str(c.para) for c in citations if c.source == source)}"
                     for source in dict.fromkeys(c.source for c in citations))
