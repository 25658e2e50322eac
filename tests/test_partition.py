"""A stratum spread over several durable_rules states (engine.partition) gives what one state gives.

The parts are forced small (a few facts each) so that the article's pack, its scenarios, its 2021 record,
random fact sets and the synthetic benchmark pack all run partitioned, and are compared with the same
evaluations in one state each, from scratch and step after step in a session; durable_rules is asked what
each part holds. `plan` is checked on packs made to break each of its conditions.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import AFTER_SCENARIOS, BASELINE, FACTS, scenario_facts
from hypothesis import HealthCheck, given, settings
from test_properties import AS_OF, fact_sets, to_fact

import engine.partition as partition
from engine.evaluate import _compiled, durable_fact, evaluate
from engine.evidence import sort_evidence
from engine.model import Evaluation, Fact, Pack
from engine.runtime import fact_id
from engine.session import Session
from engine.validate import load_facts

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import synthetic  # noqa: E402

ONE_STATE = 10**9


def same(a: Evaluation, b: Evaluation) -> bool:
    return a.model_dump(exclude={"run_id"}) == b.model_dump(exclude={"run_id"})


def both(pack: Pack, facts: list[Fact], as_of: dt.date, monkeypatch: pytest.MonkeyPatch,
         size: int = 2) -> tuple[Evaluation, Evaluation]:
    """The evaluation in one state per stratum, and spread over parts of `size` facts."""
    monkeypatch.setattr(partition, "PART_SIZE", ONE_STATE)
    whole = evaluate(pack, facts, as_of)
    monkeypatch.setattr(partition, "PART_SIZE", size)
    return whole, evaluate(pack, facts, as_of)


def test_the_article_pack_is_spread_and_its_record_evaluates_the_same(
        pack: Pack, monkeypatch: pytest.MonkeyPatch) -> None:
    facts = load_facts([BASELINE, FACTS / "history" / "2021"], pack)
    plans = [partition.plan(s, [durable_fact(f) for f in facts], size=2) for s in _compiled(pack).strata]
    assert all(p is not None and p.count > 1 for p in plans), plans  # the mechanism is under test here
    for day in [dt.date(2021, 2, 1) + dt.timedelta(days=d) for d in range(0, 240, 17)]:
        whole, parts = both(pack, facts, day, monkeypatch)
        assert same(whole, parts), day


@pytest.mark.parametrize("name", ["cooperates", "demonstrable_steps", "refuses"])
def test_scenarios_evaluate_the_same_spread(pack: Pack, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    facts = scenario_facts(pack, name)
    whole, parts = both(pack, facts, AFTER_SCENARIOS, monkeypatch)
    assert same(whole, parts)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(raws=fact_sets(max_size=20), as_of=AS_OF)
def test_random_fact_sets_evaluate_the_same_spread(pack: Pack, raws: list[dict[str, Any]], as_of: dt.date,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    facts = [to_fact(raw) for raw in raws]
    with monkeypatch.context() as patched:
        whole, parts = both(pack, facts, as_of, patched, size=1)
    assert same(whole, parts)


def _held(session: Session) -> list[str]:
    """Where durable_rules' parts hold other than the network says: a fact of a split kind in its one part,
    every other fact and gate in every part."""
    wrong = []
    runtime = session.network.engine
    for state in session.network.states:
        subs = runtime._subs.get((state.name, state.sid), [state.sid])
        for index, sub in enumerate(subs):
            held = sorted(fact_id(f) for f in runtime.host.get_facts(state.name, sub))
            said = sorted([*(fid for fid, f in state.stored.items()
                             if state.parts is None or state.parts.of(f, fid) in (None, index)),
                           *(gate["id"] for gate in state.gates.values())])
            if held != said:
                wrong.append(f"{state.name} part {index}: holds {held}, the network says {said}")
    return wrong


def test_a_session_spread_matches_from_scratch_and_each_part_holds_its_facts(
        pack: Pack, monkeypatch: pytest.MonkeyPatch) -> None:
    facts = load_facts([BASELINE, FACTS / "history" / "2021"], pack)
    days = [dt.date(2021, 2, 1) + dt.timedelta(days=d) for d in range(0, 240, 23)]
    monkeypatch.setattr(partition, "PART_SIZE", ONE_STATE)
    expected = {day: evaluate(pack, facts, day) for day in days}
    monkeypatch.setattr(partition, "PART_SIZE", 2)
    with Session(pack, facts) as session:
        for day in days + days[::-1] + random.Random(3).sample(days, len(days)):
            assert same(session.evaluate(day), expected[day]), day
            assert _held(session) == [], day
        assert any(state.parts is not None and state.parts.count > 1 for state in session.network.states)


def test_the_synthetic_pack_spread_equals_its_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forty joins of a status with a signal and ten of a derived alert with a signal, in parts of 150
    signals: every derived alert is copied into every part, where the signals of its channel are."""
    pack = synthetic.load()
    facts = synthetic.facts(3_000)
    counted, _ = sort_evidence(facts, pack, synthetic.AS_OF)
    expected = synthetic.reference(counted)
    whole, parts = both(pack, facts, synthetic.AS_OF, monkeypatch, size=150)
    assert same(whole, parts)
    assert synthetic.compare(expected, synthetic.from_evaluation(parts), "spread") == []
    plan = partition.plan(_compiled(pack).strata[0], [durable_fact(f) for f in counted], size=150)
    assert plan is not None and plan.kinds == {"signal_a", "signal_b"} and plan.count > 10


