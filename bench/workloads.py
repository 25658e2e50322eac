"""The five workloads, each timed against its comparison in the same run, each checked for correctness.

W1 latency (article pack, baseline and each scenario, in-process and as a CLI process) and W2 throughput
(synthetic pack at several sizes) against raw durable_rules (`raw.py`); W3 timeline and W4 what-if sweep
incremental (`engine.session.Session`) against from-scratch `evaluate`; W5 peak memory of W2 at 10,000
facts, each side in a fresh process. Every function returns a JSON-able section for results.json and
appends what it found wrong to `problems` (a wrong answer fails the run; a slow one only misses a target).
Engine and comparison runs alternate, so drift on the machine hits both alike.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import raw
import synthetic

from engine.evaluate import _compiled, durable_fact, evaluate
from engine.evidence import sort_evidence
from engine.model import Evaluation, Fact, FactSource, Pack
from engine.validate import load_facts, load_pack
from engine.whatif import Change, apply

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
BASELINE = ROOT / "facts" / "2021-02-baseline.yaml"
SCENARIOS = ("cooperates", "demonstrable_steps", "refuses")
BASELINE_AS_OF = dt.date(2021, 2, 12)
SCENARIO_AS_OF = dt.date(2021, 7, 1)
Problems = list[str]


def stats(seconds: list[float]) -> dict[str, Any]:
    """Median, min and max in milliseconds over the runs."""
    ms = [s * 1000 for s in seconds]
    return {"median_ms": round(statistics.median(ms), 3), "min_ms": round(min(ms), 3),
            "max_ms": round(max(ms), 3), "runs": len(ms)}


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def same(a: Evaluation, b: Evaluation) -> bool:
    """The same evaluation apart from its run id."""
    return a.model_copy(update={"run_id": b.run_id}) == b


def article_pack() -> Pack:
    return load_pack(ROOT / "rules")


def durable_counted(pack: Pack, facts: list[Fact], as_of: dt.date) -> list[dict[str, Any]]:
    """The counting facts as durable_rules dicts: raw durable_rules' input (no rules of evidence there)."""
    counted, _ = sort_evidence(facts, pack, as_of)
    return [durable_fact(f) for f in counted]


def raw_check(pack: Pack, runner: raw.RawRunner, facts: list[Fact], as_of: dt.date, what: str) -> Problems:
    """Raw durable_rules must fire the same compiled rules on the same facts as the engine did."""
    evaluation = evaluate(pack, facts, as_of)
    firings, _ = runner.run(durable_counted(pack, facts, as_of))
    compiled = _compiled(pack)
    got = sorted((compiled.by_name[name].rule, compiled.by_name[name].branch, tuple(sorted(set(ids))))
                 for name, ids in firings if not compiled.by_name[name].rule.startswith("$"))  # not probes
    want = sorted((f.rule, f.branch, f.facts) for f in evaluation.firings)
    if got != want:
        return [f"{what}: raw durable_rules fired {len(got)} rule matches, the engine recorded {len(want)}"]
    return []


# --- W1 latency --------------------------------------------------------------------------------------------

def fact_sets(pack: Pack) -> list[tuple[str, list[Path], dt.date]]:
    sets = [("baseline", [BASELINE], BASELINE_AS_OF)]
    sets += [(f"baseline + {name}", [BASELINE, ROOT / "facts" / "scenarios" / f"{name}.yaml"], SCENARIO_AS_OF)
             for name in SCENARIOS]
    return sets


def cli_commands(work: Path) -> tuple[list[str], list[str]]:
    """The baseline's `commitments evaluate` (audit on) and its raw durable_rules process, as W1 left them."""
    cli = Path(sys.executable).parent / "commitments"
    engine = [str(cli), "evaluate", str(BASELINE.relative_to(ROOT)), "--as-of", BASELINE_AS_OF.isoformat(),
              "--audit-db", str(work / "audit.sqlite")]
    return engine, [sys.executable, str(BENCH / "raw.py"), str(work / "article-plan.json"), str(work / "facts-0.json")]


