"""Strict YAML: a file's bytes → plain data plus the file:line:column of every node.

Takes a path, gives a `Document`. Safe loading only; refuses what PyYAML would quietly accept: duplicate
mapping keys (PyYAML keeps the last), tags other than the standard scalars (`!!python/...` and friends),
anchors and aliases past a small bound (alias bombs), documents that expand past a node budget, invalid
dates, non-UTF-8 bytes and files over a size cap. Every refusal names the exact place in the file.

Plain hand-written YAML is parsed by libyaml, when PyYAML has it, for speed; anything outside the subset
on which libyaml and PyYAML's pure-Python parser agree, and every refusal, is the pure-Python parser's,
so that what a file gives (data, locations, messages) does not depend on which one read it.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from engine.errors import InputError, Location

MAX_FILE_BYTES = 1_000_000
MAX_NODES = 100_000
MAX_ALIASES = 100
MAX_DEPTH = 64

# libyaml's parser (when PyYAML was built with it) with PyYAML's own safe constructor and resolver
_LIBYAML: Any = getattr(yaml, "CSafeLoader", None)
# Where libyaml and PyYAML's pure-Python scanner are known to differ (tabs, other line breaks, byte order
# marks, escapes), or to report positions differently: such text always goes the pure-Python way.
_SLOW_TEXT = re.compile(r"[\t\r\\\x85\u2028\u2029\ufeff]")
# The tokens of plain hand-written YAML; anything else (tags, anchors, aliases, directives, document
# markers, block scalars, explicit keys) goes the pure-Python way.
_OPENS = (yaml.BlockSequenceStartToken, yaml.BlockMappingStartToken, yaml.FlowSequenceStartToken,
          yaml.FlowMappingStartToken)
_FLOW_OPENS = (yaml.FlowSequenceStartToken, yaml.FlowMappingStartToken)
_CLOSES = (yaml.BlockEndToken, yaml.FlowSequenceEndToken, yaml.FlowMappingEndToken)
_PUNCTUATION = (yaml.StreamStartToken, yaml.StreamEndToken, yaml.BlockEntryToken, yaml.FlowEntryToken,
                yaml.ValueToken)

Path_ = tuple[str | int, ...]

_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}


@dataclass
class Document:
    """Plain data from one YAML file, with the location of every mapping key and list item."""

    file: str
    data: Any
    locations: dict[Path_, Location] = field(default_factory=dict)

    def where(self, path: Path_) -> Location:
        """The location of `path`, or of its nearest located ancestor."""
        for end in range(len(path), -1, -1):
            found = self.locations.get(tuple(path[:end]))
            if found is not None:
                return found
        return Location(self.file, 1, 1)


def _at(file: str, mark: Any) -> Location:
    """A PyYAML mark (0-based) as a Location (1-based); the file's start when there is none."""
    return Location(file, mark.line + 1, mark.column + 1) if mark else Location(file, 1, 1)


def _loc(file: str, node: Node) -> Location:
    return _at(file, node.start_mark)


