"""Incremental evaluation gives exactly what a from-scratch evaluation gives, step after step."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from conftest import AFTER_SCENARIOS, BASELINE, FACTS, scenario_facts

from engine.evaluate import evaluate
from engine.model import Evaluation, Fact, FactSource, Pack
from engine.runtime import fact_id
from engine.session import Session
from engine.validate import load_facts
from engine.whatif import Change


def same(a: Evaluation, b: Evaluation) -> bool:
    return a.model_dump(exclude={"run_id"}) == b.model_dump(exclude={"run_id"})


@pytest.mark.parametrize("name", ["cooperates", "demonstrable_steps", "refuses"])
def test_a_timeline_step_by_step_matches_from_scratch(pack: Pack, name: str) -> None:
    facts = scenario_facts(pack, name)
    with Session(pack, facts) as session:
        day = dt.date(2021, 1, 1)
        while day <= AFTER_SCENARIOS:
            assert same(session.evaluate(day), evaluate(pack, facts, day)), f"{name} differs on {day}"
            day += dt.timedelta(days=9)


def test_the_2021_record_backwards_and_forwards(pack: Pack) -> None:
    facts = load_facts([BASELINE, FACTS / "history" / "2021"], pack)
    days = [dt.date(2021, 2, 1) + dt.timedelta(days=d) for d in range(0, 240, 13)]
    with Session(pack, facts) as session:
        for day in days + days[::-1] + random.Random(1).sample(days, len(days)):
            assert same(session.evaluate(day), evaluate(pack, facts, day)), day


def _variants(pack: Pack, facts: list[Fact], rng: random.Random) -> list[list[Change]]:
    source = FactSource(title="variant", ref="test", date=dt.date(2021, 1, 1))
    variants: list[list[Change]] = []
    for i in range(40):
        pick = rng.random()
        if pick < 0.3:
            victim = rng.choice(facts)
            variants.append([Change(op="retract", fact=victim.id)])
        elif pick < 0.6:
            stance = rng.choice(pack.vocabulary["pakistan_stance"].fields["position"].values)
            variants.append([Change(op="set", fact="base-yusuf-claims-inability", fields={"position": stance})])
        else:
            action = rng.choice(pack.vocabulary["pakistan_action"].fields["action"].values)
            fact = Fact(id=f"variant-{i}", kind="pakistan_action", subject="pakistan", observed=dt.date(2021, 2, 1),
                        fields={"action": action, "verified": rng.random() < 0.5}, source=source,
                        reliability="B", credibility=2)
            variants.append([Change(op="add", fact=fact.id, kind=fact.kind, fields=fact.fields, added=fact)])
    return variants


def test_what_if_variants_match_from_scratch(pack: Pack, baseline: list[Fact]) -> None:
    from engine.whatif import apply

    as_of = dt.date(2021, 2, 12)
    rng = random.Random(7)
    with Session(pack, baseline) as session:
        for changes in _variants(pack, baseline, rng):
            incremental = session.evaluate_changes(changes, as_of)
            assert same(incremental, evaluate(pack, apply(baseline, changes), as_of)), changes
        assert same(session.evaluate(as_of), evaluate(pack, baseline, as_of))  # and back to the base facts


def test_what_the_watches_remember_can_be_forgotten_at_any_step(pack: Pack, baseline: list[Fact],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The network remembers which watches a fact's content hits, up to a bound; past it the memory is
    dropped, and a step that then meets a content it had seen asks durable_rules again."""
    import engine.network
    from engine.whatif import apply

    monkeypatch.setattr(engine.network, "_WATCHED_MAX", 1)
    as_of = dt.date(2021, 2, 12)
    with Session(pack, baseline) as session:
        for changes in _variants(pack, baseline, random.Random(11)):
            assert same(session.evaluate_changes(changes, as_of), evaluate(pack, apply(baseline, changes), as_of))


