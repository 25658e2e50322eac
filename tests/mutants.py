"""Mutation testing of the compiler, the rules of evidence and the guardrails (`make mutants`).

Each mutant is one small change to engine/compiler.py, engine/evidence.py or engine/guardrails.py: an
operator or constant flipped (generated from the module's syntax tree, so new code is covered without
editing this file), or one of a fixed list of hand-written changes to what the syntax tree cannot reach
(the negation table, De Morgan, which facts supersede which). The test suite, less the tests that never
reach these modules, runs against each mutant in a copy of the repository; a mutant is killed when a test
fails (or the run exceeds its timeout). Survivors known to be equivalent (no input can tell them apart
from the original) are listed below with the reason; any other survivor makes the run exit 1.

Not part of `make test`: it takes about 20 minutes on two cores.

    .venv/bin/python tests/mutants.py [--jobs N] [--only TEXT] [--list]
"""

from __future__ import annotations

import argparse
import ast
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULES = ("engine/compiler.py", "engine/evidence.py", "engine/guardrails.py")
# Fastest-failing first: the tests written against these mutants; then every other test file but those
# that only reach the loader or the audit store (so a new test file joins without editing this one).
FIRST = ("test_mutants_compiler.py", "test_second_pack.py", "test_freshness.py", "test_guardrail_failures.py",
         "test_semantics.py", "test_bad_inputs.py")
UNRELATED = {"test_store_faults.py", "test_yaml_paths.py", "test_loading_errors.py", "test_entry.py", "test_schema.py"}
TIMEOUT = 300  # seconds; a mutant that makes the suite hang is killed

# Changes the syntax-tree operators do not make: (module, text, replacement). Each text occurs once.
HAND = [
    ("engine/compiler.py", '"lt": "gte"', '"lt": "gt"'),
    ("engine/compiler.py", '"gte": "lt"', '"gte": "lte"'),
    ("engine/compiler.py", '"lte": "gt"', '"lte": "gte"'),
    ("engine/compiler.py", '"gt": "lte"', '"gt": "lt"'),
    ("engine/compiler.py", '{"eq": "ne"', '{"eq": "eq"'),
    ("engine/compiler.py", '"ne": "eq",', '"ne": "ne",'),
    ("engine/compiler.py", '"lt": "$lt"', '"lt": "$lte"'),
    ("engine/compiler.py", '"gte": "$gte"', '"gte": "$gt"'),
    ("engine/compiler.py", 'return {"$and": [{"$neq"', 'return {"$or": [{"$neq"'),
    ("engine/compiler.py", 'return {"$or": [{test.field', 'return {"$and": [{test.field'),
    ("engine/compiler.py", '{"$or": negated}', '{"$and": negated}'),
    ("engine/compiler.py", "if cond.tests else []", "if cond.tests else [(Literal(cond, positive=False),)]"),
    ("engine/compiler.py", "return _and([self.false(c) for c in cond.any])",
     "return [c for part in cond.any for c in self.false(part)]"),
    ("engine/compiler.py", "return [c for part in cond.all for c in self.false(part)]",
     "return _and([self.false(c) for c in cond.all])"),
    ("engine/compiler.py", "return self.false(cond.not_)", "return self.true(cond.not_)"),
    ("engine/compiler.py", "return [(Literal(cond.none),)]", "return [(Literal(cond.none, positive=False),)]"),
    ("engine/compiler.py", "return [(Literal(cond, positive=False),)]\n", "return []\n"),
    ("engine/compiler.py", "[[group]] if kind in state else _partitions(group)", "[[group]]"),
    ("engine/compiler.py", "[[group]] if kind in state else _partitions(group)", "[[[lit] for lit in group]]"),
    ("engine/compiler.py", 'gate = f"{GATE_KIND}|{name}" if negated else GATE_KIND', "gate = GATE_KIND"),
    ("engine/evidence.py", "return fact.observed, fact.recorded or fact.observed, fact.id",
     "return fact.observed, fact.observed, fact.id"),
    ("engine/evidence.py", "return (fact.kind, fact.subject, *(", "return (fact.kind, fact.kind, *("),
    ("engine/evidence.py", "return (fact.kind, fact.subject, *(", "return (fact.subject, fact.subject, *("),
    ("engine/evidence.py", "for k in kind.key))", "for k in ()))"),
    ("engine/evidence.py", "    if fact.valid_until is not None:\n        return fact.valid_until\n", ""),
    ("engine/evidence.py", "days=kind.valid_for)", "days=kind.valid_for - 1)"),
    ("engine/guardrails.py", "{str(d.value) for d in derived if d.kind == guard.kind}",
     "{str(d.value) for d in derived}"),
    ("engine/guardrails.py", "kinds |= {d.kind for d in derived if d.id in response.derived}", "kinds |= set()"),
    ("engine/guardrails.py", "kinds = {facts[f].kind for f in response.facts if f in facts}", "kinds = set()"),
    ("engine/guardrails.py", "traded = {rid:", "traded = {} and {rid:"),
    ("engine/guardrails.py", "states.setdefault((d.kind, d.subject)", "states.setdefault((d.kind, d.kind)"),
]

