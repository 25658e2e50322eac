"""Why a response, rule or derived fact was (not) recommended, and the smallest change that flips it.

Takes a pack, facts, an as-of date and a target id; gives an `Explanation`, a view over the recorded
firings of a real evaluation, led by one plain sentence in the pack's own words (headline labels, rule
titles, moot texts). For something absent it also searches for the smallest set of new observations that
would produce it: candidates are read off the compiled truth and falsity forms of the rules that could
produce it, and every candidate is checked by evaluating it through the engine, so a proposal is never a
guess. A recorded fact is evidence as it was recorded: where it stands in the way, the proposal is a later
observation that supersedes it, never an edit or a deletion of it.
"""

from __future__ import annotations

import datetime as dt
from itertools import product
from typing import Literal as TypingLiteral

from engine.compiler import Literal, _Forms, patterns_of
from engine.errors import InputError, Location, shown
from engine.evaluate import evaluate
from engine.evidence import sort_evidence
from engine.model import (
    DERIVED_ID_PREFIX,
    OBSERVED,
    Citation,
    Clock,
    Derive,
    Evaluation,
    Fact,
    FactSource,
    FieldSpec,
    Frozen,
    Pack,
    Ref,
    Respond,
    Rule,
    Scalar,
    Test,
)
from engine.plain import Proposal, derived_sentence, proposals, sentence, supersedes
from engine.session import Session
from engine.validate import suggest
from engine.whatif import Change

MAX_CANDIDATES = 200
MAX_DEPTH = 3


class FactView(Frozen):
    id: str
    kind: str
    subject: str
    observed: dt.date | None
    fields: dict[str, Scalar]
    grade: str
    source: str


class Link(Frozen):
    """One rule in the chain: what it concluded and on which facts."""

    rule: str
    title: str
    status: str
    branch_facts: tuple[FactView, ...]
    derived: tuple[str, ...]
    missing: tuple[str, ...]
    citations: tuple[Citation, ...]
    assumptions: tuple[str, ...] = ()  # "name = value: why", each pack assumption the rule reads
    moot: tuple[str, ...] = ()  # "TEXT (fact ID)": a state that ends the rule's responses holds


class Explanation(Frozen):
    target: str
    what: TypingLiteral["response", "rule", "derived"]
    present: bool
    summary: str
    chain: tuple[Link, ...]
    smallest_change: tuple[Change, ...] = ()  # only `add`s: new observations
    change_found: bool = False
    plain: str = ""  # the answer in one sentence of the pack's words, before the detail
    proposals: tuple[Proposal, ...] = ()  # smallest_change as the analyst records it


def _fact_view(fact_id: str, facts: dict[str, Fact], evaluation: Evaluation) -> FactView:
    if fact_id in facts:
        fact = facts[fact_id]
        return FactView(id=fact.id, kind=fact.kind, subject=fact.subject, observed=fact.observed, fields=fact.fields,
                        grade=f"{fact.reliability}{fact.credibility}", source=fact.source.title)
    derived = next(d for d in evaluation.derived if d.id == fact_id)
    return FactView(id=fact_id, kind=derived.kind, subject=derived.subject, observed=None, fields=derived.fields,
                    grade="derived", source=f"rule {derived.rule}")


def _chain(pack: Pack, evaluation: Evaluation, rules: list[str], facts: dict[str, Fact]) -> list[Link]:
    """The rules, then the rules that derived the facts they used, depth first."""
    outcomes = {o.rule: o for o in evaluation.rules}
    by_id = {r.id: r for r in pack.rules}
    links: list[Link] = []
    seen: set[str] = set()
    queue = list(rules)
    while queue:
        rule_id = queue.pop(0)
        if rule_id in seen:
            continue
        seen.add(rule_id)
        outcome = outcomes[rule_id]
        used = sorted({f for firing in evaluation.firings if firing.rule == rule_id for f in firing.facts})
        made = sorted({d for firing in evaluation.firings if firing.rule == rule_id for d in firing.derived})
        links.append(Link(rule=rule_id, title=by_id[rule_id].title, status=outcome.status,
                          branch_facts=tuple(_fact_view(f, facts, evaluation) for f in used), derived=tuple(made),
                          missing=outcome.missing, citations=by_id[rule_id].cites,
                          assumptions=_assumptions(pack, by_id[rule_id]),
                          moot=_moot(pack, by_id[rule_id], evaluation, facts)))
        for derived in evaluation.derived:
            if derived.id in used:
                queue.extend(sorted({f.rule for f in evaluation.firings if derived.id in f.derived}))
    return links


