"""The `commitments` command: argument parsing, error printing, exit codes — the only module that prints.

Exit codes: 0 done; 1 a guardrail is violated (`audit verify`: the chain is broken; `audit replay`: the
result differs; `audit copy`: the trail to copy is broken; any `audit` command: a record cannot be read as
it was sealed); 2 bad input (one `file:line:col: code: message` line per problem, never a traceback; a
team store's URL that does not reach its server too); 3 an internal failure of the engine,
or the audit store cannot be used (busy past its timeout, read-only, not a database, another application's
file) — then an evaluation that could not be recorded is not reported either.

`evaluate` records every run in the audit store (`engine.audit`) after evaluating and before printing,
unless `--no-audit`; bad input records nothing, a guardrail violation is recorded like any result. Output
that cannot be written (stdout closed or full) is exit 3, with one line on stderr saying so and, for
`evaluate`, the run id that was recorded all the same.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import datetime as dt
import errno
import gc
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from engine import __version__, audit, defaults
from engine.errors import (
    EXIT_BAD_INPUT,
    EXIT_GUARDRAIL,
    EXIT_INTERNAL,
    EXIT_OK,
    SHOWN_CHARS,
    EngineError,
    InputError,
    Location,
    shown,
)
from engine.evaluate import evaluate
from engine.loader import one_run
from engine.model import Fact, Pack
from engine.packcache import prepared_pack
from engine.record import AuditFilter, entry_for
from engine.render import (
    MEMOS,
    RENDERERS,
    printable,
    render_check,
    render_diff,
    render_explanation,
    render_sweep,
    render_timeline,
    view,
)
from engine.validate import load_facts, suggest

# A command's process ends once its output is written. At exit the interpreter would run its collector
# over everything pydantic and durable_rules built, which takes longer than an evaluation, only to free
# memory the system takes back anyway; frozen, those objects are left alone (files, the audit store and
# the output are all closed or flushed before then, never by a finalizer).
atexit.register(gc.freeze)


# argparse echoes a bad argument whole, quoted or not; a word past twice what `shown` keeps is cut to that.
_LONG_WORD = re.compile(rf"'?([^\s']{{{2 * SHOWN_CHARS},}})'?")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """A usage error, pointing at the help of the command it is in (`commitments audit list --help`)."""
        message = _LONG_WORD.sub(lambda word: shown(word[1]), message)
        command = self.prog.removeprefix("commitments").strip()
        see = f"commitments {command} --help" if command else "commitments --help"
        raise InputError.one("usage", f"{message} (see '{see}')", Location("commitments"))

    def parse_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                   namespace: argparse.Namespace | None = None) -> argparse.Namespace:
        """As argparse's, but arguments left over are the error of the command given, not of the top level."""
        parsed, extra = self.parse_known_args(args, namespace)
        if extra:
            _chosen(self, parsed).error(f"unrecognized arguments: {' '.join(extra)}")
        return parsed


def _chosen(parser: argparse.ArgumentParser, parsed: argparse.Namespace) -> argparse.ArgumentParser:
    """The (sub-)command parser that `parsed` went down to."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and getattr(parsed, action.dest, None) in action.choices:
            return _chosen(action.choices[getattr(parsed, action.dest)], parsed)
    return parser


class OutputLost(Exception):
    """stdout is closed or full: what the command did stands (`done` says what), but nobody saw its output."""

    def __init__(self, why: str, done: str = "") -> None:
        super().__init__(why)
        self.done = done


def _deliver(text: str | None = None, done: str = "", end: str = "\n") -> None:
    """Write (the rest of) the output and make sure it left the process, or raise OutputLost."""
    try:
        if sys.stdout is None:  # started with stdout closed: print() would drop everything without a word
            raise OSError(errno.EBADF, "standard output is closed")
        if text is not None:
            print(text, end=end)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as error:
        raise OutputLost(error.strerror or str(error), done) from None


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD; found {shown(text)}") from None


def _parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line; given the `command` about to run, only that command's parser is built.

    That is all parsing it needs (the top level has no options of its own, and errors never print its
    usage), and it spares a start-up a dozen parsers. Without one (`--help`, a mistyped command) all are
    built, so help and "invalid choice" list every command as ever.
    """
    parser = _Parser(prog="commitments", description="Conditional-commitment rules over observed facts.")
    parser.add_argument("--version", action="version", version=f"commitments {__version__}",
                        help="the engine's version (the one audit records name) and exit")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, declare in _DECLARE.items():
        if command is None or command == name:
            declare(commands)
    return parser


