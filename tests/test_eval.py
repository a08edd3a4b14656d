"""evaluate(): matching rules of issue 3 and the dev-gold floor."""
import hashlib
import json
from pathlib import Path

import pytest
from rich.console import Console

from claims.evaluate import close, evaluate, field_equal, match, score

GOLD = Path("/work/shared/gold/dev.jsonl")
PAPERS = Path("/work/shared/gold/dev-papers.jsonl")
GOLD2 = Path("/work/shared/gold/dev2.jsonl")
PAPERS2 = Path("/work/shared/gold/dev2-papers.jsonl")


def rec(**kw):
    base = dict(paper_id="p", sentence="S.", mention="2x", value=2.0, value_high=None, unit="x",
                kind="ratio", metric="speed", direction="up", baseline=None, system=None,
                hardware=None, hardware_count=None, model=None, qualifier=None, rule_id="r")
    base.update(kw)
    return base


def test_close_is_relative():
    assert close(1000.0, 1000.9) and not close(1000.0, 1002.0)
    assert close(None, None) and not close(None, 1.0)


def test_match_needs_same_paper_sentence_and_value():
    gold = [rec(), rec(value=3.0, mention="3x"), rec(paper_id="q")]
    pred = [rec(value=3.0005, mention="3x"), rec(sentence="Other."), rec(paper_id="q", value=9.0)]
    assert match(gold, pred) == [(1, 0)]


def test_match_is_one_to_one_and_prefers_same_mention():
    gold = [rec(mention="2x"), rec(mention="2 times")]
    pred = [rec(mention="2 times"), rec(mention="2x"), rec(mention="2.0x")]
    assert match(gold, pred) == [(0, 1), (1, 0)]


def test_score_counts_and_fields():
    gold = [rec(baseline="the vLLM system"), rec(value=5.0, kind="scale", unit="GPU", metric="hardware_count")]
    pred = [rec(baseline="vLLM system", direction="down"), rec(value=7.0)]
    r = score(gold, pred)
    assert r.detection["overall"]["tp"] == 1 and r.detection["overall"]["precision"] == 0.5
    assert r.detection["scale"]["gold"] == 1 and r.detection["scale"]["tp"] == 0
    assert r.fields["baseline"]["accuracy"] == 1.0          # articles dropped
    assert r.fields["direction"]["accuracy"] == 0.0
    assert r.fields["hardware"]["n"] == 0                   # scored only where gold has one
    assert len(r.missed) == 1 and len(r.spurious) == 1
    d = r.to_dict()
    assert set(d) >= {"detection", "fields", "missed", "spurious"}


def test_rows_are_right_only_when_every_key_field_agrees():
    gold = [rec(system="A", baseline="vLLM"),                                   # head-to-head + speedups
            rec(value=3.0, mention="3x", system="A"),                           # speedups only
            rec(value=55.2, mention="55.2%", unit="%", kind="absolute", metric="mfu", direction=None,
                hardware="GPU", system="MegaScale"),                            # best
            rec(value=512.0, mention="512 GPUs", unit="GPU", kind="scale", metric="hardware_count",
                direction=None, hardware="GPU"),                                # scale
            rec(value=4.0, mention="4 tasks", unit="items", kind="scale", metric="other", direction=None)]
    pred = [rec(system="A", baseline="the state-of-the-art vLLM"),               # right on both boards
            rec(value=3.0, mention="3x", system="B"),                           # wrong system
            rec(value=55.2, mention="55.2%", unit="%", kind="absolute", metric="mfu", direction=None,
                hardware="A100", system="MegaScale"),                           # wrong hardware
            rec(value=512.0, mention="512 GPUs", unit="GPU", kind="scale", metric="hardware_count",
                direction=None, hardware="GPU"),
            rec(value=9.0, mention="9x", system="A")]                           # unmatched
    r = score(gold, pred)
    assert r.rows["head_to_head"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "right_gold": 1,
                                      "gold": 1, "right_pred": 1, "pred": 1}
    sp = r.rows["speedups"]
    assert (sp["right_gold"], sp["gold"], sp["right_pred"], sp["pred"]) == (1, 2, 1, 3)
    assert r.rows["best"]["f1"] == 0.0 and r.rows["scale"]["f1"] == 1.0
    assert r.row_f1 == pytest.approx((1.0 + 2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2) + 0.0 + 1.0) / 4)
    assert {e["mention"] for e in r.row_errors} == {"3x", "55.2%", "9x"}


