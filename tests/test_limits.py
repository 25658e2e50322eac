"""Packs larger than one durable_rules ruleset holds (engine.limits) evaluate correctly, or are refused.

Each pack is written in tmp_path: N rules testing one field of one kind, and the recommendation is
compared with a plain-Python reference. Raw durable_rules crashes, errs or spins on each of these
(tests/test_runtime.py); so did the engine before it split rulesets and compiled large `in:` sets apart.
"""

from __future__ import annotations

import datetime as dt
import operator
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.compiler import compile_pack
from engine.errors import InputError
from engine.evaluate import evaluate
from engine.limits import MAX_IN_VALUES, TooLarge, split
from engine.model import Fact, FactSource, Pack
from engine.runtime import GATE, Runtime
from engine.validate import load_pack

AS_OF = dt.date(2021, 6, 1)
OPS: dict[str, Callable[[int, int], bool]] = {"eq": operator.eq, "gte": operator.ge, "lt": operator.lt}
Fires = Callable[[list[int], int], bool]  # the reference: whether rule i fires on facts of these levels


def by_any(op: str) -> Fires:
    """Rule i fires when some fact's level passes `level OP i`."""
    return lambda levels, i: any(OPS[op](level, i) for level in levels)


def write_pack(folder: Path, conditions: list[str], state: bool, extra: str = "", fields: int = 1) -> Path:
    """A pack whose rule r{i} responds r{i} when conditions[i] holds of a `signal` fact's `level`; `extra`
    holds more rules, ahead of those (and a derived kind `mark` and a response `marked` to use there);
    `signal` has `fields` fields in all."""
    more = "".join(f"\n      f{i}: {{type: integer, optional: true}}" for i in range(fields - 1))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pack.yaml").write_text(f"""
pack: {{name: limits, version: "1"}}
sources: {{s: {{title: Synthetic}}}}
vocabulary:
  signal:
    subjects: [alpha]
    state: {str(state).lower()}
    fields:
      level: {{type: integer}}{more}
  mark:
    subjects: [alpha]
    state: true
    derived: true
    fields:
      value: {{type: enum, values: [high]}}
""", encoding="utf-8")
    (folder / "responses.yaml").write_text("responses:\n  marked: {category: principle, text: Marked.}\n" + "".join(
        f"  r{i}: {{category: principle, text: Respond {i}.}}\n" for i in range(len(conditions))), encoding="utf-8")
    (folder / "rules.yaml").write_text("rules:\n" + extra + "".join(f"""
  - id: r{i}
    cites: [{{source: s, para: 1, quote: q}}]
    when: {condition}
    then: [{{respond: r{i}}}]
""" for i, condition in enumerate(conditions)), encoding="utf-8")
    return folder


def signal(fid: str, level: int, observed: dt.date = dt.date(2021, 1, 1)) -> Fact:
    return Fact(id=fid, kind="signal", subject="alpha", observed=observed, fields={"level": level},
                source=FactSource(title="t", ref="r", date=observed), reliability="A", credibility=1)


def compared(pack: Pack, facts: list[Fact], fires: Fires, count: int) -> None:
    """The engine's recommendation and rule outcomes against the reference."""
    evaluation = evaluate(pack, facts, AS_OF)
    levels = [int(f.fields["level"]) for f in facts]
    expected = {f"r{i}" for i in range(count) if fires(levels, i)}
    assert set(evaluation.response_ids()) == expected
    status = {o.rule: o.status for o in evaluation.rules}
    assert {r for r, s in status.items() if s == "fired"} == expected
    assert {r for r, s in status.items() if s == "else"} == {f"r{i}" for i in range(count)} - expected
    assert expected  # the comparison is not vacuous