def _evaluate_parser(commands: argparse._SubParsersAction[_Parser]) -> None:
    evaluate_cmd = commands.add_parser("evaluate", help="what the argument recommends, given the facts")
    evaluate_cmd.add_argument("paths", nargs="*", type=Path,
                              help=FACTS_HELP)
    evaluate_cmd.add_argument("--rules", type=Path, default=None, help=RULES_HELP)
    evaluate_cmd.add_argument("--as-of", type=_date, default=None, help="evaluate as of this date (default today)")
    evaluate_cmd.add_argument("--format", choices=sorted(RENDERERS), default="text",
                              help="text, json, or a memo: markdown, or html (a page with a timeline chart)")
    evaluate_cmd.add_argument("-o", "--out", type=Path, default=None,
                              help="write the output to this file instead of standard output")
    evaluate_cmd.add_argument("--no-audit", action="store_true", help="do not record this run in the audit store")
    evaluate_cmd.add_argument("--audit-db", metavar="STORE", default=None, help=AUDIT_DB_HELP)


def _ledger_parser(commands: argparse._SubParsersAction[_Parser]) -> None:
    ledger_cmd = commands.add_parser("ledger", parents=[_inputs_parent(), _dated_parent()],
                                     help="every commitment's state: since when, on which facts, what is due by when")
    ledger_cmd.add_argument("--format", choices=("text", "json"), default="text")


def _check_parser(commands: argparse._SubParsersAction[_Parser]) -> None:
    check_cmd = commands.add_parser("check", help="validate pack and facts, verify quotes, prove the guardrails")
    check_cmd.add_argument("paths", nargs="*", type=Path)
    check_cmd.add_argument("--rules", type=Path, default=None, help=RULES_HELP)
    check_cmd.add_argument("--source", action="append", default=[], metavar="ID=PATH",
                           help="the text of a cited source, to verify quotes against (repeatable)")


def _inputs_parent() -> _Parser:
    inputs = _Parser(add_help=False)
    inputs.add_argument("paths", nargs="*", type=Path, help=FACTS_HELP)
    inputs.add_argument("--rules", type=Path, default=None, help=RULES_HELP)
    return inputs


def _dated_parent() -> _Parser:
    dated = _Parser(add_help=False)
    dated.add_argument("--as-of", type=_date, default=None, help="as of this date (default today)")
    return dated


def _explain_parser(commands: argparse._SubParsersAction[_Parser]) -> None:
    explain_cmd = commands.add_parser("explain", parents=[_dated_parent()],
                                      help="why a response, rule or derived fact was (not) recommended")
    explain_cmd.add_argument("target",
                             help="a response id, rule id, or derived kind (e.g. one of the pack's headline kinds)")
    explain_cmd.add_argument("paths", nargs="*", type=Path, help=FACTS_HELP)
    explain_cmd.add_argument("--rules", type=Path, default=None, help=RULES_HELP)


def _whatif_parser(commands: argparse._SubParsersAction[_Parser]) -> None:
    whatif = commands.add_parser("whatif", parents=[_inputs_parent(), _dated_parent()],
                                 help="the recommendation diff of fact changes")
    whatif.add_argument("--set", dest="assignments", action="append", default=[], metavar="KIND.FIELD=VALUE")
    whatif.add_argument("--add", dest="added", action="append", default=[], type=Path, metavar="FILE")
    whatif.add_argument("--drop", dest="dropped", action="append", default=[], metavar="FACT_ID")
    whatif.add_argument("--assume", dest="assumed", action="append", default=[], metavar="NAME=VALUE[,VALUE…]",
                        help="another value for a pack assumption; several values give a sensitivity sweep")


