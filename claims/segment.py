"""Sentence segmentation with character offsets (pySBD-style ``char_span``).

A sentence ends at ``.``, ``?`` or ``!`` (plus closing quotes/brackets) followed by whitespace and
a character that is not lower-case, unless the period ends an abbreviation listed in
``rules/segment.yml`` (e.g., i.e., et al., vs., ...). Decimals (``1.91x``), URLs and glued
sentences (``curriculum.We``) never split because a split needs whitespace after the mark.

Text that is not prose (the ``rows`` section of ``rules/segment.yml``): a line break next to a
table-like line ends a sentence (one table row, one sentence), and a piece still longer than
``rows.max_chars`` is cut at a cell separator or whitespace, so the work per sentence is bounded
whatever the document (a 1 MB table is a thousand short sentences, not one).
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


@functools.lru_cache(maxsize=4)
def _rows(version: str) -> tuple[tuple[str, ...], int, float, int]:
    """(cell separators, min tokens, numeric share, max chars) of the `rows` section."""
    by_id = {e.id: e for e in get_rules().section("segment.yml", "rows")}
    line, cap = by_id["rows.table_line"], by_id["rows.max_chars"]
    return (tuple(line.get("separators")), int(line.get("min_tokens")), float(line.get("numeric_share")),
            int(cap.get("chars")))


def segment(text: str) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` over ``text``: in order, non-overlapping, stripped."""
    version = get_rules().version
    spans = _prose(text, version)
    rows = _rows(version)
    if "\n" not in text and all(e - s <= rows[3] for s, e in spans):
        return spans          # prose on one line: every abstract of the corpus
    out: list[tuple[int, int]] = []
    for s, e in spans:
        for a, b in _table_rows(text, s, e, rows):
            out.extend(_capped(text, a, b, rows))
    return out


def _table_like(line: str, rows) -> bool:
    separators, min_tokens, share, _ = rows
    if any(sep in line for sep in separators):
        return True
    tokens = line.split()
    if len(tokens) < min_tokens:
        return False
    return sum(any(ch.isdigit() for ch in t) for t in tokens) >= share * len(tokens)


def _table_rows(text: str, s: int, e: int, rows) -> list[tuple[int, int]]:
    """[s, e) cut at the line breaks next to a table-like line."""
    if text.find("\n", s, e) < 0:
        return [(s, e)]
    bounds = [s]
    k = text.find("\n", s, e)
    while k >= 0:
        bounds.append(k)
        k = text.find("\n", k + 1, e)
    bounds.append(e)
    lines = [(bounds[0], bounds[1])] + [(bounds[i] + 1, bounds[i + 1]) for i in range(1, len(bounds) - 1)]
    like = [_table_like(text[a:b], rows) for a, b in lines]
    out, start = [], lines[0][0]
    for i in range(len(lines) - 1):
        if like[i] or like[i + 1]:
            out.append((start, lines[i][1]))
            start = lines[i + 1][0]
    out.append((start, e))
    return [p for p in (_strip(text, a, b) for a, b in out) if p]


def _capped(text: str, s: int, e: int, rows) -> list[tuple[int, int]]:
    """[s, e) in pieces of at most max chars, cut in each piece's second half at the last
    separator, else the last space before a number, else whitespace (else at the limit)."""
    separators, _, _, cap = rows
    out = []
    while e - s > cap:
        lo, hi = s + cap // 2, s + cap
        cut = max(text.rfind(sep.strip() or sep, lo, hi) for sep in separators)
        if cut < 0:
            cut = _before_number(text, lo, hi)
        if cut < 0:
            cut = max(text.rfind(" ", lo, hi), text.rfind("\n", lo, hi), text.rfind("\t", lo, hi))
        cut = hi if cut < 0 else cut
        piece = _strip(text, s, cut)
        if piece:
            out.append(piece)
        s = cut
    piece = _strip(text, s, e)
    if piece:
        out.append(piece)
    return out


def _before_number(text: str, lo: int, hi: int) -> int:
    """The last space in [lo, hi) followed by a digit: a claim's mention starts at its number,
    so a cut there keeps "12 GPUs" whole (-1: none)."""
    k = text.rfind(" ", lo, hi)
    while k >= 0 and not text[k + 1: k + 2].isdigit():
        k = text.rfind(" ", lo, k)
    return k


def _strip(text: str, s: int, e: int) -> tuple[int, int] | None:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return (s, e) if e > s else None


def _prose(text: str, version: str) -> list[tuple[int, int]]:
    abbrs, any_abbr = _abbreviations(version)
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
