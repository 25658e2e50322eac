"""Which facts a page works on, and as of when: fact files of the facts folder (the baseline and the
scenarios beside it) chosen by checkbox, carried from page to page in the query string."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from engine.errors import InputError, Location, shown
from engine.loader import yaml_files
from engine.model import Fact, Pack
from engine.validate import suggest
from engine.web.kept import Inputs
from engine.web.settings import WebSettings


@dataclass(frozen=True)
class FactFile:
    name: str  # relative to the facts folder, with / between folders
    default: bool  # read when nothing is chosen, as `evaluate` without paths reads the folder
    hypothetical: bool = False  # the file declares `hypothetical: true`: a scenario, not observations


@dataclass(frozen=True)
class Selection:
    files: tuple[str, ...]
    as_of: dt.date
    defaulted: bool  # no date was given: today, and the memo says so

    def query(self, **more: str) -> str:
        """This selection as a query string, for links to the other pages."""
        pairs = [("f", name) for name in self.files] + [("as_of", self.as_of.isoformat())]
        return urlencode(pairs + list(more.items()))


def fact_set(folder: Path, kept: Inputs) -> list[FactFile]:
    """The fact files of the folder: those directly in it first (the set `evaluate` reads), then those in
    its sub-folders (scenarios, history), each loaded on top of the first only when chosen."""
    if not folder.is_dir():
        return []
    direct = yaml_files(folder)
    nested = sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()
                    and p.parent != folder and not any(part.startswith(".") for part in p.relative_to(folder).parts))
    return [FactFile(p.relative_to(folder).as_posix(), p in direct, kept.hypothetical(p)) for p in [*direct, *nested]]


def parse_date(text: str | None, name: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError.one("bad-date", f"{name}: expected a date as YYYY-MM-DD; found {shown(text)}",
                             Location(name)) from None


def choose(settings: WebSettings, kept: Inputs, files: list[str], as_of: str | None) -> Selection:
    """The files asked for (each one of the fact set: the page reads no other path), or the default set."""
    known = fact_set(settings.facts, kept)
    names = [f.name for f in known]
    for name in files:
        if name not in names:
            raise InputError.one("unknown-file", f"no fact file {shown(name)} in the facts folder"
                                 f"{suggest(name, names)}", Location(str(settings.facts)))
    chosen = tuple(dict.fromkeys(files)) or tuple(f.name for f in known if f.default)
    if not chosen:
        raise InputError.one("no-facts", "expected fact files in the facts folder; found none",
                             Location(str(settings.facts)))
    day = parse_date(as_of, "as_of")
    return Selection(chosen, day or dt.date.today(), day is None)


def inputs(settings: WebSettings, kept: Inputs, selection: Selection) -> tuple[Pack, list[Fact]]:
    """The pack and the chosen facts, loaded and validated as the command line loads them (an unchanged file
    is not parsed again: engine.web.kept)."""
    pack = kept.pack(settings.rules)
    return pack, kept.facts([settings.facts / name for name in selection.files], pack)
