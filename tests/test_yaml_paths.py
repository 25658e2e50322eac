"""The loader gives the same answer whether libyaml or PyYAML's pure-Python parser read the file.

`engine.loader` lets libyaml parse a file only when its tokens stay inside a subset of YAML on which the
two parsers agree; everything else, and every refusal, is the pure-Python parser's. Here each input is
loaded both ways (the pure way with `_LIBYAML` set to None) and the outcomes compared: the same data, value
types included, at the same locations, or the same problems. The inputs: every YAML file in the
repository, texts on which libyaml 0.2.5 and PyYAML 6 were found to differ, and random edits of the
repository's files. The bundled rules and facts must take the libyaml way, or the speed-up is gone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import loader
from engine.errors import InputError
from engine.loader import parse_text, read_text

ROOT = Path(__file__).resolve().parents[1]
REPOSITORY_YAML = sorted(p for folder in ("rules", "facts", "tests") for p in (ROOT / folder).rglob("*.y*ml"))
BUNDLED = sorted([*(ROOT / "rules").glob("*.yaml"), *(ROOT / "facts").rglob("*.yaml")])

# Found by feeding both parsers random edits of the repository's files: libyaml accepts or places these
# differently from PyYAML's pure-Python parser (tabs after a value, `?` inside a flow scalar, `#` right
# after a block scalar indicator, byte order marks and other line breaks, a bare `!` tag, an empty
# explicit document), or they use what the fast path leaves alone (explicit keys, anchors, tags, `:` in
# flow scalars, escapes).
DIFFERING = [
    "b: c\t",
    "a: b\t\nc: d\n",
    "- [x, y]\t\n",
    "picnic: {category: m? essaging, text: Have a picnic.}\n",
    "cites: [{sour? ce: t, para: 1}]\n",
    "key: |#\n  x\n",
    "|##\n",
    "!\n",
    "!\x85",
    "---\n",
    "---",
    "\ufeff\ufeff\ufeff\n",
    "\u2028\ufeff",
    "a: b\x85c: d\n",
    "a: b\r\nc: d\r\n",
    "? a\n: b\n",
    "{? a: b}\n",
    "a: &x 1\nb: *x\n",
    "a: !!str 1\n",
    "{a: b:c}\n",
    "[a:b, c]\n",
    'a: "x\\ty"\n',
    "a: b #c\n",
    "a: b#c\n",
    "%YAML 1.1\n---\na: b\n",
    "a: 1\n...\n",
]

EDITS = ["\n", "  ", "- ", ": ", "? ", "?", ":", "#", " #", "!", "&a ", "*a", "|", ">", "'", '"', "[", "]", "{", "}",
         ",", "\t", "\r", "\ufeff", "\x85", "\u2028", "\\", "---", "...", "%", "@", "`", "é", "😀", "a:b", "x: y",
         "\n  - z", "2021-02-30", "1e400", ".nan", "~", "<<: *a", "!!python/object ", "{a: }", "[? a]"]


@contextmanager
def pure_python() -> Iterator[None]:
    saved = loader._LIBYAML
    loader._LIBYAML = None
    try:
        yield
    finally:
        loader._LIBYAML = saved


def typed(value: Any) -> Any:
    """`value` with every scalar's type spelt out (so that 1, 1.0 and True differ)."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    return (type(value).__name__, repr(value))


def outcome(text: str) -> tuple[Any, ...]:
    try:
        doc = parse_text(text, "f.yaml")
    except InputError as error:
        return ("refused", error.problems)
    return ("parsed", typed(doc.data), doc.locations)


def assert_alike(text: str) -> None:
    found = outcome(text)
    with pure_python():
        expected = outcome(text)
    assert found == expected, text


@pytest.mark.parametrize("path", REPOSITORY_YAML, ids=lambda p: str(p.relative_to(ROOT)))
def test_repository_yaml_loads_alike(path: Path) -> None:
    try:
        text = read_text(path)
    except InputError:
        return  # not text at all (the bad-input corpus has such files): the parsers never see it
    assert_alike(text)


@pytest.mark.parametrize("text", DIFFERING)
def test_where_libyaml_differs_the_pure_parser_answers(text: str) -> None:
    assert_alike(text)


@pytest.mark.skipif(loader._LIBYAML is None, reason="PyYAML without libyaml")
@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: str(p.relative_to(ROOT)))
def test_bundled_files_take_the_libyaml_way(path: Path) -> None:
    assert loader._fast(read_text(path), str(path)) is not None


@pytest.mark.parametrize("character", ["\t", "\r", "\\", "\x85", "\u2028", "\u2029", "\ufeff"])
def test_tabs_escapes_and_odd_line_breaks_take_the_pure_way(character: str) -> None:
    assert loader._fast(f"a: b\nc: 'd{character}e'\n", "f.yaml") is None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=st.sampled_from(REPOSITORY_YAML),
       edits=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 8), st.sampled_from(EDITS)), max_size=4))
def test_edited_files_load_alike(source: Path, edits: list[tuple[float, int, str]]) -> None:
    try:
        text = read_text(source)
    except InputError:
        return
    for where, cut, piece in edits:
        at = int(where * len(text))
        text = text[:at] + piece + text[at + cut:]
    assert_alike(text)
