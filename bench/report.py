"""results.json → bench/README.md, so the figures and the page never disagree (the page is generated)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import web

Results = dict[str, Any]


def _stage(results: Results, target: str, stage: str) -> str:
    value = results.get("profiles", {}).get(target, {}).get("stages_pct", {}).get(stage)
    return "?" if value is None else f"{value:.0f}%"


def _w2_ratio(results: Results, count: int) -> str:
    row = next((r for r in results["w2"]["rows"] if r["facts"] == count), None)
    return "—" if row is None or row["ratio"] is None else f"{row['ratio']:.2f}×"


def _why_w1(r: Results) -> str:
    base = r["w1"]["rows"][0]
    return (
        f"On the baseline raw durable_rules takes {base['raw']['median_ms']:.2f} ms and the engine "
        f"{base['engine']['median_ms']:.2f} ms. The Rete work is the same (raw fires the same compiled rules on "
        "the same facts, checked on every set); the difference is what the engine does around it on every "
        "evaluation, whatever the number of facts: each activation is recorded with its matched facts, indexed "
        "for truth maintenance and turned into a pydantic `Firing` "
        f"({_stage(r, 'W1 in-process', 'consequents (activations, truth maintenance)')} of the profiled time), "
        f"the result views ({_stage(r, 'W1 in-process', 'result views')}: responses with citations and "
        "supporting facts, every rule's outcome, the guardrail checks, the pydantic `Evaluation`), the rules "
        "of evidence and the provenance of derived facts. On 8 counting facts these fixed costs are of the "
        f"order of durable_rules' own work, so the ratio is worst here and falls with size (W2: "
        f"{_w2_ratio(r, 1_000)} at 1,000 facts, {_w2_ratio(r, 10_000)} at 10,000). Tried and measured: building "
        "the result with `model_construct` (pure Python in pydantic 2: about a tenth less per model) and "
        "validating it as one document of plain parts (no measurable gain): neither is worth giving up the "
        "validation. The floor above is what validating the pydantic result alone costs beside raw's whole "
        "run; what is left to try is views kept up to date from the changed activations, as the network is, "
        "instead of rebuilt from all of them.")


def _why_cli(r: Results) -> str:
    base = r["w1"]["rows"][0]
    cli = r.get("floors", {}).get("cli") or {}
    floor = (f" A process that only imports the {cli['modules']} modules the command imports (pydantic, PyYAML, "
             f"durable_rules, sqlite3 and the standard modules they and the engine use) takes "
             f"{cli['libraries']['median_ms']:.0f} ms in the same run: that is the floor while the engine is "
             "built on them; the engine's own share is the rest." if cli else "")
    return (
        f"A `commitments evaluate` process takes {base['cli']['median_ms']:.0f} ms median; raw durable_rules "
        f"as a process {base['raw_cli']['median_ms']:.0f} ms.{floor} The engine's part was cut this way: the pack "
        "is read, validated and compiled once and kept in the user's cache by the bytes it came from "
        "(engine/packcache.py; the `no pack cache` column shows a command without it), the ledger reads each "
        "run's conclusions rather than building a whole `Evaluation` per date, models build their validators "
        "on first use, and what a command does not need is imported when needed. pydantic alone (importing it, "
        "then its model classes and validators) is most of what remains.")


def _why_w2(r: Results) -> str:
    row = next(x for x in r["w2"]["rows"] if x["facts"] == 10_000)
    return (
        f"At 10,000 facts the engine takes {row['engine']['median_ms']:.0f} ms against raw's "
        f"{row['raw']['median_ms']:.0f} ms. durable_rules' share is the same work raw does; on top of it the "
        "engine sorts the evidence of every fact (raw is handed the counting facts), records each activation "
        f"for truth maintenance and provenance ({_stage(r, 'W2 10k', 'consequents (activations, truth maintenance)')} "
        "of the profiled time), computes each derived fact's supporting facts, and builds the views and the "
        f"pydantic result over {row['counting']:,} counting facts and every firing "
        f"({_stage(r, 'W2 10k', 'result views')}). The facts digest is computed once per loaded `Fact` and kept "
        "(facts are immutable): the first evaluation of freshly loaded facts pays it, the repeated runs measured "
        "here do not.")


def _why_w3(r: Results) -> str:
    w3 = r["w3"]
    return (
        f"An incremental step takes {w3['incremental']['median_ms']:.0f} ms median against "
        f"{w3['scratch']['median_ms']:.0f} ms from scratch. What is left per step is proportional to all the "
        f"facts rather than to what changed: the full `Evaluation` over every counting fact and every "
        f"firing ({_stage(r, 'W3 timeline', 'result views')} of the profiled steps) and the list of facts that "
        "do not count, with their reasons.")


def _why_w4(r: Results) -> str:
    w4 = r["w4"]
    return (
        f"On the 9-fact baseline a from-scratch evaluation takes {w4['scratch']['median_ms']:.2f} ms and an "
        f"incremental one {w4['incremental']['median_ms']:.2f} ms. A variant changes one fact, so the Rete work "
        "is already small (a watch run when the fact is of a kind a negation reads, then one update that "
        "retracts the previous variant's fact and asserts this one); what remains is the fixed cost of an "
        "answer: durable_rules' per-call overhead "
        f"({_stage(r, 'W4 what-if', 'durable_rules runs (consequents included)')} of the profiled variants, "
        f"watch runs included: {_stage(r, 'W4 what-if', 'watch runs (which negations to re-open)')}) and the "
        f"full `Evaluation` ({_stage(r, 'W4 what-if', 'result views')}), which a from-scratch evaluation pays "
        "too. 10× would need an answer in a fifth of a millisecond: views updated from the changed "
        "activations only, and a full `Evaluation` built only for the variants that change the recommendation.")


def _why_w5(r: Results) -> str:
    w5 = r["w5"]
    mib = {side: {k: w5[side].get(k, 0) / 1024 for k in ("imported_kib", "before_kib", "peak_kib")}
           for side in ("engine", "raw")}
    return (
        f"Peak RSS {mib['engine']['peak_kib']:.0f} MiB against {mib['raw']['peak_kib']:.0f} MiB. During the run "
        f"both grow alike ({w5['growth_ratio']:.2f}×: durable_rules' state dominates); the difference is what "
        f"each process holds before it: {mib['engine']['imported_kib']:.0f} MiB against "
        f"{mib['raw']['imported_kib']:.0f} MiB once imported (pydantic's machinery alone is about 11 MiB from "
        f"the first model class on), then {mib['engine']['before_kib'] - mib['engine']['imported_kib']:.0f} MiB "
        f"for the pack and {w5['facts']:,} validated `Fact` models against "
        f"{mib['raw']['before_kib'] - mib['raw']['imported_kib']:.0f} MiB for the rulesets and the counting facts "
        "as plain dicts. The floor above adds the two: the imports and the `Fact` models (the SPEC's input) "
        "alone exceed 1.2× of raw's peak.")


def _why_100k(r: Results) -> str:
    return (
        "durable_rules stores a state's facts in a hash index of a fixed 512 buckets (`MAX_MESSAGE_INDEX_LENGTH` "
        "in its C source), and storing a new fact walks its bucket's whole chain: storing alone grows as the "
        "square of the facts in one state (`bench/durable_scaling.py`: 0.10 s at 10,000, 3.2 s at 100,000, "
        "28.7 s at 300,000, with no rule joining anything). The engine spreads a stratum of more than 10,000 "
        "facts over several states when its rules allow (engine/partition.py: the same answers, tested), and "
        "an evaluation runs them one after another, each deleted when done. The facts files of a large run are "
        "read by one forked worker per core (engine/parallel.py), which also take the facts' canonical texts "
        "for the digest. What is left is linear: loading (about 50 µs a fact of CPU: libyaml's events and the "
        "pydantic `Fact`), the Rete work and the consequents in Python.")


def _why_1m(r: Results) -> str:
    row = next((x for x in (r.get("scale") or {}).get("rows", []) if x["facts"] == 1_000_000 and not x["audit"]),
               None)
    ran = (f"The run completes and is correct: {row['seconds']:.0f} s, {row['peak_mib'] / 1024:.1f} GiB at its "
           f"peak, for {row['counting']:,} counting facts. " if row else "")
    return (
        f"{ran}durable_rules holds about 7.8 KiB of resident memory for every fact it stores, whatever the fact "
        "holds (each message node embeds a 255-property JSON object; `bench/durable_scaling.py` measures it): "
        "an evaluation therefore holds one part of a spread stratum at a time (engine/runtime.py, "
        "`_one_by_one`), about 10,000 facts. What remains is the loaded facts in Python (about 1 KiB a "
        "`Fact`, with sources and field sets shared, plus its canonical text), the facts as durable_rules is "
        "given them, the activations and the result.")


def _why_cold(r: Results) -> str:
    return (
        "A cold evaluation pays, besides the Rete work, what a warm one has already paid: compiling the pack "
        "and building the validators of the models it uses, and the facts digest of every new fact (the "
        "floor above: canonical JSON of each, then SHA-256), which the result's `facts_digest`, the audit "
        "trail and every replay depend on.")


# Why a target is missed, in words; the figures and profiles beside it come from results.json.
EXPLAIN: dict[str, Callable[[Results], str]] = {
    "W1 in-process": _why_w1, "W1 CLI": _why_cli, "W2 10k": _why_w2, "W3 timeline": _why_w3,
    "W4 what-if": _why_w4, "W5 memory": _why_w5, "100k CLI": _why_100k, "1M CLI": _why_1m,
    "W2 10k cold": _why_cold}
EXPLAIN["W6 web p95"] = web.explain  # W6's figures and words live in bench/web.py

NOTES = [
    "A durable_rules state holds one fact per `id`: a second fact with an id already held raises "
    "MessageObservedException whatever its content, and a salt property does not change that (measured; "
    "tests/test_runtime.py). The engine retracts a changed fact before asserting its new content, and a retry "
    "after a false \"already observed\" uses a salted id.",
    "durable_rules 2.0.28 fails once more than 64 rules of one ruleset join (`{ref: alias.field}`) on the "
    "same fact kind (error 303; the process can abort): the compiler splits such a stratum into rulesets "
    "within the limit (engine/limits.py), and the W2 pack spreads its signals over two kinds so that each of "
    "its strata stays one ruleset.",
    "Without a gate fact asserted last, durable_rules fires a `not` join on whichever fact arrived first; "
    "with one gate per rule that negates, an incremental step re-opens only the rules a changed fact can "
    "affect (engine/network.py).",
]


def _ms(block: dict[str, Any] | None) -> str:
    if not block:
        return "—"
    return f"{block['median_ms']:,.1f} ({block['min_ms']:,.1f}–{block['max_ms']:,.1f})"


def _x(value: Any) -> str:
    return "—" if value is None else f"{value:.2f}×"


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + ["| " + " | ".join(r) + " |" for r in rows]


def render(results: dict[str, Any]) -> str:
    m = results["machine"]
    out = ["# Benchmarks", "",
           "<!-- Generated by bench/run.py from bench/results.json; edit bench/report.py, not this file. -->", "",
           f"`{results['command']}` — {results['seconds']['total']:.0f} s in all, {results['generated']}. "
           "Times are medians with (min–max) over the runs, in milliseconds unless marked; ratios are "
           "engine ÷ comparison, measured in the same run with the two sides alternating."]
    loads = (m.get("load_at_start") or [0])[:1] + (m.get("load_at_end") or [0])[:1]
    if max(loads) > 0.5 * (m["nproc"] or 1):
        out += ["The machine was not idle during this run (see the load average below): absolute times are "
                "noisier than the ratios, whose two sides alternate."]
    out += ["", "## Machine", ""]
    out += _table(["", ""], [["cores (nproc)", str(m["nproc"])], ["CPU", m["cpu"]], ["memory", m["memory"]],
                             ["OS", m["os"]], ["Python", m["python"]], ["durable_rules", m["durable-rules"]],
                             ["pydantic", f"{m['pydantic']} (core {m['pydantic-core']})"],
                             ["load average (1/5/15 min) at start, at end",
                              f"{m.get('load_at_start')}, {m.get('load_at_end')}"]])
    out += ["", "## Targets", ""]
    out += _table(["target", "measured", "goal", "met", "floor (measured)", "what"],
                  [[t["name"], "—" if t["measured"] is None else str(t["measured"]), t["target"],
                    "**met**" if t["met"] else "not met", t.get("floor") or "", t["detail"]]
                   for t in results["targets"]])
    if results["problems"]:
        out += ["", "## Wrong answers (the run failed)", ""] + [f"- {p}" for p in results["problems"]]
    out += ["", "## What is compared", "",
            "- **Raw durable_rules** (`bench/raw.py`): the engine's own compiled rulesets (every stratum, plus "
            "the runtime's sink and end rules) on a bare `durable.engine.Host` with its timer threads off; the "
            "counting facts as durable dicts, asserted with `host.assert_facts` in one batch with the gate "
            "facts last, per stratum; consequents only append the matched fact ids and assert derived facts "
            "(de-duplicated by id); stratum k+1 gets stratum k's derived facts. It is given the facts that "
            "count (computed before the clock starts): rules of evidence, provenance, guardrails, the "
            "pydantic result and the facts digest are the engine's overhead being measured.",
            "- **From scratch**: `engine.evaluate.evaluate(pack, facts, as_of)` per step or variant.",
            "- **Incremental**: one `engine.session.Session(pack, facts)` (its construction counted), then "
            "`session.evaluate(as_of)` per step or `session.evaluate_changes([change], as_of)` per variant. "
            "The rules of evidence re-examine only the facts observed or expiring between the two dates; the "
            "live network (`engine/network.py`) retracts and asserts only the counting facts that changed, so "
            "durable_rules fires only new activations; a rule with a negation is re-opened (its gate retracted "
            "and re-asserted) only when a watch ruleset says a changed fact matches a negated pattern; a derived "
            "fact that loses its last activation is retracted with everything it supported.",
            "- Every answer is checked: W1 raw firings equal the engine's; W2 conclusions equal a pure-Python "
            "reference (`bench/synthetic.py`) at every size; every incremental evaluation equals the "
            "from-scratch one (apart from its run id)."]
    out += _w1(results["w1"]) + _w2(results["w2"]) + _w3(results["w3"]) + _w4(results["w4"]) + _w5(results["w5"])
    out += _floors(results.get("floors") or {})
    out += _scale(results.get("scale"))
    out += web.section(results["w6"]) if "w6" in results else []
    out += _missed(results)
    if NOTES:
        out += ["", "## Noticed while measuring", ""] + [f"- {n}" for n in NOTES]
    out += ["", f"Seconds per workload: {', '.join(f'{k} {v}' for k, v in results['seconds'].items())}.", ""]
    return "\n".join(out)


def _scale(scale: dict[str, Any] | None) -> list[str]:
    """The scale workload (bench/scale.py): the CLI's curve over 10k/100k/1M facts, and W2 cold and warm."""
    if not scale:
        return []
    out = ["", "## Scale: the CLI from 10,000 to 1,000,000 facts", "",
           "`commitments evaluate DIR --rules PACK --as-of 2021-06-01 --format json` of"
           " the synthetic pack's facts "
           f"(bench/synthetic.py) written as YAML files of {scale['per_file']:,} facts, one process per row; wall "
           "time and peak RSS (the process's own VmHWM, written as it exits, plus its largest worker's times the "
           "workers it may start: engine/parallel.py reads the files of a large run in one forked process per "
           "core); its conclusions checked against the "
           "pure-Python reference. 1,000,000 facts only under `make bench-scale` (bench/scale.py --merge); "
           "$COMMITMENTS_MAX_RUN_BYTES lifts the run's input bound for these runs.", ""]
    rows = [[f"{r['facts']:,}", f"{r['counting']:,}", "on" if r["audit"] else "off", f"{r['seconds']:.1f}",
             f"{r['peak_mib']:,.0f}", "yes" if r["correct"] else "**no**"] for r in scale["rows"]]
    out += _table(["facts", "counting", "audit trail", "wall s", "peak RSS MiB", "correct"], rows)
    w2 = scale["w2"]
    out += ["", f"### W2 at {w2['facts']:,} facts, cold and warm", "",
            f"Cold: a fresh process per run, {w2['repeats']} runs a side, alternating; the engine loads the "
            "pack and the facts from YAML, then its first evaluation is timed (compiling, registering the "
            "rulesets and the facts digest included); raw durable_rules registers the same rulesets and runs "
            "the counting facts in a process that never imports the engine (stock `durable.json`). Warm: both "
            "in one process, repeated on the same objects. Ratios are per pair: median (min–max).", ""]
    rows = []
    for name in ("cold", "warm"):
        part = w2[name]
        rows.append([name, _spread(part["engine_ms"]), _spread(part["raw_ms"]),
                     f"{part['ratio']['median']:.2f}× ({part['ratio']['min']:.2f}–{part['ratio']['max']:.2f})"])
    return out + _table(["", "engine ms", "raw ms", "ratio"], rows)


