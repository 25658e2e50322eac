"""Raw durable_rules: the engine's own compiled rulesets run on a bare Host, with nothing of the engine.

What the engine's overhead is measured against. `plan` (run in a process that has the engine) turns a
compiled pack into plain JSON data: each stratum's durable_rules definition plus the runtime's sink and
end rules, and for each compiled rule the derived facts its consequent asserts. `RawRunner` needs only
durable_rules and that data: a Host subclass with its timer threads off, one ruleset per stratum, the
counting facts as durable dicts asserted with `host.assert_facts` in one batch with the gate facts last,
consequents that append the matched fact ids to a list and assert derived facts (de-duplicated by id).
Stratum k+1 gets the base facts and stratum k's derived facts. No rules of evidence, no provenance, no
pydantic result.

Run as a program (`python bench/raw.py PLAN.json FACTS.json`) it is the raw side of W1's CLI timing and
of W5's peak memory: it imports only durable_rules and this file.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from durable import engine as durable

if TYPE_CHECKING:
    from engine.compiler import CompiledPack

Plan = dict[str, Any]
Firing = tuple[str, list[str]]


def plan(compiled: CompiledPack) -> Plan:
    """The compiled pack as JSON data for `RawRunner`: definitions and each rule's derived facts."""
    from engine.compiler import GATE_ALIAS
    from engine.durable_json import dumps
    from engine.runtime import END, END_RULE, SINK, SINK_RULE

    derives = {name: [made.durable() for made in item.made] for name, item in compiled.by_name.items() if item.made}
    # numbers the engine marks (engine.durable_json) as plain floats: raw durable_rules gets them as they are
    return json.loads(dumps({
        "name": f"raw-{compiled.pack.name}-{compiled.pack.digest[:12]}",
        "strata": [{**s.definition(), SINK: SINK_RULE, END: END_RULE} for s in compiled.strata],
        "derives": derives,
        "quiet": [SINK, END],
        "gate_alias": GATE_ALIAS,
        "gates": [stratum.gates() for stratum in compiled.strata],
    }))


class RawHost(durable.Host):
    """durable_rules' Host without its dispatch and timer threads (they race the caller's actions)."""

    def _run(self) -> None:
        return None


_HOST: RawHost | None = None


def host() -> RawHost:
    global _HOST
    if _HOST is None:
        _HOST = RawHost()
    return _HOST


class RawRunner:
    """One compiled pack registered on the raw host; `run` evaluates a list of durable fact dicts."""

    def __init__(self, data: Plan) -> None:
        # stock durable_rules: the engine patches nothing in it (its own rulesets write their own JSON)
        assert durable.json is json, "raw durable_rules must run with its stock json"
        self.host = host()
        self.data = data
        self.names = [f"{data['name']}-s{i}" for i in range(len(data["strata"]))]
        self.firings: list[Firing] = []
        self.derived: dict[str, dict[str, Any]] = {}
        quiet = set(data["quiet"])
        for name, definition in zip(self.names, data["strata"], strict=True):
            if name in self.host._ruleset_directory:
                continue
            # durable_rules deletes `run` from the dicts it is given: hand it copies.
            rules = {key: {**json.loads(json.dumps(value)), "run": self._action(key, quiet)}
                     for key, value in definition.items()}
            self.host.register_rulesets({name: rules})

    def _action(self, rule_name: str, quiet: set[str]) -> Callable[[Any], None]:
        if rule_name in quiet:
            return lambda c: None
        gate = self.data["gate_alias"]
        made = self.data["derives"].get(rule_name, [])

        def act(c: Any) -> None:
            self.firings.append((rule_name, [f["id"] for alias, f in c._m.items() if alias != gate]))
            for fact in made:
                if fact["id"] not in self.derived:
                    self.derived[fact["id"]] = fact
                    c.assert_fact(dict(fact))

        return act

    def run(self, facts: list[dict[str, Any]]) -> tuple[list[Firing], dict[str, dict[str, Any]]]:
        """Every stratum over `facts` (plus the derived facts so far) in a fresh state; the firings."""
        self.firings, self.derived = [], {}
        for name, gates in zip(self.names, self.data["gates"], strict=True):
            sid = str(uuid.uuid4().int)  # as the engine's: digits only
            batch = [{**f, "sid": sid} for f in facts]
            batch += [{**f, "sid": sid} for f in self.derived.values()]
            batch += [{"id": gate, "kind": gate, "sid": sid} for gate in gates]
            self.host.assert_facts(name, batch)
            # Only after a run whose end rule fired: durable_rules segfaults deleting a state with no action.
            self.host.delete_state(name, sid)
        return self.firings, self.derived


def peak_rss_kib() -> int:
    """This process's peak resident set size (VmHWM), in KiB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main(argv: list[str]) -> int:
    """`raw.py PLAN.json FACTS.json [--memory]`: one raw run; with --memory, print RSS figures as JSON."""
    imported = rss_kib()
    with open(argv[0], encoding="utf-8") as f:
        data = json.load(f)
    with open(argv[1], encoding="utf-8") as f:
        facts = json.load(f)
    before = rss_kib()
    firings, derived = RawRunner(data).run(facts)
    if "--memory" in argv:
        print(json.dumps({"peak_kib": peak_rss_kib(), "imported_kib": imported, "before_kib": before,
                          "firings": len(firings),
                          "derived": len(derived)}))
    else:
        print(f"{len(firings)} firings, {len(derived)} derived")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
