"""Rule semantics on small packs: fired / else / undetermined, not / none, joins, strata, cycles."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from engine.errors import InputError
from engine.evaluate import evaluate
from engine.model import Fact, FactSource, Pack

PACK = """
pack: {name: tiny, version: "1"}
sources: {s: {title: Source}}
vocabulary:
  weather:
    subjects: [city]
    state: true
    fields:
      sky: {type: enum, values: [sunny, rainy]}
      temp: {type: number}
  visit:
    subjects: [city]
    state: false
    fields:
      by: {type: string}
      day: {type: date}
  guest:
    subjects: [city]
    state: false
    fields:
      name: {type: string}
  mood:
    subjects: [city]
    state: true
    derived: true
    fields:
      value: {type: enum, values: [good, bad]}
"""
RESPONSES = """
responses:
  picnic: {category: offer, text: Have a picnic.}
  indoors: {category: principle, text: Stay in.}
  cheer: {category: messaging, text: Cheer up.}
  host: {category: messaging, text: Host the visitor.}
  lonely: {category: risk, text: Nobody came.}
"""
C = "cites: [{source: s, para: 1, quote: q}]"


def fact(fid: str, kind: str, observed: str = "2021-01-01", **fields: object) -> Fact:
    return Fact(id=fid, kind=kind, subject="city", observed=dt.date.fromisoformat(observed),
                fields=fields, source=FactSource(title="t", ref="r", date=dt.date(2021, 1, 1)),
                reliability="A", credibility=1)


def outcome(evaluation, rule: str) -> tuple[str, tuple[str, ...]]:  # type: ignore[no-untyped-def]
    found = next(o for o in evaluation.rules if o.rule == rule)
    return found.status, found.missing


AS_OF = dt.date(2021, 6, 1)


@pytest.fixture
def tiny(make_pack: Callable[..., Pack]) -> Pack:
    return make_pack(PACK, responses=RESPONSES, rules=f"""
        rules:
          - id: sunny
            {C}
            when: {{fact: weather, where: {{sky: sunny, temp: {{gte: 18}}}}}}
            then: [{{respond: picnic}}]
            else: [{{respond: indoors}}]
          - id: not-rainy
            {C}
            when: {{not: {{fact: weather, where: {{sky: rainy}}}}}}
            then: [{{derive: {{kind: mood, value: good}}}}]
          - id: no-visit
            {C}
            when: {{none: {{fact: visit}}}}
            then: [{{respond: lonely}}]
          - id: cheer
            {C}
            when: {{fact: mood, where: {{value: good}}}}
            then: [{{respond: cheer}}]
          - id: join
            {C}
            when:
              all:
                - {{fact: visit, as: v}}
                - {{fact: guest, where: {{name: {{eq: {{ref: v.by}}}}}}}}
            then: [{{respond: host}}]
    """)


def test_fired_and_else_and_undetermined(tiny: Pack) -> None:
    fired = evaluate(tiny, [fact("w", "weather", sky="sunny", temp=21)], AS_OF)
    assert outcome(fired, "sunny") == ("fired", ())
    assert "picnic" in fired.response_ids() and "indoors" not in fired.response_ids()

    cold = evaluate(tiny, [fact("w", "weather", sky="sunny", temp=9)], AS_OF)
    assert outcome(cold, "sunny") == ("else", ())
    assert "indoors" in cold.response_ids() and "picnic" not in cold.response_ids()

    unknown = evaluate(tiny, [], AS_OF)
    assert outcome(unknown, "sunny") == ("undetermined", ("weather:city",))
    assert {"picnic", "indoors"}.isdisjoint(unknown.response_ids())
    assert {u.rule for u in unknown.undetermined} == {"sunny", "not-rainy", "cheer"}


def test_not_is_kleene_and_none_is_closed_world(tiny: Pack) -> None:
    rainy = evaluate(tiny, [fact("w", "weather", sky="rainy", temp=12)], AS_OF)
    assert outcome(rainy, "not-rainy")[0] == "else"
    assert outcome(rainy, "no-visit")[0] == "fired"
    sunny = evaluate(tiny, [fact("w", "weather", sky="sunny", temp=12), fact("v", "visit", by="ann",
                                                                          day=dt.date(2021, 2, 1))], AS_OF)
    assert outcome(sunny, "not-rainy")[0] == "fired"
    assert outcome(sunny, "no-visit")[0] == "else"
    # forward chaining: not-rainy derives mood good, which cheer matches
    assert outcome(sunny, "cheer")[0] == "fired"
    assert [(d.kind, d.value, d.rule) for d in sunny.derived] == [("mood", "good", "not-rainy")]
    assert "w" in sunny.derived[0].facts


def test_join_on_a_shared_field(tiny: Pack) -> None:
    day = dt.date(2021, 2, 1)
    match = evaluate(tiny, [fact("v", "visit", by="ann", day=day), fact("g", "guest", name="ann")], AS_OF)
    assert outcome(match, "join")[0] == "fired"
    assert next(r for r in match.responses if r.id == "host").facts == ("g", "v")
    other = evaluate(tiny, [fact("v", "visit", by="ann", day=day), fact("g", "guest", name="bob")], AS_OF)
    assert outcome(other, "join")[0] == "else"
    assert "host" not in other.response_ids()


def test_negating_a_derived_kind_runs_in_a_later_stratum(make_pack: Callable[..., Pack]) -> None:
    from engine.compiler import compile_pack

    pack = make_pack(PACK, responses=RESPONSES, rules=f"""
        rules:
          - id: derive
            {C}
            when: {{fact: visit}}
            then: [{{derive: {{kind: mood, value: good}}}}]
          - id: gloomy
            {C}
            when: {{none: {{fact: mood}}}}
            then: [{{respond: lonely}}]
    """)
    assert len(compile_pack(pack).strata) == 2
    visited = evaluate(pack, [fact("v", "visit", by="x", day=dt.date(2021, 1, 2))], AS_OF)
    assert "lonely" not in visited.response_ids()
    assert "lonely" in evaluate(pack, [], AS_OF).response_ids()


def test_a_derivation_cycle_is_rejected_naming_its_rules(make_pack: Callable[..., Pack]) -> None:
    from engine.compiler import compile_pack

    pack = make_pack(PACK, responses=RESPONSES, rules=f"""
        rules:
          - id: flip
            {C}
            when: {{none: {{fact: mood, where: {{value: good}}}}}}
            then: [{{derive: {{kind: mood, value: good}}}}]
    """)
    with pytest.raises(InputError) as caught:
        compile_pack(pack)
    assert caught.value.problems[0].code == "derivation-cycle"
    assert "flip → flip" in caught.value.problems[0].message


def test_as_of_window_and_validity(tiny: Pack) -> None:
    late = fact("w", "weather", observed="2021-07-01", sky="sunny", temp=30)
    evaluation = evaluate(tiny, [late], AS_OF)
    assert outcome(evaluation, "sunny")[0] == "undetermined"
    assert evaluation.not_counted[0].reason.startswith("not yet observed")
    expired = late.model_copy(update={"observed": dt.date(2021, 1, 1), "valid_until": dt.date(2021, 3, 1)})
    assert evaluate(tiny, [expired], AS_OF).not_counted[0].reason.startswith("expired")
    assert outcome(evaluate(tiny, [expired], dt.date(2021, 2, 1)), "sunny")[0] == "fired"


def test_a_longer_positive_cycle_is_rejected_too(make_pack: Callable[..., Pack]) -> None:
    from engine.compiler import compile_pack

    pack = make_pack(PACK.replace("      value: {type: enum, values: [good, bad]}", """      value: {type: enum, values: [good, bad]}
  tone:
    subjects: [city]
    state: true
    derived: true
    fields:
      value: {type: enum, values: [up, down]}"""), responses=RESPONSES, rules=f"""
        rules:
          - id: a
            {C}
            when: {{fact: tone, where: {{value: up}}}}
            then: [{{derive: {{kind: mood, value: good}}}}]
          - id: b
            {C}
            when: {{fact: mood, where: {{value: good}}}}
            then: [{{derive: {{kind: tone, value: up}}}}]
    """)
    with pytest.raises(InputError) as caught:
        compile_pack(pack)
    assert caught.value.problems[0].code == "derivation-cycle"
    assert caught.value.problems[0].message.endswith("a → b → a")


def test_a_join_that_holds_for_one_visit_is_not_also_false(tiny: Pack) -> None:
    """Regression: the falsity of a join used to be 'some visit has no guest', firing beside the truth."""
    day = dt.date(2021, 2, 1)
    facts = [fact("v1", "visit", by="ann", day=day), fact("v2", "visit", by="bob", day=day),
             fact("g", "guest", name="ann")]
    evaluation = evaluate(tiny, facts, AS_OF)
    assert outcome(evaluation, "join")[0] == "fired"
    assert {f.branch for f in evaluation.firings if f.rule == "join"} == {"then"}
    assert outcome(evaluate(tiny, facts[1:], AS_OF), "join")[0] == "else"


@pytest.mark.parametrize("when, extra, code", [
    ("{all: [{fact: visit, as: v}, {fact: guest, where: {name: {eq: {ref: v.by}}}}]}", "else: [{respond: lonely}]",
     "else-on-join"),
    ("{all: [{fact: visit, as: v}, {not: {fact: guest, where: {name: {eq: {ref: v.by}}}}}]}", "", "not-on-join"),
])
def test_what_a_join_cannot_have(make_pack: Callable[..., Pack], when: str, extra: str, code: str) -> None:
    from engine.compiler import compile_pack

    pack = make_pack(PACK, responses=RESPONSES, rules=f"""
        rules:
          - id: j
            {C}
            when: {when}
            then: [{{respond: host}}]
            {extra}
    """)
    with pytest.raises(InputError) as caught:
        compile_pack(pack)
    assert caught.value.problems[0].code == code


def test_more_joins_on_one_kind_than_durable_rules_takes_is_refused(make_pack: Callable[..., Pack]) -> None:
    """Measured: a 65th rule joining on one kind makes durable_rules fail (error 303) and can abort."""
    from engine.compiler import MAX_JOINS_PER_KIND, compile_pack

    rules = "rules:\n" + "".join(f"""
  - id: j{i}
    {C}
    when: {{all: [{{fact: visit, as: v, where: {{by: "p{i}"}}}}, {{fact: guest, where: {{name: {{eq: {{ref: v.by}}}}}}}}]}}
    then: [{{respond: host}}]
