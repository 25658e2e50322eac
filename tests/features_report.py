"""Living documentation: a cucumber JSON report → a readable Markdown and HTML summary of the specs.

Run by `make features-report` after pytest has written reports/cucumber.json.
Usage: python tests/features_report.py reports/cucumber.json reports/
"""

from __future__ import annotations

import html
import json
import sys
from pathlib import Path
from typing import Any


def scenario_status(element: dict[str, Any]) -> str:
    statuses = [step.get("result", {}).get("status", "skipped") for step in element.get("steps", [])]
    if "failed" in statuses:
        return "failed"
    return "passed" if statuses and all(s == "passed" for s in statuses) else "skipped"


def to_markdown(features: list[dict[str, Any]]) -> str:
    rows = [(f, e, scenario_status(e)) for f in features for e in f.get("elements", [])]
    passed = sum(1 for *_, s in rows if s == "passed")
    lines = ["# Policy specs", "", f"{passed} of {len(rows)} scenarios pass.", ""]
    for feature in sorted(features, key=lambda f: f["uri"]):
        lines += [f"## {feature['name']}", "", f"`{feature['uri']}`", ""]
        for element in feature.get("elements", []):
            mark = {"passed": "✅", "failed": "❌"}.get(scenario_status(element), "⏭️")
            lines.append(f"- {mark} {element['name']}")
            for step in element.get("steps", []):
                status = step.get("result", {}).get("status", "skipped")
                flag = "" if status == "passed" else f" — **{status}**"
                lines.append(f"    - {step['keyword']} {step['name']}{flag}")
        lines.append("")
    return "\n".join(lines)


def to_html(markdown: str) -> str:
    """A self-contained page: the Markdown's structure as HTML, no external assets."""
    body = []
    for line in markdown.splitlines():
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
             "font-weight:bold}.step{margin-left:2em;color:#444}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Policy specs</title><style>{style}"
            f"</style></head><body>{''.join(body)}</body></html>\n")


def main(argv: list[str]) -> int:
    source, out = Path(argv[0]), Path(argv[1])
    features = json.loads(source.read_text(encoding="utf-8"))
    out.mkdir(parents=True, exist_ok=True)
    markdown = to_markdown(features)
    (out / "features.md").write_text(markdown, encoding="utf-8")
    (out / "features.html").write_text(to_html(markdown), encoding="utf-8")
    print(f"wrote {out / 'features.md'} and {out / 'features.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
