"""Each durable_rules edge (listed in engine/runtime.py): first shown on raw durable_rules, then shown handled by ours."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from durable import engine as durable

from engine.errors import RuntimeFault
from engine.runtime import GATE, QuietHost, Runtime, fact_id


def _name() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


def test_stock_host_starts_timer_threads_and_ours_does_not() -> None:
    before = threading.active_count()
    durable.Host()
    assert any(isinstance(t, threading.Timer) for t in threading.enumerate())
    timers = sum(isinstance(t, threading.Timer) for t in threading.enumerate())
    QuietHost()
    assert sum(isinstance(t, threading.Timer) for t in threading.enumerate()) == timers
    assert threading.active_count() >= before


def test_unobserved_fact_aborts_a_raw_batch_but_not_ours() -> None:
    fired: list[str] = []
    raw = QuietHost()
    name = _name()
    raw.register_rulesets({name: {"r": {"all": [{"m": {"kind": "x"}}], "run": lambda c: fired.append(c.m.id)}}})
    with pytest.raises(durable.MessageNotHandledException):
        raw.assert_facts(name, [{"sid": "1", "id": "a", "kind": "x"}, {"sid": "1", "id": "b", "kind": "nobody"}])
    assert fired == []  # the batch's actions were lost

    ours = Runtime()
    seen: list[str] = []
    ours.ensure(name, {"r": {"all": [{"gate": {"kind": "$go"}}, {"m": {"kind": "x"}}]}})
    ours.run(name, [{"id": "a", "kind": "x"}, {"id": "b", "kind": "nobody"}],
             lambda rule, m: seen.append(m["m"]["id"]) or [])
    assert seen == ["a"]


def test_identical_fact_twice_raises_in_raw_durable() -> None:
    raw = QuietHost()
    name = _name()
    raw.register_rulesets({name: {"r": {"all": [{"m": {"kind": "x"}}], "run": lambda c: None}}})
    raw.assert_fact(name, {"sid": "1", "id": "a", "kind": "x"})
    with pytest.raises(durable.MessageObservedException):
        raw.assert_fact(name, {"sid": "1", "id": "a", "kind": "x"})


def test_derived_facts_are_deduplicated_before_assertion() -> None:
    ours = Runtime()
    name = _name()
    ours.ensure(name, {"derive": {"all": [{"gate": {"kind": "$go"}}, {"m": {"kind": "x"}}]},
                       "seen": {"all": [{"gate": {"kind": "$go"}}, {"d": {"kind": "d"}}]}})
    asserted: set[str] = set()
    derived_seen: list[str] = []

    def on_fire(rule: str, matched: dict[str, Any]) -> list[dict[str, Any]]:
        if rule == "seen":
            derived_seen.append(matched["d"]["id"])
            return []
        # both x facts derive the same fact: the caller de-duplicates, as evaluate does
        if "d1" in asserted:
            return []
        asserted.add("d1")
        return [{"id": "d1", "kind": "d"}]

    ours.run(name, [{"id": "a", "kind": "x"}, {"id": "b", "kind": "x"}], on_fire)
    assert derived_seen == ["d1"]


def test_false_already_observed_is_retried_with_a_salt(monkeypatch: pytest.MonkeyPatch) -> None:
    """Injected: durable_rules reports a never-seen fact as observed once; ours retries it salted."""
    ours = Runtime()
    name = _name()
    ours.ensure(name, {"r": {"all": [{"gate": {"kind": "$go"}}, {"m": {"kind": "x"}}]}})
    ruleset = ours.host.get_ruleset(name)
    real = ruleset.assert_fact
    failures = {"left": 2}  # once in the batch, once more when asserted alone

    def flaky(fact: dict[str, Any]) -> Any:
        if fact.get("id") == "b" and failures["left"]:
            failures["left"] -= 1
            raise durable.MessageObservedException(fact)
        return real(fact)

    real_batch = ruleset.assert_facts

    def flaky_batch(facts: list[dict[str, Any]]) -> Any:
        if any(f.get("id") == "b" for f in facts) and failures["left"]:
            failures["left"] -= 1
            raise durable.MessageObservedException(facts)
        return real_batch(facts)

    monkeypatch.setattr(ruleset, "assert_fact", flaky)
    monkeypatch.setattr(ruleset, "assert_facts", flaky_batch)
    seen: list[str] = []
    ours.run(name, [{"id": "a", "kind": "x"}, {"id": "b", "kind": "x"}],
             lambda rule, m: seen.append(fact_id(m["m"])) or [])
    assert sorted(seen) == ["a", "b"]
    assert ours.salted == 1


def test_a_state_holds_one_fact_per_id_so_a_retry_needs_a_new_id() -> None:
    """Measured: a second fact with an id already held is refused whatever its content; a new id is not."""
    ours = Runtime()
    name = _name()
    ours.ensure(name, {"r": {"all": [{"gate": {"kind": "$go"}}, {"m": {"kind": "x"}}]}})
    sid = "one-id"
    ours.host.assert_fact(name, {"sid": sid, "id": "a", "kind": "x", "v": 1})
    for other in ({"v": 2}, {"v": 1, "$salt": "0f"}):
        with pytest.raises(durable.MessageObservedException):
            ours.host.assert_fact(name, {"sid": sid, "id": "a", "kind": "x", **other})
    ours.host.assert_fact(name, {"sid": sid, "id": "a#0f", "$id": "a", "kind": "x", "v": 1})
    assert sorted(fact_id(f) for f in ours.host.get_facts(name, sid)) == ["a", "a"]
    ours.update(name, sid, lambda rule, m: [], gates=["$go"])  # an action runs, so the state can be deleted
    ours.drop(name, sid)


def test_exception_in_a_consequent_is_swallowed_raw_but_raised_by_ours() -> None:
    raw = QuietHost()
    name = _name()

    def boom(c: Any) -> None:
        raise ValueError("kaboom")

    raw.register_rulesets({name: {"r": {"all": [{"m": {"kind": "x"}}], "run": boom}}})
    state = raw.assert_fact(name, {"sid": "1", "id": "a", "kind": "x"})
    assert state is None or "exception" in str(raw.get_state(name, "1"))  # swallowed, not raised

    ours = Runtime()
    ours.ensure(name + "o", {"r": {"all": [{"gate": {"kind": "$go"}}, {"m": {"kind": "x"}}]}})

    def fail(rule: str, matched: dict[str, Any]) -> list[dict[str, Any]]:
        raise ValueError("kaboom")

    with pytest.raises(RuntimeFault) as caught:
        ours.run(name + "o", [{"id": "a", "kind": "x"}], fail)
    assert "kaboom" in str(caught.value) and "'r'" in str(caught.value)


def test_negation_is_order_dependent_raw_but_not_behind_the_gate() -> None:
    """Without the gate, a `not` join fires on whichever fact arrives first (measured on 2.0.28)."""
    fired: list[str] = []
    raw = QuietHost()
    name = _name()
    rule = {"all": [{"a": {"kind": "x"}}, {"n$not": {"$and": [{"kind": "y"}, {"s": {"a": "s"}}]}}],
            "run": lambda c: fired.append(c.a.id)}
    raw.register_rulesets({name: {"r": rule}})
    raw.assert_facts(name, [{"sid": "1", "id": "x1", "kind": "x", "s": 1}, {"sid": "1", "id": "y1", "kind": "y", "s": 1}])
    assert fired == ["x1"]  # wrong: y1 with the same s exists

    ours = Runtime()
    gated = {"all": [{"gate": {"kind": "$go"}}, {"a": {"kind": "x"}},
                     {"n$not": {"$and": [{"kind": "y"}, {"s": {"a": "s"}}]}}]}
    ours.ensure(name + "g", {"r": gated})
    seen: list[str] = []
    ours.run(name + "g", [{"id": "x1", "kind": "x", "s": 1}, {"id": "y1", "kind": "y", "s": 1}],
             lambda r, m: seen.append(m["a"]["id"]) or [])
    assert seen == []


RAW_DELETE = """
from durable import engine as e
class Q(e.Host):
    def _run(self): pass
