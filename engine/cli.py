"""The `commitments` command: argument parsing, error printing, exit codes — the only module that prints.

Exit codes: 0 done; 1 a guardrail is violated; 2 bad input (one `file:line:col: code: message` line per
problem, never a traceback); 3 an internal failure of the engine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from engine.errors import EXIT_GUARDRAIL, EXIT_INTERNAL, EXIT_OK, EngineError, InputError, Location
from engine.evaluate import evaluate
from engine.model import Fact, Pack
from engine.render import RENDERERS
from engine.validate import load_facts, load_pack

DEFAULT_RULES = Path("rules")
DEFAULT_FACTS = Path("facts")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise InputError.one("usage", f"{message} (see 'commitments {self.prog.split()[-1]} --help')",
                             Location("commitments"))


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD; found {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="commitments", description="Conditional-commitment rules over observed facts.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    evaluate_cmd = commands.add_parser("evaluate", help="what the argument recommends, given the facts")
    evaluate_cmd.add_argument("paths", nargs="*", type=Path,
                              help="fact files or folders (default: the *.yaml directly in facts/)")
    evaluate_cmd.add_argument("--rules", type=Path, default=DEFAULT_RULES, help="the rule pack folder")
    evaluate_cmd.add_argument("--as-of", type=_date, default=None, help="evaluate as of this date (default today)")
    evaluate_cmd.add_argument("--format", choices=sorted(RENDERERS), default="text")
    check_cmd = commands.add_parser("check", help="validate the pack and fact files without evaluating")
    check_cmd.add_argument("paths", nargs="*", type=Path)
    check_cmd.add_argument("--rules", type=Path, default=DEFAULT_RULES)
    return parser


def _inputs(rules: Path, paths: list[Path]) -> tuple[Pack, list[Fact]]:
    pack = load_pack(rules)
    return pack, load_facts(paths or [DEFAULT_FACTS], pack)


def _evaluate(args: argparse.Namespace) -> int:
    pack, facts = _inputs(args.rules, args.paths)
    evaluation = evaluate(pack, facts, args.as_of or dt.date.today())
    print(RENDERERS[args.format](evaluation, pack))
    return EXIT_OK if evaluation.ok else EXIT_GUARDRAIL


def _check(args: argparse.Namespace) -> int:
    from engine.compiler import compile_pack

    pack, facts = _inputs(args.rules, args.paths)
    compiled = compile_pack(pack)
    rules = sum(len(s.rules) for s in compiled.strata)
    print(f"ok: pack {pack.name} {pack.version}: {len(pack.rules)} rules → {rules} Rete rules in "
          f"{len(compiled.strata)} strata; {len(facts)} facts valid")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        return {"evaluate": _evaluate, "check": _check}[args.command](args)
    except EngineError as error:
        for line in error.lines():
            print(line, file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # noqa: BLE001 - the promise is: never a traceback
        print(f"commitments: internal error: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
