"""What the server keeps between requests so that an unchanged file is not parsed again: the pack of a rules
folder, the facts of each fact file, and whether a fact file declares itself a scenario.

Takes the paths a page names; gives what engine.validate gives for them. Each result is kept under the
digest of the text it was made from (and, for facts, of the pack that typed them), and every request reads
the files again — reading a few kilobytes is cheap, parsing and validating them is what costs — so a file
edited between two requests is parsed afresh at once, whatever its name or time stamp says. What is given
is equal to what loading the same bytes gives; a file that does not load is never kept, so its problems
are found and worded by engine.validate every time. Reused input counts against the run's byte bound
(engine.loader.one_run) exactly as when it was parsed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from engine.errors import InputError, Location, Problems
from engine.loader import Document, count, parse_counted, read_text
from engine.model import Fact, Pack
from engine.recent import Recent
from engine.validate import facts_from_document, load_facts, load_pack, pack_files


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _Reading:
    """`load_yaml` for `load_pack`, noting each file's text digest and what it counted against the run."""

    def __init__(self) -> None:
        self.key: list[tuple[str, str]] = []
        self.counted: list[int] = []

    def __call__(self, file: Path) -> Document:
        text = read_text(file)
        document, repeated = parse_counted(text, str(file))
        self.key.append((str(file), _digest(text)))
        self.counted.append(len(text.encode("utf-8")) + repeated)
        return document


PackKey = tuple[tuple[str, str], ...]
FactsKey = tuple[str, str, str]


class Inputs:
    """One server's kept inputs (engine.web.app makes one per app)."""

    def __init__(self, packs: int = 8, files: int = 512) -> None:
        self.packs: Recent[PackKey, tuple[Pack, tuple[int, ...]]] = Recent(packs)
        self.facts_by_file: Recent[FactsKey, tuple[tuple[Fact, ...], int]] = Recent(files)
        self.scenarios: Recent[tuple[str, str], tuple[bool, int]] = Recent(files)

    def pack(self, rules_dir: Path) -> Pack:
        """`load_pack(rules_dir)`, reused while every file of the pack has the text it had."""
        files = pack_files(rules_dir)
        try:  # a look first, not counted: the run counts what it uses, below
            key = tuple((str(file), _digest(read_text(file, counted=False))) for file in files)
        except InputError:
            key = None  # loaded below, to be refused with engine.validate's own words
        kept = self.packs.get(key) if key is not None else None
        if kept is not None:
            pack, counted = kept
            for file, amount in zip(files, counted, strict=True):
                count(amount, Location(str(file)))
            return pack
        reading = _Reading()
        pack = load_pack(rules_dir, read=reading)
        if pack.digest:
            self.packs.put(tuple(reading.key), (pack, tuple(reading.counted)))
        return pack

    def facts(self, paths: Iterable[Path], pack: Pack) -> list[Fact]:
        """`load_facts(paths, pack)`, each file's facts reused while it has the text it had (and the pack the
        digest it had); ids are checked across the files every time."""
        return load_facts(paths, pack, read=self._facts_of)

    def _facts_of(self, file: Path, pack: Pack, problems: Problems) -> list[Fact]:
        text = read_text(file)
        key = (pack.digest, str(file), _digest(text))
        kept = self.facts_by_file.get(key)
        if kept is not None:
            count(kept[1], Location(str(file)))
            return list(kept[0])
        document, repeated = parse_counted(text, str(file))
        before = len(problems.items)
        facts = facts_from_document(document, pack, problems)
        if len(problems.items) == before and pack.digest:
            self.facts_by_file.put(key, (tuple(facts), repeated))
        return facts

    def hypothetical(self, path: Path) -> bool:
        """Whether a fact file declares `hypothetical: true`; one that does not load says nothing (evaluating it
        will)."""
        try:
            text = read_text(path)
        except InputError:
            return False
        key = (str(path), _digest(text))
        kept = self.scenarios.get(key)
        if kept is not None:
            count(kept[1], Location(str(path)))
            return kept[0]
        try:
            document, repeated = parse_counted(text, str(path))
        except InputError:
            return False
        scenario = isinstance(document.data, dict) and document.data.get("hypothetical") is True
        self.scenarios.put(key, (scenario, repeated))
        return scenario
