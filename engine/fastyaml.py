"""Plain YAML composed straight from libyaml's events: text in, plain data and a few locations out.

Takes the text of a file that passed the loader's byte checks; gives its data and the locations of its
root and of every list item that is a mapping or list (a fact's own line, which its `origin` names), or
None when anything in it is outside plain hand-written YAML: tags, anchors, aliases, directives, document
markers, block scalars, complex or non-string keys, merge keys, duplicate keys, values the strict loader
refuses (sexagesimal and octal numbers, non-finite numbers, times of day, bad dates, long strings), or
past its node and depth bounds. None sends the file the strict way (engine.loader), which words every
refusal; so this path decides nothing, it only skips building a node and a location for every value.
The other locations are found when a message needs one, by parsing the file again
(`engine.loader.Document.where`).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import yaml
from yaml.nodes import ScalarNode

from engine.errors import Location
from engine.loader import (
    _OCTAL,
    _SEXAGESIMAL,
    MAX_DEPTH,
    MAX_NODES,
    MAX_STRING_CHARS,
    Path_,
    _surprising_number,
)

_PARSER: Any = getattr(getattr(yaml, "_yaml", None), "CParser", None)
_RESOLVERS = yaml.SafeLoader.yaml_implicit_resolvers
_WILDCARD = _RESOLVERS.get(None, [])
_STR = "tag:yaml.org,2002:str"
_CONSTRUCTOR = yaml.SafeLoader("")
_BUILD = {"tag:yaml.org,2002:int": _CONSTRUCTOR.construct_yaml_int,
          "tag:yaml.org,2002:float": _CONSTRUCTOR.construct_yaml_float,
          "tag:yaml.org,2002:bool": _CONSTRUCTOR.construct_yaml_bool,
          "tag:yaml.org,2002:null": _CONSTRUCTOR.construct_yaml_null,
          "tag:yaml.org,2002:timestamp": _CONSTRUCTOR.construct_yaml_timestamp}


class _Outside(Exception):
    """The text is not plain YAML of the kind this path takes."""


_PLAIN_CACHE: dict[str, tuple[str, Any]] = {}  # a plain scalar's text → its tag and (immutable) value


def _plain_scalar(text: str) -> tuple[str, Any]:
    """The tag PyYAML's safe resolver gives a plain scalar, and its value, as the strict loader takes it."""
    known = _PLAIN_CACHE.get(text)
    if known is not None:
        return known
    resolvers = _RESOLVERS.get(text[0] if text else "", [])
    tag = next((tag for tag, pattern in resolvers + _WILDCARD if pattern.match(text)), _STR)
    if tag == _STR:
        value: Any = text
    else:
        build = _BUILD.get(tag)
        if build is None:  # `<<` (merge) or `=` (value): the strict loader's to refuse
            raise _Outside
        value = build(ScalarNode(tag, text))
        if isinstance(value, float) and not math.isfinite(value) or isinstance(value, dt.datetime):
            raise _Outside
        if tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float") and (
                (_SEXAGESIMAL.fullmatch(text) or _OCTAL.fullmatch(text)) and _surprising_number(text, value)):
            raise _Outside
    if len(_PLAIN_CACHE) > 50_000:
        _PLAIN_CACHE.clear()
    _PLAIN_CACHE[text] = (tag, value)
    return tag, value


def compose(text: str, file: str) -> tuple[Any, dict[Path_, Location]] | None:
    """The data of `text`, and the locations of its root and of its list items that are collections;
    None when the text is outside what this path takes (see the module's docstring)."""
    if _PARSER is None:
        return None
    parser = _PARSER(text)
    try:
        return _build(parser, file)
    except (_Outside, ValueError, OverflowError, yaml.YAMLError):
        return None
    finally:
        parser.dispose()


def _build(parser: Any, file: str) -> tuple[Any, dict[Path_, Location]]:
    locations: dict[Path_, Location] = {}
    # open collections: [container, path, pending key (mappings; None while a key is awaited)]
    stack: list[list[Any]] = []
    root: Any = None
    documents = nodes = flow = 0
    scalar_event, mapping_start, sequence_start = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
    end_events = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    while (event := parser.get_event()) is not None:
        kind = type(event)
        if kind is scalar_event:
            nodes += 1
            if event.anchor is not None or event.tag is not None or nodes > MAX_NODES:
                raise _Outside
            text = event.value
            if len(text) > MAX_STRING_CHARS:
                raise _Outside
            if not event.style:  # plain (libyaml's events say '')
                if "#" in text or (flow and ("?" in text or ":" in text)):
                    raise _Outside
                tag, value = _plain_scalar(text)
            elif event.style in ("'", '"'):
                tag, value = _STR, text
            else:  # a block scalar
                raise _Outside
            if not stack:
                root = value
                locations[()] = Location(file, event.start_mark.line + 1, event.start_mark.column + 1)
                continue
            top = stack[-1]
            container = top[0]
            if type(container) is dict:
                if top[2] is None:  # a key
                    if tag != _STR or value in container:
                        raise _Outside
                    top[2] = value
                else:
                    container[top[2]] = value
                    top[2] = None
            else:
                container.append(value)
        elif kind is mapping_start or kind is sequence_start:
            nodes += 1
            if event.anchor is not None or event.tag is not None or nodes > MAX_NODES or len(stack) >= MAX_DEPTH:
                raise _Outside
            if stack:
                top = stack[-1]
                parent = top[0]
                if type(parent) is dict:
                    if top[2] is None:  # a collection as a key
                        raise _Outside
                    path: Path_ = (*top[1], top[2])
                else:
                    path = (*top[1], len(parent))
                    locations[path] = Location(file, event.start_mark.line + 1, event.start_mark.column + 1)
            else:
                path = ()
                locations[path] = Location(file, event.start_mark.line + 1, event.start_mark.column + 1)
            flow += bool(event.flow_style)
            stack.append([{} if kind is mapping_start else [], path, None, bool(event.flow_style)])
        elif kind in end_events:
            container, path, pending, flowing = stack.pop()
            flow -= flowing
            if pending is not None:
                raise _Outside
            if not stack:
                root = container
                continue
            top = stack[-1]
            if type(top[0]) is dict:
                top[0][top[2]] = container
                top[2] = None
            else:
                top[0].append(container)
        elif kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1 or event.explicit or event.version or event.tags:
                raise _Outside
        elif kind is yaml.DocumentEndEvent:
            if event.explicit:
                raise _Outside
        elif kind is yaml.StreamEndEvent:
            break
        elif kind is not yaml.StreamStartEvent:  # an alias
            raise _Outside
    if not documents:
        locations.clear()  # an empty file: no root, as the strict loader gives it
    return root, locations
