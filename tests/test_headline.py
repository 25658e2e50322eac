"""The engine knows no article: what summaries lead with (`headline:`), how responses are grouped and
ordered (`categories:`) and who the argument is about (`parties:`) come from the pack, in every view."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ROOT

from engine.evaluate import evaluate
from engine.model import DEFAULT_CATEGORIES, Fact, FactSource, Pack
from engine.render import render_diff, render_json, render_markdown, render_text, render_timeline
from engine.replay import _differences
from engine.timeline import timeline
from engine.whatif import Change, apply, diff

DAY = dt.date(2024, 5, 1)
PACK = """
pack: {name: picnic, version: '1', title: Picnic weather}
parties: {city: The city, council: The council}
headline:
  mood: The city's mood
  plan: The council's plan
categories:
  later: Later (shown first)
  offer: Offers
sources: {s: {title: S}}
vocabulary:
  weather: {subjects: [city], state: true, fields: {sky: {type: enum, values: [sunny, rainy]}}}
  mood: {subjects: [city], state: true, derived: true, fields: {value: {type: enum, values: [good, bad]}}}
  plan: {subjects: [council], state: true, derived: true, fields: {value: {type: enum, values: [picnic, stay_in]}}}
"""
RULES = """
responses:
  a.picnic: {category: offer, text: Have a picnic.}
  z.umbrella: {category: later, text: Bring an umbrella anyway.}
rules:
  - id: mood
    cites: [{source: s, para: 1, quote: q}]
    when: {fact: weather, where: {sky: sunny}}
    then: [{derive: {kind: mood, value: good}}]
    else: [{derive: {kind: mood, value: bad}}]
  - id: plan
    cites: [{source: s, para: 2, quote: q}]
    when: {fact: mood, where: {value: good}}
    then: [{derive: {kind: plan, subject: council, value: picnic}}, {respond: a.picnic}]
    else: [{derive: {kind: plan, subject: council, value: stay_in}}]
  - id: umbrella
    cites: [{source: s, para: 3, quote: q}]
    then: [{respond: z.umbrella}]
