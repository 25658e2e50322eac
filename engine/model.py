"""The domain in the analyst's words, as pydantic models passed between the pipeline's stages.

Inputs (a `Pack` of `Rule`s over a vocabulary, and `Fact`s) and the output (an `Evaluation`) are plain,
frozen data: no stage reaches back into another's state.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Scalar = str | int | float | bool | dt.date
Op = Literal["eq", "ne", "lt", "lte", "gt", "gte", "in"]
Category = str  # one of the pack's `categories:` (DEFAULT_CATEGORIES when it declares none)
Status = Literal["fired", "else", "undetermined"]
Branch = Literal["then", "else"]
RELIABILITY = ("A", "B", "C", "D", "E", "F")
CREDIBILITY = (1, 2, 3, 4, 5, 6)
# A pack that declares no `categories:` sorts its responses under these, in this order, with these titles.
DEFAULT_CATEGORIES = {"offer": "Offers", "assurance": "Assurances", "consequence": "Consequences",
                      "messaging": "Messaging", "principle": "Principles", "risk": "Risks"}
# Facts the rules derive have ids that start so; an analyst's fact may not, or it would stand in for one.
DERIVED_ID_PREFIX = "derived:"
# In a date test, the as-of date; no alias may take the name.
AS_OF = "as_of"
OBSERVED = "observed"
# The kind the ledger derives for a commitment's conditions (engine.ledger); a pack may not declare it.
LEDGER_KIND = "commitment_condition"
CommitmentState = Literal["conditional", "detached", "discharged", "violated", "expired", "cancelled", "released"]
TERMINAL: tuple[CommitmentState, ...] = ("discharged", "violated", "expired", "cancelled", "released")


class Frozen(BaseModel):
    # defer_build: a model's validator is built when first used, so a command pays only for the models it uses
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


# --- the pack: vocabulary, rules, responses, guardrails -------------------------------------------------

class FieldSpec(Frozen):
    type: Literal["number", "integer", "string", "boolean", "date", "enum"]
    values: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    optional: bool = False


class KindSpec(Frozen):
    """One kind of fact: who it can be about, whether the latest supersedes, and its typed fields.

    `valid_for`: days a fact of the kind counts after it is observed, unless it gives its own
    `valid_until`. `key`: fields naming separate series of a state (the latest fact per series counts).
    """

    subjects: tuple[str, ...]
    state: bool
    derived: bool = False
    fields: dict[str, FieldSpec]
    valid_for: int | None = Field(default=None, ge=1)
    key: tuple[str, ...] = ()


class Evidence(Frozen):
    """The evidence threshold: the grades a fact needs to count."""

    reliability: tuple[Literal["A", "B", "C", "D", "E", "F"], ...] = ("A", "B", "C")
    credibility: tuple[int, ...] = (1, 2, 3)
    # `evaluate` warns when the as-of date is more than this many days after the newest counting fact.
    stale_after_days: int = Field(default=90, ge=1)


class SourceBody(Frozen):
    """Which lines of a source's text a reader counts as its paragraphs ¶1, ¶2, …: from the line starting
    with `first` to the one starting with `last`, less the lines (headings) starting with a `not_paragraphs`
    entry. Without it every non-blank line is a paragraph, title and byline included."""

    first: str
    last: str | None = None
    not_paragraphs: tuple[str, ...] = ()


class Source(Frozen):
    """A source a rule cites (the argument itself, usually)."""

    title: str
    author: str | None = None
    publisher: str | None = None
    date: dt.date | None = None
    ref: str | None = None
    seed: str | None = None
    body: SourceBody | None = None


class Citation(Frozen):
    source: str
    para: int
    quote: str


class Ref(Frozen):
    """The value of a field of another pattern in the same rule (a join), `days` later (earlier if < 0)."""

    alias: str
    field: str
    days: int = 0


class Clock(Frozen):
    """The as-of date, `days` later (earlier if < 0): a test against it is decided in the network, by the
    clock fact each evaluation asserts, so a timeline step moves it like any other fact."""

    days: int = 0


def moved(when: dt.date | Clock | Ref, days: int) -> dt.date | Clock | Ref:
    """A date `days` later (earlier if < 0), whether fixed, the as-of date or a joined fact's."""
    if isinstance(when, dt.date):
        return when + dt.timedelta(days=days)
    return when.model_copy(update={"days": when.days + days})


class Test(Frozen):
    """`field op value`; `field` may be `observed` (the day a fact was observed).

    `assumption` names the pack assumption the test reads: with `shift` 0 `value` is the assumption's value;
    with ±1 it is a number of days and `value` a date moved by it, later (+1) or earlier (-1).
    """

    field: str
    op: Op
    value: Scalar | tuple[Scalar, ...] | Ref | Clock
    assumption: str | None = None
    shift: Literal[-1, 0, 1] = 0


