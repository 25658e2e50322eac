"""The compiler's truth and falsity, pinned where a hand-applied mutant once went unnoticed.

Each test evaluates a one-rule pack through the real engine and checks the rule's outcome (fired, else,
undetermined) against the condition read literally. Together they fail if any entry of the negation
table, the negated `in`, the falsity of a test-less state pattern, De Morgan for `any`, the order of
negations in a compiled rule or the cap on alternatives changes (`make mutants` applies those changes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from test_semantics import AS_OF, PACK, RESPONSES, C, fact, outcome

from engine.compiler import MAX_CONJUNCTIONS, compile_pack
from engine.errors import InputError
from engine.evaluate import evaluate
from engine.model import Fact, Pack

MakePack = Callable[..., Pack]


def one_rule(make_pack: MakePack, when: str, otherwise: str = "else: [{respond: indoors}]") -> Pack:
    return make_pack(PACK, responses=RESPONSES, rules=f"""
        rules:
          - id: r
            {C}
            when: {when}
            then: [{{respond: picnic}}]
            {otherwise}
    """)


def weather(sky: str = "sunny", temp: float = 20) -> list[Fact]:
    return [fact("w", "weather", sky=sky, temp=temp)]


def status(pack: Pack, facts: list[Fact]) -> str:
    """The rule's outcome; a rule never takes both branches at once."""
    evaluation = evaluate(pack, facts, AS_OF)
    assert len({f.branch for f in evaluation.firings if f.rule == "r"}) <= 1
    return outcome(evaluation, "r")[0]


HOLDS = {"eq": lambda t: t == 20, "ne": lambda t: t != 20, "lt": lambda t: t < 20, "lte": lambda t: t <= 20,
         "gt": lambda t: t > 20, "gte": lambda t: t >= 20, "in": lambda t: t in (19, 21)}


@pytest.mark.parametrize("op", sorted(HOLDS))
def test_each_comparison_and_its_negation_at_the_boundary(make_pack: MakePack, op: str) -> None:
    """Below, at and above the bound: fired exactly where the test holds, else everywhere it does not."""
    value = "[19, 21]" if op == "in" else "20"
    pack = one_rule(make_pack, f"{{fact: weather, where: {{temp: {{{op}: {value}}}}}}}")
    for temp in (18, 19, 20, 21, 22):
        evaluation = evaluate(pack, weather(temp=temp), AS_OF)
        branch = "then" if HOLDS[op](temp) else "else"
        assert {f.branch for f in evaluation.firings} == {branch}, (op, temp)
        assert evaluation.response_ids() == (["picnic"] if branch == "then" else ["indoors"]), (op, temp)


def test_a_negated_in_is_false_only_when_no_value_matches(make_pack: MakePack) -> None:
    pack = one_rule(make_pack, "{not: {fact: weather, where: {sky: {in: [sunny]}}}}")
    assert status(pack, weather(sky="rainy")) == "fired"
    assert status(pack, weather(sky="sunny")) == "else"


def test_a_state_pattern_without_tests_is_never_false(make_pack: MakePack) -> None:
    """Absent, a state is unknown (not false); present, a pattern with no tests holds."""
    pack = one_rule(make_pack, "{fact: weather}")
    assert status(pack, []) == "undetermined"
    assert status(pack, weather()) == "fired"
    negated = one_rule(make_pack, "{not: {fact: weather}}")
    assert status(negated, []) == "undetermined"
    assert status(negated, weather()) == "else"


ANY_OF_TWO_KINDS = "{any: [{fact: weather, where: {sky: sunny}}, {fact: visit, where: {by: ann}}]}"
VISIT = fact("v", "visit", by="ann", day=dt.date(2021, 2, 1))


def test_any_is_false_only_when_every_alternative_is_false(make_pack: MakePack) -> None:
    """De Morgan: one alternative true makes `any` true, and then its else branch must not fire."""
    pack = one_rule(make_pack, ANY_OF_TWO_KINDS)
    for facts, expected in [(weather(sky="sunny"), "fired"), ([*weather(sky="rainy"), VISIT], "fired"),
                            (weather(sky="rainy"), "else")]:
        evaluation = evaluate(pack, facts, AS_OF)
        assert outcome(evaluation, "r")[0] == expected
        assert evaluation.response_ids() == (["picnic"] if expected == "fired" else ["indoors"])
        assert {f.branch for f in evaluation.firings} == ({"then"} if expected == "fired" else {"else"})


@pytest.mark.parametrize("sky, temp, expected", [("sunny", 10, "fired"), ("rainy", 25, "fired"),
                                                 ("rainy", 10, "else"), ("sunny", 30, "fired")])
def test_any_over_one_state_fact_reaches_its_else(make_pack: MakePack, sky: str, temp: int, expected: str) -> None:
    """Regression: the negated alternatives of one state were compiled as two facts; the else never fired."""
    pack = one_rule(make_pack, "{any: [{fact: weather, where: {sky: sunny}}, {fact: weather, where: {temp: {gte: 20}}}]}")
    evaluation = evaluate(pack, weather(sky=sky, temp=temp), AS_OF)
    assert outcome(evaluation, "r")[0] == expected
    assert evaluation.response_ids() == (["picnic"] if expected == "fired" else ["indoors"])


@pytest.mark.parametrize("sky, temp, expected", [("sunny", 30, "fired"), ("sunny", 10, "else"),
                                                 ("rainy", 30, "else")])
