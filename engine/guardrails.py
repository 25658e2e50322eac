"""Run-time guardrails: the argument's constraints, checked on every result.

Takes the pack's guardrails and a result's responses, derived facts and counting facts; gives one
`GuardrailResult` per guardrail (plus the engine's own check that a derived state has one value).
Which facts match a guardrail's pattern is decided by the Rete network too: the compiler adds a probe
rule per such guardrail, and the probe's activations arrive here.
"""

from __future__ import annotations

from engine.compiler import PROBE
from engine.model import DerivedFact, Fact, Guardrail, GuardrailResult, Pack, Response

SINGLE_STATE = "single_derived_state"  # the engine's own guardrail: a derived state has one value
# What each rule of guardrail reads (required, optional): the pack loader refuses anything else.
READS: dict[str, tuple[set[str], set[str]]] = {
    "exclusive": ({"responses"}, set()),
    "only_with": ({"responses", "kind", "values"}, set()),
    "requires_fact": ({"categories", "pattern"}, set()),
    "independent_of": ({"prefix", "kinds"}, {"except_"}),
    "protects": ({"interests"}, set()),
}


def _check(guard: Guardrail, pack: Pack, responses: dict[str, Response], derived: tuple[DerivedFact, ...],
           facts: dict[str, Fact], probes: dict[str, set[str]]) -> str | None:
    """What breaks the guardrail in this result, or None."""
    if guard.rule == "exclusive":
        both = [r for r in guard.responses if r in responses]
        return f"{' and '.join(both)} recommended together" if len(both) > 1 else None
    if guard.rule == "only_with":
        values = {str(d.value) for d in derived if d.kind == guard.kind}
        for rid in guard.responses:
            if rid in responses and not values & set(guard.values):
                return (f"{rid} recommended while {guard.kind} is {', '.join(sorted(values)) or 'not derived'}"
                        f" (allowed only with {', '.join(guard.values)})")
        return None
    if guard.rule == "requires_fact":
        matching = probes.get(f"{PROBE}{guard.id}", set())
        for response in responses.values():
            if response.category in guard.categories and not matching & set(response.facts):
                return f"{response.id} ({response.category}) rests on no counting {guard.pattern} fact"
        return None
    if guard.rule == "independent_of":
        for response in responses.values():
            if not (guard.prefix and response.id.startswith(guard.prefix)) or response.id in guard.except_:
                continue
            kinds = {facts[f].kind for f in response.facts if f in facts}
            kinds |= {d.kind for d in derived if d.id in response.derived}
            bad = kinds & set(guard.kinds)
            if bad:
                return f"{response.id} rests on {', '.join(sorted(bad))}"
        return None
    traded = {rid: set(pack.responses[rid].withholds) & set(guard.interests) for rid in responses}
    return "; ".join(f"{rid} withholds {', '.join(sorted(what))}" for rid, what in traded.items() if what) or None


def check_guardrails(pack: Pack, responses: tuple[Response, ...], derived: tuple[DerivedFact, ...],
                     facts: dict[str, Fact], probes: dict[str, set[str]]) -> tuple[GuardrailResult, ...]:
    by_id = {r.id: r for r in responses}
    results = []
    for guard in pack.guardrails:
        problem = _check(guard, pack, by_id, derived, facts, probes)
        results.append(GuardrailResult(id=guard.id, ok=problem is None, detail=problem or guard.text))
    states: dict[tuple[str, str], list[str]] = {}
    for d in derived:
        if pack.vocabulary[d.kind].state:
            states.setdefault((d.kind, d.subject), []).append(str(d.value))
    clashes = [f"{kind} for {subject}: {', '.join(values)}" for (kind, subject), values in sorted(states.items())
               if len(values) > 1]
    results.append(GuardrailResult(id=SINGLE_STATE, ok=not clashes,
                                   detail="; ".join(clashes) or "each derived state has exactly one value"))
    return tuple(results)
