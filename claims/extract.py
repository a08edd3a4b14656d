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

import functools
import re
import time
from dataclasses import dataclass, field
from typing import Any, Mapping

import regex

from .literals import ALPHA, DIGIT, OTHER, AsciiRe, Filtered, PrefixScan, Words, first_kinds, kind_at, need_regex, re_agrees, re_flags
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
class Branched:
    """A searched rule pattern; with `split` (the rule's `search_branches: true`) an alternation
    ('A | B | C') runs as one regex per branch.

    `regex` tries every branch at every position of an unanchored search, so an alternation whose
    branches each start with a literal or a narrow class costs several times the sum of its
    branches searched alone (claim.metric_value: 41 ms vs 24 ms per bundled-corpus pass,
    block.equation 12.7 vs 3.2); for others the extra calls cost more than they save, hence the
    per-rule switch. `finditer` reproduces the alternation's own scan exactly: the leftmost match
    of any branch, the earlier branch on a tie, the next scan from its end."""

    __slots__ = ("whole", "parts", "guard", "need", "needs", "folded", "fast")

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
        nxt = [p.search(s, pos, endpos, **kw) if ok else None for p, ok in zip(parts, live)]
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
                    nxt[k] = parts[k].search(s, pos, endpos, **kw)


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
    wr_trigger = Words(["magnitude", "fold", "doubl", "twice", "tripl", "thrice", "halv", "half",
                        "third", "quarter", "fourth", "OOM", "times"])
    word_ratios = tuple((e, comp(e.get("pattern"), True)) for e in r.section("numbers.yml", "word_ratios"))
    cues: dict[str, list] = {}
    for e in r.section("patterns.yml", "cues"):
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
    metric_scan = PrefixScan(metric_re, metric_src, verbose=False, folded=True, before=r"(?<![\w-])")
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
                ubs[str(s.get("text"))] = (u.unit, float(s.get("multiply", 1)), u.metric)
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
    words = sorted({w for w in nwords if len(w) > 2} | {w.lower() for w in scales if len(w) > 2} | {"doubl", "twice", "tripl", "thrice", "halv", "half",
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
    cparts, cgroups, cfirst, scanned = [], [], [], []
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
        src = f"(?i:{src})" if e.get("ignore_case") else src
        cgroups.append((f"p{i}", e))
        cparts.append(f"(?P<p{i}>{src})")
    claims_all = regex.compile("|".join(cparts), _F)
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
            by_kind[kind] = (regex.compile("|".join(cparts[k] for k in keep), _F) if keep else None,
                             tuple(cgroups[k] for k in keep))
    hw_parts, hw_groups = [], {}
    for i, h in enumerate(r.hardware):
        if h.aliases:
            hw_groups[f"h{i}"] = (h.hardware, h.category)
            hw_parts.append(f"(?P<h{i}>" + "|".join(f"(?:{a})" for a in longest_first(list(h.aliases))) + ")")
    hw_all = regex.compile(r"(?<![\w])(?:" + "|".join(hw_parts) + r")(?![\w])", regex.V0)   # case-sensitive: fast
    hw_scan = PrefixScan(hw_all, "(?:" + "|".join(hw_parts) + ")", verbose=False, folded=False, before=r"(?<![\w])")
    return Compiled(version, blockers, word_ratios, {k: tuple(v) for k, v in cues.items()},
                    metric_re, metric_scan, groups, hib, hardware, ubs, dims, nouns, scales, nwords, prefilter, num_re,
                    claims_all, tuple(cgroups), by_kind, tuple(scanned), has_wr, hw_blocker, wr_trigger,
                    starts_re, word_start_re, start_tokens_re, hw_scan, hw_groups)


class _Prefilter:
    """Can this sentence hold a claim? True when it has a digit or a word starting with one of the
    number / scale / ratio / time stems (``\\d|\\b(?:stem|...)`` ignoring case). Two thirds of all
    sentences are rejected here, so this runs on every sentence: the digit search goes first, then
    the stems as `Words` (factored by first letter, 'm(?:agnitude|illion|inute)|s(?:eventeen|...)',
    searched with `re` in the lower-cased sentence when it is ASCII): exactly what the IGNORECASE
    alternation admits (tests/test_extract.py)."""

    _DIGIT = regex.compile(r"\d")

    def __init__(self, stems: tuple[str, ...]):
        self.stems = stems
        self.words = Words(list(stems), bounded="start")

    def search(self, text: str) -> bool:
        return bool(self._DIGIT.search(text) or self.words.search(text))


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
    pw = _fm(r"10\^\{?(\d{1,2})\}?", t)
    if pw:
        return 10.0 ** int(pw.group(1))
    mm = c.num_re.match(t)
    if not mm:
        return None
    v = float(mm.group("d").replace(",", ""))
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


def _g(mm, name):
    try:
        return mm.group(name)
    except IndexError:
        return None


def _span(mm, name):
    try:
        return mm.span(name)
    except IndexError:
        return (-1, -1)


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
    num = _g(mm, "num") or _g(mm, "num2") or _g(mm, "num3")
    nk = "num" if _g(mm, "num") else ("num2" if _g(mm, "num2") else "num3")
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
        if h == "ratio" and s[st:en].rstrip().endswith("times") and _s(r"\bfor\s+(?:\w+\s+)?$", s[max(0, st - 30):st]):
            return None      # "downloaded for roughly 90,000 times": a count of occurrences
        unit = entry.get("unit")
        kind = {"ratio": "ratio", "percent": None, "pp": "change", "points": "change"}[h]
        cand = Cand(st, en, ns, val, unit, kind, rid, value_high=vhi)
        if _g(mm, "sign") == "-" or (h == "percent" and _g(mm, "sign") is None and _m(r"[(\s]-", s[max(0, st - 2):st])):
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
        if c.unit_dims.get(unit) == "compute_rate" and _m(r"\s*of\s+(?:compute|computation|training\s+compute)\b", s[en:]):
            # "120 million exaflops of computation" is an amount of FLOP, not a rate
            val, mult, unit, metric = to_base(val * mult, unit)[0], 1.0, "FLOP", "compute"
        cand = Cand(st, en, ns, val * mult, unit, "absolute", rid, metric=metric)
        if vhi is not None:
            cand.value_high = vhi * mult
        mtxt = s[st:en]
        if unit in ("h", "day") and (_s(r"GPU|accelerator|TPU|node|chip", mtxt) or _g(mm, "hw")):
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
                    if _s(r"context|sequence|window|inputs?\b|prompt", before):
                        cand.metric = "context_length"
                if unit not in ("GPU", "TPU", "CPU", "device", "node") and \
                        _s(r"batch(?:\s*size)?[^.;]{0,20}$|concurren", before + s[st:en].lower()):
                    cand.metric = "other"         # batch sizes and concurrency levels are not data sizes
                if num and num.strip().lower() in ("a", "an"):
                    return None
                if num and _m(r"an?\s", num.strip(), regex.I) and _s(r"parameter(?:\s+models?)?$", noun):
                    return None     # "a trillion-parameter model": a size class, not a measured size
                return cand
        return None
    if h == "model_size":
        if val is None:
            return None
        suffix = num.strip()[-1]
        if suffix in "Kk":
            return Cand(st, en, ns, val, "tokens", "scale", rid, value_high=vhi, metric="context_length")
        if suffix == "T" and not _m(r"[\s-]*(?:[\w-]+\s+){0,2}?(?:models?|llms?|parameters?|params|transformers?|lms?)\b", s[en:en + 40].lower()):
            return None     # "(2T)" is usually an abbreviation, not a size
        if suffix == "M":
            after = s[en:en + 40].lower()
            if not _m(r"[\s-]*(?:[\w-]+\s+){0,2}?(?:models?|llms?|parameters?|params|transformers?|variants?|networks?|lms?)\b", after):
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
    mm = c.metric_re.search(w)
    return _metric_of_match(c, mm) if mm else None


def _word_ratio_cands(s: str, taken, blocked) -> list[Cand]:
    c = compiled()
    out = []
    for e, pat in c.word_ratios:
        for mm in pat.finditer(s, timeout=_timeout(s)):
            st, en = mm.span()
            if _overlaps(st, en, taken) or _overlaps(st, en, blocked):
                continue
            if e.get("metric_after_of") and _m(r"\s+of\b", s[en:]) and not _metric_in(
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


def candidates(s: str, trace: list | None = None) -> list[Cand]:
    """All claim candidates of one sentence (before context attachment).

    At every position where a number can start (left to right), the claim patterns are tried in
    priority order (one alternation); `scan: true` patterns and word ratios are searched
    afterwards. A match whose number overlaps a blocked span (found on demand, `block`) is
    rejected. Overlaps are resolved first-come.
    """
    c = compiled()
    blocked: list[tuple[int, int]] = []
    # Blockers only matter where they overlap a number: they are searched in windows around the
    # digit runs (widened to whitespace so that a name or URL is never cut), and only in the windows
    # a claim pattern's number falls into (most digit runs are names, years or citations that no
    # claim pattern takes). A window's matches stay inside it, so the result is the same as scanning
    # every window up front.
    wins = _digit_windows(s)
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
        for k, (a, b) in enumerate(wins):
            if st < b and a < en and k not in scanned_wins:
                scanned_wins.add(k)
                for bid, pat in c.blockers:
                    for mm in pat.finditer(s, a, b, timeout=to, low=low, same_re=same_re):
                        blocked.append(mm.span())
                        if trace is not None:
                            trace.append(("blocked", mm.group(0), bid))

    if trace is not None:
        block()
    taken: list[tuple[int, int]] = []
    out: list[Cand] = []

    def consider(e, mm) -> None:
        st, en = mm.span()
        nsp = _span(mm, "num") if _g(mm, "num") else (_span(mm, "num2") if _g(mm, "num2") else _span(mm, "num3"))
        if _overlaps(st, en, taken):
            return
        if nsp[0] >= 0:
            block(*nsp)
            if _overlaps(*nsp, blocked):
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

    by_kind = c.claims_by_kind
    for k, p in enumerate(_starts(c, s, to)):
        if k % 64 == 0:
            _check_deadline()
        if _overlaps(p, p + 1, taken):
            continue
        alt, groups = by_kind[kind_at(s[p])]
        if alt is None:
            continue
        mm = alt.match(s, p) if to is None else alt.match(s, p, timeout=to)
        if mm is None:
            continue
        for g, e in groups:
            if mm.group(g) is not None:
                consider(e, mm)
                break
    if c.has_word_ratio and c.wr_trigger.search(s):
        block()
        out.extend(_word_ratio_cands(s, taken, blocked))
    for e, pat in c.scanned:          # every scanned pattern ends in a number: the digit windows hold it
        for a, b in wins:
            for mm in pat.finditer(s, a, b, timeout=to, low=low):
                consider(e, mm)
    out.sort(key=lambda x: x.start)
    return out


# --------------------------------------------------------------------------- context
_STOP_AFTER = regex.compile(r"[;:()\[\]]|,\s*(?:while|which|and\s+(?:it|we|our)|but|whereas)\b|\.\s|\bwhile\b|\bwhereas\b")


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


_IMPROVE = regex.compile(r"improv|better|outperform|speed|boost|gain|accelerat|enhanc|faster", regex.I)
_ARTICLE = regex.compile(r"^(?:the|a|an)\s+", regex.I)


def _windows(s: str, cands: list[Cand], i: int) -> tuple[str, str, int]:
    c = cands[i]
    nxt = cands[i + 1].start if i + 1 < len(cands) else len(s)
    after = s[c.end:nxt]
    mm = _STOP_AFTER.search(after)
    if mm:
        after = after[:mm.start()]
    after = after[:70]
    prev = cands[i - 1].end if i > 0 else 0
    before = s[prev:c.start]
    if before.rstrip().endswith("(") and before.strip() != "(":
        before = before.rstrip()[:-1]            # "runtime speedup (2-4x ...": look before the paren
    op = before.rfind("(")
    if op >= 0 and ")" in before[op:]:
        op = -1                                   # a closed parenthesis does not end the clause
    cut = max(before.rfind(";"), before.rfind(":"), op)
    if cut >= 0:
        before = before[cut + 1:]
    before = before[-90:]
    return before, after, c.start - len(before)


_TRAIL_QUAL = regex.compile(r"\b(?:exceeding|beyond|above|below|under|over|within|nearly|almost|roughly)\s*$", regex.I)
_SYSTEM_CONTEXT = regex.compile(
    r"\b(?:GPUs?|CPUs?|hardware|kernels?|applications?|systems?|runtime|end-to-end|FPS|inference|serving|accelerators?|chips?)\b", regex.I)
_QUAL_WORDS = regex.compile(r"\b(?:up\s+to|more\s+than|less\s+than|greater\s+than|fewer\s+than|close\s+to|at\s+least|as\s+much\s+as)\b", regex.I)
_MEM_USE = regex.compile(r"(?:footprint|usage|consum\w*|reduc\w*|sav\w*|requir\w*|needs?|uses?|using|cost)\W*(?:\w+\W+){0,3}$|^\s*(?:of\s+)?(?:GPU\s+)?memory\s+(?:cost|footprint|usage|consumption)", regex.I)


def _attach(s: str, cands: list[Cand], paper_system) -> None:
    c = compiled()
    for i, cand in enumerate(cands):
        if i % 16 == 0:
            _check_deadline()
        before, after, bstart = _windows(s, cands, i)
        raw_before = s[max(0, cand.start - 40):cand.start]
        # qualifier -------------------------------------------------------------
        for e, pat in c.cues.get("qualifier", ()):
            if pat.search(raw_before):
                cand.qualifier = e.get("value")
                break
        if cand.qualifier is None and s[cand.start:cand.end].split(" ")[0].endswith("+"):
            cand.qualifier = "over"
        if cand.qualifier == "over" and cand.unit in ("GPU", "TPU", "CPU", "node", "device") and \
                _s(r"\bover\s*$", raw_before) and \
                not _s(r"\b(?:to|of|with|by|from|using|uses?|reach\w*|requir\w*|needs?)\s+over\s*$", raw_before):
            cand.qualifier = None         # "sharding over 8 devices": across, not more than
        if cand.qualifier is None:
            for e, pat in c.cues.get("qualifier_after", ()):
                if pat.search(after):
                    cand.qualifier = e.get("value")
        if cand.kind == "scale":
            if cand.unit in ("GB", "TB", "MB", "KB", "B", "PB") and (
                    _MEM_USE.search(s[max(0, cand.start - 40):cand.start]) or _MEM_USE.search(after)):
                cand.kind, cand.metric = "absolute", "memory"
            else:
                continue
        # kind of a percent ------------------------------------------------------
        if cand.kind is None:
            if _m(r"\s*(?:of|of\s+the)\b", after) and not _m(r"\s*of\s+(?:up\s+to\s+)?\d", after):
                cand.kind = "absolute"
            elif _s(r"\b(?:to|from|at|reaches|reaching|achieves|achieving|of)\s*(?:over\s+|about\s+|around\s+|nearly\s+|only\s+)?$",
                              _QUAL_WORDS.sub(" ", before)) and \
                    not _s(r"\b(?:by|of)\s*(?:up\s+to\s+|over\s+|more\s+than\s+|about\s+|around\s+|nearly\s+|roughly\s+|only\s+|merely\s+|close\s+to\s+)?$", before) and \
                    not _cue_search("change", " ".join(after.split()[:2])):
                cand.kind = "absolute"
            else:
                near_after = " ".join(_sp(r"[,;]|\bof\b", after)[0].split()[:5])
                near_before = " ".join(_QUAL_WORDS.sub(" ", before).split()[-6:])
                if s[cand.start] in "+-" or _cue_search("change", near_after) or _cue_search("change", near_before):
                    cand.kind = "change"
                else:
                    cand.kind = "absolute"
        if cand.unit == "points" and cand.kind == "change":
            nb = " ".join(before.split()[-4:])
            na = " ".join(after.split()[:3])
            if not (_cue_search("change", na) or _cue_search("change", nb) or s[cand.start] == "+"):
                cand.kind = "absolute"
        # metric ----------------------------------------------------------------
        faster = _cue_search("faster", after)
        if cand.metric is None:
            if cand.kind == "ratio" and faster:
                cand.metric = "speed"
                fm = faster[1]
                if not _m(r"\s*(?:faster|quicker|slower)", after):
                    # "2x speedup in query latency" -> latency/down, "1.3x speedup in throughput" -> up
                    tail = s[cand.end + fm.end():cand.end + fm.end() + 70]
                    mt = _metric_in(tail, last=False) if _m(r"\s*(?:in|on|for|of)\b", tail) else None
                    if mt and mt[0] != "speed":
                        cand.metric = mt[0]
            else:
                short_after = _sp(r"\band\b|,|\bwhile\b|\b(?:than|compared|relative\s+to|versus|vs\.?)\s", after, maxsplit=1)[0]
                m_after = _metric_in(short_after, last=False)
                by_obj = _BY_END.search(raw_before)
                # the metric named before is only needed when the one after is not close enough
                m_before = None if (not by_obj and m_after and m_after[1] < 30) else _metric_in(before, last=True)
                if by_obj and m_before and not (m_after and (_m(r"\s*(?:in|on|for|of)\b", short_after) or
                                                             _COMPARATIVE_LEAD.match(short_after).group(0).strip())):
                    # "improves the throughput of X by 2x with the same latency": the verb's object
                    cand.metric = m_before[0]
                elif m_after and (not m_before or m_after[1] < 30):
                    cand.metric = m_after[0]
                elif m_before:
                    cand.metric = m_before[0]
                else:
                    # later in the same clause only (not across ", and obtain ..." / ", maintaining ...")
                    m_after = _metric_in(_sp(r"\b(?:than|compared|relative\s+to|versus|vs\.?)\s|,|;|\band\s+(?!up\b)", after, maxsplit=1)[0], last=False)
                    if m_after:
                        cand.metric = m_after[0]
                if cand.kind == "ratio" and cand.metric == "speed":
                    # "a training throughput speedup of 7.6x", "2x latency speedup": the named metric
                    nm = _s(r"(?P<w>[\w\-]+)\s+speed[-\s]?ups?\s+(?:of\s+)?(?:up\s+to\s+|over\s+|about\s+|around\s+|nearly\s+)?$", before, regex.I) or \
                        _m(r"\s*(?P<w>[\w\-]+)\s+speed[-\s]?ups?\b", after, regex.I)
                    mw = _metric_of_word(nm.group("w")) if nm else None
                    if mw and mw not in ("speed", "time", "other"):
                        cand.metric = mw
        if cand.metric == "score" and cand.kind == "ratio" and _s(r"performance", before + after, regex.I) \
                and _SYSTEM_CONTEXT.search(s) \
                and not _s(r"\b(?:score|accuracy|points?)\b", after, regex.I):
            cand.metric = "speed"
        if cand.metric is None and cand.kind in ("ratio", "change") and _s(
                r"(?:\bby|,)\s*(?:up\s+to|over|more\s+than|about|around|an\s+average\s+of|on\s+average)?\s*$", raw_before) and _s(
                r"\b(?:outperform\w*|speed\w*\s+up|accelerat\w*|surpass\w*)", s[:cand.start], regex.I):
            # "outperforms X by up to 2.57x" is a speedup; "outperforms X by 32.4%" a quality score
            cand.metric = "speed" if cand.kind == "ratio" else "score"
        if cand.kind == "ratio" and cand.metric in (None, "time", "other") and \
                _s(r"\b(?:accelerat\w*|speeds?\s+up|sped\s+up)\s+(?:[\w\-]+\s+){0,4}?by\s+(?:up\s+to\s+|over\s+|more\s+than\s+|about\s+|nearly\s+)?$", before, regex.I):
            cand.metric = "speed"        # "accelerates X by more than twice in runtime": speed/up (decision 3)
            if not cand.fixed_direction:
                cand.direction = "up"
        if cand.metric is None and cand.kind == "ratio" and _s(r"\b(?:improv\w*|boost\w*|enhanc\w*)\s+(?:[\w\-]+\s+){0,4}?(?:by\s+)?(?:up\s+to\s+|over\s+|more\s+than\s+|about\s+)?$", before, regex.I):
            cand.metric = "speed"        # "improving SSD based retrieval up to 6.4x": a factor of a system is a speedup
        if cand.metric is None and cand.kind in ("change",) and cand.unit in ("%", "pp", "points"):
            # "... Top-1 accuracy ..., which is about 1.9% higher": the metric named earlier in the sentence
            found = _metrics_all(s[:cand.start])
            if found:
                if _m(r"\s*(?:higher|better|more|improvements?|gains?)\b", after, regex.I):
                    good = [m for m in found if c.higher_is_better.get(m) is True]
                    cand.metric = good[-1] if good else found[-1]
                else:
                    cand.metric = found[-1]
        if cand.metric is None and cand.unit == "dimensionless":
            cand.metric = "score"
        if cand.metric is None and cand.kind == "change" and cand.unit in ("%", "pp", "points") and \
                (_m(r"\s*(?:absolute\s+)?(?:improvements?|gains?)(?:\s+(?:on|in|overall|across)\b|\s*$)", after, regex.I) or
                 _s(r"\bimprovements?\s+(?:of\s+)?(?:up\s+to\s+|over\s+|about\s+)?$", before, regex.I)):
            cand.metric = "score"        # "a 4.2% improvement on <benchmark>"
        if cand.kind == "absolute" and cand.unit == "%" and cand.metric in ("throughput", "flops") and \
                not _m(r"\s*of\b", after) and not _metric_in(after[:30], last=False):
            # "GPU throughputs of 38.38%" (metric named before the percent) is a utilization
            cand.metric = "utilization"   # a percent of a throughput is a utilization
        if cand.metric is None:
            cand.metric = "other"
        # direction ---------------------------------------------------------------
        if cand.kind in ("ratio", "change") and not cand.fixed_direction:
            if cand.kind == "ratio" and faster:
                hib = c.higher_is_better.get(cand.metric)
                if _m(r"\s*slower", after):
                    cand.direction = "down"      # "123x slower": speed/down
                else:
                    cand.direction = "down" if (hib is False and not _m(r"\s*(?:faster|quicker)", after)) else "up"
            elif s[cand.start] in "+":
                cand.direction = "up"
            else:
                a2 = _sp(r"\band\s+(?!up\b)|,|;|\bwhile\b|\bwhereas\b", after[:45], maxsplit=1)[0]   # this clause only
                bl = _s(r"\b(?:compared|relative\s+to|over|than|vs\.?|versus|against)\s", a2)
                if bl:
                    a2 = a2[:bl.start()]            # "... over more complex baselines": not a direction
                ups = _cue_all("up", a2)
                downs = _cue_all("down", a2)
                cues = sorted([(a, "up") for a, b, _ in ups] + [(a, "down") for a, b, _ in downs])
                word = None
                if cues:
                    a0 = cues[0][0]
                    word = a2[a0:a0 + 12]
                    cand.direction = cues[0][1]
                else:
                    b2 = _TRAIL_QUAL.sub(lambda mm: " " * len(mm.group(0)), _QUAL_WORDS.sub(lambda mm: " " * len(mm.group(0)), before))
                    allb = sorted([(a, "up") for a, b, _ in _cue_all("up", b2)] +
                                  [(a, "down") for a, b, _ in _cue_all("down", b2)])
                    if allb:
                        a0 = allb[-1][0]
                        word = b2[a0:a0 + 12]
                        cand.direction = allb[-1][1]
                speedy = word and _m(r"speed|faster|accelerat", word, regex.I)
                if speedy and cand.metric in ("time", "other", "speed") and not _s(
                        r"(?:speed[-\s]?ups?|faster)\s+(?:in|on|of|for)\s+(?:\w+\s+){0,2}?(?:latenc|TTFT|TBT|TPOT|response)", after, regex.I):
                    # "30% wall-clock speed up", "speeds up switching time by 15x": speed/up (spec decision 3)
                    cand.metric, cand.direction = "speed", "up"
                elif cand.direction == "up" and word and _IMPROVE.match(word) and \
                        c.higher_is_better.get(cand.metric) is False:
                    cand.direction = "down"
        elif cand.kind in ("absolute",):
            cand.direction = None
    # lists: "up to 1.55x and 2.11x speedup", "12X,20X,33X and 39X" share metric / direction / qualifier
    sep = r"\s*(?:top-\d+\s+)?(?:,|and|or|/|\||,\s*and|,\s*or)\s*"
    sep_bl = r"\s*(?:over|than|compared\s+(?:to|with))\s+[^,;\d]{1,60}?\s*(?:,|and|,\s*and)\s+(?:up\s+to\s+|over\s+|about\s+)?"
    for i in range(1, len(cands)):
        a, b = cands[i - 1], cands[i]
        if a.unit == b.unit and a.kind == b.kind == "ratio" and _fm(sep_bl, s[a.end:b.start]):
            if b.metric in (None, "other") and a.metric:
                b.metric = a.metric
            if b.direction is None and a.direction and not b.fixed_direction:
                b.direction = a.direction
    for i in range(len(cands) - 1, 0, -1):
        a, b = cands[i - 1], cands[i]
        if a.kind == b.kind == "ratio" and b.metric not in (None, "other") and \
                _fm(r"\s*(?:and|or|,|/|,\s*and)\s*", s[a.end:b.start]) and not a.fixed_direction:
            a.metric, a.direction = b.metric, b.direction or a.direction   # "5.5x and 7.6x speedup in P95 latency"
        if a.unit == "%" and b.unit == "pp" and _fm(sep, s[a.end:b.start]):
            a.unit, a.kind = "pp", "change"      # "3.05%|3.39% absolute gains": the list is in points
        if a.unit == b.unit and a.kind == b.kind and a.kind != "scale" and _fm(sep, s[a.end:b.start]):
            if b.metric and (a.metric in (None, "other")):
                a.metric = b.metric
            if b.direction and a.direction is None and not a.fixed_direction:
                a.direction = b.direction
    # "15.7% in FAD score, 22.7% in IS, and 13.5% in CLAP", "12.3% for 1.5B and 7.5% for 7B models"
    sep_noun = r"\s+(?:in|on|for)\s+[^,;()]{1,30}?(?:,\s*(?:and\s+)?|\s+and\s+)"
    for i in range(1, len(cands)):
        b = cands[i]
        prev = [x for x in cands[:i] if x.unit == b.unit]
        if not prev:
            continue
        a = prev[-1]
        if a.kind == "change" and b.kind in ("change", "absolute") and \
                _fm(sep_noun, s[a.end:b.start]):
            b.kind = "change"
            if b.direction is None and not b.fixed_direction:
                b.direction = a.direction
            if b.metric in (None, "other"):
                b.metric = a.metric
    for i in range(1, len(cands)):
        a, b = cands[i - 1], cands[i]
        if a.unit == b.unit == "dimensionless" and _fm(r"\s+to\s+", s[a.end:b.start]):
            b.metric = a.metric
        if a.unit == b.unit and _fm(sep, s[a.end:b.start]):
            if a.qualifier and b.qualifier is None:
                b.qualifier = a.qualifier
            if a.unit == "%" and a.kind == "change" and b.kind == "absolute" and b.rule_id == a.rule_id:
                b.kind = "change"
                b.direction = b.direction or a.direction
            if a.kind == b.kind and a.kind != "scale":
                if a.metric and b.metric in (None, "other"):
                    b.metric = a.metric
                if a.direction and b.direction is None and not b.fixed_direction:
                    b.direction = a.direction
    for cand in cands:
        if cand.kind in ("ratio", "change") and cand.direction is None and not cand.fixed_direction:
            if cand.metric in ("speed", "throughput") and cand.kind == "ratio":
                cand.direction = "up"
            else:
                # the verb may sit earlier in the sentence: "X speeds up 22 of 99 queries by more than 2x"
                b2 = _TRAIL_QUAL.sub(lambda mm: " " * len(mm.group(0)), _QUAL_WORDS.sub(lambda mm: " " * len(mm.group(0)), s[:cand.start]))
                allb = sorted([(a, "up", b) for a, b, _ in _cue_all("up", b2)] +
                              [(a, "down", b) for a, b, _ in _cue_all("down", b2)])
                if allb:
                    a0, d0, b0 = allb[-1]
                    word = b2[a0:b0]
                    if _m(r"speed|accelerat", word, regex.I) and cand.metric in ("other", "time"):
                        cand.metric, d0 = "speed", "up"
                    elif d0 == "up" and _IMPROVE.match(word) and c.higher_is_better.get(cand.metric) is False:
                        d0 = "down"
                    cand.direction = d0
    _attach_lists(s, cands)
    _attach_baselines(s, cands)
    _attach_hardware(s, cands)
    _attach_system(s, cands, paper_system)
    _attach_model(s, cands)


_BY_END = regex.compile(
    r"\bby\s+(?:up\s+to\s+|over\s+|more\s+than\s+|about\s+|around\s+|nearly\s+|approximately\s+|roughly\s+|"
    r"an?\s+(?:average|factor|remarkable|impressive|substantial|significant)(?:\s+of)?\s+|on\s+average\s+|as\s+much\s+as\s+|almost\s+)*$", regex.I)
_LIST_SEP = regex.compile(r"\s*(?:,|and|,\s*and)\s*")
_PAREN_AVG = regex.compile(r"\s*\(\s*(?:on\s+average|in\s+average|an?\s+average\s+of|average|avg\.?|mean)?,?\s*(?:of\s+)?")
_CARRY = regex.compile(
    r"\s*(?:\([^()]*\))?\s*,?\s*and\s+(?P<obj>[^,;()\d]{0,80}?)\s*\bby\s+(?:up\s+to\s+|over\s+|more\s+than\s+|about\s+|around\s+|nearly\s+|an?\s+average\s+of\s+)?")
_COMPARATIVE_LEAD = regex.compile(
    r"^\s*(?:(?:less|more|lower|higher|fewer|smaller|larger|better|faster|reductions?|improvements?|gains?|savings?|increases?|decreases?)\s+)*(?:(?:in|on|of|for)\s+)?", regex.I)


_NOUN_LIST_END = regex.compile(r"\s+(?:and\s+)?(?:with|while|when|for|compared|than|over|across|at|using|respectively)\b|[;:()]|\.\s|$", regex.I)


def _map_list_nouns(s: str, cands: list[Cand], grp: list[int]) -> None:
    """'17%, 2.5x, and 2.3x reductions on latency, energy, and area': a list of numbers followed by a
    comparative and a noun list of the same length maps in order (no 'respectively' needed)."""
    last = cands[grp[-1]]
    nxt = next((x.start for x in cands if x.start >= last.end), len(s))
    tail = s[last.end:nxt]
    lead = _COMPARATIVE_LEAD.match(tail)
    if not lead.group(0).strip():
        return
    rest = tail[lead.end():]
    end = _NOUN_LIST_END.search(rest)
    rest = rest[:end.start()] if end else rest
    parts = [p for p in _sp(r",\s*(?:and\s+)?|\s+and\s+", rest) if p.strip()]
    if len(parts) != len(grp) or sum(1 for p in parts if _metric_in(p, last=True)) < 2:
        return
    ups, downs = _cue_all("up", lead.group(0)), _cue_all("down", lead.group(0))
    for j, p in zip(grp, parts):
        x = cands[j]
        if x.kind == "absolute":
            x.kind = "change"          # "12%, 2x and 3x reductions": the comparative makes it a change
        mt = _metric_in(p, last=True)
        x.metric = mt[0] if mt else "other"      # "... and area": a noun outside the vocabulary
        if not x.fixed_direction and bool(ups) != bool(downs):
            x.direction = "up" if ups else "down"


def _direction_for(metric: str | None, verb_dir: str | None, improve: bool) -> str | None:
    hib = compiled().higher_is_better.get(metric) if metric else None
    if improve and hib is not None:
        return "up" if hib else "down"
    return verb_dir


def _attach_lists(s: str, cands: list[Cand]) -> None:
    """Clause-level structure the per-number windows cannot see:
    - "respectively": numbers of a list map to the nouns of a list in order (after the numbers,
      "77% and 73% less memory and CPU usage respectively", or the verb's object before "by",
      "improves X and Y by 2x and 3x, respectively");
    - parenthesised averages "(on average 1.58x)" take the metric/direction of the number they follow;
    - a verb carries across "..., and <object> by N" (no verb of its own)."""
    n = len(cands)
    for i in range(n - 1, 0, -1):
        a, b = cands[i - 1], cands[i]
        if a.unit == b.unit == "%" and a.kind == "absolute" and b.kind == "change" and \
                _LIST_SEP.fullmatch(s, a.end, b.start) and _COMPARATIVE_LEAD.match(s[b.end:b.end + 40]).group(0).strip():
            # "40% and 25% less memory": the comparative after the list applies to every number
            a.kind, a.metric = "change", b.metric
            a.direction = a.direction if a.fixed_direction else b.direction
    result = [x for x in cands if x.kind in ("ratio", "change")]
    if len(result) < 2:
        return
    # parenthesised averages / values ------------------------------------------------
    i = 0
    while i < n:
        a = cands[i]
        if a.kind in ("ratio", "change") and i + 1 < n and _PAREN_AVG.fullmatch(s, a.end, cands[i + 1].start) \
                and "(" in s[a.end:cands[i + 1].start]:
            inner = [i + 1]
            while inner[-1] + 1 < n and _LIST_SEP.fullmatch(s, cands[inner[-1]].end, cands[inner[-1] + 1].start):
                inner.append(inner[-1] + 1)
            outer = [i]
            while outer[0] - 1 >= 0 and _LIST_SEP.fullmatch(s, cands[outer[0] - 1].end, cands[outer[0]].start):
                outer.insert(0, outer[0] - 1)
            srcs = outer if len(outer) == len(inner) else [i] * len(inner)
            for k, j in zip(srcs, inner):
                src, dst = cands[k], cands[j]
                if dst.unit == src.unit and dst.kind in ("ratio", "change", "absolute", None):
                    dst.kind, dst.metric = src.kind, src.metric
                    if not dst.fixed_direction:
                        dst.direction = src.direction
            i = inner[-1] + 1
            continue
        i += 1
    # "respectively" -------------------------------------------------------------------
    i = 0
    while i < n:
        grp = [i]
        while grp[-1] + 1 < n and _LIST_SEP.fullmatch(s, cands[grp[-1]].end, cands[grp[-1] + 1].start):
            grp.append(grp[-1] + 1)
        i = grp[-1] + 1
        if len(grp) < 2 or any(cands[j].kind not in ("ratio", "change") and
                               not (cands[j].kind == "absolute" and cands[j].unit == "%") for j in grp):
            continue
        last = cands[grp[-1]]
        clause_end = _s(r"[;]|\.\s|$", s[last.end:])
        resp = _s(r"\brespectively\b", s[last.end:last.end + (clause_end.start() if clause_end else len(s))], regex.I)
        if not resp:
            _map_list_nouns(s, cands, grp)
            continue
        if any(cands[j].kind not in ("ratio", "change") for j in grp):
            continue
        first = cands[grp[0]]
        parts: list[str] = []
        tail = s[last.end:last.end + resp.start()]
        nxt = [x.start for x in cands if x.start >= last.end]
        if not nxt or nxt[0] >= last.end + resp.start():
            tail = _COMPARATIVE_LEAD.sub("", tail.strip(" ,"))
            parts = [p for p in _sp(r",\s*(?:and\s+)?|\s+and\s+", tail.strip(" ,")) if p.strip()]
        if len(parts) != len(grp) or not all(_metric_in(p, last=True) for p in parts):
            head = s[:first.start]
            mm = _BY_END.search(head)
            parts = []
            if mm:
                obj = head[:mm.start()]
                cut = max(obj.rfind(","), obj.rfind(";"), obj.rfind(":"))
                obj = obj[cut + 1:]
                parts = [p for p in _sp(r",\s*(?:and\s+)?|\s+and\s+", obj) if p.strip()][-len(grp):]
        if len(parts) != len(grp):
            continue
        verb = _s(r"\b(?:improv\w*|outperform\w*|better|enhanc\w*|boost\w*)", s[max(0, first.start - 120):first.start], regex.I)
        for j, p in zip(grp, parts):
            mt = _metric_in(p, last=True)
            x = cands[j]
            if mt:
                x.metric = mt[0]
                if not x.fixed_direction and verb:
                    x.direction = _direction_for(x.metric, x.direction, True)
    # a verb carried across "..., and <object> by N" -----------------------------------------
    for i in range(1, n):
        a, b = cands[i - 1], cands[i]
        if a.kind not in ("ratio", "change") or b.kind not in ("ratio", "change") or a.direction is None:
            continue
        mm = _CARRY.fullmatch(s, a.end, b.start)
        if not mm:
            continue
        obj = mm.group("obj")
        if _cue_all("up", obj) or _cue_all("down", obj):
            continue                      # the object phrase has its own verb / comparative
        mt = _metric_in(obj, last=True)
        if mt:
            b.metric = mt[0]
        elif b.metric in (None, "other") or not _m(r"\s*(?:in|on|for)\b", s[b.end:]):
            b.metric = a.metric
        if not b.fixed_direction:
            improve = bool(_s(r"\b(?:improv\w*|outperform\w*|enhanc\w*|boost\w*)", s[max(0, a.start - 120):a.start], regex.I))
            b.direction = _direction_for(b.metric, a.direction, improve) if mt else a.direction


_MODEL_AFTER = regex.compile(r"\s+(?:(?P<w>LLMs?|LMs?|[A-Z][\w\-.]*[A-Z0-9][\w\-.]*)|(?P<m>models?))\b")


def _attach_model(s: str, cands: list[Cand]) -> None:
    """'a 175B LLM' / 'a 13B model' or a named model ('GLM-130B', 'GPT-2') is the model of the
    sentence's claims (the nearest one when there are several)."""
    names: list[tuple[int, str]] = []
    for m in cands:
        if m.rule_id == "claim.model_size":
            mm = _MODEL_AFTER.match(s, m.end)
            if mm:
                names.append((m.start, s[m.start:mm.end()]))
    for e, pat in compiled().cues.get("model_name", ()):
        for mm in pat.finditer(s):
            if not hardware_in(mm.group(0)):
                names.append((mm.start(), mm.group(0)))
    baselines = " ".join(c.baseline for c in cands if c.baseline)
    names = [n for n in names if n[1] not in baselines]
    if not names:
        return
    for cand in cands:
        if cand.model is None:
            cand.model = min(names, key=lambda n: abs(n[0] - cand.start))[1]


_BASELINE_PRE = regex.compile(
    r"(?:\b[Cc]ompared\s+(?:to|with|against)|\b[Ii]n\s+comparison\s+(?:to|with)|\b[Rr]elative\s+to|\bversus|\bvs\.?|\bv\.s\.|"
    r"(?<![\w-])(?:outperform\w*|surpass\w*|beats?|exceed\w*|improv\w+\s+(?:up)?on|(?<!\b(?:[Tt]his|[Tt]he|[Oo]ur|[Tt]hat|[Aa]n?)\s)match(?:es|ing|ed)?|comparable\s+to|on\s+par\s+with|as\s+well\s+as|approximat\w+|over|than"
    r"|competitive\s+with|superior\s+(?:\w+\s+)?to|(?:same|similar|comparable)\s+(?:\w+\s+){0,2}?as|(?:gains?|improvements?)\s+(?:to|from)|reach(?:es|ing)?\s+the\s+performance(?:\s+levels?)?\s+of)(?=\s))\s+(?P<b>[^\d].{1,100})")
# the comparison phrases' overlapped scan, tried only where one can start (claims.literals.PrefixScan)
_BASELINE_PRE_SCAN = PrefixScan(_BASELINE_PRE, _BASELINE_PRE.pattern, verbose=False, folded=False)
_OUTPERFORM = regex.compile(
    r"(?:outperform\w*|beats?|surpass\w*|exceed\w*|improv\w+\s+(?:up)?on)\s+(?P<b>[^,;]{2,80}?)\s+(?:by|with)\b[^,;]{0,30}?$",
    regex.I)
_LEAD = regex.compile(r"^(?:that|those)\s+of\s+|^both\s+", regex.I)
_LEAD_COMPARE = regex.compile(
    r"^\s*(?:When\s+|As\s+)?(?:compared\s+(?:to|with|against)|in\s+comparison\s+(?:to|with)|relative\s+to)\s+(?P<b>[^,;]{2,120}),", regex.I)


def _baseline_phrase(rest: str) -> str | None:
    c = compiled()
    endm = None
    for e2, p2 in c.cues.get("baseline_end", ()):
        endm = p2.search(rest)
    stop = endm.start() if endm else len(rest)
    return _clean_baseline(rest[:stop])


_STOPWORDS = {"the", "a", "an", "of", "to", "and", "or", "with", "by", "at", "in", "on", "for", "using", "while",
              "that", "this", "these", "those", "its", "their", "it", "we", "our", "than", "over"}
_TRAIL = regex.compile(r"(?:\s+(?:with|and|or|by|at|in|on|using|the|a|an|of|to|for|while|when|as|is|are))+\s*$", regex.I)
_PERF_OF = regex.compile(r"^(?:[\w\-]+\s+){0,3}?(?:performance|accuracy|quality|results?)(?:\s+levels?)?\s+of\s+", regex.I)
_CONJ_VERB = regex.compile(r"^(?:or|and)\s+\w+\s+", regex.I)


_POSSESSIVE = regex.compile(
    r"(?<=\w)['’]s(?:\s+(?:[\w\-]+\s+){0,2}?(?:performance|accuracy|results?|quality|throughput|latency|speed|efficiency|"
    r"scores?|perplexity|memory|costs?|runtime|time|MFU|utili[sz]ation|implementation|baselines?|numbers?|models?)\b.*)?$", regex.I)
_TRAIL_METRIC = regex.compile(r"\s+(?:accuracy|perplexity|performance|quality|score|results?|throughput|latency)$", regex.I)


def _clean_baseline(b: str) -> str | None:
    b = b.strip().rstrip(".,;~ ")
    b = _POSSESSIVE.sub("", b)
    b = _CONJ_VERB.sub("", b)
    b = _PERF_OF.sub("", b)
    b = _LEAD.sub("", b)
    b = _TRAIL.sub("", b).rstrip(".,;~ ")
    if len(b.split()) > 1:
        b = _TRAIL_METRIC.sub("", b)
    b = _ARTICLE.sub("", b).strip().rstrip(".,;~ ")
    if not b or len(b.split()) > 12 or (b[0].isdigit() and not _m(r"[\d.]+[BMK]\b.*\bmodels?$", b)):
        return None
    if all(w.lower() in _STOPWORDS for w in b.split()):
        return None
    if _fm(r"[a-z]+ed(?<!speed|seed|feed|need)", b):
        return None          # "as reported by ...": a participle, not a system
    if _m(r"(?:up\s+to|about|around|the\s+same|other\s+than|each|all|our\s+(?:method|approach|system)|we|it|by)\b", b, regex.I):
        return None          # "... exact match by as much as 0.1%": "by ..." is a margin, not a system
    # "the state-of-the-art ANNS solution DiskANN" -> "DiskANN" (a descriptor before a proper name)
    mm = _APPOSITIVE.match(b)
    if mm:
        b = mm.group("n")
    return b


_APPOSITIVE = regex.compile(
    r"^(?:(?:latest|previous|prior)\s+)?state\s*-?of-the-art\s+(?:[\w\-]+\s+){0,3}?(?P<n>(?=[\w\-./]*[a-z])[A-Z][\w\-./]*[A-Z0-9][\w\-./]*)(?:\s+model)?$")


def _attach_baselines(s: str, cands: list[Cand]) -> None:
    c = compiled()
    # numbers end a baseline phrase, except model sizes inside it ("a conventionally trained 7B model")
    spans = [(x.start, x.end) for x in cands if x.rule_id != "claim.model_size"]
    lead = _LEAD_COMPARE.match(s)
    lead_b = _baseline_phrase(lead.group("b")) if lead else None
    for i, cand in enumerate(cands):
        if i % 16 == 0:
            _check_deadline()
        if cand.kind not in ("ratio", "change", "absolute"):
            continue
        if lead_b and cand.start > lead.end("b"):
            cand.baseline = lead_b
            continue
        # the rest of the clause after the number (other numbers of the clause may sit in between)
        tail = s[cand.end:]
        stop = _s(r";|\.\s|,\s*(?:while|whereas|but)\b", tail)
        tail = tail[:stop.start() if stop else len(tail)][:200]
        found = None
        for e, pat in c.cues.get("baseline", ()):
            for mm in pat.finditer(tail):
                rest = tail[mm.end():]
                if not rest or rest[0].isdigit():
                    continue
                ab = cand.end + mm.end()
                if _overlaps(ab, ab + 1, spans):
                    continue
                # cut the phrase at the next number
                nxt = [a - ab for a, b in spans if a >= ab]
                if nxt:
                    rest = rest[:min(nxt)]
                found = _baseline_phrase(rest)
                if found:
                    break
            if found:
                break
        if found is None:
            prev = cands[i - 1].end if i > 0 else 0
            mm = _OUTPERFORM.search(s[prev:cand.start])
            if mm:
                found = _baseline_phrase(mm.group("b"))
        if found is None:
            # a comparison stated earlier in the sentence: "Compared to X, ...", "outperforms X in ..."
            for mm in reversed(list(_BASELINE_PRE_SCAN.finditer(s[:cand.start], overlapped=True))):
                rest = mm.group("b")
                nxt = [a - mm.start("b") for a, b in spans if a >= mm.start("b")]
                if nxt:
                    rest = rest[:min(nxt)]
                b = _baseline_phrase(rest)
                if b:
                    found = b
                    break
        if cand.kind == "absolute" and found is not None and not _s(
                r"compar|relative|outperform|surpass|match|than|\bvs\.?|versus|\bover\b", s, regex.I):
            found = None
        cand.baseline = found
    # "2x and 3x over A and B, respectively" -> A for 2x, B for 3x
    for i in range(len(cands) - 1):
        a, b = cands[i], cands[i + 1]
        if a.baseline and a.baseline == b.baseline and " and " in a.baseline and \
                _s(r"respectively", s[b.end:], regex.I) and _fm(r"\s*(?:,|and|,\s*and)\s*", s[a.end:b.start]):
            parts = a.baseline.split(" and ", 1)
            if len(parts) == 2 and "," not in parts[0]:
                a.baseline, b.baseline = parts[0].strip(), parts[1].strip()
    # lists share a baseline
    sep = r"[\s,]*(?:and|or)?[\s,]*(?:[\w\-]+\s+){0,6}?(?:and|or|,)\s*(?:up\s+to\s+|an?\s+average\s+of\s+)?"
    for i in range(len(cands) - 1, 0, -1):
        a, b = cands[i - 1], cands[i]
        if a.baseline is None and b.baseline and a.kind == b.kind and _fm(sep, s[a.end:b.start]):
            a.baseline = b.baseline
    for i in range(1, len(cands)):
        a, b = cands[i - 1], cands[i]
        if b.baseline is None and a.baseline and a.kind == b.kind and _fm(sep, s[a.end:b.start]):
            b.baseline = a.baseline


# a model / data size or context length is not "measured on" the sentence's GPU count
_SIZES_WITHOUT_COUNT = ("model_size", "data_size", "context_length")


def _attach_hardware(s: str, cands: list[Cand]) -> None:
    mentions = [(a, b, n) for a, b, n, _ in _hw_mentions(s)]
    generic = {"GPU", "CPU", "TPU", "NPU"}
    specific = sorted({m[2] for m in mentions if m[2] not in generic})
    # a generic count ("16 and 2,048 A100 GPUs", "GPU RTX 4090") takes the one specific name in the sentence
    if len(specific) == 1:
        for cand in cands:
            if cand.hardware in generic and cand.hardware == "GPU" and specific[0] not in ("CS-2", "FPGA", "IPU", "DGX", "DGX-2"):
                cand.hardware = specific[0]
    counted = [x for x in cands if x.kind == "scale" and x.hardware_count is not None]

    def dist(a0: int, a1: int, b0: int, b1: int) -> int:
        return b0 - a1 if b0 >= a1 else (a0 - b1 if a0 >= b1 else 0)

    pool_all = [m for m in mentions if m[2] not in generic] or mentions
    # groups of counts written as one list ("16 and 2,048 A100 GPUs", "from 8 to 256 GPUs")
    count_groups: list[list[Cand]] = []
    for x in counted:
        if count_groups and _fm(r"\s*(?:,|and|or|,\s*and|to)\s*", s[count_groups[-1][-1].end:x.start]):
            count_groups[-1].append(x)
        else:
            count_groups.append([x])
    mapped: dict[int, Cand] = {}
    for g in count_groups:
        if len(g) < 2 or not _s(r"^[^.;]{0,40}?\brespectively\b", s[g[-1].end:], regex.I):
            continue
        res = [x for x in cands if x.end <= g[0].start and x.kind in ("ratio", "change", "absolute")]
        k = len(g)
        if len(res) >= k and all(_LIST_SEP.fullmatch(s, res[-k + j].end, res[-k + j + 1].start) for j in range(k - 1)):
            for r_, c_ in zip(res[-k:], g):      # "4.9x and 5.7x ... over 16 and 2,048 GPUs, respectively"
                mapped[id(r_)] = c_
    for i, cand in enumerate(cands):
        if i % 16 == 0:
            _check_deadline()
        if cand.hardware_count is not None and cand.kind == "scale":
            continue
        nxt = cands[i + 1].start if i + 1 < len(cands) else len(s)
        own = [m for m in mentions if cand.end <= m[0] < nxt and
               _fm(r"\W*(?:\w+\W+){0,3}?(?:on|using|with|across|over|per|for)\s+(?:an?\s+|the\s+|\w+\s+){0,3}", s[cand.end:m[0]])]
        own.sort(key=lambda m: (m[2] in generic, m[0]))
        if counted and id(cand) in mapped:
            cand.hardware = cand.hardware or mapped[id(cand)].hardware
            cand.hardware_count = mapped[id(cand)].hardware_count
            continue
        if counted:
            best = min(counted, key=lambda x: dist(cand.start, cand.end, x.start, x.end))
            grp = next((g for g in count_groups if best in g), [best])
            if len(grp) > 1 and _s(r"\bfrom\s+(?:\w+\s+){0,2}$", s[max(0, grp[0].start - 30):grp[0].start]):
                best = max(grp, key=lambda x: x.hardware_count or 0)    # "from 8 to 256 GPUs": the largest
            cand.hardware = cand.hardware or (own[0][2] if own else None) or best.hardware
            if not (cand.kind == "scale" and cand.metric in _SIZES_WITHOUT_COUNT):
                cand.hardware_count = best.hardware_count
            if cand.hardware is None and mentions:
                cand.hardware = min(pool_all, key=lambda m: dist(cand.start, cand.end, m[0], m[1]))[2]
            continue
        if cand.hardware or not mentions:
            continue
        if own:
            cand.hardware = own[0][2]
            continue
        best = min(pool_all, key=lambda m: dist(cand.start, cand.end, m[0], m[1]))
        cand.hardware = best[2]


_SUBJECT_VERBS = (r"achieves|achieved|outperforms|outperformed|reduces|improves|delivers|provides|accelerates|speeds\s+up|"
                  r"enables|gives|reaches|sustains|attains|obtains|yields|is|are|can|shows|demonstrates|offers|"
                  r"exhibits|lowers|cuts|increases|boosts|runs|trains|supports|scales|matches|exploits|has|"
                  r"benefits?|forms|surpass(?:es)?|brings|requires|uses|processes|saves|decreases|maintains|attains")
_NAMED_SUBJECT = AsciiRe(      # `re` on ASCII sentences: 2.7x faster on this scan of names
    r"(?<![\w-])(?P<n>[A-Z][\w\-*]*(?:[A-Z0-9][\w\-*]*)|[A-Z]{2,}[\w\-]*|[a-z]{1,2}[A-Z]{2,}[\w\-]*|[A-Z][a-z]+(?=\s+(?:\w+ly\s+|also\s+|further\s+|finally\s+)?(?:" + _SUBJECT_VERBS + r")\b))"
    r"\s+(?:\w+ly\s+|also\s+|further\s+|finally\s+)?(?:" + _SUBJECT_VERBS + r")\b")
_INTRODUCE = regex.compile(
    r"\b[Ww]e\s+(?:propose|present|introduce|describe|design|build|construct|create|develop)\s+(?:a\s+|an\s+|the\s+)?"
    r"(?:[\w\-]+\s+){0,3}?(?P<n>[A-Z][\w\-]*[A-Z0-9][\w\-]*|[A-Z][a-z]+[A-Z]\w*)")
_NOT_NAMES = {"We", "It", "This", "Our", "The", "These", "That", "Such", "GPU", "GPUs", "LLM", "LLMs", "Experimental",
              "Experiments", "Results", "Evaluation", "Extensive", "Empirical", "Compared", "In", "On", "For", "With",
              "Using", "Moreover", "Furthermore", "Finally", "Notably", "Specifically", "Overall", "Additionally",
              "However", "Thus", "Hence", "Besides", "First", "Second", "Third", "Our", "Its", "A", "An", "Each",
              "Both", "All", "Most", "Many", "Some", "Existing", "Current", "Prior", "Previous", "Recent", "Large",
              "Training", "Inference", "Scaling", "Data", "Models", "Model", "Performance", "Deep", "Modern"}


def _attach_system(s: str, cands: list[Cand], paper_system) -> None:
    """paper_system: the paper's system name, or a callable giving it (computed on first need)."""
    name = None
    for mm in _NAMED_SUBJECT.finditer(s):
        n = mm.group("n")
        if n not in _NOT_NAMES and not any(h == n for h in hardware_in(n)) and not _metric_of_word(n):
            name = n
            break
    if name is None:
        mm = _INTRODUCE.search(s)
        if mm and mm.group("n") not in _NOT_NAMES:
            name = mm.group("n")
    if name is None and callable(paper_system):
        paper_system = paper_system()
    if name is None and paper_system:
        if paper_system in s or _cue_search("self", s):
            name = paper_system
    for cand in cands:
        cand.system = name


_PHRASE_START = regex.compile(r"^(?:[A-Z][a-z]+ing|Beyond|Towards?|On|Rethinking|Revisiting|When|How|Why|What|Is|Are|Do|Does|Can|Less|More|Scaling|Efficient|Large|Small|Fast|Deep|Learning)\b")


_ABBR_AFTER = regex.compile(r"\s*\((?P<a>[A-Z][\w\-]{1,15})\)")


@functools.lru_cache(maxsize=4096)
def paper_system(title: str | None, abstract: str | None = None) -> str | None:
    """The paper's own system name (spec decision 5): the title before a colon when it is a short
    name (not a phrase such as 'Revisiting ResNets'); an abbreviation the abstract gives it
    ('Mixture-of-Recursions (MoR)'); else the name the abstract introduces ('we propose X')."""
    if not title:
        return None
    head = None
    if ":" in title:
        h = title.split(":", 1)[0].strip()
        words = h.split()
        if h and len(words) <= 3 and not (len(words) > 1 and _PHRASE_START.match(h)) and \
                (any(ch.isupper() for ch in h[1:]) or len(words) == 1):
            head = h
    if head and abstract:
        # the first place where the head is followed by "(ABBR)" (a search for the escaped head plus
        # _ABBR_AFTER, without compiling one regex per paper)
        i = abstract.find(head)
        while i >= 0:
            mm = _ABBR_AFTER.match(abstract, i + len(head))
            if mm:
                return mm.group("a")
            i = abstract.find(head, i + 1)
    if head:
        return head
    if abstract:
        mm = _INTRODUCE.search(abstract)
        if mm and mm.group("n") not in _NOT_NAMES:
            # "we propose Mixture-of-Denoising Experts (MoDE)": the abbreviation is the name used later
            ab = _rc(r"[\w\-]*(?:\s+[\w\-]+){0,3}?\s*\((?P<a>[A-Z][\w\-]{1,15})\)").match(abstract, mm.end("n"))
            return ab.group("a") if ab else mm.group("n")
    return None


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
    psys = functools.partial(paper_system, title, abstract)      # only abstracts with claims need it
    claims: list[Claim] = []
    problems: list[dict] = []
    for sent in sents:
        if not c.prefilter.search(sent.text):
            continue
        budget.start()
        try:
            cands = candidates(sent.text)
            if cands:            # 60% of the sentences with a digit or number word have no claim
                _attach(sent.text, cands, psys)
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
    """A rich renderable: every candidate number, the rule that fired or rejected it, and fields."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    trace: list = []
    cands = candidates(sentence, trace)
    _attach(sentence, cands, paper_system(title))
    t = Table(title="claims explain", show_lines=False)
    for col in ("mention", "rule", "value", "unit", "kind", "metric", "dir", "qual", "baseline",
                "system", "hardware", "count"):
        t.add_column(col)
    for cd in cands:
        t.add_row(sentence[cd.start:cd.end], cd.rule_id, f"{cd.value:g}" + (f"-{cd.value_high:g}" if cd.value_high else ""),
                  cd.unit, cd.kind or "", cd.metric or "", cd.direction or "", cd.qualifier or "",
                  cd.baseline or "", cd.system or "", cd.hardware or "",
                  "" if cd.hardware_count is None else str(cd.hardware_count))
    r = Table(title="rejected / blocked")
    r.add_column("text")
    r.add_column("status")
    r.add_column("rule / reason")
    for status, txt, why in trace:
        r.add_row(txt, status, why)
    # bare numbers that no rule took
    taken = [(cd.start, cd.end) for cd in cands]
    for mm in regex.finditer(r"\d+(?:[.,]\d+)*", sentence):
        if not _overlaps(mm.start(), mm.end(), taken):
            r.add_row(mm.group(0), "no claim", "no claim pattern matched (or blocked above)")
    return Group(Text(sentence), t, r)
