"""Properties of the engine over random inputs (hypothesis).

Random *valid* fact sets are drawn from the article pack's own vocabulary (kinds, subjects, enum values,
numbers in range, dates in 2020–2022, every grade A–F and 1–6, unique ids). Over them, evaluation is
deterministic; independent of the order of the facts and of how they are split over files; accounts for
every fact (counted, or a note why not) and every rule; and derives exactly one cooperation level — the
first that holds (rules/cooperation.yaml).
Random *broken* fact files and random bytes and text fed to the loader give a result or the engine's
`InputError`, never anything else. Asked date after date, the incremental rules of evidence agree with a
plain reference written from docs/rules.md (*Which facts count*), and a `Session` equals a from-scratch evaluation.

The pack is loaded once at module level: hypothesis runs every example inside one test call, so
function-scoped fixtures would be shared across examples anyway. Example counts keep the file to about
half a minute. Counterexamples found so far are pinned at the end; one of them (durable_rules crashing on
floats like 1e-05) is kept out of the random draws, or it would kill the test run (see
`survives_durable_rules`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from engine.cli import main
from engine.compiler import patterns_of
from engine.errors import InputError
from engine.evaluate import evaluate
from engine.loader import Document, load_yaml, parse_text
from engine.model import Evaluation, Fact, FieldSpec, Pack
from engine.validate import FACT_META, load_facts, load_pack

ROOT = Path(__file__).resolve().parents[1]
PACK: Pack = load_pack(ROOT / "rules")
KINDS = {name: spec for name, spec in PACK.vocabulary.items() if not spec.derived}
LEVELS = tuple(PACK.vocabulary["cooperation_level"].fields["value"].values)
FIRST, LAST = dt.date(2020, 1, 1), dt.date(2022, 12, 31)

DEMONSTRABLE = {"arrest_taliban_leaders", "restrict_taliban_movement", "close_sanctuaries_or_logistics"}
RHETORICAL = {"public_call_for_ceasefire", "facilitate_talks", "press_taliban_to_negotiate"}  # ¶7: no engine
REFUSING = {"claims_inability", "refuses_to_pressure", "conditions_ceasefire_on_concessions"}

QUICK = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FILES = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CLI = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LOADER = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- strategies ------------------------------------------------------------------------------------------

# Early observation dates and late as-of dates are drawn more often than chance would, so that more facts
# count; and so are the kinds the cooperation level turns on, so that every level is reached.
OBSERVED = st.dates(FIRST, LAST) | st.dates(FIRST, dt.date(2020, 6, 30))
AS_OF = st.dates(FIRST, LAST) | st.dates(dt.date(2022, 7, 1), LAST)
KIND_CHOICES = sorted(KINDS) + ["pakistan_action"] * 3 + ["violence_trend"] * 2 + ["pakistan_stance"]
IDS = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,11}", fullmatch=True)


def thresholds() -> dict[tuple[str, str], list[int | float]]:
    """Every number a rule or named pattern compares a fact field with, and its neighbours."""
    found: dict[tuple[str, str], set[int | float]] = {}
    patterns = [*PACK.patterns.values(), *(p for rule in PACK.rules for p in patterns_of(rule.when))]
    for pattern in patterns:
        for test in pattern.tests:
            if isinstance(test.value, int | float) and not isinstance(test.value, bool):
                found.setdefault((pattern.kind, test.field), set()).update(
                    {test.value - 1, test.value, test.value + 1})
    return {key: sorted(values) for key, values in found.items()}


NEAR = thresholds()


def survives_durable_rules(number: object) -> bool:
    """False for a float that crashes the process today (see test_tiny_float_does_not_crash_the_engine).

    durable_rules segfaults on a number whose JSON text has an exponent but no decimal point (1e-05,
    3e-10, 1e+16: Python writes small and large floats so); 1.5e-05 and 0.0001 are fine. Drawing such
    numbers would kill the test run, not fail one test; the xfail test below keeps the bug in view.
    """
    if not isinstance(number, float) or not math.isfinite(number):
        return True
    text = json.dumps(number)
    return "e" not in text or "." in text


def field_values(kind: str, name: str, spec: FieldSpec) -> st.SearchStrategy[Any]:
    """Values that fit a vocabulary field, crowded around the thresholds the rules test (-25 %, 60 days)."""
    if spec.type == "enum":
        return st.sampled_from(spec.values)
    if spec.type == "boolean":
        return st.booleans()
    if spec.type == "date":
        return st.dates(FIRST, LAST)
    if spec.type in ("integer", "number"):
        low = -100 if spec.min is None else math.ceil(spec.min)
        high = (100 if spec.type == "number" else 365) if spec.max is None else math.floor(spec.max)
        high = max(low, high)
        near = [v for v in NEAR.get((kind, name), []) if low <= v <= high]
        whole = st.integers(low, high) | st.sampled_from(near or [low])
        if spec.type == "integer":
            return whole
        return whole | st.floats(low, high, allow_nan=False, allow_infinity=False).filter(survives_durable_rules)
    return st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=20)


@st.composite
def raw_facts(draw: st.DrawFn, fid: str) -> dict[str, Any]:
    """One valid fact as it would be written in YAML."""
    kind = draw(st.sampled_from(KIND_CHOICES))
    spec = KINDS[kind]
    observed = draw(OBSERVED)
    fact: dict[str, Any] = {"id": fid, "kind": kind, "subject": draw(st.sampled_from(spec.subjects)),
                            "observed": observed}
    if draw(st.integers(0, 3)) == 0:
        fact["valid_until"] = draw(st.dates(observed, LAST))
    if draw(st.booleans()):
        fact["recorded"] = draw(st.dates(observed, LAST))
    for name, field in spec.fields.items():
        if field.optional and draw(st.booleans()):
            continue
        fact[name] = draw(field_values(kind, name, field))
    fact["source"] = {"title": "A source", "ref": "https://example.org/", "date": observed}
    # Grades that count are drawn more often than those that do not; every grade is possible.
    fact["reliability"] = draw(st.sampled_from("AABBCCDEF"))
    fact["credibility"] = draw(st.sampled_from([1, 1, 2, 2, 3, 3, 4, 5, 6]))
    return fact




@st.composite
def fact_sets(draw: st.DrawFn, max_size: int = 12) -> list[dict[str, Any]]:
    size = draw(st.integers(0, max_size))  # evenly spread: st.lists alone favours very short lists
    ids = draw(st.lists(IDS, min_size=size, max_size=size, unique=True))
    return [draw(raw_facts(fid)) for fid in ids]


def to_fact(raw: dict[str, Any]) -> Fact:
    """The Fact that validation makes of `raw` (without an origin)."""
    return Fact(**{k: v for k, v in raw.items() if k in FACT_META},
                fields={k: v for k, v in raw.items() if k not in FACT_META})


def comparable(evaluation: Evaluation) -> dict[str, Any]:
    """Everything but the run id."""
    return evaluation.model_dump(mode="json", exclude={"run_id"})


def write_files(folder: Path, raws: list[dict[str, Any]], owners: list[int], parts: int) -> list[Path]:
    files = []
    for part in range(parts):
        path = folder / f"part-{part}.yaml"
        chunk = [raw for raw, owner in zip(raws, owners, strict=True) if owner == part]
        path.write_text(yaml.safe_dump({"facts": chunk}, sort_keys=False, allow_unicode=True), encoding="utf-8")
        files.append(path)
    return files


# --- evaluation ------------------------------------------------------------------------------------------

@QUICK
@given(raws=fact_sets(), as_of=AS_OF)
def test_evaluation_is_deterministic(raws: list[dict[str, Any]], as_of: dt.date) -> None:
    facts = [to_fact(raw) for raw in raws]
    first = evaluate(PACK, facts, as_of)
    second = evaluate(PACK, facts, as_of)
    assert first.run_id != second.run_id
    assert comparable(first) == comparable(second)


@FILES
@given(raws=fact_sets(), as_of=AS_OF, data=st.data())
def test_order_and_file_split_do_not_matter(raws: list[dict[str, Any]], as_of: dt.date, data: st.DataObject) -> None:
    reference = evaluate(PACK, [to_fact(raw) for raw in raws], as_of)
    shuffled = data.draw(st.permutations(raws), label="order")
    parts = data.draw(st.integers(1, 4), label="files")
    owners = data.draw(st.lists(st.integers(0, parts - 1), min_size=len(raws), max_size=len(raws)), label="split")
    with tempfile.TemporaryDirectory() as folder:
        files = write_files(Path(folder), shuffled, owners, parts)
        files = data.draw(st.permutations(files), label="file order")
        loaded = load_facts(files, PACK)
    assert sorted((f.model_dump(exclude={"origin"}) for f in loaded), key=lambda d: d["id"]) == \
        sorted((to_fact(raw).model_dump(exclude={"origin"}) for raw in raws), key=lambda d: d["id"])
    assert comparable(evaluate(PACK, loaded, as_of)) == comparable(reference)


@QUICK
@given(raws=fact_sets(max_size=20), as_of=AS_OF)
def test_evaluation_accounts_for_every_fact_and_rule(raws: list[dict[str, Any]], as_of: dt.date) -> None:
    """Valid facts always evaluate: each fact counts or has a note, each rule has exactly one outcome."""
    evaluation = evaluate(PACK, [to_fact(raw) for raw in raws], as_of)
    assert sorted([*evaluation.counted, *(n.fact for n in evaluation.not_counted)]) == sorted(r["id"] for r in raws)
    assert [o.rule for o in evaluation.rules] == [r.id for r in PACK.rules]
    assert {u.rule for u in evaluation.undetermined} == {o.rule for o in evaluation.rules if o.status == "undetermined"}


def expected_level(evaluation: Evaluation, facts: list[Fact]) -> str:
    """rules/cooperation.yaml's levels, read literally over the facts that count: the first of the five levels that holds."""
    counted = [f for f in facts if f.id in set(evaluation.counted)]
    actions = [f.fields for f in counted if f.kind == "pakistan_action"]
    stances = {str(f.fields["position"]) for f in counted if f.kind == "pakistan_stance"}
    steps = [f.observed for f in counted if f.kind == "pakistan_action"
             and f.fields["action"] in DEMONSTRABLE and f.fields["verified"] is True]
    demonstrable = bool(steps)
    trends = [(float(f.fields["change_pct"]), int(f.fields["window_days"]), f.observed)  # type: ignore[arg-type]
              for f in counted if f.kind == "violence_trend" and f.subject == "taliban"]
    # attribution (issue #12): the drop is reported after a demonstrable step
    drop = any(change <= -25 and days >= 60 and any(step < seen for step in steps) for change, days, seen in trends)
    if demonstrable and drop:
        return "sustained_reduction"
    if demonstrable:
        return "demonstrable_steps"
    if stances & REFUSING:
        return "refusal"
    if any(a["action"] in RHETORICAL or a["verified"] is False for a in actions) or "supports_ceasefire" in stances:
        return "rhetorical"
    return "unknown"