def test_strata_joins_and_negation_match_from_scratch(make_pack) -> None:  # type: ignore[no-untyped-def]
    from test_semantics import PACK, RESPONSES, C, fact

    pack = make_pack(PACK, responses=RESPONSES, rules=f"""
        rules:
          - id: derive
            {C}
            when: {{all: [{{fact: visit, as: v}}, {{fact: guest, where: {{name: {{eq: {{ref: v.by}}}}}}}}]}}
            then: [{{derive: {{kind: mood, value: good}}}}]
          - id: gloomy
            {C}
            when: {{none: {{fact: mood}}}}
            then: [{{respond: lonely}}]
          - id: sunny
            {C}
            when: {{fact: weather, where: {{sky: sunny}}}}
            then: [{{respond: picnic}}]
            else: [{{respond: indoors}}]
    """)
    day = dt.date(2021, 1, 2)
    facts = [fact("v", "visit", observed="2021-01-01", by="ann", day=day),
             fact("g", "guest", observed="2021-03-01", name="ann"),
             fact("w1", "weather", observed="2021-01-01", sky="rainy", temp=3),
             fact("w2", "weather", observed="2021-04-01", sky="sunny", temp=20)]
    with Session(pack, facts) as session:
        for as_of in [dt.date(2021, m, 15) for m in (1, 2, 3, 4, 5, 3, 1, 4)]:
            assert same(session.evaluate(as_of), evaluate(pack, facts, as_of)), as_of


def _held(session: Session) -> list[tuple[str, list[str]]]:
    """What durable_rules holds in each of the session's states, and what the network says it holds."""
    out = []
    for state in session.network.states:
        held = sorted(fact_id(f) for f in session.network.engine.host.get_facts(state.name, state.sid))
        said = sorted([*state.stored, *(gate["id"] for gate in state.gates.values())])
        out.append((state.name, held, said))
    return [(name, held) for name, held, said in out if held != said] + [("", [])]


def test_durable_rules_holds_exactly_what_the_network_says_step_after_step(pack: Pack) -> None:
    facts = load_facts([BASELINE, FACTS / "history" / "2021"], pack)
    with Session(pack, facts) as session:
        for day in [dt.date(2021, 2, 1) + dt.timedelta(days=d) for d in (0, 30, 90, 200, 60, 10)]:
            session.evaluate(day)
            assert _held(session) == [("", [])], day


def test_a_fact_held_under_a_salted_id_is_matched_and_retracted_as_itself(
        pack: Pack, monkeypatch: pytest.MonkeyPatch) -> None:
    """Injected false "already observed" for one fact: the session still equals from-scratch, before and after
    the fact stops counting, and durable_rules holds exactly what the network says."""
    from durable import engine as durable

    facts = load_facts([BASELINE, FACTS / "history" / "2021"], pack)
    victim = next(f for f in facts if f.kind == "pakistan_action").id
    with Session(pack, facts) as session:
        session.evaluate(dt.date(2020, 12, 1))  # registers the rulesets; the victim does not count yet
        ruleset = session.network.engine.host.get_ruleset(session.network.states[0].name)
        failures = {"left": 2}
        real_one, real_batch = ruleset.assert_fact, ruleset.assert_facts

        def flaky_one(fact: dict[str, Any]) -> Any:
            if fact.get("id") == victim and failures["left"]:
                failures["left"] -= 1
                raise durable.MessageObservedException(fact)
            return real_one(fact)

        def flaky_batch(batch: list[dict[str, Any]]) -> Any:
            if any(f.get("id") == victim for f in batch) and failures["left"]:
                failures["left"] -= 1
                raise durable.MessageObservedException(batch)
            return real_batch(batch)

        monkeypatch.setattr(ruleset, "assert_fact", flaky_one)
        monkeypatch.setattr(ruleset, "assert_facts", flaky_batch)
        salted = session.network.engine.salted
        for day in (dt.date(2021, 7, 1), dt.date(2021, 8, 1), dt.date(2020, 12, 1), dt.date(2021, 7, 1)):
            assert same(session.evaluate(day), evaluate(pack, facts, day)), day
            assert _held(session) == [("", [])], day
        assert session.network.engine.salted == salted + 1


