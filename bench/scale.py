"""Loading and evaluating at scale: the synthetic pack's facts as YAML files, through the CLI.

Takes a size (facts) and writes that many synthetic facts (bench/synthetic.py: the same facts, seed and
reference) as fact files of 1,000 each; gives, per size, the wall time and peak RSS of one
`commitments evaluate DIR --rules PACK --as-of DATE --format json` process (audit off, and on), and whether
its conclusions equal the pure-Python reference. Also W2 at 10,000 facts timed cold (a fresh process
per run: facts loaded from YAML, nothing cached) and warm, each against raw durable_rules with its stock
JSON, over several runs.

    .venv/bin/python bench/scale.py --sizes 10000 100000        # a few minutes
    .venv/bin/python bench/scale.py --sizes 10000 100000 1000000 # `make bench-scale`
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT), str(BENCH)]

import raw  # noqa: E402
import synthetic  # noqa: E402

from engine.evaluate import evaluate  # noqa: E402
from engine.evidence import sort_evidence  # noqa: E402
from engine.loader import RUN_BYTES_ENV_VAR  # noqa: E402
from engine.model import Fact  # noqa: E402
from engine.parallel import MAX_WORKERS, WORKERS_ENV_VAR, cores  # noqa: E402

PER_FILE = 1_000


def _yaml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def fact_yaml(fact: Fact) -> str:
    """One fact as an analyst would write it (block style), in the synthetic pack's vocabulary."""
    assert fact.source is not None
    lines = [f"  - id: {fact.id}", f"    kind: {fact.kind}", f"    subject: {fact.subject}",
             f"    observed: {fact.observed.isoformat()}",
             f"    source: {{title: {fact.source.title}, ref: {fact.source.ref}, date: {fact.source.date}}}",
             f"    reliability: {fact.reliability}", f"    credibility: {fact.credibility}"]
    lines += [f"    {name}: {_yaml_value(value)}" for name, value in fact.fields.items()]
    return "\n".join(lines) + "\n"


def write_facts(folder: Path, count: int, per_file: int = PER_FILE) -> list[Fact]:
    """`synthetic.facts(count)` written as files of `per_file` facts in `folder`; gives the facts."""
    folder.mkdir(parents=True, exist_ok=True)
    facts = synthetic.facts(count)
    for number, start in enumerate(range(0, len(facts), per_file)):
        text = "facts:\n" + "".join(fact_yaml(f) for f in facts[start:start + per_file])
        (folder / f"facts-{number:04d}.yaml").write_text(text, encoding="utf-8")
    return facts


# --- the CLI at scale ----------------------------------------------------------------------------------------

def _conclusions(data: dict[str, Any]) -> synthetic.Conclusions:
    """`synthetic.from_evaluation`, from the JSON view of an evaluation."""
    out = synthetic.Conclusions()
    for d in data["derived"]:
        rules = {o["rule"] for o in data["firings"] if d["id"] in o["derived"]}
        out.derived[d["id"]] = (rules, set(d["facts"]))
    for r in data["responses"]:
        out.responses[r["id"]] = (set(r["rules"]), set(r["facts"]))
    return out


# The command, run as itself, writing its own peak resident size (VmHWM) to a file as it exits. Not the
# child's rusage: Linux counts in a child's ru_maxrss the memory of the process it was forked from (the
# pre-exec copy), so a child of this process, which holds 100,000 facts by then, "peaked" at its size.
_MEASURED = """
import atexit, resource, runpy, sys
peak_file = sys.argv[1]
def note_peak():
    with open("/proc/self/status", encoding="ascii") as status:
        peak = next((line.split()[1] for line in status if line.startswith("VmHWM:")), "0")
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB: the largest worker's peak
    with open(peak_file, "w", encoding="ascii") as out:
        out.write(f"{peak} {workers}")
atexit.register(note_peak)
sys.argv = ["commitments", *sys.argv[2:]]
runpy.run_module("engine", run_name="__main__", alter_sys=True)
"""


def _process(command: list[str], out: Path | None = None) -> tuple[float, int, int, str]:
    """Run `commitments` with `command`'s arguments (stdout to `out`); wall seconds, its peak RSS in KiB (its
    own, plus as many times its largest worker's as it may start workers, engine.parallel: an upper bound,
    as the workers share the pages they were forked with), exit code, and its stderr's end."""
    env = {**os.environ, RUN_BYTES_ENV_VAR: str(1 << 40)}
    with tempfile.NamedTemporaryFile(prefix="commitments-peak-", delete=False) as peak_file:
        peak_path = Path(peak_file.name)
    try:
        with open(out or os.devnull, "wb") as sink, tempfile.TemporaryFile() as errors:
            start = time.perf_counter()
            child = subprocess.run([sys.executable, "-c", _MEASURED, str(peak_path), *command], cwd=ROOT,
                                   stdout=sink, stderr=errors, env=env, check=False)
            took = time.perf_counter() - start
            errors.seek(0)
            own, workers = (int(n) for n in (peak_path.read_text(encoding="ascii") or "0 0").split())
            peak = own + workers * min(cores(), MAX_WORKERS)
            return took, peak, child.returncode, errors.read().decode("utf-8", "replace")[-500:]
    finally:
        peak_path.unlink(missing_ok=True)