def _floors(section: dict[str, Any]) -> list[str]:
    """The floors bench/floors.py measured."""
    cli, memory, result = section.get("cli") or {}, section.get("memory") or {}, section.get("result") or {}
    out = ["", "## Floors: what the engine is built on, measured alone", "",
           "Each measured in this run, alternating with what it bounds (`bench/floors.py`)."]
    if cli:
        rows = [["a bare interpreter (`python -c pass`)", _ms(cli["bare"])],
                [f"importing the {cli['modules']} modules (third-party and standard) that `commitments evaluate` "
                 "imports, and nothing else",
                 _ms(cli["libraries"])],
                ["`commitments evaluate` of the baseline, audit on", _ms(cli["cli"])],
                ["raw durable_rules as a process (`bench/raw.py`)", _ms(cli["raw_cli"])]]
        out += ["", "The command line, in ms:", "", *_table(["process", "wall time"], rows), "",
                f"The engine's own share of a command (modules, loading, evaluating, recording, printing) is "
                f"{cli['engine_own_ms']:.0f} ms; the libraries alone are {cli['floor_ratio']:.2f}× the raw process."]
    if memory:
        out += ["", f"Memory: once imported, before any input, an engine process holds {memory['engine'] / 1024:.0f} "
                f"MiB and a raw durable_rules process {memory['raw'] / 1024:.0f} MiB ({memory['gap_kib'] / 1024:.0f} "
                "MiB more: pydantic, PyYAML and the engine's modules)."]
    if result:
        out += ["", f"In process: validating the baseline's `Evaluation` ({result['objects']} models) once more "
                f"from its own parts takes {_ms(result['validate'])} ms; raw durable_rules' whole run on the same "
                f"facts {_ms(result['raw'])} ms ({result['share_of_raw']:.2f}× of it)."]
    throughput = section.get("throughput")
    if throughput:
        out += ["", f"Throughput: at {throughput['facts']:,} facts the rules of evidence over every fact take "
                f"{_ms(throughput['evidence'])} ms and validating the result from its parts "
                f"{_ms(throughput['validate'])} ms, against raw durable_rules' {_ms(throughput['raw'])} ms "
                f"({throughput['floor_ratio']:.2f}× with both)."]
    whatif = section.get("whatif")
    if whatif:
        out += ["", f"What-if: the durable_rules calls of one incremental variant (retracting and asserting its "
                f"change, the watch that says which negations to re-open, their consequents) take "
                f"{_ms(whatif['durable'])} ms, over {whatif['variants']} variants."]
    digest = section.get("digest")
    if digest:
        out += ["", f"Cold: the facts digest of {digest['facts']:,} freshly loaded facts (canonical JSON of each, "
                f"then SHA-256) takes {_ms(digest['digest'])} ms."]
    return out


