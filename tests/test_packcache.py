"""engine.packcache: a prepared pack is the pack load_pack gives, read back only while nothing it depends on changed."""

from __future__ import annotations

import json
import os
import pickle
import shutil
from pathlib import Path

import pytest
from conftest import BASELINE, ROOT, RULES
from test_cli import run

from engine import packcache
from engine.compiler import compile_pack
from engine.model import Pack
from engine.validate import load_pack

FRESH = ROOT / "tests" / "packs" / "fresh"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(packcache.CACHE_ENV_VAR, str(folder))
    return folder


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    copy = tmp_path / "rules"
    shutil.copytree(RULES, copy)
    return copy


def _forbid_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(_: Path) -> Pack:
        raise AssertionError("the pack was loaded again instead of read from the cache")

    monkeypatch.setattr(packcache, "load_pack", fail)


def _kept(cache: Path) -> list[Path]:
    return sorted(cache.glob("pack-*.pickle"))


def test_a_prepared_pack_is_the_loaded_pack_and_is_read_back_without_loading(
        cache: Path, rules: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = packcache.prepared_pack(rules)
    assert first == load_pack(rules)
    (kept,) = _kept(cache)
    assert oct(kept.stat().st_mode & 0o777) == oct(0o600) and oct(cache.stat().st_mode & 0o777) == oct(0o700)
    _forbid_loading(monkeypatch)
    again = packcache.prepared_pack(rules)
    assert again == first and again.digest == first.digest
    # what is kept compiled is what compiling the pack gives now, ledger pack included
    stored = pickle.loads(kept.read_bytes())
    assert [p.digest for p, _ in stored["compiled"]] == [first.digest, stored["ledger"].digest]
    for each, compiled in stored["compiled"]:
        fresh = compile_pack(each)
        assert [s.definition() for s in compiled.strata] == [s.definition() for s in fresh.strata]
        assert compiled.responds == fresh.responds and compiled.needs == fresh.needs


def test_an_edited_rule_file_is_loaded_again(cache: Path, rules: Path) -> None:
    before = packcache.prepared_pack(rules)
    fatf = rules / "fatf.yaml"
    fatf.write_text(fatf.read_text(encoding="utf-8").replace("title:", "title: (edited)", 1), encoding="utf-8")
    after = packcache.prepared_pack(rules)
    assert after.digest != before.digest and after == load_pack(rules)
    assert len(_kept(cache)) == 2


def test_the_same_files_named_another_way_are_another_pack(cache: Path, rules: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A rule's origin names its file as the folder was named: a relative name is not an absolute one."""
    absolute = packcache.prepared_pack(rules)
    monkeypatch.chdir(rules.parent)
    relative = packcache.prepared_pack(Path("rules"))
    assert relative.rules[0].origin.startswith("rules/") and absolute.rules[0].origin.startswith(str(rules))
    assert len(_kept(cache)) == 2


def test_off_writes_nothing(tmp_path: Path, rules: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(packcache.CACHE_ENV_VAR, "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert packcache.cache_folder() is None
    assert packcache.prepared_pack(rules) == load_pack(rules)
    assert not (tmp_path / "xdg").exists()


def test_the_default_folder_is_the_users_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(packcache.CACHE_ENV_VAR)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert packcache.cache_folder() == tmp_path / "commitments"


def test_a_corrupt_cache_file_is_a_miss_and_is_written_again(cache: Path, rules: Path) -> None:
    packcache.prepared_pack(rules)
    (kept,) = _kept(cache)
    kept.write_bytes(kept.read_bytes()[:100])
    assert packcache.prepared_pack(rules) == load_pack(rules)
    assert pickle.loads(kept.read_bytes())["pack"] == load_pack(rules)


def test_a_cache_file_others_can_write_is_never_read(cache: Path, rules: Path) -> None:
    """A pickle runs code when read: one that another user could have written is not trusted."""
    packcache.prepared_pack(rules)
    (kept,) = _kept(cache)
    planted = pickle.dumps({"pack": load_pack(RULES).model_copy(update={"name": "planted"}), "ledger": None,
                            "compiled": []})

    def plant(mode: int) -> None:
        kept.write_bytes(planted)
        kept.chmod(mode)

    plant(0o600)
    assert packcache.prepared_pack(rules).name == "planted"  # the control: a file only its owner can write is read
    plant(0o666)
    assert packcache.prepared_pack(rules).name != "planted"
    plant(0o600)
    cache.chmod(0o777)
    try:
        assert packcache.prepared_pack(rules).name != "planted"
    finally:
        cache.chmod(0o700)


def test_a_bad_pack_is_refused_as_without_a_cache_and_nothing_is_kept(
        cache: Path, rules: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (rules / "fatf.yaml").write_text("rules: [\n", encoding="utf-8")
    code, _, err = run(capsys, "evaluate", str(BASELINE), "--rules", str(rules), "--as-of", "2021-02-12", "--no-audit")
    assert code == 2 and f"{rules / 'fatf.yaml'}:" in err and "Traceback" not in err
    assert _kept(cache) == []


def test_the_command_answers_the_same_from_the_cache(cache: Path, rules: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    args = ("evaluate", str(BASELINE), "--rules", str(rules), "--as-of", "2021-02-12", "--format", "json",
            "--no-audit")
    outputs = []
    for _ in range(2):
        code, out, _ = run(capsys, *args)
        assert code == 0
        outputs.append({k: v for k, v in json.loads(out).items() if k != "run_id"})
    assert len(_kept(cache)) == 1 and outputs[0] == outputs[1]
    assert os.environ[packcache.CACHE_ENV_VAR] == str(cache)


def test_a_pack_with_a_marked_float_is_not_kept_and_answers_alike_in_every_process(
        cache: Path, tmp_path: Path) -> None:
    """A float durable_rules' reader cannot take (1e-05) is marked with this process's token in the compiled
    rules: kept, it would mean nothing to the next process, and the rule would never fire there."""
    import subprocess
    import sys

    pack = tmp_path / "fresh"
    shutil.copytree(FRESH, pack)
    rules = pack / "rules.yaml"
    text = rules.read_text(encoding="utf-8")
    for metric in ("civilian_casualties", "attacks"):  # down 40 (fires) and up 10 (does not)
        text = text.replace(f"metric: {metric}, change_pct: {{lte: -25}}", f"metric: {metric}, change_pct: {{lte: -0.00001}}")
    rules.write_text(text, encoding="utf-8")
    command = [sys.executable, "-m", "engine", "evaluate", str(pack / "facts" / "baseline.yaml"), "--rules",
               str(pack), "--as-of", "2021-03-01", "--format", "json", "--no-audit"]
    answers = []
    for _ in range(2):  # two processes, two tokens
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        answers.append([r["id"] for r in json.loads(done.stdout)["responses"]])
    assert "watch.casualties_down" in answers[0] and "watch.attacks_down" not in answers[0]
    assert answers[0] == answers[1]
    assert _kept(cache) == []
    packcache.prepared_pack(RULES)  # the control: a pack without such a float is kept
    assert len(_kept(cache)) == 1


def test_the_packs_files_count_once_against_the_run_read_or_loaded(cache: Path, rules: Path) -> None:
    """The run's input bound (engine.loader) counts a pack's bytes as loading it would: once, hit or miss."""
    from engine import loader

    size = sum(f.stat().st_size for f in rules.glob("*.yaml"))
    for _ in range(2):  # a miss (loaded), then a hit (read from the cache)
        with loader.one_run():
            packcache.prepared_pack(rules)
            taken = loader._TAKEN.get()
            assert taken is not None and taken[0] == size
    assert len(_kept(cache)) == 1
