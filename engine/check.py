"""Static checks of a pack, before any fact is seen: quotes, guardrails proved, dead rules and responses.

Takes a `Pack` (and source texts when at hand), gives a `CheckReport`. The guardrail proof works on
the compiled truth and falsity forms of the rules (the same conjunctions the Rete network runs): a
guardrail is proved when no conjunction of a rule can produce a forbidden result; otherwise the check
builds a counterexample fact set for the offending conjunction and confirms it by evaluating it
through the engine, so a reported violation always comes with facts that show it.
"""

from __future__ import annotations

import datetime as dt
import re
from itertools import product
from typing import Literal as TypingLiteral

from engine.compiler import Literal, _Forms, patterns_of
from engine.evaluate import evaluate
from engine.explain import _options
from engine.model import OBSERVED, Derive, Fact, Frozen, Guardrail, Pack, Pattern, Ref, Respond, Rule, SourceBody
from engine.whatif import apply

Severity = TypingLiteral["error", "violation", "warning"]
PROBE_DATE = dt.date(2000, 1, 1)
MAX_TRIES = 50


class Finding(Frozen):
    severity: Severity
    code: str
    message: str
    location: str = ""
    counterexample: tuple[str, ...] = ()


class CheckReport(Frozen):
    findings: tuple[Finding, ...]
    proved: tuple[str, ...]

    def worst(self) -> Severity | None:
        order: list[Severity] = ["error", "violation", "warning"]
        return next((s for s in order if any(f.severity == s for f in self.findings)), None)


def paragraphs(text: str, body: SourceBody | None = None) -> list[str]:
    """What a citation's `para` counts, from 1, whitespace folded: the non-blank lines, or with `body` the
    body paragraphs only. A `body` anchor missing from the text is a ValueError naming it."""
    lines = [re.sub(r"\s+", " ", line).strip() for line in text.splitlines() if line.strip()]
    if body is None:
        return lines

    def start(anchor: str, after: int) -> int:
        found = next((i for i in range(after, len(lines)) if lines[i].startswith(anchor)), None)
        if found is None:
            raise ValueError(f"no line starts with {anchor!r}")
        return found

    first = start(body.first, 0)
    last = start(body.last, first) if body.last is not None else len(lines) - 1
    return [line for line in lines[first:last + 1] if not line.startswith(tuple(body.not_paragraphs))]


def check_quotes(pack: Pack, sources: dict[str, str]) -> list[Finding]:
    findings = []
    texts: dict[str, list[str]] = {}
    for sid, text in sources.items():
        try:
            texts[sid] = paragraphs(text, pack.sources[sid].body if sid in pack.sources else None)
        except ValueError as error:
            findings.append(Finding(severity="error", code="bad-body", location=f"source {sid}",
                                    message=f"source {sid}: its body cannot be found in the text given: {error}"))
    cited = [(f"rule {r.id}", r.origin, r.cites) for r in pack.rules]
    cited += [(f"commitment {c.id}", c.origin, c.cites) for c in pack.commitments]
    cited += [(f"assumption {name}", "pack.yaml", a.cites) for name, a in pack.assumptions.items()]
    for what, origin, cites in cited:
        for cite in cites:
            if cite.source not in texts:
                continue
            paras = texts[cite.source]
            quote = re.sub(r"\s+", " ", cite.quote).strip()
            if not 1 <= cite.para <= len(paras):
                findings.append(Finding(severity="error", code="bad-para", location=origin,
                                        message=f"{what}: {cite.source} has no paragraph {cite.para}"))
            elif quote not in paras[cite.para - 1]:
                elsewhere = [i + 1 for i, p in enumerate(paras) if quote in p]
                hint = f" (it is in ¶{elsewhere[0]})" if elsewhere else ""
                findings.append(Finding(severity="error", code="misquote", location=origin,
                                        message=f"{what}: quote not found in {cite.source} ¶{cite.para}"
                                                f"{hint}: {quote!r}"))
    return findings


def _same(a: Pattern, b: Pattern) -> bool:
    return (a.kind, a.subject, a.tests) == (b.kind, b.subject, b.tests)


def _values(pack: Pack, pattern: Pattern, field: str) -> set[str] | None:
    """The enum values a pattern allows for a field, or None when it is not an enum test."""
    spec = pack.vocabulary[pattern.kind].fields.get(field)
    if spec is None or spec.type != "enum":
        return None
    allowed = set(spec.values)
    for test in pattern.tests:
        if test.field != field:
            continue
        value = test.value
        if test.op == "eq":
            allowed &= {str(value)}
        elif test.op == "ne":
            allowed -= {str(value)}
        elif test.op == "in" and isinstance(value, tuple):
            allowed &= {str(v) for v in value}
    return allowed


