"""`make bench`: run W1-W6, check every answer, write bench/results.json and bench/README.md from it.

    .venv/bin/python bench/run.py            # the full run (under 5 minutes on 2 cores)
    .venv/bin/python bench/run.py --quick    # a smoke run in under a minute, written outside bench/

A wrong answer anywhere (the engine against the reference, the session against from-scratch) is listed
in results.json and the README and makes the run exit 1; a missed target does not (a benchmark measures).
For each missed target the run profiles the slow path (cProfile; tracemalloc for memory) and the README
shows where the time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import importlib.metadata
import io
import json
import os
import platform
import pstats
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT), str(BENCH)]

import floors  # noqa: E402
import report  # noqa: E402
import scale  # noqa: E402
import synthetic  # noqa: E402
import web  # noqa: E402
import workloads  # noqa: E402

from engine.evaluate import evaluate  # noqa: E402
from engine.validate import load_facts  # noqa: E402

FULL = {"w1_repeats": 25, "cli_repeats": 7, "w2_sizes": [(1_000, 3), (10_000, 3), (100_000, 1)],
        "w3_facts": 10_000, "w3_steps": 365, "w3_scratch_every": 3, "w4_variants": 1_000, "w5_facts": 10_000,
        "scale_sizes": [10_000, 100_000], "scale_repeats": 5}
QUICK = {"w1_repeats": 5, "cli_repeats": 2, "w2_sizes": [(1_000, 2), (10_000, 1)],
         "w3_facts": 2_000, "w3_steps": 30, "w3_scratch_every": 3, "w4_variants": 100, "w5_facts": 10_000,
         "scale_sizes": [10_000], "scale_repeats": 2}
FULL |= web.FULL  # W6, the web page under load: bench/web.py
QUICK |= web.QUICK


def machine() -> dict[str, Any]:
    cpu = "unknown"
    memory = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), cpu)
    with open("/proc/meminfo", encoding="utf-8") as info:
        total = next((int(line.split()[1]) for line in info if line.startswith("MemTotal")), 0)
        memory = f"{total / 1024 / 1024:.1f} GiB"
    versions = {name: importlib.metadata.version(name) for name in ("durable-rules", "pydantic", "pydantic-core")}
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory": memory, "os": platform.platform(),
            "python": platform.python_version(), **versions,
            "load_at_start": [round(x, 2) for x in os.getloadavg()]}


# --- profiles ----------------------------------------------------------------------------------------------

AREAS = (("durable_rules", ("durable_rules_engine", "/durable/")), ("json", ("/json/",)),
         ("pydantic", ("pydantic",)), ("yaml", ("/yaml/",)), ("sqlite", ("sqlite",)),
         ("imports", ("<frozen importlib", "built-in method _imp", "marshal")),
         ("engine", ("/engine/",)), ("bench", ("/bench/",)))


def _short(text: str) -> str:
    for prefix in (str(ROOT) + "/", sys.prefix + "/lib/python3.11/site-packages/", sys.base_prefix + "/lib/"):
        text = text.replace(prefix, "")
    return text


WRAPPERS = ("bench/", "builtins.exec}", "<frozen runpy>", "<string>:1(<module>)", "engine/__main__.py")


def summarise(stats: pstats.Stats, top: int = 10) -> dict[str, Any]:
    """The top entries by cumulative time (the benchmark's own wrappers left out), and own time by area."""
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats("cumulative").print_stats(top + 10)
    lines = [_short(line.rstrip()) for line in out.getvalue().splitlines()]
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
    lines = lines[:start + 1] + [line for line in lines[start + 1:] if not any(w in line for w in WRAPPERS)]
    total = sum(v[2] for v in stats.stats.values())  # type: ignore[attr-defined]
    areas: dict[str, float] = {}
    for (file, _, func), value in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{file} {func}"
        area = next((name for name, keys in AREAS if any(k in where for k in keys)), "other")
        areas[area] = areas.get(area, 0.0) + value[2]
    shares = {k: round(100 * v / total, 1) for k, v in sorted(areas.items(), key=lambda kv: -kv[1])}
    stages = {}
    for label, file, func in STAGES:
        spent = sum(v[3] for (f, _, name), v in stats.stats.items()  # type: ignore[attr-defined]
                    if f.endswith(file) and name == func)
        if spent:
            stages[label] = round(100 * spent / total, 1)
    return {"total_s": round(total, 3), "top": [line for line in lines[start:] if line.strip()][: top + 1],
            "own_time_pct": shares, "stages_pct": stages}


# Engine stages whose cumulative time the README shows (a stage missing from a profile is left out).
STAGES = (("durable_rules runs (consequents included)", "engine/runtime.py", "update"),
          ("consequents (activations, truth maintenance)", "engine/network.py", "_fired"),
          ("watch runs (which negations to re-open)", "engine/network.py", "_watching"),
          ("rules of evidence", "engine/evidence.py", "at"),
          ("provenance (derived support)", "engine/evaluate.py", "__init__"),
          ("result views", "engine/evaluate.py", "result"),
          ("facts digest", "engine/evaluate.py", "facts_digest"),
          ("rule outcomes", "engine/evaluate.py", "_outcomes"),
          ("responses", "engine/evaluate.py", "_responses"),
          ("guardrails", "engine/guardrails.py", "check_guardrails"))


def profile(fn: Callable[[], Any], repeat: int = 1) -> dict[str, Any]:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        fn()
    profiler.disable()
    return summarise(pstats.Stats(profiler))


def profile_cli(work: Path) -> dict[str, Any]:
    out = work / "cli.prof"
    command = [sys.executable, "-m", "cProfile", "-o", str(out), "-m", "engine", "evaluate",
               "--as-of", workloads.BASELINE_AS_OF.isoformat(), "--audit-db", str(work / "profile.sqlite")]
    subprocess.run(command, cwd=ROOT, capture_output=True, check=False)
    result = summarise(pstats.Stats(str(out)))
    result["stages_pct"] = {}  # evaluating is a sliver of a process: the phases below say where time goes
    importtime = subprocess.run([sys.executable, "-X", "importtime", "-c", "import engine.cli"], cwd=ROOT,
                                capture_output=True, text=True, check=False).stderr
    rows = [line.split("|") for line in importtime.splitlines() if line.startswith("import time:")][1:]
    heavy = sorted(((int(r[1]), r[2].strip()) for r in rows if len(r) == 3), reverse=True)[:6]
    result["import_ms"] = [{"module": name, "cumulative_ms": round(us / 1000, 1)} for us, name in heavy]
    result["phases_ms"] = cli_phases(work)
    return result


PHASES = """
import json, sys, time
t = [time.perf_counter()]
from pathlib import Path
import datetime as dt
from engine import audit, cli
from engine.evaluate import evaluate
from engine.record import entry_for
from engine.render import RENDERERS
from engine.validate import load_facts, load_pack
t.append(time.perf_counter())
pack = load_pack(Path("rules")); t.append(time.perf_counter())
facts = load_facts([Path("facts/2021-02-baseline.yaml")], pack); t.append(time.perf_counter())
evaluation = evaluate(pack, facts, dt.date(2021, 2, 12)); t.append(time.perf_counter())
with audit.AuditStore.open(Path(sys.argv[1])) as store:
    store.append(entry_for(evaluation, pack, facts))
t.append(time.perf_counter())
text = RENDERERS["text"](evaluation, pack); t.append(time.perf_counter())
names = ["import engine", "load rules/ (YAML -> Pack)", "load the baseline facts", "evaluate (first: compile and "
         "register the rulesets)", "record in the audit trail", "render text"]
print(json.dumps({n: round((b - a) * 1000, 1) for n, a, b in zip(names, t, t[1:])}))
"""


def cli_phases(work: Path) -> dict[str, float]:
    """Where a CLI process's wall time goes, phase by phase, measured without a profiler."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=False)
    bare = (time.perf_counter() - start) * 1000
    done = subprocess.run([sys.executable, "-c", PHASES, str(work / "phases.sqlite")], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"(phases not measured)": 0.0}
    return {"python start-up": round(bare, 1), **json.loads(done.stdout.strip().splitlines()[-1])}


def memory_profile(count: int) -> dict[str, Any]:
    pack = synthetic.load()
    facts = synthetic.facts(count)
    tracemalloc.start(25)
    evaluation = evaluate(pack, facts, synthetic.AS_OF)
    snapshot = tracemalloc.take_snapshot()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    top = snapshot.statistics("lineno")[:8]
    del evaluation
    return {"traced_peak_kib": peak // 1024,
            "top": [f"{s.size // 1024:>8} KiB {s.count:>8} blocks  {_short(str(s.traceback[0]))}" for s in top]}


def profiles(results: dict[str, Any], work: Path) -> None:
    """Profile the slow path of every missed target (its own entry in `results['profiles']`)."""
    missed = {t["name"] for t in results["targets"] if not t["met"] and t["measured"] is not None}
    if "W1 CLI" not in missed:  # what a CLI process spends its time on is worth a line either way
        results["cli_phases_ms"] = cli_phases(work)
    pack = workloads.article_pack()
    found: dict[str, Any] = {}
    if "W1 in-process" in missed:
        facts = load_facts([workloads.BASELINE], pack)
        found["W1 in-process"] = profile(lambda: evaluate(pack, facts, workloads.BASELINE_AS_OF), repeat=200)
        found["W1 in-process"]["what"] = "200 in-process evaluations of the baseline"
    if "W1 CLI" in missed:
        found["W1 CLI"] = profile_cli(work)
        found["W1 CLI"]["what"] = "one `commitments evaluate --as-of 2021-02-12` process (python -m cProfile)"
    if "W2 10k" in missed:
        spack, sfacts = synthetic.load(), synthetic.facts(10_000)
        evaluate(spack, sfacts, synthetic.AS_OF)
        found["W2 10k"] = profile(lambda: evaluate(spack, sfacts, synthetic.AS_OF))
        found["W2 10k"]["what"] = "one evaluation of the synthetic pack over 10,000 facts"
    Session = workloads.session_class()
    if "W3 timeline" in missed and Session is not None:
        facts = workloads.timeline_facts(pack, results["w3"]["facts"])
        session = Session(pack, facts)
        days = [dt.date(2020, 7, 1) + dt.timedelta(days=d) for d in range(10)]
        session.evaluate(days[0])
        found["W3 timeline"] = profile(lambda: [session.evaluate(day) for day in days[1:]])
        found["W3 timeline"]["what"] = f"9 incremental daily steps over {len(facts):,} facts"
        session.close()
    if "W4 what-if" in missed and Session is not None:
        base = load_facts([workloads.BASELINE], pack)
        sweep = workloads.variants(pack, base, 200)
        session = Session(pack, base)
        found["W4 what-if"] = profile(lambda: [session.evaluate_changes(c, workloads.BASELINE_AS_OF) for c in sweep])
        found["W4 what-if"]["what"] = "200 incremental variants of the baseline"
        session.close()
    if "W5 memory" in missed:
        found["W5 memory"] = memory_profile(results["w5"]["facts"])
        found["W5 memory"]["what"] = "tracemalloc: what is still allocated after one evaluation over 10,000 facts"
    results["profiles"] = found


# --- targets -----------------------------------------------------------------------------------------------

def target(name: str, measured: Any, goal: str, met: bool, detail: str, floor: str = "") -> dict[str, Any]:
    """One target: what was measured against its goal, and (when measured) the floor it cannot go below."""
    return {"name": name, "measured": measured, "target": goal, "met": bool(met), "detail": detail, "floor": floor}


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue #14's targets, each a ratio against its comparison measured in this run (the CLI also in ms)."""
    out = []
    floors_ = results.get("floors", {})
    rows = results["w1"]["rows"]
    worst = max(rows, key=lambda r: r["ratio"])
    result_floor = floors_.get("result", {}).get("share_of_raw")
    out.append(target("W1 in-process", worst["ratio"], "<= 1.3x raw durable_rules", worst["ratio"] <= 1.3,
                      f"worst median ratio, on {worst['facts']}",
                      "" if result_floor is None else f"{1 + result_floor:.2f}x: validating the pydantic result "
                      f"alone is {result_floor:.2f}x raw's whole run"))
    base = rows[0]["cli"]["median_ms"]
    cli_floor = floors_.get("cli", {})
    out.append(target("W1 CLI", round(base, 1), "<= 150 ms median", base <= 150,
                      "`commitments evaluate` of the baseline, audit trail on (the default), prepared pack cached, "
                      f"median ms ({rows[0]['cli_ratio']:.2f}x the raw durable_rules process)",
                      "" if not cli_floor else f"{cli_floor['libraries']['median_ms']:.0f} ms: importing the "
                      f"{cli_floor['modules']} library modules the command imports, and nothing else"))
    w2 = {r["facts"]: r for r in results["w2"]["rows"]}
    ten = w2.get(10_000)
    throughput = floors_.get("throughput")
    out.append(target("W2 10k", ten and ten["ratio"], "<= 1.2x raw durable_rules",
                      bool(ten and ten["ratio"] is not None and ten["ratio"] <= 1.2), "median ratio at 10,000 facts",
                      "" if not throughput else f"{throughput['floor_ratio']:.2f}x: the rules of evidence and "
                      "validating the result alone, before any activation is recorded"))
    big = w2.get(100_000)
    out.append(target("W2 100k correct", None if big is None else big["engine_correct"], "correct at 100,000",
                      bool(big and big["engine_correct"]), "every derived fact and response, with its rules and "
                      "supporting facts, equal to the pure-Python reference" if big else "not run (--quick)"))
    whatif = floors_.get("whatif", {}).get("durable")
    for key, name in (("w3", "W3 timeline"), ("w4", "W4 what-if")):
        section = results[key]
        speedup = section.get("speedup")
        scratch = section.get("scratch", {}).get("median_ms")
        floor = ("" if key != "w4" or not whatif or not scratch else
                 f"{scratch / whatif['median_ms']:.1f}x at most: a variant's durable_rules calls alone take "
                 f"{whatif['median_ms']:.2f} ms against {scratch:.2f} ms from scratch")
        out.append(target(name, speedup, ">= 10x faster than from scratch", bool(speedup and speedup >= 10),
                          "from-scratch total / incremental total (session build included)" if speedup
                          else "incremental: not available (engine.session missing)", floor))
    w5 = results["w5"]
    memory = floors_.get("memory", {})
    gap = memory.get("gap_kib")
    raw_peak = w5.get("raw", {}).get("peak_kib")
    # the input each side holds: validated `Fact` models (the SPEC's input) against raw's plain dicts
    inputs = {side: w5[side]["before_kib"] - w5[side]["imported_kib"] for side in ("engine", "raw") if side in w5}
    held = inputs.get("engine", 0) - inputs.get("raw", 0)
    out.append(target("W5 memory", w5.get("ratio"), "<= 1.2x raw durable_rules", bool(w5.get("ratio") and
                      w5["ratio"] <= 1.2), "peak RSS of a fresh process, engine / raw",
                      "" if gap is None or not raw_peak else f"{(raw_peak + gap + held) / raw_peak:.2f}x: the "
                      f"engine's imports hold {gap / 1024:.0f} MiB more than raw's before any input, and its "
                      f"{w5['facts']:,} `Fact` models {held / 1024:.0f} MiB more than raw's dicts"))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run in under a minute")
    parser.add_argument("--out", type=Path, default=None,
                        help="where results.json and README.md go (default bench/, or a temporary folder with --quick)")
    parser.add_argument("--memory-child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child is not None:  # W5's engine side, in its own process
        print(json.dumps(workloads.engine_memory(args.memory_child)))
        return 0
    config = QUICK if args.quick else FULL
    out = args.out or (Path(tempfile.gettempdir()) / "commitments-bench-quick" if args.quick else BENCH)
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("COMMITMENTS_AUDIT_DB", str(Path(tempfile.gettempdir()) / "commitments-bench-audit.sqlite"))
    problems: list[str] = []
    started = time.perf_counter()
    results: dict[str, Any] = {"generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
                               "command": "make bench" if not args.quick else "bench/run.py --quick",
                               "quick": args.quick, "machine": machine(), "config": config, "seconds": {}}
    with workloads.workdir() as tmp:
        work = Path(tmp)
        steps: list[tuple[str, Callable[[], dict[str, Any]]]] = [
            ("w1", lambda: workloads.w1(config["w1_repeats"], config["cli_repeats"], problems, work)),
            ("w2", lambda: workloads.w2(config["w2_sizes"], problems)),
            ("w3", lambda: workloads.w3(config["w3_facts"], config["w3_steps"], config["w3_scratch_every"], problems)),
            ("w4", lambda: workloads.w4(config["w4_variants"], problems)),
            ("w5", lambda: workloads.w5(config["w5_facts"], problems, work)),
            ("floors", lambda: floors.measure(*workloads.cli_commands(work), config["cli_repeats"],
                                              config["w1_repeats"], work, problems)),
            ("scale", lambda: scale.workload(config["scale_sizes"], config["scale_repeats"], problems)),
            ("w6", lambda: web.run(config, problems, work)),
        ]
        for key, step in steps:
            begun = time.perf_counter()
            print(f"{key} …", end=" ", flush=True)
            results[key] = step()
            results["seconds"][key] = round(time.perf_counter() - begun, 1)
            print(f"{results['seconds'][key]} s", flush=True)
        results["targets"] = targets(results) + scale.targets(results)
        results["targets"].append(web.target(results["w6"]))
        begun = time.perf_counter()
        profiles(results, work)
        results["seconds"]["profiles"] = round(time.perf_counter() - begun, 1)
    results["problems"] = problems
    results["machine"]["load_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["seconds"]["total"] = round(time.perf_counter() - started, 1)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    (out / "README.md").write_text(report.render(results), encoding="utf-8")
    for t in results["targets"]:
        print(f"{'met    ' if t['met'] else 'NOT met'}  {t['name']}: {t['measured']} (target {t['target']})")
    print(f"{results['seconds']['total']} s; wrote {out / 'results.json'} and {out / 'README.md'}")
    for problem in problems:
        print(f"WRONG: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