def _spread(part: dict[str, Any]) -> str:
    return f"{part['median']:,.1f} ({part['min']:,.1f}–{part['max']:,.1f})"


def _w1(w1: dict[str, Any]) -> list[str]:
    out = ["", "## W1 latency: the article pack", "",
           f"In-process over {w1['repeats']} runs, as a process over {w1['cli_repeats']} runs. `CLI` is "
           "`commitments evaluate FILES --as-of DATE` with the audit trail on (the default; a temporary store) "
           "and the prepared pack read from the cache (engine/packcache.py; `no pack cache`: "
           "`COMMITMENTS_CACHE=off`, so the pack is read, validated and compiled again); "
           "`raw CLI` is `python bench/raw.py PLAN FACTS`: a process that imports durable_rules, registers the "
           "same rulesets and runs the same counting facts.", ""]
    rows = [[r["facts"], f"{r['count']} ({r['counting']})", r["as_of"], _ms(r["engine"]), _ms(r["raw"]),
             _x(r["ratio"]), _ms(r["cli"]), _ms(r["cli_no_audit"]), _ms(r.get("cli_no_cache")), _ms(r["raw_cli"]),
             _x(r["cli_ratio"])]
            for r in w1["rows"]]
    return out + _table(["facts", "facts (counting)", "as of", "engine", "raw", "ratio", "CLI", "CLI --no-audit",
                         "CLI, no pack cache", "raw CLI", "CLI ratio"], rows)


