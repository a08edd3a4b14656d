"""Rule-based extraction of numeric metric claims (GUIDELINES.md) from abstracts.

Pipeline per sentence: pre-filter (digits or number words) -> blockers (names, versions, URLs,
years) -> claim patterns in priority order (rules/patterns.yml `claims`, first non-overlapping
match wins) -> context attachment (kind, metric, direction, qualifier, baseline, system,
hardware, count, model) -> pint normalization. Everything the rules say lives in rules/; this
module only interprets the handlers named there. Regexes are compiled once per rules version
and run with a timeout; a timeout is recorded as a problem and the sentence is skipped.

Speed without changing a result: every rule regex is only run where it can match. The literals
each match must contain or start with are derived from the regex itself (claims/literals.py) and
looked up first with the standard library's `re` (a plain-literal scan, several times cheaper):
blockers and scanned patterns skip windows without their literals (`Branched`), context cues skip
windows without their words (`Filtered`), and the metric synonyms, hardware names and comparison
phrases are tried only where one can start (`PrefixScan`). The claim patterns are tried at a
position only if they can start with the kind of character there (digit, letter, other:
`first_kinds`), and a few patterns run on `re` where it reads the text as `regex` does (`AsciiRe`,
`engine: re`). tests/test_literals.py checks the literals and first kinds on every match of every
rule regex; a 3,600-abstract regression oracle was byte-identical after each step (bench/README.md).
"""
from __future__ import annotations

import bisect
import functools
import re
import time
from dataclasses import dataclass, field
from typing import Any, Mapping

import regex

from .literals import ALPHA, DIGIT, OTHER, SKIPPED, AfterText, AsciiRe, Filtered, PrefixScan, Words, after_lead, by_first_char, first_kinds, kind_at, need_regex, prefix_places, re_agrees, re_flags
from .models import Claim, Sentence
from .normalize import to_base
from .rules import branches, expand, get_rules, longest_first
from .segment import segment

# Budgets (claims/budget.py): CPU time per sentence and per regex call, not wall time
from . import budget  # noqa: E402
from .budget import check as _check_deadline  # noqa: E402
from .budget import regex_timeout as _timeout  # noqa: E402

MAX_POWER_OF_TEN = 30       # "N orders of magnitude" beyond this is not a measured claim
_F = regex.VERBOSE | regex.V0


@functools.lru_cache(maxsize=1024)
def _rc(pattern: str, flags: int = 0):
    """Compiled-once inline patterns (regex's own cache still costs a lookup per call). Only for
    constant pattern texts: a pattern built from the input would compile once per input."""
    return regex.compile(pattern, flags)


def _m(p, t, flags=0):
    return _rc(p, flags).match(t)


def _s(p, t, flags=0):
    return _rc(p, flags).search(t)


def _fm(p, t, flags=0):
    return _rc(p, flags).fullmatch(t)


def _sp(p, t, maxsplit=0, flags=0):
    return _rc(p, flags).split(t, maxsplit=maxsplit)



# --------------------------------------------------------------------------- compiled rules
class _Lazy:
    """A regex compiled on its first use (the claim alternations: the extractor tries the patterns
    one by one, only the tests need them; a compile costs ~0.15 s of start-up)."""

    __slots__ = ("src", "flags", "_pat")

    def __init__(self, src: str, flags: int):
        self.src, self.flags, self._pat = src, flags, None

    def compiled(self):
        if self._pat is None:
            self._pat = regex.compile(self.src, self.flags)
        return self._pat

    def match(self, *a, **k):
        return (self._pat or self.compiled()).match(*a, **k)

    def __getattr__(self, name):
        return getattr(self.compiled(), name)


class _AfterWord:
    """At a start word ("a", "two"; lower-cased ASCII), per character after it (outside SKIPPED),
    the indices of the claim patterns that can start with a letter and whose character after that
    word can be it (claims.literals.AfterText), in their order; worked out per word on first use."""

    __slots__ = ("after", "alpha", "known")

    def __init__(self, after: list):
        self.after = after                 # per claim pattern: AfterText, or None (cannot start with a letter)
        self.alpha = tuple(k for k, a in enumerate(after) if a is not None)
        self.known: dict = {}

    def orders(self, word: str) -> tuple[dict, tuple]:
        """(character -> indices, indices where the text ends after the word)"""
        got = self.known.get(word)
        if got is None:
            sets = {k: self.after[k].of(word) for k in self.alpha}
            by_set: dict = {}
            table = {}
            for ch in map(chr, range(128)):
                if ch not in SKIPPED:
                    key = tuple(k for k in self.alpha if sets[k] is None or ch in sets[k])
                    table[ch] = by_set.setdefault(key, key)
            got = self.known[word] = (table, tuple(k for k in self.alpha if sets[k] is None))
        return got


class _Singles:
    """The claim patterns one by one (`pats[k]`, None until `get(k)` compiles it) and their entries."""

    __slots__ = ("srcs", "pats", "entries")

    def __init__(self, srcs: list[str], entries: list):
        self.srcs, self.entries = srcs, entries
        self.pats: list = [None] * len(srcs)

    def get(self, k: int):
        self.pats[k] = regex.compile(self.srcs[k], _F)
        return self.pats[k]