def stated(fid: str, kind: str, **fields: Any) -> dict[str, Any]:
    """A valid fact that counts from 2020-03-01, for explicit examples."""
    day = dt.date(2020, 3, 1)
    return {"id": fid, "kind": kind, "subject": KINDS[kind].subjects[0], "observed": day, **fields,
            "source": {"title": "A source", "ref": "https://example.org/", "date": day}, "reliability": "A",
            "credibility": 1}


SOON = dt.date(2020, 4, 1)  # the examples' facts still count: a trend for 120 days, an action for 365
ARREST = stated("arrest", "pakistan_action", action="arrest_taliban_leaders", verified=True)
DROP = {**stated("drop", "violence_trend", change_pct=-25, window_days=60, metric="attacks"),
        "observed": dt.date(2020, 3, 2)}  # the day after the step
LEVEL_EXAMPLES = {  # one fact set per level, so that every run reaches all five
    "sustained_reduction": [ARREST, DROP],
    "demonstrable_steps": [ARREST, {**DROP, "window_days": 59}],
    "refusal": [stated("stance", "pakistan_stance", position="claims_inability"), {**ARREST, "verified": False}],
    "rhetorical": [stated("talks", "pakistan_action", action="facilitate_talks", verified=True), DROP],
    "unknown": [DROP],
}