def test_baseline_equality_uses_canonical_names():
    assert field_equal("baseline", "vLLM", "the state-of-the-art serving system vLLM")
    assert not field_equal("baseline", "vLLM", "Megatron-LM")


@pytest.fixture(scope="module")
def dev_report():
    if not GOLD.exists():
        pytest.skip("dev gold not available")
    return evaluate(GOLD, PAPERS)


@pytest.fixture(scope="module")
def dev2_report():
    return evaluate(GOLD2, PAPERS2)


def test_dev_f1_floor(dev_report):
    assert dev_report.f1 >= 0.93, dev_report.detection


# Floors on the figures issue 13 is about: detection, the key fields and leaderboard rows.
FLOORS = {
    "dev": {"f1": 0.965, "row_f1": 0.82, "system": 0.88, "metric": 0.92, "direction": 0.965, "baseline": 0.86,
            "hardware": 0.95},
    "dev2": {"f1": 0.975, "row_f1": 0.85, "system": 0.91, "metric": 0.93, "direction": 0.96, "baseline": 0.90,
             "hardware": 0.95},
}


@pytest.mark.parametrize("name", ["dev", "dev2"])
def test_floors(name, request):
    r = request.getfixturevalue(f"{name}_report")
    got = {"f1": r.f1, "row_f1": r.row_f1,
           **{k: r.fields[k]["accuracy"] for k in ("system", "metric", "direction", "baseline", "hardware")}}
    low = {k: round(v, 3) for k, v in got.items() if v < FLOORS[name][k]}
    assert not low, (low, r.rows)


def test_render(dev_report):
    console = Console(record=True, width=160)
    dev_report.render(console)
    out = console.export_text()
    assert "overall" in out and "missed" in out and "spurious" in out and "hardware_count" in out


# The unseen set (issue 13): 38 abstracts scraped from other sources (arXiv html, deepai, hf mirrors,
# publisher and catalogue pages) with their noise kept, annotated by hand from GUIDELINES.md before
# the tool was run on them (tests/golden/unseen*.jsonl, source address in each paper's `url`).
# It was measured once before any rule looked at it (F1 0.800, row F1 0.246 at 1e54da4); the rules
# of this round then used its errors, so it is no longer unseen and the floors below only guard the
# figures reached (F1 0.975, row F1 0.748): the sets nobody here sees are the real test.
UNSEEN = Path(__file__).parent / "golden" / "unseen.jsonl"
UNSEEN_PAPERS = Path(__file__).parent / "golden" / "unseen-papers.jsonl"
UNSEEN_FLOORS = {"f1": 0.96, "result_f1": 0.97, "scale_f1": 0.93, "row_f1": 0.73, "system": 0.91,
                 "metric": 0.86, "direction": 0.91, "baseline": 0.81, "hardware": 0.80, "kind": 0.95,
                 "unit": 0.99}


def _jsonl(path):
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def unseen_report():
    return evaluate(UNSEEN, UNSEEN_PAPERS)


def test_unseen_papers_are_new():
    papers = _jsonl(UNSEEN_PAPERS)
    known = _jsonl(PAPERS) + _jsonl(PAPERS2) + _jsonl(Path(__file__).parent / "golden" / "heldout-papers.jsonl")
    titles = {p["title"].lower() for p in known}
    assert len(papers) >= 35
    assert not {p["paper_id"] for p in papers} & {p["paper_id"] for p in known}
    assert not [p["title"] for p in papers if p["title"].lower() in titles]
    for p in papers:
        assert p["paper_id"] == hashlib.sha1(p["title"].encode()).hexdigest()[:12], p["title"]
        assert p["url"].startswith(("http://", "https://")), p["title"]


def test_unseen_records_point_into_their_abstracts():
    abstracts = {p["paper_id"]: p["abstract"] for p in _jsonl(UNSEEN_PAPERS)}
    gold = _jsonl(UNSEEN)
    assert len(gold) >= 100
    for g in gold:
        assert g["sentence"] in abstracts[g["paper_id"]], g["sentence"][:80]
        assert g["mention"] in g["sentence"], g["mention"]


def test_unseen_floors(unseen_report):
    r = unseen_report
    got = {"f1": r.f1, "result_f1": r.detection["result"]["f1"], "scale_f1": r.detection["scale"]["f1"],
           "row_f1": r.row_f1,
           **{k: r.fields[k]["accuracy"] for k in ("system", "metric", "direction", "baseline", "hardware", "kind",
                                                   "unit")}}
    low = {k: round(v, 3) for k, v in got.items() if v < UNSEEN_FLOORS[k]}
    assert not low, (low, r.rows)