class Branched:
    """A searched rule pattern; with `split` (the rule's `search_branches: true`) an alternation
    ('A | B | C') runs as one regex per branch.

    `regex` tries every branch at every position of an unanchored search, so an alternation whose
    branches each start with a literal or a narrow class costs several times the sum of its
    branches searched alone (claim.metric_value: 41 ms vs 24 ms per bundled-corpus pass,
    block.equation 12.7 vs 3.2); for others the extra calls cost more than they save, hence the
    per-rule switch. `finditer` reproduces the alternation's own scan exactly: the leftmost match
    of any branch, the earlier branch on a tie, the next scan from its end."""

    __slots__ = ("whole", "parts", "guard", "need", "needs", "folded", "fast", "starts")

    def __init__(self, src: str, flags: int, split: bool = True, guard: str | None = None, engine: str | None = None):
        self.whole = regex.compile(src, flags)
        # the rule's `engine: re`: the standard library's `re` scans text it reads as `regex` does
        # (claims.literals.re_agrees: ASCII without \x1c-\x1f)
        self.fast = re.compile(src, re_flags(flags)) if engine == "re" else None
        verbose = bool(flags & regex.VERBOSE)
        alts = branches(src) if split and verbose else [src]
        self.parts = tuple(regex.compile(b, flags) for b in alts) if len(alts) > 1 else None
        # the rule's `guard`: found in every text the pattern matches; where it is not, skip the search
        self.guard = regex.compile(guard, flags) if guard else None
        # derived guards (claims.literals): the literals every match of the pattern / of each branch
        # contains, searched with `re` in the window (lower-cased for an IGNORECASE pattern)
        self.folded = bool(flags & regex.IGNORECASE)
        self.need = need_regex(src, verbose, self.folded)
        self.needs = tuple(need_regex(b, verbose, self.folded) for b in alts) if self.parts else None
        # where a branch with literal prefixes can match (claims.literals.prefix_places): it is
        # tried there only, not searched for ('perplexity|PPL|BLEU|...' ignoring case: 5x faster)
        self.starts = tuple(prefix_places(b, verbose, self.folded) for b in alts) if self.parts else None

    def finditer(self, s: str, pos: int, endpos: int, timeout: float | None = None, low: str | None = None,
                 same_re: bool = False):
        """Matches in s[pos:endpos]. `low`: s.lower() when s is ASCII (else None: an IGNORECASE
        pattern then runs without its literal filter, since only ASCII folds one to one).
        `same_re`: claims.literals.re_agrees(s), so that `engine: re` may run on `re`."""
        # (`timeout=None` is left out of the calls below: passing the keyword costs 0.3 us a call)
        guard = self.guard
        if guard is not None and not (guard.search(s, pos, endpos) if timeout is None else
                                      guard.search(s, pos, endpos, timeout=timeout)):
            return iter(())
        text = low if self.folded else s
        if text is not None and self.need is not None and not self.need.search(text, pos, endpos):
            return iter(())
        if self.parts is None:
            if self.fast is not None and same_re and timeout is None:
                return self.fast.finditer(s, pos, endpos)      # where `re` reads s as `regex` does, no timeout needed
            if timeout is None:
                return self.whole.finditer(s, pos, endpos)
            return self.whole.finditer(s, pos, endpos, timeout=timeout)
        return self._scan(s, pos, endpos, timeout, text)

    def _scan(self, s: str, pos: int, endpos: int, timeout: float | None, text: str | None):
        parts = self.parts
        # a branch whose literals are not in the window cannot match in it: never searched
        live = [text is None or need is None or need.search(text, pos, endpos) is not None for need in self.needs]
        kw = {} if timeout is None else {"timeout": timeout}
        nxt = [self._search(k, s, pos, endpos, kw, text) if ok else None for k, ok in enumerate(live)]
        while True:
            best = None
            for mm in nxt:
                if mm is not None and (best is None or mm.start() < best.start()):
                    best = mm
            if best is None:
                return
            yield best
            pos = best.end() if best.end() > best.start() else best.start() + 1
            for k, mm in enumerate(nxt):
                if mm is not None and mm.start() < pos:
                    nxt[k] = self._search(k, s, pos, endpos, kw, text)

    def _search(self, k: int, s: str, pos: int, endpos: int, kw: dict, text: str | None):
        """parts[k].search(s, pos, endpos): the first place of its literal prefixes in `text` (the
        lower-cased sentence for an IGNORECASE pattern) where it matches (each match starts with one)."""
        starts = self.starts[k]
        if starts is None or text is None or kw:
            return self.parts[k].search(s, pos, endpos, **kw)
        match = self.parts[k].match
        for m0 in starts.finditer(text, pos, endpos):
            mm = match(s, m0.start(), endpos)
            if mm is not None:
                return mm
        return None


@dataclass(frozen=True)
class Compiled:
    version: str
    blockers: tuple[tuple[str, Any], ...]
    word_ratios: tuple[tuple[Any, Any], ...]
    cues: Mapping[str, tuple[tuple[Any, Any], ...]]     # cue name -> (entry, pattern)
    metric_re: Any
    metric_scan: Any                                    # metric_re.finditer, tried only where a synonym can start
    metric_groups: Mapping[str, str]                    # group name -> metric
    higher_is_better: Mapping[str, bool | None]
    hardware: tuple[tuple[str, str, Any], ...]          # (canonical, category, pattern)
    units_by_surface: Mapping[str, tuple[str, float, str | None]]  # surface -> (unit, multiply, metric)
    unit_dims: Mapping[str, str]
    nouns: tuple[tuple[Any, Any], ...]                  # (entry, fullmatch pattern)
    scales: Mapping[str, float]
    number_words: Mapping[str, float]
    prefilter: Any
    num_re: Any
    # one alternation over the anchored claim patterns in priority order, and its (group name, entry)
    # pairs: the entries of claims_by_kind reuse them where a kind leaves out few patterns, and
    # tests/test_extract.py compares claims_by_kind with them
    claims_all: Any
    claim_groups: tuple[tuple[str, Any], ...]
    claims_by_kind: Mapping[str, tuple[Any, tuple]]     # kind of the first character -> (alternation, its groups)
    scanned: tuple[tuple[Any, Any], ...]                # (entry, pattern) of `scan: true` patterns
    has_word_ratio: bool
    hw_blocker: str | None
    wr_trigger: Any
    starts_re: Any                                      # where a claim can start: digits, $, +, US$ ...
    word_start_re: Any                                  # ... or a number word / a / an / single
    start_tokens_re: Any                                # where its first word stands as a whole word
    hw_scan: Any                                        # all hardware aliases (one alternation), tried only where one can start
    hw_groups: Mapping[str, tuple[str, str]]            # group name -> (canonical, category)
    attach: Any = None                                  # claims.attach.AttachRules (rules/attach.yml)
    context: Mapping[str, Any] = field(default_factory=dict)   # patterns.yml `context`: id -> pattern
    # at a digit, the claim patterns one by one (each compiled on first use), only those whose
    # character after the leading number (claims.literals.after_lead) can be the text's there
    lead_re: Any = None                                 # the leading number ({DIGITS}) of most claim patterns
    after_digit: Mapping[str, tuple] = field(default_factory=dict)   # character -> ((pattern, entry), ...)
    after_digit_end: tuple = ()                         # ... where the text ends after the number
    at_digit: tuple = ()                                # ... every pattern that can start with a digit
    at_other: tuple = ()                                # ... every pattern that can start with another character
    singles: Any = None                                 # _Singles: the claim patterns by index, and their entries
    at_word: Any = None                                 # _AfterWord: at a start word, the patterns the next character allows


