"""Strict YAML: a file's bytes → plain data plus the file:line:column of every node.

Takes a path, gives a `Document`. Safe loading only; refuses what PyYAML would quietly accept: duplicate
mapping keys (PyYAML keeps the last), tags other than the standard scalars (`!!python/...` and friends)
and standard tags whose content does not fit them (`!!int ""`), anchors and aliases past a small bound
(alias bombs), documents that expand past a node or character budget, strings past a length cap, YAML
1.1's surprising numbers (`1:30` is 90, `010` is 8), invalid dates, a byte order mark inside the text,
non-UTF-8 bytes, files that are not regular files (devices, pipes) or over a size cap, and — within one
command (`one_run`) — more input in all than MAX_RUN_BYTES. Every refusal names the exact place.

Plain hand-written YAML is parsed by libyaml, when PyYAML has it, for speed; anything outside the subset
on which libyaml and PyYAML's pure-Python parser agree, and every refusal, is the pure-Python parser's,
so that what a file gives (data, locations, messages) does not depend on which one read it.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from engine.errors import InputError, Location, shown

# Bounds on what one input may cost; each is far past what an analyst writes by hand.
MAX_FILE_BYTES = 1_000_000  # one file
MAX_RUN_BYTES = 20_000_000  # every file one command reads, plus the text aliases repeat
# A run that means to read more (a bulk import, a benchmark of a million facts) says so in the environment.
RUN_BYTES_ENV_VAR = "COMMITMENTS_MAX_RUN_BYTES"
MAX_STRING_CHARS = 100_000  # one string value (some thirty pages)
MAX_EXPANDED_CHARS = 2_000_000  # the text of one document once its aliases are expanded
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
# What each scalar tag is called in a message, and the text its implicit resolver takes: an explicit tag
# (`!!int ""`, `!!bool maybe`) must hold such text too, or PyYAML's constructors fail in odd ways.
_SCALAR_WORDS = {"int": "integer", "float": "number", "bool": "boolean", "null": "null", "timestamp": "date"}
_SCALAR_TEXT = {tag: pattern for resolvers in yaml.SafeLoader.yaml_implicit_resolvers.values()
                for tag, pattern in resolvers if tag.rpartition(":")[2] in _SCALAR_WORDS}
_FLOAT, _INT = "tag:yaml.org,2002:float", "tag:yaml.org,2002:int"
_SCALAR_TEXT[_FLOAT] = re.compile(f"{_SCALAR_TEXT[_FLOAT].pattern}|{_SCALAR_TEXT[_INT].pattern}", re.X)  # !!float 1
# YAML 1.1 numbers a reader takes for something else: `1:30` (sexagesimal, 90) and `010` (octal, 8).
_SEXAGESIMAL = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
_OCTAL = re.compile(r"[-+]?0[0-7_]+")


class Document:
    """Plain data from one YAML file, with the location of every mapping key and list item.

    A file read the fast way (engine.fastyaml) knows only some locations at first, and its text: the rest
    are found by parsing it again, the first time a message needs one, which a valid file never does.
    """

    def __init__(self, file: str, data: Any, locations: dict[Path_, Location] | None = None,
                 text: str | None = None) -> None:
        self.file = file
        self.data = data
        self._known = {} if locations is None else locations
        self._text = text  # set while `_known` holds only some of the locations

    @property
    def locations(self) -> dict[Path_, Location]:
        if self._text is not None:
            self._known = _all_locations(self.file, self._text)
            self._text = None
        return self._known

    def where(self, path: Path_) -> Location:
        """The location of `path`, or of its nearest located ancestor."""
        found = self._known.get(tuple(path))
        if found is not None:
            return found
        locations = self.locations
        for end in range(len(path), -1, -1):
            found = locations.get(tuple(path[:end]))
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
            key = self.text(key_node)
            if key in result:
                first = self.doc.locations[(*path, key)]
                raise self.fail(key_node, "yaml-duplicate-key",
                                f"duplicate key {key!r} (first defined at line {first.line})")
            self.doc.locations[(*path, key)] = _loc(self.file, key_node)
            result[key] = self.build(value_node, (*path, key), depth + 1)
        return result

    def text(self, node: ScalarNode) -> str:
        """A scalar's text, refused past MAX_STRING_CHARS (every copy of it goes into the audit record)."""
        if len(node.value) > MAX_STRING_CHARS:
            raise self.fail(node, "yaml-too-long", f"a value of {len(node.value)} characters; the limit is "
                            f"{MAX_STRING_CHARS} (MAX_STRING_CHARS)")
        return str(node.value)

    def scalar(self, node: ScalarNode) -> Any:
        text = self.text(node)
        tag = node.tag.rpartition(":")[2]
        fits = _SCALAR_TEXT.get(node.tag)
        if fits is not None and not fits.match(text):
            raise self.fail(node, "bad-date" if tag == "timestamp" else "bad-value",
                            f"{shown(text)} is not a valid {_SCALAR_WORDS[tag]} (tag !!{tag})")
        try:
            value = self.loader.construct_object(node)
        except (ValueError, OverflowError) as error:
            kind = "date" if tag == "timestamp" else "value"
            raise self.fail(node, f"bad-{kind}", f"{shown(text)} is not a valid {kind}: {error}") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(node, "bad-number", f"{shown(text)} is not a finite number")
        if isinstance(value, dt.datetime):
            raise self.fail(node, "bad-date", f"{shown(text)} has a time of day; give a date (YYYY-MM-DD)")
        if tag in ("int", "float") and (surprise := _surprising_number(text, value)):
            raise self.fail(node, "bad-number", surprise)
        return value


