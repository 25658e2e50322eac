"""The Rete network of a compiled pack, kept live: counting facts in, activations out.

`Network.update(facts)` takes the facts that count now and brings durable_rules to them by change:
it retracts the facts that stopped counting (or changed) and asserts those that started, so durable_rules
fires only the activations that are new. It keeps the truth maintenance durable_rules leaves to us:
- an activation lives while every fact it matched is present; a derived fact lives while some live
  activation makes it, and is retracted (with what it supported) when the last one goes;
- a rule with a negation is re-opened when a fact matching a negated pattern comes or goes (a watch
  ruleset, run over the changed facts first, says which): its activations are dropped and its gate is
  retracted before the change and re-asserted after it, so it is re-evaluated over complete memories
  (see engine.compiler). Other rules keep their activations and their gate;
- the clock fact (the as-of date, engine.compiler) is one more fact: when the date moves, the activations
  that matched it go, and the rules negating a date test against it are re-opened.
A stratum's first update decides whether its state is spread over several durable_rules states
(engine.partition: past 10,000 facts, when its rules allow); the runtime routes every later change alike.
A from-scratch evaluation is one update of a fresh network; a `Session` updates one network many times.
Both give the same activations (tested on every bundled scenario, the 2021 record and random variants).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.compiler import (
    CLOCK_ALIAS,
    CLOCK_ID,
    GATE_ALIAS,
    GATE_KIND,
    PROBE,
    CompiledPack,
    CompiledRule,
    Made,
    Stratum,
)
from engine.limits import with_memberships
from engine.model import Firing
from engine.partition import Parts, plan
from engine.runtime import SALT, Runtime, fact_id, runtime, state_id
from engine.validate import canonical_json

Key = tuple[str, tuple[tuple[str, str], ...]]  # compiled rule name, (alias, fact id) pairs


@dataclass(frozen=True)
class Activation:
    """One firing of one compiled rule on particular facts, alive while they are."""

    rule: CompiledRule
    facts: tuple[str, ...]  # the matched fact ids, sorted, gate left out
    firing: Firing


@dataclass
class _State:
    """One stratum's durable_rules state and what we know is in it.

    A fact is in the state while it is an input or a live activation makes it (a derived fact can be
    both: made here and derived by an earlier stratum too); it is asserted once and retracted once.
    """

    stratum: Stratum
    name: str
    sid: str = field(default_factory=state_id)
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)  # id → the fact as given
    stored: dict[str, dict[str, Any]] = field(default_factory=dict)  # id → the fact as durable_rules holds it
    gates: dict[str, dict[str, Any]] = field(default_factory=dict)  # gate kind → as held
    parts: Parts | None = None  # set by the first update: several durable_rules states (engine.partition)
    activations: dict[Key, Activation] = field(default_factory=dict)
    by_fact: dict[str, set[Key]] = field(default_factory=dict)
    by_rule: dict[str, set[Key]] = field(default_factory=dict)
    makers: dict[str, set[Key]] = field(default_factory=dict)  # derived id → live activations making it
    derived: dict[str, Made] = field(default_factory=dict)  # what live activations here make

    def leaving(self, fid: str) -> bool:
        """Whether a fact no longer has a reason to be in the state."""
        return fid in self.stored and fid not in self.inputs and not self.makers.get(fid)


_WATCHED_MAX = 100_000  # facts' contents remembered per state with the watches they hit (then forgotten)


def _content(fact: dict[str, Any]) -> str:
    """A fact's content as a watch sees it: everything but its identity."""
    return canonical_json({k: v for k, v in fact.items() if k not in ("id", "sid", SALT)})


