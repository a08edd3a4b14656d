"""The site in a real browser: Playwright driving Debian's /usr/bin/chromium (never a downloaded
browser) against `claims serve`. Screenshots go to artifacts/screenshots/ (git-ignored); the
dashboard one is copied to docs/screenshot.png for the README when that file is missing or
CLAIMS_UPDATE_SCREENSHOT=1."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]
REPO = Path(__file__).resolve().parent.parent
SHOTS = REPO / "artifacts" / "screenshots"
README_SHOT = REPO / "docs" / "screenshot.png"


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, site_server):
    context = browser.new_context(base_url=site_server, viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_claims_table_finds_megascale_mfu(page):
    page.goto("/claims/claims")
    page.fill("input#_search", "MegaScale")
    page.press("input#_search", "Enter")
    page.wait_for_url("**_search=MegaScale**")
    mention = page.locator("td.col-mention", has_text=re.compile(r"^\s*55\.2%\s*$"))
    row = page.locator("table.rows-and-columns tbody tr", has=mention)
    assert row.count() == 1
    assert row.locator("td.col-metric").inner_text().strip() == "mfu"
    assert row.locator("td.col-system").inner_text().strip() == "MegaScale"
    shot(page, "claims-table")


def test_leaderboard_page(page):
    page.goto("/claims/leaderboard_best?metric=mfu&_sort_desc=score")
    rows = page.locator("table.rows-and-columns tbody tr")
    assert rows.count() >= 2
    assert "MegaScale" in page.locator("table.rows-and-columns").inner_text()
    # each row links to the claim behind it
    link = rows.filter(has_text="MegaScale").first.locator("td.col-claim_id a")
    assert link.inner_text() == "55.2%"
    shot(page, "leaderboard-mfu")


def test_dashboard_charts_render_marks(page):
    page.goto("/-/dashboards/claims-overview")
    for chart in ("best-mfu", "claims-per-kind", "speedup-distribution"):
        page.wait_for_selector(f"#chart-{chart} canvas, #chart-{chart} svg", timeout=20_000)
    page.wait_for_timeout(500)  # let Vega finish its first paint
    for chart in ("best-mfu", "claims-per-kind", "speedup-distribution"):
        painted = page.evaluate(
            """(sel) => {
                const root = document.querySelector(sel);
                const svg = root.querySelector('svg');
                if (svg) return 1000 * svg.querySelectorAll('.mark-rect path, .mark-rect rect').length;
                const c = root.querySelector('canvas');
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                let n = 0;  // pixels in colour (bars), not the grey/black of axes and text
                for (let i = 0; i < d.length; i += 4) {
                    const [r, g, b, a] = [d[i], d[i + 1], d[i + 2], d[i + 3]];
                    if (a > 200 && Math.max(r, g, b) - Math.min(r, g, b) > 40) n++;
                }
                return n;
            }""",
            f"#chart-{chart}",
        )
        # SVG: 1000 per bar drawn; canvas: coloured pixels
        assert painted >= (2000 if chart == "best-mfu" else 200), f"chart {chart} has no marks ({painted})"
    path = shot(page, "dashboard")
    if not README_SHOT.exists() or os.environ.get("CLAIMS_UPDATE_SCREENSHOT") == "1":
        README_SHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, README_SHOT)


def test_claim_page_highlights_mention(page):
    page.goto("/claims/leaderboard_best?metric=mfu&system=MegaScale")
    page.locator("td.col-claim_id a").first.click()
    page.wait_for_url("**/claims/claims/*")
    mark = page.locator("td.col-sentence mark.claim-mention")
    assert mark.count() == 1 and mark.inner_text() == "55.2%"
    assert "12,288 GPUs" in page.locator("td.col-sentence").inner_text()
    shot(page, "claim-page")