def _assumptions(pack: Pack, rule: Rule) -> tuple[str, ...]:
    """The pack assumptions a rule's tests read, with the value it was evaluated with and why."""
    names = sorted({t.assumption for p in patterns_of(rule.when) for t in p.tests if t.assumption})
    return tuple(f"{name} = {pack.assumptions[name].value}: {pack.assumptions[name].text}" for name in names)
def _moot(pack: Pack, rule: Rule, evaluation: Evaluation, facts: dict[str, Fact]) -> tuple[str, ...]:
    """Which moot states ended the rule. The Rete decided it: the rule's else form fired on a fact of the
    moot state (its `none:` turned positive); this only names which state that fact is."""
    found = []
    for firing in evaluation.firings:
        if firing.rule != rule.id or firing.branch != "else":
            continue
        for fid in firing.facts:
            fact = facts.get(fid)
            for name in rule.moot:
                moot = pack.moot[name]
                if (fact is not None and (fact.kind, fact.subject) == (moot.pattern.kind, moot.pattern.subject)
                        and all(_passes(fact, t) for t in moot.pattern.tests)):
                    found.append(f"{moot.text} (fact {fid})")
    return tuple(dict.fromkeys(found))


def _producers(pack: Pack, response: str) -> list[tuple[Rule, str]]:
    return [(rule, branch) for rule in pack.rules for branch, effects in (("then", rule.then), ("else", rule.else_))
            if any(isinstance(e, Respond) and e.respond == response for e in effects)]


def explain(pack: Pack, facts: list[Fact], as_of: dt.date, target: str) -> Explanation:
    evaluation = evaluate(pack, facts, as_of)
    by_id = {f.id: f for f in facts}
    rule_ids = {r.id for r in pack.rules}
    if target in pack.responses:
        present = target in evaluation.response_ids()
        producers = _producers(pack, target)
        chain = _chain(pack, evaluation, [r.id for r, _ in producers], by_id)
        moot = list(dict.fromkeys(m for link in chain for m in link.moot))
        plain = sentence(pack, evaluation, present, producers, by_id, moot, _passes)
        if present:
            response = next(r for r in evaluation.responses if r.id == target)
            summary = f"{target} is recommended by {', '.join(response.rules)}"
            return Explanation(target=target, what="response", present=True, summary=summary, chain=tuple(chain),
                               plain=plain)
        statuses = ", ".join(f"{link.rule} is {link.status}" for link in chain) or "no rule produces it"
        if moot:
            statuses = f"moot: {'; '.join(moot)}; {statuses}"
        proposed = smallest_change(pack, facts, as_of, lambda e: target in e.response_ids(), producers)
        changes = tuple(proposed or ())
        return Explanation(target=target, what="response", present=False, change_found=proposed is not None,
                           summary=f"{target} is not recommended: {statuses}", chain=tuple(chain),
                           smallest_change=changes, plain=plain, proposals=proposals(pack, facts, as_of, changes))
    if target in rule_ids:
        chain = _chain(pack, evaluation, [target], by_id)
        return Explanation(target=target, what="rule", present=chain[0].status == "fired",
                           summary=f"rule {target} is {chain[0].status}", chain=tuple(chain))
    kind, _, value = target.partition("=")
    spec = pack.vocabulary.get(kind)
    if spec is not None and spec.derived:
        found = [d for d in evaluation.derived if d.kind == kind and (not value or str(d.value) == value)]
        rules = sorted({d.rule for d in found}) or [r.id for r in pack.rules
                                                    if any(isinstance(e, Derive) and e.kind == kind for e in r.then)]
        summary = (f"{kind} is {', '.join(str(d.value) for d in found)}" if found
                   else f"no {kind}{'=' + value if value else ''} is derived")
        return Explanation(target=target, what="derived", present=bool(found), summary=summary,
                           chain=tuple(_chain(pack, evaluation, rules, by_id)),
                           plain=derived_sentence(pack, evaluation, kind, value, by_id))
    known = [*pack.responses, *rule_ids, *(k for k, s in pack.vocabulary.items() if s.derived)]
    raise InputError.one("unknown-target", f"{shown(target)} is not a response, rule or derived kind of the pack"
                         + suggest(target, known), Location("explain"))