""" for i in range(MAX_JOINS_PER_KIND + 1))
    with pytest.raises(InputError) as caught:
        compile_pack(make_pack(PACK, responses=RESPONSES, rules=rules))
    assert caught.value.problems[0].code == "too-many-joins"
    problem = caught.value.problems[0]
    assert problem.message == ("65 compiled rules join on kind 'guest' in one ruleset; durable_rules supports at "
                               "most 64 — join fewer rules on it (rules j0, j1, j10, j11, j12, …)")
    assert (problem.location.line, problem.location.column) == (3, 5)  # rule j0, the first of them
    fewer = "rules:\n" + "".join(f"""
  - id: j{i}
    {C}
    when: {{all: [{{fact: visit, as: v, where: {{by: "p{i}"}}}}, {{fact: guest, where: {{name: {{eq: {{ref: v.by}}}}}}}}]}}
    then: [{{respond: host}}]
""" for i in range(MAX_JOINS_PER_KIND))
    pack = make_pack(PACK, responses=RESPONSES, rules=fewer)
    evaluation = evaluate(pack, [fact("v", "visit", by="p3", day=dt.date(2021, 1, 2)), fact("g", "guest", name="p3")],
                          AS_OF)
    assert outcome(evaluation, "j3")[0] == "fired" and outcome(evaluation, "j4")[0] == "else"


def test_each_superseded_state_names_the_next_later_one(tiny: Pack) -> None:
    from engine.evidence import Evidence

    reports = [fact(f"w{m}", "weather", observed=f"2021-0{m}-01", sky="rainy", temp=m) for m in (1, 2, 3)]
    evidence = Evidence(reports[::-1], tiny)
    for as_of, expected in [
        (dt.date(2021, 3, 15), {"w1": "superseded by w2 (observed 2021-02-01), itself superseded",
                                "w2": "superseded by w3 (observed 2021-03-01)"}),
        (dt.date(2021, 2, 15), {"w1": "superseded by w2 (observed 2021-02-01)",
                                "w3": "not yet observed: observed 2021-03-01, after the as-of date"}),
        (dt.date(2021, 3, 15), {"w1": "superseded by w2 (observed 2021-02-01), itself superseded",
                                "w2": "superseded by w3 (observed 2021-03-01)"})]:
        counted, notes = evidence.at(as_of)
        assert {n.fact: n.reason for n in notes} == expected, as_of
        assert len(counted) == 1 and counted[0].id not in expected
        assert (counted, notes) == Evidence(reports, tiny).at(as_of)  # incremental = afresh