def _timeline_parser(commands: argparse._SubParsersAction[_Parser]) -> None:
    timeline_cmd = commands.add_parser("timeline", parents=[_inputs_parent()], help="as-of evaluations over a period")
    timeline_cmd.add_argument("--from", dest="start", type=_date, required=True)
    timeline_cmd.add_argument("--to", dest="end", type=_date, required=True)
    timeline_cmd.add_argument("--step", default="7d", help="7d, 2w, 1m (calendar months) … (default 7d)")
    timeline_cmd.add_argument("--format", choices=("text", "json", "csv"), default="text")


def _facts_parser(commands: argparse._SubParsersAction[_Parser]) -> None:
    facts_cmd = commands.add_parser("facts", help="enter facts")
    facts_actions = facts_cmd.add_subparsers(dest="action", required=True, parser_class=_Parser)
    add = facts_actions.add_parser("add", help="guided entry of one fact, validated before it is written")
    add.add_argument("--file", type=Path, required=True,
                     help="the fact file to append to (created if absent; its folder must exist)")
    add.add_argument("--kind", help="the kind of fact (asked for when missing)")
    add.add_argument("--value", dest="values", action="append", default=[], metavar="NAME=VALUE",
                     help="an answer given up front, e.g. observed=2021-04-14 or source.title=…")
    add.add_argument("--rules", type=Path, default=None, help=RULES_HELP)
    add.add_argument("--no-input", action="store_true", help="never prompt: every answer comes from --value")


def _schema_parser(commands: argparse._SubParsersAction[_Parser]) -> None:
    schema_cmd = commands.add_parser("schema", help="JSON Schema of fact and rule files, for editors")
    schema_cmd.add_argument("--rules", type=Path, default=None, help=RULES_HELP)
    schema_cmd.add_argument("--out", type=Path, help="write facts.schema.json and rules.schema.json here")


def _serve_parser(commands: argparse._SubParsersAction[_Parser]) -> None:
    serve = commands.add_parser("serve", help="the workbench as a local web page (evaluate, enter facts, explain, "
                                "what-if, timeline, ledger, audit)")
    serve.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1, this "
                       "machine only; any other requires a sign-in, with accounts made by --add-user)")
    serve.add_argument("--port", type=int, default=8000, help="default 8000")
    serve.add_argument("--rules", type=Path, default=None, help=RULES_HELP)
    serve.add_argument("--facts", type=Path, default=None, help="the facts folder whose files the page offers "
                       f"(default ${defaults.FACTS_ENV_VAR}, else ./facts, else the article's facts)")
    serve.add_argument("--audit-db", metavar="STORE", default=None, help=AUDIT_DB_HELP)
    serve.add_argument("--no-audit", action="store_true", help="do not record the page's evaluations")
    serve.add_argument("--users", type=Path, default=None, help="the accounts file (default users.json in "
                       "$XDG_CONFIG_HOME/commitments or ~/.config/commitments)")
    serve.add_argument("--add-user", metavar="NAME", help="add an account (or change its password: read without "
                       "echo, or one line of standard input) and exit")


def _init_parser(commands: argparse._SubParsersAction[_Parser]) -> None:
    init_cmd = commands.add_parser("init", help="write a minimal, commented pack to start a new argument from")
    init_cmd.add_argument("folder", type=Path, help="a new (or empty) folder: rules/, facts/ and features/ go in it")


RULES_HELP = (f"the rule pack folder (default ${defaults.RULES_ENV_VAR}, else ./rules if it holds a pack.yaml, "
              "else the article's pack installed with the engine)")
FACTS_HELP = (f"fact files or folders (default: the *.yaml directly in ${defaults.FACTS_ENV_VAR}, else ./facts, "
              "else the article's facts beside the article's pack)")
