"""Rules (data) → durable_rules ruleset definitions, in strata.

Takes a `Pack`, gives a `CompiledPack`. Each rule becomes two sets of Rete rules: one for when its
condition is definitely true (its `then` fires) and one for when it is definitely false (its `else`
fires). Both come from Kleene three-valued logic over the counting facts: a test on a state-like kind is
unknown while no fact of that kind counts; `none:` and event-like kinds are closed-world. A rule whose
condition is neither true nor false is undetermined. Each form is put in disjunctive normal form, one
durable_rules rule per conjunction.

Every compiled rule starts with a gate fact that the runtime asserts after all other facts of a stratum,
so negations are evaluated against complete memories (measured: without it, durable_rules fires a
`not` join on whichever fact arrived first). Rules with only positive patterns share one gate; each rule
with a negation has a gate of its own, so that an incremental step (engine.network) re-opens only the
rules whose negated patterns a changed fact matches (a small watch ruleset per stratum says which).
Rules that negate a derived kind run in a later stratum than the rules deriving it; a derivation cycle
is a compile error naming its rules.

Dates are day numbers. A test against the as-of date joins the clock fact (`clock_fact`, one per run,
alias `as_of`), and a date shifted by days is durable_rules arithmetic (`$add`/`$sub`), so time is decided
in the network like everything else and a timeline moves it by changing one fact.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from itertools import product
from typing import Any

from engine.durable_json import plain_number
from engine.errors import InputError, Location, Problem
from engine.limits import MAX_IN_VALUES, Membership, TooLarge, split
from engine.model import (
    AS_OF,
    DERIVED_ID_PREFIX,
    AllOf,
    AnyOf,
    Branch,
    Citation,
    Clock,
    Condition,
    Derive,
    NoneOf,
    Not,
    Pack,
    Pattern,
    Ref,
    Respond,
    Rule,
    Scalar,
    Test,
)
from engine.validate import ENGINE_PROPERTIES, MAX_FACT_PROPERTIES, scalar_json

PROBE = "$guardrail."
WATCH = "$watch."  # a rule matching one negated pattern, in a stratum's watch ruleset (engine.network)
GATE_KIND = "$go"
GATE_ALIAS = "gate"
# The as-of date as a fact (day number): patterns that test a date against it join it under this alias, which
# no pack alias may take. Its id is no fact id an analyst can write (those start with a letter or digit).
CLOCK_KIND = CLOCK_ID = "$clock"
CLOCK_ALIAS = AS_OF
MAX_CONJUNCTIONS = 256
_NEGATED_OP = {"eq": "ne", "ne": "eq", "lt": "gte", "lte": "gt", "gt": "lte", "gte": "lt"}
_DURABLE_OP = {"ne": "$neq", "lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte"}


@dataclass(frozen=True)
class Literal:
    """A fact pattern that must (positive) or must not (negative) match; `flip` negates its tests.

    `also`: more tests the same fact must pass, from other literals on the same kind (see `_each_fact`).
    """

    pattern: Pattern
    positive: bool = True
    flip: bool = False
    also: tuple[Literal, ...] = ()


Conjunction = tuple[Literal, ...]


@dataclass(frozen=True)
class Made:
    """A fact a compiled rule derives, as durable_rules sees it (its id names its content)."""

    id: str
    kind: str
    subject: str
    fields: dict[str, Scalar]

    def durable(self) -> dict[str, Any]:
        return durable_record(self.id, self.kind, self.subject, self.fields)


@dataclass(frozen=True)
class CompiledRule:
    """One durable_rules rule: a conjunction of one branch of one pack rule."""

    name: str
    rule: str
    branch: Branch
    definition: dict[str, Any]
    gate: str = GATE_KIND  # the kind of the gate fact it waits for
    made: tuple[Made, ...] = ()
    negated: tuple[Pattern, ...] = ()  # its negated patterns, joins left out (they match at least as much)
    timed: bool = False  # a negated pattern tests a date against the clock: re-opened when the clock moves


@dataclass
class Stratum:
    """Rules run together; `watches` is a ruleset of its own that says which rules a changed fact re-opens."""

    index: int
    rules: list[CompiledRule] = field(default_factory=list)
    watches: dict[str, dict[str, Any]] = field(default_factory=dict)  # watch name → definition
    watchers: dict[str, list[CompiledRule]] = field(default_factory=dict)  # watch name → rules re-opened
    watched: frozenset[str] = frozenset()  # the kinds a watch can match

    def definition(self) -> dict[str, Any]:
        return {r.name: r.definition for r in self.rules}

    def watch(self) -> None:
        """One watch per distinct negated pattern: it matches the facts that can change a negation."""
        names: dict[str, str] = {}
        for rule in self.rules:
            for pattern in rule.negated:
                definition = _definition((Literal(pattern),), {}, GATE_KIND)
                key = repr(definition)
                if key not in names:
                    names[key] = f"{WATCH}{len(names)}"
                    self.watches[names[key]] = definition
                self.watchers.setdefault(names[key], []).append(rule)
        self.watched = frozenset(p.kind for rule in self.rules for p in rule.negated)

    def gates(self) -> list[str]:
        """The gate kinds of this stratum's rules, the shared one first."""
        return [GATE_KIND, *sorted({r.gate for r in self.rules} - {GATE_KIND})]


