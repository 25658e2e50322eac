"""Numbers as durable_rules' JSON reader can take them: Python values in, JSON text out.

durable_rules 2.0.28's C reader crashes the process (SIGSEGV) on a number in exponent notation without a
decimal point (`1e-05`, `1e+16`) and refuses a ruleset holding one (error 204); Python's `json` writes
every float below 1e-4 or from 1e16 up that way, and no float subclass changes it (the C encoder calls
`float.__repr__`). So such a float is marked once where the engine turns a value into durable_rules'
form (`durable_value` in engine.compiler, once per fact field and rule literal), and `dumps` writes the
marks out as plain decimals: a substring check on the text, no scan for exponents. Other floats, and
every value of a fact without such a float, are written by the stock `json`, unchanged.
"""

from __future__ import annotations

import decimal
import json
import re
import secrets
from typing import Any

# A mark no input can forge: a per-process random token between NULs (a YAML string may hold NULs).
_TOKEN = secrets.token_hex(8)
_OPEN = f"\x00{_TOKEN}:"
_OPEN_JSON = json.dumps(_OPEN)[1:-1]  # how the mark's start reads in JSON text
_MARKED = re.compile(f'"{re.escape(_OPEN_JSON)}([-0-9.]+)\\\\u0000"')


def needs_plain(value: float) -> bool:
    """Whether `json` writes this float in exponent notation (repr does below 1e-4 and from 1e16)."""
    size = abs(value)
    return size != 0 and (size < 1e-4 or size >= 1e16)


def plain_number(value: float) -> float | str:
    """The float itself when `json` writes it plainly; else a mark that `dumps` writes as a plain decimal
    (with a decimal point, so that durable_rules reads a float, also for 1e20)."""
    if not needs_plain(value):
        return value
    text = format(decimal.Decimal(repr(value)), "f")
    return f"{_OPEN}{text if '.' in text else text + '.0'}\x00"


def holds_marks(blob: bytes) -> bool:
    """Whether serialised data (a pickle, say) carries this process's marks: they mean nothing to another
    process, whose token differs, so such data must not outlive this one (engine.packcache)."""
    return _TOKEN.encode("ascii") in blob


def dumps(data: Any) -> str:
    """JSON text for durable_rules: stock `json`, with marked numbers written as plain decimals."""
    text = json.dumps(data, ensure_ascii=False)
    if _OPEN_JSON in text:
        text = _MARKED.sub(lambda m: m.group(1), text)
    return text
