"""The sentence that leads an explanation, and a proposed observation as the command that records it.

Takes the pack, a real evaluation and the rules behind a target; gives words. The sentence is built only
from what the pack declares (headline labels, kind and field names, rule titles, moot texts) and from the
facts the Rete network fired on, so it says the same thing whatever argument the pack encodes. Nothing here
decides anything: whether a response is recommended, and on which facts, is the evaluation's.
"""

from __future__ import annotations

import datetime as dt
import shlex
from collections.abc import Callable

from engine.entry import questions
from engine.evidence import sort_evidence
from engine.model import (
    DERIVED_ID_PREFIX,
    OBSERVED,
    AllOf,
    AnyOf,
    Condition,
    DerivedFact,
    Evaluation,
    Fact,
    FactSource,
    Frozen,
    NoneOf,
    Pack,
    Pattern,
    Rule,
    Scalar,
    Test,
)
from engine.whatif import Change


class Proposal(Frozen):
    """A new observation to record, in words and as the `facts add` command line that records it."""

    text: str
    command: str


_OPS = {"lt": "below", "lte": "at most", "gt": "above", "gte": "at least", "ne": "anything but"}


def words(value: object) -> str:
    """A value as a reader says it: `sustained_reduction` → `sustained reduction`, True → `yes`."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple):
        return " or ".join(words(v) for v in value)
    return str(value).replace("_", " ")


def wanted(test: Test) -> str:
    """What a test asks for, in words ("sustained reduction", "refusal or rhetorical", "at most -25")."""
    if test.op in ("eq", "in"):
        return words(test.value)
    return f"{_OPS[test.op]} {words(test.value)}"


def _name(pack: Pack, kind: str, field: str) -> str:
    """A headline kind by its label; any other kind's field as `kind field` (its one field: the kind)."""
    if any(h.kind == kind for h in pack.headline):
        return pack.label(kind)
    spec = pack.vocabulary.get(kind)
    only = spec is not None and list(spec.fields) == [field]
    return words(kind) if only or field == "value" else f"{words(kind)} {words(field)}"


def _patterns(condition: Condition, positive: bool = True) -> list[tuple[Pattern, bool]]:
    """Each pattern of a condition, and whether the rule needs it to match (False under `not:`/`none:`)."""
    if isinstance(condition, Pattern):
        return [(condition, positive)]
    if isinstance(condition, AllOf | AnyOf):
        inner = condition.all if isinstance(condition, AllOf) else condition.any
        return [found for part in inner for found in _patterns(part, positive)]
    if isinstance(condition, NoneOf):
        return [(condition.none, not positive)]
    return _patterns(condition.not_, not positive)


def _tests_on(rule: Rule, kind: str, positive: bool = True) -> list[Test]:
    """The tests on a kind's fields (not its dates, not joins) in patterns the rule needs (`positive`) or
    needs not to match."""
    return [t for p, needed in _patterns(rule.when) if p.kind == kind and needed == positive for t in p.tests
            if t.field != OBSERVED and isinstance(t.value, str | int | float | bool | dt.date | tuple)]


def _fact(fact_id: str, facts: dict[str, Fact], evaluation: Evaluation) -> Fact | DerivedFact | None:
    return facts.get(fact_id) or next((d for d in evaluation.derived if d.id == fact_id), None)


def _holds(pack: Pack, rule: Rule, fact_id: str, facts: dict[str, Fact], evaluation: Evaluation) -> str:
    """What a fact the rule fired on shows, in the rule's terms: a state by what it is ("the party's stance
    is refusal"), an event by what happened and when ("a party action on 2021-03-15 (…)")."""
    fact = _fact(fact_id, facts, evaluation)
    if fact is None:
        return fact_id
    tests = [*_tests_on(rule, fact.kind), *_tests_on(rule, fact.kind, False)]
    tested = [f for f in dict.fromkeys(t.field for t in tests) if f in fact.fields]
    spec = pack.vocabulary.get(fact.kind)
    if isinstance(fact, Fact) and spec is not None and not spec.state:
        values = ", ".join(words(fact.fields[f]) if spec.fields[f].type == "enum"
                           else f"{words(f)} {words(fact.fields[f])}" for f in tested)
        return f"a {words(fact.kind)} on {fact.observed}" + (f" ({values})" if values else "")
    if len(tested) == 1:
        return f"{_name(pack, fact.kind, tested[0])} is {words(fact.fields[tested[0]])}"
    if tested:
        return f"{words(fact.kind)} " + ", ".join(f"{words(f)} is {words(fact.fields[f])}" for f in tested)
    return f"{words(fact.kind)} {fact_id} counts"