class _Composer:
    """Turns a composed node graph into plain data, checking what safe_load does not."""

    def __init__(self, file: str, loader: yaml.SafeLoader) -> None:
        self.file = file
        self.loader = loader
        self.nodes = 0
        self.doc = Document(file, None)

    def fail(self, node: Node, code: str, message: str) -> InputError:
        return InputError.one(code, message, _loc(self.file, node))  # type: ignore[return-value]

    def build(self, node: Node, path: Path_, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.fail(node, "yaml-too-large", f"document expands to more than {MAX_NODES} nodes "
                            "(nested aliases? split the file)")
        if depth > MAX_DEPTH:
            raise self.fail(node, "yaml-too-deep", f"nesting deeper than {MAX_DEPTH} levels")
        if node.tag not in _PLAIN_TAGS:
            raise self.fail(node, "yaml-tag", f"tag {node.tag!r} is not allowed; only plain YAML values "
                            "(strings, numbers, booleans, dates, lists, mappings) are")
        if isinstance(node, MappingNode):
            return self.mapping(node, path, depth)
        if isinstance(node, SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                self.doc.locations[(*path, index)] = _loc(self.file, item)
                items.append(self.build(item, (*path, index), depth + 1))
            return items
        assert isinstance(node, ScalarNode)
        return self.scalar(node)

    def mapping(self, node: MappingNode, path: Path_, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise self.fail(key_node, "yaml-merge", "merge keys ('<<') are not allowed; write the keys out")
            if not isinstance(key_node, ScalarNode) or key_node.tag != "tag:yaml.org,2002:str":
                raise self.fail(key_node, "yaml-key", "mapping keys must be plain strings")
            key = key_node.value
            if key in result:
                first = self.doc.locations[(*path, key)]
                raise self.fail(key_node, "yaml-duplicate-key",
                                f"duplicate key {key!r} (first defined at line {first.line})")
            self.doc.locations[(*path, key)] = _loc(self.file, key_node)
            result[key] = self.build(value_node, (*path, key), depth + 1)
        return result

    def scalar(self, node: ScalarNode) -> Any:
        try:
            value = self.loader.construct_object(node)
        except (ValueError, OverflowError) as error:
            kind = "date" if node.tag.endswith("timestamp") else "value"
            raise self.fail(node, f"bad-{kind}", f"{node.value!r} is not a valid {kind}: {error}") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(node, "bad-number", f"{node.value!r} is not a finite number")
        if isinstance(value, dt.datetime):
            raise self.fail(node, "bad-date", f"{node.value!r} has a time of day; give a date (YYYY-MM-DD)")
        return value


def _scan(file: str, text: str) -> None:
    """Check nesting and aliases on the event stream, before PyYAML's recursive composer can overflow."""
    aliases = depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise InputError.one("yaml-too-deep", f"nesting deeper than {MAX_DEPTH} levels",
                                     _at(file, event.start_mark))
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise InputError.one("yaml-aliases", f"more than {MAX_ALIASES} aliases in one file",
                                     _at(file, event.start_mark))


def _plain(text: str) -> bool:
    """Whether `text` is plain YAML on which libyaml's scanner agrees with PyYAML's (libyaml has had
    fixes PyYAML's pure-Python scanner has not: `?` in flow scalars, tabs as separators, `|#`, …).

    Scans tokens with libyaml, which is cheap, and refuses anything outside a conservative subset: only
    collections, entries, simple keys, quoted scalars, and plain scalars that hold no `#` (nor, inside
    flow collections, any `?` or `:`).
    """
    scanner = _LIBYAML(text)
    depth = flow = 0
    try:
        while (token := scanner.get_token()) is not None:
            kind = type(token)
            if kind is yaml.ScalarToken:
                if token.plain:
                    if "#" in token.value or (flow and ("?" in token.value or ":" in token.value)):
                        return False
                elif token.style not in ("'", '"'):
                    return False
            elif kind is yaml.KeyToken:
                if token.start_mark.index != token.end_mark.index:  # an explicit '? ' key
                    return False
            elif kind in _OPENS:
                depth += 1
                flow += kind in _FLOW_OPENS
                if depth > MAX_DEPTH:  # bounds libyaml's recursive composer; the pure path names the place
                    return False
            elif kind in _CLOSES:
                depth -= 1
                flow -= kind is not yaml.BlockEndToken
            elif kind not in _PUNCTUATION:
                return False
    finally:
        scanner.dispose()
    return True


def _fast(text: str, file: str) -> Document | None:
    """The document by libyaml when `text` is plain YAML that parses cleanly; otherwise None."""
    if _LIBYAML is None or _SLOW_TEXT.search(text):
        return None
    try:
        if not _plain(text):
            return None
        loader = _LIBYAML(text)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
        return _document(file, root)
    except Exception:  # noqa: BLE001 - any refusal is the pure-Python parser's to word
        return None


def parse_text(text: str, file: str) -> Document:
    """Parse YAML text that is already decoded; `file` names it in messages.

    Plain YAML that parses cleanly is parsed by libyaml, some ten times faster than PyYAML's pure-Python
    parser; everything else, and every refusal, is PyYAML's pure-Python parser's (see `_plain`).
    """
    fast = _fast(text, file)
    if fast is not None:
        return fast
    try:
        _scan(file, text)
        loader = yaml.SafeLoader(text)
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as error:
        where = _at(file, error.problem_mark or error.context_mark)
        problem = " ".join(str(part) for part in (error.context, error.problem) if part)
        raise InputError.one("yaml-syntax", problem or "malformed YAML", where) from None
    except yaml.reader.ReaderError as error:
        # PyYAML's reader reports a character position, not a mark
        line = text.count("\n", 0, error.position) + 1
        column = error.position - (text.rfind("\n", 0, error.position) + 1) + 1
        character = error.character if isinstance(error.character, int) else ord(str(error.character)[:1] or "?")
        raise InputError.one("yaml-syntax", f"character #x{character:04x} is not allowed in YAML text",
                             Location(file, line, column)) from None
    except yaml.YAMLError as error:
        raise InputError.one("yaml-syntax", str(error), Location(file, 1, 1)) from None
    return _document(file, root)


def _document(file: str, root: Node | None) -> Document:
    composer = _Composer(file, yaml.SafeLoader(""))
    if root is None:
        composer.doc.data = None
        return composer.doc
    composer.doc.locations[()] = _loc(file, root)
    composer.doc.data = composer.build(root, (), 0)
    return composer.doc


def read_text(path: Path, max_bytes: int = MAX_FILE_BYTES) -> str:
    """A file's text, refusing what is not a small regular UTF-8 file (devices and pipes included)."""
    file = str(path)
    try:
        status = path.stat()
        if not stat.S_ISREG(status.st_mode):
            raise InputError.one("file-unreadable", "not a regular file (a device, pipe or socket?)", Location(file))
        if status.st_size > max_bytes:
            raise InputError.one("file-too-large", f"{status.st_size} bytes; the limit is {max_bytes} bytes",
                                 Location(file))
        with path.open("rb") as handle:
            raw = handle.read(max_bytes + 1)
        if len(raw) > max_bytes:
            raise InputError.one("file-too-large", f"more than {max_bytes} bytes", Location(file))
    except OSError as error:
        raise InputError.one("file-unreadable", error.strerror or str(error), Location(file)) from None
    if b"\x00" in raw:
        raise InputError.one("file-binary", "this is a binary file, not YAML text", Location(file))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        raise InputError.one("file-encoding", f"byte 0x{raw[error.start]:02x} is not valid UTF-8",
                             Location(file, line, column)) from None


def load_yaml(path: Path, max_bytes: int = MAX_FILE_BYTES) -> Document:
    """Read and parse one YAML file strictly."""
    return parse_text(read_text(path, max_bytes), str(path))