@functools.lru_cache(maxsize=4)
def _compiled(version: str) -> Compiled:
    r = get_rules()
    m = r.macros

    def comp(src: str, ignore_case: bool = False):
        return regex.compile(expand(src, m), _F | (regex.IGNORECASE if ignore_case else 0))

    blockers = tuple((e.id, Branched(expand(e.get("pattern"), m), _F, bool(e.get("search_branches")), e.get("guard"),
                                     e.get("engine")))
                     for e in r.section("patterns.yml", "blockers") if not e.get("builtin"))
    hw_blocker = next((e.id for e in r.section("patterns.yml", "blockers") if e.get("builtin") == "hardware"), None)
    # where a word ratio can be (Words: `re` in the lower-cased sentence when it is ASCII)
    wr_trigger = Words(sorted({str(w) for e in r.section("numbers.yml", "word_ratios") for w in e.get("trigger") or ()}) or ["\x00"])
    word_ratios = tuple((e, comp(e.get("pattern"), True)) for e in r.section("numbers.yml", "word_ratios"))
    cues: dict[str, list] = {}
    for e in r.section("attach.yml", "cues"):
        cues.setdefault(e.get("cue"), []).append(
            (e, Filtered(regex.compile(e.get("pattern"), _F | regex.IGNORECASE), e.get("pattern"), True, True)))
    parts, groups, hib = [], {}, {}
    syns = []
    for i, met in enumerate(r.metrics):
        if met.kind != "result":
            continue
        hib.setdefault(met.metric, met.higher_is_better)
        for j, syn in enumerate(met.synonyms or ()):
            syns.append((f"m{i}_{j}", met.metric, syn))
    # longest synonym first across metrics: "storage size" is a size, not the memory word "storage"
    order = {syn: k for k, syn in enumerate(longest_first([x[2] for x in syns]))}
    for g, metric, syn in sorted(syns, key=lambda x: order[x[2]]):
        groups[g] = metric
        parts.append(f"(?P<{g}>{syn})")
    metric_re = regex.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w]|-\w)", regex.IGNORECASE | regex.V0)
    # metric_re tried only where a synonym's literal prefix starts a word (claims.literals.PrefixScan)
    metric_src = "(?:" + "|".join(parts) + ")"
    metric_scan = PrefixScan(metric_re, metric_src, verbose=False, folded=True, before=r"(?<![\w-])",
                             by_first=by_first_char(r"(?<![\w-])(?:", parts, r")(?![\w]|-\w)", regex.IGNORECASE | regex.V0,
                                                    folded=True, names=[(g,) for g in groups]))
    hardware = tuple((h.hardware, h.category,
                      regex.compile(r"(?<![\w])(?:" + "|".join(f"(?:{a})" for a in longest_first(list(h.aliases))) + r")(?![\w])",
                                    regex.IGNORECASE | regex.V0))
                     for h in r.hardware if h.aliases)
    ubs: dict[str, tuple[str, float, str | None]] = {}
    dims = {}
    for u in r.units:
        dims[u.unit] = u.dimension
        for s in u.surfaces:
            if isinstance(s, Mapping):
                ubs[str(s.get("text"))] = (u.unit, float(s.get("multiply", 1)), s.get("metric", u.metric))
            else:
                ubs[str(s)] = (u.unit, 1.0, u.metric)
    nouns = tuple((e, regex.compile(r"(?:" + e.get("nouns") + r")", regex.IGNORECASE | regex.V0))
                  for e in r.section("units.yml", "count_nouns"))
    scales: dict[str, float] = {}
    for e in r.section("numbers.yml", "scales"):
        for w in e.get("words") or ():
            scales[str(w)] = float(e.get("factor"))
    nwords: dict[str, float] = {}
    for e in r.section("numbers.yml", "number_words"):
        for w, v in (e.get("values") or {}).items():
            nwords[str(w).lower()] = float(v)
    triggers = {str(w).lower() for e in r.section("numbers.yml", "word_ratios") for w in (e.get("trigger") or ())
                if len(str(w)) > 2 and not str(w)[0].isdigit()}     # "a fifth of": a word ratio with no number word
    words = sorted(triggers | {w for w in nwords if len(w) > 2} | {w.lower() for w in scales if len(w) > 2} | {"doubl", "twice", "tripl", "thrice", "halv", "half",
                                                        "third", "quarter", "magnitude", "fold", "OOM",
                                                        "week", "hour", "day", "minute", "second", "dollar"},
                   key=len, reverse=True)
    prefilter = _Prefilter(tuple(words))
    num_re = regex.compile(r"^\s*(?P<d>" + m["DIGITS"] + r")[\s-]?(?P<s>[A-Za-z]+)?\+?\s*$", regex.V0 | regex.VERBOSE)
    starts_re = regex.compile(r"(?<![\w.])(?<!\d,)\.?\d|(?<=\bsim)\d|[$+]|\\(?=\d)|\bUS(?:D|\$)", _F)
    word_start_re = regex.compile(r"\b(?i:" + m["NUMBER_WORD"] + r"|a|an|single)\b", _F)
    start_words = frozenset({w.split()[0] for w in nwords} | {"a", "an", "single"})
    # where word_start_re can match (it decides): the start words as whole words (Words)
    start_tokens_re = Words(sorted(start_words), bounded="both")
    cparts, cgroups, cfirst, cafter, csrcs, scanned = [], [], [], [], [], []
    has_wr = False
    for i, e in enumerate(r.section("patterns.yml", "claims")):
        if e.get("handler") == "word_ratio":
            has_wr = True
            continue
        if not e.get("pattern"):
            continue
        src = expand(e.get("pattern"), m)
        if e.get("scan"):
            scanned.append((e, Branched(src, _F | (regex.IGNORECASE if e.get("ignore_case") else 0),
                                        bool(e.get("search_branches")))))
            continue
        cfirst.append(first_kinds(src, verbose=True, ignore_case=bool(e.get("ignore_case"))))
        cafter.append(after_lead(src, m["DIGITS"], verbose=True, ignore_case=bool(e.get("ignore_case"))))
        csrcs.append(src)
        src = f"(?i:{src})" if e.get("ignore_case") else src
        cgroups.append((f"p{i}", e))
        cparts.append(f"(?P<p{i}>{src})")
    claims_all = _Lazy("|".join(cparts), _F)
    # Trying the patterns of a number one by one in their order, the first that matches, is what
    # their alternation does; at a digit only those whose character after the leading number can
    # be the text's there (after_lead: "8 GPUs" tries 5 patterns of 27, "[12]" 2)
    # (orders are tuples of indices into `singles`, compiled on first use, `_single`)
    singles = _Singles([part for part in cparts], [e for _, e in cgroups])
    at_digit = tuple(k for k, f in enumerate(cfirst) if DIGIT in f)
    by_set: dict[tuple, tuple] = {}
    after_digit = {}
    for ch in map(chr, range(128)):
        if ch not in SKIPPED:
            key = tuple(k for k in at_digit if cafter[k] is None or ch in cafter[k])
            after_digit[ch] = by_set.setdefault(key, key)
    after_digit_end = tuple(k for k in at_digit if cafter[k] is None)
    at_other = tuple(k for k, f in enumerate(cfirst) if OTHER in f)
    at_word = _AfterWord([AfterText(src, verbose=True, ignore_case=bool(e.get("ignore_case"))) if ALPHA in f else None
                          for src, f, (_, e) in zip(csrcs, cfirst, cgroups)])
    # Per kind of character at a start (digit, ASCII letter, other), the alternation of only the
    # claim patterns that can start with one (claims.literals.first_kinds), in the same order: at a
    # number word ("a", "two") the dozen patterns that begin with digits are not tried. A kind that
    # leaves out few patterns uses the whole alternation (they fail at once there; a compile costs
    # ~0.1 s of start-up).
    by_kind = {}
    for kind in (DIGIT, ALPHA, OTHER):
        keep = [k for k, f in enumerate(cfirst) if kind in f]
        if len(keep) > 0.75 * len(cparts):
            by_kind[kind] = (claims_all, tuple(cgroups))
        else:
            by_kind[kind] = (_Lazy("|".join(cparts[k] for k in keep), _F) if keep else None,
                             tuple(cgroups[k] for k in keep))
    hw_parts, hw_groups = [], {}
    for i, h in enumerate(r.hardware):
        if h.aliases:
            hw_groups[f"h{i}"] = (h.hardware, h.category)
            hw_parts.append(f"(?P<h{i}>" + "|".join(f"(?:{a})" for a in longest_first(list(h.aliases))) + ")")
    hw_all = regex.compile(r"(?<![\w])(?:" + "|".join(hw_parts) + r")(?![\w])", regex.V0)   # case-sensitive: fast
    hw_scan = PrefixScan(hw_all, "(?:" + "|".join(hw_parts) + ")", verbose=False, folded=False, before=r"(?<![\w])",
                         by_first=by_first_char(r"(?<![\w])(?:", hw_parts, r")(?![\w])", regex.V0, folded=False,
                                                names=[(g,) for g in hw_groups]))
    return Compiled(version, blockers, word_ratios, {k: tuple(v) for k, v in cues.items()},
                    metric_re, metric_scan, groups, hib, hardware, ubs, dims, nouns, scales, nwords, prefilter, num_re,
                    claims_all, tuple(cgroups), by_kind, tuple(scanned), has_wr, hw_blocker, wr_trigger,
                    starts_re, word_start_re, start_tokens_re, hw_scan, hw_groups, attach.compile_rules(r),
                    {e.id: regex.compile(e.get("regex"), regex.V0 | (regex.IGNORECASE if e.get("ignore_case") else 0))
                     for e in r.section("patterns.yml", "context")},
                    lead_re=regex.compile(m["DIGITS"], _F), after_digit=after_digit, after_digit_end=after_digit_end,
                    at_digit=at_digit, at_other=at_other, singles=singles, at_word=at_word)