# --- the smallest change ----------------------------------------------------------------------------------

_DAY = FieldSpec(type="date")


def _fit(test: Test, violate: bool, pack: Pack | None, kind: str) -> Scalar | None:
    """A value that passes the test (or fails it, with `violate`); a test on `observed` needs no pack."""
    spec = _DAY if pack is None or test.field == OBSERVED else pack.vocabulary[kind].fields[test.field]
    value = test.value
    if test.op == "in":
        assert isinstance(value, tuple)
        if not violate:
            return value[0]
        others = [v for v in spec.values if v not in value]
        return others[0] if others else None
    if not isinstance(value, str | int | float | bool | dt.date):
        return None
    wants_equal = (test.op == "eq") != violate
    if test.op in ("eq", "ne"):
        if wants_equal:
            return value
        if isinstance(value, bool):
            return not value
        if spec.type == "enum":
            return next((v for v in spec.values if v != value), None)
        return value + 1 if isinstance(value, int | float) else None
    step: Scalar = dt.timedelta(days=1) if isinstance(value, dt.date) else 1  # type: ignore[assignment]
    below = test.op in ("lt", "lte")
    strict = test.op in ("lt", "gt")
    if violate:
        below, strict = not below, not strict
    if not strict:
        return value
    return value - step if below else value + step  # type: ignore[operator,return-value]


def _passes(fact: Fact, test: Test) -> bool:
    """Proposal-side only (candidates are verified by the engine): does a fact pass a test?"""
    have, want = fact.observed if test.field == OBSERVED else fact.fields.get(test.field), test.value
    if have is None or not isinstance(want, str | int | float | bool | dt.date | tuple):
        return False
    if test.op == "in":
        return have in want  # type: ignore[operator]
    ops = {"eq": have == want, "ne": have != want}
    if test.op in ops:
        return ops[test.op]
    try:
        return {"lt": have < want, "lte": have <= want, "gt": have > want, "gte": have >= want}[test.op]  # type: ignore[operator]
    except TypeError:
        return False


def _on_the_day(test: Test, as_of: dt.date) -> Test:
    """A test against the as-of date, as a test against that day (proposals are made for one date)."""
    if isinstance(test.value, Clock):
        return test.model_copy(update={"value": as_of + dt.timedelta(days=test.value.days)})
    return test


def _observed_on(tests: list[Test], as_of: dt.date) -> dt.date | None:
    """A day on or before the as-of date that passes the tests on `observed`, if the first tried does."""
    day = as_of
    for test in tests:
        probe = _new_day(day)
        if not _passes(probe, test):
            fitted = _fit(test, False, None, "")
            day = fitted if isinstance(fitted, dt.date) else day
    return day if day <= as_of and all(_passes(_new_day(day), t) for t in tests) else None


def _new_day(day: dt.date) -> Fact:
    return Fact(id="probe", kind="", subject="", observed=day, source=FactSource(title="", ref="", date=day),
                reliability="A", credibility=1)


def _new_fact(pack: Pack, kind: str, subject: str, fields: dict[str, Scalar], as_of: dt.date, n: int,
              observed: dt.date | None = None) -> Fact:
    full: dict[str, Scalar] = {}
    for name, spec in pack.vocabulary[kind].fields.items():
        if name in fields:
            full[name] = fields[name]
        elif not spec.optional:
            defaults: dict[str, Scalar] = {"enum": spec.values[0] if spec.values else "", "boolean": False,
                                           "date": as_of, "string": "",
                                           "number": spec.min or 0, "integer": int(spec.min or 0)}
            full[name] = defaults[spec.type]
    return Fact(id=f"whatif-{kind}-{n}", kind=kind, subject=subject, observed=observed or as_of, fields=full,
                source=FactSource(title="what-if", ref="explain", date=as_of),
                reliability=pack.evidence.reliability[0], credibility=pack.evidence.credibility[0])


