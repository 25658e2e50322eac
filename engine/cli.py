"""The `commitments` command: argument parsing, error printing, exit codes — the only module that prints.

Exit codes: 0 done; 1 a guardrail is violated (`audit verify`: the chain is broken; `audit replay`: the
result differs); 2 bad input (one `file:line:col: code: message` line per problem, never a traceback);
3 an internal failure of the engine, or the audit store cannot be used (busy past its timeout, read-only,
not a database, damaged) — then an evaluation that could not be recorded is not reported either.

`evaluate` records every run in the audit store (`engine.audit`) after evaluating and before printing,
unless `--no-audit`; bad input records nothing, a guardrail violation is recorded like any result.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from engine import audit, replay, trail
from engine.errors import EXIT_GUARDRAIL, EXIT_INTERNAL, EXIT_OK, EngineError, InputError, Location
from engine.evaluate import evaluate
from engine.model import Fact, Pack
from engine.record import AuditFilter, entry_for
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
    evaluate_cmd.add_argument("--no-audit", action="store_true", help="do not record this run in the audit store")
    evaluate_cmd.add_argument("--audit-db", type=Path, default=None, help=AUDIT_DB_HELP)
    check_cmd = commands.add_parser("check", help="validate the pack and fact files without evaluating")
    check_cmd.add_argument("paths", nargs="*", type=Path)
    check_cmd.add_argument("--rules", type=Path, default=DEFAULT_RULES)
    _audit_parser(commands)
    return parser


AUDIT_DB_HELP = f"the audit store (default ${audit.ENV_VAR}, else {audit.DEFAULT_PATH} in this folder)"


def _audit_parser(commands: argparse._SubParsersAction[_Parser]) -> None:
    store = _Parser(add_help=False)
    store.add_argument("--audit-db", type=Path, default=None, help=AUDIT_DB_HELP)
    audit_cmd = commands.add_parser("audit", help="the recorded evaluations: list, show, verify, replay, export")
    actions = audit_cmd.add_subparsers(dest="action", required=True, parser_class=_Parser)
    listing = actions.add_parser("list", parents=[store], help="the recorded runs, oldest first")
    listing.add_argument("--from", dest="recorded_from", type=_date, help="recorded on or after (UTC date)")
    listing.add_argument("--to", dest="recorded_to", type=_date, help="recorded on or before (UTC date)")
    listing.add_argument("--response", help="only runs that recommended this response id")
    listing.add_argument("--rule", help="only runs in which this rule fired")
    listing.add_argument("--format", choices=("text", "json"), default="text")
    for name, text in (("show", "one run's trail: facts → rules → responses, with citations"),
                       ("replay", "re-evaluate a run's recorded pack and facts; identical or how it differs")):
        actions.add_parser(name, parents=[store], help=text).add_argument("run", help="a run id or its unique prefix")
    actions.add_parser("verify", parents=[store], help="check the hash chain; name the first bad record")
    export = actions.add_parser("export", parents=[store], help="one run's whole record")
    export.add_argument("run", help="a run id or its unique prefix")
    export.add_argument("--format", choices=("json", "markdown"), default="json")


def _inputs(rules: Path, paths: list[Path]) -> tuple[Pack, list[Fact]]:
    pack = load_pack(rules)
    return pack, load_facts(paths or [DEFAULT_FACTS], pack)


def _evaluate(args: argparse.Namespace) -> int:
    pack, facts = _inputs(args.rules, args.paths)
    evaluation = evaluate(pack, facts, args.as_of or dt.date.today())
    if not args.no_audit:
        with audit.AuditStore.open(audit.audit_path(args.audit_db)) as store:
            store.append(entry_for(evaluation, pack, facts))
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


def _audit(args: argparse.Namespace) -> int:
    with audit.AuditStore.open(audit.audit_path(args.audit_db), create=False) as store:
        if args.action == "list":
            where = AuditFilter(recorded_from=args.recorded_from, recorded_to=args.recorded_to,
                                response=args.response, rule=args.rule)
            found = store.find(where)
            print(trail.list_json(found) if args.format == "json" else trail.render_list(found, len(store.find())))
            return EXIT_OK
        if args.action == "verify":
            verification = store.verify()
            print(trail.render_verification(verification))
            return EXIT_OK if verification.ok else EXIT_GUARDRAIL
        record = store.get(args.run)
    if args.action == "show":
        print(trail.render_show(record))
        return EXIT_OK
    if args.action == "export":
        print(trail.export_json(record) if args.format == "json" else trail.export_markdown(record), end="")
        return EXIT_OK
    replayed = replay.replay(record)
    print(trail.render_replay(replayed))
    return EXIT_OK if replayed.identical else EXIT_GUARDRAIL


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        return {"evaluate": _evaluate, "check": _check, "audit": _audit}[args.command](args)
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