def _unconditional(rule: Rule) -> bool:
    """A rule without a condition (standing advice): `when` left out is an empty `all:`."""
    return isinstance(rule.when, AllOf) and not rule.when.all


def _against(pack: Pack, rule: Rule, fact_id: str, facts: dict[str, Fact], evaluation: Evaluation,
             passes: Callable[[Fact, Test], bool]) -> str:
    """What a fact the rule's falsity fired on shows, against what the rule asks for ("… is refusal, not
    sustained reduction"); a fact the rule must not see is named with what it shows."""
    fact = _fact(fact_id, facts, evaluation)
    if fact is None:
        return fact_id
    probe = fact if isinstance(fact, Fact) else Fact(
        id=fact.id, kind=fact.kind, subject=fact.subject, observed=evaluation.as_of, fields=fact.fields,
        source=FactSource(title="", ref="", date=evaluation.as_of), reliability="A", credibility=1)
    failed = [t for t in _tests_on(rule, fact.kind) if t.field in fact.fields and not passes(probe, t)]
    spec = pack.vocabulary.get(fact.kind)
    if spec is not None and any(t.field in spec.key for t in failed):
        return ""  # another series of a keyed state: not what the rule reads
    if failed:
        return " and ".join(f"{_name(pack, fact.kind, t.field)} is {words(fact.fields[t.field])}, not {wanted(t)}"
                            for t in failed)
    return _holds(pack, rule, fact_id, facts, evaluation)


def sentence(pack: Pack, evaluation: Evaluation, present: bool, givers: list[tuple[Rule, str]],
             facts: dict[str, Fact], moot: list[str], passes: Callable[[Fact, Test], bool]) -> str:
    """"Recommended, because …" or "Not recommended, because …": the facts the rules fired on, in words.
    `givers` are the rules that give the response and the branch (then/else) that gives it. `passes` only
    picks which of a rule's tests a fact fails, to name them; the Rete network decided."""
    outcomes = {o.rule: o for o in evaluation.rules}
    reasons: list[str] = []

    def fired_on(rule: Rule, branch: str) -> list[str]:
        return list(dict.fromkeys(f for firing in evaluation.firings if firing.rule == rule.id
                                  and firing.branch == branch for f in firing.facts))

    if present:
        gave = [(rule, branch) for rule, branch in givers if fired_on(rule, branch)
                or outcomes[rule.id].status == ("fired" if branch == "then" else "else")]
        if gave and all(_unconditional(rule) for rule, _ in gave):  # the argument's standing advice
            return f"Recommended whatever the facts ({'; '.join(f'rule {r.id}: {r.title}' for r, _ in gave)})."
        for rule, branch in gave:
            said = [_holds(pack, rule, f, facts, evaluation) for f in fired_on(rule, branch)]
            reasons.append(" and ".join(said) if said else f"rule {rule.id} holds: {rule.title.rstrip('.')}")
        return f"Recommended, because {'; '.join(dict.fromkeys(reasons)) or 'a rule of the pack gives it'}."
    reasons += moot
    for rule, branch in givers:
        outcome = outcomes[rule.id]
        if outcome.status == "undetermined":
            missing = " or ".join(words(m.partition(":")[0]) for m in outcome.missing)
            reasons.append(f"nothing is known yet about {missing} (rule {rule.id} needs it)")
            continue
        if branch == "else":  # given when the rule is false: it holds
            held = [_holds(pack, rule, f, facts, evaluation) for f in fired_on(rule, "then")]
            reasons.append(" and ".join(held) if held else f"rule {rule.id} holds ({rule.title.rstrip('.')})")
            continue
        used = [f for f in fired_on(rule, "else") if not any(f"(fact {f})" in m for m in moot)]
        found = [told for f in used if (told := _against(pack, rule, f, facts, evaluation, passes))]
        if found:
            reasons.append(" and ".join(found))
        elif not moot:
            reasons.append(f"nothing on record meets rule {rule.id} ({rule.title.rstrip('.')})")
    return f"Not recommended, because {'; '.join(dict.fromkeys(reasons)) or 'no rule of the pack gives it'}."


