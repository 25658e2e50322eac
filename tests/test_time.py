"""Dates in the rule language (tests/packs/time) through the real engine, and the pack's named assumptions.

Each date test is decided in the Rete network against the observed day of facts and a clock fact that
carries the as-of date: each operator is checked on both sides of its boundary, a session moved day by day
is checked against a from-scratch evaluation of every day, and each mistake in writing one is refused at
its file:line.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from engine.cli import main
from engine.compiler import CLOCK_ID, compile_pack
from engine.evaluate import evaluate
from engine.explain import explain
from engine.model import Clock, Evaluation, Fact, FactSource, Pack, Ref
from engine.replay import restore_pack
from engine.session import Session
from engine.timeline import timeline
from engine.validate import load_facts, load_pack
from engine.whatif import assume, parse_assume

TIME = ROOT / "tests" / "packs" / "time"
BASE = TIME / "facts" / "base.yaml"
ACTION = dt.date(2021, 3, 1)  # act-1; trend-1 is observed 50 days later, notice-1 falls due on 15 May


@pytest.fixture(scope="module")
def pack() -> Pack:
    return load_pack(TIME)


@pytest.fixture(scope="module")
def base(pack: Pack) -> list[Fact]:
    return load_facts([BASE], pack)


def fact(fid: str, kind: str, observed: dt.date, subject: str, **fields: object) -> Fact:
    return Fact.model_validate({"id": fid, "kind": kind, "subject": subject, "observed": observed, "fields": fields,
                                "source": FactSource(title="t", ref="t", date=observed), "reliability": "B",
                                "credibility": 2})


def action(observed: dt.date, fid: str = "act", verified: bool = True) -> Fact:
    return fact(fid, "action", observed, "party", verified=verified)


def trend(observed: dt.date, change_pct: float = -30) -> Fact:
    return fact("trend", "attacks_trend", observed, "group", change_pct=change_pct)


def notice(due: dt.date) -> Fact:
    return fact("notice", "notice", dt.date(2021, 1, 1), "party", due=due)


def status(evaluation: Evaluation, rule: str) -> str:
    return next(o.status for o in evaluation.rules if o.rule == rule)


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


# --- each operator, on both sides of its boundary -----------------------------------------------------------

@pytest.mark.parametrize(("age", "expected"), [(0, "fired"), (1, "fired"), (90, "fired"), (91, "else"),
                                               (400, "else")])
def test_within_days_counts_back_from_the_as_of_date_inclusive(pack: Pack, age: int, expected: str) -> None:
    evaluation = evaluate(pack, [action(ACTION)], ACTION + days(age))
    assert status(evaluation, "recent") == expected
    assert ("action.recent" in evaluation.response_ids()) == (expected == "fired")
    assert ("action.stale" in evaluation.response_ids()) == (expected == "else")


@pytest.mark.parametrize(("age", "quiet"), [(0, False), (30, False), (31, True)])
def test_none_of_a_date_test_holds_when_no_fact_is_recent_enough(pack: Pack, age: int, quiet: bool) -> None:
    evaluation = evaluate(pack, [action(ACTION)], ACTION + days(age))
    assert status(evaluation, "quiet") == ("fired" if quiet else "else")


def test_none_of_a_date_test_holds_without_any_fact(pack: Pack) -> None:
    evaluation = evaluate(pack, [], ACTION)
    assert status(evaluation, "quiet") == "fired"
    assert status(evaluation, "recent") == "else"  # events are closed-world; a date test is never "missing"


@pytest.mark.parametrize(("observed", "expected"), [(dt.date(2021, 4, 30), "fired"), (dt.date(2021, 5, 1), "else"),
                                                    (dt.date(2021, 5, 2), "else")])
def test_before_a_fixed_date_is_strict(pack: Pack, observed: dt.date, expected: str) -> None:
    evaluation = evaluate(pack, [action(observed)], dt.date(2021, 6, 1))
    assert status(evaluation, "early") == expected


@pytest.mark.parametrize(("after", "fires"), [(0, False), (1, True), (50, True), (60, True), (61, False),
                                              (-1, False)])
def test_after_an_alias_within_days_counts_from_that_fact(pack: Pack, after: int, fires: bool) -> None:
    facts = [action(ACTION), trend(ACTION + days(after))]
    evaluation = evaluate(pack, facts, ACTION + days(100))
    assert status(evaluation, "sustained") == ("fired" if fires else "else")
    assert ("talks.offer" in evaluation.response_ids()) == fires
    if fires:
        assert next(d for d in evaluation.derived if d.kind == "progress").facts == ("act", "trend")


def test_after_an_alias_reads_the_fact_that_passes_its_own_tests(pack: Pack) -> None:
    """An unverified action after the drop does not stand in for the verified one before it."""
    facts = [action(ACTION, "late", verified=True), action(ACTION - days(100), "early", verified=False),
             trend(ACTION - days(50))]
    assert status(evaluate(pack, facts, ACTION), "sustained") == "else"


@pytest.mark.parametrize(("observed", "expected"), [(dt.date(2021, 5, 14), "fired"), (dt.date(2021, 5, 15), "else")])
def test_before_a_date_field_of_a_joined_fact(pack: Pack, observed: dt.date, expected: str) -> None:
    evaluation = evaluate(pack, [notice(dt.date(2021, 5, 15)), action(observed)], dt.date(2021, 6, 1))
    assert status(evaluation, "in_time") == expected


@pytest.mark.parametrize(("as_of", "expected"), [(dt.date(2021, 5, 14), "else"), (dt.date(2021, 5, 15), "else"),
                                                 (dt.date(2021, 5, 16), "fired")])
def test_a_date_field_before_as_of_on_a_state_decides_both_ways(pack: Pack, as_of: dt.date, expected: str) -> None:
    evaluation = evaluate(pack, [notice(dt.date(2021, 5, 15))], as_of)
    assert status(evaluation, "overdue") == expected
    assert ("notice.pending" in evaluation.response_ids()) == (expected == "else")


def test_a_date_test_on_an_unknown_state_leaves_the_rule_undetermined(pack: Pack) -> None:
    evaluation = evaluate(pack, [action(ACTION)], ACTION)
    assert status(evaluation, "overdue") == "undetermined"
    assert next(u for u in evaluation.undetermined if u.rule == "overdue").missing == ("notice:party",)


def test_the_clock_is_no_evidence(pack: Pack, base: list[Fact]) -> None:
    evaluation = evaluate(pack, base, dt.date(2021, 5, 20))
    assert "talks.offer" in evaluation.response_ids()
    assert all(CLOCK_ID not in firing.facts for firing in evaluation.firings)
    assert all(CLOCK_ID not in r.facts for r in evaluation.responses)
    assert CLOCK_ID not in evaluation.counted


def test_only_a_pack_with_tests_against_the_as_of_date_gets_a_clock(pack: Pack) -> None:
    assert compile_pack(pack).clocked
    assert not compile_pack(load_pack(ROOT / "tests" / "packs" / "loc_ceasefire")).clocked


def test_date_tests_compile_to_durable_rules_arithmetic(pack: Pack) -> None:
    compiled = compile_pack(pack)
    recent = compiled.by_name["recent|then|0"].definition["all"]
    assert {"as_of": {"kind": "$clock"}} in recent
    text = repr(recent)
    assert "{'$gte': {'observed': {'$sub': {'$l': {'as_of': 'day'}, '$r': 90}}}}" in text
    sustained = repr(compiled.by_name["sustained|then|0"].definition)
    assert "{'$lte': {'observed': {'$add': {'$l': {'act': 'observed'}, '$r': 60}}}}" in sustained


# --- time passing in one live network -----------------------------------------------------------------------

def test_a_session_moved_day_by_day_equals_evaluating_each_day_afresh(pack: Pack, base: list[Fact]) -> None:
    start = dt.date(2021, 2, 20)
    with Session(pack, base) as session:
        for n in range(0, 110, 3):
            day = start + days(n)
            live, fresh = session.evaluate(day, run_id="r"), evaluate(pack, base, day, run_id="r")
            assert live.model_dump() == fresh.model_dump(), day
        back = session.evaluate(start, run_id="r")  # and back again
        assert back.model_dump() == evaluate(pack, base, start, run_id="r").model_dump()


def test_a_timeline_turns_date_rules_on_and_off_as_time_passes(pack: Pack, base: list[Fact]) -> None:
    result = timeline(pack, base, dt.date(2021, 3, 1), dt.date(2021, 6, 30), step=1)
    events = {(e.change, e.subject): e.date for e in result.events if e.change != "evidence"}
    assert events[("appeared", "action.quiet")] == dt.date(2021, 4, 1)  # 31 days after the action
    assert events[("appeared", "talks.offer")] == dt.date(2021, 4, 20)  # when the drop is observed
    assert events[("appeared", "notice.overdue")] == dt.date(2021, 5, 16)
    assert events[("disappeared", "notice.pending")] == dt.date(2021, 5, 16)
    assert events[("disappeared", "action.recent")] == dt.date(2021, 5, 31)  # 91 days after it
    assert events[("appeared", "action.stale")] == dt.date(2021, 5, 31)
    assert events[("appeared", "notice.old")] == dt.date(2021, 3, 4)  # 31 days after it was given
    because = {(e.change, e.subject): [c.fact for c in e.because] for e in result.events if e.change != "evidence"}
    assert because[("appeared", "talks.offer")] == ["trend-1"]  # a fact came to count
    assert because[("appeared", "action.quiet")] == []  # only the date moved: no fact is named as the cause


# --- assumptions --------------------------------------------------------------------------------------------

def test_assumptions_are_compiled_in_and_recorded_on_the_tests(pack: Pack) -> None:
    assert pack.assumptions["drop_pct"].value == -25
    assert pack.assumptions["drop_pct"].cites[0].para == 2
    sustained = next(r for r in pack.rules if r.id == "sustained")
    tests = [t for p in (sustained.when.all if hasattr(sustained.when, "all") else ()) for t in p.tests]
    read = {(t.field, t.op, t.assumption, t.shift): t.value for t in tests}
    assert read[("change_pct", "lte", "drop_pct", 0)] == -25
    assert read[("observed", "lte", "drop_window_days", 1)] == Ref(alias="act", field="observed", days=60)


@pytest.mark.parametrize(("given", "fires"), [("drop_pct=-30", True), ("drop_pct=-31", False),
                                              ("drop_window_days=50", True), ("drop_window_days=49", False)])
def test_another_value_of_an_assumption_is_evaluated_through_the_engine(pack: Pack, base: list[Fact], given: str,
                                                                        fires: bool) -> None:
    fixed, swept = parse_assume(pack, [given])
    assumed = assume(pack, fixed)
    assert not swept and assumed.digest != pack.digest
    assert ("talks.offer" in evaluate(assumed, base, dt.date(2021, 5, 1)).response_ids()) == fires
    assert "talks.offer" in evaluate(pack, base, dt.date(2021, 5, 1)).response_ids()  # the pack is unchanged


def test_a_within_days_assumption_moves_a_window_counted_back_from_the_as_of_date(make_pack: object) -> None:
    text = (TIME / "pack.yaml").read_text(encoding="utf-8")
    rules = (TIME / "rules.yaml").read_text(encoding="utf-8").replace("{within_days: 90}",
                                                                        "{within_days: {assumption: drop_window_days}}")
    pack = make_pack(text, responses=(TIME / "responses.yaml").read_text(encoding="utf-8"), rules=rules)  # type: ignore[operator]
    recent = next(r for r in pack.rules if r.id == "recent")
    assert recent.when.tests[0].value == Clock(days=-60)
    at = ACTION + days(70)
    assert status(evaluate(pack, [action(ACTION)], at), "recent") == "else"
    assert status(evaluate(assume(pack, parse_assume(pack, ["drop_window_days=70"])[0]), [action(ACTION)], at),
                  "recent") == "fired"


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_whatif_assume_sweep_prints_one_line_per_value() -> None:
    code, out, err = run_cli("whatif", str(BASE), "--rules", str(TIME), "--as-of", "2021-05-01",
                             "--assume", "drop_pct=-10,-30,-35")
    assert (code, err) == (0, "")
    assert out.splitlines() == ["Sensitivity to drop_pct (the pack says -25):",
                                "  drop_pct = -10: no response changes",
                                "  drop_pct = -30: no response changes",
                                "  drop_pct = -35: - talks.offer"]


def test_whatif_assume_one_value_shows_the_diff() -> None:
    code, out, _ = run_cli("whatif", str(BASE), "--rules", str(TIME), "--as-of", "2021-05-01",
                           "--assume", "drop_window_days=40")
    assert code == 0
    assert "assume drop_window_days = 40 (the pack says 60)" in out
    assert "  - talks.offer" in out.splitlines()


@pytest.mark.parametrize(("given", "has"), [
    ("nope=1", "expected NAME=VALUE with NAME an assumption of the pack (drop_pct, drop_window_days, first_deadline)"),
    ("drop_pct", "expected NAME=VALUE"),
    ("drop_pct=x", "assumption drop_pct: expected a number; found the string 'x'"),
    ("drop_pct=-10,", "assumption drop_pct: expected a number"),
    ("drop_window_days=1.5", "assumption drop_window_days: expected an integer"),
    ("drop_window_days=-3", "drop_window_days is a number of days (within_days), from 0 to 36525; found -3"),
])
def test_a_bad_assume_is_one_line_and_exit_2(given: str, has: str) -> None:
    code, out, err = run_cli("whatif", str(BASE), "--rules", str(TIME), "--as-of", "2021-05-01", "--assume", given)
    assert (code, out) == (2, "")
    assert err.startswith("--assume: bad-assume: ") and has in err and len(err.splitlines()) == 1, err


def test_explain_names_the_assumptions_a_rule_read(pack: Pack, base: list[Fact]) -> None:
    link = explain(pack, base, dt.date(2021, 5, 1), "sustained").chain[0]
    assert link.assumptions == (
        "drop_pct = -25: A fall in attacks of at least a quarter is more than the month-to-month noise (test notes ¶2).",
        "drop_window_days = 60: A fall counts for the action when it is observed within 60 days after it "
        "(test notes ¶2).")
    assert explain(pack, base, dt.date(2021, 5, 1), "recent").chain[0].assumptions == ()


def test_a_recorded_pack_with_date_tests_is_restored_equal(pack: Pack) -> None:
    assert restore_pack(pack.model_dump(mode="json")) == pack


# --- mistakes, each at its file:line -------------------------------------------------------------------------

def broken(tmp_path: Path, file: str, old: str, new: str) -> tuple[int, str, str]:
    folder = tmp_path / "rules"
    shutil.copytree(TIME, folder)
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return run_cli("check", str(BASE), "--rules", str(folder))


LINE = re.compile(r"^(?P<file>\S+):(?P<line>\d+):(?P<col>\d+): (?P<code>[a-z-]+): (?P<message>.+)$")
RECENT = "{observed: {within_days: 90}}"
WINDOW = "observed: {after: act, within_days: {assumption: drop_window_days}}"
MISTAKES = [
    ("rules.yaml", RECENT, "{observed: {gte: 2021-01-01}}", 0, "bad-operator",
     "observed is tested with after, before, within_days; found gte"),
    ("rules.yaml", RECENT, "{observed: 2021-01-01}", 0, "bad-operator", "found a date"),
    ("rules.yaml", RECENT, "{observed: {within_day: 9}}", 0, "bad-operator", "did you mean 'within_days'?"),
    ("rules.yaml", RECENT, "{observed: {within_days: -1}}", 0, "bad-value",
     "within_days is a whole number of days from 0 to 36525; found -1"),
    ("rules.yaml", RECENT, "{observed: {within_days: '90'}}", 0, "bad-value", "found the string '90'"),
    ("rules.yaml", RECENT, "{observed: {within_days: true}}", 0, "bad-value", "found a boolean"),
    ("rules.yaml", RECENT, "{observed: {before: 2021-01-01, after: 2020-01-01, within_days: 3}}", 0,
     "bad-operator", "within_days counts from one date"),
    ("rules.yaml", RECENT, "{observed: {before: nobody}}", 0, "bad-ref", "no earlier alias 'nobody' in this rule"),
    ("rules.yaml", RECENT, "{observed: {before: 12}}", 0, "bad-ref", "before/after take a date (2021-05-01), as_of"),
    ("rules.yaml", WINDOW, "observed: {after: acts}", 0, "bad-ref", "did you mean 'act'?"),
    ("rules.yaml", WINDOW, "observed: {after: act.verified}", 0, "bad-ref",
     "'act.verified': action has no date field 'verified'"),
    ("rules.yaml", WINDOW, "observed: {after: act, within_days: {assumption: drop_pct}}", 0, "bad-value",
     "found -25 (assumption drop_pct)"),
    ("rules.yaml", WINDOW, "observed: {after: act, within_days: {assumption: window}}", 0, "unknown-assumption",
     "no assumption 'window'"),
    ("rules.yaml", "change_pct: {lte: {assumption: drop_pct}}", "change_pct: {lte: {assumption: drop_window}}", 0,
     "unknown-assumption", "did you mean 'drop_window_days'?"),
    ("rules.yaml", "{fact: progress, where: {value: sustained}}",
     "{fact: progress, where: {value: sustained, observed: {within_days: 3}}}", 0, "bad-operator",
     "progress is derived: its facts have no observed date"),
    ("rules.yaml", "{fact: notice, as: n}", "{fact: notice, as: as_of}", 0, "bad-name",
     "'as_of' names the as-of date"),
    ("rules.yaml", "{due: {before: as_of}}", "{due: {before: as_of, lt: 2021-01-01}}", 0, "bad-operator",
     "a test is one of eq, ne, lt, lte, gt, gte, in, after, before, within_days"),
    ("rules.yaml", "{before: {assumption: first_deadline}}", "{before: {assumption: drop_pct}}", 0, "bad-value",
     "before/after compare dates; assumption drop_pct is number"),
    ("rules.yaml", "{before: {assumption: first_deadline}}", "{before: {assumption: first_deadline}, within_days: 3}",
     0, "bad-operator", "not from assumption first_deadline"),
    ("pack.yaml", "value: -25\n", "value: x\n", 0, "schema", "found the string 'x'"),
    ("pack.yaml", "type: integer\n", "type: number\n    unit: days\n", 1, "schema", "assumption 'drop_window_days'"),
    ("pack.yaml", "value: 60\n", "value: 60.5\n", 0, "bad-value", "assumption drop_window_days: expected an integer"),
    ("pack.yaml", "cites: [{source: notes, para: 2", "cites: [{source: note, para: 2", 0, "unknown-source",
     "no source 'note'"),
]


@pytest.mark.parametrize(("file", "old", "new", "below", "code", "has"), MISTAKES,
                         ids=[f"{m[4]}:{m[2][:40]}" for m in MISTAKES])
def test_a_mistake_in_a_date_test_or_an_assumption_is_refused_where_it_is(
        tmp_path: Path, file: str, old: str, new: str, below: int, code: str, has: str) -> None:
    """Refused at the line of the changed text (`below` it: a key added on the next line)."""
    line = (TIME / file).read_text(encoding="utf-8").split(old)[0].count("\n") + 1 + below
    exit_code, out, err = broken(tmp_path, file, old, new)
    assert (exit_code, out) == (2, ""), err
    found = [m for text in err.splitlines() if (m := LINE.match(text))]
    assert found and all(m["file"].endswith(file) for m in found), err
    assert any(m["code"] == code and has in m["message"] and int(m["line"]) == line for m in found), err
    assert "Traceback" not in err


def test_the_test_pack_is_written_as_the_readme_shows() -> None:
    """The README's rule-language examples are this pack's (kept in step by hand, checked here)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for snippet in ("observed: {within_days: 90}", "observed: {after: act, within_days: {assumption: drop_window_days}}",
                    "change_pct: {lte: {assumption: drop_pct}}", "due: {before: as_of}", "observed: {before: n.due}"):
        assert snippet in readme, snippet
    assert yaml.safe_load((TIME / "pack.yaml").read_text(encoding="utf-8"))["assumptions"]