@dataclass
class CompiledPack:
    pack: Pack
    strata: list[Stratum]
    by_name: dict[str, CompiledRule]
    needs: dict[str, list[tuple[str, str]]]  # rule id → (kind, subject) of state-like facts it reads
    joined: set[str] = field(default_factory=set)  # rules with a join: no compiled else form
    # (rule id, branch) → what that branch recommends: each response with the citations it carries
    responds: dict[tuple[str, str], tuple[tuple[str, tuple[Citation, ...]], ...]] = field(default_factory=dict)
    memberships: dict[str, list[Membership]] = field(default_factory=dict)  # kind → its large `in:` tests
    clocked: bool = False  # some rule tests a date against the as-of date: each run asserts the clock fact


def derived_id(kind: str, subject: str, fields: dict[str, Scalar]) -> str:
    values = ",".join(f"{k}={scalar_json(v)}" for k, v in sorted(fields.items()))
    return f"{DERIVED_ID_PREFIX}{kind}:{subject}:{values}"


def durable_record(fid: str, kind: str, subject: str, fields: dict[str, Scalar],
                   observed: dt.date | None = None) -> dict[str, Any]:
    """A fact as durable_rules sees it: identity, kind, subject, typed fields and (for an observed fact,
    not a derived one) the day it was observed; nothing else."""
    record = {"id": fid, "kind": kind, "subject": subject, **{k: durable_value(v) for k, v in fields.items()}}
    if observed is not None:
        record["observed"] = observed.toordinal()
    return record


def clock_fact(as_of: dt.date) -> dict[str, Any]:
    """The as-of date as the network sees it: one fact, retracted and asserted again when the date moves."""
    return {"id": CLOCK_ID, "kind": CLOCK_KIND, "subject": CLOCK_KIND, "day": as_of.toordinal()}


def _shifted(operand: dict[str, Any], days: int) -> dict[str, Any]:
    """durable_rules arithmetic: `operand` plus `days` (evaluated in the network, per match)."""
    if not days:
        return operand
    return {"$add" if days > 0 else "$sub": {"$l": operand, "$r": abs(days)}}


def _operand(value: Any) -> Any:
    if isinstance(value, Ref):
        return _shifted({value.alias: value.field}, value.days)
    if isinstance(value, Clock):
        return _shifted({CLOCK_ALIAS: "day"}, value.days)
    return durable_value(value)


def clocked(pattern: Pattern) -> bool:
    """Whether a pattern tests a date against the as-of date."""
    return any(isinstance(t.value, Clock) for t in pattern.tests)


def durable_value(value: Any) -> Any:
    """Dates become day numbers so that durable_rules can compare them; a float its JSON reader would
    crash on is marked to be written out in full (engine.durable_json)."""
    if isinstance(value, dt.date):
        return value.toordinal()
    if isinstance(value, float):
        return plain_number(value)
    return value


def _test(test: Test, negate: bool) -> dict[str, Any]:
    value = test.value
    if test.op == "in":
        assert isinstance(value, tuple)
        if negate:
            return {"$and": [{"$neq": {test.field: durable_value(v)}} for v in value]}
        return {"$or": [{test.field: durable_value(v)} for v in value]}
    op = _NEGATED_OP[test.op] if negate else test.op
    operand = _operand(value)
    if op == "eq":
        return {test.field: operand}
    return {_DURABLE_OP[op]: {test.field: operand}}


def _expression(literal: Literal) -> dict[str, Any]:
    pattern = literal.pattern
    terms: list[dict[str, Any]] = [{"kind": pattern.kind}, {"subject": pattern.subject}]
    for each in (literal, *literal.also):
        if each.flip:
            negated = [_test(t, negate=True) for t in each.pattern.tests]
            terms.append(negated[0] if len(negated) == 1 else {"$or": negated})
        else:
            terms.extend(_test(t, negate=False) for t in each.pattern.tests)
    return {"$and": terms}