"""


def weather(sky: str, observed: dt.date = DAY, fid: str = "w1") -> Fact:
    return Fact(id=fid, kind="weather", subject="city", observed=observed, fields={"sky": sky}, reliability="B",
                credibility=2, source=FactSource(title="t", ref="r", date=observed))


@pytest.fixture
def pack(make_pack: Callable[..., Pack]) -> Pack:
    return make_pack(PACK, rules=RULES)


def test_no_article_is_named_in_the_engine() -> None:
    article = re.compile(r"pakistan|fatf|cooperation_level|taliban", re.IGNORECASE)
    found = [f"{path.name}:{n}: {line.strip()}" for path in sorted((ROOT / "engine").glob("*.py"))
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if article.search(line)]
    assert not found, "\n".join(found)


def test_the_pack_declares_parties_headline_and_categories(pack: Pack) -> None:
    assert pack.parties == {"city": "The city", "council": "The council"}
    assert [(h.kind, h.label) for h in pack.headline] == [("mood", "The city's mood"), ("plan", "The council's plan")]
    assert list(pack.categories) == ["later", "offer"] and pack.label("plan") == "The council's plan"
    assert pack.label("weather") == "weather"


def test_text_markdown_and_json_lead_with_the_headline(pack: Pack) -> None:
    result = evaluate(pack, [weather("sunny")], DAY)
    assert result.headline(pack) == {"mood": "good", "plan": "picnic"}
    text = render_text(result, pack)
    assert text.splitlines()[1] == "As of 2024-05-01: The city's mood is good; The council's plan is picnic."
    assert text.index("Later (shown first)") < text.index("Offers")
    assert [r.id for r in result.responses] == ["z.umbrella", "a.picnic"]  # the pack's order, not the ids'
    markdown = render_markdown(result, pack)
    assert "**The city's mood:** `good`" in markdown and "## Later (shown first)" in markdown
    data = json.loads(render_json(result, pack))
    assert data["headline"] == {"mood": "good", "plan": "picnic"} and "cooperation_level" not in data
    undecided = evaluate(pack, [], DAY)
    assert render_text(undecided, pack).splitlines()[1] == ("As of 2024-05-01: The city's mood is not derived; "
                                                            "The council's plan is not derived.")


def test_a_pack_without_headline_or_categories(make_pack: Callable[..., Pack]) -> None:
    pack = make_pack("pack: {name: p, version: '1'}\nsources: {s: {title: S}}\nvocabulary:\n"
                     "  w: {subjects: [x], state: true, fields: {v: {type: integer}}}\n",
                     rules="responses:\n  r: {category: risk, text: R}\n  o: {category: offer, text: O}\n"
                           "rules:\n  - id: r1\n    cites: [{source: s, para: 1, quote: q}]\n"
                           "    then: [{respond: r}, {respond: o}]\n")
    assert pack.categories == DEFAULT_CATEGORIES and pack.headline == () and pack.parties == {}
    result = evaluate(pack, [], DAY)
    text = render_text(result, pack)
    assert text.splitlines()[1] == "As of 2024-05-01." and text.index("\nOffers\n") < text.index("\nRisks\n")
    assert json.loads(render_json(result, pack))["headline"] == {}
    assert render_timeline(timeline(pack, [], DAY, DAY), "csv", pack).splitlines() == ["date,r,o", "2024-05-01,1,1"]


def test_timeline_whatif_and_replay_speak_of_the_headline(pack: Pack) -> None:
    facts = [weather("rainy"), weather("sunny", DAY + dt.timedelta(days=7), "w2")]
    result = timeline(pack, facts, DAY, DAY + dt.timedelta(days=14), 7)
    assert [p.headline for p in result.points][:2] == [{"mood": "bad", "plan": "stay_in"},
                                                       {"mood": "good", "plan": "picnic"}]
    rows = render_timeline(result, "csv", pack).splitlines()
    assert rows[:3] == ["date,mood,plan,a.picnic,z.umbrella", "2024-05-01,bad,stay_in,0,1",
                        "2024-05-08,good,picnic,1,1"]
    text = render_timeline(result, "text", pack)
    assert "2024-05-01  The city's mood is bad; The council's plan is stay_in; recommended: z.umbrella" in text
    assert "2024-05-08  The council's plan stay_in → picnic" in text
    before = evaluate(pack, [weather("rainy")], DAY)
    change = Change(op="set", fact="w1", kind="weather", fields={"sky": "sunny"})
    after = evaluate(pack, apply([weather("rainy")], [change]), DAY)
    shown = render_diff(diff(pack, before, after), [change], pack).splitlines()
    assert shown[2:5] == ["The city's mood: bad → good", "The council's plan: stay_in → picnic", "  + a.picnic"]
    assert _differences(pack, before, after)[:2] == ["responses gained: a.picnic", "The city's mood: bad → good"]


def test_a_response_category_the_pack_does_not_declare(make_pack: Callable[..., Pack], tmp_path: Path) -> None:
    from engine.errors import InputError

    with pytest.raises(InputError) as refused:
        make_pack(PACK, rules=RULES.replace("category: offer", "category: offers"))
    (line,) = refused.value.lines()
    assert re.fullmatch(r".*rules\.yaml:2:14: bad-value: no category 'offers'; the pack's categories are later, "
                        r"offer \(did you mean 'offer'\?\)", line), line


def test_a_timeline_csv_quotes_a_headline_value_that_holds_a_comma_or_a_quote(pack: Pack) -> None:
    import csv

    result = timeline(pack, [weather("rainy")], DAY, DAY)
    point = result.points[0]
    odd = point.model_copy(update={"headline": {"mood": 'bad, "very"', "plan": "stay_in"}})
    text = render_timeline(result.model_copy(update={"points": (odd,)}), "csv", pack)
    assert text.splitlines()[1] == '2024-05-01,"bad, ""very""",stay_in,1'
    assert list(csv.reader(text.splitlines()))[1] == ["2024-05-01", 'bad, "very"', "stay_in", "1"]