@QUICK
@given(raws=fact_sets(), as_of=AS_OF)
@example(raws=LEVEL_EXAMPLES["sustained_reduction"], as_of=SOON)
@example(raws=LEVEL_EXAMPLES["demonstrable_steps"], as_of=SOON)
@example(raws=LEVEL_EXAMPLES["refusal"], as_of=SOON)
@example(raws=LEVEL_EXAMPLES["rhetorical"], as_of=SOON)
@example(raws=LEVEL_EXAMPLES["unknown"], as_of=SOON)
def test_exactly_one_cooperation_level_the_first_that_holds(raws: list[dict[str, Any]], as_of: dt.date) -> None:
    facts = [to_fact(raw) for raw in raws]
    evaluation = evaluate(PACK, facts, as_of)
    levels = [d.value for d in evaluation.derived if d.kind == "cooperation_level"]
    assert len(levels) == 1, f"derived cooperation levels: {levels}"
    assert levels[0] in LEVELS
    assert evaluation.value_of("cooperation_level") == levels[0]
    assert levels[0] == expected_level(evaluation, facts)
    for level, examples in LEVEL_EXAMPLES.items():
        if raws is examples:
            assert levels[0] == level
    event(f"cooperation level: {levels[0]}")


@CLI
@given(raws=fact_sets(), as_of=AS_OF)
def test_cli_evaluates_any_valid_fact_set(raws: list[dict[str, Any]], as_of: dt.date) -> None:
    """End to end: exit 0 or 1 (a guardrail), one JSON object on stdout with one cooperation level."""
    with tempfile.TemporaryDirectory() as folder:
        files = write_files(Path(folder), raws, [0] * len(raws), 1)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["evaluate", *map(str, files), "--rules", str(ROOT / "rules"), "--as-of", as_of.isoformat(),
                         "--format", "json", "--no-audit"])
    assert code in (0, 1), f"exit {code}: {err.getvalue()}"
    result = json.loads(out.getvalue())
    assert [d["value"] for d in result["derived"] if d["kind"] == "cooperation_level"] in ([v] for v in LEVELS)