def cli_at(count: int, work: Path, pack_dir: Path, audit: bool, problems: list[str]) -> dict[str, Any]:
    """One `commitments evaluate` of `count` facts in files of 1,000: time, peak RSS and correctness."""
    folder = work / f"facts-{count}"
    if not folder.exists():
        write_facts(folder, count)
    facts = synthetic.facts(count)
    counted, _ = sort_evidence(facts, synthetic.load(), synthetic.AS_OF)
    expected = synthetic.reference(counted)
    del facts
    output = work / f"out-{count}.json"
    command = ["evaluate", str(folder), "--rules", str(pack_dir), "--as-of", synthetic.AS_OF.isoformat(),
               "--format", "json"]
    command += ["--audit-db", str(work / f"audit-{count}.sqlite")] if audit else ["--no-audit"]
    took, peak, code, stderr = _process(command, output)
    row: dict[str, Any] = {"facts": count, "counting": len(counted), "audit": audit, "seconds": round(took, 2),
                           "peak_mib": round(peak / 1024, 1), "exit": code}
    if code != 0:
        problems.append(f"scale: the CLI at {count:,} facts exited {code}: {stderr.strip()[-300:]}")
        row["correct"] = False
        return row
    found = synthetic.compare(expected, _conclusions(json.loads(output.read_text(encoding="utf-8"))),
                              f"scale CLI at {count:,} facts")
    problems += found
    row["correct"] = not found
    output.unlink()
    return row


# --- W2 at 10,000 facts, cold and warm -----------------------------------------------------------------------

COLD_ENGINE = """
import sys, time, json
sys.path[:0] = [sys.argv[1], sys.argv[1] + "/bench"]
from pathlib import Path
import synthetic
from engine.evaluate import evaluate
from engine.validate import load_facts, load_pack
pack = load_pack(Path(sys.argv[2]))
facts = load_facts([Path(sys.argv[3])], pack)
start = time.perf_counter()
evaluation = evaluate(pack, facts, synthetic.AS_OF)
print(json.dumps({"ms": (time.perf_counter() - start) * 1000, "counted": len(evaluation.counted)}))
"""
COLD_RAW = """
import sys, time, json
sys.path.insert(0, sys.argv[1] + "/bench")
import raw
data = json.load(open(sys.argv[2], encoding="utf-8"))
facts = json.load(open(sys.argv[3], encoding="utf-8"))
assert not any(name == "engine" or name.startswith("engine.") for name in sys.modules), "raw imported the engine"
start = time.perf_counter()
firings, derived = raw.RawRunner(data).run(facts)
print(json.dumps({"ms": (time.perf_counter() - start) * 1000, "firings": len(firings)}))
"""


def _child(script: str, *args: str) -> float:
    # Its facts read in the one process: workers (engine.parallel) would take their canonical texts before the
    # clock starts, and a cold evaluation is timed with its facts digest.
    done = subprocess.run([sys.executable, "-c", script, str(ROOT), *args], cwd=ROOT, capture_output=True,
                          text=True, check=True,
                          env={**os.environ, RUN_BYTES_ENV_VAR: str(1 << 40), WORKERS_ENV_VAR: "1"})
    return float(json.loads(done.stdout.strip().splitlines()[-1])["ms"])


def _spread(values: list[float]) -> dict[str, Any]:
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3),
            "max": round(max(values), 3), "runs": len(values), "all": [round(v, 3) for v in values]}


