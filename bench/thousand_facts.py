"""Time one evaluation of the article pack over 1,000 facts (issue 2's figure; `make bench` is issue 7).

Run: .venv/bin/python bench/thousand_facts.py
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.evaluate import evaluate  # noqa: E402
from engine.model import Fact, FactSource, Pack  # noqa: E402
from engine.validate import load_facts, load_pack  # noqa: E402

ACTIONS = ["arrest_taliban_leaders", "restrict_taliban_movement", "close_sanctuaries_or_logistics",
           "public_call_for_ceasefire", "press_taliban_to_negotiate", "facilitate_talks"]


def article_facts(pack: Pack, count: int, seed: int = 1) -> list[Fact]:
    """The baseline plus `count` minus its size synthetic Pakistani actions and violence reports."""
    rng = random.Random(seed)
    facts = load_facts([ROOT / "facts" / "2021-02-baseline.yaml"], pack)
    source = FactSource(title="synthetic", ref="generated", date=dt.date(2021, 1, 1))
    for i in range(count - len(facts)):
        day = dt.date(2020, 1, 1) + dt.timedelta(days=rng.randint(0, 400))
        if i % 2:
            fields = {"action": rng.choice(ACTIONS), "verified": rng.random() < 0.3}
            kind, subject = "pakistan_action", "pakistan"
        else:
            fields = {"change_pct": rng.randint(-60, 60), "window_days": rng.choice([30, 60, 90]),
                      "metric": "attacks"}
            kind, subject = "violence_trend", "taliban"
        facts.append(Fact(id=f"syn-{i:04d}", kind=kind, subject=subject, observed=day, fields=fields,
                          source=source, reliability=rng.choice("ABCD"), credibility=rng.randint(1, 4)))
    return facts


def main() -> None:
    pack = load_pack(ROOT / "rules")
    facts = article_facts(pack, 1_000)
    times = []
    for _ in range(7):
        start = time.perf_counter()
        result = evaluate(pack, facts, dt.date(2021, 2, 12))
        times.append(time.perf_counter() - start)
    median = statistics.median(times) * 1000
    print(f"1,000 facts ({len(result.counted)} counting), article pack: median {median:.0f} ms, "
          f"min {min(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms over {len(times)} runs; "
          f"cooperation level {result.value_of('cooperation_level')}")


if __name__ == "__main__":
    main()