def test_all_over_one_state_fact_can_fire(make_pack: MakePack, sky: str, temp: int, expected: str) -> None:
    """Regression: two patterns on one state needed two facts of it, so `all` of them never held."""
    pack = one_rule(make_pack, "{all: [{fact: weather, where: {sky: sunny}}, {fact: weather, where: {temp: {gte: 20}}}]}")
    assert status(pack, weather(sky=sky, temp=temp)) == expected


VISIT_TESTS = ["{fact: visit, where: {by: ann}}", "{fact: visit, where: {day: {gte: 2021-02-01}}}",
               "{fact: visit, where: {by: {in: [ann, bob]}}}", "{fact: visit, where: {day: {lt: 2021-03-01}}}"]


def visits(*seen: tuple[str, str]) -> list[Fact]:
    return [fact(f"v{n}", "visit", by=by, day=dt.date.fromisoformat(day)) for n, (by, day) in enumerate(seen)]


@pytest.mark.parametrize("seen, expected, activations", [
    ((("ann", "2021-02-01"),), "fired", 1),  # one visit passes both tests
    ((("ann", "2021-01-01"), ("bob", "2021-02-01")), "fired", 1),  # each test passed by a visit of its own
    ((("ann", "2021-01-01"), ("ann", "2021-02-02")), "fired", 2),  # v1 alone, or v0 (by ann) with v1 (February)
    ((("ann", "2021-01-01"),), "else", 0),  # no visit on or after February
])
def test_all_over_one_event_kind_rests_on_one_fact_or_several(make_pack: MakePack, seen: tuple[tuple[str, str], ...],
                                                              expected: str, activations: int) -> None:
    """Regression: durable_rules gave each pattern a fact of its own, so one visit passing both tests decided nothing."""
    pack = one_rule(make_pack, f"{{all: [{VISIT_TESTS[0]}, {VISIT_TESTS[1]}]}}")
    evaluation = evaluate(pack, visits(*seen), AS_OF)
    assert outcome(evaluation, "r")[0] == expected
    assert sum(f.branch == "then" for f in evaluation.firings) == activations


@pytest.mark.parametrize("tests, alternatives", [(1, 1), (2, 2), (3, 5), (4, 15)])
def test_tests_on_one_event_kind_are_shared_out_every_way(make_pack: MakePack, tests: int, alternatives: int) -> None:
    """One alternative per way of sharing the tests out over facts (the Bell numbers)."""
    when = f"{{all: [{', '.join((VISIT_TESTS * 2)[:tests])}]}}"
    compiled = compile_pack(one_rule(make_pack, when, otherwise=""))
    assert sum(1 for name in compiled.by_name if name.startswith("r|then|")) == alternatives
    assert status(one_rule(make_pack, when), visits(("ann", "2021-02-01"))) == "fired"


def test_up_to_six_tests_on_one_event_kind_compile_and_seven_are_refused(make_pack: MakePack) -> None:
    """Six tests on one kind can be shared out in 203 ways; seven in 877, more than the cap on alternatives."""
    six = compile_pack(one_rule(make_pack, f"{{all: [{', '.join((VISIT_TESTS * 2)[:6])}]}}", otherwise=""))
    assert sum(1 for name in six.by_name if name.startswith("r|then|")) == 203
    when = f"{{all: [{', '.join((VISIT_TESTS * 2)[:7])}]}}"
    with pytest.raises(InputError) as caught:
        compile_pack(one_rule(make_pack, when, otherwise=""))
    assert [p.code for p in caught.value.problems] == ["too-complex"]


def visits_and_guests(*names: tuple[str, str]) -> list[Fact]:
    day = dt.date(2021, 2, 1)
    return [fact(f"{kind}-{name}", kind, **({"by": name, "day": day} if kind == "visit" else {"name": name}))
            for kind, name in names]


def test_a_negation_comes_after_the_pattern_it_joins(make_pack: MakePack) -> None:
    """Ann's visit with no guest of hers; Bob, another visitor without a guest, must not stand in for her."""
    pack = one_rule(make_pack, "{all: [{fact: visit, as: v, where: {by: ann}}, "
                               "{none: {fact: guest, where: {name: {eq: {ref: v.by}}}}}]}", otherwise="")
    assert status(pack, visits_and_guests(("visit", "ann"), ("visit", "bob"), ("guest", "ann"))) == "else"
    assert status(pack, visits_and_guests(("visit", "ann"), ("visit", "bob"), ("guest", "bob"))) == "fired"


def alternatives(count: int) -> str:
    temps = ", ".join(f"{{fact: weather, where: {{temp: {t}}}}}" for t in range(count))
    return f"{{all: [{{fact: weather, where: {{sky: sunny}}}}, {{any: [{temps}]}}]}}"


def test_the_cap_on_alternatives_is_exact(make_pack: MakePack) -> None:
    at_cap = compile_pack(one_rule(make_pack, alternatives(MAX_CONJUNCTIONS), otherwise=""))
    assert sum(1 for name in at_cap.by_name if name.startswith("r|then|")) == MAX_CONJUNCTIONS
    with pytest.raises(InputError) as caught:
        compile_pack(one_rule(make_pack, alternatives(MAX_CONJUNCTIONS + 1), otherwise=""))
    assert [(p.code, p.message) for p in caught.value.problems] == [
        ("too-complex", f"rule 'r' expands to more than {MAX_CONJUNCTIONS} alternatives; split it")]
