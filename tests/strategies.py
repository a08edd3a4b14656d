"""Hypothesis strategies for the extractor's property tests (issue 5).

Everything that is *vocabulary* comes from the loaded rules (``claims.rules.get_rules()``): metric
synonyms, unit surfaces, count nouns, hardware aliases, baselines, scale words, number words, word
ratios and qualifier cues. When the rules grow, the strategies grow with them; nothing here copies
a list out of ``rules/``. What is hard-coded is the *spec* (shared/gold/GUIDELINES.md): how a number
may be written (``1,234``, ``2-4x``, ``3.5×``, ``48times``), the canonical unit of a hardware count,
and a handful of plain English glue words (verbs, comparatives) used to build sentences.

Each ``@st.composite`` claim strategy returns ``(sentence, expected)`` where ``expected`` is a list
of dicts, one per claim the sentence must yield; each dict has ``mention`` plus the fields the
generator put in (value, value_high, unit, kind, metric, direction, qualifier, baseline, hardware,
hardware_count).

Known gaps (rules bugs a property found and that are not fixed yet) are listed in ``KNOWN_GAPS``;
the strategies leave exactly those vocabulary items out and tests/test_properties.py pins each of
them as a strict xfail, so a fix is noticed.

Hypothesis profiles live here too (``default`` for CI, ``long`` for thousands of examples); pick one
with ``HYPOTHESIS_PROFILE=long``.
"""
from __future__ import annotations

import os
import string
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import regex
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from claims.rules import get_rules