AUDIT_DB_HELP = f"the audit store: a file, or a team's postgresql://USER@HOST/DB (default ${audit.ENV_VAR}, else " \
                "audit.sqlite in $XDG_DATA_HOME/commitments or ~/.local/share/commitments)"


def _audit_parser(commands: argparse._SubParsersAction[_Parser]) -> None:
    store = _Parser(add_help=False)
    store.add_argument("--audit-db", metavar="STORE", default=None, help=AUDIT_DB_HELP)
    audit_cmd = commands.add_parser("audit", help="the recorded evaluations: list, show, verify, replay, export, "
                                    "checkpoint, copy")
    actions = audit_cmd.add_subparsers(dest="action", required=True, parser_class=_Parser)
    listing = actions.add_parser("list", parents=[store], help="the recorded runs, oldest first")
    listing.add_argument("--from", dest="as_of_from", type=_date, metavar="DATE",
                         help="runs evaluated as of this date or later (the run's as-of date, not the day it was "
                              "recorded)")
    listing.add_argument("--to", dest="as_of_to", type=_date, metavar="DATE",
                         help="runs evaluated as of this date or earlier (the run's as-of date)")
    listing.add_argument("--recorded-from", dest="recorded_from", type=_date, metavar="DATE",
                         help="runs recorded on or after this day (UTC)")
    listing.add_argument("--recorded-to", dest="recorded_to", type=_date, metavar="DATE",
                         help="runs recorded on or before this day (UTC)")
    listing.add_argument("--response", help="only runs that recommended this response id")
    listing.add_argument("--rule", help="only runs in which this rule fired")
    listing.add_argument("--format", choices=("text", "json"), default="text")
    for name, text in (("show", "one run's trail: facts → rules → responses, with citations"),
                       ("replay", "re-evaluate a run's recorded pack and facts; identical or how it differs")):
        actions.add_parser(name, parents=[store], help=text).add_argument("run", help="a run id or its unique prefix")
    verify = actions.add_parser("verify", parents=[store], help="check the hash chain; name the first bad record")
    verify.add_argument("--checkpoint", type=Path, help="and prove the store still extends this signed checkpoint")
    verify.add_argument("--public-key", metavar="PUB", help="the key the checkpoint must be signed with (as `audit "
                        "keygen` printed it, or a file holding it)")
    export = actions.add_parser("export", parents=[store], help="one run's whole record")
    export.add_argument("run", help="a run id or its unique prefix")
    export.add_argument("--format", choices=("json", "markdown"), default="json")
    point = actions.add_parser("checkpoint", parents=[store], help="sign the store's head, to keep outside it")
    point.add_argument("--key", type=Path, required=True, help="your private key (from `audit keygen`)")
    point.add_argument("--out", type=Path, help="write the checkpoint to this new file (default: print it)")
    point.add_argument("--signer", help="who signs (default: your user name)")
    actions.add_parser("keygen", help="make a key to sign checkpoints with, kept outside the store").add_argument(
        "--out", type=Path, required=True, help="the new private key file (readable by you only)")
    copy = actions.add_parser("copy", help="copy a verified trail into another store (e.g. SQLite to a team's "
                              "PostgreSQL), hashes unchanged, and verify it there")
    copy.add_argument("source", metavar="SRC", help="the store to copy from: a file or a postgresql:// URL")
    copy.add_argument("target", metavar="DST", help="the store to copy into: new, or holding the start of SRC's trail")


# Each command's parser, in the order `commitments --help` lists them.
_DECLARE: dict[str, Callable[[argparse._SubParsersAction[_Parser]], None]] = {
    "evaluate": _evaluate_parser, "check": _check_parser, "audit": _audit_parser, "explain": _explain_parser,
    "whatif": _whatif_parser, "timeline": _timeline_parser, "ledger": _ledger_parser,
    "facts": _facts_parser, "schema": _schema_parser, "init": _init_parser, "serve": _serve_parser,
}


