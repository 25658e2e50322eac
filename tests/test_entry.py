"""Guided fact entry writes only facts that load, and never overwrites or corrupts a file."""

from __future__ import annotations

import datetime as dt
import os
import stat
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


def _entered(pack: Pack, **change: object) -> dict[str, object]:
    return build(pack, "violence_trend", {**ANSWERS, **change})


@pytest.mark.parametrize("mode", [0o644, 0o666, 0o600, 0o640])
def test_appending_keeps_the_file_mode(pack: Pack, tmp_path: Path, mode: int) -> None:
    target = tmp_path / "baseline.yaml"
    target.write_text(BASELINE.read_text())
    target.chmod(mode)
    append_fact(pack, target, _entered(pack))
    assert stat.S_IMODE(target.stat().st_mode) == mode


def test_a_read_only_file_is_left_alone(pack: Pack, tmp_path: Path) -> None:
    target = tmp_path / "baseline.yaml"
    target.write_text(BASELINE.read_text())
    target.chmod(0o444)
    with pytest.raises(InputError, match="read-only; nothing written"):
        append_fact(pack, target, _entered(pack))
    assert target.read_text() == BASELINE.read_text() and [p.name for p in tmp_path.iterdir()] == ["baseline.yaml"]


def test_a_new_file_gets_the_mode_the_umask_gives(pack: Pack, tmp_path: Path) -> None:
    before = os.umask(0o022)
    try:
        append_fact(pack, tmp_path / "new.yaml", _entered(pack))
    finally:
        os.umask(before)
    assert stat.S_IMODE((tmp_path / "new.yaml").stat().st_mode) == 0o644


def test_through_a_symlink_the_target_is_written_and_the_link_kept(pack: Pack, tmp_path: Path) -> None:
    real = tmp_path / "real" / "baseline.yaml"
    real.parent.mkdir()
    real.write_text(BASELINE.read_text())
    link = tmp_path / "link.yaml"
    link.symlink_to(os.path.relpath(real, tmp_path))
    append_fact(pack, link, _entered(pack))
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert "unama-2021-q2" in {f.id for f in load_facts([real], pack)}
    assert sorted(p.name for p in real.parent.iterdir()) == ["baseline.yaml"]


def test_comments_are_never_edited(pack: Pack, tmp_path: Path) -> None:
    target = tmp_path / "empty.yaml"
    comment = "# facts: [] is how an empty file starts; keep this line as written\n"
    target.write_text(f"{comment}facts: []  # none yet\n")
    append_fact(pack, target, _entered(pack))
    text = target.read_text()
    assert text.startswith(f"{comment}facts:   # none yet\n  - id: \"unama-2021-q2\"\n")
    assert [f.id for f in load_facts([target], pack)] == ["unama-2021-q2"]


@pytest.mark.parametrize("field", ["note", "source.title"])
def test_line_separators_inside_values_round_trip(pack: Pack, tmp_path: Path, field: str) -> None:
    value = "NEL\x85LS\u2028PS\u2029C1\x9b BOM\ufeff DEL\x7f tab\t end"
    target = tmp_path / "new.yaml"
    append_fact(pack, target, _entered(pack, **{field: value}))
    fact = load_facts([target], pack)[0]
    assert (fact.note if field == "note" else fact.source.title) == value


def test_items_at_the_margin_get_a_new_item_at_the_margin(pack: Pack, tmp_path: Path) -> None:
    target = tmp_path / "margin.yaml"
    append_fact(pack, target, _entered(pack))
    target.write_text(target.read_text().replace("\n  - ", "\n- ").replace("\n    ", "\n  "))
    append_fact(pack, target, _entered(pack, id="unama-2021-q3"))
    assert [f.id for f in load_facts([target], pack)] == ["unama-2021-q2", "unama-2021-q3"]


BROKEN_FILES = {
    "broken-yaml": ("facts:\n  - id: [unclosed\n", "yaml-syntax"),
    "deeply-nested": ("facts:\n  - " + "[" * 5000 + "]" * 5000 + "\n", "yaml-too-deep"),
    "flow-list": ('facts: [{id: a}]\n', "not-a-fact-file"),
}


@pytest.mark.parametrize("name", sorted(BROKEN_FILES))
def test_a_broken_existing_file_is_refused_located_and_untouched(pack: Pack, tmp_path: Path, name: str) -> None:
    text, code = BROKEN_FILES[name]
    target = tmp_path / "facts.yaml"
    target.write_text(text)
    with pytest.raises(InputError) as caught:
        append_fact(pack, target, _entered(pack))
    problem = caught.value.problems[0]
    assert problem.code == code and problem.location.file == str(target) and problem.location.line >= 1
    assert target.read_text() == text and [p.name for p in tmp_path.iterdir()] == ["facts.yaml"]


@pytest.mark.parametrize("where", ["parent-is-a-file", "folder-missing"])
def test_a_file_in_no_folder_is_refused_and_nothing_is_made(pack: Pack, tmp_path: Path, where: str) -> None:
    (tmp_path / "plain").write_text("not a folder\n")
    target = tmp_path / ("plain" if where == "parent-is-a-file" else "missing") / "facts.yaml"
    with pytest.raises(InputError) as caught:
        append_fact(pack, target, _entered(pack))
    problem = caught.value.problems[0]
    assert problem.code == "file-unwritable" and problem.location.file == str(target)
    assert "nothing written" in problem.message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain"]


def test_a_symlink_loop_is_refused(pack: Pack, tmp_path: Path) -> None:
    (tmp_path / "a.yaml").symlink_to("b.yaml")
    (tmp_path / "b.yaml").symlink_to("a.yaml")
    with pytest.raises(InputError, match="loop of symlinks"):
        append_fact(pack, tmp_path / "a.yaml", _entered(pack))
    assert (tmp_path / "a.yaml").is_symlink() and (tmp_path / "b.yaml").is_symlink()
