"""W2's synthetic pack (50 rules: 2-fact joins and a chained derivation), its facts, and a reference.

The pack: signal facts (event-like, two kinds: `signal_a` on channels c0-c4, `signal_b` on c5-c9) report
a level on a channel in a zone; `status` facts (event-like, one per zone) say each zone's phase. Forty
`watch.<channel>.<k>` rules join a status to a signal of the same zone (`{ref: s.zone}`) and derive an
`alert` for the channel; ten `escalate.<channel>` rules join the channel's high alert (a derived fact)
to any signal on the same channel (`{ref: a.channel}`) with a level of 98 or more and recommend
`escalate.<channel>`. The escalate rules negate `alert` in their falsity, so they compile into a second
stratum: a chained derivation across strata.

Why two signal kinds: durable_rules 2.0.28 fails once more than 64 rules of one ruleset join on the
same fact kind (`assert_facts` raises error 303, ERR_NO_ACTION_AVAILABLE, on raw durable_rules; the
engine's process aborts with heap corruption). Each join rule compiles to two joined durable_rules rules
(its truth and its falsity), so forty join rules on one kind would be 80.

`reference` computes the same conclusions in plain Python — derived facts with the rules and supporting
fact ids, responses with their rules and facts — and `compare` says where an evaluation differs.
"""

from __future__ import annotations

import datetime as dt
import random
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from engine.compiler import derived_id
from engine.model import Evaluation, Fact, FactSource, Pack
from engine.validate import load_pack

ZONES = [f"z{i}" for i in range(10)]
CHANNELS = [f"c{i}" for i in range(10)]
FAMILY = {c: "signal_a" if i < 5 else "signal_b" for i, c in enumerate(CHANNELS)}
PHASES = {z: ("calm", "watch", "alarm")[i % 3] for i, z in enumerate(ZONES)}
# watch.<channel>.<k>: (signal level at least, signal ok, status phase, alert severity)
WATCH = [(20, True, "alarm", "high"), (60, False, "alarm", "high"), (40, True, "watch", "low"),
         (80, False, "calm", "low")]
ESCALATE_LEVEL = 98
AS_OF = dt.date(2021, 6, 1)
RULE_COUNT = len(CHANNELS) * len(WATCH) + len(CHANNELS)

PACK_YAML = f"""
pack: {{name: bench-synthetic, version: "1"}}
sources: {{s: {{title: Synthetic benchmark source}}}}
vocabulary:
  signal_a:
    subjects: [sensor]
    state: false
    fields:
      zone: {{type: enum, values: {ZONES}}}
      channel: {{type: enum, values: {CHANNELS[:5]}}}
      level: {{type: integer}}
      ok: {{type: boolean}}
  signal_b:
    subjects: [sensor]
    state: false
    fields:
      zone: {{type: enum, values: {ZONES}}}
      channel: {{type: enum, values: {CHANNELS[5:]}}}
      level: {{type: integer}}
      ok: {{type: boolean}}
  status:
    subjects: [grid]
    state: false
    fields:
      zone: {{type: enum, values: {ZONES}}}
      phase: {{type: enum, values: [calm, watch, alarm]}}
  alert:
    subjects: [grid]
    state: false
    derived: true
    fields:
      channel: {{type: enum, values: {CHANNELS}}}
      severity: {{type: enum, values: [low, high]}}
"""
CITE = "cites: [{source: s, para: 1, quote: q}]"
RESPONSES_YAML = "responses:\n" + "".join(
    f"  escalate.{c}: {{category: principle, text: Escalate channel {c}.}}\n" for c in CHANNELS)


def _rules_yaml() -> str:
    out = ["rules:"]
    for c in CHANNELS:
        for k, (level, ok, phase, severity) in enumerate(WATCH):
            out.append(f"""
  - id: watch.{c}.{k}
    {CITE}
    when:
      all:
        - {{fact: status, as: s, where: {{phase: {phase}}}}}
        - {{fact: {FAMILY[c]}, where: {{zone: {{eq: {{ref: s.zone}}}}, channel: {c}, level: {{gte: {level}}},
                                       ok: {str(ok).lower()}}}}}
    then: [{{derive: {{kind: alert, channel: {c}, severity: {severity}}}}}]""")
    for c in CHANNELS:
        out.append(f"""
  - id: escalate.{c}
    {CITE}
    when:
      all:
        - {{fact: alert, as: a, where: {{channel: {c}, severity: high}}}}
        - {{fact: {FAMILY[c]}, where: {{channel: {{eq: {{ref: a.channel}}}}, level: {{gte: {ESCALATE_LEVEL}}}}}}}
    then: [{{respond: escalate.{c}}}]""")
    return "\n".join(out) + "\n"