def cli_env(work: Path, cached: bool = True) -> dict[str, str]:
    """A CLI process's environment: the bench's own cache of prepared packs (engine.packcache), or none."""
    return {**os.environ, "COMMITMENTS_CACHE": str(work / "pack-cache") if cached else "off"}


def w1(repeats: int, cli_repeats: int, problems: Problems, work: Path) -> dict[str, Any]:
    pack = article_pack()
    plan = raw.plan(_compiled(pack))
    runner = raw.RawRunner(plan)
    plan_file = work / "article-plan.json"
    plan_file.write_text(json.dumps(plan), encoding="utf-8")
    cli = Path(sys.executable).parent / "commitments"
    rows = []
    for label, paths, as_of in fact_sets(pack):
        facts = load_facts(paths, pack)
        dicts = durable_counted(pack, facts, as_of)
        problems += raw_check(pack, runner, facts, as_of, f"W1 {label}")
        evaluate(pack, facts, as_of)  # warm: compiled and registered
        engine_t, raw_t = [], []
        for _ in range(repeats):
            engine_t.append(timed(lambda: evaluate(pack, facts, as_of))[0])  # noqa: B023
            raw_t.append(timed(lambda: runner.run(dicts))[0])  # noqa: B023
        facts_file = work / f"facts-{len(rows)}.json"
        facts_file.write_text(json.dumps(dicts), encoding="utf-8")
        args = [str(p.relative_to(ROOT)) for p in paths]
        db = work / "audit.sqlite"
        commands = {
            "cli": [str(cli), "evaluate", *args, "--as-of", as_of.isoformat(), "--audit-db", str(db)],
            "cli_no_audit": [str(cli), "evaluate", *args, "--as-of", as_of.isoformat(), "--no-audit"],
            "cli_no_cache": [str(cli), "evaluate", *args, "--as-of", as_of.isoformat(), "--audit-db", str(db)],
            "raw_cli": [sys.executable, str(BENCH / "raw.py"), str(plan_file), str(facts_file)],
        }
        cli_t: dict[str, list[float]] = {key: [] for key in commands}
        subprocess.run(commands["cli"], cwd=ROOT, capture_output=True, check=False, env=cli_env(work))  # cached
        for _ in range(cli_repeats):
            for key, command in commands.items():
                env = cli_env(work, cached=key != "cli_no_cache")
                took, done = timed(lambda: subprocess.run(command, cwd=ROOT, capture_output=True,  # noqa: B023
                                                          text=True, check=False, env=env))  # noqa: B023
                if done.returncode not in (0, 1):
                    problems.append(f"W1 {label}: {' '.join(command[:2])} exited {done.returncode}: "
                                    f"{done.stderr.strip()[-300:]}")
                cli_t[key].append(took)
        row = {"facts": label, "count": len(facts), "counting": len(dicts), "as_of": as_of.isoformat(),
               "engine": stats(engine_t), "raw": stats(raw_t),
               **{key: stats(value) for key, value in cli_t.items()}}
        row["ratio"] = round(row["engine"]["median_ms"] / row["raw"]["median_ms"], 2)
        row["cli_ratio"] = round(row["cli"]["median_ms"] / row["raw_cli"]["median_ms"], 2)
        rows.append(row)
    return {"rows": rows, "repeats": repeats, "cli_repeats": cli_repeats}


# --- W2 throughput -----------------------------------------------------------------------------------------