def _options(pack: Pack, counted: list[Fact], literal: Literal, as_of: dt.date, depth: int,
             referenced: bool = False) -> list[list[Change]]:
    """Alternative change sets that would satisfy one literal (`referenced`: a later pattern of the rule
    must be observed after this one's fact, so a new fact is proposed the day before the as-of date)."""
    pattern = literal.pattern
    kind = pack.vocabulary[pattern.kind]
    pattern = pattern.model_copy(update={"tests": tuple(_on_the_day(t, as_of) for t in pattern.tests)})
    after = [t for t in pattern.tests if t.field == OBSERVED and t.op == "gt" and isinstance(t.value, Ref)]
    plain = [t for t in pattern.tests if t not in after]
    if any(not isinstance(t.value, str | int | float | bool | dt.date | tuple) for t in plain):
        return []  # joins: no proposal
    if after:
        # observed after a fact matched earlier in the rule: a new fact on the as-of date, the earlier one
        # proposed a day before (below); evaluating each proposal through the engine decides whether it works
        if literal.flip or not literal.positive:
            return []
        fields = {t.field: v for t in plain if (v := _fit(t, False, pack, pattern.kind)) is not None}
        fact = _new_fact(pack, pattern.kind, pattern.subject, fields, as_of, len(counted), as_of)
        return [[Change(op="add", fact=fact.id, kind=pattern.kind, fields=fields, added=fact, observed=as_of)]]
    current = [f for f in counted if f.kind == pattern.kind and f.subject == pattern.subject]
    series = {t.field: t.value for t in pattern.tests if t.field in kind.key and t.op == "eq"}
    current = [f for f in current if all(f.fields.get(k) == v for k, v in series.items())]  # its own series
    if not literal.positive:
        # what is on record stays on record: a state is ended by a later observation that supersedes it;
        # an event, once observed, cannot be (no proposal)
        matching = [f for f in current if all(_passes(f, t) for t in pattern.tests)
                    and not f.id.startswith(DERIVED_ID_PREFIX)]
        if matching and not kind.state:
            return []
        later: list[Change] = []
        for fact in matching:
            other = next(({t.field: v} for t in pattern.tests if t.field != OBSERVED
                          and (v := _fit(t, True, pack, pattern.kind)) is not None), None)
            if other is None:
                return []
            later.append(_superseding(pack, fact, other, as_of, len(counted) + len(later)))
        return [later]
    if kind.derived:
        return _derived_options(pack, counted, pattern.kind, pattern.tests, as_of, depth)
    dated = [t for t in pattern.tests if t.field == OBSERVED]
    if dated:
        # a fact observed on another day is another fact: add one, observed on a day that passes
        observed = _observed_on(dated, as_of)
        if literal.flip or observed is None:
            return []
        fields = {t.field: v for t in pattern.tests if t.field != OBSERVED
                  and (v := _fit(t, False, pack, pattern.kind)) is not None}
        fact = _new_fact(pack, pattern.kind, pattern.subject, fields, as_of, len(counted), observed)
        return [[Change(op="add", fact=fact.id, kind=pattern.kind, fields=fields, added=fact, observed=observed)]]
    tests = pattern.tests[:1] if literal.flip else pattern.tests
    fields = {t.field: v for t in tests if (v := _fit(t, literal.flip, pack, pattern.kind)) is not None}
    options: list[list[Change]] = []
    if not literal.flip and any(all(_passes(f, t) for t in pattern.tests) for f in current):
        options.append([])  # already holds: nothing to change for this literal
    if kind.state and current:
        # change only what the recorded fact gets wrong
        wrong = [t for t in pattern.tests if _passes(current[0], t) == literal.flip]
        edits = {t.field: v for t in wrong[:1 if literal.flip else None]
                 if (v := _fit(t, literal.flip, pack, pattern.kind)) is not None}
        if edits:
            options.append([_superseding(pack, current[0], edits, as_of, len(counted))])
    earlier = as_of - dt.timedelta(days=1) if referenced else None
    fact = _new_fact(pack, pattern.kind, pattern.subject, fields, as_of, len(counted), earlier)
    options.append([Change(op="add", fact=fact.id, kind=pattern.kind, fields=fields, added=fact, observed=earlier)])
    return options