def _inputs(rules: Path, paths: list[Path]) -> tuple[Pack, list[Fact]]:
    pack = prepared_pack(rules)
    if not paths:
        folder = defaults.facts_folder(rules)
        if not folder.exists():
            raise InputError.one("no-facts", f"expected fact files or folders, found none: no paths given and no "
                                 f"folder {str(folder)!r} (the default: ${defaults.FACTS_ENV_VAR}, else ./facts); "
                                 "name them after the command",
                                 Location(str(folder)))
        paths = [folder]
    facts = load_facts(paths, pack)
    # What was loaded lives until the process ends: the collector need not walk it again while evaluating
    # (the process ends after its one command; see the freeze at exit above).
    gc.freeze()
    return pack, facts


def _evaluate(args: argparse.Namespace) -> int:
    pack, facts = _inputs(args.rules, args.paths)
    evaluation = evaluate(pack, facts, args.as_of or dt.date.today())
    done = "the run was not recorded (--no-audit)"
    owed = None
    if pack.commitments and (not args.no_audit or args.format in MEMOS):
        from engine.ledger import ledger

        owed = ledger(pack, facts, evaluation.as_of)
    if not args.no_audit:
        with audit.AuditStore.open(audit.audit_path(args.audit_db)) as store:
            done = f"the run was recorded as {store.append(entry_for(evaluation, pack, facts, owed)).run_id}"
    memo = {"facts": facts, "ledger": owed, "recorded": not args.no_audit} if args.format in MEMOS else {}
    text = RENDERERS[args.format](evaluation, pack, args.as_of is None, **memo)
    if args.out is None:
        _deliver(text, done)
    else:
        _write_output(args.out, text, done)
        print(printable(f"wrote {args.out}; {done}"), file=sys.stderr)
    return EXIT_OK if evaluation.ok else EXIT_GUARDRAIL


def _write_output(path: Path, text: str, done: str) -> None:
    """`-o FILE`: the whole view, or nothing, in FILE (a reader never opens half a memo); a file that cannot be
    written is exit 3, as a closed stdout is, saying what was done all the same."""
    temporary = path.with_name(f".{path.name}.part")
    try:
        temporary.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        temporary.replace(path)
    except OSError as error:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise EngineError.one("output-unwritable", f"cannot write the output: {error.strerror or error}; {done}",
                              Location(str(path))) from None


def _check(args: argparse.Namespace) -> int:
    from engine.check import check_pack
    from engine.compiler import compile_pack
    from engine.loader import read_text

    pack, facts = _inputs(args.rules, args.paths)
    compiled = compile_pack(pack)
    sources = {}
    for given in args.source:
        sid, _, path = given.partition("=")
        if sid not in pack.sources or not path:
            raise InputError.one("bad-source", f"expected ID=PATH with ID one of {', '.join(pack.sources)}; "
                                 f"found {shown(given)}", Location("--source"))
        sources[sid] = read_text(Path(path))
    report = check_pack(pack, sources)
    rules = sum(len(s.rules) for s in compiled.strata)
    summary = (f"ok: pack {pack.name} {pack.version}: {len(pack.rules)} rules → {rules} Rete rules in "
               f"{len(compiled.strata)} strata; {len(facts)} facts valid; quotes checked against "
               f"{', '.join(sources) or 'no source (give --source ID=PATH)'}")
    _deliver(render_check(report, summary))
    worst = report.worst()
    return {"error": EXIT_BAD_INPUT, "violation": EXIT_GUARDRAIL}.get(worst or "", EXIT_OK)


def _explain(args: argparse.Namespace) -> int:
    from engine.explain import explain

    pack, facts = _inputs(args.rules, args.paths)
    _deliver(render_explanation(explain(pack, facts, args.as_of or dt.date.today(), args.target)))
    return EXIT_OK


