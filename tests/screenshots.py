"""Screenshots of the workbench's main pages for docs/web.md: `make screenshots` (or `python
tests/screenshots.py [FOLDER]`) serves the article's pack on a free port of 127.0.0.1, works through the
pages in headless Chromium as an analyst would, and writes one PNG a page into docs/screenshots/.

Each page is taken whole, up to MAX_HEIGHT pixels (the rest of a long memo says more of the same), 1280
pixels wide, and saved with a palette of COLORS colours (flat colours and text lose nothing visible), so
the images stay small enough to keep in the repository.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from PIL import Image
from playwright.sync_api import Browser, Page, sync_playwright

from engine.web.accounts import add_user
from engine.web.serve import background
from engine.web.settings import WebSettings

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
WIDTH, MAX_HEIGHT, COLORS = 1280, 1300, 48
BASELINE, COOPERATES, AS_OF = "2021-02-baseline.yaml", "scenarios/cooperates.yaml", "2021-02-12"


def shoot(page: Page, out: Path, name: str) -> Path:
    page.wait_for_load_state("load")
    height = min(MAX_HEIGHT, int(page.evaluate("document.documentElement.scrollHeight")))
    path = out / f"{name}.png"
    page.set_viewport_size({"width": WIDTH, "height": max(height, 400)})
    page.screenshot(path=str(path), clip={"x": 0, "y": 0, "width": WIDTH, "height": max(height, 400)})
    page.set_viewport_size({"width": WIDTH, "height": 900})
    with Image.open(path) as taken:
        small = taken.convert("RGB").quantize(colors=COLORS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(path, "PNG", optimize=True)
    return path


def pages(page: Page, site: str, out: Path) -> list[Path]:
    taken = []
    page.goto(f"{site}/")
    page.check(f"input[value='{COOPERATES}']")
    page.uncheck(f"input[value='{COOPERATES}']")
    page.fill("input[name=as_of]", AS_OF)
    page.click("h1")  # the date field unfocused, as it reads once filled in
    taken.append(shoot(page, out, "evaluate"))
    page.click("#evaluate-form button[type=submit]")
    page.wait_for_selector("#memo .bottom-line")
    taken.append(shoot(page, out, "memo"))
    page.click("#memo a.explain[href$='target=fatf.keep_listed']")
    page.wait_for_selector("#explanation")
    taken.append(shoot(page, out, "explain"))
    page.goto(f"{site}/facts/new?kind=violence_trend")
    for name, value in {"file": "2021-04-update.yaml", "id": "unama-2021-q2", "observed": "2021-04-31",
                        "change_pct": "-38", "window_days": "90", "source.title": "UNAMA quarterly report",
                        "source.ref": "https://unama.unmissions.org/", "source.date": "2021-04-14"}.items():
        page.fill(f"[id='field-{name}']", value)
    for name, value in {"metric": "civilian_casualties", "reliability": "B", "credibility": "2"}.items():
        page.select_option(f"[id='field-{name}']", value)
    page.click("form.fact button[type=submit]")
    page.wait_for_selector(".field .error")
    taken.append(shoot(page, out, "fact-entry-error"))
    page.goto(f"{site}/whatif?f={BASELINE}&as_of={AS_OF}")
    page.uncheck("#on-base-yusuf-claims-inability")
    page.click("#whatif-form button[type=submit]")
    page.wait_for_url("**toggled=1**")
    taken.append(shoot(page, out, "whatif"))
    page.goto(f"{site}/timeline?f={BASELINE}&f={COOPERATES}&as_of=2021-07-01&from=2021-01-01&step=2w")
    taken.append(shoot(page, out, "timeline"))
    page.goto(f"{site}/ledger?f={BASELINE}&f={COOPERATES}&as_of=2021-07-01")
    taken.append(shoot(page, out, "ledger"))
    page.goto(f"{site}/")  # a second run, so the trail has more than one record to tell apart
    page.check(f"input[value='{COOPERATES}']")
    page.fill("input[name=as_of]", "2021-07-01")
    page.click("#evaluate-form button[type=submit]")
    page.wait_for_selector("#memo .bottom-line")
    page.goto(f"{site}/audit")
    page.click("#verify")
    page.wait_for_selector("#verification")
    taken.append(shoot(page, out, "audit"))
    return taken


def take(out: Path, browser: Browser) -> list[Path]:
    """Every screenshot, into `out`, with `browser`: the article's pack on servers of its own, then gone."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        shutil.copytree(ROOT / "facts", work / "facts")
        add_user(work / "users.json", "analyst", "screenshots only")
        settings = WebSettings(rules=ROOT / "rules", facts=work / "facts", audit_db=work / "audit.sqlite",
                               users=work / "users.json")
        page = browser.new_page(viewport={"width": WIDTH, "height": 900})
        page.set_default_timeout(60_000)
        with background(settings) as site:
            taken = pages(page, site, out)
        signed = WebSettings(**{**settings.__dict__, "login_required": True})
        with background(signed) as site:
            page.goto(f"{site}/")
            page.fill("#user", "analyst")
            page.fill("#password", "a wrong password")
            page.click("form.login button")
            page.wait_for_selector("#login-error")
            taken.append(shoot(page, out, "login"))
        page.close()
    return taken


def main(out: Path) -> int:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        taken = take(out, browser)
        browser.close()
    for path in taken:
        print(f"wrote {path} ({path.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"))
