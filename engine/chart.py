"""The memo's chart: the headline level as a step line over time and each response as an on/off bar.

Takes a `Timeline` (engine.timeline) and the pack; gives SVG text. matplotlib is imported inside the
function (the CLI's start-up does not pay for it; a server pays it once, at its first chart), with the Agg
backend, fixed ids and no date or version in the metadata, so the same timeline gives the same bytes; text
stays text (`svg.fonttype: none`).

The memo's chart (`memo_chart`) is a pure function of the pack, the facts and the as-of date, and drawing it
is the slowest part of a memo (a year of weekly evaluations, then matplotlib's layout): a process that draws
many keeps the last few (engine.recent), keyed by the pack's content and categories' order, the facts'
digest and the date, so that changed content is drawn afresh and the same content is not drawn twice.
"""

from __future__ import annotations

import datetime as dt
import gc
import io
from typing import Any

from engine.evaluate import PackKey, facts_digest, pack_key
from engine.model import Fact, Pack
from engine.recent import Recent

# One colour per category, in the pack's order (colour-blind safe: Okabe–Ito).
PALETTE = ("#0072B2", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#E69F00", "#F0E442", "#000000")
LEVEL_COLOUR = "#1f4e79"


def level_order(pack: Pack, kind: str, seen: list[str]) -> list[str]:
    """The values of a headline kind from the bottom of the axis up: its enum's values as the pack declares
    them (the first declared on top), else in the order first seen."""
    spec = pack.vocabulary.get(kind)
    field = spec.fields.get("value") if spec else None
    declared = list(field.values) if field is not None and field.type == "enum" else []
    ordered = declared + [v for v in dict.fromkeys(seen) if v not in declared]
    return ordered[::-1]


def timeline_svg(timeline_result: Any, pack: Pack) -> str:
    """SVG of a `Timeline`: the first headline kind's value as a step line on top, below it one row per
    response seen (a bar while it is recommended), coloured by category."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num

    points = list(timeline_result.points)
    dates = [p.date for p in points]
    step = (dates[1] - dates[0]) if len(dates) > 1 else dt.timedelta(days=1)
    ends = [*dates[1:], dates[-1] + step] if dates else []
    kind = pack.headline[0].kind if pack.headline else None
    values = [p.headline.get(kind) or "not derived" for p in points] if kind else []
    levels = level_order(pack, kind, values) if kind else []
    if "not derived" in values and "not derived" not in levels:
        levels.insert(0, "not derived")
    categories = list(pack.categories)
    spec = pack.responses
    seen = list(dict.fromkeys(r for p in points for r in p.responses))
    rows = sorted(seen, key=lambda r: (categories.index(spec[r].category) if r in spec and spec[r].category
                                       in categories else len(categories), r), reverse=True)

    with matplotlib.rc_context({"svg.hashsalt": "commitments", "svg.fonttype": "none", "font.size": 9,
                                "font.family": "sans-serif", "axes.spines.top": False,
                                "axes.spines.right": False}):
        level_height = 0.35 * max(len(levels), 2) + 0.6
        bar_height = 0.22 * max(len(rows), 1) + 0.6
        figure, (top, bottom) = pyplot.subplots(
            2, 1, sharex=True, figsize=(9.5, level_height + bar_height + 0.5),
            gridspec_kw={"height_ratios": [level_height, bar_height], "hspace": 0.12})
        try:
            if kind and dates:
                ys = [levels.index(v) for v in values]
                top.step([*dates, ends[-1]], [*ys, ys[-1]], where="post", color=LEVEL_COLOUR, linewidth=2.2)
                top.set_yticks(range(len(levels)), levels)
                top.set_ylim(-0.5, len(levels) - 0.5)
                top.set_title(pack.label(kind), loc="left", fontsize=10, fontweight="bold")
                top.grid(axis="y", color="#e3e7ea", linewidth=0.8)
            else:
                top.set_axis_off()
            for row, response in enumerate(rows):
                colour = PALETTE[categories.index(spec[response].category) % len(PALETTE)] \
                    if response in spec and spec[response].category in categories else "#777777"
                spans: list[tuple[float, float]] = []  # consecutive steps merged: one bar while it lasts
                for day, end, point in zip(dates, ends, points, strict=True):
                    if response not in point.responses:
                        continue
                    if spans and spans[-1][0] + spans[-1][1] == date2num(day):
                        spans[-1] = (spans[-1][0], date2num(end) - spans[-1][0])
                    else:
                        spans.append((date2num(day), date2num(end) - date2num(day)))
                bottom.broken_barh(spans, (row - 0.35, 0.7), facecolors=colour, gid=f"response-{response}")
            shown = [c for c in categories if any(r in spec and spec[r].category == c for r in rows)]
            if shown:
                from matplotlib.patches import Patch

                bottom.legend(handles=[Patch(color=PALETTE[categories.index(c) % len(PALETTE)],
                                             label=pack.categories[c].split(" (")[0]) for c in shown],
                              loc="upper left", bbox_to_anchor=(0, -0.08 - 0.6 / max(len(rows), 1)),
                              ncol=len(shown), frameon=False, fontsize=8)
            bottom.set_yticks(range(len(rows)), rows, fontsize=7)
            bottom.set_ylim(-0.6, max(len(rows), 1) - 0.4)
            bottom.set_title("Responses recommended", loc="left", fontsize=10, fontweight="bold")
            locator = AutoDateLocator()
            bottom.xaxis.set_major_locator(locator)
            bottom.xaxis.set_major_formatter(ConciseDateFormatter(locator))
            if dates:
                bottom.set_xlim(date2num(dates[0]), date2num(ends[-1]))
            out = io.StringIO()
            figure.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
        finally:
            pyplot.close(figure)
            # A figure is a web of some ten thousand objects in reference cycles, most of them old enough by now
            # for only a full pass to free: freed here, by the drawing that made them, rather than in whatever
            # a server does next when the collector comes round (60-100 ms inside another request).
            gc.collect()
    text = out.getvalue()
    return text[text.index("<svg"):]  # without the XML declaration and doctype: it goes inside a page


ChartKey = tuple[PackKey, str, dt.date, int]
KEPT_CHARTS = 32  # some 30 KB each
_drawn: Recent[ChartKey, tuple[str | None]] = Recent(KEPT_CHARTS)  # a drawing, or None: nothing to chart


def chart_key(pack: Pack, facts: list[Fact], as_of: dt.date, months: int = 12) -> ChartKey:
    """What the memo's chart depends on: the pack's and the facts' content (digests, not file names or
    times; the pack's with its categories' order, which gives their colours), the date and the period."""
    return pack_key(pack), facts_digest(facts), as_of, months


def draw_memo_chart(pack: Pack, facts: list[Fact], as_of: dt.date, months: int = 12) -> str | None:
    """The memo's chart drawn now: the `months` up to the as-of date, a step a week (None when there is no
    headline and no response to show)."""
    from engine.timeline import Step, add_months, timeline

    start = add_months(as_of, -months) or dt.date.min
    result = timeline(pack, facts, start, as_of, Step(count=7))
    if not pack.headline and not any(p.responses for p in result.points):
        return None
    return timeline_svg(result, pack)


def nothing_to_chart() -> str:
    """What a page shows where a memo has no chart: a pack without a headline whose argument recommended nothing
    all year."""
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="480" height="40" viewBox="0 0 480 40">'
            '<text x="0" y="24" font-family="sans-serif" font-size="13" fill="#555">Nothing to chart: no headline '
            'and no response recommended over the year.</text></svg>')


def memo_chart(pack: Pack, facts: list[Fact], as_of: dt.date, months: int = 12) -> str | None:
    """`draw_memo_chart`, or the same drawing kept from an earlier call with the same `chart_key`."""
    if not pack.digest:  # a pack made in code, not loaded: nothing names its content
        return draw_memo_chart(pack, facts, as_of, months)
    key = chart_key(pack, facts, as_of, months)
    kept = _drawn.get(key)
    if kept is not None:
        return kept[0]
    # drawn unlocked: two callers drawing the same chart at once each get the same bytes
    svg = draw_memo_chart(pack, facts, as_of, months)
    _drawn.put(key, (svg,))
    return svg