def w2(sizes: list[tuple[int, int]], problems: Problems) -> dict[str, Any]:
    pack = synthetic.load()
    runner = raw.RawRunner(raw.plan(_compiled(pack)))
    as_of = synthetic.AS_OF
    rows = []
    for count, repeats in sizes:
        facts = synthetic.facts(count)
        counted, _ = sort_evidence(facts, pack, as_of)
        dicts = [durable_fact(f) for f in counted]
        expected = synthetic.reference(counted)
        engine_t, raw_t = [], []
        raw_error = None
        known = len(problems)
        for run in range(repeats):
            took, evaluation = timed(lambda: evaluate(pack, facts, as_of))  # noqa: B023
            engine_t.append(took)
            if run == 0:
                problems += synthetic.compare(expected, synthetic.from_evaluation(evaluation),
                                              f"W2 engine at {count:,} facts")
            del evaluation
            try:
                took, (firings, derived) = timed(lambda: runner.run(dicts))  # noqa: B023
                raw_t.append(took)
            except Exception as error:  # noqa: BLE001 - raw durable_rules failing is a finding, not a crash
                raw_error = f"{type(error).__name__}: {error}"
                break
        raw_ok = None
        if raw_error is None:
            raw_ok = not synthetic.compare(expected, raw_conclusions(pack, firings, derived), "raw")
        row: dict[str, Any] = {"facts": count, "counting": len(counted), "conclusions": expected.size(),
                               "engine": stats(engine_t), "raw": stats(raw_t) if raw_t else None,
                               "raw_error": raw_error, "raw_correct": raw_ok, "engine_correct": len(problems) == known}
        row["ratio"] = round(row["engine"]["median_ms"] / row["raw"]["median_ms"], 2) if raw_t else None
        rows.append(row)
    return {"rows": rows, "rules": len(pack.rules), "strata": len(_compiled(pack).strata)}


def raw_conclusions(pack: Pack, firings: list[raw.Firing], derived: dict[str, Any]) -> synthetic.Conclusions:
    """What raw durable_rules' firings conclude, with the engine's rules for supporting facts."""
    compiled = _compiled(pack)
    rules = {r.id: r for r in pack.rules}
    plan = raw.plan(compiled)
    support: dict[str, set[str]] = {}
    out = synthetic.Conclusions()

    def base(ids: list[str]) -> set[str]:
        return set().union(*(support.get(i, {i}) for i in ids)) if ids else set()

    for name, ids in firings:
        item = compiled.by_name[name]
        if item.branch != "then" or item.rule.startswith("$"):
            continue
        for fact in plan["derives"].get(name, []):
            rule_ids, facts = out.derived.setdefault(fact["id"], (set(), set()))
            rule_ids.add(item.rule)
            facts |= base(ids)
            support[fact["id"]] = facts
        for effect in rules[item.rule].then:
            respond = getattr(effect, "respond", None)
            if respond:
                rule_ids, facts = out.responses.setdefault(respond, (set(), set()))
                rule_ids.add(item.rule)
                facts |= base(ids)
    return out


# --- W3 timeline -------------------------------------------------------------------------------------------

def timeline_facts(pack: Pack, count: int, seed: int = 3) -> list[Fact]:
    """`count` article facts observed over two years (2020-2021): events, superseding states, expiries."""
    rng = random.Random(seed)
    start = dt.date(2020, 1, 1)
    weights = {"pakistan_action": 45, "violence_trend": 25, "pakistan_stance": 8, "fatf_status": 5,
               "negotiations": 5, "us_force_posture": 4, "india_involvement": 4, "pak_afghan_understanding": 4}
    kinds = list(weights)
    out = []
    for i in range(count):
        kind = rng.choices(kinds, [weights[k] for k in kinds])[0]
        spec = pack.vocabulary[kind]
        observed = start + dt.timedelta(days=rng.randint(0, 730))
        fields: dict[str, Any] = {}
        for name, field in spec.fields.items():
            if field.type == "enum":
                fields[name] = rng.choice(field.values)
            elif field.type == "boolean":
                fields[name] = rng.random() < 0.4
            elif field.type == "date":
                fields[name] = observed + dt.timedelta(days=rng.randint(20, 200))
            elif name == "window_days":
                fields[name] = rng.choice([30, 60, 90, 120])
            else:
                fields[name] = rng.randint(-60, 60)
        out.append(Fact(
            id=f"tl-{i:05d}", kind=kind, subject=spec.subjects[0], observed=observed, fields=fields,
            valid_until=observed + dt.timedelta(days=rng.randint(30, 240)) if rng.random() < 0.3 else None,
            recorded=observed + dt.timedelta(days=rng.randint(0, 10)),
            source=FactSource(title="synthetic", ref="generated", date=observed),
            reliability=rng.choice("ABBCCD"), credibility=rng.choice([1, 2, 2, 3, 3, 4])))
    return out


def session_class() -> type | None:
    try:
        from engine.session import Session
    except ImportError:
        return None
    return Session


