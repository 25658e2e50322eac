"""Shared fixtures: the repository's pack and facts, and a way to write small packs for tests."""

from __future__ import annotations

import datetime as dt
import os
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from engine.model import Evaluation, Fact, Pack
from engine.validate import load_facts, load_pack

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
FACTS = ROOT / "facts"
BASELINE = FACTS / "2021-02-baseline.yaml"
SCENARIOS = FACTS / "scenarios"
SEEDS = ROOT.parent / "shared" / "seeds"
# The article's pack with FATF support offered on a violence drop alone: breaks two guardrails.
STRINGS_FREE = ROOT / "tests" / "packs" / "strings_free"
AFTER_SCENARIOS = dt.date(2021, 7, 1)


@pytest.fixture(scope="session", autouse=True)
def _audit_store_outside_the_repository(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """`evaluate` records every run; tests must never write into the repository or the user's own store
    (~/.local/share/commitments) or cache (~/.cache/commitments), nor follow the user's $COMMITMENTS_RULES / $COMMITMENTS_FACTS."""
    names = ("COMMITMENTS_AUDIT_DB", "XDG_DATA_HOME", "COMMITMENTS_RULES", "COMMITMENTS_FACTS", "COMMITMENTS_CACHE")
    before = {name: os.environ.get(name) for name in names}
    os.environ["COMMITMENTS_AUDIT_DB"] = str(tmp_path_factory.mktemp("audit") / "audit.sqlite")
    os.environ["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("xdg-data"))  # where a test without the above lands
    os.environ["COMMITMENTS_CACHE"] = str(tmp_path_factory.mktemp("cache"))  # prepared packs (engine.packcache)
    os.environ.pop("COMMITMENTS_RULES", None)
    os.environ.pop("COMMITMENTS_FACTS", None)
    yield
    for name, value in before.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def pack() -> Pack:
    return load_pack(RULES)


@pytest.fixture(scope="session")
def baseline(pack: Pack) -> list[Fact]:
    return load_facts([BASELINE], pack)


def scenario_facts(pack: Pack, name: str) -> list[Fact]:
    return load_facts([BASELINE, SCENARIOS / f"{name}.yaml"], pack)


def evaluate_named(pack: Pack, folder: Path, as_of: str, *names: str) -> Evaluation:
    """Evaluate the fact files `folder/NAME.yaml` as of an ISO date: how the test packs' tests run."""
    from engine.evaluate import evaluate

    return evaluate(pack, load_facts([folder / f"{name}.yaml" for name in names], pack), dt.date.fromisoformat(as_of))


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


@pytest.fixture
def make_pack(tmp_path: Path) -> Callable[..., Pack]:
    """Write a pack folder from YAML snippets and load it."""

    def make(pack_yaml: str, **files: str) -> Pack:
        folder = tmp_path / "rules"
        write(folder / "pack.yaml", pack_yaml)
        for name, text in files.items():
            write(folder / f"{name}.yaml", text)
        return load_pack(folder)

    return make


def ids(evaluation: Evaluation) -> set[str]:
    return set(evaluation.response_ids())


from pg import pg_server, pg_url  # noqa: E402,F401 - the team store's throwaway PostgreSQL server
from policy_steps import pytest_bdd_before_scenario, pytest_bdd_step_func_lookup_error  # noqa: E402,F401 - hooks
