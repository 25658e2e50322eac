"""The memo inside the workbench: engine.memo's own body (memo_body.html.j2, the same markup as the memo one
sends) with an explain link after each response, and engine.memo's stylesheet scoped to it, so neither the
memo's styles nor the workbench's leak into the other."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from importlib import resources

from markupsafe import Markup, escape

from engine.memo import Memo

SCOPE = "memo-doc"  # the class of the element the memo is put in


@cache
def _environment() -> object:
    import jinja2

    # as engine.memo renders it: the same loader, escaping and whitespace handling
    return jinja2.Environment(loader=jinja2.PackageLoader("engine", "templates"), autoescape=True,
                              trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)


def memo_body(memo: Memo, chart_svg: str | None, explain_href: Callable[[str], str]) -> Markup:
    """The memo's body, each response's id followed by a link to its explanation."""
    import jinja2

    environment = _environment()
    assert isinstance(environment, jinja2.Environment)
    body = environment.get_template("memo_body.html.j2").render(
        memo=memo, chart=Markup(chart_svg) if chart_svg else None)  # noqa: S704 - engine.chart's own SVG
    for section in memo.sections:
        for response in section.responses:
            marked = f'<span class="id">{escape(response.id)}</span>'
            link = f' <a class="explain" href="{escape(explain_href(response.id))}">explain</a>'
            body = body.replace(marked, marked + link, 1)
    return Markup(body)  # noqa: S704 - rendered with autoescape; the links' parts are escaped above


@cache
def memo_css() -> str:
    """engine.memo's stylesheet, nested under `.memo-doc`: what it says of the page (`:root`'s colours, `body`'s
    type) it says of the memo's element; its `main` matches nothing here."""
    text = (resources.files("engine") / "templates" / "memo.css").read_text(encoding="utf-8")
    text = re.sub(r"^(\s*)(:root|body)(\s*\{)", r"\1&\3", text, flags=re.M)
    return f".{SCOPE} {{\n{text}\n}}\n"