def test_the_rules_schema_takes_date_tests_and_assumptions(pack: Pack) -> None:
    import jsonschema
    from test_schema import as_json

    from engine.schema import rules_schema

    validator = jsonschema.Draft202012Validator(rules_schema(pack))
    validator.validate(as_json(TIME / "rules.yaml"))
    rule = as_json(TIME / "rules.yaml")["rules"][0]
    for bad in ({"within_days": -1}, {"lte": {"assumption": "nope"}}, {"since": "2021-01-01"}):
        rule["when"] = {"fact": "action", "where": {"observed": bad}}
        assert not validator.is_valid({"rules": [rule]}), bad


@pytest.mark.parametrize(("tests", "fits"), [(29, True), (30, False)])
def test_a_date_shifted_by_days_costs_what_a_join_costs_in_the_size_model(tests: int, fits: bool) -> None:
    """durable_rules' arithmetic (`$add` of an alias's field) is one operation of a pattern, as a join is:
    engine.limits' model and durable_rules agree where the 31-operation limit falls."""
    from engine.errors import RuntimeFault
    from engine.limits import TooLarge, split
    from engine.runtime import runtime

    pattern = [{"kind": "u"}, *({"$lte": {"observed": {"$add": {"$l": {"a": "observed"}, "$r": i + 1}}}}
                                for i in range(tests))]
    definition = {"all": [{"gate": {"kind": "$go"}}, {"a": {"kind": "t"}}, {"b": {"$and": pattern}}]}
    modelled = True
    try:
        split([definition], lambda d: d)
    except TooLarge:
        modelled = False
    fired: list[str] = []
    try:
        name = f"time-arithmetic-{tests}"
        runtime().ensure(name, {"r": definition})
        runtime().run(name, [{"id": "t", "kind": "t", "observed": 1}, {"id": "u", "kind": "u", "observed": 1}],
                      lambda rule, matched: fired.append(rule) or [])
        held = fired == ["r"]
    except RuntimeFault:
        held = False
    assert (modelled, held) == (fits, fits)