def test_a_random_walk_over_a_busy_timeline_matches_from_scratch(pack: Pack) -> None:
    """Every kind of the article, expiries, supersession, grades below threshold; steps of a day, jumps back."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from workloads import timeline_facts

    facts = timeline_facts(pack, 1_500, seed=11)
    rng = random.Random(5)
    start = dt.date(2020, 6, 1)
    days = [start + dt.timedelta(days=d) for d in range(8)]  # day by day: small changes
    days += [start + dt.timedelta(days=rng.randint(-200, 500)) for _ in range(14)]  # jumps either way
    levels = set()
    with Session(pack, facts) as session:
        for day in days:
            incremental = session.evaluate(day)
            assert same(incremental, evaluate(pack, facts, day)), day
            assert _held(session) == [("", [])], day
            levels.add(incremental.value_of("cooperation_level"))
    assert len(levels) >= 2


def test_after_a_failed_step_the_session_starts_again_from_empty_states(
        pack: Pack, monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.errors import RuntimeFault
    from engine.network import Network

    facts = scenario_facts(pack, "cooperates")
    with Session(pack, facts) as session:
        session.evaluate(dt.date(2021, 2, 1))
        real = Network._fired
        calls = {"n": 0}

        def failing(self: Network, *args: Any) -> Any:
            calls["n"] += 1
            if calls["n"] == 2:
                raise ValueError("injected")
            return real(self, *args)

        monkeypatch.setattr(Network, "_fired", failing)
        with pytest.raises(RuntimeFault, match="injected"):
            session.evaluate(AFTER_SCENARIOS)
        monkeypatch.setattr(Network, "_fired", real)
        for day in (AFTER_SCENARIOS, dt.date(2021, 2, 1)):
            assert same(session.evaluate(day), evaluate(pack, facts, day)), day
            assert _held(session) == [("", [])], day


def _firings_during(session: Session, monkeypatch: pytest.MonkeyPatch, as_of: dt.date) -> list[tuple[str, ...]]:
    """The matched fact ids of every activation durable_rules fires while the session moves to `as_of`."""
    from engine.network import Network

    fired: list[tuple[str, ...]] = []
    real = Network._fired

    def recording(self: Network, state: Any, name: str, matched: dict[str, dict[str, Any]], pending: set[str]) -> Any:
        fired.append(tuple(sorted(fact_id(f) for alias, f in matched.items() if alias != "gate")))
        return real(self, state, name, matched, pending)

    monkeypatch.setattr(Network, "_fired", recording)
    session.evaluate(as_of)
    monkeypatch.setattr(Network, "_fired", real)
    return fired


def test_a_step_fires_only_what_the_change_makes_new(pack: Pack, baseline: list[Fact],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing changed: nothing fires. One fact of a kind no negation reads replaces another: every
    activation that fires involves the new fact or a fact derived in that step; none is fired again."""
    grey = next(f for f in baseline if f.id == "base-fatf-oct-2020-grey")
    listed = grey.model_copy(update={"id": "fatf-feb-2021-black", "observed": dt.date(2021, 2, 13),
                                     "fields": {**grey.fields, "list": "black"}})
    facts = [*baseline, listed]
    with Session(pack, facts) as session:
        session.evaluate(dt.date(2021, 2, 12))
        assert _firings_during(session, monkeypatch, dt.date(2021, 2, 12)) == []
        before = {key for state in session.network.states for key in state.activations}
        fired = _firings_during(session, monkeypatch, dt.date(2021, 2, 13))
        # the rules reading fatf_status fire again, each on the new fact: keep listed and the reminder (with
        # the refusal), the conditional offer, and the black-list warning's else (not grey); nothing else
        refusal = "derived:cooperation_level:pakistan:value=refusal"
        assert sorted(fired) == sorted([(refusal, "fatf-feb-2021-black")] * 2 + [("fatf-feb-2021-black",)] * 2)
        assert len(before) > 4  # there was a network to leave alone
        assert same(session.evaluate(dt.date(2021, 2, 13)), evaluate(pack, facts, dt.date(2021, 2, 13)))
