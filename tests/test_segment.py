"""Sentence segmentation edge cases: offsets tile the text, no splits inside numbers or abbreviations."""
import json
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from claims.segment import segment, sentences


def texts(t):
    return [t[a:b] for a, b in segment(t)]


@pytest.mark.parametrize("text,expected", [
    ("It is 1.91x faster. We also cut latency.", ["It is 1.91x faster.", "We also cut latency."]),
    ("Large models (e.g. GPT-3) are costly. We fix it.", ["Large models (e.g. GPT-3) are costly.", "We fix it."]),
    ("One device, i.e. A100, is used. Next.", ["One device, i.e. A100, is used.", "Next."]),
    ("As Kaplan et al. Showed, it scales. Next.", ["As Kaplan et al. Showed, it scales.", "Next."]),
    ("2x faster vs. Megatron-LM. Next.", ["2x faster vs. Megatron-LM.", "Next."]),
    ("2x faster v.s. Megatron. Next.", ["2x faster v.s. Megatron.", "Next."]),
    ("Gains w.r.t. FlashAttention are 2x. Next.", ["Gains w.r.t. FlashAttention are 2x.", "Next."]),
    ("GPUs, TPUs, etc. are used. Next.", ["GPUs, TPUs, etc. are used.", "Next."]),
    ("We use GPUs, TPUs, etc. We also use CPUs.", ["We use GPUs, TPUs, etc.", "We also use CPUs."]),
    ("Code: https://github.com/a/b.c. Next one.", ["Code: https://github.com/a/b.c.", "Next one."]),
    ("It reaches 55.2% MFU. Next.", ["It reaches 55.2% MFU.", "Next."]),
    ("for multi res. hashgrid encoding it works. Next.", ["for multi res. hashgrid encoding it works.", "Next."]),
    ("a curriculum.We conduct experiments.", ["a curriculum.We conduct experiments."]),
    ("Is it fast? Yes! It is.", ["Is it fast?", "Yes!", "It is."]),
    ("It ends (see Table 2). Then more.", ["It ends (see Table 2).", "Then more."]),
    ("", []),
    ("   ", []),
    ("No final period", ["No final period"]),
])
def test_segment_cases(text, expected):
    assert texts(text) == expected


@pytest.mark.parametrize("text", [
    "A. B. C.", "  leading space. And more.  ", "x" * 1000, "1.2.3.4. 5.6", "\n\nA.\n\nB.\n",
])
def test_spans_in_order_and_non_overlapping(text):
    spans = segment(text)
    last = 0
    for a, b in spans:
        assert last <= a < b <= len(text)
        assert text[a:b] == text[a:b].strip()
        last = b


def test_sentences_models():
    s = sentences("p1", "It is fast. It is small.")
    assert [x.sentence_index for x in s] == [0, 1]
    assert s[1].text == "It is small." and s[1].start == 12 and s[1].paper_id == "p1"


GOLD = Path("/work/shared/gold/dev.jsonl")
PAPERS = Path("/work/shared/gold/dev-papers.jsonl")


@pytest.mark.skipif(not GOLD.exists(), reason="dev gold not available")
def test_gold_sentences_are_segments():
    papers = {json.loads(l)["paper_id"]: json.loads(l)["abstract"] for l in PAPERS.open()}
    for line in GOLD.open():
        g = json.loads(line)
        a = papers[g["paper_id"]]
        assert g["sentence"] in texts(a), g["sentence"][:80]


def _bounds(it):
    return [(m.span(), m.group("next")) for m in it]


def test_boundary_scan_is_the_same_on_re_and_regex():
    """The boundary scan runs on `re` where claims.literals.re_agrees holds: the same boundaries."""
    from claims.literals import re_agrees
    from claims.segment import _BOUNDARY
    from texts import corpus_abstracts

    abstracts = [a for a in corpus_abstracts() if re_agrees(a)]
    assert len(abstracts) > 300
    for a in abstracts:
        assert _bounds(_BOUNDARY.fast.finditer(a)) == _bounds(_BOUNDARY.pattern.finditer(a))
    # \x1c-\x1f are whitespace to `re` only: such text goes to `regex`
    assert texts("It is fast.\x1cNext one.") == ["It is fast.\x1cNext one."]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([".", "?", "!", "'", '"', ")", "]", "\u201d", " ", "  ", "\n", "\t", "\x1c", "\x1f",
                                 "\x0b", "a", "A", "1", "e.g.", "et al.", "\u00e9", "\u00a0", "Next"]), max_size=24))
def test_boundary_scan_is_the_same_on_re_and_regex_generated(parts):
    from claims.literals import re_agrees
    from claims.segment import _BOUNDARY

    t = "".join(parts)
    assert _bounds(_BOUNDARY.finditer(t)) == _bounds(_BOUNDARY.pattern.finditer(t))
    if re_agrees(t):
        assert _bounds(_BOUNDARY.fast.finditer(t)) == _bounds(_BOUNDARY.pattern.finditer(t))