def _surprising_number(text: str, value: float) -> str | None:
    """Why YAML 1.1's reading of a number is not what its writer meant, or None when it is."""
    if _SEXAGESIMAL.fullmatch(text):
        return f"found {text}, a sexagesimal number (YAML 1.1 reads it as {value:g}); write {value:g} or quote it"
    if _OCTAL.fullmatch(text) and value != (decimal := int(text.replace("_", ""), 10)):
        return (f"found {text}, an octal number (YAML 1.1 reads it as {value}); write {value}, or {decimal} "
                "without the leading zero")
    return None


def _scan(file: str, text: str) -> int:
    """Check nesting, aliases and the expanded size on the event stream, before PyYAML's recursive
    composer can overflow or an alias bomb is built; gives the characters the aliases repeat."""
    aliases = expanded = repeated = 0
    sizes: dict[str, int] = {}  # an anchor's characters, once expanded
    opened: list[tuple[str | None, int]] = []  # each open collection's anchor, and `expanded` at its start
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            opened.append((event.anchor, expanded))
            if len(opened) > MAX_DEPTH:
                raise InputError.one("yaml-too-deep", f"nesting deeper than {MAX_DEPTH} levels",
                                     _at(file, event.start_mark))
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, start = opened.pop()
            if anchor is not None:
                sizes[anchor] = expanded - start
        elif isinstance(event, yaml.ScalarEvent):
            expanded += len(event.value)
            if event.anchor is not None:
                sizes[event.anchor] = len(event.value)
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise InputError.one("yaml-aliases", f"more than {MAX_ALIASES} aliases in one file",
                                     _at(file, event.start_mark))
            size = sizes.get(event.anchor or "", 0)
            expanded += size
            repeated += size
            if expanded > MAX_EXPANDED_CHARS:
                raise InputError.one("yaml-too-large", f"aliases expand the document past {MAX_EXPANDED_CHARS} "
                                     "characters (MAX_EXPANDED_CHARS)", _at(file, event.start_mark))
    return repeated


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
    """The document by libyaml's events when `text` is plain YAML that parses cleanly; otherwise None."""
    if _LIBYAML is None or _SLOW_TEXT.search(text):
        return None
    from engine.fastyaml import compose  # it reads this module's bounds

    try:
        # an explicit key ('? ') shows in libyaml's tokens, not in its events
        if "?" in text and not _plain(text):
            return None
    except Exception:  # noqa: BLE001 - any refusal is the pure-Python parser's to word
        return None
    composed = compose(text, file)
    if composed is None:
        return None
    data, locations = composed
    return Document(file, data, locations, text)


