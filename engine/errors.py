"""Every error the engine reports to a user, with where it happened and the exit code it means.

Input problems are collected (not raised one at a time) so that a user sees every problem in a file at
once, sorted by place and capped; `cli` is the only module that prints them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

EXIT_OK = 0
EXIT_GUARDRAIL = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3

MAX_PROBLEMS = 50
SHOWN_CHARS = 80  # how much of a value a message echoes: a 100 kB argument must not come back whole


def shown(value: str, limit: int = SHOWN_CHARS) -> str:
    """`value` quoted for a message, cut to `limit` characters with its length said when longer."""
    if len(value) <= limit:
        return repr(value)
    return f"{value[:limit] + '…'!r} ({len(value)} characters)"


@dataclass(frozen=True, order=True)
class Location:
    """A place in a user's file: 1-based line and column."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: a stable code, a message, and where."""

    code: str
    message: str
    location: Location = field(default_factory=lambda: Location("<input>"))

    def __str__(self) -> str:
        return f"{self.location}: {self.code}: {self.message}"


class EngineError(Exception):
    """Base of every error the engine raises on purpose; carries its exit code."""

    exit_code = EXIT_INTERNAL

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.location, p.code, p.message))
        super().__init__("\n".join(str(p) for p in self.problems[:MAX_PROBLEMS]))

    @classmethod
    def one(cls, code: str, message: str, location: Location | None = None) -> EngineError:
        return cls([Problem(code, message, location or Location("<input>"))])

    def lines(self) -> list[str]:
        shown = [str(p) for p in self.problems[:MAX_PROBLEMS]]
        if len(self.problems) > MAX_PROBLEMS:
            shown.append(f"... and {len(self.problems) - MAX_PROBLEMS} more problems")
        return shown


class InputError(EngineError):
    """The user's pack or facts are wrong: exit 2, nothing evaluated, nothing recorded."""

    exit_code = EXIT_BAD_INPUT


class RuntimeFault(EngineError):
    """durable_rules or a consequent failed in a way the engine could not recover from."""

    exit_code = EXIT_INTERNAL


class StoreError(EngineError):
    """The audit store cannot be used — busy past the timeout, read-only, not a database, damaged, or
    written by a newer version: exit 3, and an evaluation that could not be recorded is not reported."""

    exit_code = EXIT_INTERNAL


class TamperedError(EngineError):
    """An audit record no longer reads as it was sealed: exit 1, as `audit verify` exits on a broken chain."""

    exit_code = EXIT_GUARDRAIL


class Problems:
    """Collects problems while a stage goes on, then raises them together."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, code: str, message: str, location: Location) -> None:
        self.items.append(Problem(code, message, location))

    def raise_if_any(self) -> None:
        if self.items:
            raise InputError(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)