def _and(forms: list[list[Conjunction]]) -> list[Conjunction]:
    result = [tuple(c for part in combo for c in part) for combo in product(*forms)]
    if len(result) > MAX_CONJUNCTIONS:
        raise OverflowError
    return result


def _each_fact(conjunctions: list[Conjunction], state: set[str]) -> list[Conjunction]:
    """The alternatives as durable_rules needs them: it matches each pattern of a rule to a different fact.

    Tests on a state go to its one counting fact, so they become one pattern (else `all:` of two tests on
    it, or the falsity of `any:` of them by De Morgan, would wait for a second fact that never comes).
    Tests on an event may hold of one fact or of several: one alternative per way of sharing them out.
    Joins (aliases, refs) keep their own patterns. The forms (`_Forms`) keep the literals apart: `check`
    and `explain` reason over them one by one.
    """
    result: list[Conjunction] = []
    for conj in conjunctions:
        groups: dict[tuple[str, str], list[Literal]] = {}
        rest: list[Literal] = []
        for literal in conj:
            if not literal.positive or literal.pattern.alias or _refs(literal.pattern):
                rest.append(literal)
            else:
                groups.setdefault((literal.pattern.kind, literal.pattern.subject), []).append(literal)
        ways = [[[group]] if kind in state else _partitions(group) for (kind, _), group in groups.items()]
        for combo in product(*ways):
            result.append((*(_merged(block) for way in combo for block in way), *rest))
            if len(result) > MAX_CONJUNCTIONS:
                raise OverflowError
    return result


def _merged(block: list[Literal]) -> Literal:
    """One pattern for literals that one fact must match."""
    return replace(block[0], also=tuple(block[1:]))


def _partitions(items: list[Literal]) -> list[list[list[Literal]]]:
    """Every way of sharing the items out into non-empty blocks, one fact matching each block.

    There are 203 ways for 6 items and 877 for 7: more than the cap on alternatives, refused before listing.
    """
    if len(items) > 6:
        raise OverflowError
    if not items:
        return [[]]
    first, ways = items[0], _partitions(items[1:])
    return [[[first], *way] for way in ways] + [[*way[:i], [first, *way[i]], *way[i + 1:]]
                                                 for way in ways for i in range(len(way))]


class _Forms:
    """Truth and falsity of a condition, each as a list of conjunctions (disjunctive normal form)."""

    def __init__(self, pack: Pack) -> None:
        self.pack = pack

    def stateful(self, pattern: Pattern) -> bool:
        return self.pack.vocabulary[pattern.kind].state

    def true(self, cond: Condition) -> list[Conjunction]:
        if isinstance(cond, Pattern):
            return [(Literal(cond),)]
        if isinstance(cond, NoneOf):
            return [(Literal(cond.none, positive=False),)]
        if isinstance(cond, Not):
            return self.false(cond.not_)
        if isinstance(cond, AllOf):
            return _and([self.true(c) for c in cond.all])
        assert isinstance(cond, AnyOf)
        return [c for part in cond.any for c in self.true(part)]

    def false(self, cond: Condition) -> list[Conjunction]:
        if isinstance(cond, Pattern):
            if not self.stateful(cond):
                return [(Literal(cond, positive=False),)]
            return [(Literal(cond, flip=True),)] if cond.tests else []
        if isinstance(cond, NoneOf):
            return [(Literal(cond.none),)]
        if isinstance(cond, Not):
            return self.true(cond.not_)
        if isinstance(cond, AllOf):
            return [c for part in cond.all for c in self.false(part)]
        assert isinstance(cond, AnyOf)
        return _and([self.false(c) for c in cond.any])


def patterns_of(cond: Condition) -> list[Pattern]:
    if isinstance(cond, Pattern):
        return [cond]
    if isinstance(cond, NoneOf):
        return [cond.none]
    if isinstance(cond, Not):
        return patterns_of(cond.not_)
    parts = cond.all if isinstance(cond, AllOf) else cond.any
    return [p for part in parts for p in patterns_of(part)]


def every_pattern(pack: Pack) -> list[Pattern]:
    """Every pattern the pack tests facts with: in its rules, its named patterns and its commitments."""
    conditions = [r.when for r in pack.rules] + list(pack.patterns.values())
    conditions += [cond for c in pack.commitments
                   for cond in (c.antecedent, c.consequent, c.cancelled_when, c.released_when) if cond is not None]
    return [p for cond in conditions for p in patterns_of(cond)]


