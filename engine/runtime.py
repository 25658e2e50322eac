"""The one place that touches durable_rules, and where each of its sharp edges is handled.

Takes compiled rulesets and facts as plain dicts, gives activations (rule name + matched facts). The
edges, each measured on durable_rules 2.0.28 and each shown by a test in tests/test_runtime.py:
- the stock `Host` starts two self-re-arming timer threads that call `dispatch()` every 0.2 s and race
  the caller's actions: `QuietHost` starts none, and actions run synchronously inside our asserts;
  one host serves the whole process;
- a fact no rule observes raises MessageNotHandledException and aborts the batch's actions: every
  ruleset gets a sink rule that observes all facts and never completes;
- `delete_state` segfaults on a state in which no action ever ran: every ruleset gets an end rule that
  fires once on the gate, so each run has at least one action before its state is deleted;
- a state holds one fact per `id` (measured: a second fact with the same id, whatever its content,
  raises MessageObservedException): the engine never asserts an id twice (fact ids are unique, derived
  facts are de-duplicated, a changed fact is retracted before its new content is asserted);
- a never-seen fact can raise a false MessageObservedException: retried once under a salted id (a salt
  property would not do: identity is the id), its own id kept in `$id` and read back by `fact_id`;
- `get_facts` on a state that holds nothing yet raises error 309 rather than giving none: the batch
  fallback above reads it as "nothing stored";
- exceptions in consequents are swallowed into the state: ours catch everything themselves and the run
  fails with `RuntimeFault` naming the rule;
- facts are limited to 255 properties: enforced at validation, before anything reaches the engine;
- its JSON reader crashes the process on a float in exponent notation (1e-05) and refuses a ruleset
  holding one: such floats are marked once where values take durable_rules' form (compiler's
  `durable_value`) and our rulesets write their JSON with `engine.durable_json.dumps`, which writes the
  marks out in full; durable_rules' `json` is not patched;
- size limits (engine.limits has the measurements): a fact satisfying 65 tests below one node fails
  with error 303 (65 rules `level >= i`, or 65 joins on one kind), a node with 512 tests below it (an
  `in:` of 512 values) spins forever, 256 rules on one pattern crash and 257 fail with error 108, 4,097
  rules in a ruleset fail with error 106, a pattern of 32 operations (15 `in:` tests) fails with error
  113: the compiler splits a stratum into rulesets within them, turns large `in:` sets into membership
  properties posted with each fact, and refuses a rule too large alone; should durable_rules fail
  all the same, the run fails with `RuntimeFault` and its state is left alone (deleting a state after
  error 303 crashes the process);
- a `not` join fires on whichever fact arrived first: every compiled rule waits for a gate fact
  asserted after all others (compiler, `Runtime.update`).
"""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import durable_rules_engine
from durable import engine as durable

from engine.durable_json import dumps
from engine.errors import RuntimeFault

if TYPE_CHECKING:
    from engine.partition import Parts

Activation = tuple[str, dict[str, dict[str, Any]]]
OnFire = Callable[[str, dict[str, dict[str, Any]]], list[dict[str, Any]]]
SALT = "$id"  # where a fact asserted under a salted id keeps its own
CHUNK = 2_000
GATE = {"gate": {"kind": "$go"}}
SINK, END = "$sink", "$end"
SINK_RULE = {"all": [{"m": {"$ex": {"kind": 1}}}, {"never": {"kind": "$never"}}]}
END_RULE = {"all": [GATE]}


class _PlainRuleset(durable.Ruleset):
    """A durable_rules Ruleset whose JSON is written by `engine.durable_json.dumps` (numbers its reader
    would crash on written out in full); durable_rules' own `json` is left as it is, so nothing else in
    the process (a raw durable_rules benchmark, say) is changed by importing the engine."""

    def __init__(self, name: str, host: durable.Host, definition: dict[str, Any]) -> None:
        # durable.Ruleset.__init__, with the definition written by `dumps`
        self._actions = {rule: durable.Promise(rule_def.pop("run")) for rule, rule_def in definition.items()}
        self._name = name
        self._host = host
        self._handle = durable_rules_engine.create_ruleset(name, dumps(definition))
        self._definition = definition

    def assert_fact(self, fact: dict[str, Any]) -> Any:
        return self._handle_result(durable_rules_engine.assert_fact(self._handle, dumps(fact)), fact)

    def assert_facts(self, facts: list[dict[str, Any]]) -> Any:
        return self._handle_result(durable_rules_engine.assert_facts(self._handle, dumps(facts)), facts)

    def retract_fact(self, fact: dict[str, Any]) -> Any:
        return self._handle_result(durable_rules_engine.retract_fact(self._handle, dumps(fact)), fact)

    def retract_facts(self, facts: list[dict[str, Any]]) -> Any:
        return self._handle_result(durable_rules_engine.retract_facts(self._handle, dumps(facts)), facts)