def _w2(w2: dict[str, Any]) -> list[str]:
    out = ["", "## W2 throughput: the synthetic pack", "",
           f"{w2['rules']} rules (40 two-fact joins deriving `alert`, 10 joining a derived alert to a signal), "
           f"{w2['strata']} strata; see `bench/synthetic.py`. Facts include statuses and signals that do not "
           "count (observed after the as-of date, or below the evidence threshold).", ""]
    rows = []
    for r in w2["rows"]:
        raw = _ms(r["raw"]) if r["raw"] else f"failed: {r['raw_error']}"
        rows.append([f"{r['facts']:,}", f"{r['counting']:,}", f"{r['conclusions']:,}", _ms(r["engine"]), raw,
                     _x(r["ratio"]), "yes" if r["engine_correct"] else "**NO**",
                     "—" if r["raw_correct"] is None else "yes" if r["raw_correct"] else "no"])
    return out + _table(["facts", "counting", "supporting ids checked", "engine", "raw", "ratio",
                         "engine = reference", "raw = reference"], rows)


def _w3(w3: dict[str, Any]) -> list[str]:
    out = ["", "## W3 timeline", "",
           f"{w3['facts']:,} article facts observed over 2020–2021 (events, superseding states, expiries, grades "
           f"below threshold); {w3['steps']} daily as-of steps from {w3['from']} to {w3['to']}."]
    if not w3.get("available"):
        return out + ["", f"**incremental: not available** (no `engine.session`). From scratch per step: "
                      f"{_ms(w3['scratch'])}."]
    scratch = (f"from scratch on one step in {w3['scratch_every']} ({w3['scratch_steps']} steps), "
               "its mean multiplied by the number of steps (extrapolated: every step from scratch would take the "
               "whole run past 5 minutes)" if w3["scratch_extrapolated"]
               else "from scratch on every step")
    out += [f"Measured {scratch}; incremental on every step.", ""]
    out += _table(["", "per step", "total"], [
        ["from scratch", _ms(w3["scratch"]), f"{w3['scratch_total_s']:.2f} s"],
        ["incremental", _ms(w3["incremental"]), f"{w3['incremental_total_s']:.2f} s (session built in "
                                                f"{w3['session_build_ms']:.0f} ms)"],
        ["speed-up", "", f"**{w3['speedup']:.1f}×**"]])
    return out + ["", f"Cooperation levels seen over the year: {', '.join(w3['levels'])}; "
                  f"each step's result lists {w3['firings_per_step']:,} live activations (firings) on average, of "
                  "which the incremental step fires only those its changes make new."]