def _refs(pattern: Pattern) -> set[str]:
    return {t.value.alias for t in pattern.tests if isinstance(t.value, Ref)}


def _definition(conj: Conjunction, aliases: dict[str, Pattern], gate: str) -> dict[str, Any]:
    """A durable_rules `all` list: the gate, binders, positives, then negations; joins resolved."""
    bound: set[str] = set()
    ordered = sorted(conj, key=lambda lit: (not lit.positive, bool(_refs(lit.pattern))))
    items: list[dict[str, Any]] = [{GATE_ALIAS: {"kind": gate}}]
    if any(clocked(p) for lit in conj for p in (lit.pattern, *(a.pattern for a in lit.also))):
        items.append({CLOCK_ALIAS: {"kind": CLOCK_KIND}})
    for number, literal in enumerate(ordered):
        for ref in sorted(_refs(literal.pattern) - bound):
            # A join whose partner is not bound in this conjunction: bind it to any fact of its kind.
            items.append({ref: _expression(Literal(aliases[ref].model_copy(update={"tests": ()})))})
            bound.add(ref)
        alias = literal.pattern.alias if literal.positive else None
        if alias is None or alias in bound:
            alias = f"p{number}"
        if literal.positive:
            bound.add(alias)
        items.append({alias if literal.positive else f"{alias}$not": _expression(literal)})
    return {"all": items}


def _derived_kinds(rule: Rule, branch: str) -> set[str]:
    return {made.kind for made in _made(rule, branch)}


def _made(rule: Rule, branch: str) -> tuple[Made, ...]:
    effects = rule.then if branch == "then" else rule.else_
    return tuple(Made(derived_id(e.kind, e.subject, e.fields), e.kind, e.subject, dict(e.fields))
                 for e in effects if isinstance(e, Derive))


def _compiled_rule(name: str, rule: Rule, branch: Branch, conj: Conjunction,
                   aliases: dict[str, Pattern]) -> CompiledRule:
    negated = tuple(_without_joins(lit.pattern) for lit in conj if not lit.positive)
    gate = f"{GATE_KIND}|{name}" if negated else GATE_KIND
    timed = any(clocked(lit.pattern) for lit in conj if not lit.positive)
    return CompiledRule(name, rule.id, branch, _definition(conj, aliases, gate), gate, _made(rule, branch), negated,
                        timed)


def _without_joins(pattern: Pattern) -> Pattern:
    """The pattern without its tests against other facts or the clock (what a watch can decide alone)."""
    return pattern.model_copy(update={"tests": tuple(t for t in pattern.tests if not isinstance(t.value, Ref | Clock)),
                                      "alias": None})