class Network:
    """A compiled pack's live durable_rules states, one per stratum."""

    def __init__(self, compiled: CompiledPack, engine: Runtime | None = None, once: bool = False) -> None:
        self.compiled = compiled
        self.engine = engine or runtime()
        self.once = once  # updated one time, then closed (an evaluation): what it held need not be kept
        self.states: list[_State] = []
        for stratum in compiled.strata:
            name = f"{compiled.pack.name}-{compiled.pack.digest[:16]}-s{stratum.index}"
            self.engine.ensure(name, stratum.definition())
            self.states.append(_State(stratum, name))
        self._layout = [(state.stratum, state.name) for state in self.states]  # what a reset starts from
        self._watched: dict[str, dict[str, frozenset[str]]] = {}  # state → a fact's content → the watches it hits

    def update(self, facts: dict[str, dict[str, Any]]) -> None:
        """Bring every stratum to `facts` (durable dicts by id) plus what earlier strata derive from them.

        If durable_rules fails part-way, what it holds is no longer known: the states are dropped and
        the next update starts from empty ones.
        """
        if self.once and any(GATE_KIND in state.gates for state in self.states):
            raise RuntimeError("a network made for one update was updated again")
        wanted = {fid: self._posted(fact) for fid, fact in facts.items()} if self.compiled.memberships else facts
        try:
            for state in self.states:
                self._step(state, wanted)
                wanted = {**wanted, **{did: self._made(made) for did, made in state.derived.items()}}
        except BaseException:
            self.close()
            self.states = [_State(stratum, name) for stratum, name in self._layout]
            raise

    def _posted(self, fact: dict[str, Any]) -> dict[str, Any]:
        """A fact as durable_rules gets it: with the memberships of large `in:` tests (engine.limits)."""
        return with_memberships(fact, self.compiled.memberships)

    def _made(self, made: Made) -> dict[str, Any]:
        return self._posted(made.durable())

    def activations(self) -> list[Activation]:
        return [a for state in self.states for a in state.activations.values()]

    def derived(self) -> dict[str, Made]:
        return {did: made for state in self.states for did, made in state.derived.items()}

    def probes(self) -> dict[str, set[str]]:
        """Guardrail probe → the counting facts that match its pattern."""
        found: dict[str, set[str]] = {}
        for state in self.states:
            for rule in state.stratum.rules:
                if rule.rule.startswith(PROBE):
                    for key in state.by_rule.get(rule.name, ()):
                        found.setdefault(rule.rule, set()).update(state.activations[key].facts)
        return found

    def close(self) -> None:
        for state in self.states:
            self.engine.drop(state.name, state.sid)
        self.states = []

    def _step(self, state: _State, wanted: dict[str, dict[str, Any]]) -> None:
        gone = [fid for fid, fact in state.inputs.items() if fid not in wanted or wanted[fid] != fact]
        new = {fid: fact for fid, fact in wanted.items() if fid not in state.inputs or state.inputs[fid] != fact}
        first = GATE_KIND not in state.gates
        if first:
            state.parts = plan(state.stratum, new.values())
        reopen = ([r for r in state.stratum.rules if r.negated] if first
                  else self._watching(state, [state.inputs[fid] for fid in gone] + list(new.values())))
        if not first and CLOCK_ID in new:
            # the as-of date moved: a negation of a date test against it may hold now, or no longer
            reopen = sorted({r.name: r for r in [*reopen, *(r for r in state.stratum.rules if r.timed)]}.values(),
                            key=lambda r: r.name)
        close = [state.gates.pop(r.gate) for r in reopen if r.gate in state.gates]
        for fid in gone:
            del state.inputs[fid]
        state.inputs.update(new)
        retract: list[dict[str, Any]] = []
        for rule in reopen:
            self._drop(state, state.by_rule.get(rule.name, set()), retract)
        for fid in gone:
            if fid in new or state.leaving(fid):  # changed content, or no reason left to be here
                retract.append(state.stored.pop(fid))
                self._drop(state, state.by_fact.get(fid, set()), retract)
        self._update(state, close, retract, [fact for fid, fact in new.items() if fid not in state.stored],
                     state.stratum.gates() if first else [r.gate for r in reopen])

    def _watching(self, state: _State, changed: list[dict[str, Any]]) -> list[CompiledRule]:
        """The rules with a negated pattern that a changed fact (as it was, or as it is) matches.

        A watch tests one fact's own fields (joins and the clock are left out of it), so what durable_rules
        answered for a fact's content holds for the same content again: a fact that comes and later goes, or
        a what-if variant undone, is not run through the watch twice.
        """
        changed = [fact for fact in changed if fact["kind"] in state.stratum.watched]
        if not changed:
            return []
        seen = self._watched.setdefault(state.name, {})
        if len(seen) > _WATCHED_MAX:  # forgotten before it is read: every key below is then looked up afresh
            seen.clear()
        keys = [_content(fact) for fact in changed]
        new = list({key: fact for key, fact in zip(keys, changed, strict=True) if key not in seen}.items())
        if new:
            hits: dict[str, set[str]] = {str(n): set() for n in range(len(new))}

            def on_fire(name: str, matched: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
                for fact in matched.values():
                    hits.get(fact_id(fact), set()).add(name)  # the gate's id is its kind: no number
                return []

            watch = f"{state.name}-watch"
            self.engine.ensure(watch, state.stratum.watches)  # registered once, when a step first needs it
            # numbered afresh: a fact's old and new content share its id, and durable_rules keeps one fact per id
            self.engine.run(watch, [{**fact, "id": str(n)} for n, (_, fact) in enumerate(new)], on_fire)
            seen.update((key, frozenset(hits[str(n)])) for n, (key, _) in enumerate(new))
        found = {rule.name: rule for key in keys for name in seen[key] for rule in state.stratum.watchers[name]}
        return [found[name] for name in sorted(found)]

    def _update(self, state: _State, close: list[dict[str, Any]], retract: list[dict[str, Any]],
                add: list[dict[str, Any]], gates: list[str]) -> None:
        pending = {f["id"] for f in add}

        def on_fire(name: str, matched: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
            return self._fired(state, name, matched, pending)

        done = self.engine.update(state.name, state.sid, on_fire, close=close, retract=retract, add=add, gates=gates,
                                  parts=state.parts, once=self.once)
        state.stored.update((fact_id(f), f) for f in done.stored)
        state.stored.update((fact_id(f), f) for f in done.made)
        state.gates.update(done.gates)

    def _fired(self, state: _State, name: str, matched: dict[str, dict[str, Any]],
               pending: set[str]) -> list[dict[str, Any]]:
        """Record an activation; give the derived facts it makes that are not in the state yet."""
        pairs = tuple(sorted((alias, fact_id(f)) for alias, f in matched.items() if alias != GATE_ALIAS))
        key = (name, pairs)
        rule = self.compiled.by_name[name]
        # the clock is no evidence: left out of the firing, but the activation goes when the date moves
        ids = tuple(sorted({fid for alias, fid in pairs if alias != CLOCK_ALIAS}))
        firing = Firing(rule=rule.rule, branch=rule.branch, facts=ids, derived=tuple(m.id for m in rule.made))
        state.activations[key] = Activation(rule, ids, firing)
        state.by_rule.setdefault(name, set()).add(key)
        for fid in {fid for _, fid in pairs}:
            state.by_fact.setdefault(fid, set()).add(key)
        new = []
        for made in rule.made:
            state.makers.setdefault(made.id, set()).add(key)
            state.derived[made.id] = made
            if made.id not in state.stored and made.id not in pending:
                pending.add(made.id)
                new.append(self._made(made))
        return new

    def _drop(self, state: _State, keys: set[Key], retract: list[dict[str, Any]]) -> None:
        """Drop activations; a derived fact left without a reason to be here goes too, with its activations."""
        for key in list(keys):
            activation = state.activations.pop(key, None)
            if activation is None:
                continue
            state.by_rule[activation.rule.name].discard(key)
            for fid in {fid for _, fid in key[1]}:  # the clock's too
                state.by_fact[fid].discard(key)
            for made in activation.rule.made:
                state.makers[made.id].discard(key)
                if not state.makers[made.id]:
                    state.derived.pop(made.id, None)
                    if state.leaving(made.id):
                        retract.append(state.stored.pop(made.id))
                        self._drop(state, state.by_fact.get(made.id, set()), retract)