def _whatif(args: argparse.Namespace) -> int:
    from engine.whatif import Change, apply, assume, diff, parse_assume, set_field

    pack, facts = _inputs(args.rules, args.paths)
    as_of = args.as_of or dt.date.today()
    known = {f.id for f in facts}
    changes = [set_field(pack, facts, as_of, a) for a in args.assignments]
    for added in load_facts(args.added, pack) if args.added else []:
        if added.id in known:
            raise InputError.one("duplicate-id", f"fact id {added.id!r} is already among the facts",
                                 Location(added.origin))
        changes.append(Change(op="add", fact=added.id, kind=added.kind, fields=added.fields, added=added))
    for dropped in args.dropped:
        if dropped not in known:
            raise InputError.one("unknown-fact", f"no fact {shown(dropped)} to drop", Location("--drop"))
        changes.append(Change(op="retract", fact=dropped))
    fixed, swept = parse_assume(pack, args.assumed)
    if not changes and not fixed and not swept:
        raise InputError.one("usage", "give at least one --set, --add, --drop or --assume", Location("whatif"))
    before = evaluate(pack, facts, as_of)
    changed = apply(facts, changes)
    if swept:
        rows = [(each, diff(pack, before, evaluate(assume(pack, [*fixed, each]), changed, as_of))) for each in swept]
        _deliver(render_sweep(rows, [*changes, *fixed], pack))
        return EXIT_OK
    after = evaluate(assume(pack, fixed), changed, as_of)
    _deliver(render_diff(diff(pack, before, after), [*changes, *fixed], pack))
    return EXIT_OK if after.ok else EXIT_GUARDRAIL


def _timeline(args: argparse.Namespace) -> int:
    from engine.timeline import parse_step, timeline

    pack, facts = _inputs(args.rules, args.paths)
    _deliver(render_timeline(timeline(pack, facts, args.start, args.end, parse_step(args.step)), args.format, pack))
    return EXIT_OK


def _ledger(args: argparse.Namespace) -> int:
    from engine.ledger import ledger
    from engine.ledger_view import render_ledger

    pack, facts = _inputs(args.rules, args.paths)
    _deliver(render_ledger(ledger(pack, facts, args.as_of or dt.date.today()), args.format))
    return EXIT_OK


def _facts(args: argparse.Namespace) -> int:
    from engine.entry import append_fact, build, id_in_use, parse_answer, questions

    pack = prepared_pack(args.rules)
    entered = [k for k, spec in pack.vocabulary.items() if not spec.derived]
    kind = args.kind or _ask_kind(entered, args.no_input)
    if kind not in entered:
        raise InputError.one("unknown-kind", f"unknown kind {shown(kind)}; expected one of {', '.join(entered)}"
                             f"{suggest(kind, entered)}", Location("--kind"))
    asked = questions(pack, kind)
    given = dict(v.partition("=")[::2] for v in args.values)
    keys = [q.name for q in asked]
    unknown = [key for key in given if key not in keys]
    if unknown:  # refused before any question: a mistyped key must not be asked for, then dropped
        raise InputError.one("unknown-field", f"{kind} facts have no {shown(unknown[0])}{suggest(unknown[0], keys)}; "
                             f"the keys are {', '.join(keys)}", Location("--value"))
    answers = {}
    for question in asked:
        text = given.pop(question.name, None)
        while True:
            if text is None:
                if question.optional and args.no_input:
                    break
                text = _ask(question.prompt, list(question.choices), args.no_input, question.name)
            if text == "" and question.optional:
                break
            try:
                answers[question.name] = parse_answer(question, text)
                break
            except ValueError as why:
                if args.no_input:
                    raise InputError.one("bad-value", f"{question.name}: {why}; found {shown(text)}",
                                         Location("--value")) from None
                print(printable(f"  {why}"), file=sys.stderr)
                text = None
        if question.name == "id":  # refused now, not after every other answer has been typed
            used = id_in_use(pack, args.file, str(answers["id"]))
            if used is not None:
                raise InputError.one("duplicate-id", f"fact id {shown(answers['id'])} is already used at {used}; "
                                     "nothing written", Location(str(args.file)))
    schema = os.path.relpath(Path("schema/facts.schema.json").resolve(), os.path.dirname(os.path.realpath(args.file)))
    fact = append_fact(pack, args.file, build(pack, kind, answers), schema=schema)
    _deliver(printable(f"added {fact.id} ({fact.kind}) to {args.file}"), f"{fact.id} was added to {args.file}")
    return EXIT_OK


