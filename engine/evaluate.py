"""evaluate(pack, facts, as_of) → Evaluation: the rules of evidence, then the Rete network, then views.

Pure apart from the runtime: the counting facts go into durable_rules stratum by stratum (derived facts
of one stratum are facts of the next; engine.network), every activation is a `Firing`, and everything
in the result — responses, derived facts, rule outcomes, guardrails — is computed from those firings.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass, field
from itertools import groupby
from operator import attrgetter
from typing import Any

from engine.compiler import CLOCK_ID, CompiledPack, clock_fact, compile_pack, durable_record
from engine.evidence import sort_evidence, staleness
from engine.guardrails import check_guardrails
from engine.model import (
    Citation,
    DerivedFact,
    Evaluation,
    Fact,
    Firing,
    NotCounted,
    Pack,
    PackRef,
    Response,
    RuleOutcome,
    Scalar,
    Undetermined,
)
from engine.network import Activation, Network
from engine.validate import fact_texts

_FIRING_ORDER = attrgetter("rule", "branch", "facts")
_RULE = attrgetter("rule")
_ID = attrgetter("id")


@dataclass
class Derived:
    """A fact the rules derived in one run: what it says, the rules that made it, the base facts behind it."""

    kind: str
    subject: str
    fields: dict[str, Scalar]
    rules: set[str] = field(default_factory=set)
    support: set[str] = field(default_factory=set)

    def rule(self) -> str:
        """The rule a result names for it: the first of those that make it."""
        return min(self.rules)

    def facts(self) -> tuple[str, ...]:
        return tuple(sorted(self.support))


PackKey = tuple[str, tuple[str, ...]]
_COMPILED: dict[PackKey, CompiledPack] = {}


def pack_key(pack: Pack) -> PackKey:
    """What tells packs apart in a process's caches. The digest is taken over sorted keys, so it is blind to the
    order of the categories, which orders the responses: a pack that differs from another only in that order
    must not get the other's compiled pack."""
    return pack.digest, tuple(pack.categories)


def _compiled(pack: Pack) -> CompiledPack:
    """Compile once per pack content; the digest names the rulesets registered with durable_rules."""
    key = pack_key(pack)
    if key not in _COMPILED:
        _COMPILED[key] = compile_pack(pack)
    return _COMPILED[key]


def prime_compilation(pack: Pack, compiled: CompiledPack) -> None:
    """Take a compilation of this pack made earlier (engine.packcache keeps them between processes)."""
    _COMPILED.setdefault(pack_key(pack), compiled)


def durable_fact(fact: Fact) -> dict[str, Any]:
    return durable_record(fact.id, fact.kind, fact.subject, fact.fields, fact.observed)


def with_clock(compiled: CompiledPack, facts: dict[str, dict[str, Any]], as_of: dt.date) -> dict[str, dict[str, Any]]:
    """The facts for the network, with the as-of date as a fact when some rule tests a date against it."""
    if compiled.clocked:
        facts[CLOCK_ID] = clock_fact(as_of)
    return facts


def facts_digest(facts: list[Fact]) -> str:
    """Digest of the facts' content; file names and order do not change it.

    Equal to `digest` of the list of fact dumps sorted by id.
    """
    texts = fact_texts(sorted(facts, key=_ID))
    return hashlib.sha256(f"[{','.join(texts)}]".encode()).hexdigest()


class Run:
    """What one evaluation's live activations say: firings, derived facts with their support, probes."""

    def __init__(self, compiled: CompiledPack, network: Network) -> None:
        self.compiled = compiled
        self.rules = {r.id: r for r in compiled.pack.rules}
        self.probes = network.probes()
        activations = network.activations()
        derived = network.derived()
        self.firings: list[Firing] = [a.firing for a in activations if a.rule.rule in self.rules]
        self.derived = {did: Derived(m.kind, m.subject, dict(m.fields)) for did, m in sorted(derived.items())}
        self._makers: dict[str, list[Activation]] = {}
        for activation in activations:
            for made in activation.rule.made:
                self.derived[made.id].rules.add(activation.rule.rule)
                self._makers.setdefault(made.id, []).append(activation)
        for did, each in self.derived.items():
            each.support = self._support_of(did, set())

    def _support_of(self, did: str, path: set[str]) -> set[str]:
        """The base facts behind a derived fact, through every live activation that makes it."""
        each = self.derived[did]
        if each.support or did in path:
            return each.support
        found: set[str] = set()
        for activation in self._makers.get(did, ()):
            for fid in activation.facts:
                found |= self._support_of(fid, path | {did}) if fid in self.derived else {fid}
        each.support = found
        return found

    def support(self, ids: list[str] | tuple[str, ...]) -> set[str]:
        base: set[str] = set()
        for fid in ids:
            base |= self.derived[fid].support if fid in self.derived else {fid}
        return base


