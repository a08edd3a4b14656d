"""Sentence segmentation with character offsets (pySBD-style ``char_span``).

A sentence ends at ``.``, ``?`` or ``!`` (plus closing quotes/brackets) followed by whitespace and
a character that is not lower-case, unless the period ends an abbreviation listed in
``rules/segment.yml`` (e.g., i.e., et al., vs., ...). Decimals (``1.91x``), URLs and glued
sentences (``curriculum.We``) never split because a split needs whitespace after the mark.
"""
from __future__ import annotations

import functools

from .literals import AsciiRe
from .models import Sentence
from .rules import get_rules

# on the standard library's `re` where it reads the text as `regex` does (2-3x faster here)
_BOUNDARY = AsciiRe(r"""[.?!]['"’”)\]]*(?=\s+(?P<next>\S))""")


@functools.lru_cache(maxsize=4)
def _abbreviations(version: str) -> tuple[tuple[tuple[str, bool], ...], tuple[str, ...]]:
    """((abbreviation, final), ...) in file order, and the abbreviations alone (one endswith call
    rules out most periods)."""
    rules = get_rules()
    out = []
    for e in rules.section("segment.yml", "abbreviations"):
        out.append((str(e.get("text")).lower(), bool(e.get("final", False))))
    return tuple(out), tuple(a for a, _ in out)


def segment(text: str) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` over ``text``: in order, non-overlapping, stripped."""
    abbrs, any_abbr = _abbreviations(get_rules().version)
    spans: list[tuple[int, int]] = []
    start = 0
    n = len(text)
    for m in _BOUNDARY.finditer(text):
        end = m.end()
        nxt = m.group("next")
        if nxt.islower():
            continue
        if text[m.start()] == ".":
            head = text[max(0, m.start() - 12): m.start() + 1].lower()
            blocked = False
            for abbr, final in (abbrs if head.endswith(any_abbr) else ()):
                if head.endswith(abbr):
                    before = len(head) - len(abbr) - 1
                    if before < 0 or not head[before].isalnum():
                        if not final:
                            blocked = True
                        break
            if blocked:
                continue
            # a single capital letter before the period is an initial ("J. Smith"), keep going
        spans.append((start, end))
        start = end
    if start < n:
        spans.append((start, n))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


def sentences(paper_id: str, abstract: str) -> list[Sentence]:
    return [Sentence(paper_id=paper_id, sentence_index=i, start=s, end=e, text=abstract[s:e])
            for i, (s, e) in enumerate(segment(abstract))]