def derived_sentence(pack: Pack, evaluation: Evaluation, kind: str, value: str, facts: dict[str, Fact]) -> str:
    """What a derived kind is and on which facts ("… is refusal, because the stance is claims inability"),
    or, asked for a value it does not have, what it is instead."""
    label = pack.label(kind)
    found = [d for d in evaluation.derived if d.kind == kind]
    wanted_ones = [d for d in found if not value or str(d.value) == value]
    if not wanted_ones:
        if found:
            return f"{label} is {' and '.join(words(d.value) for d in found)}, not {words(value)}."
        return f"No {label}{' ' + words(value) if value else ''} is derived: no rule that derives it holds."
    rules = {r.id: r for r in pack.rules}
    parts = []
    for derived in wanted_ones:
        said = [_holds(pack, rules[derived.rule], f, facts, evaluation) for f in derived.facts]
        why = " and ".join(dict.fromkeys(said)) if said else f"rule {derived.rule} holds: {rules[derived.rule].title}"
        parts.append(f"{label} is {words(derived.value)}, because {why}")
    return "; ".join(parts) + "."


def command(pack: Pack, fact: Fact, shown: dict[str, Scalar]) -> str:
    """The `commitments facts add` line that records a proposed observation: kind, subject (where the kind
    has several), observed date and the values the proposal rests on; source, grade and id are asked for."""
    keys = {q.name for q in questions(pack, fact.kind)}
    values: list[tuple[str, object]] = [("subject", fact.subject), ("observed", fact.observed),
                                         *sorted(shown.items())]
    parts = ["commitments", "facts", "add", "--file", "FILE", "--kind", fact.kind]
    for key, value in values:
        if key in keys:
            text = str(value).lower() if isinstance(value, bool) else str(value)
            parts += ["--value", f"{key}={text}"]
    return " ".join(shlex.quote(p) if p != "FILE" else p for p in parts)


def supersedes(pack: Pack, change: Change, counted: list[Fact]) -> Fact | None:
    """The counting fact a proposed observation supersedes: the same state (kind, subject, series)."""
    new = change.added
    if new is None or not pack.vocabulary[new.kind].state:
        return None
    key = pack.vocabulary[new.kind].key
    return next((f for f in counted if (f.kind, f.subject) == (new.kind, new.subject)
                 and all(f.fields.get(k) == new.fields.get(k) for k in key)
                 and not f.id.startswith(DERIVED_ID_PREFIX)), None)


def proposals(pack: Pack, facts: list[Fact], as_of: dt.date, changes: tuple[Change, ...]) -> tuple[Proposal, ...]:
    """Each new observation in words, and the `commitments facts add` line that records it."""
    counted, _ = sort_evidence(facts, pack, as_of)
    found = []
    for change in changes:
        assert change.added is not None  # explain proposes nothing but new observations
        fact = change.added
        # the series a keyed state's fact belongs to was part of what the engine checked: name it too
        shown = {**{k: fact.fields[k] for k in pack.vocabulary[fact.kind].key if k in fact.fields}, **change.fields}
        values = ", ".join(f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in sorted(shown.items()))
        text = f"record a new {fact.kind} fact observed {fact.observed}" + (f" with {values}" if values else "")
        old = supersedes(pack, change, counted)
        if old is not None:
            text += f" (a later observation than {old.id}, observed {old.observed}, which stays on record)"
        found.append(Proposal(text=text, command=command(pack, fact, shown)))
    return tuple(found)