class _Prefilter:
    """Can this sentence hold a claim? True when it has a digit or a word starting with one of the
    number / scale / ratio / time stems (``\\d|\\b(?:stem|...)`` ignoring case). Two thirds of all
    sentences are rejected here, so this runs on every sentence: the digit search goes first, then
    the stems as `Words` (factored by first letter, 'm(?:agnitude|illion|inute)|s(?:eventeen|...)',
    searched with `re` in the lower-cased sentence when it is ASCII): exactly what the IGNORECASE
    alternation admits (tests/test_extract.py)."""

    _DIGIT = regex.compile(r"\d")
    _ASCII_DIGIT = re.compile(r"[0-9]")      # \d in ASCII text (`re`, a character set it skips through: 1.7x)

    def __init__(self, stems: tuple[str, ...]):
        self.stems = stems
        self.words = Words(list(stems), bounded="start")

    def search(self, text: str) -> bool:
        digit = self._ASCII_DIGIT.search(text) if text.isascii() else self._DIGIT.search(text)
        return bool(digit or self.words.search(text))


_CURRENT: list = [None]      # the Compiled rules pinned for the duration of one extract_abstract call


def compiled() -> Compiled:
    c = _CURRENT[0]
    if c is not None:
        return c
    return _compiled(get_rules().version)


def parse_number(text: str) -> float | None:
    """'12,288' -> 12288, '175B' -> 1.75e11, '8.3 billion' -> 8.3e9, 'three' -> 3, 'a single' -> 1."""
    c = compiled()
    t = text.strip()
    low = " ".join(t.lower().split())
    if low in c.number_words:
        return c.number_words[low]
    if low.startswith("a single") or low == "single":
        return 1.0
    parts = low.replace("-", " ").split()
    if len(parts) == 2 and parts[1] in c.scales and (parts[0] in c.number_words or parts[0] in ("a", "one")):
        return c.number_words.get(parts[0], 1.0) * c.scales[parts[1]]
    pw = _fm(r"10\^\{?(\d{1,2})\}?", t) if "^" in t else None     # (most numbers have no power)
    if pw:
        return 10.0 ** int(pw.group(1))
    mm = c.num_re.match(t)
    if not mm:
        return None
    v = float(mm.group("d").replace(",", "").replace("’", ""))
    s = mm.group("s")
    if s:
        if s in c.scales:
            v *= c.scales[s]
        elif s.lower() in c.scales:
            v *= c.scales[s.lower()]
        else:
            return None
    return v


# --------------------------------------------------------------------------- candidates
@dataclass
class Cand:
    start: int
    end: int
    num_start: int
    value: float
    unit: str
    kind: str | None                  # None = decide from context (percent)
    rule_id: str
    value_high: float | None = None
    metric: str | None = None
    direction: str | None = None
    qualifier: str | None = None
    baseline: str | None = None
    system: str | None = None
    hardware: str | None = None
    hardware_count: int | None = None
    model: str | None = None
    fixed_direction: bool = False
    notes: list[str] = field(default_factory=list)


_GROUP_NAMES: dict = {}     # pattern -> its groupindex (a new dict per access), for _g and _span


def _names(pat) -> Mapping[str, int]:
    names = _GROUP_NAMES.get(pat)
    if names is None:
        names = _GROUP_NAMES[pat] = pat.groupindex
    return names


def _g(mm, name):
    """mm.group(name), None where the pattern has no such group (a claim pattern tried alone
    lacks the others' groups: a test instead of a raised IndexError, 1 us each)."""
    return mm.group(name) if name in _names(mm.re) else None


def _span(mm, name):
    return mm.span(name) if name in _names(mm.re) else (-1, -1)