def w3(count: int, steps: int, scratch_every: int, problems: Problems) -> dict[str, Any]:
    """Daily as-of steps from 2020-07-01: every step incrementally, every `scratch_every`-th from scratch."""
    pack = article_pack()
    facts = timeline_facts(pack, count)
    days = [dt.date(2020, 7, 1) + dt.timedelta(days=d) for d in range(steps)]
    evaluate(pack, facts[:50], days[0])  # warm: compiled and registered
    scratch: list[float] = []
    levels = set()
    Session = session_class()
    section: dict[str, Any] = {"facts": count, "steps": steps, "from": days[0].isoformat(),
                               "to": days[-1].isoformat(), "scratch_every": scratch_every,
                               "scratch_steps": len(days[::scratch_every])}
    if Session is None:
        for day in days[::scratch_every]:
            scratch.append(timed(lambda: evaluate(pack, facts, day))[0])  # noqa: B023
        section.update(scratch=stats(scratch), incremental=None, available=False)
        return section
    built, session = timed(lambda: Session(pack, facts))
    incremental: list[float] = []
    firings = 0
    for index, day in enumerate(days):
        took, fresh = timed(lambda: session.evaluate(day))  # noqa: B023
        incremental.append(took)
        levels.add(fresh.value_of("cooperation_level"))
        firings += len(fresh.firings)
        if index % scratch_every == 0:
            took, full = timed(lambda: evaluate(pack, facts, day))  # noqa: B023
            scratch.append(took)
            if not same(fresh, full):
                problems.append(f"W3: the session's evaluation as of {day} differs from evaluate()")
            del full
        del fresh
    session.close()
    scratch_total = statistics.mean(scratch) * steps  # every step from scratch (measured or extrapolated)
    incremental_total = built + sum(incremental)
    section.update(available=True, scratch=stats(scratch), incremental=stats(incremental),
                   session_build_ms=round(built * 1000, 1), scratch_total_s=round(scratch_total, 2),
                   scratch_extrapolated=scratch_every > 1, incremental_total_s=round(incremental_total, 2),
                   speedup=round(scratch_total / incremental_total, 2), levels=sorted(map(str, levels)),
                   firings_per_step=round(firings / steps))
    return section


# --- W4 what-if sweep --------------------------------------------------------------------------------------