def _all_locations(file: str, text: str) -> dict[Path_, Location]:
    """Every location in a file the fast path took (so libyaml's nodes agree with the strict parser's)."""
    loader = _LIBYAML(text)
    try:
        root = loader.get_single_node()
    finally:
        loader.dispose()
    return _document(file, root).locations


def parse_text(text: str, file: str) -> Document:
    """Parse YAML text that is already decoded; `file` names it in messages.

    Plain YAML that parses cleanly is parsed by libyaml, some ten times faster than PyYAML's pure-Python
    parser; everything else, and every refusal, is PyYAML's pure-Python parser's (see `_plain`).
    """
    return parse_counted(text, file)[0]


def parse_counted(text: str, file: str) -> tuple[Document, int]:
    """`parse_text`, and what parsing counted against the run beyond the text's bytes (the text its aliases
    repeat): a process that keeps what it parsed counts it again with `count` when it reuses it."""
    _refuse_inner_bom(text, file)
    fast = _fast(text, file)
    if fast is not None:
        return fast, 0  # libyaml takes no aliases (see `_plain`): nothing repeated
    try:
        repeated = _scan(file, text)
        _take(repeated, Location(file))
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
        character = error.character if isinstance(error.character, int) else ord(str(error.character)[:1] or "?")
        raise InputError.one("yaml-syntax", f"character #x{character:04x} is not allowed in YAML text",
                             _place(file, text, error.position)) from None
    except yaml.YAMLError as error:
        raise InputError.one("yaml-syntax", str(error), Location(file, 1, 1)) from None
    return _document(file, root), repeated


def _place(file: str, text: str, index: int) -> Location:
    """The line and column of the character at `index`."""
    return Location(file, text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1)


def _refuse_inner_bom(text: str, file: str) -> None:
    """A byte order mark belongs only at the very start; anywhere else it is invisible text that breaks
    the key or value it sits in (two at the start made 'facts' an unknown key)."""
    at = text.find("\ufeff", 1 if text.startswith("\ufeff") else 0)
    if at < 0:
        return
    message = ("the file starts with two byte order marks (U+FEFF); remove one" if at == 1 else
               "a byte order mark (U+FEFF, invisible) inside the text; remove it")
    raise InputError.one("file-encoding", message, _place(file, text, at))


def _document(file: str, root: Node | None) -> Document:
    composer = _Composer(file, yaml.SafeLoader(""))
    if root is None:
        composer.doc.data = None
        return composer.doc
    composer.doc.locations[()] = _loc(file, root)
    composer.doc.data = composer.build(root, (), 0)
    return composer.doc


# What the command being run has read so far (bytes of files, plus the text their aliases repeat) and
# its bound; None outside `one_run`.
_TAKEN: ContextVar[tuple[int, int] | None] = ContextVar("taken", default=None)


def whole_number_setting(name: str, unit: str) -> int | None:
    """The whole number of `unit` set in environment variable `name`, or None when it is unset or blank."""
    given = os.environ.get(name, "").strip()
    if not given:
        return None
    if not given.isdigit():
        raise InputError.one("bad-setting", f"${name} must be a whole number of {unit}; found {shown(given)}",
                             Location(f"${name}"))
    return int(given)


def run_bound() -> int:
    """MAX_RUN_BYTES, or a larger bound given in $COMMITMENTS_MAX_RUN_BYTES (a whole number of bytes)."""
    given = whole_number_setting(RUN_BYTES_ENV_VAR, "bytes")
    return MAX_RUN_BYTES if given is None else max(given, MAX_RUN_BYTES)


@contextmanager
def one_run(bound: int | None = None) -> Iterator[None]:
    """Within, everything read counts against MAX_RUN_BYTES (or $COMMITMENTS_MAX_RUN_BYTES, or `bound`): a run
    of many files, each under its own bounds, still cannot add up to an audit record of hundreds of megabytes
    unless it says it means to."""
    token = _TAKEN.set((0, run_bound() if bound is None else bound))
    try:
        yield
    finally:
        _TAKEN.reset(token)