def contradicts(pack: Pack, conj: tuple[Literal, ...]) -> bool:
    """Whether a conjunction can never hold: P and not P, or two values of one state at once."""
    for a in conj:
        for b in conj:
            if a is b:
                continue
            if a.positive != b.positive and not a.flip and not b.flip and _same(a.pattern, b.pattern):
                return True
            if (a.positive and b.positive and not a.flip and not b.flip and a.pattern.kind == b.pattern.kind
                    and a.pattern.subject == b.pattern.subject and pack.vocabulary[a.pattern.kind].state):
                for field in pack.vocabulary[a.pattern.kind].fields:
                    left, right = _values(pack, a.pattern, field), _values(pack, b.pattern, field)
                    if left is not None and right is not None and not left & right:
                        return True
    return False


def _conjunctions(pack: Pack, rule: Rule, branch: str) -> list[tuple[Literal, ...]]:
    forms = _Forms(pack)
    return forms.true(rule.when) if branch == "then" else forms.false(rule.when)


def _producers(pack: Pack, predicate: object) -> list[tuple[Rule, str, str]]:
    found = []
    for rule in pack.rules:
        for branch, effects in (("then", rule.then), ("else", rule.else_)):
            for effect in effects:
                if isinstance(effect, Respond) and callable(predicate) and predicate(effect.respond):
                    found.append((rule, branch, effect.respond))
    return found


def _requires(pack: Pack, conj: tuple[Literal, ...], needed: Pattern, depth: int = 0) -> bool:
    """Whether the conjunction, through derivations, needs a counting fact matching `needed`."""
    for literal in conj:
        if not literal.positive or literal.flip:
            continue
        if _same(literal.pattern, needed):
            return True
        kind = pack.vocabulary[literal.pattern.kind]
        if kind.derived and depth < 5:
            derivers = [(r, b) for r in pack.rules for b, effects in (("then", r.then), ("else", r.else_))
                        for e in effects if isinstance(e, Derive) and e.kind == literal.pattern.kind
                        and _allows(pack, literal.pattern, e)]
            if derivers and all(_requires(pack, c, needed, depth + 1) for r, b in derivers
                                for c in _conjunctions(pack, r, b) if not contradicts(pack, c)):
                return True
    return False


def _allows(pack: Pack, pattern: Pattern, effect: Derive) -> bool:
    for field, value in effect.fields.items():
        allowed = _values(pack, pattern, field)
        if allowed is not None and str(value) not in allowed:
            return False
    return True


def counterexample(pack: Pack, conj: tuple[Literal, ...], guard_id: str) -> tuple[list[Fact] | None, bool]:
    """Facts that make a conjunction hold, and whether evaluating them breaks the guardrail.

    Tries the fact sets built from the literals' alternatives in turn, until one is confirmed.
    """
    referenced = {t.value.alias for lit in conj for t in lit.pattern.tests
                  if t.field == OBSERVED and isinstance(t.value, Ref)}
    per_literal = [_options(pack, [], lit, PROBE_DATE, 0, lit.pattern.alias in referenced) for lit in conj]
    if any(not options for options in per_literal):
        return None, False
    first: list[Fact] | None = None
    for combo in list(product(*per_literal))[:MAX_TRIES]:
        facts = apply([], [c for group in combo for c in group])
        first = first or facts
        result = evaluate(pack, facts, PROBE_DATE)
        if any(g.id == guard_id and not g.ok for g in result.guardrails):
            return facts, True
    return first, False


def _describe(facts: list[Fact]) -> tuple[str, ...]:
    return tuple(f"{f.kind}({', '.join(f'{k}={v}' for k, v in sorted(f.fields.items()))})" for f in facts)


def check_guardrails(pack: Pack) -> tuple[list[Finding], list[str]]:
    findings: list[Finding] = []
    proved: list[str] = []
    for guard in pack.guardrails:
        before = len(findings)
        for rule, branch, response, conj in _relevant(pack, guard):
            if _holds_statically(pack, guard, conj, rule):
                continue
            facts, confirmed = counterexample(pack, conj, guard.id)
            findings.append(Finding(
                severity="violation" if confirmed or facts is None else "warning", code=f"guardrail-{guard.id}",
                location=rule.origin, counterexample=_describe(facts or []),
                message=f"rule {rule.id} ({branch}) can recommend {response} against guardrail {guard.id}: "
                        f"{guard.text}" + ("" if confirmed else " (not confirmed by evaluation)")))
        if len(findings) == before:
            proved.append(guard.id)
    return findings, proved