# Survivors no input can tell from the original: mutant name → why.
EQUIVALENT: dict[str, str] = {
    "engine/compiler.py: _definition: alias is None or alias in bound  →  alias is None and alias in bound":
        "the first unaliased pattern is named `null` instead of `p0`, a label no rule reads (an alias is never "
        "bound twice: validation puts a ref after its alias); only a user alias spelt `null` could clash",
    "engine/compiler.py: _origin: line.isdigit() and rest.isdigit()  →  line.isdigit() or rest.isdigit()":
        "a rule's origin is always file:line:col, written by the pack loader: both parts are digits or neither",
    "engine/compiler.py: _partitions: len(items) > 6  →  len(items) > 7":
        "the bound only spares listing the 877 ways of 7 tests, which the cap on alternatives refuses anyway",
    "engine/compiler.py: compile_pack: default=0  →  default=1":
        "only a pack without rules gets a second, empty stratum; nothing runs in it",
    "engine/compiler.py: compile_pack: max(strata_of.values(), default=0) + 1  →  max(strata_of.values(), "
    "default=0) + 2":
        "one more, empty stratum at the end; nothing runs in it",
    "engine/compiler.py: visit: depth[rule] = 0  →  depth[rule] = 1":
        "the placeholder only guards a cycle, and derivations within a stratum do not cycle; it is overwritten "
        "before it is read",
    "engine/compiler.py: visit: [0]  →  [1] (#2)":
        "every depth moves up by one, the rules deriving nothing included: sorted by depth, the order is the same",
    "engine/compiler.py: CompiledRule: timed: bool = False  →  timed: bool = True":
        "only guardrail probes take the default; re-opening a probe when the clock moves re-asserts the shared "
        "gate, and durable_rules fires the same activations again (recorded under the same keys)",
    "engine/compiler.py: CompiledPack: clocked: bool = False  →  clocked: bool = True":
        "compile_pack always passes whether a rule uses the clock; the default is never read",
    "engine/compiler.py: _shifted: days > 0  →  days >= 0": "0 days returned the operand unshifted just before",
    "engine/evidence.py: at: strict=True  →  strict=False": "facts and their notes are one list each, of one length",
    "engine/evidence.py: at: at + 1  →  at + 2": "re-examines one more neighbour, whose successor did not change",
    "engine/evidence.py: at: at - 1  →  at - 2": "re-examines one more neighbour, whose successor did not change",
    "engine/evidence.py: at: at - 1  →  at - 2 (#2)": "re-examines one more neighbour, whose successor did not "
                                                     "change",
    "engine/evidence.py: at: -2  →  -3": "re-examines one more fact than can change; it is set again to the same note",
    "engine/evidence.py: at: -2  →  -3 (#2)": "re-examines one more fact than can change; it is set again to the "
                                             "same note",
    "engine/evidence.py: <module>: 1 << 62  →  2 << 62": "_LAST only has to exceed every fact's index",
    "engine/evidence.py: <module>: 1 << 62  →  1 << 63": "_LAST only has to exceed every fact's index",
}


