"""The memo inside the workbench: engine.memo's own body (`render_memo_body`, the same markup as the memo one
sends, with an explain link after each response) under engine.memo's stylesheet scoped to it, so neither the
memo's styles nor the workbench's leak into the other."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

SCOPE = "memo-doc"  # the class of the element the memo is put in


@cache
def memo_css() -> str:
    """engine.memo's stylesheet, nested under `.memo-doc`: what it says of the page (`:root`'s colours, `body`'s
    type) it says of the memo's element; its `main` matches nothing here."""
    text = (resources.files("engine") / "templates" / "memo.css").read_text(encoding="utf-8")
    text = re.sub(r"^(\s*)(:root|body)(\s*\{)", r"\1&\3", text, flags=re.M)
    return f".{SCOPE} {{\n{text}\n}}\n"
