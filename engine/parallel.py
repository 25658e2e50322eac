"""Facts files read by worker processes, for a run large enough to be worth them.

Takes the facts files of one run and the pack; gives, file by file and in order, what the serial reader
(`engine.validate.facts_of_file`) gives — the facts, or the problems, of each — plus each fact's canonical
text (the facts digest's, engine.validate.fact_texts) and the bytes the file took against the run's bound,
which the caller counts, in order, so that a refusal names the file it would name read serially.

Why: reading is YAML composing and model validation, pure Python and about 50 µs per fact: 100,000 facts
take 5 s on one core, and their canonical texts 1.5 s more. Files are independent, so two cores halve it.
Workers are forked (they inherit the imported engine and the pack, nothing is re-imported or sent), and only
from a process with one thread, since a fork copies the locks other threads hold. Anywhere else (another
platform, a server's threads, a small run, $COMMITMENTS_LOAD_WORKERS=1) the files are read in the process.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from engine.errors import InputError, Problem, Problems
from engine.loader import one_run, taken, whole_number_setting
from engine.model import Fact, Pack
from engine.validate import fact_texts, facts_of_file

WORKERS_ENV_VAR = "COMMITMENTS_LOAD_WORKERS"
# Below this many bytes of facts (about 8,000 facts) the workers' start and the results' return cost more
# than they save.
PARALLEL_BYTES = 2_000_000
MAX_WORKERS = 8

Read = tuple[list[Fact], list[str], list[Problem], int]  # facts, their texts, problems, bytes taken

_PACK: Pack | None = None  # the pack the forked workers read with (set before they are forked)


def workers(files: list[Path]) -> int:
    """How many worker processes to read these files with; 0 to read them in this process."""
    given = whole_number_setting(WORKERS_ENV_VAR, "processes")
    wanted = min(cores() if given is None else given, MAX_WORKERS, len(files))
    if wanted < 2 or not sys.platform.startswith("linux") or threading.active_count() > 1 or not hasattr(os, "fork"):
        return 0
    size = 0
    for file in files:
        with contextlib.suppress(OSError):  # the reader refuses it, by name
            size += file.stat().st_size
        if size >= PARALLEL_BYTES:
            return wanted
    return 0


def cores() -> int:
    """The cores this process may run on (a large run starts a worker for each, up to MAX_WORKERS)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _read(file: Path) -> Read:
    """One file, in a worker: as `facts_of_file` reads it, with the bytes it takes counted apart."""
    gc.disable()  # as load_facts: nothing read makes a cycle
    problems = Problems()
    with one_run(bound=sys.maxsize):
        try:
            facts = facts_of_file(file, _PACK, problems)  # type: ignore[arg-type]  # set before the fork
        except InputError as error:
            problems.items.extend(error.problems)
            facts = []
        used = taken()
    return facts, [] if problems else fact_texts(facts), problems.items, used


def read_files(files: list[Path], pack: Pack, count: int) -> Iterator[Read]:
    """Each file read by one of `count` forked workers, in the files' order."""
    import multiprocessing  # here: a small run, which is most, never imports it

    global _PACK
    _PACK = pack
    try:
        with multiprocessing.get_context("fork").Pool(count) as pool:
            yield from pool.imap(_read, files)
    finally:
        _PACK = None


__all__ = ["MAX_WORKERS", "PARALLEL_BYTES", "WORKERS_ENV_VAR", "cores", "read_files", "workers"]