def test_explain_proposes_a_fact_observed_on_a_day_that_passes_the_date_tests(pack: Pack) -> None:
    early = explain(pack, [], dt.date(2021, 6, 1), "action.early")
    assert [c.describe() for c in early.smallest_change] == ["add a action fact () observed 2021-04-30"]
    recent = explain(pack, [action(dt.date(2021, 1, 1), "old")], dt.date(2021, 6, 1), "action.recent")
    assert [c.describe() for c in recent.smallest_change] == ["add a action fact () observed 2021-06-01"]


@pytest.mark.parametrize(("as_of", "expected"), [(dt.date(2021, 2, 1), "else"), (dt.date(2021, 3, 3), "else"),
                                                 (dt.date(2021, 3, 4), "fired")])
def test_not_of_a_date_test_on_a_state_is_decided_when_the_state_is_known(pack: Pack, base: list[Fact],
                                                                           as_of: dt.date, expected: str) -> None:
    evaluation = evaluate(pack, base, as_of)  # notice-1 was observed on 1 February
    assert status(evaluation, "notice_old") == expected
    assert ("notice.old" in evaluation.response_ids()) == (expected == "fired")
    assert ("notice.fresh" in evaluation.response_ids()) == (expected == "else")
    unknown = evaluate(pack, [action(ACTION)], as_of)
    assert status(unknown, "notice_old") == "undetermined"


def test_a_deadline_named_as_an_assumption_moves_with_whatif(pack: Pack) -> None:
    facts = [action(dt.date(2021, 4, 30))]
    assert status(evaluate(pack, facts, dt.date(2021, 6, 1)), "early") == "fired"
    for deadline, expected in (("2021-04-30", "else"), ("2021-05-01", "fired"), ("2021-09-11", "fired")):
        moved = assume(pack, parse_assume(pack, [f"first_deadline={deadline}"])[0])
        assert status(evaluate(moved, facts, dt.date(2021, 6, 1)), "early") == expected, deadline


@pytest.mark.parametrize(("after", "fires"), [(0, False), (1, True), (2, False)])
def test_a_one_day_window_after_an_alias(pack: Pack, after: int, fires: bool) -> None:
    one_day = assume(pack, parse_assume(pack, ["drop_window_days=1"])[0])
    evaluation = evaluate(one_day, [action(ACTION), trend(ACTION + days(after))], ACTION + days(10))
    assert status(evaluation, "sustained") == ("fired" if fires else "else")
