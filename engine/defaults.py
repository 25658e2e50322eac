"""Where the rule pack and the facts are when the analyst names neither, so the tool runs from any folder."""

from __future__ import annotations

import os
from pathlib import Path

RULES_ENV_VAR = "COMMITMENTS_RULES"
FACTS_ENV_VAR = "COMMITMENTS_FACTS"
HERE_RULES = Path("rules")
HERE_FACTS = Path("facts")
_ENGINE = Path(__file__).resolve().parent


def _shipped(folder: str) -> Path:
    """The article's pack as installed: a wheel puts it in engine/_article/, an editable install leaves it at
    the repository's root next to engine/."""
    packaged = _ENGINE / "_article" / folder
    return packaged if packaged.is_dir() else _ENGINE.parent / folder


def shipped_rules() -> Path:
    return _shipped("rules")


def shipped_facts() -> Path:
    return _shipped("facts")


def from_env(name: str) -> Path | None:
    """A path given in the environment (`~` expanded), or None when the variable is unset or blank."""
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser() if value else None


def rules_folder() -> Path:
    """$COMMITMENTS_RULES, else ./rules if it holds a pack, else the article's pack shipped with the engine."""
    chosen = from_env(RULES_ENV_VAR)
    if chosen is not None:
        return chosen
    return HERE_RULES if (HERE_RULES / "pack.yaml").is_file() else shipped_rules()


def facts_folder(rules: Path) -> Path:
    """$COMMITMENTS_FACTS, else ./facts if there is one, else the article's facts — but only beside the article's
    own pack: another pack's rules never silently meet the article's facts."""
    chosen = from_env(FACTS_ENV_VAR)
    if chosen is not None:
        return chosen
    if HERE_FACTS.is_dir() or not _same_folder(rules, shipped_rules()):
        return HERE_FACTS
    return shipped_facts()


def _same_folder(one: Path, other: Path) -> bool:
    try:
        return one.resolve() == other.resolve()
    except OSError:
        return False


def user_data_folder() -> Path:
    """Per user, not per folder, so a trail does not split by where a command was run: $XDG_DATA_HOME or
    ~/.local/share, then commitments/."""
    base = os.environ.get("XDG_DATA_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".local" / "share") / "commitments"