def write_pack(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pack.yaml").write_text(PACK_YAML, encoding="utf-8")
    (folder / "responses.yaml").write_text(RESPONSES_YAML, encoding="utf-8")
    (folder / "rules.yaml").write_text(_rules_yaml(), encoding="utf-8")
    return folder


def load() -> Pack:
    """The synthetic pack, loaded through the engine's own loader from a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="bench-pack-") as tmp:
        pack = load_pack(write_pack(Path(tmp) / "rules"))
    assert len(pack.rules) == RULE_COUNT == 50
    return pack


def facts(count: int, seed: int = 2021) -> list[Fact]:
    """`count` facts: a status per zone (plus two below threshold), then signals.

    About 1 in 6 signals is observed after `AS_OF` and 1 in 20 is graded below the evidence threshold,
    so the rules of evidence have work to do; both sides of the benchmark see the same counting facts.
    """
    rng = random.Random(seed)
    source = FactSource(title="synthetic", ref="generated", date=dt.date(2021, 1, 1))
    day0 = dt.date(2021, 1, 1)
    out = [Fact(id=f"status-{z}", kind="status", subject="grid", observed=day0, source=source,
                reliability="A", credibility=1, fields={"zone": z, "phase": PHASES[z]}) for z in ZONES]
    out += [Fact(id=f"status-weak-{z}", kind="status", subject="grid", observed=day0, source=source,
                 reliability="E", credibility=5, fields={"zone": z, "phase": "alarm"}) for z in ZONES[:2]]
    for i in range(count - len(out)):
        channel = rng.choice(CHANNELS)
        out.append(Fact(
            id=f"sig-{i:06d}", kind=FAMILY[channel], subject="sensor", source=source,
            observed=day0 + dt.timedelta(days=rng.randint(0, 180)),
            reliability="D" if rng.random() < 0.05 else rng.choice("ABC"), credibility=rng.randint(1, 3),
            fields={"zone": rng.choice(ZONES), "channel": channel, "level": rng.randint(0, 99),
                    "ok": rng.random() < 0.5}))
    return out


@dataclass
class Conclusions:
    """What a pack run concluded: derived facts and responses, each with its rules and supporting facts."""

    derived: dict[str, tuple[set[str], set[str]]] = field(default_factory=dict)  # id → (rules, facts)
    responses: dict[str, tuple[set[str], set[str]]] = field(default_factory=dict)  # id → (rules, facts)

    def size(self) -> int:
        return sum(len(f) for _, f in self.derived.values()) + sum(len(f) for _, f in self.responses.values())


def _alert_id(channel: str, severity: str) -> str:
    return derived_id("alert", "grid", {"channel": channel, "severity": severity})


def reference(counted: list[Fact]) -> Conclusions:
    """The pack's conclusions over the counting facts, computed without durable_rules."""
    status = [f for f in counted if f.kind == "status"]
    signals = [f for f in counted if f.kind in ("signal_a", "signal_b")]
    out = Conclusions()
    for c in CHANNELS:
        for k, (level, ok, phase, severity) in enumerate(WATCH):
            for s in status:
                if s.fields["phase"] != phase:
                    continue
                matched = {g.id for g in signals if g.fields["zone"] == s.fields["zone"] and g.fields["channel"] == c
                           and g.fields["level"] >= level and g.fields["ok"] is ok}
                if matched:
                    rules, support = out.derived.setdefault(_alert_id(c, severity), (set(), set()))
                    rules.add(f"watch.{c}.{k}")
                    support |= matched | {s.id}
    for c in CHANNELS:
        alert = out.derived.get(_alert_id(c, "high"))
        matched = {g.id for g in signals if g.fields["channel"] == c and g.fields["level"] >= ESCALATE_LEVEL}
        if alert and matched:
            out.responses[f"escalate.{c}"] = ({f"escalate.{c}"}, alert[1] | matched)
    return out


def from_evaluation(evaluation: Evaluation) -> Conclusions:
    out = Conclusions()
    for d in evaluation.derived:
        rules = {o.rule for o in evaluation.firings if d.id in o.derived}
        out.derived[d.id] = (rules, set(d.facts))
    for r in evaluation.responses:
        out.responses[r.id] = (set(r.rules), set(r.facts))
    return out


def compare(expected: Conclusions, got: Conclusions, what: str) -> list[str]:
    """Every difference between two sets of conclusions, in words (empty when they agree)."""
    problems = []
    for name, want, have in (("derived", expected.derived, got.derived),
                             ("response", expected.responses, got.responses)):
        for key in sorted(set(want) | set(have)):
            if key not in have:
                problems.append(f"{what}: {name} {key} missing")
            elif key not in want:
                problems.append(f"{what}: {name} {key} not expected")
            elif want[key] != have[key]:
                rules_w, facts_w = want[key]
                rules_h, facts_h = have[key]
                problems.append(f"{what}: {name} {key}: rules {sorted(rules_h)} vs {sorted(rules_w)}; "
                                f"{len(facts_h - facts_w)} extra and {len(facts_w - facts_h)} missing facts")
    return problems