class Pattern(Frozen):
    """A fact of `kind` about `subject` whose fields pass every test."""

    kind: str
    subject: str
    tests: tuple[Test, ...] = ()
    alias: str | None = None
    name: str | None = None


class AllOf(Frozen):
    all: tuple[Condition, ...]


class AnyOf(Frozen):
    any: tuple[Condition, ...]


class Not(Frozen):
    """Definitely false: every fact the inner condition needs is known and it does not hold."""

    not_: Condition


class NoneOf(Frozen):
    """No counting fact matches: absence is an answer here, never undetermined."""

    none: Pattern


Condition = Pattern | AllOf | AnyOf | Not | NoneOf


class Respond(Frozen):
    """Recommend a response; `cite` picks which of the rule's citations supports it (1-based; all if 0)."""

    respond: str
    cite: int = 0


class Derive(Frozen):
    kind: str
    subject: str
    fields: dict[str, Scalar]


Effect = Respond | Derive


class Rule(Frozen):
    id: str
    title: str
    cites: tuple[Citation, ...]
    when: Condition
    then: tuple[Effect, ...]
    else_: tuple[Effect, ...] = ()
    priority: int = 0
    origin: str = ""
    moot: tuple[str, ...] = ()  # the moot states whose absence the pack added to `when`


class ResponseSpec(Frozen):
    """A response the argument recommends; `withholds` names areas of cooperation it would hold back;
    `moot_when` names the pack's moot states that end it."""

    id: str
    category: Category
    text: str
    withholds: tuple[str, ...] = ()
    moot_when: tuple[str, ...] = ()


class Moot(Frozen):
    """A state of the world that ends an offer: while a counting fact matches `pattern`, no rule
    responds the responses that name it in `moot_when`."""

    name: str
    pattern: Pattern
    text: str


class Guardrail(Frozen):
    """A constraint from the argument that the engine enforces on every result.

    `exclusive`: these responses never together. `only_with`: the response only when the derived fact
    has one of these values. `requires_fact`: responses of these categories only when a counting fact
    matching `pattern` supports them. `independent_of`: responses with this prefix (but `except_`) never
    rest on facts of these kinds. `protects`: no response withholds cooperation in these interests.
    """

    id: str
    rule: Literal["exclusive", "only_with", "requires_fact", "independent_of", "protects"]
    text: str
    responses: tuple[str, ...] = ()
    prefix: str | None = None
    except_: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    pattern: str | None = None
    kind: str | None = None
    values: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    interests: tuple[str, ...] = ()


class FactDate(Frozen):
    """A deadline read from a date field of the latest counting fact of a kind: a fact can move it."""

    kind: str
    subject: str
    field: str


class Deadline(Frozen):
    """A fixed date, a number of days after detachment, or a date field of a fact (exactly one)."""

    date: dt.date | None = None
    within_days: int | None = None
    fact: FactDate | None = None


class Commitment(Frozen):
    """C(debtor, creditor, antecedent, consequent): if the antecedent comes about (by its deadline), the
    debtor owes the creditor the consequent (by its deadline). Singh's commitments; L4's MUST … WITHIN."""

    id: str
    title: str
    cites: tuple[Citation, ...]
    debtor: str
    creditor: str
    antecedent: Condition
    consequent: Condition
    antecedent_deadline: Deadline | None = None
    consequent_deadline: Deadline | None = None
    cancelled_when: Condition | None = None
    released_when: Condition | None = None
    origin: str = ""


class Assumption(Frozen):
    """A named, documented value the rules read (a threshold, a window): `whatif --assume` varies it."""

    value: int | float | dt.date
    type: Literal["number", "integer", "date"]
    text: str
    cites: tuple[Citation, ...] = ()
class Headline(Frozen):
    """A derived kind the views summarise (the state the argument turns on), and how text names it."""

    kind: str
    label: str


class Pack(Frozen):
    """The argument as declared: besides rules, what it is about (`parties`), how its responses are
    grouped (`categories`, id → title in display order) and what its summaries lead with (`headline`)."""

    name: str
    version: str
    title: str = ""
    headline: tuple[Headline, ...] = ()
    categories: dict[str, str] = DEFAULT_CATEGORIES
    parties: dict[str, str] = {}
    sources: dict[str, Source]
    evidence: Evidence
    vocabulary: dict[str, KindSpec]
    patterns: dict[str, Pattern] = {}
    moot: dict[str, Moot] = {}
    responses: dict[str, ResponseSpec]
    rules: tuple[Rule, ...]
    guardrails: tuple[Guardrail, ...] = ()
    commitments: tuple[Commitment, ...] = ()
    assumptions: dict[str, Assumption] = {}
    digest: str = ""

    def label(self, kind: str) -> str:
        """How text names a headline kind (its label, as the pack declares it); the kind itself otherwise."""
        return next((h.label for h in self.headline if h.kind == kind), kind)


# --- facts ----------------------------------------------------------------------------------------------

class FactSource(Frozen):
    title: str
    ref: str
    date: dt.date