def compile_pack(pack: Pack) -> CompiledPack:
    """Compile every rule of the pack into stratified durable_rules rulesets."""
    forms = _Forms(pack)
    state = {name for name, kind in pack.vocabulary.items() if kind.state}
    compiled: list[CompiledRule] = []
    reads_negated: dict[str, set[str]] = {}
    reads: dict[str, set[str]] = {}
    problems: list[Problem] = []
    joined: set[str] = set()
    needs: dict[str, list[tuple[str, str]]] = {}
    memberships: dict[str, list[Membership]] = {}
    for rule in _with_memberships(pack, memberships):
        aliases = {p.alias: p for p in patterns_of(rule.when) if p.alias}
        if any(_refs(p) for p in patterns_of(rule.when)):
            joined.add(rule.id)
            problems += _join_limits(rule)
        try:
            # A join's falsity ("no pair matches") is not one Rete conjunction: a rule with a join has no
            # compiled else form; it is definitely false when it did not fire and every state it reads is
            # known (events are closed-world), decided after the run (see evaluate._outcomes).
            branches: dict[Branch, list[Conjunction]] = {
                "then": _each_fact(forms.true(rule.when), state),
                "else": [] if rule.id in joined else _each_fact(forms.false(rule.when), state)}
        except OverflowError:
            problems.append(Problem("too-complex", f"rule {rule.id!r} expands to more than {MAX_CONJUNCTIONS} "
                                    "alternatives; split it", _origin(rule)))
            continue
        needs[rule.id] = sorted({(p.kind, p.subject) for p in patterns_of(rule.when)
                                 if pack.vocabulary[p.kind].state})
        reads[rule.id], reads_negated[rule.id] = set(), set()
        for branch, conjunctions in branches.items():
            for index, conj in enumerate(conjunctions):
                compiled.append(_compiled_rule(f"{rule.id}|{branch}|{index}", rule, branch, conj, aliases))
                for literal in conj:
                    kind = literal.pattern.kind
                    if pack.vocabulary[kind].derived:
                        (reads[rule.id] if literal.positive else reads_negated[rule.id]).add(kind)
    if problems:
        raise InputError(problems)
    for guard in pack.guardrails:
        if guard.pattern:
            # A guardrail probe: Rete decides which counting facts match the guardrail's pattern.
            probe = f"{PROBE}{guard.id}"
            pattern = _member_pattern(pack.patterns[guard.pattern], memberships)
            compiled.append(CompiledRule(f"{probe}|then|0", probe, "then",
                                         _definition((Literal(pattern),), {}, GATE_KIND)))
    strata_of = _stratify(pack, reads, reads_negated)
    strata = [Stratum(i) for i in range(max(strata_of.values(), default=0) + 1)]
    for item in compiled:
        strata[strata_of.get(item.rule, 0)].rules.append(item)
    strata = _fit(pack, strata, reads)
    for stratum in strata:
        stratum.watch()
    responds = {(rule.id, branch): tuple((e.respond, (rule.cites[e.cite - 1],) if e.cite else tuple(rule.cites))
                                         for e in effects if isinstance(e, Respond))
                for rule in pack.rules for branch, effects in (("then", rule.then), ("else", rule.else_))}
    uses_clock = any(CLOCK_ALIAS in item for c in compiled for item in c.definition["all"])
    return CompiledPack(pack, strata, {c.name: c for c in compiled}, needs, joined, responds, memberships,
                        uses_clock)


def _join_limits(rule: Rule) -> list[Problem]:
    """What a rule with a join may not have: an else branch, or `not:` around the join."""
    problems = []
    if rule.else_:
        problems.append(Problem("else-on-join", f"rule {rule.id!r} joins facts ({{ref: …}}) and has an else "
                                "branch; a join's falsity is not decided in the network — drop the else or the join",
                                _origin(rule)))

    def negated_join(cond: Condition, inside_not: bool) -> bool:
        if isinstance(cond, Pattern):
            return inside_not and bool(_refs(cond))
        if isinstance(cond, Not):
            return negated_join(cond.not_, True)
        if isinstance(cond, NoneOf):
            return False
        parts = cond.all if isinstance(cond, AllOf) else cond.any
        return any(negated_join(part, inside_not) for part in parts)

    if negated_join(rule.when, False):
        problems.append(Problem("not-on-join", f"rule {rule.id!r} puts a join under not:; use none: for "
                                "'no matching fact'", _origin(rule)))
    return problems


def _origin(rule: Rule) -> Location:
    file, _, rest = rule.origin.rpartition(":")
    file, _, line = file.rpartition(":")
    return Location(file, int(line), int(rest)) if line.isdigit() and rest.isdigit() else Location(rule.origin)


def _stratify(pack: Pack, reads: dict[str, set[str]], negated: dict[str, set[str]]) -> dict[str, int]:
    """The stratum of each rule: after the derivers of what it reads, strictly after what it negates.

    Derived facts may not feed back into the rules that derive them: a cycle, through negation or not,
    is refused with the rules in it named. That is the bound on forward chaining: without cycles, a run
    derives at most one fact per derive effect (a derived fact's id is its content), and always ends.
    """
    derivers: dict[str, set[str]] = {}
    for each in pack.rules:
        for kind in _derived_kinds(each, "then") | _derived_kinds(each, "else"):
            derivers.setdefault(kind, set()).add(each.id)
    feeds: dict[str, list[tuple[str, bool]]] = {
        rule: sorted({(d, k in negated[rule]) for k in reads[rule] | negated[rule] for d in derivers.get(k, ())})
        for rule in reads}
    level: dict[str, int] = {}
    path: list[str] = []

    def visit(rule: str) -> int:
        if rule in level:
            return level[rule]
        if rule in path:
            cycle = [*path[path.index(rule):], rule]
            raise InputError.one("derivation-cycle", "derived facts feed back into the rules that derive them: "
                                 + " → ".join(cycle), _origin(_rule(pack, rule)))
        path.append(rule)
        found = max([visit(d) + (1 if neg else 0) for d, neg in feeds[rule]] + [0])
        path.pop()
        level[rule] = found
        return found

    for rule in sorted(reads):
        visit(rule)
    return level


