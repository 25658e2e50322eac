"""durable_rules' size limits, and compiled rules laid out to stay within them.

Takes the compiled rules of a stratum (durable_rules definitions), gives them split into as few rulesets
as fit; takes a pack's large `in:` tests, gives them as membership properties computed when a fact is
posted. Measured on durable_rules 2.0.28, each shown raw in tests/test_runtime.py: durable_rules turns the
patterns of a ruleset into a tree of test nodes (equal tests shared; an `$or` is one branch per
alternative, joined again below them) and walks it with each fact asserted, and
- the walk keeps the tests still to visit on a 64-slot stack: a fact that satisfies 65 tests below one
  node (65 rules `level >= i`, or a rule `= i` and its else `!= i` on a state kind, 65 times) gets error
  303, and the process crashes when the state is deleted (SIGSEGV raw, SIGABRT through our runtime);
- a node keeps the tests below it in a 512-slot hash table: with 512 the walk spins forever on every
  fact (an `in:` of 512 values is 512 tests below one node), with 513 registering the ruleset spins;
- a node lists the rules it feeds in 256 slots, read past their end: 256 rules ending on one pattern
  crash, 257 fail with error 108. Every compiled rule starts with a gate, so this bounds a ruleset;
- a ruleset holds at most 4,096 rules: the 4,097th fails with error 106;
- a pattern is evaluated as a sequence of at most 31 operations (each `$and` and `$or` takes two, each
  join one): the 32nd fails with error 113 — a pattern with 15 `in:` tests, or the falsity of one
  with 14. No split helps: the rule is refused.
The tree is modelled here (`_Tree`) with the worst case assumed wherever a test might match; a stratum
whose rules do not fit is split into consecutive rulesets (engine.compiler), derivers before readers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from engine.runtime import END_RULE, SINK_RULE

MAX_PENDING = 64  # tests one fact may have pending in the walk (the 65th push fails)
MAX_TESTS_PER_NODE = 500  # below one node; 512 spin (some slack: the table is probed from a hash)
MAX_RULES_PER_NODE = 250  # ending on one node; 256 crash
MAX_RULES = 4_000  # in one ruleset; 4,097 fail
MAX_IN_VALUES = 64  # an `in:` with more values becomes a membership property
MAX_OPERATIONS = 31  # in one pattern


class TooLarge(Exception):
    """One compiled rule alone exceeds a limit: no split can help."""


@dataclass
class _Node:
    tests: dict[str, _Node] = field(default_factory=dict)  # one child per distinct test below this node
    matching: set[str] = field(default_factory=set)  # tests that may match together: a field's equalities once
    forwards: list[_Node] = field(default_factory=list)  # where an `$or`'s alternatives meet again
    rules: int = 0  # rules whose pattern ends here
    height: int | None = None  # memo: the most tests pending at once while walking below here


class _Tree:
    """The test nodes durable_rules builds for a ruleset, as far as its limits are concerned."""

    def __init__(self) -> None:
        self.root = _Node()
        self.nodes: list[_Node] = [self.root]
        self.rules = 0
        self.operations = 0  # the most in one pattern
        self.touched: list[_Node] = []  # by the last rule added: only their counts and heights changed

    def add(self, definition: dict[str, Any]) -> None:
        self.rules += 1
        self.touched = [self.root]
        for item in definition["all"]:
            (expression,) = item.values()
            self._walk(self.root, expression).rules += 1
            self.operations = max(self.operations, _operations(expression))

    def _walk(self, node: _Node, expression: dict[str, Any]) -> _Node:
        self.touched.append(node)
        if "$and" in expression:
            for term in expression["$and"]:
                node = self._walk(node, term)
            return node
        if "$or" in expression:
            meet = self._new()
            for alternative in expression["$or"]:
                self._walk(node, alternative).forwards.append(meet)
            self.touched.append(meet)
            return meet
        key = repr(expression)  # one operator or field each, so one spelling per test
        (name, value), = expression.items()
        if _is_join(name, value):
            key += f"#{len(self.nodes)}"  # a test against another fact is never shared (measured: 64 rules)
        if key not in node.tests:
            node.tests[key] = self._new()
            node.matching.add(f"= {name}" if not name.startswith("$") and not isinstance(value, dict) else key)
        self.touched.append(node.tests[key])
        return node.tests[key]

    def _new(self) -> _Node:
        self.nodes.append(_Node())
        return self.nodes[-1]

    def problem(self) -> str | None:
        """Which limit this ruleset exceeds, if any (checked after each rule added, so only what the last
        one touched can have changed: the nodes on its paths and, through them, the root's height)."""
        for node in self.touched:
            node.height = None
        if self.operations > MAX_OPERATIONS:
            return f"a pattern of more than {MAX_OPERATIONS} operations"
        if self.rules > MAX_RULES:
            return f"more than {MAX_RULES} rules"
        if any(len(n.tests) > MAX_TESTS_PER_NODE for n in self.touched):
            return f"more than {MAX_TESTS_PER_NODE} tests below one node"
        if any(n.rules > MAX_RULES_PER_NODE for n in self.touched):
            return f"more than {MAX_RULES_PER_NODE} rules on one pattern"
        if _height(self.root) > MAX_PENDING:
            return f"a fact could satisfy more than {MAX_PENDING} tests at once"
        return None


def _height(node: _Node) -> int:
    """The most tests pending while walking below `node`: its matching children, then the worst child
    walked first with its siblings still waiting. Equality tests on one field match one at a time."""
    if node.height is None:
        children = [*node.tests.values(), *node.forwards]
        node.height = 0
        if children:
            matching = len(node.forwards) + len(node.matching)
            node.height = max(matching, matching - 1 + max(_height(c) for c in children))
    return node.height


def _operations(expression: dict[str, Any]) -> int:
    """How long durable_rules' sequence for a pattern is: two per `$and` or `$or`, one per join."""
    (name, value), = expression.items()
    if name in ("$and", "$or"):
        return 2 + sum(_operations(term) for term in value)
    return 1 if _is_join(name, value) else 0


def _is_join(name: str, value: Any) -> bool:
    """A test whose operand is another fact's field ({alias: field}), with or without an operator."""
    if name.startswith("$") and isinstance(value, dict):
        (name, value), = value.items()
    return isinstance(value, dict)


Item = TypeVar("Item")


def split(items: Sequence[Item], definition: Callable[[Item], dict[str, Any]]) -> list[list[Item]]:
    """Consecutive groups of `items`, each one ruleset within the limits (with the sink and end rules the
    runtime adds); one group when they all fit. Raises TooLarge(item, reason) for an item alone too large."""
    tree = _base()
    for item in items:
        tree.add(definition(item))
    tree.touched = tree.nodes
    if tree.problem() is None:  # the usual case, settled in one pass
        return [list(items)] if items else []
    groups: list[list[Item]] = [[]]
    tree = _base()
    for item in items:
        tree.add(definition(item))
        if tree.problem() is None:
            groups[-1].append(item)
            continue
        tree = _base()
        tree.add(definition(item))
        reason = tree.problem()
        if reason is not None:
            raise TooLarge(item, reason)
        groups.append([item])
    return [group for group in groups if group]


def _base() -> _Tree:
    tree = _Tree()
    tree.add(SINK_RULE)
    tree.add(END_RULE)
    return tree


@dataclass(frozen=True)
class Membership:
    """A large `in:` test, decided when a fact is posted: `name` is true when `field` is among `values`."""

    name: str
    kind: str
    field: str
    values: frozenset[tuple[bool, Any]]

    @classmethod
    def of(cls, kind: str, field: str, values: Sequence[Any]) -> Membership:
        keys = frozenset(_key(v) for v in values)
        digest = hashlib.sha256(json.dumps([kind, field, sorted(map(repr, keys))]).encode()).hexdigest()
        return cls(f"$in.{field}.{digest[:12]}", kind, field, keys)


def _key(value: Any) -> tuple[bool, Any]:
    """Booleans apart from numbers (True == 1 in Python, not in durable_rules)."""
    return isinstance(value, bool), value


def with_memberships(record: dict[str, Any], memberships: dict[str, list[Membership]]) -> dict[str, Any]:
    """The fact as posted: its membership properties added (none when the field is absent, as a test
    on an absent field never matches)."""
    found = memberships.get(record["kind"])
    if not found:
        return record
    return {**record, **{m.name: _key(record[m.field]) in m.values for m in found if m.field in record}}