h = Q()
rule = {"all": [{"gate": {"kind": "$go"}}, {"a": {"kind": "x"}}, {"n$not": {"kind": "y"}}], "run": lambda c: None}
h.register_rulesets({"g": {"r": rule}})
h.assert_facts("g", [{"sid": "1", "id": "x1", "kind": "x"}, {"sid": "1", "id": "y1", "kind": "y"},
                     {"sid": "1", "id": "$go", "kind": "$go"}])
h.delete_state("g", "1")
print("deleted")
"""


def test_deleting_a_state_where_no_action_ran_crashes_raw_durable_but_not_ours() -> None:
    import subprocess
    import sys

    raw = subprocess.run([sys.executable, "-c", RAW_DELETE], capture_output=True, text=True, timeout=60)
    assert raw.returncode != 0 and "deleted" not in raw.stdout  # killed by a signal, measured on 2.0.28
    ours = Runtime()
    name = _name()
    ours.ensure(name, {"r": {"all": [GATE, {"a": {"kind": "x"}}, {"n$not": {"kind": "y"}}]}})
    for _ in range(3):
        ours.run(name, [{"id": "x1", "kind": "x"}, {"id": "y1", "kind": "y"}], lambda r, m: [])


RAW_EXPONENT = """
from durable import engine as e
class Q(e.Host):
    def _run(self): pass