def _rule(pack: Pack, rule_id: str) -> Rule:
    return next(r for r in pack.rules if r.id == rule_id)


def _with_memberships(pack: Pack, memberships: dict[str, list[Membership]]) -> list[Rule]:
    """The rules with each `in:` of more than MAX_IN_VALUES values turned into a test of a membership
    property, which engine.network computes as each fact is posted (engine.limits: durable_rules spins
    on 512 values below one node); `memberships` collects them by kind. They count towards the 255
    properties durable_rules stores per fact."""
    rules = []
    for rule in pack.rules:
        rules.append(rule.model_copy(update={"when": _member_condition(rule.when, memberships)}))
        for kind, found in memberships.items():
            if len(pack.vocabulary[kind].fields) + ENGINE_PROPERTIES + len(found) > MAX_FACT_PROPERTIES:
                raise InputError.one("too-many-properties", f"{len(found)} different large in: tests on {kind} "
                                     f"facts (more than {MAX_IN_VALUES} values each) and its "
                                     f"{len(pack.vocabulary[kind].fields)} fields are more than durable_rules stores "
                                     f"per fact ({MAX_FACT_PROPERTIES - ENGINE_PROPERTIES})", _origin(rule))
    return rules


def _member_condition(cond: Condition, memberships: dict[str, list[Membership]]) -> Condition:
    if isinstance(cond, Pattern):
        return _member_pattern(cond, memberships)
    if isinstance(cond, NoneOf):
        return cond.model_copy(update={"none": _member_pattern(cond.none, memberships)})
    if isinstance(cond, Not):
        return cond.model_copy(update={"not_": _member_condition(cond.not_, memberships)})
    if isinstance(cond, AllOf):
        return cond.model_copy(update={"all": tuple(_member_condition(c, memberships) for c in cond.all)})
    return cond.model_copy(update={"any": tuple(_member_condition(c, memberships) for c in cond.any)})


def _member_pattern(pattern: Pattern, memberships: dict[str, list[Membership]]) -> Pattern:
    tests = []
    for test in pattern.tests:
        if test.op == "in" and isinstance(test.value, tuple) and len(test.value) > MAX_IN_VALUES:
            member = Membership.of(pattern.kind, test.field, [durable_value(v) for v in test.value])
            if member not in memberships.setdefault(pattern.kind, []):
                memberships[pattern.kind].append(member)
            test = Test(field=member.name, op="eq", value=True)
        tests.append(test)
    return pattern.model_copy(update={"tests": tuple(tests)})


def _fit(pack: Pack, strata: list[Stratum], reads: dict[str, set[str]]) -> list[Stratum]:
    """Each stratum split into consecutive rulesets that durable_rules can hold (engine.limits), the
    rules deriving a kind before the rules of the stratum that read it; unchanged when it fits."""
    fitted: list[Stratum] = []
    for stratum in strata:
        try:
            groups = split(stratum.rules, lambda r: r.definition)
            if len(groups) > 1:
                groups = split(_derivers_first(pack, stratum.rules, reads), lambda r: r.definition)
        except TooLarge as error:
            item, reason = error.args
            probe = item.rule.startswith(PROBE)  # guardrails carry no origin of their own
            what = f"guardrail {item.rule[len(PROBE):]!r}'s pattern" if probe else f"rule {item.rule!r}"
            where = Location("pack.yaml") if probe else _origin(_rule(pack, item.rule))
            raise InputError.one("too-large", f"{what} alone is more than durable_rules holds in one ruleset "
                                 f"({reason}); split it into smaller rules", where) from None
        fitted += [Stratum(len(fitted) + n, group) for n, group in enumerate(groups)]
    return fitted


def _derivers_first(pack: Pack, rules: list[CompiledRule], reads: dict[str, set[str]]) -> list[CompiledRule]:
    """The rules of one stratum ordered so that a rule comes after those deriving what it reads."""
    derivers: dict[str, set[str]] = {}
    for item in rules:
        for made in item.made:
            derivers.setdefault(made.kind, set()).add(item.rule)
    depth: dict[str, int] = {}

    def visit(rule: str) -> int:
        if rule not in depth:
            depth[rule] = 0  # within a stratum derivations do not cycle (engine.compiler._stratify)
            depth[rule] = max([visit(d) + 1 for k in reads.get(rule, ()) for d in derivers.get(k, ()) if d != rule]
                              + [0])
        return depth[rule]

    return sorted(rules, key=lambda item: visit(item.rule))