def _superseding(pack: Pack, recorded: Fact, edits: dict[str, Scalar], as_of: dt.date, n: int) -> Change:
    """A new observation of the state `recorded` is about (its series too), as of the date, with `edits`:
    it supersedes the recorded fact, which stays on record as it was."""
    keys = {k: recorded.fields[k] for k in pack.vocabulary[recorded.kind].key if k in recorded.fields}
    shown = {**keys, **edits}
    fact = _new_fact(pack, recorded.kind, recorded.subject, {**recorded.fields, **edits}, as_of, n, as_of)
    return Change(op="add", fact=fact.id, kind=recorded.kind, fields=shown, added=fact, observed=as_of)


def _derived_options(pack: Pack, counted: list[Fact], kind: str, tests: tuple[Test, ...], as_of: dt.date,
                     depth: int) -> list[list[Change]]:
    if depth >= MAX_DEPTH:
        return []
    forms = _Forms(pack)
    options: list[list[Change]] = []
    for rule in pack.rules:
        for branch, effects in (("then", rule.then), ("else", rule.else_)):
            for effect in effects:
                if not isinstance(effect, Derive) or effect.kind != kind:
                    continue
                probe = Fact(id=f"{DERIVED_ID_PREFIX}probe", kind=kind, subject=effect.subject, observed=as_of,
                             fields=effect.fields, source=FactSource(title="", ref="", date=as_of),
                             reliability="A", credibility=1)
                if all(_passes(probe, t) for t in tests):
                    conjunctions = forms.true(rule.when) if branch == "then" else forms.false(rule.when)
                    options += _conjunction_options(pack, counted, conjunctions, as_of, depth + 1)
    return options


def _conjunction_options(pack: Pack, counted: list[Fact], conjunctions: list[tuple[Literal, ...]], as_of: dt.date,
                         depth: int) -> list[list[Change]]:
    result: list[list[Change]] = []
    for conj in conjunctions:
        referenced = {t.value.alias for lit in conj for t in lit.pattern.tests
                      if t.field == OBSERVED and isinstance(t.value, Ref)}
        per_literal = [_options(pack, counted, lit, as_of, depth, lit.pattern.alias in referenced) for lit in conj]
        if any(not options for options in per_literal):
            continue
        for combo in product(*per_literal):
            merged: dict[str, Change] = {}
            for change in (c for group in combo for c in group):
                key = f"{change.op}:{change.fact}:{change.kind}"
                if key in merged and change.op == "set":
                    change = change.model_copy(update={"fields": {**merged[key].fields, **change.fields}})
                merged[key] = change
            result.append(list(merged.values()))
    return result


def smallest_change(pack: Pack, facts: list[Fact], as_of: dt.date, wanted: object,
                    producers: list[tuple[Rule, str]]) -> list[Change] | None:
    """The fewest changes, among the proposals, that the engine confirms produce what is wanted."""
    counted, _ = sort_evidence(facts, pack, as_of)
    forms = _Forms(pack)
    candidates: list[list[Change]] = []
    for rule, branch in producers:
        conjunctions = forms.true(rule.when) if branch == "then" else forms.false(rule.when)
        candidates += _conjunction_options(pack, counted, conjunctions, as_of, 0)
    unique = {tuple(sorted(c.describe() for c in cand)): cand for cand in candidates}
    # Fewest observations first; among those, a new observation of a state already on record (the analyst
    # updates what is known) before one of something not yet seen.
    ranked = sorted(unique.items(), key=lambda item: (len(item[0]), sum(supersedes(pack, c, counted) is None
                                                                        for c in item[1]), item[0]))
    with Session(pack, facts) as session:  # each candidate moves only its own facts in the Rete state
        for _, candidate in ranked[:MAX_CANDIDATES]:
            if callable(wanted) and wanted(session.evaluate_changes(candidate, as_of)):
                return candidate
    return None

