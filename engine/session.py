"""Incremental evaluation: one live Rete network, brought from one evaluation to the next by change.

Takes a pack and facts once; each `evaluate(as_of)` or `evaluate_changes(changes, as_of)` sorts the
evidence, then hands the network the facts that count now: it retracts only what stopped counting (or
changed), asserts only what started, and re-opens only the rules whose negated patterns a changed fact
matches (engine.network). The result is the same `Evaluation` as a from-scratch `evaluate` (tested on every
bundled scenario, the 2021 record and random variants). Used by timelines and what-if sweeps.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from engine.evaluate import Run, _compiled, durable_fact, facts_digest, hypothetical_files, result, with_clock
from engine.evidence import Evidence
from engine.model import Evaluation, Fact, NotCounted, Pack
from engine.network import Network

if TYPE_CHECKING:
    from engine.whatif import Change


class Session:
    """A pack and facts kept live in durable_rules across evaluations."""

    def __init__(self, pack: Pack, facts: list[Fact]) -> None:
        self.pack = pack
        self.facts = list(facts)
        self.compiled = _compiled(pack)
        self.network = Network(self.compiled)
        self.digest = facts_digest(self.facts)
        self.durable = {id(f): durable_fact(f) for f in self.facts}
        self.evidence = Evidence(self.facts, pack)

    def evaluate(self, as_of: dt.date, run_id: str | None = None) -> Evaluation:
        return self._evaluate(self.evidence, as_of, run_id, self.digest, hypothetical_files(self.facts))

    def evaluate_changes(self, changes: list[Change], as_of: dt.date, run_id: str | None = None) -> Evaluation:
        """The session's facts with `changes` applied (the session's own facts stay as they are)."""
        from engine.whatif import apply  # what-if's parsing is not every command's (the ledger's sessions)

        facts = apply(self.facts, changes)
        return self._evaluate(Evidence(facts, self.pack), as_of, run_id, facts_digest(facts), hypothetical_files(facts))

    def _evaluate(self, evidence: Evidence, as_of: dt.date, run_id: str | None, digest: str,
                  hypothetical: tuple[str, ...]) -> Evaluation:
        counted, not_counted, run = self._run(evidence, as_of)
        return result(self.compiled, run, counted, not_counted, as_of, run_id, digest, hypothetical)

    def run(self, as_of: dt.date) -> tuple[list[Fact], Run]:
        """The facts that count as of a date and the network's conclusions, without the views of a result."""
        counted, _, run = self._run(self.evidence, as_of)
        return counted, run

    def _run(self, evidence: Evidence, as_of: dt.date) -> tuple[list[Fact], list[NotCounted], Run]:
        counted, not_counted = evidence.at(as_of)
        self.network.update(with_clock(self.compiled, {f.id: self._durable(f) for f in counted}, as_of))
        return counted, not_counted, Run(self.compiled, self.network)

    def _durable(self, fact: Fact) -> dict[str, Any]:
        # only the session's own facts are cached: their ids cannot be reused while self.facts holds them
        return self.durable.get(id(fact)) or durable_fact(fact)

    def close(self) -> None:
        self.network.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
