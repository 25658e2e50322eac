"""Floors: what a target cannot go below while the engine is built on what it is built on, measured in the run.

A target that is not met is shown with its floor, so that "not met" says whether the engine's own work is
what stands in the way. Each floor is measured here, on this machine, alternating with what it bounds:
- the CLI: a process that imports exactly the non-engine modules a `commitments evaluate` process imports
  (pydantic, PyYAML, durable_rules, sqlite3 and the standard modules they and the engine use), nothing else,
  against the CLI itself and a bare interpreter; what is left is the engine's own share of a command;
- memory: the resident size of a process once it has imported what each side imports, before any input;
- in process: validating the result, the pydantic `Evaluation` the SPEC makes the product's output, once
  more from its own parts, against raw durable_rules' time on the same facts;
- throughput: the rules of evidence over every fact and validating the result, at 10,000 facts;
- what-if: the durable_rules calls one incremental variant makes, timed alone;
- cold: the facts digest of freshly loaded facts (the result's `facts_digest`), which a first evaluation
  of new facts takes and raw durable_rules does not.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import raw
import synthetic
import workloads
from workloads import ROOT, Problems, cli_env, stats, timed

from engine.evaluate import _compiled, evaluate, facts_digest
from engine.evidence import sort_evidence
from engine.model import Evaluation, Fact, Pack
from engine.runtime import runtime
from engine.session import Session
from engine.validate import load_facts

# Run in a child: the library modules (not the engine's) that an evaluate process has loaded when it is done.
_MODULES = """
import io, json, sys
before = set(sys.modules)
out, sys.stdout = sys.stdout, io.StringIO()
from engine import cli
code = cli.main(sys.argv[1:])
sys.stdout = out
loaded = [m for m in sys.modules if m not in before and not m.startswith(("engine", "__editable__"))]
print(json.dumps({"code": code, "modules": loaded}))
"""

_IMPORT = """
import importlib, sys
for name in {modules!r}:
    try:
        importlib.import_module(name)
    except Exception:  # a module only its package's own import can load: loaded by that package anyway
        pass
