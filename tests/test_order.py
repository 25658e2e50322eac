"""Evaluation is deterministic and order-independent: any order, any split over files, same result."""

from __future__ import annotations

import random
from pathlib import Path

import yaml
from conftest import AFTER_SCENARIOS, BASELINE, SCENARIOS

from engine.evaluate import evaluate
from engine.model import Evaluation, Fact, Pack
from engine.validate import load_facts


def comparable(evaluation: Evaluation) -> dict:  # type: ignore[type-arg]
    """Everything but the run id."""
    return evaluation.model_dump(mode="json", exclude={"run_id"})


def all_raw_facts() -> list[dict]:  # type: ignore[type-arg]
    raw = []
    for file in [BASELINE, *sorted(SCENARIOS.glob("*.yaml"))]:
        raw.extend(yaml.safe_load(file.read_text())["facts"])
    return raw


def write_split(folder: Path, facts: list[dict], parts: int) -> list[Path]:  # type: ignore[type-arg]
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for index in range(parts):
        chunk = facts[index::parts]
        file = folder / f"part-{index}.yaml"
        file.write_text(yaml.safe_dump({"facts": chunk}, sort_keys=False))
        files.append(file)
    return files


def test_shuffled_and_split_facts_give_identical_results(pack: Pack, tmp_path: Path) -> None:
    for scenario in ("cooperates", "demonstrable_steps", "refuses"):
        chosen = [f for f in all_raw_facts() if f["id"].startswith("base-")
                  or f["id"].startswith({"cooperates": "coop-", "demonstrable_steps": "steps-",
                                         "refuses": "refuse-"}[scenario])]
        # the split files do not declare `hypothetical: true`, as the scenario file does: compared without it
        loaded = [f.model_copy(update={"hypothetical": False})
                  for f in load_facts([BASELINE, SCENARIOS / f"{scenario}.yaml"], pack)]
        reference = comparable(evaluate(pack, loaded, AFTER_SCENARIOS))
        rng = random.Random(scenario)
        for trial in range(6):
            shuffled = chosen[:]
            rng.shuffle(shuffled)
            files = write_split(tmp_path / f"{scenario}-{trial}", shuffled, parts=1 + trial % 4)
            rng.shuffle(files)
            result = comparable(evaluate(pack, load_facts(files, pack), AFTER_SCENARIOS))
            assert result == reference, f"{scenario}: trial {trial} differs"


def test_supersession_does_not_depend_on_file_order(pack: Pack, tmp_path: Path) -> None:
    """Two stances for Pakistan: the later observed one wins whichever file comes first."""
    facts = all_raw_facts()
    stances = [f for f in facts if f["kind"] == "pakistan_stance" and f["id"] in
               ("base-yusuf-claims-inability", "refuse-stance-refuses")]
    assert len(stances) == 2
    results = []
    for order in (stances, stances[::-1]):
        files = write_split(tmp_path / f"order-{len(results)}", order, parts=2)
        evaluation = evaluate(pack, load_facts(files, pack), AFTER_SCENARIOS)
        results.append(comparable(evaluation))
        superseded = {n.fact for n in evaluation.not_counted if n.reason.startswith("superseded")}
        assert superseded == {"base-yusuf-claims-inability"}
    assert results[0] == results[1]


def test_a_facts_kept_text_never_outlives_it(baseline: list[Fact]) -> None:
    """The canonical text is kept per Fact object; objects come and go (and Python reuses their ids)."""
    import gc

    from engine.evaluate import fact_texts
    from engine.validate import canonical_json

    template = next(f for f in baseline if f.kind == "violence_trend")
    for change in range(-60, 60):
        fact = template.model_copy(update={"fields": {**template.fields, "change_pct": change}})
        assert fact_texts([fact]) == [canonical_json(fact.model_dump(mode="json", exclude={"origin", "hypothetical"}))]
        del fact
        gc.collect()


def test_facts_dumped_together_read_as_each_alone(baseline: list[Fact]) -> None:
    """The texts of facts new to the process are dumped in one call: each must read as the fact's own content
    (origin left out, the hypothetical flag kept only when set), whatever the others beside it."""
    from engine.evaluate import fact_texts
    from engine.validate import canonical_json

    fresh = [fact.model_copy(update={"hypothetical": index % 2 == 0}) for index, fact in enumerate(baseline)]
    expected = []
    for fact in fresh:
        content = fact.content()
        del content["origin"]
        expected.append(canonical_json(content))
    assert fact_texts(fresh) == expected
    assert any('"hypothetical":true' in text for text in expected)
    assert not any('"hypothetical":false' in text for text in fact_texts(baseline))