def w2_cold_warm(count: int, repeats: int, work: Path, pack_dir: Path) -> dict[str, Any]:
    """W2 at `count` facts: cold (a fresh process per run, each side; the engine loads its facts from YAML
    and evaluates them for the first time: compiling, registering and the facts digest included; raw
    registers the same rulesets and runs the counting facts, in a process that never imports the engine)
    and warm (in this process, the two alternating, as W2 does); ratios per pair, with their spread."""
    from workloads import _compiled, durable_counted

    folder = work / f"facts-{count}"
    if not folder.exists():
        write_facts(folder, count)
    pack = synthetic.load()
    facts = synthetic.facts(count)
    plan_file, facts_file = work / "w2-plan.json", work / "w2-facts.json"
    plan_file.write_text(json.dumps(raw.plan(_compiled(pack))), encoding="utf-8")
    dicts = durable_counted(pack, facts, synthetic.AS_OF)
    facts_file.write_text(json.dumps(dicts), encoding="utf-8")
    cold_engine, cold_raw = [], []
    for _ in range(repeats):
        cold_engine.append(_child(COLD_ENGINE, str(pack_dir), str(folder)))
        cold_raw.append(_child(COLD_RAW, str(plan_file), str(facts_file)))
    runner = raw.RawRunner(raw.plan(_compiled(pack)))
    warm_engine, warm_raw = [], []
    evaluate(pack, facts, synthetic.AS_OF)
    runner.run(dicts)
    for _ in range(repeats):
        start = time.perf_counter()
        evaluate(pack, facts, synthetic.AS_OF)
        warm_engine.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        runner.run(dicts)
        warm_raw.append((time.perf_counter() - start) * 1000)
    out: dict[str, Any] = {"facts": count, "repeats": repeats}
    for name, engine_ms, raw_ms in (("cold", cold_engine, cold_raw), ("warm", warm_engine, warm_raw)):
        out[name] = {"engine_ms": _spread(engine_ms), "raw_ms": _spread(raw_ms),
                     "ratio": _spread([e / r for e, r in zip(engine_ms, raw_ms, strict=True)]),
                     "ratio_of_medians": round(statistics.median(engine_ms) / statistics.median(raw_ms), 2)}
    return out


def workload(sizes: list[int], repeats: int, problems: list[str], work: Path | None = None) -> dict[str, Any]:
    """The scale workload: the CLI at each size (with the audit trail too, up to 100,000), W2 cold and warm."""
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        where = work or Path(tmp)
        pack_dir = synthetic.write_pack(where / "pack")
        rows = []
        for count in sizes:
            rows.append(cli_at(count, where, pack_dir, audit=False, problems=problems))
            print(f"  scale {count:,}: {rows[-1]['seconds']} s, {rows[-1]['peak_mib']} MiB", flush=True)
            if count <= 100_000:
                rows.append(cli_at(count, where, pack_dir, audit=True, problems=problems))
        w2 = w2_cold_warm(10_000, repeats, where, pack_dir)
    return {"rows": rows, "w2": w2, "per_file": PER_FILE}


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The scale targets, as bench/run.py's `target` rows."""
    scale = results.get("scale")
    if not scale:
        return []
    out = []
    rows = {r["facts"]: r for r in scale["rows"] if not r["audit"]}
    for count, limit, name in ((100_000, 10, "100k CLI"), (1_000_000, 120, "1M CLI")):
        row = rows.get(count)
        memory = count >= 1_000_000
        goal = f"<= {limit} s" + (", peak RSS <= 3 GiB" if memory else "") + ", correct"
        met = bool(row and row["correct"] and row["seconds"] <= limit and (not memory or row["peak_mib"] <= 3 * 1024))
        detail = (f"`commitments evaluate` of {count:,} facts in files of {scale['per_file']:,}, --no-audit, wall s"
                  + (f"; peak RSS {row['peak_mib']:,} MiB, its workers' included" if row else "") if row
                  else "not run (`make bench-scale`)")
        out.append({"name": name, "measured": row and row["seconds"], "target": goal, "met": met, "detail": detail})
    cold = scale["w2"]["cold"]["ratio"]
    digest = results.get("floors", {}).get("digest", {}).get("digest")
    raw_cold = scale["w2"]["cold"]["raw_ms"]["median"]
    out.append({"name": "W2 10k cold", "measured": cold["median"], "target": "<= 1.3x raw durable_rules (cold)",
                "met": cold["median"] <= 1.3 and cold["max"] <= 1.3 * 1.1,
                "detail": f"median of {cold['runs']} fresh-process pairs against stock raw durable_rules "
                          f"(spread {cold['min']:.2f}–{cold['max']:.2f}×)",
                "floor": "" if not digest else f"{1 + digest['median_ms'] / raw_cold:.2f}x: the facts digest of "
                         f"10,000 new facts alone takes {digest['median_ms']:.0f} ms against raw's {raw_cold:.0f}"})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--merge", type=Path, default=None,
                        help="a results.json to add the scale section to (its README.md is written again)")
    args = parser.parse_args(argv)
    problems: list[str] = []
    result = workload(args.sizes, args.repeats, problems)
    print(json.dumps(result, indent=2))
    if args.merge is not None:
        import report

        results = json.loads(args.merge.read_text(encoding="utf-8"))
        results["scale"] = result
        results["targets"] = [t for t in results["targets"] if t["name"] not in SCALE_TARGETS] + targets(results)
        results["problems"] = [p for p in results["problems"] if not p.startswith("scale")] + problems
        args.merge.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        (args.merge.parent / "README.md").write_text(report.render(results), encoding="utf-8")
    for problem in problems:
        print(f"WRONG: {problem}", file=sys.stderr)
    return 1 if problems else 0


SCALE_TARGETS = ("100k CLI", "1M CLI", "W2 10k cold")

if __name__ == "__main__":
    sys.exit(main())