# --- broken facts and the loader -------------------------------------------------------------------------

YAML_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats().filter(survives_durable_rules),
                         st.text(max_size=10),
                         st.dates(), st.sampled_from(["", "~", ".nan", "2021-02-30", "yes", "G", "0x1F"]))
YAML_VALUES = st.recursive(YAML_SCALARS, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)


@st.composite
def broken_fact_sets(draw: st.DrawFn) -> list[Any]:
    """Valid facts with random damage: keys dropped, values replaced by anything YAML can hold, keys added."""
    raws: list[Any] = draw(fact_sets(max_size=5))
    for raw in raws:
        for key in list(raw):
            choice = draw(st.integers(0, 9))
            if choice == 0:
                del raw[key]
            elif choice == 1:
                raw[key] = draw(YAML_VALUES)
        if draw(st.booleans()):
            raw[draw(st.sampled_from([*FACT_META, "change_pct", "state", "value", "zzz"]))] = draw(YAML_VALUES)
    if draw(st.integers(0, 9)) == 0:
        raws.append(draw(YAML_VALUES))
    return raws


@FILES
@given(raws=broken_fact_sets(), as_of=AS_OF)
def test_broken_facts_give_input_errors_only(raws: list[Any], as_of: dt.date) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "facts.yaml"
        path.write_text(yaml.safe_dump({"facts": raws}, sort_keys=False, allow_unicode=True), encoding="utf-8")
        try:
            facts = load_facts([path], PACK)
        except InputError as error:
            assert {p.location.file for p in error.problems} == {str(path)}
            return
    evaluate(PACK, facts, as_of)


YAML_PIECES = st.sampled_from([
    "facts:", "- ", "  ", "\n", "\t", ": ", "id: x", "kind: negotiations", "&a ", "*a", "<<: *a", "!!python/object ",
    "!!binary ", "!local ", "[", "]", "{", "}", ",", "? ", "'", '"', "|", ">", "#", "---", "...", "%YAML 1.1",
    "%TAG ! tag:x,2002:", "!<tag:yaml.org,2002:str> ", ".nan", "-.inf", "2021-02-30", "2021-02-12 10:00:00",
    "0x1F", "1e400", "~", "\\u0007", "\x07", "\ufeff", "\x85", "é",
])


