"""The step library as a scenario author meets it: new features need no Python, mistakes explain."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import ROOT
from policy_steps import STEPS

RUNNER = """
import sys
sys.path.insert(0, {tests!r})
from policy_steps import *  # noqa
from policy_steps import policy  # noqa
from pytest_bdd import scenarios
scenarios({feature!r})
"""
CONFTEST = "from policy_steps import pytest_bdd_step_func_lookup_error  # noqa\n"


def run_feature(tmp_path: Path, gherkin: str) -> subprocess.CompletedProcess[str]:
    """Run one feature file with the step library, as a new user's scenario would be run."""
    feature = tmp_path / "new.feature"
    feature.write_text(textwrap.dedent(gherkin).lstrip())
    (tmp_path / "test_new.py").write_text(RUNNER.format(tests=str(ROOT / "tests"), feature=str(feature)))
    (tmp_path / "conftest.py").write_text(f"import sys\nsys.path.insert(0, {str(ROOT / 'tests')!r})\n" + CONFTEST)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
                           str(tmp_path / "test_new.py")], cwd=tmp_path, capture_output=True, text=True, timeout=300)


def test_a_new_scenario_in_gherkin_only_runs(tmp_path: Path) -> None:
    done = run_feature(tmp_path, """
        Feature: A reviewer's own check
          Scenario: Verified arrests and a sustained drop earn FATF support
            Given the article's rule pack
            And these facts:
              | kind            | observed   | fields                                                  |
              | fatf_status     | 2021-02-25 | list=grey                                               |
              | pakistan_action | 2021-05-01 | action=arrest_taliban_leaders, verified=true            |
              | violence_trend  | 2021-06-01 | change_pct=-33, window_days=75, metric=security_incidents |
            When the argument is evaluated as of 2021-06-15
            Then the US response includes "fatf.support_removal"
            And no guardrail is violated
    """)
    assert done.returncode == 0, done.stdout
    assert "1 passed" in done.stdout


def test_a_wrong_expectation_shows_the_actual_responses_and_why(tmp_path: Path) -> None:
    done = run_feature(tmp_path, """
        Feature: A mistaken reviewer
          Scenario: Expecting FATF support for mere rhetoric
            Given the article's rule pack
            And these facts:
              | kind            | observed   | fields                                 |
              | fatf_status     | 2021-02-25 | list=grey                              |
              | pakistan_action | 2021-05-01 | action=public_call_for_ceasefire, verified=true |
            When the argument is evaluated as of 2021-06-15
            Then the US response includes "fatf.support_removal"
    """)
    assert done.returncode == 1
    out = done.stdout
    assert "fatf.support_removal is not recommended" in out
    assert "cooperation level rhetorical" in out
    assert ("- fatf.keep_listed: Keep Pakistan listed when it refuses or only talks, while it is listed "
            "[inline-1, inline-2]") in out


def test_unknown_step_text_lists_the_closest_known_steps(tmp_path: Path) -> None:
    done = run_feature(tmp_path, """
        Feature: A typo
          Scenario: Misspelt step
            Given the article's rule pack
            When the argument is evaluated as of 2021-06-15
            Then the US responses include "fatf.keep_listed"
    """)
    assert done.returncode == 1
    assert 'unknown step "Then the US responses include "fatf.keep_listed""' in done.stdout
    assert 'Closest known steps:\n  Then the US response includes "{response}"' in done.stdout


def test_features_readme_lists_every_step() -> None:
    readme = (ROOT / "features" / "README.md").read_text()
    missing = [f"{keyword} {text}" for keyword, text, _ in STEPS if f"{keyword} {text}" not in readme]
    assert not missing, f"features/README.md does not list: {missing}"


def test_features_report_summarises_pass_and_fail(tmp_path: Path) -> None:
    from features_report import main

    report = [{"uri": "features/x.feature", "name": "X", "elements": [
        {"name": "works", "steps": [{"keyword": "Given", "name": "a", "result": {"status": "passed"}}]},
        {"name": "breaks", "steps": [{"keyword": "Then", "name": "b", "result": {"status": "failed"}}]},
    ]}]
    source = tmp_path / "cucumber.json"
    source.write_text(__import__("json").dumps(report))
    assert main([str(source), str(tmp_path / "out")]) == 0
    markdown = (tmp_path / "out" / "features.md").read_text()
    assert "1 of 2 scenarios pass." in markdown
    assert "- ✅ works" in markdown and "- ❌ breaks" in markdown and "Then b — **failed**" in markdown
    assert "<h2>X</h2>" in (tmp_path / "out" / "features.html").read_text()


FEATURE = """Feature: Y
  Scenario: given a table
    Given these facts:
      | kind   | observed   | fields              |
      | action | 2021-03-01 | note=a\\|b, verified=true |
    When the argument is evaluated as of 2021-04-01

  Scenario Outline: one run per row
    Given these facts:
      | kind   | observed |
      | <kind> | <day>    |
    When the argument is evaluated as of <day>

    Examples:
      | kind   | day        |
      | first  | 2021-01-01 |
      | second | 2021-02-02 |
"""


def test_features_report_shows_each_scenarios_fact_tables(tmp_path: Path) -> None:
    """The tables are read from the feature file (cucumber JSON has none); an outline's from its own row."""
    from features_report import main

    (tmp_path / "features").mkdir()
    (tmp_path / "features" / "y.feature").write_text(FEATURE)

    def steps(day: str) -> list[dict[str, object]]:
        return [{"keyword": "Given", "name": "these facts:", "line": 9, "result": {"status": "passed"}},
                {"keyword": "When", "name": f"the argument is evaluated as of {day}", "line": 12,
                 "result": {"status": "passed"}}]

    report = [{"uri": "features/y.feature", "name": "Y", "elements": [
        {"name": "given a table", "line": 2, "steps": [
            {"keyword": "Given", "name": "these facts:", "line": 3, "result": {"status": "passed"}}]},
        {"name": "one run per row", "line": 8, "steps": steps("2021-01-01")},
        {"name": "one run per row", "line": 8, "steps": steps("2021-02-02")},
    ]}]
    source = tmp_path / "cucumber.json"
    source.write_text(__import__("json").dumps(report))
    assert main([str(source), str(tmp_path / "out"), str(tmp_path)]) == 0
    markdown = (tmp_path / "out" / "features.md").read_text()
    assert ("    - Given these facts:\n\n      | kind | observed | fields |\n      |---|---|---|\n"
            "      | action | 2021-03-01 | note=a\\|b, verified=true |\n\n") in markdown
    assert markdown.count("| first | 2021-01-01 |") == 1 and markdown.count("| second | 2021-02-02 |") == 1
    assert markdown.index("| first |") < markdown.index("as of 2021-01-01") < markdown.index("| second |")
    assert "<kind>" not in markdown
    page = (tmp_path / "out" / "features.html").read_text()
    assert page.count("<table class='facts'>") == 3
    assert ("<tr><th>kind</th><th>observed</th><th>fields</th></tr></thead><tbody><tr><td>action</td>"
            "<td>2021-03-01</td><td>note=a|b, verified=true</td></tr>") in page
    assert "<td>second</td><td>2021-02-02</td>" in page