def variants(pack: Pack, base: list[Fact], count: int, seed: int = 4) -> list[list[Change]]:
    """`count` single-fact changes to the baseline: set a field, retract a fact, or add one."""
    rng = random.Random(seed)
    source = FactSource(title="variant", ref="bench", date=BASELINE_AS_OF)
    sets: list[Change] = []
    for fact in base:
        for name, spec in pack.vocabulary[fact.kind].fields.items():
            values: list[Any] = list(spec.values) if spec.type == "enum" else [True, False] if spec.type == "boolean" \
                else [fact.observed + dt.timedelta(days=d) for d in (10, 40, 90)] if spec.type == "date" \
                else [30, 60, 90, 120] if name == "window_days" else list(range(-60, 61, 10))
            sets += [Change(op="set", fact=fact.id, kind=fact.kind, fields={name: v})
                     for v in values if v != fact.fields.get(name)]
    retracts = [Change(op="retract", fact=f.id) for f in base]
    out: list[list[Change]] = []
    for i in range(count):
        pick = i % 4
        if pick == 0:
            out.append([sets[(i // 4) % len(sets)]])
        elif pick == 1:
            out.append([retracts[(i // 4) % len(retracts)]])
        else:
            kind = "pakistan_action" if pick == 2 else rng.choice(["violence_trend", "pakistan_stance", "negotiations"])
            spec = pack.vocabulary[kind]
            fields: dict[str, Any] = {}
            for name, field in spec.fields.items():
                fields[name] = (rng.choice(field.values) if field.type == "enum" else rng.random() < 0.5
                                if field.type == "boolean" else rng.choice([30, 60, 90])
                                if name == "window_days" else rng.randint(-60, 60))
            fact = Fact(id=f"variant-{i:04d}", kind=kind, subject=spec.subjects[0], fields=fields, source=source,
                        observed=BASELINE_AS_OF - dt.timedelta(days=rng.randint(0, 30)), reliability="B",
                        credibility=2)
            out.append([Change(op="add", fact=fact.id, kind=kind, fields=fields, added=fact)])
    return out


def w4(count: int, problems: Problems) -> dict[str, Any]:
    pack = article_pack()
    base = load_facts([BASELINE], pack)
    sweep = variants(pack, base, count)
    evaluate(pack, base, BASELINE_AS_OF)  # warm
    Session = session_class()
    kinds = {op: sum(1 for v in sweep if v[0].op == op) for op in ("set", "retract", "add")}
    section: dict[str, Any] = {"variants": len(sweep), "as_of": BASELINE_AS_OF.isoformat(), "kinds": kinds}
    scratch: list[float] = []
    if Session is None:
        for changes in sweep:
            scratch.append(timed(lambda: evaluate(pack, apply(base, changes), BASELINE_AS_OF))[0])  # noqa: B023
        section.update(available=False, scratch=stats(scratch), incremental=None)
        return section
    built, session = timed(lambda: Session(pack, base))
    incremental: list[float] = []
    levels = set()
    for changes in sweep:
        took, fresh = timed(lambda: session.evaluate_changes(changes, BASELINE_AS_OF))  # noqa: B023
        incremental.append(took)
        took, full = timed(lambda: evaluate(pack, apply(base, changes), BASELINE_AS_OF))  # noqa: B023
        scratch.append(took)
        levels.add(fresh.value_of("cooperation_level"))
        if not same(fresh, full):
            problems.append(f"W4: the session's evaluation of {changes[0].describe()} differs from evaluate()")
    session.close()
    incremental_total = built + sum(incremental)
    section.update(available=True, scratch=stats(scratch), incremental=stats(incremental),
                   session_build_ms=round(built * 1000, 2), scratch_total_s=round(sum(scratch), 3),
                   incremental_total_s=round(incremental_total, 3),
                   speedup=round(sum(scratch) / incremental_total, 2), levels=sorted(map(str, levels)))
    return section


# --- W5 memory ---------------------------------------------------------------------------------------------

def engine_memory(count: int) -> dict[str, Any]:
    """In a fresh process: peak RSS of one engine evaluation of the synthetic pack over `count` facts."""
    imported = raw.rss_kib()
    pack = synthetic.load()
    facts = synthetic.facts(count)
    before = raw.rss_kib()
    evaluation = evaluate(pack, facts, synthetic.AS_OF)
    return {"peak_kib": raw.peak_rss_kib(), "imported_kib": imported, "before_kib": before,
            "firings": len(evaluation.firings),
            "derived": len(evaluation.derived)}


def w5(count: int, problems: Problems, work: Path) -> dict[str, Any]:
    pack = synthetic.load()
    facts = synthetic.facts(count)
    plan_file, facts_file = work / "synthetic-plan.json", work / "synthetic-facts.json"
    plan_file.write_text(json.dumps(raw.plan(_compiled(pack))), encoding="utf-8")
    facts_file.write_text(json.dumps(durable_counted(pack, facts, synthetic.AS_OF)), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(BENCH)])}
    sides = {
        "engine": [sys.executable, str(BENCH / "run.py"), "--memory-child", str(count)],
        "raw": [sys.executable, str(BENCH / "raw.py"), str(plan_file), str(facts_file), "--memory"],
    }
    section: dict[str, Any] = {"facts": count}
    for side, command in sides.items():
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False, env=env)
        if done.returncode != 0:
            problems.append(f"W5 {side}: exited {done.returncode}: {done.stderr.strip()[-300:]}")
            return section
        section[side] = json.loads(done.stdout.strip().splitlines()[-1])
    if section["engine"]["firings"] != section["raw"]["firings"]:
        problems.append(f"W5: engine recorded {section['engine']['firings']} firings, raw "
                        f"{section['raw']['firings']}")
    section["ratio"] = round(section["engine"]["peak_kib"] / section["raw"]["peak_kib"], 2)
    growth = {side: section[side]["peak_kib"] - section[side]["before_kib"] for side in sides}
    section["growth_kib"] = growth
    section["growth_ratio"] = round(growth["engine"] / max(growth["raw"], 1), 2)
    return section


def workdir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="commitments-bench-")
