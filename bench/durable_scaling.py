"""Why durable_rules' `assert_facts` grows faster than the facts: raw experiments, no engine in the loop.

Takes sizes (facts per run); gives, per experiment and size, the seconds of asserting the facts in batches
of 2,000 (first and last batch too), the seconds of the gate's batch (the actions), and the growth of
the process's resident memory per fact. Each run is a fresh state of a ruleset on a bare durable_rules
Host (bench/raw.py's, timers off), deleted afterwards.

Experiments:
- `store`: a ruleset of only the runtime's sink and end rules: durable_rules stores each fact and nothing
  joins. Isolates the per-fact cost of storing a message in one state.
- `store/k`: the same facts over k states of N/k facts each.
- `synthetic`: the synthetic pack's own compiled rulesets (bench/raw.py `plan`, 40 two-fact joins on
  `zone`, 10 on `channel`) over synthetic signals and statuses, the gate last as the engine asserts it.
- `synthetic/gate-first`: the same with the gate asserted first (activations form as facts arrive).
- `collisions`: how many pairs of fact ids share durable_rules' 32-bit message hash (FNV-1a of the id),
  each of which makes `assert_facts` raise a false MessageObservedException.

    .venv/bin/python bench/durable_scaling.py --sizes 10000 30000 100000 300000

What it shows (durable_rules 2.0.28, its C source `src/rules/state.c`): each state keeps its messages in
a hash index of a fixed 512 buckets (`MAX_MESSAGE_INDEX_LENGTH`), chained; storing a message first looks
its id up (`getMessage`), and a new id is in no chain, so the lookup walks its bucket's whole chain: N/512
nodes of about 7 KB each (a `messageNode` embeds a `jsonObject` of 255 properties), a cache miss per node.
The time per batch grows with the facts already in the state, and the total with their square; split
over k states it is k times less. Each stored fact costs about 7-8 KB of resident memory whatever it holds.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]

import raw  # noqa: E402

BATCH = 2_000
Facts = list[dict[str, Any]]


def fnv1a32(text: str) -> int:
    """durable_rules' `fnv1Hash32` of a string (its bytes as C `char`, signed on x86)."""
    value = 0x811C9DC5
    for byte in text.encode("utf-8"):
        value ^= byte | 0xFFFFFF00 if byte >= 0x80 else byte
        value = (value * 0x01000193) & 0xFFFFFFFF
    return value


def colliding_pairs(ids: list[str]) -> int:
    seen: set[int] = set()
    pairs = 0
    for fid in ids:
        value = fnv1a32(fid)
        pairs += value in seen
        seen.add(value)
    return pairs


def synthetic_facts(count: int, seed: int = 2021) -> Facts:
    """Durable dicts shaped as bench/synthetic.py's counting facts: ten statuses, then signals."""
    rng = random.Random(seed)
    phases = ("calm", "watch", "alarm")
    out: Facts = [{"id": f"status-z{i}", "kind": "status", "subject": "grid", "zone": f"z{i}",
                   "phase": phases[i % 3]} for i in range(10)]
    for i in range(count - len(out)):
        channel = rng.randrange(10)
        out.append({"id": f"sig-{i:06d}", "kind": "signal_a" if channel < 5 else "signal_b", "subject": "sensor",
                    "zone": f"z{rng.randrange(10)}", "channel": f"c{channel}", "level": rng.randint(0, 99),
                    "ok": rng.random() < 0.5})
    return out


class Ruleset:
    """One ruleset on the raw host; counts its actions."""

    def __init__(self, name: str, definition: dict[str, Any]) -> None:
        self.name = name
        self.actions = 0
        host = raw.host()
        # durable_rules keeps the first registration of a name: a second Ruleset of it counts nothing
        assert name not in host._ruleset_directory, name
        rules = {key: {**json.loads(json.dumps(value)), "run": self._act} for key, value in definition.items()}
        host.register_rulesets({name: rules})

    def _act(self, c: Any) -> None:
        self.actions += 1

    def run(self, facts: Facts, gate: str = "$go", gate_first: bool = False) -> dict[str, Any]:
        """Assert `facts` in batches into a fresh state, the gate last (or first); time each part."""
        host = raw.host()
        sid = str(uuid.uuid4().int)
        tagged = [{**fact, "sid": sid} for fact in facts]
        opener = {"sid": sid, "id": gate, "kind": gate}
        before = raw.rss_kib()
        batches: list[float] = []
        gate_s = 0.0
        if gate_first:
            start = time.perf_counter()
            host.assert_facts(self.name, [opener])
            gate_s = time.perf_counter() - start
        for at in range(0, len(tagged), BATCH):
            start = time.perf_counter()
            host.assert_facts(self.name, tagged[at:at + BATCH])
            batches.append(time.perf_counter() - start)
        if not gate_first:
            start = time.perf_counter()
            host.assert_facts(self.name, [opener])
            gate_s = time.perf_counter() - start
        grown = raw.rss_kib() - before
        host.delete_state(self.name, sid)
        return {"assert_s": round(sum(batches), 3), "first_batch_ms": round(batches[0] * 1000, 1),
                "last_batch_ms": round(batches[-1] * 1000, 1), "gate_s": round(gate_s, 3),
                "actions": self.actions, "rss_kib_per_fact": round(grown / len(facts), 2)}


STORE = {"$sink": {"all": [{"m": {"$ex": {"kind": 1}}}, {"never": {"kind": "$never"}}]},
         "$end": {"all": [{"gate": {"kind": "$go"}}]}}


def experiments(sizes: list[int], states: int) -> list[dict[str, Any]]:
    import synthetic

    from engine.compiler import compile_pack  # only to build the plan: the runs below are raw durable_rules

    pack = raw.plan(compile_pack(synthetic.load()))
    assert len(pack["strata"]) == 1
    store = Ruleset("scaling-store", STORE)
    join = Ruleset("scaling-synthetic", pack["strata"][0])
    rows: list[dict[str, Any]] = []

    def row(name: str, count: int, found: dict[str, Any]) -> None:
        rows.append({"experiment": name, "facts": count, **found})
        print(json.dumps(rows[-1]), flush=True)

    for count in sizes:
        facts = synthetic_facts(count)
        randoms = [uuid.UUID(int=random.getrandbits(128)).hex for _ in facts]
        row("collisions", count, {"colliding_pairs": colliding_pairs([f["id"] for f in facts]),
                                  "colliding_pairs_random_ids": colliding_pairs(randoms)})
        row("store", count, store.run(facts))
        part = count // states
        runs = [store.run(facts[i * part:(i + 1) * part]) for i in range(states)]
        row(f"store/{states}", count, {"assert_s": round(sum(r["assert_s"] for r in runs), 3),
                                       "rss_kib_per_fact": round(sum(r["rss_kib_per_fact"] for r in runs) / states, 2)})
        join.actions = 0
        row("synthetic", count, join.run(facts))
        join.actions = 0
        row("synthetic/gate-first", count, join.run(facts, gate_first=True))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    parser.add_argument("--states", type=int, default=4, help="k in store/k")
    args = parser.parse_args(argv)
    experiments(args.sizes, args.states)
    return 0


if __name__ == "__main__":
    sys.exit(main())