def _ask_kind(entered: list[str], no_input: bool) -> str:
    """The kind, asked until it is one of `entered`: a typo costs one more question, not the entry."""
    while True:
        kind = _ask("kind", entered, no_input, "--kind")
        if kind in entered:
            return kind
        print(printable(f"  unknown kind {shown(kind)}{suggest(kind, entered)}; choose one of {', '.join(entered)}"),
              file=sys.stderr)


def _ask(prompt: str, choices: list[str], no_input: bool, key: str) -> str:
    """One answer; the prompt names the key (`--value KEY=…`, or `--kind`) that gives it without asking."""
    flag = key if key.startswith("--") else f"--value {key}=…"
    if no_input:
        raise InputError.one("missing-answer", f"no answer for {prompt!r} (give it with {flag})", Location("--value"))
    choice = f" [{'/'.join(choices)}]" if choices else ""
    try:
        return input(printable(f"{prompt} ({flag}){choice}: ")).strip()
    except EOFError:
        raise InputError.one("input-ended", "input ended; nothing was written", Location("<stdin>")) from None


def _init(args: argparse.Namespace) -> int:
    from engine.starter import write_starter

    written = write_starter(args.folder)
    folder = args.folder
    _deliver(view([*(f"wrote {path}" for path in written),
                   f"next: commitments check --rules {folder / 'rules'} {folder / 'facts'}",
                   f"      commitments evaluate --rules {folder / 'rules'} {folder / 'facts'} --as-of 2024-03-15"]))
    return EXIT_OK


def _schema(args: argparse.Namespace) -> int:
    import json

    from engine.schema import facts_schema, rules_schema, write_schemas

    pack = prepared_pack(args.rules)
    documents = {"facts.schema.json": facts_schema(pack), "rules.schema.json": rules_schema(pack)}
    if args.out is None:
        _deliver(json.dumps(documents, indent=2, ensure_ascii=False))
        return EXIT_OK
    for written in write_schemas(args.out, documents):
        _deliver(printable(f"wrote {written}"), f"{written} was written")
    return EXIT_OK


def _audit(args: argparse.Namespace) -> int:
    from engine import replay, trail

    if args.action == "keygen":
        return _keygen(args)
    if args.action == "copy":
        return _copy(args)
    if args.action == "verify" and args.public_key and not args.checkpoint:
        raise InputError.one("usage", "--public-key checks a --checkpoint; give both", Location("--public-key"))
    with audit.AuditStore.open(audit.audit_path(args.audit_db), create=False) as store:
        if args.action == "list":
            for start, end, flags in ((args.as_of_from, args.as_of_to, "--to"),
                                      (args.recorded_from, args.recorded_to, "--recorded-to")):
                if start and end and end < start:
                    raise InputError.one("usage", f"{flags} {end} is before {flags.replace('to', 'from')} {start}",
                                         Location(flags))
            where = AuditFilter(as_of_from=args.as_of_from, as_of_to=args.as_of_to,
                                recorded_from=args.recorded_from, recorded_to=args.recorded_to,
                                response=args.response, rule=args.rule)
            found = store.find(where)
            _deliver(trail.list_json(found) if args.format == "json" else trail.render_list(found, len(store.find())))
            return EXIT_OK
        if args.action in ("verify", "checkpoint"):
            return _verify(args, store)
        record, pack, facts = replay.recorded(store, args.run)
    if args.action == "show":
        _deliver(trail.render_show(record, pack))
        return EXIT_OK
    if args.action == "export":
        _deliver(trail.export_json(record) if args.format == "json" else trail.export_markdown(record, pack), end="")
        return EXIT_OK
    replayed = replay.replay(record, (pack, facts))
    _deliver(trail.render_replay(replayed))
    return EXIT_OK if replayed.identical else EXIT_GUARDRAIL


