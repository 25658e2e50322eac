"""The `commitments` command as a user meets it: outputs, exit codes, and guardrails at run time."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BASELINE, RULES, SCENARIOS, STRINGS_FREE

from engine.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_text_output_groups_by_category_with_why_and_cite(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "evaluate", str(BASELINE), "--rules", str(RULES), "--as-of", "2021-02-12")
    assert code == 0 and err == ""
    assert "cooperation level is refusal" in out
    headings = [line for line in out.splitlines() if line and not line.startswith(" ")]
    assert (headings.index("Consequences (if Pakistan does not act)") < headings.index("Messaging")
            < headings.index("Principles (whatever Pakistan does)"))
    block = out[out.index("(fatf.keep_listed)"):]
    why, cite = block.splitlines()[1:3]
    assert why.strip().startswith("why: Keep Pakistan listed when it refuses") and "base-yusuf-claims-inability" in why
    assert cite.strip().startswith("cite: weinstein-2021 ¶16:")
    assert "base-rumour-quetta-arrests: below evidence threshold" in out
    assert "Guardrails: all" in out


def test_markdown_output_is_a_memo(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "evaluate", str(BASELINE), str(SCENARIOS / "cooperates.yaml"),
                       "--rules", str(RULES), "--format", "markdown", "--as-of", "2021-07-01")
    assert code == 0
    assert out.startswith("# ")
    assert "## Offers (conditional on Pakistan)" in out and "`fatf.support_removal`" in out
    assert "## Guardrails" in out


def test_default_paths_read_only_top_level_facts(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(RULES, tmp_path / "rules")
    shutil.copytree(BASELINE.parent, tmp_path / "facts")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "evaluate", "--as-of", "2021-07-01", "--format", "json")
    assert code == 0
    assert '"coop-' not in out  # facts/scenarios/ is read only when named


def test_python_dash_m_engine_is_the_same_command() -> None:
    done = subprocess.run([sys.executable, "-m", "engine", "evaluate", str(BASELINE), "--rules", str(RULES),
                           "--as-of", "2021-02-12", "--format", "json"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert '"value": "refusal"' in done.stdout


def test_usage_errors_exit_2_without_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "evaluate", "--as-of", "12/02/2021")
    assert code == 2 and "YYYY-MM-DD" in err and "Traceback" not in err + out
    code, _, err = run(capsys, "evaluate", str(BASELINE.parent / "nope.yaml"), "--rules", str(RULES))
    assert code == 2 and "nope.yaml: file-missing" in err


def test_a_pack_breaking_a_guardrail_exits_1_naming_it(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """FATF support offered on a violence drop alone, with no Pakistani action: strings-free support."""
    rules = STRINGS_FREE
    code, out, _ = run(capsys, "evaluate", str(BASELINE), str(SCENARIOS / "demonstrable_steps.yaml"),
                       "--rules", str(rules), "--as-of", "2021-07-01")
    assert code == 0  # −10%: the edited rule does not fire, nothing is violated
    code, out, _ = run(capsys, "evaluate", str(BASELINE), str(SCENARIOS / "cooperates.yaml"), "--rules", str(rules),
                       "--as-of", "2021-07-01")
    # Pakistan did act, but the edited rule does not rest on it: the offer is strings-free all the same.
    assert code == 1
    assert "no_strings_free_support: fatf.support_removal (offer) rests on no counting demonstrable_action" in out
    code, out, _ = run(capsys, "evaluate", str(BASELINE), str(SCENARIOS / "refuses.yaml"), str(_drop(tmp_path)),
                       "--rules", str(rules), "--as-of", "2021-07-01")
    assert code == 1
    assert "GUARDRAILS VIOLATED" in out
    assert "no_strings_free_support: fatf.support_removal (offer) rests on no counting demonstrable_action" in out
    assert "carrot_and_stick_exclusive: fatf.support_removal and fatf.keep_listed recommended together" in out


def _drop(tmp_path: Path) -> Path:
    path = tmp_path / "violence-drop.yaml"
    path.write_text("""facts:
  - id: drop-1
    kind: violence_trend
    subject: taliban
    observed: 2021-06-30
    change_pct: -40
    window_days: 90
    metric: attacks
    source: {title: "Hypothetical: drop", ref: "hypothetical scenario", date: 2021-06-30}
    reliability: B
    credibility: 2
""")
    return path


def test_internal_failure_is_one_line_and_exit_3(capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.cli as cli

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(cli, "evaluate", broken)
    code, out, err = run(capsys, "evaluate", str(BASELINE), "--rules", str(RULES))
    assert code == 3
    assert err.strip() == "commitments: internal error: RuntimeError: disk on fire"


@pytest.mark.parametrize("argv, command", [
    (["evaluate", "--bogus"], "evaluate"),
    (["check", "--bogus"], "check"),
    (["explain"], "explain"),
    (["whatif", "--set"], "whatif"),
    (["timeline", "--from", "2021-01-01", "--to", "2021-02-01", "--bogus"], "timeline"),
    (["schema", "--bogus"], "schema"),
    (["facts", "add", "--bogus"], "facts add"),
    (["facts"], "facts"),
    (["audit", "list", "--bogus"], "audit list"),
    (["audit", "show"], "audit show"),
    (["audit", "nope"], "audit"),
    ([], ""),
    (["nope"], ""),
])
def test_usage_errors_point_at_the_help_of_the_command_given(capsys: pytest.CaptureFixture[str], argv: list[str],
                                                              command: str) -> None:
    code, out, err = run(capsys, *argv)
    see = f"(see 'commitments {command} --help')" if command else "(see 'commitments --help')"
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    assert err.startswith("commitments: usage: ") and err.rstrip().endswith(see), err


def test_version_is_the_installed_one_that_audit_records_name() -> None:
    from importlib.metadata import version

    from engine import __version__

    done = subprocess.run([sys.executable, "-m", "engine", "--version"], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"commitments {__version__}\n", "")
    assert __version__ == version("commitments")  # pyproject.toml and the engine agree