h = Q()
h.register_rulesets({"g": {"r": {"all": [{"a": {"$lt": {"v": 1}}}], "run": lambda c: print("fired", flush=True)}}})
h.assert_fact("g", {"sid": "1", "id": "x", "v": 1e-05})
print("survived")
"""


def test_exponent_floats_crash_raw_durable_but_are_written_out_in_full_for_ours() -> None:
    import json
    import subprocess
    import sys

    from durable import engine as durable

    from engine.compiler import durable_record, durable_value
    from engine.durable_json import dumps

    raw = subprocess.run([sys.executable, "-c", RAW_EXPONENT], capture_output=True, text=True, timeout=60)
    assert raw.returncode != 0 and "survived" not in raw.stdout  # SIGSEGV, measured on 2.0.28
    assert durable.json is json  # importing the engine changes nothing in durable_rules
    record = durable_record("sig-1e5", "k", "s", {"v": 1e-05, "w": 1e20, "u": 2.5, "n": 3})
    assert dumps(record) == '{"id": "sig-1e5", "kind": "k", "subject": "s", "v": 0.00001, ' \
        '"w": 100000000000000000000.0, "u": 2.5, "n": 3}'
    assert dumps([durable_value(3e-10), durable_value(-1.5e-05)]) == "[0.0000000003, -0.000015]"
    ours = Runtime()
    name = _name()
    # rule literals in exponent notation too: durable_rules refuses such a ruleset (error 204) when stock
    # json writes it
    tests = {"small": {"$and": [{"$gt": {"v": durable_value(1e-06)}}, {"$lt": {"v": durable_value(2e-05)}}]},
             "exact": {"v": durable_value(1e-05)},
             "large": {"$gte": {"w": durable_value(1e19)}},
             "too-large": {"$gt": {"w": durable_value(1e21)}}}
    ours.ensure(name, {key: {"all": [GATE, {"a": test}]} for key, test in tests.items()})
    seen: list[str] = []
    ours.run(name, [record], lambda r, m: seen.append(f"{r}:{m['a']['id']}") or [])
    assert sorted(seen) == ["exact:sig-1e5", "large:sig-1e5", "small:sig-1e5"]


def test_state_ids_are_digits_only() -> None:
    from engine.runtime import state_id

    ids = {state_id() for _ in range(200)}
    assert len(ids) == 200 and all(sid.isdigit() for sid in ids)


# durable_rules' size limits (measured on 2.0.28; engine.limits says where each comes from). One script,
# run in a subprocess because the edges crash or hang the process: SHAPE, N, the fact's value of v.
RAW_LIMITS = """
import sys
from durable import engine as e
class Q(e.Host):
    def _run(self): pass
shape, n, v = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def pattern(i):
    if shape == "shared":  # n rules whose pattern is the same test
        return {"$and": [{"kind": "x"}, {"v": 0}]}
    if shape == "ors":  # one rule: kind x and n disjunctions, each true of the fact
        return {"$and": [{"kind": "x"}, *({"$or": [{"kind": "x"}, {"v": -j}]} for j in range(n))]}
    if shape == "kinds":  # n rules, 100 to a kind
        return {"$and": [{"kind": f"k{i // 100}"}, {"v": i % 100}]}
    if shape == "in":  # one rule, one test: v in n values
        return {"$and": [{"kind": "x"}, {"$or": [{"v": value} for value in range(n)]}]}
    test = {"v": i} if shape == "eq" else {"$" + shape: {"v": i}}
    return {"$and": [{"kind": "x"}, test]}
count = 1 if shape in ("in", "ors") else n
h = Q()
try:
    h.register_rulesets({"g": {f"r{i}": {"all": [{"m": pattern(i)}], "run": lambda c: None} for i in range(count)}})
except Exception as error:
    sys.exit(f"error {error}")
print("registered", flush=True)
try:
    h.assert_fact("g", {"sid": "1", "id": "x", "kind": "k0" if shape == "kinds" else "x", "v": v})
    print("asserted", flush=True)
except Exception as error:
    print("error", error, flush=True)
