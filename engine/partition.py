"""Which facts of a stratum may be spread over several durable_rules states, and how they are spread.

Takes a stratum's compiled rules and the facts of its first update; gives `Parts` (how many states, and
the kinds whose facts are split among them by id) or None when one state is the answer.

Why: durable_rules 2.0.28 keeps a state's messages in a hash index of a fixed 512 buckets, and storing a
new fact walks its bucket's whole chain (bench/durable_scaling.py): asserting N facts into one state costs
O(N²), 3.2 s for 100,000 facts that take 0.1 s at 10,000. In k states it costs k times less.

When it changes no match: a fact of a split kind goes to one state (by a hash of its id), every other
fact (gates, the clock, derived facts, the kinds left whole) to all of them. A rule then finds in some
state each combination of facts it can match if it reads at most one split fact: so a kind is split only
when no rule of the stratum has two patterns of split kinds (joins of two split kinds, self-joins), no
rule negates it (a negation needs every fact of its kind), and no rule of the stratum derives it. The
engine.runtime copies each fact a rule derives into the other states, so a rule of the same stratum that
reads it sees it wherever its other facts are. A rule that reads no split kind fires alike in every
state: the same activation (rule and facts), recorded once (engine.network).
"""

from __future__ import annotations

import math
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from engine.compiler import CLOCK_KIND, GATE_KIND, Stratum

# Facts of split kinds per state. Small enough that the chains stay short (at 10,000 facts one state
# asserts as fast per fact as at 1,000), large enough that the facts copied into every state stay few.
PART_SIZE = 10_000


@dataclass(frozen=True)
class Parts:
    """`count` states; facts of `kinds` go to one of them, by id, the rest to all."""

    count: int
    kinds: frozenset[str]

    def of(self, fact: dict[str, Any], fid: str) -> int | None:
        """The state a fact (its own id `fid`) goes to, or None for every state."""
        if fact["kind"] not in self.kinds:
            return None
        return zlib.crc32(fid.encode("utf-8")) % self.count


def _kinds(expression: Any) -> set[str]:
    """The fact kinds an item of a durable_rules `all` list tests for."""
    if isinstance(expression, dict):
        found = {expression["kind"]} if isinstance(expression.get("kind"), str) else set()
        for value in expression.values():
            if isinstance(value, dict | list):
                found |= _kinds(value)
        return found
    if isinstance(expression, list):
        return set().union(*(_kinds(item) for item in expression)) if expression else set()
    return set()


def _reads(stratum: Stratum) -> tuple[list[list[set[str]]], set[str]]:
    """Each rule's positive items (the kinds each may match), and every kind the stratum negates or derives."""
    rules: list[list[set[str]]] = []
    barred: set[str] = {GATE_KIND, CLOCK_KIND}
    for rule in stratum.rules:
        items: list[set[str]] = []
        for item in rule.definition["all"]:
            for alias, expression in item.items():
                kinds = _kinds(expression)
                if alias.endswith("$not"):
                    barred |= kinds
                else:
                    items.append(kinds)
        barred |= {made.kind for made in rule.made}
        barred |= {p.kind for p in rule.negated}
        rules.append(items)
    return rules, barred


def plan(stratum: Stratum, facts: Iterable[dict[str, Any]], size: int | None = None) -> Parts | None:
    """How to spread `facts` (a stratum's first update) over states; None for one state.

    The kinds are taken largest first, each while no rule would read two split facts.
    """
    size = PART_SIZE if size is None else size
    counts = Counter(fact["kind"] for fact in facts)
    if sum(counts.values()) <= size:
        return None
    rules, barred = _reads(stratum)
    chosen: set[str] = set()
    for kind, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        if kind in barred or kind.startswith("$"):
            continue
        trial = chosen | {kind}
        # an item that names no kind could match any fact: it counts as reading a split one
        if all(sum(1 for kinds in items if not kinds or kinds & trial) <= 1 for items in rules):
            chosen = trial
    split = sum(counts[kind] for kind in chosen)
    if split <= size:
        return None
    return Parts(math.ceil(split / size), frozenset(chosen))
