"""Views of an `Evaluation`: text for people, Markdown for memos, JSON for programs (SPEC §5 contract).

Takes an Evaluation (and the pack, for titles and sources), gives a string. Nothing here evaluates.
"""

from __future__ import annotations

import json
from typing import Any

from engine.model import Evaluation, Pack, Response

CATEGORY_TITLES = {
    "offer": "Offers (conditional on Pakistan)",
    "assurance": "Assurances",
    "consequence": "Consequences",
    "messaging": "Messaging",
    "principle": "Principles",
    "risk": "Risks",
}


def as_json(evaluation: Evaluation) -> dict[str, Any]:
    data: dict[str, Any] = evaluation.model_dump(mode="json")
    data["cooperation_level"] = evaluation.cooperation_level()
    return data


def render_json(evaluation: Evaluation, pack: Pack) -> str:
    return json.dumps(as_json(evaluation), indent=2, ensure_ascii=False)


def _reason(response: Response, evaluation: Evaluation, pack: Pack) -> str:
    titles = {r.id: r.title for r in pack.rules}
    why = "; ".join(titles[r] for r in response.rules)
    based = ", ".join(response.facts) if response.facts else "applies whatever the facts"
    return f"{why} [{based}]"


def _cite(response: Response) -> str:
    cite = response.citations[0]
    return f"{cite.source} ¶{cite.para}: “{cite.quote}”"


def _sections(evaluation: Evaluation) -> list[tuple[str, list[Response]]]:
    return [(title, [r for r in evaluation.responses if r.category == category])
            for category, title in CATEGORY_TITLES.items()
            if any(r.category == category for r in evaluation.responses)]


def render_text(evaluation: Evaluation, pack: Pack) -> str:
    lines = [f"{pack.title or pack.name} (pack {pack.version}, {pack.digest[:12]})",
             f"As of {evaluation.as_of}: Pakistan's cooperation level is "
             f"{evaluation.cooperation_level() or 'not derived'}.",
             f"{len(evaluation.counted)} facts count; {len(evaluation.not_counted)} do not.", ""]
    for title, responses in _sections(evaluation):
        lines.append(title)
        for response in responses:
            lines.append(f"  • {response.text}  ({response.id})")
            lines.append(f"      why: {_reason(response, evaluation, pack)}")
            lines.append(f"      cite: {_cite(response)}")
        lines.append("")
    if evaluation.undetermined:
        lines.append("Undetermined (information requirements)")
        lines.extend(f"  • {u.rule}: needs {', '.join(u.missing)}" for u in evaluation.undetermined)
        lines.append("")
    if evaluation.not_counted:
        lines.append("Not counted")
        lines.extend(f"  • {n.fact}: {n.reason}" for n in evaluation.not_counted)
        lines.append("")
    broken = [g for g in evaluation.guardrails if not g.ok]
    if broken:
        lines.append("GUARDRAILS VIOLATED")
        lines.extend(f"  ✗ {g.id}: {g.detail}" for g in broken)
    else:
        lines.append(f"Guardrails: all {len(evaluation.guardrails)} hold.")
    lines.append(f"Run {evaluation.run_id}")
    return "\n".join(lines)


def render_markdown(evaluation: Evaluation, pack: Pack) -> str:
    lines = [f"# {pack.title or pack.name}", "",
             f"*As of {evaluation.as_of}* · pack `{pack.name}` {pack.version} (`{pack.digest[:12]}`) · "
             f"run `{evaluation.run_id}`", "",
             f"**Pakistan's cooperation level:** `{evaluation.cooperation_level() or 'not derived'}`", ""]
    for title, responses in _sections(evaluation):
        lines += [f"## {title}", ""]
        for response in responses:
            lines.append(f"- **{response.text}** (`{response.id}`)  ")
            lines.append(f"  Why: {_reason(response, evaluation, pack)}  ")
            lines.append(f"  Source: {_cite(response)}")
        lines.append("")
    if evaluation.undetermined:
        lines += ["## Information requirements", ""]
        lines += [f"- `{u.rule}` needs {', '.join(u.missing)}" for u in evaluation.undetermined]
        lines.append("")
    if evaluation.not_counted:
        lines += ["## Facts not counted", ""]
        lines += [f"- `{n.fact}`: {n.reason}" for n in evaluation.not_counted]
        lines.append("")
    lines += ["## Guardrails", ""]
    lines += [f"- {'✓' if g.ok else '✗'} `{g.id}`: {g.detail}" for g in evaluation.guardrails]
    return "\n".join(lines) + "\n"


RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown}
