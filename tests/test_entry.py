"""Guided fact entry writes only facts that load, and never overwrites or corrupts a file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import BASELINE

from engine.entry import Question, append_fact, build, parse_answer, questions
from engine.errors import InputError
from engine.model import Pack
from engine.validate import load_facts

ANSWERS = {"id": "unama-2021-q2", "observed": dt.date(2021, 4, 14), "change_pct": -38, "window_days": 90,
           "metric": "civilian_casualties", "source.title": "UNAMA: quarterly update", "source.ref": "https://x",
           "source.date": dt.date(2021, 4, 14), "reliability": "B", "credibility": 2, "note": 'says "fewer"'}


def test_questions_offer_the_vocabulary_choices(pack: Pack) -> None:
    asked = {q.name: q for q in questions(pack, "violence_trend")}
    assert asked["metric"].choices == ("attacks", "security_incidents", "civilian_casualties")
    assert "subject" not in asked  # one subject: nothing to ask
    assert asked["valid_until"].optional is True


def test_answers_are_typed_and_checked() -> None:
    assert parse_answer(Question("d", "d", kind="date"), "2021-04-14") == dt.date(2021, 4, 14)
    assert parse_answer(Question("n", "n", kind="integer"), "90") == 90
    assert parse_answer(Question("b", "b", kind="boolean"), "true") is True
    for question, text in [(Question("d", "d", kind="date"), "14/04/2021"),
                           (Question("n", "n", kind="integer"), "ninety"),
                           (Question("m", "m", ("a", "b")), "c")]:
        with pytest.raises(ValueError):
            parse_answer(question, text)


def test_a_new_file_is_created_and_loads(pack: Pack, tmp_path: Path) -> None:
    target = tmp_path / "new.yaml"
    fact = append_fact(pack, target, build(pack, "violence_trend", ANSWERS), schema="../schema/facts.schema.json")
    assert fact.id == "unama-2021-q2" and fact.fields["change_pct"] == -38 and fact.note == 'says "fewer"'
    assert [f.id for f in load_facts([target], pack)] == ["unama-2021-q2"]
    assert target.read_text().startswith("# yaml-language-server: $schema=../schema/facts.schema.json")


def test_appending_keeps_the_existing_text_and_comments(pack: Pack, tmp_path: Path) -> None:
    target = tmp_path / "baseline.yaml"
    original = BASELINE.read_text()
    target.write_text(original)
    append_fact(pack, target, build(pack, "violence_trend", ANSWERS))
    text = target.read_text()
    assert text.startswith(original)
    assert len(load_facts([target], pack)) == len(load_facts([BASELINE], pack)) + 1


@pytest.mark.parametrize("change, code", [
    ({"id": "base-yusuf-claims-inability"}, "duplicate-id"),
    ({"metric": "casualties"}, "bad-value"),
    ({"credibility": 9}, "schema"),
])
def test_a_bad_fact_writes_nothing(pack: Pack, tmp_path: Path, change: dict[str, object], code: str) -> None:
    target = tmp_path / "baseline.yaml"
    target.write_text(BASELINE.read_text())
    before = target.read_bytes()
    with pytest.raises(InputError) as caught:
        append_fact(pack, target, build(pack, "violence_trend", {**ANSWERS, **change}))
    assert caught.value.problems[0].code == code
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["baseline.yaml"]  # no temporary left behind


def test_a_file_that_is_not_a_facts_file_is_left_alone(pack: Pack, tmp_path: Path) -> None:
    target = tmp_path / "notes.yaml"
    target.write_text("shopping: [milk]\n")
    with pytest.raises(InputError, match="not a facts file"):
        append_fact(pack, target, build(pack, "violence_trend", ANSWERS))
    assert target.read_text() == "shopping: [milk]\n"
