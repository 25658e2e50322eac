"""The analyst commands as a user types them: explain, whatif, timeline, facts add, schema, check."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from conftest import BASELINE, ROOT, RULES, SCENARIOS, SEEDS

from engine.cli import main
from engine.entry import append_fact, build, parse_answer, questions
from engine.errors import InputError
from engine.validate import load_facts, load_pack

BASE = [str(BASELINE), "--rules", str(RULES)]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_explain_an_absent_response(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "explain", "fatf.support_removal", *BASE, "--as-of", "2021-02-12")
    assert code == 0
    first, second = out.splitlines()[:2]
    assert first == "Not recommended, because Pakistan's cooperation level is refusal, not sustained reduction."
    assert second.startswith("fatf.support_removal is not recommended: fatf.offer_support is else")
    assert "on base-yusuf-claims-inability: pakistan_stance(position=claims_inability) observed 2021-01-21 [B2:" in out
    assert "cites weinstein-2021 ¶16" in out
    tail = out.split("what is on record stays as recorded):\n")[1].splitlines()
    # the drop must be reported after the step (attribution): the step the day before, the drop on the day
    assert tail[0] == "  - record a new pakistan_action fact observed 2021-02-11 with action=arrest_taliban_leaders, " \
                      "verified=true"
    assert tail[1] == ("      commitments facts add --file FILE --kind pakistan_action --value observed=2021-02-11 "
                       "--value action=arrest_taliban_leaders --value verified=true")
    assert tail[2].startswith("  - record a new violence_trend fact observed 2021-02-12 with change_pct=-25, "
                              "metric=attacks, window_days=60 (a later observation than base-sigar-2020-q3-attacks")
    assert tail[4] == "  (each command asks for the id, the source and its grade)"
    assert "change " not in out and "retract" not in out


def test_the_proposed_commands_record_facts_that_produce_the_response(capsys: pytest.CaptureFixture[str],
                                                                      tmp_path: Path) -> None:
    """Run as printed (FILE named, the id, source and grade given): the response is then recommended."""
    code, out, _ = run(capsys, "explain", "fatf.support_removal", *BASE, "--as-of", "2021-02-12")
    commands = [line.split()[3:] for line in out.splitlines() if line.startswith("      commitments facts add ")]
    assert len(commands) == 2
    update = tmp_path / "update.yaml"
    for n, argv in enumerate(commands):
        argv[argv.index("FILE")] = str(update)
        code, _, err = run(capsys, "facts", "add", *argv, "--rules", str(RULES), "--no-input", f"--value=id=new-{n}",
                           "--value=source.title=A report", "--value=source.ref=https://example.org",
                           "--value=source.date=2021-02-12", "--value=reliability=B", "--value=credibility=2")
        assert code == 0, err
    code, out, _ = run(capsys, "evaluate", str(BASELINE), str(update), "--rules", str(RULES), "--as-of",
                       "2021-02-12", "--format", "json", "--no-audit")
    assert code == 0 and "fatf.support_removal" in [r["id"] for r in json.loads(out)["responses"]]


def test_explain_unknown_target_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "explain", "fatf.suport_removal", *BASE)
    assert code == 2 and "did you mean 'fatf.support_removal'" in err


def test_whatif_set_add_and_drop(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "whatif", *BASE, "--as-of", "2021-07-01", "--drop", "base-yusuf-claims-inability",
                       "--add", str(SCENARIOS / "cooperates.yaml"))
    assert code == 0
    assert "Pakistan's cooperation level: refusal → sustained_reduction" in out
    assert "  + fatf.support_removal" in out and "  - fatf.keep_listed" in out
    assert "  - retract base-yusuf-claims-inability" in out
    code, _, err = run(capsys, "whatif", *BASE, "--drop", "nope")
    assert code == 2 and "no fact 'nope' to drop" in err
    code, _, err = run(capsys, "whatif", *BASE)
    assert code == 2 and "give at least one --set, --add, --drop or --assume" in err


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_timeline_formats(capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    code, out, _ = run(capsys, "timeline", str(BASELINE), str(SCENARIOS / "cooperates.yaml"), "--rules", str(RULES),
                       "--from", "2021-02-01", "--to", "2021-07-01", "--step", "2w", "--format", fmt)
    assert code == 0
    if fmt == "json":
        data = json.loads(out)
        assert [p["headline"]["cooperation_level"] for p in data["points"]][::5] == ["refusal", "demonstrable_steps",
                                                                          "sustained_reduction"]
        assert {"date": "2021-06-21", "change": "appeared", "subject": "fatf.support_removal", "detail": "",
                "because": [{"fact": "coop-violence-down-38", "counts": True, "reason": ""}]} in data["events"]
    else:
        table = list(csv.DictReader(out.splitlines()))
        assert len(table) == 11 and list(table[0])[:3] == ["date", "cooperation_level", "fatf.support_removal"]
        # one column per response recommended at some step, in the pack's order: 1 where recommended, else 0
        pack = load_pack(RULES)
        responses = list(table[0])[2:]
        assert responses == [r for r in pack.responses if any(row.get(r) == "1" for row in table)]
        assert {value for row in table for value in list(row.values())[2:]} == {"0", "1"}
        assert [row["fatf.support_removal"] for row in table] == ["0"] * 10 + ["1"]
        assert [row["fatf.keep_listed"] for row in table][:4] == ["1", "1", "1", "0"]  # until the arrests
        assert table[-1]["date"] == "2021-06-21" and table[-1]["cooperation_level"] == "sustained_reduction"


def test_timeline_text_names_the_fact_that_moved_the_level(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "timeline", str(BASELINE), str(SCENARIOS / "cooperates.yaml"), "--rules", str(RULES),
                       "--from", "2021-02-01", "--to", "2021-09-30")
    assert code == 0
    assert ("2021-03-15  Pakistan's cooperation level refusal → demonstrable_steps  (because coop-arrest-taliban-leaders "
            "now counts; base-yusuf-claims-inability no longer counts: superseded by coop-stance-supports-ceasefire")\
        in out
    assert "2021-06-21  + fatf.support_removal  (because coop-violence-down-38 now counts)" in out


def test_timeline_steps_by_calendar_month(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "timeline", *BASE, "--from", "2021-01-31", "--to", "2021-06-30", "--step", "1m",
                       "--format", "csv")
    assert code == 0
    assert [row.split(",")[0] for row in out.splitlines()[1:]] == [
        "2021-01-31", "2021-02-28", "2021-03-31", "2021-04-30", "2021-05-31", "2021-06-30"]
    code, out, _ = run(capsys, "timeline", *BASE, "--from", "2021-01-31", "--to", "2021-12-31", "--step", "3m")
    assert code == 0 and out.startswith("Timeline 2021-01-31 → 2021-12-31, every 3 months (4 evaluations)")


@pytest.mark.parametrize("step", ["1y", "0m", "m", "1 month"])
def test_timeline_rejects_a_bad_step(capsys: pytest.CaptureFixture[str], step: str) -> None:
    code, out, err = run(capsys, "timeline", *BASE, "--from", "2021-01-01", "--to", "2021-12-31", "--step", step)
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    assert err.startswith("--step: bad-step: expected a step such as 7d, 2w or 1m; found "), err


def test_timeline_rejects_a_backwards_period(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "timeline", *BASE, "--from", "2021-05-01", "--to", "2021-04-01")
    assert code == 2 and "is before --from" in err


VALUES = ["id=unama-2021-q2", "observed=2021-04-14", "change_pct=-38", "window_days=90",
          "metric=civilian_casualties", "source.title=UNAMA quarterly update", "source.ref=https://unama.example",
          "source.date=2021-04-14", "reliability=B", "credibility=2"]


def test_facts_add_without_prompts(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "facts" / "new.yaml"
    target.parent.mkdir()
    args = ["facts", "add", "--file", str(target), "--kind", "violence_trend", "--rules", str(RULES), "--no-input"]
    code, out, _ = run(capsys, *args, *(f"--value={v}" for v in VALUES))
    assert code == 0 and out.strip() == f"added unama-2021-q2 (violence_trend) to {target}"
    assert [f.fields["change_pct"] for f in load_facts([target], load_pack(RULES))] == [-38]
    code, _, err = run(capsys, *args, *(f"--value={v}" for v in VALUES))
    assert code == 2 and "duplicate-id" in err
    code, _, err = run(capsys, *args, "--value=id=x")
    assert code == 2 and "no answer for 'observed (YYYY-MM-DD)'" in err


def test_facts_add_prompts_with_the_vocabulary_choices(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["pakistan_stance", "stance-1", "2021-03-01", "maybe", "supports_ceasefire",
                    "Dawn", "https://dawn.example", "2021-03-01", "B", "2", "", "", ""])
    prompts: list[str] = []

    def typed(prompt: str) -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr("builtins.input", typed)
    target = tmp_path / "stance.yaml"
    code, out, err = run(capsys, "facts", "add", "--file", str(target), "--rules", str(RULES))
    assert code == 0, err
    assert prompts[0].startswith("kind (--kind) [violence_trend/pakistan_action/pakistan_stance")
    assert "position (--value position=…) [claims_inability/conditions_ceasefire_on_concessions/supports_ceasefire/" \
        "refuses_to_pressure]: " in prompts
    keys = [prompt.split("(--value ", 1)[1].split("=", 1)[0] for prompt in prompts[1:]]
    assert list(dict.fromkeys(keys)) == [q.name for q in questions(load_pack(RULES), "pakistan_stance")]
    assert "choose one of" in err  # "maybe" was refused, and asked again
    fact = load_facts([target], load_pack(RULES))[0]
    assert (fact.id, fact.fields["position"], fact.note) == ("stance-1", "supports_ceasefire", None)


def test_facts_add_asks_again_for_a_bad_kind(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["pakistan_stanse", "pakistan_stance", "stance-2", "2021-03-01", "supports_ceasefire",
                    "Dawn", "https://dawn.example", "2021-03-01", "B", "2", "", "", ""])
    prompts: list[str] = []
    monkeypatch.setattr("builtins.input", lambda prompt: prompts.append(prompt) or next(answers))
    target = tmp_path / "stance.yaml"
    code, _, err = run(capsys, "facts", "add", "--file", str(target), "--rules", str(RULES))
    assert code == 0, err
    assert "unknown kind 'pakistan_stanse' (did you mean 'pakistan_stance'?); choose one of violence_trend" in err
    assert prompts[0] == prompts[1] and prompts[1].startswith("kind (--kind) [")
    assert load_facts([target], load_pack(RULES))[0].kind == "pakistan_stance"


def test_facts_add_refuses_an_unknown_value_key_before_asking(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("builtins.input", lambda prompt: pytest.fail(f"asked {prompt!r}"))
    target = tmp_path / "new.yaml"
    code, out, err = run(capsys, "facts", "add", "--file", str(target), "--kind", "violence_trend",
                         "--rules", str(RULES), "--value=change_pc=-38", *(f"--value={v}" for v in VALUES))
    assert code == 2 and out == "" and not target.exists()
    assert err.startswith("--value: unknown-field: violence_trend facts have no 'change_pc' "
                          "(did you mean 'change_pct'?); the keys are id, observed, ")
    assert "change_pct" in err and "source.title" in err and len(err.splitlines()) == 1


def test_facts_add_refuses_an_id_used_in_another_file_of_the_set(capsys: pytest.CaptureFixture[str],
                                                                 tmp_path: Path) -> None:
    first = tmp_path / "a.yaml"
    args = ["facts", "add", "--kind", "violence_trend", "--rules", str(RULES), "--no-input",
            *(f"--value={v}" for v in VALUES)]
    assert run(capsys, *args, "--file", str(first))[0] == 0
    (tmp_path / "broken.yaml").write_text("facts: [\n")  # a neighbour that does not load blocks nothing
    second = tmp_path / "b.yaml"
    second.write_text("facts: []\n")
    code, out, err = run(capsys, *args, "--file", str(second))
    assert code == 2 and out == ""
    assert err.strip() == (f"{second}: duplicate-id: fact id 'unama-2021-q2' is already used at {first}:3:5; "
                           "nothing written")
    assert second.read_text() == "facts: []\n"
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()  # another folder is another set: the id is free there
    assert run(capsys, *args, "--file", str(elsewhere / "c.yaml"))[0] == 0


def test_appending_refuses_an_id_used_beside_the_file(tmp_path: Path) -> None:
    pack = load_pack(RULES)
    answers = {v.split("=", 1)[0]: v.split("=", 1)[1] for v in VALUES}
    typed = {q.name: parse_answer(q, answers[q.name]) for q in questions(pack, "violence_trend") if q.name in answers}
    append_fact(pack, tmp_path / "a.yaml", build(pack, "violence_trend", typed))
    with pytest.raises(InputError) as refused:
        append_fact(pack, tmp_path / "b.yaml", build(pack, "violence_trend", typed))
    assert refused.value.problems[0].code == "duplicate-id" and f"{tmp_path / 'a.yaml'}:3:5" in str(refused.value)
    assert not (tmp_path / "b.yaml").exists()


def test_schema_out_writes_what_is_committed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, _ = run(capsys, "schema", "--rules", str(RULES), "--out", str(tmp_path))
    assert code == 0
    for name in ("facts.schema.json", "rules.schema.json"):
        assert json.loads((tmp_path / name).read_text()) == json.loads((ROOT / "schema" / name).read_text())


def test_check_proves_the_pack_and_fails_a_broken_one(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["check", str(BASELINE), "--rules", str(RULES)]
    source = SEEDS / "001_efc43791f62aabc8.txt"
    if source.exists():
        args.append(f"--source=weinstein-2021={source}")
    code, out, _ = run(capsys, *args)
    assert code == 0 and out.count("guardrail proved:") == 5
    code, out, _ = run(capsys, "check", str(BASELINE), "--rules", str(ROOT / "tests" / "packs" / "strings_free"))
    assert code == 1
    assert "violation: guardrail-no_strings_free_support: rule fatf.offer_support" in out
    assert "counterexample facts: violence_trend(change_pct=-25, metric=attacks, window_days=1)" in out
    code, _, err = run(capsys, "check", "--rules", str(RULES), "--source", "nobody=x.txt")
    assert code == 2 and "expected ID=PATH" in err


@pytest.mark.parametrize("case", ["parent-is-a-file", "folder-missing", "broken-yaml", "deeply-nested"])
def test_facts_add_to_a_bad_file_is_one_located_line(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                     case: str) -> None:
    plain = tmp_path / "plain.yaml"
    plain.write_text({"broken-yaml": "facts: [\n", "deeply-nested": "facts:\n  - " + "[" * 3000 + "]" * 3000 + "\n"}
                     .get(case, "facts: []\n"))
    target = {"parent-is-a-file": plain / "new.yaml", "folder-missing": tmp_path / "nope" / "new.yaml"}.get(case, plain)
    before = sorted((p.name, p.read_bytes()) for p in tmp_path.iterdir())
    code, out, err = run(capsys, "facts", "add", "--file", str(target), "--kind", "violence_trend",
                         "--rules", str(RULES), "--no-input", *(f"--value={v}" for v in VALUES))
    assert code == 2 and out == "", err
    assert len(err.splitlines()) == 1 and err.startswith(f"{target}") and "Traceback" not in err
    assert sorted((p.name, p.read_bytes()) for p in tmp_path.iterdir()) == before


@pytest.mark.parametrize("argv, says", [
    (["whatif", *BASE, "--set", "violence_trend.change_pct=["], "--set:1:2: yaml-syntax: "),
    (["whatif", *BASE, "--set", "violence_trend.change_pct={a: [1, }"], "--set:1:"),
    (["whatif", *BASE, "--set", "fatf_status.next_plenary=2021-02-30"], "--set:1:1: bad-date: '2021-02-30'"),
    (["facts", "add", "--file", "never-written.yaml", "--kind", "violence_trend", "--rules", str(RULES), "--no-input",
      "--value=id=a", "--value=observed=2021-01-01", "--value=change_pct=["], "--value: bad-value: change_pct: "),
])
def test_a_bad_value_on_the_command_line_is_one_line(capsys: pytest.CaptureFixture[str], argv: list[str],
                                                     says: str) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith(says), err
    assert not Path("never-written.yaml").exists()


@pytest.mark.parametrize("case", ["an-existing-file", "under-a-file"])
def test_schema_out_on_a_file_is_one_clear_line(capsys: pytest.CaptureFixture[str], tmp_path: Path, case: str) -> None:
    existing = tmp_path / "schema"
    existing.write_text("keep me\n")
    out = existing if case == "an-existing-file" else existing / "inner"
    code, printed, err = run(capsys, "schema", "--rules", str(RULES), "--out", str(out))
    assert code == 2 and printed == ""
    assert len(err.splitlines()) == 1 and err.startswith(f"{existing}") and "folder" in err, err
    assert existing.read_text() == "keep me\n"


@pytest.mark.parametrize("start, end, step, points", [
    ("9999-12-01", "9999-12-31", "7d", 5),
    ("9999-12-25", "9999-12-31", "1d", 7),
    ("0001-01-01", "9999-12-31", "3652058d", 2),
    ("2021-01-01", "2021-12-31", "1000w", 1),
])
def test_timeline_runs_to_the_end_of_the_calendar(capsys: pytest.CaptureFixture[str], start: str, end: str,
                                                  step: str, points: int) -> None:
    code, out, err = run(capsys, "timeline", *BASE, "--from", start, "--to", end, "--step", step, "--format", "json")
    assert code == 0, err
    dates = [p["date"] for p in json.loads(out)["points"]]
    assert len(dates) == points and dates[0] == start and dates[-1] <= end


@pytest.mark.parametrize("step", ["99999999d", "99999999w", "9" * 5000])
def test_timeline_step_past_the_calendar_is_bad_input(capsys: pytest.CaptureFixture[str], step: str) -> None:
    code, out, err = run(capsys, "timeline", *BASE, "--from", "2021-01-01", "--to", "2021-12-31", "--step", step)
    assert code == 2 and out == "" and len(err.splitlines()) == 1 and err.startswith("--step: bad-step: "), err
    assert len(err) < 200
    if len(step) > 80:  # echoed as every other found value is: cut, with its length said
        assert "…' (5000 characters)" in err, err


def test_explain_in_plain_words_on_a_pack_of_another_argument(capsys: pytest.CaptureFixture[str],
                                                                tmp_path: Path) -> None:
    """The sentence is the pack's own words: a response given by a rule's `else`, and a state not yet known."""
    assert main(["init", str(tmp_path / "arg")]) == 0
    rules, facts = str(tmp_path / "arg" / "rules"), tmp_path / "arg" / "facts"

    def first_line(target: str, as_of: str) -> str:
        code, out, err = run(capsys, "explain", target, str(facts), "--rules", rules, "--as-of", as_of)
        assert code == 0, err
        return out.splitlines()[0]

    capsys.readouterr()
    assert first_line("offer.reward", "2024-03-15") == "Recommended, because The client's standing is compliant."
    assert first_line("consequence.withhold", "2024-03-15") == (
        "Not recommended, because The client's standing is compliant.")  # its rule holds: the else is not taken
    assert first_line("offer.reward", "2024-02-15") == (
        "Not recommended, because nothing is known yet about standing (rule offer.reward needs it).")
    assert first_line("messaging.terms", "2024-03-15").startswith("Recommended whatever the facts (rule messaging.terms")
    observed = facts / "observed.yaml"
    observed.write_text(observed.read_text().replace("status: met", "status: missed"))
    assert first_line("offer.reward", "2024-03-15") == (
        "Not recommended, because The client's standing is non compliant, not compliant.")
    assert first_line("consequence.withhold", "2024-03-15") == (
        "Recommended, because The client's standing is non compliant.")