@functools.lru_cache(maxsize=256)
def _hw_mentions(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, canonical, category) of every hardware mention, left to right."""
    c = compiled()
    out = []
    for mm in c.hw_scan.finditer(text):
        g = mm.lastgroup
        name, cat = c.hw_groups[g]
        out.append((mm.start(), mm.end(), name, cat))
    return out


@functools.lru_cache(maxsize=4096)
def _hw_canonical(text: str) -> tuple[str, str] | None:
    for name, cat, pat in compiled().hardware:
        if pat.search(text):
            return name, cat
    return None


def hardware_in(text: str) -> list[str]:
    """Canonical hardware names mentioned in text, left to right."""
    return [m[2] for m in _hw_mentions(text)]


_UNIT_OF_CAT = {"gpu": "GPU", "tpu": "TPU", "cpu": "CPU", "node": "node"}


def _handle(entry, mm, s: str) -> Cand | None:
    c = compiled()
    h = entry.get("handler")
    rid = entry.id
    st, en = mm.span()
    nk = next((k for k in ("num", "num2", "num3", "num4") if _g(mm, k)), "num")
    num = _g(mm, nk)
    ns = _span(mm, nk)[0]
    val = parse_number(num) if num is not None else None
    hi = _g(mm, "num_high")
    vhi = parse_number(hi) if hi else None
    last = _g(mm, "lastnum")
    if last and val is not None and num and _fm(r"[\d.,]+", num.strip()) and _m(r"[\d.,]+", last.strip()):
        plain_last = parse_number(_m(r"[\d.,]+", last.strip()).group(0))
        full_last = parse_number(last)
        if plain_last and full_last and full_last / plain_last > 1:
            val = val * full_last / plain_last      # "7, 13, and 70 billion parameters"
    if vhi is not None and val is not None and hi and num and _fm(r"[\d.,]+", num.strip()):
        # "10-100 billion parameters": the scale of the high end applies to the low end
        plain_hi = parse_number(_m(r"[\d.,]+", hi.strip()).group(0))
        if plain_hi and vhi / plain_hi > 1 and val * vhi / plain_hi <= vhi:
            val = val * vhi / plain_hi
    if h in ("ratio", "percent", "pp", "points"):
        if val is None:
            return None
        if h == "ratio" and s[st:en].rstrip().endswith("times") and c.context["ctx.times_for"].search(s[max(0, st - 30):st]):
            return None      # "downloaded for roughly 90,000 times": a count of occurrences
        unit = entry.get("unit")
        kind = {"ratio": "ratio", "percent": None, "pp": "change", "points": "change"}[h]
        cand = Cand(st, en, ns, val, unit, kind, rid, value_high=vhi)
        if _g(mm, "sign") == "-" or (h == "percent" and _g(mm, "sign") is None and c.context["ctx.minus_before"].match(s[max(0, st - 2):st])):
            cand.direction, cand.fixed_direction = "down", True      # "-3% to -41%", "(-12%)"
            cand.kind = "change"
        return cand
    if h == "money":
        if val is None:
            return None
        return Cand(st, en, ns, val, "USD", "absolute", rid, metric="cost")
    if h == "quantity":
        surf = _g(mm, "unit")
        key = " ".join(surf.split())
        info = c.units_by_surface.get(key) or c.units_by_surface.get(surf)
        if info is None:
            low = key.lower()
            for k2, v2 in c.units_by_surface.items():
                if k2.lower() == low or k2.lower() + "s" == low or k2.lower() == low + "s":
                    info = v2
                    break
        if info is None or val is None:
            return None
        unit, mult, metric = info
        if c.unit_dims.get(unit) == "compute_rate" and c.context["ctx.compute_of"].match(s[en:]):
            # "120 million exaflops of computation" is an amount of FLOP, not a rate
            val, mult, unit, metric = to_base(val * mult, unit)[0], 1.0, "FLOP", "compute"
        cand = Cand(st, en, ns, val * mult, unit, "absolute", rid, metric=metric)
        if vhi is not None:
            cand.value_high = vhi * mult
        mtxt = s[st:en]
        if unit in ("h", "day") and (c.context["ctx.accelerator_time"].search(mtxt) or _g(mm, "hw")):
            cand.metric = "compute"
            hw = _hw_canonical(_g(mm, "hw") or _g(mm, "unit") or mtxt)    # "1GPU days": the unit names it
            if hw:
                cand.hardware = hw[0]
        if c.unit_dims.get(unit) == "information":
            cand.kind, cand.metric = "scale", "memory_capacity"
        return cand
    if h in ("count", "hw_count"):
        if val is None:
            return None
        mention = s[st:en]
        if h == "hw_count":
            hw = _hw_canonical(_g(mm, "hw")) or _hw_canonical(s[_span(mm, "hw")[0]:en]) or _hw_canonical(mention)
            if not hw:           # ("T4" alone needs its noun: "Tesla T4 GPUs")
                return None
            noun = (_g(mm, "noun") or "").lower()
            cat = hw[1]
            unit = _UNIT_OF_CAT.get(cat, "device")
            metric = "hardware_count"
            if noun.startswith(("node", "server")) or cat == "node":
                unit, metric = "node", "cluster_size"
            cand = Cand(st, en, ns, val, unit, "scale", rid, metric=metric, hardware=hw[0])
            cand.hardware_count = int(val) if val == int(val) else None
            return cand
        noun = _g(mm, "noun")
        for ne, npat in c.nouns:
            if npat.fullmatch(noun):
                if ne.get("digits_only") and not (num or "").strip()[:1].isdigit():
                    return None     # "two distinct stages": a count written in words is no measured scale
                mv = ne.get("min_value")
                if mv is not None and (vhi if vhi is not None else val) < float(mv):
                    return None
                unit, metric = ne.get("unit"), ne.get("metric")
                cand = Cand(st, en, ns, val, unit, "scale", rid, value_high=vhi, metric=metric)
                if unit in ("GPU", "TPU", "CPU", "device", "node"):
                    hw = _hw_canonical(mention)
                    if not hw:   # "8-socket RDU Node": the name right after the count
                        nxt_hw = [m for m in _hw_mentions(s[en:en + 30]) if m[0] <= 1]
                        hw = (nxt_hw[0][2], nxt_hw[0][3]) if nxt_hw else None
                    cand.hardware = hw[0] if hw else ne.get("hardware")
                    if cand.hardware == "GPU node":
                        pass
                    cand.hardware_count = int(val) if val == int(val) else None
                before = s[max(0, st - 60):st].lower()
                if unit == "tokens" and metric == "data_size":
                    if c.context["ctx.context_words"].search(before):
                        cand.metric = "context_length"
                if unit not in ("GPU", "TPU", "CPU", "device", "node") and \
                        c.context["ctx.batch_words"].search(before + s[st:en].lower()):
                    cand.metric = "other"         # batch sizes and concurrency levels are not data sizes
                if num and num.strip().lower() in ("a", "an"):
                    return None
                if num and c.context["ctx.article"].match(num.strip()) and c.context["ctx.size_class"].search(noun):
                    return None     # "a trillion-parameter model": a size class, not a measured size
                return cand
        return None
    if h == "model_size":
        if val is None:
            return None
        suffix = num.strip()[-1]
        if suffix in "Kk":
            return Cand(st, en, ns, val, "tokens", "scale", rid, value_high=vhi, metric="context_length")
        if suffix == "T" and not c.context["ctx.model_after_t"].match(s[en:en + 40].lower()):
            return None     # "(2T)" is usually an abbreviation, not a size
        if suffix == "M" and not (vhi is not None and s[en - 1] == "B"):    # "111M to 70B": a model-size range
            after = s[en:en + 40].lower()
            if not c.context["ctx.model_after_m"].match(after):
                return None
        return Cand(st, en, ns, val, "parameters", "scale", rid, value_high=vhi, metric="model_size")
    if h == "list_head":
        if val is None:
            return None
        lu = _g(mm, "lunit")
        en = _span(mm, "num")[1]
        if lu in ("times", "x", "X", "×"):
            return Cand(st, en, ns, val, "x", "ratio", rid)
        info = c.units_by_surface.get(lu)
        if info:
            unit, mult, metric = info
            kind = "scale" if c.unit_dims.get(unit) == "information" else "absolute"
            return Cand(st, en, ns, val * mult, unit, kind, rid,
                        metric="memory_capacity" if kind == "scale" else metric)
        return Cand(st, en, ns, val, "dimensionless", "absolute", rid, metric=_metric_of_word(lu) or "score")
    if h == "bare_k":
        if val is None:
            return None
        low = s.lower()
        if any(w in low for w in ("context", "sequence", "token", "window")):
            return Cand(st, en, ns, val, "tokens", "scale", rid, metric="context_length")
        return Cand(st, en, ns, val, "items", "scale", rid, metric="data_size")
    if h == "metric_value":
        if val is None:
            return None
        mw = (_g(mm, "mword") or _g(mm, "mword2") or "")
        metric = _metric_of_word(mw) if mw else None
        if entry.get("unit") == "x":
            return Cand(ns, _span(mm, nk)[1], ns, val, "x", "absolute", rid,
                        metric=_metric_of_word(mw + " ratio") or _metric_of_word(mw) or "other")
        if mw and not metric:
            metric = "score"
        if _g(mm, "mword2") is None:
            st = ns       # mention is the number only when the metric word comes first
            en = _span(mm, nk)[1]
        return Cand(st, en, ns, val, "dimensionless", "absolute", rid, metric=metric)
    return None


def _metric_of_match(c: Compiled, mm) -> str | None:
    """The metric whose synonym group matched (the outer group closes last: lastgroup)."""
    met = c.metric_groups.get(mm.lastgroup)
    if met is not None:
        return met
    for g, met in c.metric_groups.items():
        if mm.group(g):
            return met
    return None


def _metric_of_word(w: str) -> str | None:
    c = compiled()
    mm = next(iter(c.metric_scan.finditer(w)), None)      # metric_re.search(w), tried only where a synonym can start
    return _metric_of_match(c, mm) if mm else None


def _word_ratio_cands(s: str, taken, blocked) -> list[Cand]:
    c = compiled()
    if isinstance(taken, list):            # tests give plain lists of spans
        taken, blocked = _Spans.of(len(s), taken), _Spans.of(len(s), blocked)
    out = []
    for e, pat in c.word_ratios:
        for mm in pat.finditer(s, timeout=_timeout(s)):
            st, en = mm.span()
            if taken.hits(st, en) or (blocked.hits(st, en) and not e.get("unblocked")):
                continue          # `unblocked`: the pattern is specific enough ("1/6th of": not an ordinal)
            if e.get("metric_after_of") and c.context["ctx.of_after"].match(s[en:]) and not _metric_in(
                    " ".join(s[en:en + 60].split()[:5]), last=False):
                continue          # "half of the attention heads": a share of components, not a factor
            cnt = _g(mm, "count")
            if e.get("power_of_ten"):
                n = parse_number(cnt) if cnt else None
                hi = _g(mm, "count_high")
                nhi = parse_number(hi) if hi else None
                if n is None or n > MAX_POWER_OF_TEN or (nhi is not None and nhi > MAX_POWER_OF_TEN):
                    continue      # "500 orders of magnitude": implausible (and 10.0 ** 500 overflows)
                val = 10.0 ** n
                vhi = 10.0 ** nhi if nhi is not None else None
            elif e.get("value_from_words"):
                txt = mm.group(0).lower()
                val = next((float(v) for k, v in e.get("value_from_words").items() if k in txt), None)
                if val is None and cnt:
                    val = parse_number(cnt)          # "1/6th of": the denominator
                vhi = None
            elif cnt:
                val = parse_number(cnt)
                if val is None and cnt.lower() in c.scales:
                    val = c.scales[cnt.lower()]          # "thousandfold": a bare scale word
                vhi = None
            else:
                val, vhi = float(e.get("value")), None
            if val is None:
                continue
            cand = Cand(st, en, st, val, "x", "ratio", e.id, value_high=vhi)
            if e.get("direction"):
                cand.direction, cand.fixed_direction = e.get("direction"), True
            out.append(cand)
            taken.append((st, en))
    return out


def _overlaps(st, en, spans) -> bool:
    for a, b in spans:            # a loop, not any(<generator>): this runs for every start position
        if st < b and a < en:
            return True
    return False


class _Spans:
    """Spans of one sentence, for the overlap test `candidates` runs at every start position:
    a character mask, so a test costs the length of the span asked about, not the number of spans
    taken (a list scan made a 37K-character sentence quadratic). The same answers as `_overlaps`
    over the list of spans, empty spans included (kept apart, they are rare)."""

    __slots__ = ("mask", "empty")

    def __init__(self, n: int):
        self.mask = bytearray(n + 1)
        self.empty: list[int] = []

    @classmethod
    def of(cls, n: int, spans) -> "_Spans":
        out = cls(n)
        for span in spans:
            out.append(span)
        return out

    def append(self, span: tuple[int, int]) -> None:
        a, b = span
        if b > a:
            self.mask[a:b] = b"\x01" * (b - a)
        else:
            self.empty.append(a)

    def hits(self, st: int, en: int) -> bool:
        if en - st == 1:
            return self.mask[st] == 1 or (bool(self.empty) and self._empty_hit(st, en))
        if en > st and self.mask.find(1, st, en) >= 0:
            return True
        return bool(self.empty) and self._empty_hit(st, en)

    def _empty_hit(self, st: int, en: int) -> bool:
        return any(st < a < en for a in self.empty)


_DIGIT_RUN = regex.compile(r"\d+")
BLOCKER_WINDOW = 40         # chars either side of a digit run in which blockers are searched


def _digit_windows(s: str) -> list[tuple[int, int]]:
    """Merged [start, end) windows around every digit run, widened to whitespace boundaries."""
    out: list[list[int]] = []
    n = len(s)
    for mm in _DIGIT_RUN.finditer(s):
        a = max(0, mm.start() - BLOCKER_WINDOW)
        b = min(n, mm.end() + BLOCKER_WINDOW)
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    res = []
    for a, b in out:
        if a > 0:
            k = max(s.rfind(" ", 0, a), s.rfind("\n", 0, a))
            a = k + 1 if k >= 0 else 0
        if b < n:
            k = s.find(" ", b)
            b = n if k < 0 else k
        if res and a <= res[-1][1]:
            res[-1] = (res[-1][0], max(res[-1][1], b))
        else:
            res.append((a, b))
    return res


def _starts(c: Compiled, s: str, to: float | None) -> list[int]:
    """Positions where a claim can start, left to right: the matches of `starts_re` (digits and
    symbols) and of `word_start_re` (number words, "a", "single"). That word alternation tried at
    every position cost twice the rest; `start_tokens_re` (the same words factored by first letter,
    whole words, `Words`) finds the places where it can match, and it decides there. A match consumes
    its words ("a dozen" is one start), as one alternation scanned with finditer would
    (tests/test_extract.py compares the positions with that alternation's)."""
    out = [mm.start() for mm in (c.starts_re.finditer(s) if to is None else c.starts_re.finditer(s, timeout=to))]
    end = -1
    n_sym = len(out)
    for mm in c.start_tokens_re.finditer(s):
        p = mm.start()
        if p >= end:
            wm = c.word_start_re.match(s, p) if to is None else c.word_start_re.match(s, p, timeout=to)
            if wm:
                out.append(p)
                end = wm.end()
    if len(out) > n_sym and n_sym:
        out.sort()
    return out


def _claim_order(c: Compiled, s: str, p: int, kind: str, n: int) -> tuple:
    """The claim patterns (indices into c.singles) to try one by one at a start p, in their order
    (the first that matches is the alternation's match): at a digit, those whose character after
    the leading number can be the first one after it in s other than white space; at a start word
    ("a", "two"), those whose character after that word can be."""
    if kind == ALPHA:
        wm = c.word_start_re.match(s, p)
        word = s[p:wm.end()].lower() if wm is not None else ""
        if not word.isascii() or not word:
            return c.at_word.alpha   # "US$", a non-ASCII start word: every pattern that can start with a letter
        table, at_end = c.at_word.orders(word)
        j = wm.end()
        while j < n and s[j] in SKIPPED:
            j += 1
        return at_end if j == n else table.get(s[j], c.at_word.alpha)
    if kind != DIGIT:
        return c.at_other
    j = c.lead_re.match(s, p).end()
    while j < n and s[j] in SKIPPED:
        j += 1
    return c.after_digit_end if j == n else c.after_digit.get(s[j], c.at_digit)


def candidates(s: str, trace: list | None = None) -> list[Cand]:
    """All claim candidates of one sentence (before context attachment).

    At every position where a number can start (left to right), the claim patterns are tried in
    priority order (those the text there allows, `_claim_order`); `scan: true` patterns and word ratios are searched
    afterwards. A match whose number overlaps a blocked span (found on demand, `block`) is
    rejected. Overlaps are resolved first-come.
    """
    c = compiled()
    blocked = _Spans(len(s))
    # Blockers only matter where they overlap a number: they are searched in windows around the
    # digit runs (widened to whitespace so that a name or URL is never cut), and only in the windows
    # a claim pattern's number falls into (most digit runs are names, years or citations that no
    # claim pattern takes). A window's matches stay inside it, so the result is the same as scanning
    # every window up front.
    wins = _digit_windows(s)
    win_ends = [b for _, b in wins]
    low = s.lower() if s.isascii() else None       # for the literal filters of IGNORECASE patterns
    same_re = low is not None and re_agrees(s)      # `engine: re` blockers may run on `re`
    scanned_wins: set[int] = set()
    hw_done = False
    to = _timeout(s)

    def block(st: int = 0, en: int = len(s) + 1) -> None:
        """Collect every blocked span that can overlap [st, en) (default: all of them): the
        builtin hardware blocker (names with digits, A100) once, each window's blockers once."""
        nonlocal hw_done
        if not hw_done:
            hw_done = True
            if c.hw_blocker:
                for a, b, name, _ in _hw_mentions(s):
                    if any(ch.isdigit() for ch in s[a:b]):
                        blocked.append((a, b))
                        if trace is not None:
                            trace.append(("blocked", s[a:b], c.hw_blocker))
        # the windows are sorted and disjoint: from the first that ends after st, while they start before en
        for k in range(bisect.bisect_right(win_ends, st), len(wins)):
            a, b = wins[k]
            if a >= en:
                break
            if k not in scanned_wins:
                scanned_wins.add(k)
                for bid, pat in c.blockers:
                    for mm in pat.finditer(s, a, b, to, low, same_re):
                        blocked.append(mm.span())
                        if trace is not None:
                            trace.append(("blocked", mm.group(0), bid))

    if trace is not None:
        block()
    taken = _Spans(len(s))
    out: list[Cand] = []

    def consider(e, mm) -> None:
        st, en = mm.span()
        nsp = _span(mm, "num") if _g(mm, "num") else (_span(mm, "num2") if _g(mm, "num2") else _span(mm, "num3"))
        if taken.hits(st, en):
            return
        if nsp[0] >= 0:
            block(*nsp)
            if blocked.hits(*nsp):
                if trace is not None:
                    trace.append(("rejected", mm.group(0), f"{e.id}: number inside a blocked name/version"))
                return
        cand = _handle(e, mm, s)
        if cand is None:
            if trace is not None:
                trace.append(("rejected", mm.group(0), f"{e.id}: handler declined"))
            return
        taken.append((cand.start, cand.end))
        out.append(cand)

    n = len(s)
    singles = c.singles
    pats = singles.pats
    for k, p in enumerate(_starts(c, s, to)):
        if k % 64 == 63:          # (not at the first start: budget.start() was a moment ago; a CPU clock read costs 1-2 us)
            _check_deadline()
        if taken.hits(p, p + 1):
            continue
        for i in _claim_order(c, s, p, kind_at(s[p]), n):   # (the per-kind alternations: tests/test_extract.py)
            pat = pats[i] or singles.get(i)
            mm = pat.match(s, p) if to is None else pat.match(s, p, timeout=to)
            if mm is not None:
                consider(singles.entries[i], mm)
                break
    if c.has_word_ratio and c.wr_trigger.search(s):
        block()
        out.extend(_word_ratio_cands(s, taken, blocked))
    for e, pat in c.scanned:          # every scanned pattern ends in a number: the digit windows hold it
        for a, b in wins:
            for mm in pat.finditer(s, a, b, to, low):
                consider(e, mm)
    out.sort(key=lambda x: x.start)
    return out


# --------------------------------------------------------------------------- vocabulary lookups (detection and attribution)
def _cue_search(name: str, text: str):
    for e, pat in compiled().cues.get(name, ()):
        mm = pat.search(text)
        if mm:
            return e, mm
    return None


def _cue_all(name: str, text: str) -> list[tuple[int, int, Any]]:
    out = []
    for e, pat in compiled().cues.get(name, ()):
        for mm in pat.finditer(text):
            out.append((mm.start(), mm.end(), e))
    return out


def _metrics_all(text: str) -> list[str]:
    c = compiled()
    out = []
    for mm in c.metric_scan.finditer(text):
        met = _metric_of_match(c, mm)
        if met is not None:
            out.append(met)
    return out


def _metric_in(text: str, last: bool) -> tuple[str, int] | None:
    c = compiled()
    found = None
    for mm in c.metric_scan.finditer(text):
        met = _metric_of_match(c, mm)
        if met is not None:
            found = (met, mm.start())
            if not last:
                break                     # the first one: no need to scan the rest
    return found


# --------------------------------------------------------------------------- public API
@dataclass
class Extraction:
    sentences: list[Sentence]
    claims: list[Claim]
    problems: list[dict]


def _to_claim(c: Cand, s: Sentence, text: str, off: int, paper_id: str | None) -> Claim:
    vb, ub = to_base(c.value, c.unit)
    return Claim(paper_id=paper_id, sentence=s.text, mention=text[off + c.start: off + c.end],
                 value=c.value, value_high=c.value_high, unit=c.unit, kind=c.kind or "absolute",
                 metric=c.metric, direction=c.direction if c.kind in ("ratio", "change") else None,
                 baseline=c.baseline, system=c.system, hardware=c.hardware,
                 hardware_count=c.hardware_count, model=c.model, qualifier=c.qualifier,
                 sentence_index=s.sentence_index, span_start=off + c.start, span_end=off + c.end,
                 rule_id=c.rule_id, value_base=vb, unit_base=ub)


def extract_abstract(abstract: str, title: str | None = None, paper_id: str | None = None) -> Extraction:
    c = _compiled(get_rules().version)
    outer = _CURRENT[0]
    _CURRENT[0] = c              # one rules lookup per abstract, not one per helper call
    try:
        return _extract_abstract(c, abstract, title, paper_id)
    finally:
        _CURRENT[0] = outer


def _extract_abstract(c: Compiled, abstract: str, title: str | None, paper_id: str | None) -> Extraction:
    pid = paper_id or ""
    sents = [Sentence(paper_id=pid, sentence_index=i, start=a, end=b, text=abstract[a:b])
             for i, (a, b) in enumerate(segment(abstract))]
    psys = functools.partial(attach.own_names, title, abstract)      # only abstracts with claims need it
    claims: list[Claim] = []
    problems: list[dict] = []
    for sent in sents:
        if not c.prefilter.search(sent.text):
            continue
        budget.start()
        try:
            cands = candidates(sent.text)
            if cands:            # 60% of the sentences with a digit or number word have no claim
                attach.attach(sent.text, cands, psys)
        except TimeoutError:
            problems.append({"problem": "regex_timeout",
                             "message": f"sentence {sent.sentence_index} skipped: a rule regex took "
                                        f"longer than its CPU budget ({sent.text[:60]!r}...)"})
            continue
        finally:
            budget.stop()
        for cand in cands:
            claims.append(_to_claim(cand, sent, abstract, sent.start, paper_id))
    claims.sort(key=lambda x: x.span_start)
    return Extraction(sents, claims, problems)


def extract(text: str, title: str | None = None, paper_id: str | None = None) -> list[Claim]:
    """Claims of one abstract (sorted by span_start)."""
    return extract_abstract(text, title=title, paper_id=paper_id).claims


def explain(sentence: str, title: str | None = None):
    """A rich renderable: every candidate number, the rule that detected or rejected it, its fields,
    the clause attribution bound it to and, per field, the attribution step and rules that set it."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    trace: list = []
    cands = candidates(sentence, trace)
    why: list = []
    attach.attach(sentence, cands, attach.own_names(title), why=why)
    t = Table(title="claims explain", show_lines=False)
    for col in ("mention", "rule", "value", "unit", "kind", "metric", "dir", "qual", "baseline",
                "system", "hardware", "count"):
        t.add_column(col)
    for cd in cands:
        t.add_row(Text(sentence[cd.start:cd.end]), cd.rule_id, f"{cd.value:g}" + (f"-{cd.value_high:g}" if cd.value_high else ""),
                  cd.unit, cd.kind or "", cd.metric or "", cd.direction or "", cd.qualifier or "",
                  Text(cd.baseline or ""), Text(cd.system or ""), cd.hardware or "",
                  "" if cd.hardware_count is None else str(cd.hardware_count))
    a = Table(title="attribution: the clause of each number, and what set each field")
    a.add_column("mention")
    a.add_column("clause")
    a.add_column("field")
    a.add_column("set by (step: rules)")
    for cd, w in zip(cands, why):
        clause = sentence[w["clause"][0]:w["clause"][1]].strip() if w["clause"] else ""
        first = True
        for f, (step, rules) in w["fields"].items():
            a.add_row(Text(sentence[cd.start:cd.end]) if first else "", Text(clause) if first else "", f,
                      f"{step}: {', '.join(rules) or '(default)'}")
            first = False
        if first:
            a.add_row(Text(sentence[cd.start:cd.end]), Text(clause), "", "no field set by attribution")
    r = Table(title="rejected / blocked")
    r.add_column("text")
    r.add_column("status")
    r.add_column("rule / reason")
    for status, txt, why_ in trace:
        r.add_row(Text(txt), status, why_)
    # bare numbers that no rule took
    taken = [(cd.start, cd.end) for cd in cands]
    for mm in regex.finditer(r"\d+(?:[.,]\d+)*", sentence):
        if not _overlaps(mm.start(), mm.end(), taken):
            r.add_row(mm.group(0), "no claim", "no claim pattern matched (or blocked above)")
    return Group(Text(sentence), t, a, r)


from . import attach  # noqa: E402  (attribution reads this module's detection vocabulary)


def paper_system(title: str | None, abstract: str | None = None) -> str | None:
    """The paper's own system name (claims.attach.paper_system)."""
    return attach.paper_system(title, abstract)