def taken() -> int:
    """What the run (see `one_run`) has read so far; 0 outside one."""
    state = _TAKEN.get()
    return 0 if state is None else state[0]


def count(amount: int, where: Location) -> None:
    """Count `amount` against the run (see `one_run`) as if read at `where`: input reused from an earlier run."""
    _take(amount, where)


def _take(amount: int, where: Location) -> None:
    state = _TAKEN.get()
    if state is None:
        return
    taken, bound = state
    _TAKEN.set((taken + amount, bound))
    if taken + amount > bound:
        raise InputError.one("input-too-large", f"with this file the input of one run passes {bound} "
                             "bytes (MAX_RUN_BYTES: files read, plus text their aliases repeat); "
                             f"${RUN_BYTES_ENV_VAR} raises the bound", where)


def _refuse_irregular(status: os.stat_result, file: str) -> None:
    if not stat.S_ISREG(status.st_mode):
        raise InputError.one("file-unreadable", "not a regular file (a device, pipe or socket?)", Location(file))


# Opened so that nothing can block: a pipe opens at once, and a file that would wait for data (such as
# /proc/kmsg, regular to stat) fails its read instead of hanging.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
_CHUNK = 1 << 16


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    """At most `max_bytes` of a regular file, never waiting; devices and pipes are refused unopened."""
    file = str(path)
    _refuse_irregular(path.stat(), file)
    descriptor = os.open(path, _OPEN_FLAGS)
    try:
        status = os.fstat(descriptor)
        _refuse_irregular(status, file)  # what was opened, should the path have changed since
        if status.st_size > max_bytes:
            raise InputError.one("file-too-large", f"{status.st_size} bytes; the limit is {max_bytes} bytes",
                                 Location(file))
        chunks: list[bytes] = []
        read = 0
        while chunk := os.read(descriptor, _CHUNK):
            chunks.append(chunk)
            read += len(chunk)
            if read > max_bytes:
                raise InputError.one("file-too-large", f"more than {max_bytes} bytes", Location(file))
        return b"".join(chunks)
    finally:
        os.close(descriptor)


def read_text(path: Path, max_bytes: int = MAX_FILE_BYTES, counted: bool = True) -> str:
    """A file's text, refusing what is not a small regular UTF-8 file (devices and pipes included); its bytes
    count against the run unless `counted` is false (a look at what is there, before deciding to read it)."""
    file = str(path)
    try:
        raw = _read_bytes(path, max_bytes)
    except BlockingIOError:
        raise InputError.one("file-unreadable", "reading it would wait for data (a device or kernel file?)",
                             Location(file)) from None
    except OSError as error:
        raise InputError.one("file-unreadable", error.strerror or str(error), Location(file)) from None
    if counted:
        _take(len(raw), Location(file))
    if b"\x00" in raw:
        raise InputError.one("file-binary", "this is a binary file, not YAML text", Location(file))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError.one("file-encoding", f"byte 0x{raw[error.start]:02x} is not valid UTF-8",
                             _place(file, valid := raw[: error.start].decode("utf-8"), len(valid))) from None


def load_yaml(path: Path, max_bytes: int = MAX_FILE_BYTES) -> Document:
    """Read and parse one YAML file strictly."""
    return parse_text(read_text(path, max_bytes), str(path))


def yaml_files(folder: Path, suffixes: tuple[str, ...] = (".yaml", ".yml")) -> list[Path]:
    """The entries of `folder` with these suffixes, sorted, sub-folders aside. Pipes and devices are kept,
    to be refused by name when read, not skipped unseen; links to nothing are skipped (an editor's lock
    file, such as Emacs's `.#facts.yaml`, is one); a folder that cannot be listed is refused here."""
    try:
        entries = sorted(folder.iterdir())
    except OSError as error:
        raise InputError.one("folder-unreadable", f"cannot list this folder: {error.strerror or error}",
                             Location(str(folder))) from None
    return [entry for entry in entries if entry.suffix in suffixes and entry.exists() and not entry.is_dir()]