@dataclass(frozen=True)
class Mutant:
    module: str
    name: str  # stable across runs: the module, the change, and which occurrence of it
    source: str  # the whole mutated module
    line: int = 0  # where the change is, in the module as it is today


def _swap(node: ast.AST) -> list[ast.AST]:
    """The operator and constant changes of one syntax-tree node."""
    flips: dict[type, type] = {ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.LtE, ast.LtE: ast.Lt,
                               ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.In: ast.NotIn, ast.NotIn: ast.In,
                               ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.And: ast.Or, ast.Or: ast.And,
                               ast.Add: ast.Sub, ast.Sub: ast.Add}
    if isinstance(node, ast.Compare):
        return [ast.Compare(node.left, [flips[type(op)]() if i == at else op for i, op in enumerate(node.ops)],
                            node.comparators) for at in range(len(node.ops))]
    if isinstance(node, ast.BoolOp):
        return [ast.BoolOp(flips[type(node.op)](), node.values)]
    if isinstance(node, ast.BinOp) and type(node.op) in flips:
        return [ast.BinOp(node.left, flips[type(node.op)](), node.right)]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return [node.operand]
    if isinstance(node, ast.Constant) and type(node.value) is bool:
        return [ast.Constant(not node.value)]
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return [ast.Constant(node.value + 1)]
    return []