"""

_IMPORTED_RSS = """
import json, sys
sys.path[:0] = {paths!r}
import raw
{imports}
print(json.dumps({{"imported_kib": raw.rss_kib()}}))
"""


def cli_floor(command: list[str], raw_command: list[str], repeats: int, work: Path,
              problems: Problems) -> dict[str, Any]:
    """The CLI against the libraries it imports, imported alone, and a bare interpreter (all alternating)."""
    found = subprocess.run([sys.executable, "-c", _MODULES, *command[1:]], cwd=ROOT, capture_output=True,
                           text=True, check=False, env=cli_env(work))
    if found.returncode != 0:
        problems.append(f"floors: the module census failed: {found.stderr.strip()[-300:]}")
        return {}
    modules = json.loads(found.stdout.strip().splitlines()[-1])["modules"]
    script = work / "import_floor.py"
    script.write_text(_IMPORT.format(modules=modules), encoding="utf-8")
    sides = {"bare": [sys.executable, "-c", "pass"], "libraries": [sys.executable, str(script)],
             "cli": command, "raw_cli": raw_command}
    times: dict[str, list[float]] = {side: [] for side in sides}
    env = cli_env(work)
    for _ in range(repeats):
        for side, argv in sides.items():
            took, done = timed(lambda: subprocess.run(argv, cwd=ROOT, capture_output=True, check=False,  # noqa: B023
                                                      env=env))
            if done.returncode not in (0, 1):
                problems.append(f"floors: {side} exited {done.returncode}")
            times[side].append(took)
    section: dict[str, Any] = {"modules": len(modules), **{side: stats(t) for side, t in times.items()}}
    median = {side: section[side]["median_ms"] for side in sides}
    section["engine_own_ms"] = round(median["cli"] - median["libraries"], 1)
    section["floor_ratio"] = round(median["libraries"] / median["raw_cli"], 2)
    return section


def memory_floor(problems: Problems) -> dict[str, Any]:
    """Resident size once each side's modules are imported, before any input (fresh processes)."""
    paths = [str(ROOT), str(ROOT / "bench")]
    sides = {"engine": "import engine, engine.evaluate, engine.validate", "raw": "from durable import engine"}
    section: dict[str, Any] = {}
    for side, imports in sides.items():
        done = subprocess.run([sys.executable, "-c", _IMPORTED_RSS.format(paths=paths, imports=imports)], cwd=ROOT,
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            problems.append(f"floors: memory of {side}'s imports: {done.stderr.strip()[-300:]}")
            return {}
        section[side] = json.loads(done.stdout.strip().splitlines()[-1])["imported_kib"]
    section["gap_kib"] = section["engine"] - section["raw"]
    return section


def _beside_raw(pack: Pack, facts: list[Fact], as_of: dt.date, repeats: int,
                alone: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    """Each piece of work in `alone` timed by itself, alternating with raw durable_rules on the counting facts;
    and the result's parts, for a piece that validates them."""
    runner = raw.RawRunner(raw.plan(_compiled(pack)))
    counted = workloads.durable_counted(pack, facts, as_of)
    runner.run(counted)  # warm: registered
    took: dict[str, list[float]] = {name: [] for name in [*alone, "raw"]}
    for _ in range(repeats):
        for name, work in alone.items():
            took[name].append(timed(work)[0])
        took["raw"].append(timed(lambda: runner.run(counted))[0])
    return {name: stats(seconds) for name, seconds in took.items()}


def result_floor(repeats: int) -> dict[str, Any]:
    """Validating the baseline's `Evaluation` again from its parts, against raw durable_rules on its facts."""
    pack = workloads.article_pack()
    facts = load_facts([workloads.BASELINE], pack)
    parts = evaluate(pack, facts, workloads.BASELINE_AS_OF).model_dump()
    section = _beside_raw(pack, facts, workloads.BASELINE_AS_OF, repeats,
                          {"validate": lambda: Evaluation.model_validate(parts)})
    section["objects"] = sum(len(parts[k]) for k in ("responses", "derived", "undetermined", "not_counted",
                                                     "guardrails", "rules", "firings"))
    section["share_of_raw"] = round(section["validate"]["median_ms"] / section["raw"]["median_ms"], 2)
    return section


def digest_floor(count: int, repeats: int) -> dict[str, Any]:
    """The facts digest of `count` freshly loaded facts (their canonical JSON, hashed), as a cold evaluation
    takes it: the result's `facts_digest`, which the audit trail and every replay check."""
    took = []
    for _ in range(repeats):
        facts = synthetic.facts(count)  # new Fact objects: nothing of an earlier digest is kept for them
        took.append(timed(lambda: facts_digest(facts))[0])  # noqa: B023
    return {"facts": count, "digest": stats(took)}


def throughput_floor(count: int, repeats: int) -> dict[str, Any]:
    """W2's floor: at `count` synthetic facts, what the SPEC asks beyond raw's run — the rules of evidence over
    every fact (raw is handed the counting ones) and the pydantic result validated from its parts — each timed
    alone, alternating with raw durable_rules on the counting facts."""
    pack = synthetic.load()
    facts = synthetic.facts(count)
    parts = evaluate(pack, facts, synthetic.AS_OF).model_dump()
    section = _beside_raw(pack, facts, synthetic.AS_OF, repeats,
                          {"evidence": lambda: sort_evidence(facts, pack, synthetic.AS_OF),
                           "validate": lambda: Evaluation.model_validate(parts)})
    extra = section["evidence"]["median_ms"] + section["validate"]["median_ms"]
    return {"facts": count, **section, "floor_ratio": round(1 + extra / section["raw"]["median_ms"], 2)}


def whatif_floor(count: int) -> dict[str, Any]:
    """The durable_rules calls an incremental what-if variant makes (its consequents included), timed alone:
    what a variant costs however little else the engine did around them."""
    pack = workloads.article_pack()
    base = load_facts([workloads.BASELINE], pack)
    sweep = workloads.variants(pack, base, count)
    engine = runtime()
    update = engine.update
    spent = [0.0]

    def timed_update(*args: Any, **options: Any) -> Any:
        start = time.perf_counter()
        try:
            return update(*args, **options)
        finally:
            spent[0] += time.perf_counter() - start

    per_variant = []
    with Session(pack, base) as session:
        engine.update = timed_update  # type: ignore[method-assign]  # watch runs call it too
        try:
            for changes in sweep:
                spent[0] = 0.0
                session.evaluate_changes(changes, workloads.BASELINE_AS_OF)
                per_variant.append(spent[0])
        finally:
            del engine.update
    return {"variants": count, "durable": stats(per_variant)}


def measure(command: list[str], raw_command: list[str], cli_repeats: int, repeats: int, work: Path,
            problems: Problems) -> dict[str, Any]:
    start = time.perf_counter()
    section = {"cli": cli_floor(command, raw_command, cli_repeats, work, problems),
               "memory": memory_floor(problems), "result": result_floor(repeats),
               "digest": digest_floor(10_000, 3), "whatif": whatif_floor(200),
               "throughput": throughput_floor(10_000, 3)}
    section["seconds"] = round(time.perf_counter() - start, 1)
    return section