class QuietHost(durable.Host):
    """A durable_rules Host without its dispatch and timer threads: actions run only when we assert."""

    def _run(self) -> None:
        return None

    def register_rulesets(self, ruleset_definitions: dict[str, dict[str, Any]]) -> None:
        """durable.Host.register_rulesets for plain rulesets (no store callbacks: ours are in memory)."""
        for name, definition in ruleset_definitions.items():
            if name in self._ruleset_directory:
                raise Exception(f"Ruleset with name {name} already registered")  # noqa: TRY002 - durable's own
            ruleset = _PlainRuleset(name, self, definition)
            self._ruleset_directory[name] = ruleset
            self._ruleset_list.append(ruleset)


class Runtime:
    """One per process (see `runtime()`); evaluations through it are serialised by a lock."""

    def __init__(self) -> None:
        self.host = QuietHost()
        self.lock = threading.RLock()
        self._fire: OnFire | None = None
        self._errors: list[str] = []
        self._made: list[dict[str, Any]] = []
        self.salted = 0
        self._failed: set[tuple[str, str]] = set()  # states durable_rules failed in: never deleted
        self._subs: dict[tuple[str, str], list[str]] = {}  # a state in parts → the parts' state ids
        self._group: dict[str, tuple[str, list[str]]] = {}  # a part's state id → its ruleset and all parts
        self._salted: dict[str, dict[str, dict[str, Any]]] = {}  # state id → own id → the fact as held salted
        self._copies: deque[tuple[str, dict[str, Any]]] = deque()  # derived facts for the other parts
        self._deleted: set[str] = set()  # parts deleted before their state was dropped (`once`)

    def ensure(self, name: str, rules: dict[str, dict[str, Any]]) -> None:
        """Register a ruleset once; its consequents all route to `_action`."""
        with self.lock:
            if name in self.host._ruleset_directory:
                return
            rules = {**rules, SINK: SINK_RULE, END: END_RULE}
            # durable_rules deletes `run` from the dicts it is given: hand it copies.
            definition = {key: {**json.loads(json.dumps(value)), "run": self._action(key)}
                          for key, value in rules.items()}
            try:
                self.host.register_rulesets({name: definition})
            except durable_rules_engine.error as error:
                raise RuntimeFault.one("engine-failed", f"durable_rules refused ruleset {name!r}: {error}") from None

    def _action(self, rule_name: str) -> Callable[[Any], None]:
        def act(c: Any) -> None:
            if rule_name in (SINK, END):
                return
            try:
                matched = c._m or {}  # durable_rules parsed these dicts for this action: ours to read
                assert self._fire is not None, "an action ran outside an evaluation"
                for fact in self._fire(rule_name, matched):
                    self._made.append(self._assert_one(lambda f: c.assert_fact(f), fact))
                    group = self._group.get(str(fact["sid"]))  # durable_rules set the action's state id
                    if group is not None:
                        name, subs = group
                        self._copies.extend((name, {**fact, "sid": sub}) for sub in subs if sub != fact["sid"])
            except Exception as error:  # noqa: BLE001 - durable_rules would swallow it; we report it
                self._errors.append(f"rule {rule_name.split('|')[0]!r}: {type(error).__name__}: {error}")

        return act

    def _assert_one(self, assert_fact: Callable[[dict[str, Any]], Any], fact: dict[str, Any]) -> dict[str, Any]:
        """Assert one fact; returns it as stored (salted after a false "already observed")."""
        try:
            assert_fact(fact)
            return fact
        except durable.MessageObservedException:
            # We never assert the same fact twice, so this is durable_rules' false positive.
            self.salted += 1
            salted = {**fact, "id": f"{fact['id']}#{state_id()}", SALT: fact["id"]}
            assert_fact(salted)
            if "sid" in salted:
                self._salted.setdefault(str(salted["sid"]), {})[fact["id"]] = salted
            return salted

    def update(self, name: str, sid: str, on_fire: OnFire, *, close: list[dict[str, Any]] | None = None,
               retract: list[dict[str, Any]] | None = None, add: list[dict[str, Any]] | None = None,
               gates: list[str] | None = None, parts: Parts | None = None, once: bool = False) -> Update:
        """In state `sid` of ruleset `name`: retract the gate facts `close`, then the facts `retract`,
        assert `add`, then a gate fact of each kind in `gates`.

        Retracting never fires a rule here: the caller closes the gate of every rule whose negated
        memories a retraction touches (engine.network), so an activation during retraction is a fault.
        Actions call `on_fire`; what they return is asserted and listed in `made`. With `parts` (the same
        for every update of a state; engine.partition) the state is several durable_rules states: a fact
        of a split kind goes to one of them, every other fact and gate to all, and a derived fact is copied
        from the state whose action made it into the others. With `once` (the state's only update before it
        is dropped: an evaluation, not a session) the parts are run one after another instead, each deleted
        when done (`_one_by_one`), and only the first part's facts are listed as stored.
        """
        with self.lock:
            self._errors, self._made = [], []
            subs = self._states(name, sid, parts)
            try:
                self._fire = _no_firing
                for facts in (close, retract):
                    if facts and len(subs) == 1:
                        self.host.retract_facts(name, facts)
                    elif facts:
                        for index, sub in enumerate(subs):
                            mine = [self._held_in(sub, f) for f in facts if _part(parts, f) in (None, index)]
                            if mine:
                                self.host.retract_facts(name, mine)
                self._fire = on_fire
                openers = [{"id": kind, "kind": kind} for kind in gates or ()]
                routed: list[list[dict[str, Any]]] = [[] for _ in subs]
                common: list[dict[str, Any]] = []
                for fact in add or ():
                    where = _part(parts, fact) if len(subs) > 1 else 0
                    (common if where is None else routed[where]).append(fact)
                if once and len(subs) > 1 and GATE["gate"]["kind"] in (gates or ()):
                    stored = self._one_by_one(name, subs, common, routed, openers)
                else:
                    stored = []
                    for index, sub in enumerate(subs):
                        for held in self._fill(name, sub, common, routed[index], openers):
                            stored += held if index == 0 else [f for f in held if _part(parts, f) is not None]
                            self._copy_derived()
                if self._errors:
                    raise RuntimeFault.one("consequent-failed", "; ".join(self._errors))
                opened = {f["kind"]: f for f in stored if f["kind"] in (gates or ()) and fact_id(f) == f["kind"]}
                return Update(stored=[f for f in stored if f["kind"] not in opened], made=list(self._made),
                              gates=opened)
            except durable.MessageNotHandledException as error:
                raise RuntimeFault.one("not-handled", str(error.message)[:300]) from None
            except durable_rules_engine.error as error:
                self._failed.add((name, sid))
                raise RuntimeFault.one("engine-failed", f"durable_rules failed in ruleset {name!r}: {error}") from None
            finally:
                self._fire = None
                self._copies.clear()

    def _one_by_one(self, name: str, subs: list[str], common: list[dict[str, Any]],
                    routed: list[list[dict[str, Any]]], openers: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The parts run in turn, each given the facts derived so far, then deleted: durable_rules holds one
        part's facts at a time, not all of them (it keeps about 8 KiB for each fact it holds; a million facts
        would need 8 GiB). A part that ran before a later one derived something new is run again with
        everything derived, until no part has missed anything: the activations and derived facts are those
        of the parts held together, where each derived fact is copied into every part. What the first part
        held on its first run is returned (the caller's record of what is stored, and of the gates)."""
        seen: dict[int, int] = {}  # part → how many derived facts there were when it last ran
        stored: list[dict[str, Any]] = []
        todo = list(range(len(subs)))
        while todo:
            for index in todo:
                sub = subs[index]
                given = [_unsalted(fact) for fact in self._made]
                for held in self._fill(name, sub, common, routed[index], given, openers):
                    if not seen and index == 0:
                        stored += held
                self._copies.clear()  # each part is given what the others derive when it runs, not copied
                self._delete(name, sub)
                self._deleted.add(sub)
                seen[index] = len(self._made)
            todo = [index for index in range(len(subs)) if seen[index] < len(self._made)]
        return stored

    def _fill(self, name: str, sub: str, *batches: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
        """Assert the batches' facts into part `sub` in chunks, giving each chunk as held. The gates come last
        in the same batches: one pass through durable_rules, as raw does it."""
        tagged = [{**fact, "sid": sub} for batch in batches for fact in batch]
        for start in range(0, len(tagged), CHUNK):
            yield self._assert_batch(name, sub, tagged[start:start + CHUNK])

    def _states(self, name: str, sid: str, parts: Parts | None) -> list[str]:
        """The durable_rules states that make up state `sid`: itself, or its parts (the first is itself)."""
        subs = self._subs.get((name, sid))
        if subs is None:
            if parts is None or parts.count == 1:
                return [sid]
            # digits only, as every state id (see state_id); a uuid's digits and four more name no other state
            subs = self._subs[name, sid] = [sid, *(f"{sid}{index:04d}" for index in range(1, parts.count))]
            for sub in subs:
                self._group[sub] = (name, subs)
        return subs

    def _held_in(self, sub: str, fact: dict[str, Any]) -> dict[str, Any]:
        """A fact as the part `sub` holds it (each part salts its own ids, see `_assert_one`)."""
        own = fact_id(fact)
        held = self._salted.get(sub, {}).get(own)
        if held is not None:
            return held
        plain = {**fact, "id": own, "sid": sub}
        plain.pop(SALT, None)
        return plain

    def _copy_derived(self) -> None:
        """Assert the derived facts made in one part into the others (their actions may make more)."""
        while self._copies:
            name, fact = self._copies.popleft()
            self._assert_one(partial(self.host.assert_fact, name), fact)

    def run(self, name: str, facts: list[dict[str, Any]], on_fire: OnFire, gates: list[str] | None = None) -> None:
        """Assert `facts` into a fresh state of ruleset `name`, then the gates; actions call `on_fire`."""
        sid = state_id()
        with self.lock:
            try:
                self.update(name, sid, on_fire, add=facts, gates=gates or [GATE["gate"]["kind"]])
            finally:
                self.drop(name, sid)

    def drop(self, name: str, sid: str) -> None:
        """Delete a state (every run fired the end rule, so durable_rules can delete it safely)."""
        subs = self._subs.pop((name, sid), [sid])
        for sub in subs:
            self._group.pop(sub, None)
            self._salted.pop(sub, None)
        if (name, sid) in self._failed:
            self._deleted.difference_update(subs)
            return  # deleting it would crash the process (measured after error 303): leaked instead
        for sub in subs:
            if sub in self._deleted:
                self._deleted.discard(sub)
                continue
            self._delete(name, sub)

    def _delete(self, name: str, sub: str) -> None:
        with self.lock, contextlib.suppress(Exception):  # nothing was stored for this sid
            self.host.delete_state(name, sub)

    def _assert_batch(self, name: str, sid: str, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        try:
            self.host.assert_facts(name, batch)
            return batch
        except durable.MessageObservedException:
            # Some of the batch may be stored already: assert the rest one at a time.
            try:
                stored_ids = {fact_id(f) for f in self.host.get_facts(name, sid)}
            except durable_rules_engine.error:  # error 309: the state does not exist yet, nothing is stored
                stored_ids = set()
            stored = [f for f in batch if f["id"] in stored_ids]
            for fact in batch:
                if fact["id"] not in stored_ids:
                    stored.append(self._assert_one(lambda f: self.host.assert_fact(name, f), fact))
            return stored


def _unsalted(fact: dict[str, Any]) -> dict[str, Any]:
    """A fact as it was given, before a salted id (see `Runtime._assert_one`)."""
    if SALT not in fact:
        return fact
    plain = {**fact, "id": fact[SALT]}
    del plain[SALT]
    return plain


def _part(parts: Parts | None, fact: dict[str, Any]) -> int | None:
    return None if parts is None else parts.of(fact, fact_id(fact))


def state_id() -> str:
    """A fresh state id: decimal digits only, so no JSON text of it can look like a number's exponent."""
    return str(uuid.uuid4().int)


def fact_id(fact: dict[str, Any]) -> str:
    """A fact's own id, also when durable_rules holds it under a salted one."""
    return str(fact.get(SALT, fact["id"]))


@dataclass
class Update:
    """What one `Runtime.update` left in the state: the facts asserted, the consequents' facts, the gates."""

    stored: list[dict[str, Any]]
    made: list[dict[str, Any]]
    gates: dict[str, dict[str, Any]]


def _no_firing(name: str, matched: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    raise AssertionError(f"{name.split('|')[0]!r} fired during a retraction; its gate should have been closed")


_RUNTIME: Runtime | None = None
_RUNTIME_LOCK = threading.Lock()


def runtime() -> Runtime:
    """The process's single durable_rules host."""
    global _RUNTIME
    with _RUNTIME_LOCK:
        if _RUNTIME is None:
            _RUNTIME = Runtime()
        return _RUNTIME