def _w4(w4: dict[str, Any]) -> list[str]:
    kinds = ", ".join(f"{n} {op}" for op, n in w4["kinds"].items())
    out = ["", "## W4 what-if sweep", "", f"{w4['variants']:,} single-fact variants of the baseline ({kinds}), "
           f"as of {w4['as_of']}."]
    if not w4.get("available"):
        return out + ["", f"**incremental: not available** (no `engine.session`). From scratch per variant: "
                      f"{_ms(w4['scratch'])}."]
    out += [""] + _table(["", "per variant", "total"], [
        ["from scratch", _ms(w4["scratch"]), f"{w4['scratch_total_s']:.2f} s"],
        ["incremental", _ms(w4["incremental"]), f"{w4['incremental_total_s']:.2f} s (session built in "
                                                f"{w4['session_build_ms']:.1f} ms)"],
        ["speed-up", "", f"**{w4['speedup']:.1f}×**"]])
    return out + ["", f"Cooperation levels seen across the variants: {', '.join(w4['levels'])}."]


def _w5(w5: dict[str, Any]) -> list[str]:
    out = ["", "## W5 memory: W2 at 10,000 facts", ""]
    if "ratio" not in w5:
        return out + ["Not measured (a side failed; see the wrong answers above)."]
    out += [f"Each side in a fresh process: the engine side loads the pack and builds {w5['facts']:,} `Fact`s, "
            "then evaluates; the raw side loads the rulesets and counting facts from JSON, then runs. Peak RSS "
            "is the process's VmHWM; 'before' is its RSS once its input is loaded.", ""]
    rows = [[side, f"{w5[side]['peak_kib'] / 1024:,.1f} MiB", f"{w5[side]['before_kib'] / 1024:,.1f} MiB",
             f"{w5['growth_kib'][side] / 1024:,.1f} MiB"] for side in ("engine", "raw")]
    rows.append(["ratio", f"**{w5['ratio']:.2f}×**", "", f"{w5['growth_ratio']:.2f}×"])
    return out + _table(["", "peak RSS", "before the run", "growth during the run"], rows)


