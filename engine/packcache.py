"""A rules folder, loaded and compiled once: the `Pack` and its durable_rules rulesets kept in the user's cache.

Takes a rules folder; gives the `Pack` that `load_pack` gives, and leaves its compiled rulesets (and its
ledger's) where `evaluate` and `ledger` look for them first. Reading, validating and compiling a pack is
most of what a command does before it evaluates anything, and it gives the same answer for the same bytes:
so the answer is kept, keyed by everything it depends on — the folder's path as named and as resolved (a
rule's origin names its file), each file's name and bytes, and the versions of the engine, Python, pydantic
and durable_rules (an edited engine module counts, by its size and time). Any other folder, any change, a
missing, corrupt or foreign cache file: the pack is loaded as if there were no cache, and cached again. A
pack whose compiled rules hold a float marked for durable_rules' reader (engine.durable_json: the mark is
this process's) is not kept.

The cache lives in $COMMITMENTS_CACHE, else $XDG_CACHE_HOME/commitments, else ~/.cache/commitments;
`COMMITMENTS_CACHE=off` turns it off. Its files are Python pickles, so they are read only from a folder
and files the user owns that nobody else can write (as ~/.ssh is trusted), and written atomically.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any

import durable_rules_engine
import pydantic
import pydantic_core

from engine import __version__
from engine.durable_json import holds_marks
from engine.errors import InputError, Location
from engine.evaluate import _compiled, prime_compilation
from engine.ledger import ledger_pack, prime_ledger_pack
from engine.loader import count, parse_text, read_text
from engine.model import Pack
from engine.validate import load_pack, pack_files

CACHE_ENV_VAR = "COMMITMENTS_CACHE"
OFF = "off"
_ENGINE = Path(__file__).resolve().parent
_FORMAT = 1  # bump when what is pickled changes shape in a way the engine modules' stamp would not show


def cache_folder() -> Path | None:
    """Where prepared packs are kept, or None when the cache is off."""
    chosen = os.environ.get(CACHE_ENV_VAR, "").strip()
    if chosen.lower() == OFF:
        return None
    if chosen:
        return Path(chosen).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".cache") / "commitments"


def prepared_pack(rules_dir: Path) -> Pack:
    """The pack in `rules_dir`, from the cache when its files are as they were; compiled rulesets primed."""
    folder = cache_folder()
    keyed = _key(rules_dir) if folder is not None else None
    if folder is None or keyed is None:
        return load_pack(rules_dir)
    key, texts = keyed
    for file, text in texts.items():  # the run's input bound counts the pack's files once, read or loaded
        count(len(text.encode("utf-8")), Location(str(file)))
    path = folder / f"pack-{key}.pickle"
    kept = _read(path)
    if kept is not None:
        pack: Pack = kept["pack"]
        if kept["ledger"] is not None:
            prime_ledger_pack(pack, kept["ledger"])
        for each, compiled in kept["compiled"]:
            prime_compilation(each, compiled)
        return pack
    pack = load_pack(rules_dir, read=lambda file: parse_text(texts[file], str(file)))  # the texts just keyed
    ledger = ledger_pack(pack) if pack.commitments else None
    packs = [pack] if ledger is None else [pack, ledger]
    _write(folder, path, {"pack": pack, "ledger": ledger, "compiled": [(p, _compiled(p)) for p in packs]})
    return pack


def _key(rules_dir: Path) -> tuple[str, dict[Path, str]] | None:
    """What the prepared pack depends on, as one digest, and the text of each file read for it; None when a
    file cannot be read (load_pack says why)."""
    # the folder as named (a rule's origin says it so) and as resolved (the same name elsewhere is another folder)
    parts: list[Any] = [_FORMAT, __version__, sys.version, _versions(), _engine_stamp(), str(rules_dir),
                        str(rules_dir.resolve())]
    texts: dict[Path, str] = {}
    try:
        for file in pack_files(rules_dir):
            if not file.is_file():  # a pipe or device: load_pack refuses it by name
                return None
            texts[file] = read_text(file, counted=False)  # counted by the caller, once, read or loaded
            parts += [file.name, texts[file]]
    except (InputError, OSError):
        return None
    return hashlib.sha256(repr(parts).encode("utf-8", "surrogatepass")).hexdigest(), texts


def _versions() -> tuple[Any, ...]:
    """pydantic's versions (pickled models are its objects) and durable_rules' build (by its library's stamp)."""
    library = os.stat(durable_rules_engine.__file__ or "")
    return pydantic.VERSION, pydantic_core.__version__, library.st_size, library.st_mtime_ns


def _engine_stamp() -> tuple[tuple[str, int, int], ...]:
    """The engine's own modules by name, size and modification time: an edited engine is another engine."""
    return tuple((entry.name, (s := entry.stat()).st_size, s.st_mtime_ns) for entry in sorted(_ENGINE.glob("*.py")))


def _trusted(path: Path, st: os.stat_result) -> bool:
    """Owned by this user and writable by nobody else (a pickle can run code when read)."""
    return st.st_uid == os.getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _read(path: Path) -> dict[str, Any] | None:
    try:
        with path.open("rb") as file:
            if not (_trusted(path.parent, os.stat(path.parent)) and _trusted(path, os.fstat(file.fileno()))):
                return None
            kept = pickle.load(file)
    except Exception:  # noqa: BLE001 - a missing, truncated or stale file is only a cache miss
        return None
    return kept if isinstance(kept, dict) and isinstance(kept.get("pack"), Pack) and "ledger" in kept else None


def _write(folder: Path, path: Path, kept: dict[str, Any]) -> None:
    """Atomically (a reader sees the old file or the new one, never half), and never failing the command."""
    with contextlib.suppress(OSError, pickle.PicklingError):
        blob = pickle.dumps(kept, protocol=pickle.HIGHEST_PROTOCOL)
        if holds_marks(blob):  # a rule literal marked for durable_rules' reader with this process's token
            return
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _trusted(folder, os.stat(folder)):
            return
        fd, temporary = tempfile.mkstemp(prefix=".pack-", suffix=".part", dir=folder)
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(blob)
            os.replace(temporary, path)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