# --------------------------------------------------------------------------- profiles
settings.register_profile(
    "default", max_examples=40, deadline=None, derandomize=True, print_blob=True,   # CI: the same examples every run
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                           HealthCheck.data_too_large])
settings.register_profile(
    "long", max_examples=3000, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                           HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

R = get_rules()

# --------------------------------------------------------------------------- known gaps
# (kind, surface) -> reason. Only items a property found; each has a strict xfail in
# tests/test_properties.py and a line in the bug report. Remove the line when the rule is fixed.
_MEM_BW = ("the metric alternation takes the first synonym that matches, in order of source length: 'memory' "
           "(memory) is tried before 'memory bandwidth utilization' (utilization)")
KNOWN_GAPS: dict[tuple[str, str], str] = {
    ("metric", "memory bandwidth utilization"): _MEM_BW,
    ("metric", "memory bandwidth utilisation"): _MEM_BW,
}


def gap(kind: str, surface: str) -> bool:
    def norm(t: str) -> str:
        return " ".join(t.lower().split())
    return (kind, norm(surface)) in {(k, norm(s)) for k, s in KNOWN_GAPS}


# --------------------------------------------------------------------------- regex helpers
_SURFACE_ALPHABET = string.ascii_letters + string.digits + " -/@$."
_LOOKAROUND = regex.compile(r"\(\?<?[=!](?:[^()]|\((?:[^()])*\))*\)")


def surfaces_of(pattern: str, max_len: int = 40) -> st.SearchStrategy[str]:
    """Strings that the rule regex ``pattern`` matches in full, over a plain ASCII alphabet.

    Lookarounds are dropped for generation (the sentence templates supply their context)."""
    src = _LOOKAROUND.sub("", pattern)
    return (st.from_regex(src, fullmatch=True, alphabet=st.sampled_from(_SURFACE_ALPHABET))
            .map(lambda s: " ".join(s.split()))
            .filter(lambda s: 0 < len(s) <= max_len and not s.startswith((" ", "/", "."))))


def _literal_alternatives(pattern: str) -> list[str]:
    """Plain-word alternatives of a cue regex like ``(?:\\bup\\s+to|\\bover|~)\\s*$``."""
    body = pattern
    body = regex.sub(r"\\s\*\$$|\\s\*\)?\$?$", "", body)
    m = regex.search(r"\(\?:(.*)\)", body)
    if m:
        body = m.group(1)
    out = []
    depth, cur = 0, ""
    for ch in body:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "|" and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    words = []
    for alt in out:
        alt = alt.replace(r"\b", "").replace(r"\s+", " ").replace(r"\s", " ")
        alt = alt.replace(",?", "").replace(r"\.", ".")
        if alt and regex.fullmatch(r"[A-Za-z][A-Za-z .]*", alt):
            words.append(alt.strip())
    return words


# --------------------------------------------------------------------------- vocabulary
@dataclass(frozen=True)
class Vocab:
    result_metrics: tuple            # (metric, higher_is_better, synonym regex)
    units: tuple                     # (surface, canonical unit, multiply, unit metric, dimension)
    count_nouns: tuple               # entries of units.yml:count_nouns
    hardware: tuple                  # rules.Hardware in file order
    baselines: tuple                 # surface strings (canonical + aliases)
    scales: tuple                    # (word, factor)
    number_words: Mapping[str, float]
    word_ratios: tuple               # entries of numbers.yml:word_ratios
    qualifiers: tuple                # (surface, value)
    neutral: Any                     # compiled regex: anything the rules give meaning to


def _vocab() -> Vocab:
    metrics = []
    for m in R.metrics:
        if m.kind != "result":
            continue
        for syn in m.synonyms:
            metrics.append((m.metric, m.higher_is_better, syn))
    units = []
    for u in R.units:
        for s in u.surfaces:
            text = s.get("text") if isinstance(s, Mapping) else str(s)
            mult = float(s.get("multiply", 1)) if isinstance(s, Mapping) else 1.0
            metric = s.get("metric", u.metric) if isinstance(s, Mapping) else u.metric
            units.append((str(text), u.unit, mult, metric, u.dimension))
    scales = []
    for e in R.section("numbers.yml", "scales"):
        for w in e.get("words") or ():
            scales.append((str(w), float(e.get("factor"))))
    nwords: dict[str, float] = {}
    for e in R.section("numbers.yml", "number_words"):
        for w, v in (e.get("values") or {}).items():
            nwords[str(w)] = float(v)
    quals = []
    for e in R.section("attach.yml", "cues"):
        if e.get("cue") == "qualifier":
            for w in _literal_alternatives(e.get("pattern")):
                quals.append((w, e.get("value")))
    bl = []
    for b in R.baselines:
        for a in (b.canonical,) + b.aliases:
            bl.append(a)
    # everything the rules give a meaning to: filler text must avoid all of it
    parts = []
    for _, _, syn in metrics:
        parts.append(syn)
    for h in R.hardware:
        parts.extend(h.aliases)
    for e in R.section("units.yml", "count_nouns"):
        parts.append(e.get("nouns"))
    for e in R.section("attach.yml", "cues"):
        parts.append(regex.sub(r"^\^|\\s\*\$$|\$$", "", e.get("pattern")))
    for e in R.section("numbers.yml", "word_ratios"):
        parts.append(e.get("pattern"))
    parts.extend(regex.escape(w) for w in nwords)
    parts.extend(regex.escape(w) for w, _ in scales if len(w) > 2)
    parts.extend(regex.escape(t) for t, *_ in units if len(t) > 1)
    parts.extend(regex.escape(b) for b in bl)
    # words the extractor reads as context (GUIDELINES: context length, system names)
    parts.extend(["context", "sequence", "window", "token", "percent", "times", "magnitude", "fold",
                  "half", "third", "quarter", "single", "dozen"])
    neutral = regex.compile("|".join(f"(?:{p})" for p in parts if p), regex.IGNORECASE | regex.V0)
    return Vocab(tuple(metrics), tuple(units), R.section("units.yml", "count_nouns"), R.hardware,
                 tuple(bl), tuple(scales), nwords, R.section("numbers.yml", "word_ratios"),
                 tuple(quals), neutral)


V = _vocab()


# --------------------------------------------------------------------------- regexes, compiled up front
# `regex` keeps a cache of compiled patterns and, when it is full, evicts entries chosen with the
# global `random` module. A compile inside a strategy could thus change `random`'s state (after
# the test suite has compiled ~500 patterns), which Hypothesis reports as a strategy using
# `random`. So every pattern a strategy uses is compiled here, before any draw.
_RX: dict[tuple[str, int], Any] = {}


def _rx(pattern: str, flags: int = 0):
    key = (pattern, flags)
    if key not in _RX:
        _RX[key] = regex.compile(pattern, flags)
    return _RX[key]


_I = regex.IGNORECASE | regex.V0


def _alias_rx(alias: str):
    return _rx(r"(?<![\w])(?:" + alias + r")(?![\w])", _I)


def _generic_hw_rx(hardware: str):
    return _rx(r"(?i)" + regex.escape(hardware) + r"s?|.*(?:cores?|cards?)")


for _, _, _syn in V.result_metrics:
    _rx(_syn, _I)
for _h in V.hardware:
    _generic_hw_rx(_h.hardware)
    for _a in _h.aliases:
        _alias_rx(_a)
for _e in V.count_nouns:
    _rx(_e.get("nouns"), _I)
for _e in V.word_ratios:
    _rx(_LOOKAROUND.sub("", _e.get("pattern").replace(r"\b", "")), _I)
for _p in (r"\d", r"\d|\$", r"(?i)(?:half|one|a)\b|1/"):
    _rx(_p)
_COMPILED_UP_FRONT = len(_RX)
CUES = regex.compile("|".join(f"(?:{e.get('pattern')})" for e in R.section("attach.yml", "cues")
                              if e.get("cue") in ("up", "down", "change", "faster")),
                     regex.IGNORECASE | regex.V0)
NOUN_UNION = regex.compile("|".join(f"(?:{e.get('nouns')})" for e in R.section("units.yml", "count_nouns")),
                           regex.IGNORECASE | regex.V0)

HW_UNION = regex.compile("(?:" + "|".join(f"(?:{a})" for h in R.hardware for a in h.aliases) + r")(?![\w])",
                         regex.IGNORECASE | regex.V0)


class OneOf(tuple):
    """An expected field value where the spec allows several readings."""


def first_metric_of(surface: str) -> str | None:
    """The metric the rules give a surface: the first metric (file order) with a synonym matching
    it in full (metrics.yml: case-insensitive, file order decides)."""
    for metric, _, syn in V.result_metrics:
        if _rx(syn, _I).fullmatch(surface):
            return metric
    return None


def first_hardware_of(surface: str) -> str | None:
    """hardware.yml: 'Order matters: specific names (A100) before generic ones (GPU)'."""
    for h in V.hardware:
        for a in h.aliases:
            if _alias_rx(a).search(surface):
                return h.hardware
    return None


def is_neutral(text: str) -> bool:
    return V.neutral.search(text) is None and not _rx(r"\d").search(text)


# --------------------------------------------------------------------------- text pieces
_CONS = "bcdfghjklmnprstvz"
_VOW = "aeiou"
syllable = st.tuples(st.sampled_from(_CONS), st.sampled_from(_VOW)).map("".join)
filler_word = (st.lists(syllable, min_size=1, max_size=3).map("".join)
               .filter(lambda w: len(w) > 2 and is_neutral(w) and w not in ("the", "a", "an")))


def casing(s: str) -> st.SearchStrategy[str]:
    return st.sampled_from([s, s.lower(), s.upper(), s.capitalize(), s.title()])


@st.composite
def filler(draw, min_words: int = 0, max_words: int = 6) -> str:
    """Neutral words with random casing: they match no rule vocabulary."""
    words = draw(st.lists(filler_word, min_size=min_words, max_size=max_words))
    words = [draw(casing(w)) for w in words]
    return " ".join(words)


system_name = st.tuples(st.sampled_from(string.ascii_uppercase), filler_word, st.sampled_from(["", "Net", "Flow", "Serve"])) \
    .map(lambda t: t[0] + t[1] + t[2]).filter(is_neutral)

end_punct = st.sampled_from([".", "!", "?", ""])


# --------------------------------------------------------------------------- numbers
def _group(n: int) -> str:
    return f"{n:,}"


@st.composite
def digits_number(draw, max_int: int = 10**7, allow_sep: bool = True, allow_years: bool = False):
    """(text, value) for a plain decimal number: 12,288 / 1.91 / 175 / 1,234.5.

    Bare integers 1950-2049 are years (GUIDELINES: not annotated) unless allow_years."""
    n = draw(st.integers(min_value=0, max_value=max_int))
    decimals = draw(st.one_of(st.just(""), st.integers(1, 999).map(lambda d: f".{d}")))
    sep = allow_sep and n >= 1000 and draw(st.booleans())
    if not decimals and not allow_years and 1950 <= n <= 2049 and not sep:
        n += 100
    intpart = _group(n) if sep else str(n)
    text = intpart + decimals
    if text in ("0",):
        text = "1"
    return text, float(text.replace(",", ""))


positive_digits = digits_number().filter(lambda t: t[1] > 0)


@st.composite
def scaled_number(draw):
    """(text, value): 1.5k / 175B / 8.3 billion / 1.4T (scale words and suffixes of numbers.yml)."""
    text, value = draw(digits_number(max_int=999, allow_sep=False))
    word, factor = draw(st.sampled_from(V.scales))
    sep = " " if len(word) > 2 else ""
    return f"{text}{sep}{word}", value * factor


any_number = st.one_of(positive_digits, scaled_number())

TIMES_SIGNS = ["x", "X", "×", "times", "$\\times$"]
DASHES = ["-", "–", "—", "--", " to ", " - "]


@st.composite
def ratio_mention(draw):
    """(mention, value, value_high, fixed_direction): 1.91x, 3.5×, 48times, 2-4x, 1.5x-2x,
    three times, an order of magnitude, ten-fold, 2 to 25 times."""
    form = draw(st.sampled_from(["digits", "range", "words"]))
    if form == "digits":
        text, v = draw(positive_digits)
        sign = draw(st.sampled_from(TIMES_SIGNS))
        sp = draw(st.sampled_from(["", " "]))
        return f"{text}{sp}{sign}", v, None, None
    if form == "range":
        (a, va), (b, vb) = draw(positive_digits), draw(positive_digits)
        sign = draw(st.sampled_from(TIMES_SIGNS))
        low_sign = draw(st.sampled_from(["", sign]))
        return f"{a}{low_sign}{draw(st.sampled_from(DASHES))}{b}{sign}", va, vb, None
    entry = draw(st.sampled_from([e for e in V.word_ratios]))
    return draw(word_ratio_text(entry))


@st.composite
def word_ratio_text(draw, entry):
    """A surface of one numbers.yml word ratio and the value its rule gives."""
    pat = _LOOKAROUND.sub("", entry.get("pattern").replace(r"\b", ""))
    text = draw(surfaces_of(pat).filter(lambda s: not s[0].isspace() and not (gap("word_ratio", "thousand") and "thousand" in s.lower())))
    m = _rx(pat, _I).fullmatch(text)
    assert m, (pat, text)

    def num(t: str | None) -> float | None:
        if t is None:
            return None
        if t.lower() in {k.lower() for k in V.number_words}:
            return next(v for k, v in V.number_words.items() if k.lower() == t.lower())
        return float(t)

    gd = m.groupdict()
    direction = entry.get("direction")
    if entry.get("power_of_ten"):
        c = num(gd.get("count"))
        from hypothesis import assume
        assume(c is not None and c <= 15)     # GUIDELINES: definite counts; huge ones: robustness
        hi = num(gd.get("count_high"))
        assume(hi is None or hi <= 15)
        return text, 10.0 ** c, (10.0 ** hi if hi is not None else None), direction
    if entry.get("value_from_words"):
        low = text.lower()
        v = next((float(v) for k, v in entry.get("value_from_words").items() if k in low), None)
        if v is None and gd.get("count"):
            v = num(gd["count"])        # "1/6th of": the denominator
        return text, v, None, direction
    if gd.get("count"):
        if gd["count"].lower() == "thousand":
            return text, 1000.0, None, direction
        return text, num(gd["count"]), None, direction
    return text, float(entry.get("value")), None, direction


# --------------------------------------------------------------------------- vocabulary pieces
def metric_synonym(higher_is_better: Callable[[Any], bool] = lambda h: True):
    """(surface, metric, higher_is_better) for result metrics, surfaces generated from synonyms."""
    choices = [t for t in V.result_metrics if higher_is_better(t[1])]

    @st.composite
    def _one(draw):
        metric, hib, syn = draw(st.sampled_from(choices))
        surf = draw(surfaces_of(syn).filter(lambda s: not gap("metric", s)))
        from hypothesis import assume
        # the surface must not itself be a number, a unit, a hardware name or a cue
        assume(not _rx(r"\d|\$").search(surf))
        assume(first_hardware_of(surf) is None)
        # comparatives that are also direction / change cues ('cheaper', 'faster', 'smaller') are
        # not metric nouns for these templates
        assume(CUES.search(surf) is None)
        return draw(casing(surf)), metric, hib
    return _one()


qualifier = st.sampled_from(V.qualifiers) if V.qualifiers else st.nothing()
baseline = st.sampled_from(V.baselines)


@st.composite
def hardware_count(draw):
    """(text, expected claim) for a count of named hardware: '8 A100 GPUs', '2,048 TPU v4 chips'."""
    cats = {"gpu": ("GPU", "GPUs"), "tpu": ("TPU", "chips"), "npu": ("device", "NPUs"),
            "accelerator": ("device", "accelerators"),
            "cpu": ("CPU", "cores" if gap("hw_noun", "CPUs") else "CPUs")}   # known gap, pinned
    hws = [h for h in V.hardware if h.category in cats]
    h = draw(st.sampled_from(hws))
    alias = draw(st.sampled_from(h.aliases))
    surf = draw(surfaces_of(alias, max_len=25))
    from hypothesis import assume
    assume(first_hardware_of(surf) == h.hardware)
    m = HW_UNION.match(surf)
    if gap("hw_alias", "prefix") and (m is None or m.end() < len(surf)):
        assume(False)                      # known gap, pinned in test_properties.py
    unit, noun = cats[h.category]
    generic = _generic_hw_rx(h.hardware).fullmatch(surf) is not None
    n = draw(st.integers(min_value=2, max_value=100_000))
    ntext = _group(n) if n >= 1000 and draw(st.booleans()) else str(n)
    assume(not (1950 <= n <= 2049 and ntext == str(n)))
    text = f"{ntext} {surf}" + ("" if generic else f" {noun}")
    return text, {"mention": text, "value": float(n), "unit": unit, "kind": "scale",
                  "metric": "hardware_count", "hardware": h.hardware, "hardware_count": n}


# --------------------------------------------------------------------------- claim sentences
def _wrap(draw, core: str, ends_with_baseline: bool = False) -> str:
    lead = draw(filler(0, 4))
    tail = draw(filler(0, 4))
    s = (lead + " " if lead else "") + core
    if tail:
        # after a baseline a bare space would make the filler part of the baseline's name
        s += draw(st.sampled_from([", ", "; "] if ends_with_baseline else [" ", ", ", "; "])) + tail
    punct = draw(end_punct)
    if ends_with_baseline and not tail and gap("baseline_end", punct):
        punct = "."                     # known gap, pinned in test_properties.py
    return s + punct


COMPARATIVES = {"up": ["higher", "greater"], "down": ["lower", "less", "fewer"]}
_SYSTEM_CONTEXT = regex.compile(r"\b(?:GPUs?|CPUs?|hardware|kernels?|applications?|systems?|runtime|end-to-end|FPS|"
                                r"inference|serving|accelerators?|chips?)\b", regex.I)   # as in claims/extract.py


@st.composite
def ratio_sentence(draw):
    """'<filler> Xnet achieves up to 2.5x higher throughput than vLLM on 8 A100 GPUs <filler>.'"""
    system = draw(system_name)
    mention, v, vhi, fixed = draw(ratio_mention())
    surf, metric, _ = draw(metric_synonym())
    qt = draw(st.one_of(st.none(), qualifier))
    qs, q = (qt[0] + " ", qt[1]) if qt else ("", None)
    b = draw(st.one_of(st.none(), baseline))
    hw = draw(st.one_of(st.none(), hardware_count()))
    if fixed:
        # doubles / halves / half (of the) / one third (of the): the word carries the direction
        direction, q = fixed, None
        if _rx(r"(?i)(?:half|one|a)\b|1/").match(mention):
            core = f"{system} uses {mention} of the {surf}"
        else:
            core = f"{system} {mention} {surf}"
    else:
        direction = draw(st.sampled_from(["up", "down"]))
        comp = draw(st.sampled_from(COMPARATIVES[direction]))
        if gap("word_ratio", "count_noun") and not _rx(r"\d").search(mention):
            m = NOUN_UNION.fullmatch(surf)
            from hypothesis import assume
            assume(m is None)                # known gap, pinned in test_properties.py
        core = f"{system} achieves {qs}{mention} {comp} {surf}"
    if b:
        core += f" {draw(st.sampled_from(['than', 'compared to', 'over', 'relative to']))} {b}"
    if hw:
        core += f" on {hw[0]}"
    sentence = _wrap(draw, core, ends_with_baseline=bool(b) and not hw)
    # "2x higher performance" in a sentence about systems (GPUs, kernels, serving, ...) reads as a
    # speedup, not a quality score (a decision of the rules, tuned on the dev gold): not generated
    from hypothesis import assume
    assume(not (metric == "score" and "performance" in surf.lower() and _SYSTEM_CONTEXT.search(sentence)))
    exp = {"mention": mention, "value": v, "value_high": vhi, "unit": "x", "kind": "ratio",
           "metric": metric, "direction": direction, "qualifier": q, "baseline": b}
    if hw:
        exp["hardware"] = hw[1]["hardware"]
        exp["hardware_count"] = hw[1]["hardware_count"]
    out = [exp]
    if hw:
        out.append(hw[1])
    return sentence, out


@st.composite
def percent_sentence(draw):
    """Change ('Xnet reduces latency by up to 40% compared to vLLM') or absolute
    ('Xnet reaches 55.2% MFU')."""
    system = draw(system_name)
    text, v = draw(digits_number(max_int=999))
    pct = draw(st.sampled_from(["%", " percent"]))
    mention = text + pct
    qt = draw(st.one_of(st.none(), qualifier))
    qs, q = (qt[0] + " ", qt[1]) if qt else ("", None)
    surf, metric, hib = draw(metric_synonym())
    if draw(st.booleans()):
        verb, direction = draw(st.sampled_from([("increases", "up"), ("reduces", "down"),
                                                ("decreases", "down"), ("raises", "up")]))
        b = draw(st.one_of(st.none(), baseline))
        core = f"{system} {verb} {surf} by {qs}{mention}"
        if b:
            core += f" compared to {b}"
        exp = {"mention": mention, "value": v, "unit": "%", "kind": "change", "metric": metric,
               "direction": direction, "qualifier": q, "baseline": b}
        return _wrap(draw, core, ends_with_baseline=bool(b)), [exp]
    else:
        core = f"{system} reaches {qs}{mention} {surf}"
        # an absolute percent of a rate reads as utilization ('52% of peak FLOP/s',
        # '59% to 72% of optimal throughput')
        rate = metric in ("flops", "throughput", "goodput")
        exp = {"mention": mention, "value": v, "unit": "%", "kind": "absolute",
               "metric": OneOf((metric, "utilization")) if rate else metric,
               "direction": None, "qualifier": q}
    return _wrap(draw, core), [exp]


@st.composite
def quantity_sentence(draw):
    """An absolute value with a unit of units.yml ('Xnet takes about 2.3 ms', '80 GB')."""
    system = draw(system_name)
    surface, unit, mult, umetric, dim = draw(st.sampled_from(V.units))
    text, v = draw(st.one_of(positive_digits,
                             st.tuples(digits_number(max_int=999, allow_sep=False),
                                       st.sampled_from([s for s in V.scales if len(s[0]) > 2]))
                             .map(lambda t: (f"{t[0][0]} {t[1][0]}", t[0][1] * t[1][1]))))
    spelled = not text[-1].isdigit()
    sp = " " if spelled else draw(st.sampled_from(["", " "]))
    mention = f"{text}{sp}{surface}"
    qt = draw(st.one_of(st.none(), qualifier))
    qs, q = (qt[0] + " ", qt[1]) if qt else ("", None)
    core = f"{system} needs {qs}{mention}"
    exp = {"mention": mention, "value": v * mult, "unit": unit, "qualifier": q}
    if gap("hw_hours", "digits") and text[-1].isdigit() and first_hardware_of(surface):
        from hypothesis import assume
        assume(False)                      # known gap, pinned in test_properties.py
    if dim == "information":
        # GUIDELINES: '80 GB GPU memory' is scale/memory_capacity; an amount used is memory
        exp.update(kind=OneOf(("scale", "absolute")), metric=OneOf(("memory_capacity", "memory")))
    else:
        exp.update(kind="absolute", direction=None)
        hw = first_hardware_of(surface)
        if unit in ("h", "day") and (" " in surface or "-" in surface):
            exp["metric"] = "compute"           # GUIDELINES decision 10: accelerator-hours
            if hw:
                exp["hardware"] = hw
        else:
            exp["metric"] = umetric
    return _wrap(draw, core), [exp]


@st.composite
def count_sentence(draw):
    """A scale count with a count noun of units.yml ('Xnet is trained on 1.4T tokens',
    '8.3 billion parameters', '12,288 GPUs')."""
    system = draw(system_name)
    entry = draw(st.sampled_from([e for e in V.count_nouns]))
    noun = draw(surfaces_of(entry.get("nouns"), max_len=30))
    from hypothesis import assume
    # the rules give a noun the first count_nouns entry that matches it in full (extract.py order)
    owner = next(e for e in V.count_nouns if _rx(e.get("nouns"), _I).fullmatch(noun))
    assume(owner.id == entry.id)
    m = NOUN_UNION.match(noun)
    if gap("count_noun", "prefix") and (m is None or m.end() < len(noun)):
        assume(False)                      # known gap, pinned in test_properties.py
    assume(first_hardware_of(noun) in (None, entry.get("hardware")))
    text, v = draw(any_number)
    mv = entry.get("min_value")
    assume(mv is None or v >= float(mv))
    assume(v < 1e15)
    glue = "" if noun.startswith("-") else " "
    mention = f"{text}{glue}{noun}"
    core = f"{system} uses {mention}"
    sentence = _wrap(draw, core)
    # lookarounds of the noun rule were dropped for generation: the sentence must satisfy them
    at = sentence.index(mention) + len(text) + len(glue)
    m = _rx(entry.get("nouns"), _I).match(sentence, at)
    assume(m is not None and m.end() == at + len(noun))
    exp = {"mention": mention, "value": v, "unit": entry.get("unit"), "kind": "scale",
           "metric": entry.get("metric")}
    if entry.get("hardware"):
        exp["hardware"] = entry.get("hardware")
        if v == int(v):
            exp["hardware_count"] = int(v)
    return sentence, [exp]


claim_sentence = st.one_of(ratio_sentence(), percent_sentence(), quantity_sentence(),
                           count_sentence())


# --------------------------------------------------------------------------- negatives
@st.composite
def name_or_version(draw):
    """Names and versions with digits that are never claims (GUIDELINES 'Do NOT annotate')."""
    cap = draw(st.tuples(st.sampled_from(string.ascii_uppercase), filler_word).map(lambda t: t[0] + t[1]))
    d = draw(st.integers(1, 99))
    d2 = draw(st.integers(1, 500))
    form = draw(st.sampled_from(["moe", "version", "name_size", "dash_name", "dims", "year", "url",
                                 "v"]))
    if form == "moe":                                  # Mixtral 8x7B
        return f"{cap} {draw(st.integers(2, 16))}x{d}B"
    if form == "version":                              # GPT-4, ZeRO-3, GPT-3.5
        return f"{cap.upper()[:3]}-{d}" + draw(st.sampled_from(["", f".{draw(st.integers(0, 9))}"]))
    if form == "name_size":                            # LLaMA-2-70B
        return f"{cap}-{d}-{d2}{draw(st.sampled_from(['B', 'M']))}"
    if form == "dash_name":                            # ZeRO-3, T5, FP8
        return f"{cap}{draw(st.sampled_from(['-', '']))}{d}"
    if form == "dims":                                 # 3D
        return f"{draw(st.integers(2, 9))}D"
    if form == "year":                                 # a year as a date ('in 2019,'); a year
        y = draw(st.integers(1950, 2049))              # right before a count noun IS a count
        return draw(st.sampled_from([f"in {y},", f"({y})", f"Sep 17, {y},", f"since {y},"]))
    if form == "url":
        host = draw(filler_word)
        path = draw(st.lists(st.one_of(filler_word, st.integers(0, 10**6).map(str)), min_size=1, max_size=4))
        return f"https://{host}.{draw(st.sampled_from(['com', 'org', 'io']))}/" + "/".join(path)
    return f"v{d}"


# --------------------------------------------------------------------------- robustness
_NASTY = ["\u200f", "\u200e", "\u202e", "\u202d", "\u2066", "\u2069", "\x00", "\x0b", "\x0c",
          "\x1b", "\u2028", "\u2029", "\ufeff", "\u00a0", "\u0301", "\ud7ff", "\uffff"]
nasty_char = st.one_of(st.sampled_from(_NASTY), st.characters(codec="utf-8"),
                       st.characters(categories=["Cc", "Cf", "Zs", "Nd", "No"]))


@st.composite
def hostile_text(draw):
    """Arbitrary unicode with control characters and RTL marks, mixed with claim-like pieces;
    sometimes huge: 1 MB lines, 10,000 digits, deeply nested brackets."""
    kind = draw(st.sampled_from(["unicode", "mixed", "mb_line", "digits", "nested", "punct"]))
    if kind == "unicode":
        return draw(st.text(alphabet=nasty_char, max_size=300))
    if kind == "mixed":
        parts = draw(st.lists(st.one_of(st.text(alphabet=nasty_char, max_size=20),
                                        claim_sentence.map(lambda t: t[0]),
                                        name_or_version()), max_size=8))
        return "".join(parts)
    if kind == "mb_line":
        pieces = [st.text(alphabet=nasty_char, min_size=1, max_size=12)]
        if not gap("robustness", "mb_claims"):         # known gap, pinned in test_properties.py
            pieces.append(claim_sentence.map(lambda t: t[0].rstrip(".!?") + " "))
        unit = draw(st.one_of(pieces))
        return (unit * (1_000_000 // len(unit) + 1))[:1_000_000]
    if kind == "digits":
        n = draw(st.sampled_from([10_000, 10_001]))
        return draw(st.sampled_from(["", "It is ", "up to "])) + "9" * n + draw(
            st.sampled_from(["", "x", "%", " GPUs", ".5x faster", " orders of magnitude"]))
    if kind == "nested":
        depth = draw(st.integers(100, 5000))
        o, c = draw(st.sampled_from(["()", "[]", "{}", "(["]))
        inner = draw(st.sampled_from(["2x", "40%", "8 A100 GPUs", "", "3.5×faster"]))
        return o * depth + inner + (c if len(c) == 1 else "])") * depth
    return draw(st.text(alphabet=st.sampled_from(".,;:!?()[]{}-–—~%$x×0123456789 \n\t"), max_size=2000))