def _sites(tree: ast.Module) -> Iterator[tuple[ast.AST, str, ast.AST]]:
    """(parent, field, node) of every node worth mutating; decorators and annotations are left alone."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            skip |= {id(n) for d in node.decorator_list for n in ast.walk(d)}
        if isinstance(node, ast.AnnAssign | ast.arg | ast.FunctionDef) and getattr(node, "annotation", None):
            skip |= {id(n) for n in ast.walk(node.annotation)}  # type: ignore[union-attr]
        if isinstance(node, ast.FunctionDef) and node.returns:
            skip |= {id(n) for n in ast.walk(node.returns)}
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, ast.AST) and id(child) not in skip and _swap(child):
                    yield parent, field, child


def _replace(parent: ast.AST, field: str, old: ast.AST, new: ast.AST) -> None:
    value = getattr(parent, field)
    if isinstance(value, list):
        value[value.index(old)] = new
    else:
        setattr(parent, field, new)


def _owners(tree: ast.Module) -> dict[int, str]:
    """The name of the function (or class, or module level) each node is in."""
    owner: dict[int, str] = {}

    def visit(node: ast.AST, name: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, ast.FunctionDef | ast.ClassDef) else name
            owner[id(child)] = inner
            visit(child, inner)

    visit(tree, "<module>")
    return owner


def generated(module: str) -> Iterator[Mutant]:
    """Named by function and change (`#n` for its n-th occurrence there), so that names survive edits elsewhere."""
    text = (ROOT / module).read_text(encoding="utf-8")
    count = len([m for site in _sites(ast.parse(text)) for m in _swap(site[2])])
    seen: dict[str, int] = {}
    for number in range(count):
        tree = ast.parse(text)
        owners = _owners(tree)
        changes = [(p, f, n, m) for p, f, n in _sites(tree) for m in _swap(n)]
        parent, field, node, new = changes[number]
        shown = parent if isinstance(node, ast.Constant) else node  # a bare `0 → 1` says too little
        before = ast.unparse(shown)
        line = getattr(node, "lineno", 0)
        _replace(parent, field, node, new)
        label = f"{owners[id(node)]}: {before}  →  {ast.unparse(new if shown is node else parent)}"
        seen[label] = seen.get(label, 0) + 1
        suffix = f" (#{seen[label]})" if seen[label] > 1 else ""
        yield Mutant(module, f"{module}: {label}{suffix}", ast.unparse(tree), line)


def hand_written() -> Iterator[Mutant]:
    for module, old, new in HAND:
        text = (ROOT / module).read_text(encoding="utf-8")
        if text.count(old) != 1:
            raise SystemExit(f"tests/mutants.py: {module} no longer holds {old!r} exactly once; update HAND")
        line = text[:text.index(old)].count("\n") + 1
        yield Mutant(module, f"{module}: {old.strip()}  →  {new.strip()}", text.replace(old, new), line)


def mutants() -> list[Mutant]:
    return [m for module in MODULES for m in generated(module)] + list(hand_written())


def _copy(target: Path) -> Path:
    ignore = shutil.ignore_patterns(".venv", ".git", ".commitments", ".hypothesis", "reports", "__pycache__",
                                    "*.egg-info", "build", ".pytest_cache", ".mypy_cache", ".ruff_cache")
    return Path(shutil.copytree(ROOT, target, ignore=ignore))


def _tests(copy: Path) -> list[str]:
    rest = sorted(p.name for p in (copy / "tests").glob("test_*.py") if p.name not in {*FIRST, *UNRELATED})
    return [*FIRST, *rest]


def _run(copy: Path, mutant: Mutant | None) -> tuple[str, float]:
    """'killed', 'survived' or 'timeout', and the seconds it took."""
    target = copy / (mutant.module if mutant else MODULES[0])
    original = target.read_text(encoding="utf-8")
    if mutant:
        target.write_text(mutant.source, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(copy), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
               *(f"tests/{name}" for name in _tests(copy))]
    start = time.monotonic()
    try:
        done = subprocess.run(command, cwd=copy, env=env, capture_output=True, timeout=TIMEOUT, check=False)
        verdict = "survived" if done.returncode == 0 else "killed"
    except subprocess.TimeoutExpired:
        verdict = "timeout"
    finally:
        target.write_text(original, encoding="utf-8")
    return verdict, time.monotonic() - start


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--only", action="append", default=[],
                        help="run only the mutants whose name contains this text (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    args = parser.parse_args(argv)
    chosen = [m for m in mutants() if not args.only or any(text in m.name for text in args.only)]
    if args.list:
        print("\n".join(f"line {m.line:<4} {m.name}" for m in chosen))
        return 0
    with tempfile.TemporaryDirectory(prefix="mutants-") as folder:
        copies: queue.Queue[Path] = queue.Queue()
        for n in range(max(args.jobs, 1)):
            copies.put(_copy(Path(folder) / f"copy{n}"))
        probe = copies.get()
        if _run(probe, None)[0] != "survived":
            print("the tests fail without any mutant; fix them first", file=sys.stderr)
            return 3
        copies.put(probe)

        def run(mutant: Mutant) -> tuple[Mutant, str, float]:
            copy = copies.get()
            try:
                return (mutant, *_run(copy, mutant))
            finally:
                copies.put(copy)

        survivors, killed = [], 0
        with ThreadPoolExecutor(max_workers=max(args.jobs, 1)) as pool:
            for mutant, verdict, seconds in pool.map(run, chosen):
                print(f"{verdict:8} {seconds:5.0f}s  line {mutant.line:<4} {mutant.name}", flush=True)
                if verdict == "survived":
                    survivors.append(mutant)
                else:
                    killed += 1
    unexplained = [m for m in survivors if m.name not in EQUIVALENT]
    print(f"\nscore: {killed}/{len(chosen)} killed; {len(survivors) - len(unexplained)} survivors equivalent, "
          f"{len(unexplained)} not")
    for mutant in survivors:
        print(f"  survived: {mutant.name}" + (f"  (equivalent: {EQUIVALENT[mutant.name]})"
                                              if mutant.name in EQUIVALENT else ""))
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