@pytest.mark.parametrize("count", [65, 127, 200])
@pytest.mark.parametrize("op", ["eq", "gte"])
def test_many_rules_on_one_field_of_a_state_kind(tmp_path: Path, op: str, count: int) -> None:
    """Each rule compiles to `level OP i` and its else to the opposite, all matched by one fact."""
    conditions = [f"{{fact: signal, subject: alpha, where: {{level: {{{op}: {i}}}}}}}" for i in range(count)]
    pack = load_pack(write_pack(tmp_path / "rules", conditions, state=True))
    assert len(compile_pack(pack).strata) > 1  # split over rulesets
    for level in (count // 2, count - 1):
        compared(pack, [signal("s", level)], by_any(op), count)


@pytest.mark.parametrize("count", [65, 200])
def test_many_rules_on_one_field_of_an_event_kind(tmp_path: Path, count: int) -> None:
    """Events accumulate: several facts, each rule fired by any of them; the else branches are negations."""
    conditions = [f"{{fact: signal, subject: alpha, where: {{level: {{lt: {i}}}}}}}" for i in range(count)]
    pack = load_pack(write_pack(tmp_path / "rules", conditions, state=False))
    compared(pack, [signal("a", count // 2), signal("b", count - 3), signal("c", count + 5)], by_any("lt"), count)


@pytest.mark.parametrize("state", [True, False])
@pytest.mark.parametrize("size", [512, 2000])
def test_in_with_hundreds_or_thousands_of_values(tmp_path: Path, size: int, state: bool) -> None:
    """`in:` of 512 or 2000 values, in then and else branches, on rules that share and do not share a set."""
    sets = [range(i * 7, i * 7 + size) for i in range(4)] + [range(0, 2 * size, 2)]
    conditions = [f"{{fact: signal, subject: alpha, where: {{level: {{in: {list(values)}}}}}}}" for values in sets]
    conditions.append(f"{{not: {conditions[0]}}}")
    pack = load_pack(write_pack(tmp_path / "rules", conditions, state=state))

    def fires(levels: list[int], i: int) -> bool:
        if i == len(sets):  # not: no counting fact in the first set
            return not any(level in sets[0] for level in levels)
        return any(level in sets[i] for level in levels)

    for level in (10, 2 * size - 1, 2 * size):
        facts = [signal("s", level)] if state else [signal("s", level), signal("t", level + 21)]
        compared(pack, facts, fires, len(conditions))


def test_a_rule_too_large_for_any_ruleset_is_refused_where_it_is_written(tmp_path: Path) -> None:
    """One rule of 65 tests on one event kind (which would need 65 matching tests below one node) cannot be
    split: a located refusal, exit 2, from `check` and `evaluate` alike (in a subprocess: before, the process
    crashed). The compiler shares tests on an event kind out over facts, so it is refused as too complex
    before the ruleset model is asked; `test_a_pattern_with_too_many_in_tests_is_refused_where_it_is_written` reaches `too-large`."""
    patterns = ", ".join(f"{{fact: signal, subject: alpha, where: {{level: {{gte: {i}}}}}}}" for i in range(65))
    folder = write_pack(tmp_path / "rules", [f"{{all: [{patterns}]}}", "{fact: signal, subject: alpha}"], state=False)
    with pytest.raises(InputError) as caught:
        compile_pack(load_pack(folder))
    (problem,) = caught.value.problems
    assert problem.code == "too-complex" and "expands to more than" in problem.message
    assert (problem.location.file, problem.location.line) == (str(folder / "rules.yaml"), 3)
    empty = tmp_path / "facts.yaml"
    empty.write_text("facts: []\n", encoding="utf-8")
    for command in (["check"], ["evaluate", "--no-audit"]):
        done = subprocess.run([sys.executable, "-m", "engine", *command, "--rules", str(folder), str(empty)],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith(f"{folder / 'rules.yaml'}:3:5: too-complex: rule 'r0' expands to more than")


def test_the_cli_evaluates_a_pack_that_crashed_it(tmp_path: Path) -> None:
    """65 equality rules on a state kind: before, `evaluate` died of SIGABRT (munmap_chunk)."""
    conditions = [f"{{fact: signal, subject: alpha, where: {{level: {i}}}}}" for i in range(65)]
    folder = write_pack(tmp_path / "rules", conditions, state=True)
    facts = tmp_path / "facts.yaml"
    facts.write_text("facts:\n  - {id: s, kind: signal, subject: alpha, observed: 2021-01-01, level: 64,\n"
                     "     source: {title: t, ref: r, date: 2021-01-01}, reliability: A, credibility: 1}\n",
                     encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "engine", "evaluate", "--no-audit", "--rules", str(folder),
                           "--as-of", "2021-06-01", "--format", "json", str(facts)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert '"id": "r64"' in done.stdout and '"id": "r63"' not in done.stdout


@pytest.mark.parametrize("equalities, rulesets", [(70, 2), (130, 3)])
def test_a_split_pack_derives_across_its_rulesets_and_steps_like_from_scratch(equalities: int, rulesets: int,
                                                                              tmp_path: Path) -> None:
    """The rule reading `mark` is written first, the one deriving it last: once the stratum is split, the
    deriver must still run in the same or an earlier ruleset. A session, date by date, equals from scratch."""
    from engine.session import Session

    reader = """
  - id: reads-mark
    cites: [{source: s, para: 1, quote: q}]
    when: {fact: mark, subject: alpha, where: {value: high}}
    then: [{respond: marked}]
"""
    conditions = [f"{{fact: signal, subject: alpha, where: {{level: {i}}}}}" for i in range(equalities)]
    conditions.append("{fact: signal, subject: alpha, where: {level: {gte: 100}}}")
    folder = write_pack(tmp_path / "rules", conditions, state=True, extra=reader)
    rules = folder / "rules.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace(f"then: [{{respond: r{equalities}}}]",
                     f"then: [{{respond: r{equalities}}}, {{derive: {{kind: mark, value: high}}}}]"), encoding="utf-8")
    pack = load_pack(folder)
    compiled = compile_pack(pack)
    assert len(compiled.strata) == rulesets
    where = {rule.rule: n for n, stratum in enumerate(compiled.strata) for rule in stratum.rules}
    assert where[f"r{equalities}"] <= where["reads-mark"]
    facts = [signal("jan", 40, dt.date(2021, 1, 1)), signal("mar", 120, dt.date(2021, 3, 1)),
             signal("may", 7, dt.date(2021, 5, 1))]
    with Session(pack, facts) as session:
        for as_of in [dt.date(2021, m, 15) for m in (1, 3, 5, 3, 1, 3)]:
            stepped, fresh = session.evaluate(as_of), evaluate(pack, facts, as_of)
            assert stepped.model_dump(exclude={"run_id"}) == fresh.model_dump(exclude={"run_id"})
            level = {1: 40, 3: 120, 5: 7}[as_of.month]
            assert ("marked" in stepped.response_ids()) == (level >= 100)
            assert (f"r{level}" in stepped.response_ids()) == (level < equalities)


def _rule(kind: str, test: dict[str, object]) -> dict[str, object]:
    return {"all": [GATE, {"m": {"$and": [{"kind": kind}, test]}}]}


# Rulesets past each limit measured in tests/test_runtime.py, the fact that hits it, and how many rules it fires.
PAST_LIMITS = {
    "65 tests one fact satisfies": ([_rule("x", {"$gte": {"v": i}}) for i in range(65)], {"kind": "x", "v": 100}, 65),
    "512 tests below one node": ([_rule("x", {"v": i}) for i in range(512)], {"kind": "x", "v": 7}, 1),
    "258 rules on the gate": ([_rule("x", {"v": i % 2}) for i in range(258)], {"kind": "x", "v": 1}, 129),
    "4,097 rules": ([{"all": [{"m": {"$and": [{"kind": f"k{i // 100}"}, {"v": i % 100}]}}]} for i in range(4097)],
                    {"kind": "k3", "v": 5}, 1),
}


@pytest.mark.parametrize("name", PAST_LIMITS)
def test_the_model_splits_rulesets_where_durable_rules_fails(name: str) -> None:
    """engine.limits against durable_rules itself: each group it makes registers, and the fact that
    would have hit the limit fires every rule it should across the groups."""
    definitions, fact, fires = PAST_LIMITS[name]
    groups = split(definitions, lambda d: d)
    assert len(groups) > 1
    fired: list[str] = []
    ours = Runtime()
    for group in groups:
        ruleset = f"limits-{uuid.uuid4().hex[:8]}"
        ours.ensure(ruleset, {f"r{n}": d for n, d in enumerate(group)})
        ours.run(ruleset, [{"id": "f", **fact}], lambda rule, matched: fired.append(rule) or [])
    assert len(fired) == fires


def test_an_in_of_512_values_is_too_large_for_any_ruleset_so_it_never_reaches_durable_rules() -> None:
    """Past MAX_IN_VALUES the compiler posts a membership instead (tests above); the $or would not fit."""
    with pytest.raises(TooLarge):
        split([_rule("x", {"$or": [{"v": i} for i in range(512)]})], lambda d: d)
    assert MAX_IN_VALUES < 512


def test_large_in_tests_count_towards_the_properties_of_a_fact(tmp_path: Path) -> None:
    """Each distinct large `in:` set is one more property on the facts of its kind (at most 255 in all)."""
    conditions = [f"{{fact: signal, subject: alpha, where: {{level: {{in: {list(range(i, i + 100))}}}}}}}"
                  for i in range(8)]
    pack = load_pack(write_pack(tmp_path / "fits", conditions[:7], state=True, fields=240))
    compared(pack, [signal("s", 3)], lambda levels, i: levels[0] in range(i, i + 100), 7)
    folder = write_pack(tmp_path / "over", conditions, state=True, fields=240)
    with pytest.raises(InputError) as caught:
        compile_pack(load_pack(folder))
    (problem,) = caught.value.problems
    assert problem.code == "too-many-properties" and problem.message.startswith("8 different large in: tests")
    assert (problem.location.file, problem.location.line) == (str(folder / "rules.yaml"), 3 + 5 * 7)


def test_a_pattern_with_too_many_in_tests_is_refused_where_it_is_written(tmp_path: Path) -> None:
    """An `in:` is a disjunction, two of the 31 operations durable_rules evaluates a pattern with: an event
    pattern takes 14 (its falsity is the same pattern, negated), not 15."""
    def pack_with(tests: int) -> Path:
        where = ", ".join(f"f{j}: {{in: [1, 2]}}" for j in range(tests))
        return write_pack(tmp_path / f"in-{tests}", [f"{{fact: signal, subject: alpha, where: {{{where}}}}}"],
                          state=False, fields=16)
    evaluation = evaluate(load_pack(pack_with(14)), [signal("s", 1)], AS_OF)
    assert [o.status for o in evaluation.rules] == ["else"]
    folder = pack_with(15)
    with pytest.raises(InputError) as caught:
        compile_pack(load_pack(folder))
    (problem,) = caught.value.problems
    assert problem.code == "too-large" and "a pattern of more than 31 operations" in problem.message
    assert (problem.location.file, problem.location.line) == (str(folder / "rules.yaml"), 3)


@pytest.mark.parametrize("values, membership", [(MAX_IN_VALUES, False), (MAX_IN_VALUES + 1, True)])
def test_an_in_past_the_bound_and_only_past_it_becomes_a_membership(values: int, membership: bool,
                                                                     tmp_path: Path) -> None:
    """Up to 64 values durable_rules tests them itself; past that, as each fact is posted."""
    folder = write_pack(tmp_path / "rules", [f"{{fact: signal, subject: alpha, where: {{level: {{in: "
                                             f"{list(range(values))}}}}}}}"], state=True)
    compiled = compile_pack(load_pack(folder))
    assert bool(compiled.memberships) is membership
    evaluation = evaluate(load_pack(folder), [signal("s", values - 1)], AS_OF)
    assert [o.status for o in evaluation.rules] == ["fired"]


def test_a_stratum_that_fits_keeps_the_packs_rule_order(tmp_path: Path) -> None:
    """Rules are reordered (derivers first) only when a stratum is split into several rulesets."""
    extra = """
  - id: reads_mark
    title: t
    cites: [{source: s, para: 1, quote: q}]
    when: {fact: mark, subject: alpha, where: {value: high}}
    then: [{respond: marked}]
  - id: makes_mark
    title: t
    cites: [{source: s, para: 1, quote: q}]
    when: {fact: signal, subject: alpha, where: {level: {gte: 1}}}
    then: [{derive: {kind: mark, value: high}}]
"""
    folder = write_pack(tmp_path / "rules", ["{fact: signal, subject: alpha, where: {level: 0}}"], state=True,
                        extra=extra)
    compiled = compile_pack(load_pack(folder))
    assert len(compiled.strata) == 1
    order = list(dict.fromkeys(item.rule for item in compiled.strata[0].rules))
    assert order == ["reads_mark", "makes_mark", "r0"]


def test_a_later_stratum_split_is_numbered_on_and_still_sees_what_came_before(tmp_path: Path) -> None:
    """70 rules negating a derived kind run after the rule deriving it, in a stratum of their own that is
    split in two: each ruleset gets the next number (it names the ruleset in durable_rules)."""
    conditions = [f"{{all: [{{fact: signal, subject: alpha, where: {{level: {i}}}}}, "
                  f"{{none: {{fact: mark, subject: alpha}}}}]}}" for i in range(70)]
    conditions.append("{fact: signal, subject: alpha, where: {level: {gte: 50}}}")
    folder = write_pack(tmp_path / "rules", conditions, state=True)
    rules = folder / "rules.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace(
        "then: [{respond: r70}]", "then: [{respond: r70}, {derive: {kind: mark, value: high}}]"), encoding="utf-8")
    pack = load_pack(folder)
    compiled = compile_pack(pack)
    assert [stratum.index for stratum in compiled.strata] == [0, 1, 2]
    assert {item.rule for item in compiled.strata[0].rules} == {"r70"}
    for level, recommended in ((3, ["r3"]), (60, ["r70"]), (69, ["r70"]), (40, ["r40"])):
        assert sorted(evaluate(pack, [signal("s", level)], AS_OF).response_ids()) == recommended