def _relevant(pack: Pack, guard: Guardrail) -> list[tuple[Rule, str, str, tuple[Literal, ...]]]:
    if guard.rule == "requires_fact":
        wanted = lambda rid: pack.responses[rid].category in guard.categories  # noqa: E731
    elif guard.rule == "only_with":
        wanted = lambda rid: rid in guard.responses  # noqa: E731
    elif guard.rule == "independent_of":
        wanted = lambda rid: bool(guard.prefix) and rid.startswith(str(guard.prefix)) and rid not in guard.except_  # noqa: E731
    elif guard.rule == "protects":
        wanted = lambda rid: bool(set(pack.responses[rid].withholds) & set(guard.interests))  # noqa: E731
    else:
        return _exclusive_pairs(pack, guard.responses)
    return [(rule, branch, rid, conj) for rule, branch, rid in _producers(pack, wanted)
            for conj in _conjunctions(pack, rule, branch) if not contradicts(pack, conj)]


def _exclusive_pairs(pack: Pack, responses: tuple[str, ...]) -> list[tuple[Rule, str, str, tuple[Literal, ...]]]:
    """Conjunction pairs, one producing each response, that do not contradict each other."""
    out = []
    producers = {rid: [(r, b, c) for r, b, _ in _producers(pack, lambda x, rid=rid: x == rid)
                       for c in _conjunctions(pack, r, b) if not contradicts(pack, c)] for rid in responses}
    for first, second in ((a, b) for i, a in enumerate(responses) for b in responses[i + 1:]):
        for (rule_a, branch_a, conj_a), (rule_b, _, conj_b) in product(producers[first], producers[second]):
            joint = conj_a + conj_b
            if not contradicts(pack, joint) and not _derived_exclusive(pack, joint):
                out.append((rule_a, branch_a, f"{first} with {second} (rule {rule_b.id})", joint))
    return out


def _derived_exclusive(pack: Pack, conj: tuple[Literal, ...]) -> bool:
    """Two values of one derived state whose deriving conditions contradict each other."""
    derived = [lit for lit in conj if lit.positive and pack.vocabulary[lit.pattern.kind].derived]
    for a, b in ((a, b) for i, a in enumerate(derived) for b in derived[i + 1:]):
        if a.pattern.kind == b.pattern.kind and contradicts(pack, (a, b)):
            return True
    return False


def _holds_statically(pack: Pack, guard: Guardrail, conj: tuple[Literal, ...], rule: Rule) -> bool:
    if guard.rule == "requires_fact":
        return guard.pattern is not None and _requires(pack, conj, pack.patterns[guard.pattern])
    if guard.rule == "only_with":
        return any(lit.positive and not lit.flip and lit.pattern.kind == guard.kind
                   and (_values(pack, lit.pattern, "value") or {"?"}) <= set(guard.values) for lit in conj)
    if guard.rule == "independent_of":
        return not {p.kind for p in patterns_of(rule.when)} & set(guard.kinds)
    return False  # protects and exclusive: any surviving conjunction is a violation


def check_reachability(pack: Pack) -> list[Finding]:
    findings = []
    produced = {e.respond for r in pack.rules for e in (*r.then, *r.else_) if isinstance(e, Respond)}
    for rid in sorted(set(pack.responses) - produced):
        findings.append(Finding(severity="warning", code="unproduced-response",
                                message=f"no rule can recommend response {rid}"))
    derivable = {(e.kind, str(v)) for r in pack.rules for e in (*r.then, *r.else_) if isinstance(e, Derive)
                 for v in e.fields.values()}
    for rule in pack.rules:
        live = [c for c in _conjunctions(pack, rule, "then") if not contradicts(pack, c)
                and all(_derivable(pack, lit, derivable) for lit in c)]
        if not live:
            findings.append(Finding(severity="warning", code="unreachable-rule", location=rule.origin,
                                    message=f"rule {rule.id} can never fire: every way its condition could hold "
                                            "contradicts itself or needs a value no rule derives"))
    return findings


def _derivable(pack: Pack, literal: Literal, derivable: set[tuple[str, str]]) -> bool:
    kind = pack.vocabulary[literal.pattern.kind]
    if not (literal.positive and kind.derived):
        return True
    allowed = _values(pack, literal.pattern, "value")
    return allowed is None or any((literal.pattern.kind, v) in derivable for v in allowed)


def check_pack(pack: Pack, sources: dict[str, str] | None = None) -> CheckReport:
    findings = check_quotes(pack, sources or {})
    guard_findings, proved = check_guardrails(pack)
    findings += guard_findings + check_reachability(pack)
    return CheckReport(findings=tuple(findings), proved=tuple(proved))