h.delete_state("g", "1")
print("deleted", flush=True)
"""


def _raw_limit(shape: str, n: int, value: int, timeout: float = 2.0) -> tuple[int | None, str]:
    """Run the raw script: its exit code (None when still running at `timeout`) and its output."""
    import subprocess
    import sys

    try:
        done = subprocess.run([sys.executable, "-c", RAW_LIMITS, shape, str(n), str(value)],
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as spinning:
        out = spinning.stdout or b""
        return None, out.decode() if isinstance(out, bytes) else out
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize(("shape", "value"), [("gte", 100), ("lt", -1), ("neq", -1), ("gt", 100), ("lte", -1)])
def test_a_fact_may_satisfy_at_most_64_tests_below_one_node_in_raw_durable(shape: str, value: int) -> None:
    """64 rules `v OP i` that all match one fact work; a 65th overflows the alpha stack: error 303, and
    deleting the state then crashes the process (measured: SIGSEGV; through a Host's cleanup, SIGABRT)."""
    assert _raw_limit(shape, 64, value) == (0, "registered\nasserted\ndeleted\n")
    code, out = _raw_limit(shape, 65, value)
    assert "error code: 303" in out and "deleted" not in out and code != 0


def test_one_node_holds_at_most_511_tests_in_raw_durable() -> None:
    """Equality on one field: 511 values work (one matches); 512 fill the node's 512-slot hash table and
    asserting any fact spins forever."""
    assert _raw_limit("eq", 511, 7) == (0, "registered\nasserted\ndeleted\n")
    assert _raw_limit("eq", 512, 7) == (None, "registered\n")


def test_a_513th_test_below_one_node_spins_at_registration_in_raw_durable() -> None:
    assert _raw_limit("eq", 513, 7) == (None, "")


def test_an_in_test_of_512_values_spins_in_raw_durable() -> None:
    """`in:` compiles to $or, one test per value below the same node: the same 511 limit."""
    assert _raw_limit("in", 511, 7) == (0, "registered\nasserted\ndeleted\n")
    assert _raw_limit("in", 512, 7) == (None, "registered\n")


def test_at_most_255_rules_share_one_pattern_in_raw_durable() -> None:
    """A test node lists the rules it feeds in 256 slots, read past their end when full: 255 rules with
    the same pattern work, 256 crash the process when a fact is asserted (SIGSEGV), 257 fail with error 108
    when the ruleset is registered. In our rulesets the shared pattern is the gate."""
    assert _raw_limit("shared", 255, 0) == (0, "registered\nasserted\ndeleted\n")
    assert _raw_limit("shared", 256, 0) == (-11, "registered\n")
    assert _raw_limit("shared", 257, 0) == (1, "error Could not create ruleset, error code: 108\n")


def test_a_ruleset_holds_at_most_4096_rules_in_raw_durable() -> None:
    assert _raw_limit("kinds", 4096, 0) == (0, "registered\nasserted\ndeleted\n")
    assert _raw_limit("kinds", 4097, 0) == (1, "error Could not create ruleset, error code: 106\n")


OURS_AT_THE_LIMIT = """
from engine.errors import RuntimeFault
from engine.runtime import GATE, Runtime
ours = Runtime()
ours.ensure("g", {f"r{i}": {"all": [GATE, {"m": {"$and": [{"kind": "x"}, {"$gte": {"v": i}}]}}]} for i in range(65)})
for attempt in range(2):
    try:
        ours.run("g", [{"id": "x", "kind": "x", "v": 100}], lambda rule, m: [])
    except RuntimeFault as fault:
        print(fault.problems[0].code, "error code: 303" in str(fault), flush=True)
try:
    # with the sink and end rules the runtime adds, 4,097 rules
    ours.ensure("big", {f"r{i}": {"all": [{"m": {"$and": [{"kind": f"k{i // 100}"}, {"v": i % 100}]}}]}
                        for i in range(4095)})
except RuntimeFault as fault:
    print(fault.problems[0].code, "error code: 106" in str(fault), flush=True)
print("survived")
"""


def test_past_a_limit_ours_fails_the_run_and_survives() -> None:
    """Should a ruleset exceed a limit after all (the compiler splits them: tests/test_limits.py), the run
    fails with RuntimeFault and the state is not deleted, which would crash the process."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", OURS_AT_THE_LIMIT], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, "engine-failed True\n" * 3 + "survived\n"), done.stderr


def test_a_pattern_is_at_most_31_operations_in_raw_durable() -> None:
    """Each $and and $or takes two places in a pattern's sequence of 32, and the 32nd fails: the $and of
    14 disjunctions is 30 places, of 15 it is 32."""
    assert _raw_limit("ors", 14, 0) == (0, "registered\nasserted\ndeleted\n")
    assert _raw_limit("ors", 15, 0) == (1, "error Could not create ruleset, error code: 113\n")
