"""The site in a real browser: Playwright driving Debian's /usr/bin/chromium (never a downloaded
browser) against `claims serve`, one test per page kind: front page, metric leaderboard,
speedup board, head-to-head, system, baseline, hardware, paper, claim, search, canned query,
dashboard; each asserts what a reader must see in a 1400 px wide window. Screenshots go to artifacts/screenshots/ (git-ignored); the
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
    context = browser.new_context(base_url=site_server, viewport={"width": 1400, "height": 900})
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
    page.goto("/claims/claims")
    for col in ("claim_id", "paper_id", "mention", "kind", "metric", "baseline", "system"):   # on screen at 1400 px
        assert visible_right_edge(page, f"th.col-{col}") <= 1400, col
    for col in ("title", "rules_version", "span_start", "mention_start"):
        assert not page.locator(f"td.col-{col}").first.is_visible(), col
    shot(page, "claims-table")


def visible_right_edge(page, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not displayed"
    return box["x"] + box["width"]


def test_front_page_answers_the_questions(page):
    page.goto("/")
    for text in ("Best MFU", "beat vLLM", "Largest speedups", "Systems, baselines, hardware, papers"):
        assert page.get_by_text(text).first.is_visible(), text
    assert page.get_by_role("link", name="dashboard").is_visible()
    page.get_by_role("link", name="beats(vLLM)").click()
    page.wait_for_url("**/claims/beats?baseline=vLLM")
    assert page.locator("table.rows-and-columns td.col-system", has_text="S-LoRA").count() >= 1
    shot(page, "front")


def test_metric_leaderboard_is_compact_and_readable(page):
    page.goto("/claims/leaderboard_best?board=mfu+%28%25%29")
    rows = page.locator("table.rows-and-columns tbody tr")
    assert rows.count() >= 3
    mega = rows.filter(has=page.locator("td.col-system", has_text="MegaScale"))
    assert mega.count() == 1
    assert mega.locator("td.col-result").inner_text().strip() == "55.2%"
    assert mega.locator("td.col-setup").inner_text().strip() == "12,288 × GPU"
    assert mega.locator("td.col-year").inner_text().strip() == "2024"
    assert mega.locator("td.col-paper_id a").first.inner_text().startswith("MegaScale")   # the paper page
    assert mega.locator("td.col-paper_url a").get_attribute("href").startswith("https://")
    # ranks 1..n in order, one unit on the board
    ranks = [int(t) for t in page.locator("td.col-rank").all_inner_texts()]
    assert ranks == list(range(1, len(ranks) + 1))
    # the key columns are on screen in 1400 px; plumbing columns are not displayed
    for col in ("rank", "system", "result", "setup", "baseline", "paper_id", "year"):
        assert visible_right_edge(page, f"th.col-{col}") <= 1400, col
    for col in ("score", "compare_unit", "rowid", "value", "mention", "title"):
        assert not page.locator(f"td.col-{col}").first.is_visible(), col
    # the rows start on the first screen
    assert page.locator("table.rows-and-columns").bounding_box()["y"] < 900
    text = page.locator("body").inner_text()
    assert "175000000000.0" not in text and "\\%" not in text
    shot(page, "leaderboard-mfu")


def test_speedup_board_flags_implausible_factors(page):
    page.goto("/claims/leaderboard_speedups?_size=max")
    rows = page.locator("table.rows-and-columns tbody tr")
    assert rows.count() > 20
    unflagged_over_1000 = 0
    for result, flag in zip(page.locator("td.col-result").all_inner_texts(),
                            page.locator("td.col-flag").all_inner_texts()):
        number = float(re.sub(r"[^0-9.]", "", result.split("–")[-1]) or 0)
        if number > 1000 and "check the sentence" not in flag:
            unflagged_over_1000 += 1
    assert unflagged_over_1000 == 0
    first = rows.first
    assert first.locator("td.col-rank").inner_text().strip() == "1" and not first.locator("td.col-flag").inner_text().strip()
    shot(page, "leaderboard-speedups")


def test_head_to_head_nanoflow_and_beats_vllm(page):
    page.goto("/claims/leaderboard_head_to_head?system=NanoFlow")
    row = page.locator("table.rows-and-columns tbody tr", has=page.locator("td.col-result", has_text="1.91×"))
    assert row.count() == 1 and row.locator("td.col-metric").inner_text().strip() == "throughput"
    page.goto("/claims/beats?baseline=vllm")          # case-insensitive, the input is a dropdown
    select = page.locator("select[name=baseline]")
    assert select.count() == 1 and select.input_value() == "vLLM"
    systems = page.locator("td.col-system").all_inner_texts()
    assert "S-LoRA" in [s.strip() for s in systems]
    page.locator("td.col-system a", has_text="S-LoRA").first.click()     # results link to the pages
    page.wait_for_url("**/claims/systems/S-LoRA")
    assert "vLLM" in page.locator("table.claims-section-table").nth(1).inner_text()
    shot(page, "beats-vllm")


def test_system_page(page):
    page.goto("/claims/systems/MegaScale")
    for title in ("Results on the leaderboards", "Whom it beats", "Who beats it"):
        assert page.get_by_role("heading", name=re.compile(title)).is_visible(), title
    results = page.locator("table.claims-section-table").first
    assert "55.2%" in results.inner_text() and "12,288 × GPU" in results.inner_text()
    page.get_by_role("link", name="Megatron-LM").first.click()
    page.wait_for_url("**/compared_baselines/Megatron-LM")
    assert page.get_by_role("heading", name=re.compile("Systems that claim to beat it")).is_visible()
    assert "MegaScale" in page.locator("table.claims-section-table").first.inner_text()
    shot(page, "system-page")


def test_hardware_page(page):
    page.goto("/claims/hardware/A100")
    assert page.get_by_role("heading", name=re.compile("Best results on it")).is_visible()
    best = page.locator("table.claims-section-table").first.inner_text()
    assert "FlashAttention-2" in best and "72%" in best
    assert page.get_by_role("heading", name=re.compile("Specifications")).is_visible()   # issue 15's catalogue
    specs = page.locator("table.claims-section-table", has_text="source ↗")
    assert specs.count() == 1 and "TFLOP/s" in specs.inner_text()
    shot(page, "hardware-page")


def test_paper_page_lists_claims_with_sentences(page):
    page.goto("/claims/leaderboard_best?board=mfu+%28%25%29&system=MegaScale")
    page.locator("td.col-paper_id a").first.click()
    page.wait_for_url("**/claims/papers/*")
    assert page.locator("a.paper-link").first.get_attribute("href").startswith("https://arxiv.org/")
    marks = page.locator("table.claims-section-table td.col-sentence mark.claim-mention").all_inner_texts()
    assert "55.2%" in marks and "1.34x" in marks
    shot(page, "paper-page")


def test_canned_query_says_why_it_is_empty(page):
    page.goto("/claims/best_for_metric?metric=mfu&hardware=H100")
    note = page.locator("p.claims-empty-note")
    assert note.is_visible()
    assert note.inner_text().startswith("No mfu claim on H100 in this corpus; mfu is reported on")
    assert page.locator("select[name=metric]").input_value() == "mfu"
    options = page.locator("select[name=hardware] option").all_inner_texts()
    assert "A100" in options and "(any)" in options
    shot(page, "empty-query")


def test_dashboard_charts_render_marks(page):
    page.goto("/-/dashboards/claims-overview")
    charts = ("best-by-year", "mfu-by-system", "speedups-by-baseline", "claims-per-hardware")
    marks_of = ("(c) => document.querySelectorAll(`#chart-${c} svg .mark-symbol path, #chart-${c} svg .mark-rect path, "
                "#chart-${c} svg .mark-line path`).length >= 2")
    for chart in charts:
        page.wait_for_function(marks_of, arg=chart, timeout=20_000)
    for chart in charts:
        marks = page.locator(f"#chart-{chart} svg .mark-symbol path, #chart-{chart} svg .mark-rect path, "
                             f"#chart-{chart} svg .mark-line path").count()
        assert marks >= 2, (chart, marks)
    labels = page.evaluate("() => document.querySelector('#chart-mfu-by-system svg').textContent")
    assert "MegaScale — 12,288 × GPU (mfu)" in labels   # labelled with hardware × count
    fills = set(page.evaluate("""() => [...document.querySelectorAll('#chart-claims-per-hardware svg .mark-rect path')]
                                     .map(p => p.getAttribute('fill'))"""))
    assert len(fills) >= 3, fills   # distinct colours per category
    path = shot(page, "dashboard")
    if not README_SHOT.exists() or os.environ.get("CLAIMS_UPDATE_SCREENSHOT") == "1":
        README_SHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, README_SHOT)
    # a filter that empties a chart: the chart says so
    page.goto("/-/dashboards/claims-overview?hardware=CPU")
    page.wait_for_function("() => (document.querySelector('#chart-mfu-by-system svg') || {}).textContent"
                           "?.includes('No data')", timeout=20_000)
    assert "No data" in page.evaluate("() => document.querySelector('#chart-mfu-by-system svg').textContent")
    assert page.locator("#chart-mfu-by-system svg .mark-rect path").count() == 0


def test_claim_page_highlights_mention(page):
    page.goto("/claims/leaderboard_best?board=mfu+%28%25%29&system=MegaScale")
    page.locator("td.col-claim_id a").first.click()
    page.wait_for_url("**/claims/claims/*")
    mark = page.locator("td.col-sentence_id mark.claim-mention")   # the sentence, stored once (issue 16)
    assert mark.count() == 1 and mark.inner_text() == "55.2%"
    assert "12,288 GPUs" in page.locator("td.col-sentence_id").inner_text()
    shot(page, "claim-page")


# ------------------------------------------------------------------ physics-check marks (issue 15)
# Two papers through the real pipeline (`claims build`, `claims publish`, `claims serve`): BadKernel
# claims 500 TFLOP/s per A100 (1.6x the A100's dense BF16 peak of 312, its fastest precision) beside
# 55% MFU; GoodKernel claims 156 TFLOP/s (50% of the peak) beside 50% MFU.
MARK_PAPERS = [
    {"paper_id": "bad-kernel", "title": "BadKernel: Attention at Any Speed",
     "abstract": "We present BadKernel. BadKernel reaches 55% MFU and 500 TFLOP/s per A100 GPU."},
    {"paper_id": "good-kernel", "title": "GoodKernel: Honest Attention",
     "abstract": "We present GoodKernel. GoodKernel reaches 50% MFU and 156 TFLOP/s per A100 GPU."},
]


@pytest.fixture(scope="module")
def marks_server(tmp_path_factory):
    import json

    from click.testing import CliRunner

    from claims.cli import main
    from conftest import running_site

    d = tmp_path_factory.mktemp("marks")
    src = d / "papers.jsonl"
    src.write_text("".join(json.dumps(p) + "\n" for p in MARK_PAPERS), encoding="utf-8")
    for args in (["build", str(src), "--db", str(d / "claims.duckdb"), "--quiet"],
                 ["publish", "--db", str(d / "claims.duckdb"), "--out", str(d / "site" / "claims.sqlite")]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
    with running_site(d / "site" / "claims.sqlite", d / "serve.log") as base:
        yield base


def board_row(page, system: str):
    return page.locator("table.rows-and-columns tbody tr", has=page.locator("td.col-system", has_text=system))


def test_leaderboard_rows_carry_their_physics_marks(browser, marks_server):
    context = browser.new_context(base_url=marks_server, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto("/claims/leaderboard_best?board=flops+%28TFLOP%2Fs%29")
        bad, good = board_row(page, "BadKernel"), board_row(page, "GoodKernel")
        assert bad.count() == 1 and good.count() == 1
        assert bad.locator("td.col-result").inner_text().strip() == "500 TFLOP/s"
        mark = bad.locator("td.col-marks a.claims-mark")
        assert mark.is_visible() and mark.inner_text().strip() == "⚠ impossible: 1.6× the A100 dense BF16 peak"
        assert visible_right_edge(page, "th.col-marks") <= 1400          # on screen without scrolling
        assert "claims-mark-impossible" in mark.get_attribute("class")
        title = mark.get_attribute("title")                               # the arithmetic, as a tooltip
        assert "500 TFLOP/s per device: 1.60x" in title and "BF16 dense peak of 312 TFLOP/s" in title
        # the impossible value is ranked after the sane one; the sane row has no mark at all
        assert [t.strip() for t in page.locator("td.col-system").all_inner_texts()] == ["GoodKernel", "BadKernel"]
        assert good.locator("td.col-marks").inner_text().strip() == ""
        assert good.locator("td.col-marks a.claims-mark").count() == 0
        shot(page, "leaderboard-marks")

        # the MFU board: the stated 55% disagrees with the 160% its own FLOP/s figure implies
        page.goto("/claims/leaderboard_best?board=mfu+%28%25%29")
        mfu_mark = board_row(page, "BadKernel").locator("td.col-marks a.claims-mark")
        assert mfu_mark.inner_text().strip() == "⚠ unusual: stated 55.0% vs implied 160.3%"
        assert "claims-mark-unusual" in mfu_mark.get_attribute("class")
        assert board_row(page, "GoodKernel").locator("td.col-marks").inner_text().strip() == ""

        # the mark leads to the claim's rows on the physics checks page, with the arithmetic in words
        mfu_mark.click()
        page.wait_for_url("**/claims/physics_checks?claim_id=*")
        rows = page.locator("table.rows-and-columns tbody tr")
        assert rows.count() == 1
        assert rows.first.locator("td.col-check_id").inner_text().strip() == "check.mfu_disagrees"
        assert "1.60x the" in rows.first.locator("td.col-explanation").inner_text()
    finally:
        context.close()
    assert not errors, f"JavaScript errors: {errors}"