class FactHeader(Frozen):
    """What every fact has, whatever its kind: identity, dates, source and its grading."""

    id: str
    kind: str
    subject: str
    observed: dt.date
    valid_until: dt.date | None = None
    recorded: dt.date | None = None
    source: FactSource
    reliability: Literal["A", "B", "C", "D", "E", "F"]
    credibility: int = Field(ge=1, le=6)
    analyst: str | None = None
    note: str | None = None


class Fact(FactHeader):
    """One observed fact, as an analyst entered it: the header plus its kind's typed fields."""

    # Its canonical text, once the facts digest has asked for it (engine.validate.fact_texts): kept on the object,
    # so it lives and dies with it, and neither a copy (with other content) nor an unpickled fact has it.
    __slots__ = ("canonical_text",)

    fields: dict[str, Scalar] = {}
    origin: str = ""
    # From a file that declares `hypothetical: true` (a scenario, not an observation); left out of digests and
    # snapshots when false, so that records written before the flag existed keep theirs.
    hypothetical: bool = False

    def content(self) -> dict[str, object]:
        """The fact as digests and audit snapshots take it: its origin kept, the flag only when set."""
        return self.model_dump(mode="json", exclude=None if self.hypothetical else {"hypothetical"})


# --- the result -----------------------------------------------------------------------------------------

class PackRef(Frozen):
    name: str
    version: str
    digest: str


class Response(Frozen):
    id: str
    category: Category
    text: str
    rules: tuple[str, ...]
    facts: tuple[str, ...]
    citations: tuple[Citation, ...]
    derived: tuple[str, ...] = ()


class DerivedFact(Frozen):
    id: str
    kind: str
    subject: str
    value: Scalar | None
    fields: dict[str, Scalar]
    rule: str
    facts: tuple[str, ...]


class Undetermined(Frozen):
    rule: str
    missing: tuple[str, ...]


class NotCounted(Frozen):
    fact: str
    reason: str


class GuardrailResult(Frozen):
    id: str
    ok: bool
    detail: str


class Firing(Frozen):
    """One activation of a compiled rule in the Rete network: the event everything else is a view of."""

    rule: str
    branch: Branch
    facts: tuple[str, ...]
    derived: tuple[str, ...] = ()


class RuleOutcome(Frozen):
    rule: str
    status: Status
    facts: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()


class Evaluation(Frozen):
    run_id: str
    as_of: dt.date
    pack: PackRef
    facts_digest: str
    responses: tuple[Response, ...]
    derived: tuple[DerivedFact, ...]
    undetermined: tuple[Undetermined, ...]
    not_counted: tuple[NotCounted, ...]
    guardrails: tuple[GuardrailResult, ...]
    rules: tuple[RuleOutcome, ...]
    firings: tuple[Firing, ...]
    counted: tuple[str, ...]
    warnings: tuple[str, ...] = ()  # e.g. the as-of date long after the newest counting fact
    # The fact files declaring `hypothetical: true` among those evaluated: every view of this result says so.
    hypothetical: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return all(g.ok for g in self.guardrails)

    def response_ids(self) -> list[str]:
        return [r.id for r in self.responses]

    def value_of(self, kind: str) -> str | None:
        """The value derived for `kind`, when exactly one was (none, or two at once, is no answer)."""
        values = [str(d.value) for d in self.derived if d.kind == kind]
        return values[0] if len(values) == 1 else None

    def headline(self, pack: Pack) -> dict[str, str | None]:
        """The pack's headline kinds → their values: what every summary of this result leads with."""
        return {h.kind: self.value_of(h.kind) for h in pack.headline}


# --- the commitment ledger (engine.ledger) ----------------------------------------------------------------

class Transition(Frozen):
    """A commitment moving from one state to another: when, why, on which facts, under which citation."""

    date: dt.date
    previous: CommitmentState
    state: CommitmentState
    why: str
    facts: tuple[str, ...] = ()
    rule: str = ""
    citations: tuple[Citation, ...] = ()


class DeadlineMove(Frozen):
    """A fact moving the deadline in force (what is owed is unchanged; by when is not)."""

    date: dt.date
    part: str
    before: dt.date
    after: dt.date | None
    facts: tuple[str, ...] = ()


class CommitmentStatus(Frozen):
    id: str
    title: str
    debtor: str
    creditor: str
    state: CommitmentState
    since: dt.date | None
    due: str
    due_by: dt.date | None
    transitions: tuple[Transition, ...]
    deadline_moves: tuple[DeadlineMove, ...]
    citations: tuple[Citation, ...]


class Ledger(Frozen):
    as_of: dt.date
    commitments: tuple[CommitmentStatus, ...]

    def state_of(self, cid: str) -> CommitmentStatus | None:
        return next((c for c in self.commitments if c.id == cid), None)


for _model in (AllOf, AnyOf, Not, Rule, Moot, Commitment, Pack):
    _model.model_rebuild()