def _verify(args: argparse.Namespace, store: audit.AuditStore) -> int:
    """`audit verify` (against a checkpoint too, if given) and `audit checkpoint`, which signs only a sound chain."""
    from engine import checkpoint, trail
    from engine.record import current_user

    given = checkpoint.read(args.checkpoint) if args.action == "verify" and args.checkpoint else None
    trusted = checkpoint.trusted_key(args.public_key) if given and args.public_key else None
    key = checkpoint.load_key(args.key) if args.action == "checkpoint" else None
    verification = store.verify()
    lines = [trail.render_verification(verification)]
    ok = verification.ok
    if given:
        proof = checkpoint.check(given, verification, store.hash_at, trusted)
        lines.append(trail.render_checkpoint_check(proof))
        ok = proof.ok
    if key and ok:
        signed = checkpoint.sign(key, verification, args.signer or current_user())
        if args.out is None:
            lines = [checkpoint.render(signed).rstrip("\n")]
        else:
            checkpoint.write_new(args.out, checkpoint.render(signed).encode("utf-8"), "file",
                                 "checkpoints are kept, not overwritten")
            lines.append(f"wrote {args.out}: checkpoint of {signed.records} records signed by {signed.signer}")
    _deliver("\n".join(lines))
    return EXIT_OK if ok else EXIT_GUARDRAIL


def _copy(args: argparse.Namespace) -> int:
    from engine import trail

    with audit.AuditStore.open(audit.audit_path(args.source), create=False) as source, \
            audit.AuditStore.open(audit.audit_path(args.target)) as target:
        done = audit.copy_trail(source, target)
    _deliver(trail.render_copy(done, source.where, target.where))
    return EXIT_OK if done.target.ok else EXIT_GUARDRAIL


def _keygen(args: argparse.Namespace) -> int:
    from engine import checkpoint

    public = checkpoint.keygen(args.out)
    _deliver(f"wrote {args.out} (your private key: keep it outside the audit store's folder, and private)\n"
             f"public key: {public}")
    return EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    from engine.web import serve
    from engine.web.settings import default_users_file

    users = args.users or default_users_file()
    if args.add_user:
        new = serve.new_user(users, args.add_user)
        _deliver(printable(f"added {args.add_user} to {users}" if new else
                           f"changed the password of {args.add_user} in {users}"))
        return EXIT_OK
    if not 0 < args.port < 65536:
        raise InputError.one("usage", f"expected a port from 1 to 65535; found {args.port}", Location("--port"))
    settings = serve.settings_for(args.rules, args.facts or defaults.facts_folder(args.rules), args.audit_db,
                                  args.host, users, record=not args.no_audit)
    sign_in = "every page asks for a sign-in" if settings.login_required else "this machine only"
    _deliver(printable(f"commitments serve: http://{args.host}:{args.port}/ ({sign_in}); Ctrl-C stops it"))
    serve.run(settings, args.host, args.port)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    try:
        args = _parser(arguments[0] if arguments and arguments[0] in _DECLARE else None).parse_args(arguments)
        if "rules" in args and args.rules is None:  # looked up only now: the folder and environment of this run
            args.rules = defaults.rules_folder()
        commands = {"evaluate": _evaluate, "check": _check, "audit": _audit, "explain": _explain,
                    "whatif": _whatif, "timeline": _timeline, "ledger": _ledger, "facts": _facts, "schema": _schema,
                    "init": _init, "serve": _serve}
        with one_run():
            code = commands[args.command](args)
        _deliver()
        return code
    except OutputLost as lost:
        print(f"commitments: could not write the output ({lost}){'; ' + lost.done if lost.done else ''}",
              file=sys.stderr)
        if sys.stdout is not None:  # what is still buffered goes nowhere, rather than fail again at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_INTERNAL
    except EngineError as error:
        for line in error.lines():
            print(printable(line), file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (`commitments … | head`): not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as error:  # noqa: BLE001 - the promise is: never a traceback
        print(printable(f"commitments: internal error: {type(error).__name__}: {error}"), file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