def evaluate(pack: Pack, facts: list[Fact], as_of: dt.date, run_id: str | None = None) -> Evaluation:
    """Evaluate the pack's rules over the facts as of a date, through durable_rules."""
    compiled = _compiled(pack)
    counted, not_counted = sort_evidence(facts, pack, as_of)
    network = Network(compiled, once=True)
    try:
        network.update(with_clock(compiled, {f.id: durable_fact(f) for f in counted}, as_of))
        run = Run(compiled, network)
    finally:
        network.close()
    return result(compiled, run, counted, not_counted, as_of, run_id, facts_digest(facts), hypothetical_files(facts))


def hypothetical_files(facts: list[Fact]) -> tuple[str, ...]:
    """The files (as named in the facts' origins) that declare their facts hypothetical."""
    return tuple(sorted({f.origin.rsplit(":", 2)[0] if f.origin.count(":") >= 2 else f.origin
                         for f in facts if f.hypothetical}))


def result(compiled: CompiledPack, run: Run, counted: list[Fact], not_counted: list[NotCounted], as_of: dt.date,
           run_id: str | None, digest: str, hypothetical: tuple[str, ...] = ()) -> Evaluation:
    """The Evaluation: views over one run's firings."""
    pack = compiled.pack
    by_id = {f.id: f for f in counted}
    firings = sorted(run.firings, key=_FIRING_ORDER)
    outcomes = _outcomes(compiled, run, counted, firings)
    responses = _responses(compiled, run, firings)
    derived = tuple(
        DerivedFact(id=did, kind=d.kind, subject=d.subject, value=d.fields.get("value"), fields=d.fields,
                    rule=d.rule(), facts=d.facts())
        for did, d in sorted(run.derived.items()))
    return Evaluation(
        run_id=run_id or uuid.uuid4().hex,
        as_of=as_of,
        pack=PackRef(name=pack.name, version=pack.version, digest=pack.digest),
        facts_digest=digest,
        responses=responses,
        derived=derived,
        undetermined=tuple(Undetermined(rule=o.rule, missing=o.missing) for o in outcomes
                           if o.status == "undetermined"),
        not_counted=tuple(not_counted),
        guardrails=check_guardrails(pack, responses, derived, by_id, run.probes),
        rules=outcomes,
        firings=tuple(firings),
        counted=tuple(f.id for f in counted),
        warnings=staleness(pack, counted, as_of),
        hypothetical=hypothetical,
    )


def _outcomes(compiled: CompiledPack, run: Run, counted: list[Fact], firings: list[Firing]) -> tuple[RuleOutcome, ...]:
    """Every rule's outcome: fired, else, or undetermined with the states it lacks (firings in sorted order)."""
    known = {(f.kind, f.subject) for f in counted} | {(d.kind, d.subject) for d in run.derived.values()}
    seen: dict[str, tuple[set[str], set[str]]] = {}
    for rule_id, group in groupby(firings, key=_RULE):
        branches, matched = seen[rule_id] = (set(), set())
        for firing in group:
            branches.add(firing.branch)
            matched.update(firing.facts)
    outcomes = []
    for rule in compiled.pack.rules:
        branches, fired_on = seen.get(rule.id, (set(), set()))
        facts = tuple(sorted(fired_on))
        if "then" in branches:
            outcomes.append(RuleOutcome(rule=rule.id, status="fired", facts=facts))
        elif "else" in branches:
            outcomes.append(RuleOutcome(rule=rule.id, status="else", facts=facts))
        else:
            missing = [f"{kind}:{subject}" for kind, subject in compiled.needs[rule.id]
                       if (kind, subject) not in known]
            if rule.id in compiled.joined and not missing:
                # a join that found no pair, with every state it reads known: definitely false
                outcomes.append(RuleOutcome(rule=rule.id, status="else"))
                continue
            outcomes.append(RuleOutcome(rule=rule.id, status="undetermined",
                                        missing=tuple(missing or ["a field it tests is absent"])))
    return tuple(outcomes)


def _responses(compiled: CompiledPack, run: Run, firings: list[Firing]) -> tuple[Response, ...]:
    """Each recommended response with every rule, fact and citation behind it (firings in their sorted order)."""
    found: dict[str, tuple[set[str], set[str], set[str], list[Citation]]] = {}
    for firing in firings:
        effects = compiled.responds[firing.rule, firing.branch]
        if not effects:
            continue
        support = run.support(firing.facts)
        derived = {f for f in firing.facts if f in run.derived}
        for rid, cites in effects:
            rules, facts, from_derived, cited = found.setdefault(rid, (set(), set(), set(), []))
            rules.add(firing.rule)
            facts |= support
            from_derived |= derived
            cited += [c for c in cites if c not in cited]
    out = []
    for rid, (rules, facts, derived, cited) in found.items():
        spec = compiled.pack.responses[rid]
        out.append(Response(id=rid, category=spec.category, text=spec.text, rules=tuple(sorted(rules)),
                            facts=tuple(sorted(facts)), citations=tuple(cited), derived=tuple(sorted(derived))))
    order = list(compiled.pack.categories)  # the pack's display order
    return tuple(sorted(out, key=lambda r: (order.index(r.category), r.id)))