@LOADER
@given(data=st.binary(max_size=2000))
def test_random_bytes_load_or_raise_input_error(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "random.yaml"
        path.write_bytes(data)
        try:
            assert isinstance(load_yaml(path), Document)
        except InputError as error:
            assert {p.location.file for p in error.problems} == {str(path)}


@LOADER
@given(text=st.text(max_size=500) | st.lists(YAML_PIECES, max_size=60).map("".join))
def test_random_text_parses_or_raises_input_error(text: str) -> None:
    try:
        assert isinstance(parse_text(text, "random.yaml"), Document)
    except InputError as error:
        assert {p.location.file for p in error.problems} == {"random.yaml"}


# --- counterexamples found, pinned -----------------------------------------------------------------------

TINY_CHANGE = """\
facts:
  - id: tiny-change
    kind: violence_trend
    subject: taliban
    observed: 2020-10-30
    change_pct: 0.00001
    window_days: 92
    metric: attacks
    source: {title: "SIGAR", ref: "https://www.sigar.mil/", date: 2020-10-30}
    reliability: A
    credibility: 2
"""


def test_tiny_float_does_not_crash_the_engine(tmp_path: Path) -> None:
    """A valid fact with change_pct 0.00001 (Python: 1e-05). Run in a child process: it segfaults today."""
    path = tmp_path / "facts.yaml"
    path.write_text(TINY_CHANGE, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "engine", "evaluate", str(path), "--rules", str(ROOT / "rules"),
                           "--as-of", "2021-02-12", "--format", "json", "--no-audit"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stderr}"
    derived = json.loads(done.stdout)["derived"]
    assert [(d["kind"], d["value"]) for d in derived] == [("cooperation_level", "unknown")]


# --- incremental evaluation ------------------------------------------------------------------------------

SESSION = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _fresh(pack: Pack) -> Pack:
    """The article pack with freshness and series declared: violence trends count 120 days, one per metric;
    actions 365 days; stances 200 days. A digest of its own, so it compiles apart from the article pack."""
    vocabulary = dict(pack.vocabulary)
    for kind, update in {"violence_trend": {"valid_for": 120, "key": ("metric",)},
                         "pakistan_action": {"valid_for": 365}, "pakistan_stance": {"valid_for": 200}}.items():
        vocabulary[kind] = vocabulary[kind].model_copy(update=update)
    return pack.model_copy(update={"vocabulary": vocabulary, "digest": "f" + pack.digest[1:]})


FRESH: Pack = _fresh(PACK)


def reference_evidence(facts: list[Fact], as_of: dt.date, pack: Pack = PACK) -> tuple[set[str], dict[str, str]]:
    """The rules of evidence (docs/rules.md), written plainly: the counting ids, and why each other fact does not count."""
    grades = pack.evidence
    why: dict[str, str] = {}
    candidates = []
    for fact in facts:
        valid_for = pack.vocabulary[fact.kind].valid_for
        if fact.observed > as_of:
            why[fact.id] = "not yet observed"
        elif fact.valid_until is not None and fact.valid_until < as_of:
            why[fact.id] = "expired"
        elif fact.valid_until is None and valid_for is not None and (as_of - fact.observed).days > valid_for:
            why[fact.id] = "stale"
        elif fact.reliability not in grades.reliability or fact.credibility not in grades.credibility:
            why[fact.id] = "below evidence threshold"
        else:
            candidates.append(fact)
    rank = {f.id: (f.observed, f.recorded or f.observed, f.id) for f in candidates}
    def one_series(a: Fact, b: Fact) -> bool:
        return (a.kind, a.subject) == (b.kind, b.subject) and all(
            a.fields.get(k) == b.fields.get(k) for k in pack.vocabulary[a.kind].key)

    for fact in candidates:
        if pack.vocabulary[fact.kind].state:
            later = sorted((rank[o.id], o.id) for o in candidates
                           if one_series(o, fact) and rank[o.id] > rank[fact.id])
            if later:
                why[fact.id] = f"superseded by {later[0][1]} "
    return {f.id for f in candidates if f.id not in why}, why


@pytest.mark.parametrize("pack", [PACK, FRESH], ids=["article", "valid_for-and-key"])
@SESSION
@given(raws=fact_sets(max_size=24), days=st.lists(AS_OF, min_size=1, max_size=5))
def test_the_rules_of_evidence_asked_date_after_date(pack: Pack, raws: list[dict[str, Any]],
                                                     days: list[dt.date]) -> None:
    from engine.evidence import Evidence

    facts = [to_fact(raw) for raw in raws]
    evidence = Evidence(facts, pack)
    for as_of in days:
        counted, notes = evidence.at(as_of)
        ids, why = reference_evidence(facts, as_of, pack)
        assert [f.id for f in counted] == sorted(ids)
        assert [n.fact for n in notes] == sorted(why)
        for note in notes:
            assert note.reason.startswith(why[note.fact]), (note, why[note.fact])


@pytest.mark.parametrize("pack", [PACK, FRESH], ids=["article", "valid_for-and-key"])
@SESSION
@given(raws=fact_sets(max_size=24), days=st.lists(AS_OF, min_size=2, max_size=5), drop=st.integers(0, 23))
def test_a_session_equals_from_scratch_date_after_date(pack: Pack, raws: list[dict[str, Any]],
                                                       days: list[dt.date], drop: int) -> None:
    from engine.session import Session
    from engine.whatif import Change

    facts = [to_fact(raw) for raw in raws]
    with Session(pack, facts) as session:
        for as_of in days:
            assert comparable(session.evaluate(as_of)) == comparable(evaluate(pack, facts, as_of)), as_of
        if facts:  # and a what-if: one fact taken away, then back
            gone = facts[drop % len(facts)]
            rest = [f for f in facts if f is not gone]
            changed = session.evaluate_changes([Change(op="retract", fact=gone.id)], days[0])
            assert comparable(changed) == comparable(evaluate(pack, rest, days[0]))
            assert comparable(session.evaluate(days[-1])) == comparable(evaluate(pack, facts, days[-1]))