def _missed(results: dict[str, Any]) -> list[str]:
    missed = [t for t in results["targets"] if not t["met"] and (t["measured"] is not None or t["name"] in EXPLAIN)]
    if not missed:
        return []
    out = ["", "## Targets not met: where the time goes", ""]
    for t in missed:
        measured = "not run" if t["measured"] is None else t["measured"]
        out += [f"### {t['name']}: {measured} against {t['target']}", ""]
        if t["name"] in EXPLAIN:
            with contextlib.suppress(KeyError, TypeError, StopIteration):  # a section missing from a partial run
                out += [EXPLAIN[t["name"]](results), ""]
        prof = results.get("profiles", {}).get(t["name"])
        if not prof:
            continue
        out += [f"Profile: {prof['what']}."]
        if prof.get("stages_pct"):
            out += ["Share of the profiled time (cumulative) by engine stage: " + ", ".join(
                f"{k} {v}%" for k, v in prof["stages_pct"].items()) + "."]
        if "own_time_pct" in prof:
            out += ["Own time by area: " + ", ".join(f"{k} {v}%" for k, v in prof["own_time_pct"].items()) + "."]
        if prof.get("phases_ms"):
            out += ["Wall time by phase, measured without the profiler (ms): " + ", ".join(
                f"{k} {v}" for k, v in prof["phases_ms"].items()) + "."]
        if prof.get("import_ms"):
            out += ["Heaviest imports (`python -X importtime`, cumulative): " + ", ".join(
                f"{i['module']} {i['cumulative_ms']} ms" for i in prof["import_ms"]) + "."]
        if "traced_peak_kib" in prof:
            out += [f"Traced peak: {prof['traced_peak_kib']:,} KiB."]
        out += ["", "```", *prof["top"], "```", ""]
    return out
