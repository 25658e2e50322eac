"""Living documentation: a cucumber JSON report → a readable Markdown and HTML summary of the specs, each
scenario with the facts it was given (its steps' data tables) as tables.

Run by `make features-report` after pytest has written reports/cucumber.json. Cucumber JSON as pytest-bdd
writes it names each step's feature file and line but not its data table, so the tables are read from the
feature files themselves (paths relative to the folder pytest ran in, the repository by default); in a
Scenario Outline each run's `<placeholders>` are filled from its own row of the Examples.
Usage: python tests/features_report.py reports/cucumber.json reports/ [FEATURES_ROOT]
"""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
Table = list[list[str]]


def _row(line: str) -> list[str]:
    """`| a | b\\|c |` → ["a", "b|c"] (Gherkin escapes a bar in a cell as `\\|`)."""
    cells = re.split(r"(?<!\\)\|", line.strip()[1:-1] if line.strip().endswith("|") else line.strip()[1:])
    return [cell.strip().replace("\\|", "|") for cell in cells]


def read_tables(path: Path) -> tuple[dict[int, Table], dict[int, list[dict[str, str]]]]:
    """A feature file's data tables by the line of the step they belong to, and each Scenario Outline's
    Examples rows by the outline's line."""
    lines = path.read_text(encoding="utf-8").splitlines()
    tables: dict[int, Table] = {}
    examples: dict[int, list[dict[str, str]]] = {}
    outline: int | None = None
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if text.startswith(("Scenario:", "Scenario Outline:", "Scenario Template:", "Background:")):
            outline = number if text.startswith(("Scenario Outline:", "Scenario Template:")) else None
        if text.startswith("|") or not text or text.startswith("#"):
            continue
        rows = []
        for after in lines[number:]:
            if not after.strip().startswith("|"):
                break
            rows.append(_row(after))
        if not rows:
            continue
        if text.startswith(("Examples:", "Scenarios:")) and outline is not None:
            examples.setdefault(outline, []).extend(dict(zip(rows[0], row, strict=False)) for row in rows[1:])
        else:
            tables[number] = rows
    return tables, examples


def _filled(table: Table, values: dict[str, str]) -> Table:
    return [[re.sub(r"<([^<>]+)>", lambda m: values.get(m.group(1), m.group(0)), cell) for cell in row]
            for row in table]


def _markdown_table(table: Table, indent: str) -> list[str]:
    def line(row: list[str]) -> str:
        return f"{indent}| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"

    return ["", line(table[0]), f"{indent}|" + "---|" * len(table[0]), *(line(row) for row in table[1:]), ""]


def scenario_status(element: dict[str, Any]) -> str:
    statuses = [step.get("result", {}).get("status", "skipped") for step in element.get("steps", [])]
    if "failed" in statuses:
        return "failed"
    return "passed" if statuses and all(s == "passed" for s in statuses) else "skipped"


def to_markdown(features: list[dict[str, Any]], root: Path = ROOT) -> str:
    rows = [(f, e, scenario_status(e)) for f in features for e in f.get("elements", [])]
    passed = sum(1 for *_, s in rows if s == "passed")
    lines = ["# Policy specs", "", f"{passed} of {len(rows)} scenarios pass.", ""]
    for feature in sorted(features, key=lambda f: f["uri"]):
        lines += [f"## {feature['name']}", "", f"`{feature['uri']}`", ""]
        source = root / feature["uri"]
        tables, examples = read_tables(source) if source.is_file() else ({}, {})
        runs: dict[int, int] = {}  # how many runs of each outline so far: the next one is its next Examples row
        for element in feature.get("elements", []):
            mark = {"passed": "✅", "failed": "❌"}.get(scenario_status(element), "⏭️")
            lines.append(f"- {mark} {element['name']}")
            at = element.get("line", 0)
            rows = examples.get(at, [])
            values = rows[runs.get(at, 0)] if runs.get(at, 0) < len(rows) else {}
            runs[at] = runs.get(at, 0) + 1
            for step in element.get("steps", []):
                status = step.get("result", {}).get("status", "skipped")
                flag = "" if status == "passed" else f" — **{status}**"
                lines.append(f"    - {step['keyword']} {step['name']}{flag}")
                if step.get("line") in tables:
                    lines += _markdown_table(_filled(tables[step["line"]], values), " " * 6)
        lines.append("")
    return "\n".join(lines)


def to_html(markdown: str) -> str:
    """A self-contained page: the Markdown's structure as HTML, no external assets."""
    body: list[str] = []
    table: list[str] = []
    for line in [*markdown.splitlines(), ""]:
        if line.strip().startswith("|"):
            table.append(line.strip())
            continue
        if table:
            body.append(_html_table(table))
            table = []
        text = html.escape(line.strip().lstrip("-").strip()).replace("**", "")
        if line.startswith("# "):
            body.append(f"<h1>{html.escape(line[2:])}</h1>")
        elif line.startswith("## "):
            body.append(f"<h2>{html.escape(line[3:])}</h2>")
        elif line.startswith("    - "):
            body.append(f"<div class='step'>{text}</div>")
        elif line.startswith("- "):
            body.append(f"<div class='scenario'>{text}</div>")
        elif line.strip():
            body.append(f"<p>{text}</p>")
    style = ("body{font-family:sans-serif;max-width:60em;margin:2em auto}.scenario{margin-top:.6em;"
             "font-weight:bold}.step{margin-left:2em;color:#444}table.facts{margin:.3em 0 .3em 3em;"
             "border-collapse:collapse;font-size:.9em}.facts th,.facts td{border:1px solid #bbb;padding:.15em .5em;"
             "text-align:left}.facts th{background:#eee}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Policy specs</title><style>{style}"
            f"</style></head><body>{''.join(body)}</body></html>\n")


def _html_table(lines: list[str]) -> str:
    """Markdown table lines (header, rule, rows) → an HTML table of the facts a step was given."""
    rows = [_row(line) for line in lines if not re.fullmatch(r"\|(-+\|)+", line)]
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows[1:])
    return f"<table class='facts'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def main(argv: list[str]) -> int:
    source, out = Path(argv[0]), Path(argv[1])
    root = Path(argv[2]) if len(argv) > 2 else Path.cwd()
    features = json.loads(source.read_text(encoding="utf-8"))
    out.mkdir(parents=True, exist_ok=True)
    markdown = to_markdown(features, root)
    (out / "features.md").write_text(markdown, encoding="utf-8")
    (out / "features.html").write_text(to_html(markdown), encoding="utf-8")
    print(f"wrote {out / 'features.md'} and {out / 'features.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