PLAN_PACK = """
pack: {name: plan-test, version: "1"}
sources: {s: {title: S}}
vocabulary:
  a: {subjects: [x], state: false, fields: {k: {type: integer}}}
  b: {subjects: [x], state: false, fields: {k: {type: integer}}}
  c: {subjects: [x], state: false, fields: {k: {type: integer}}}
  d: {subjects: [x], state: false, derived: true, fields: {k: {type: integer}}}
"""
C = "cites: [{source: s, para: 1, quote: q}]"


def _plan(make_pack: Any, rules: str, counts: dict[str, int]) -> partition.Parts | None:
    pack = make_pack(PLAN_PACK, responses="responses: {r: {category: principle, text: T.}}\n", rules=rules)
    facts = [{"id": f"{kind}{n}", "kind": kind, "subject": "x", "k": n}
             for kind, count in counts.items() for n in range(count)]
    return partition.plan(_compiled(pack).strata[0], facts, size=10)


def test_plan_splits_one_side_of_a_join_the_larger(make_pack: Any) -> None:
    rules = f"""
rules:
  - id: j
    {C}
    when: {{all: [{{fact: a, as: p}}, {{fact: b, where: {{k: {{eq: {{ref: p.k}}}}}}}}]}}
    then: [{{respond: r}}]
"""
    # c, which no rule reads, may go anywhere
    assert _plan(make_pack, rules, {"a": 50, "b": 80, "c": 5}) == partition.Parts(9, frozenset({"b", "c"}))
    assert _plan(make_pack, rules, {"a": 50, "b": 8}) == partition.Parts(5, frozenset({"a"}))
    assert _plan(make_pack, rules, {"a": 5, "b": 4}) is None  # small: one state


def test_plan_splits_no_kind_a_rule_negates_or_the_stratum_derives(make_pack: Any) -> None:
    rules = f"""
rules:
  - id: n
    {C}
    when: {{all: [{{fact: c}}, {{none: {{fact: a}}}}]}}
    then: [{{respond: r}}]
  - id: derive
    {C}
    when: {{fact: c}}
    then: [{{derive: {{kind: d, k: 1}}}}]
  - id: m
    {C}
    when: {{all: [{{fact: b}}, {{fact: d}}]}}
    then: [{{respond: r}}]
"""
    pack = make_pack(PLAN_PACK, responses="responses: {r: {category: principle, text: T.}}\n", rules=rules)
    facts = [{"id": f"{kind}{n}", "kind": kind, "subject": "x", "k": n} for kind in "abcd" for n in range(40)]
    facts += [{"id": f"more-d{n}", "kind": "d", "subject": "x", "k": n} for n in range(40)]  # d the largest
    for stratum in _compiled(pack).strata:
        found = partition.plan(stratum, facts, size=10)
        assert found is not None
        negated = {p.kind for r in stratum.rules for p in r.negated}
        derived = {m.kind for r in stratum.rules for m in r.made}
        assert not found.kinds & (negated | derived), (found, negated, derived)
        assert found.kinds, found
        for rule in stratum.rules:
            split = [kinds for item in rule.definition["all"] for kinds in map(partition._kinds, item.values())
                     if kinds & found.kinds]
            assert len(split) <= 1, (rule.name, found)



def test_parts_run_one_by_one_again_until_none_missed_a_derived_fact(monkeypatch: pytest.MonkeyPatch) -> None:
    """An evaluation holds one part at a time in durable_rules (`once`: each deleted when done). Should a rule
    read a fact derived in its own stratum (the compiler puts such readers a stratum later, as their falsity
    negates it, so this is shown on the runtime itself), a fact derived in a late part from its one `a` with
    k 7 is read with every `a`: the parts run before it run again with it, to the activations of the parts
    held at once, where it is copied into each."""
    from engine import runtime as runtime_module

    engine = runtime_module.runtime()
    name = "one-by-one-test"
    engine.ensure(name, {
        "seven": {"all": [{"gate": {"kind": "$go"}}, {"p": {"$and": [{"kind": "a"}, {"k": 7}]}}]},
        "each": {"all": [{"gate": {"kind": "$go"}}, {"d": {"kind": "d"}}, {"p": {"kind": "a"}}]}})
    parts = partition.Parts(6, frozenset({"a"}))
    facts = [{"id": f"a{n:03d}", "kind": "a", "k": n} for n in range(60)]
    assert parts.of(facts[7], "a007") != 0  # the seven is not in the first part
    deleted: list[str] = []
    real = runtime_module.Runtime._delete
    monkeypatch.setattr(runtime_module.Runtime, "_delete",
                        lambda self, name, sub: (deleted.append(sub), real(self, name, sub))[1])

    def run(once: bool) -> set[tuple[str, tuple[str, ...]]]:
        fired: set[tuple[str, tuple[str, ...]]] = set()

        def on_fire(rule: str, matched: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
            fired.add((rule, tuple(sorted(fact_id(f) for alias, f in matched.items() if alias != "gate"))))
            return [{"id": "d1", "kind": "d"}] if rule == "seven" else []

        sid = runtime_module.state_id()
        try:
            engine.update(name, sid, on_fire, add=facts, gates=["$go"], parts=parts, once=once)
        finally:
            engine.drop(name, sid)
        return fired

    held_together = run(once=False)
    assert len(held_together) == 61  # seven once, each with every a
    deleted.clear()  # (the parts held together were deleted by the drop)
    assert run(once=True) == held_together
    assert len(set(deleted)) == parts.count < len(deleted)  # every part deleted, some after a second run
