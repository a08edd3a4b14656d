"""claims.literals: the literals a regex's matches must contain / start with. A wrong literal
would silently drop claims, so every rule regex is checked against real and generated matches."""
from __future__ import annotations

import importlib
import re

import pytest
import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claims.literals import ALPHA, DIGIT, OTHER, first_kinds, kind_at, literal_prefixes, required_literals
from claims.rules import expand, get_rules
from texts import TRICKY, corpus_sentences, rule_examples

X = importlib.import_module("claims.extract")


@pytest.mark.parametrize("src, ic, want", [
    (r"latenc(?:y|ies)", False, {"latency", "latencies"}),
    (r"(?:achieves?|reaching)\s+(?P<num>\d+)", False, {"achieve", "reaching"}),
    (r"\d+\s?%", False, {"%"}),
    (r"https?://|www\.", False, {"http", "www."}),
    (r"(?:Fig(?:ure)?|Table)\s*\d", True, {"fig", "table"}),
    (r"[TPEG]?FLOP/s", True, {"flop/s"}),
    (r"x{2,3}y", False, {"x"}),
    (r"a(?=bc)", False, {"bc"}),                          # a lookahead's text is in the window too
    (r"(?<=from\s)\d+", False, None),                     # a lookbehind may look before the window
    (r"a|", False, None),                                 # the empty alternative: nothing required
    (r"(?i:gpu)s", False, {"s"}),                         # case-insensitive part of a case-sensitive search
    (r"(?-i:GPU)s", True, {"gpus"}),
    (r"\ufb01", True, None),                              # non-ASCII under IGNORECASE: not simple to fold
    (r"(?x) a b", False, None),                           # global inline flags: not modelled
    (r"[a-z]+ing", False, {"ing"}),
    (r"[abc]d", False, {"ad", "bd", "cd"}),
    (r"\x41\u0042", False, {"AB"}),
    (r"a{,2}b", False, {"b"}),
    (r"a{x}", False, {"a{x}"}),                           # not a quantifier: literal braces
    (r"ab\g<1>cd", False, {"ab"}),                       # a backreference between: "ab" (or "cd")
    (r"a\Kbc", False, None),                             # \K moves the match start: not modelled
])
def test_required_literals(src, ic, want):
    got = required_literals(src, verbose=False, ignore_case=ic)
    assert (set(got) if got is not None else None) == want


def test_required_literals_verbose_and_lookbehind_scope():
    assert required_literals("to  # a comment | x\n  tal", verbose=True) == {"total"}
    assert required_literals(r"(?<=from\s)\d+", verbose=False, lookbehind=True) == {"from"}


@pytest.mark.parametrize("src, want", [
    (r"[TPEG]?FLOP/s", {"tflop/s", "pflop/s", "eflop/s", "gflop/s", "flop/s"}),
    (r"(?:GPU\s+|peak\s+)?memory(?:\s+usage)?", {"gpu", "peak", "memory"}),
    (r"(?<![\w-])(?:ab|cd)", {"ab", "cd"}),
    (r"a?b?c", {"abc", "ac", "bc", "c"}),
    (r"\d+", None),
    (r"x*y", {"x", "y"}),
    (r"P9\d", {"p9"}),
])
def test_literal_prefixes(src, want):
    got = literal_prefixes(src, verbose=False, ignore_case=True)
    assert (set(got) if got is not None else None) == want


@pytest.mark.parametrize("src, ic, want", [
    (r"\d+x", False, {DIGIT, OTHER}),                     # \d: also the non-ASCII digits ('٣')
    (r"(?<=a)[+-]?\d", False, {DIGIT, OTHER}),            # a lookbehind is stepped over
    (r"(?:one|two)\s", False, {ALPHA}),
    (r"(?i:one)", False, {ALPHA, OTHER}),                  # IGNORECASE: 'ſ' and 'K' fold to ASCII letters
    (r"[A-Z]\d", False, {ALPHA}),
    (r"[^a]", False, {DIGIT, ALPHA, OTHER}),
    (r"x?\d", False, {DIGIT, ALPHA, OTHER}),               # an optional item: either
    (r"(?:a|)\d", False, {DIGIT, ALPHA, OTHER}),
    (r"\$?\d", False, {DIGIT, OTHER}),
    (r"a*", False, {DIGIT, ALPHA, OTHER}),                 # can match empty: anywhere
    (r"[\d.]", False, {DIGIT, OTHER}),
    (r"[0-9]", False, {DIGIT}),
    (r"\d", True, {DIGIT, OTHER}),                        # digits do not fold
    (r"\w", False, {DIGIT, ALPHA, OTHER}),
    (r"(?>10\^|\d+|\.\d)", False, {DIGIT, OTHER}),
    (r"\u00e9", False, {OTHER}),
    (r"(?x) a", False, {DIGIT, ALPHA, OTHER}),             # global inline flags: not modelled
])
def test_first_kinds(src, ic, want):
    assert first_kinds(src, verbose=False, ignore_case=ic) == want


def test_kind_at():
    assert [kind_at(c) for c in "7aZ.$\u0663\u017f\u212a "] == [DIGIT, ALPHA, ALPHA, OTHER, OTHER, OTHER, OTHER, OTHER, OTHER]


# --------------------------------------------------------------------------- every rule regex
def _rule_patterns():
    """(name, source, verbose, ignore_case) of every regex the extractor searches or matches."""
    r = get_rules()
    out = []
    for file, sec in (("patterns.yml", "blockers"), ("patterns.yml", "claims"), ("attach.yml", "cues")):
        for e in r.section(file, sec):
            if e.get("pattern"):
                ic = sec == "cues" or bool(e.get("ignore_case"))
                out.append((e.id, expand(e.get("pattern"), r.macros), True, ic))     # all compiled VERBOSE
    for met in r.metrics:
        for syn in met.synonyms or ():
            out.append((f"metric:{met.metric}", syn, False, True))
    for h in r.hardware:
        for a in h.aliases or ():
            out.append((f"hw:{h.hardware}", a, False, False))
    return out


def _texts():
    return list(corpus_sentences()) + TRICKY + rule_examples()


class _Checker:
    """One rule regex with its literals; `check(text)` asserts them on every match in the text."""

    def __init__(self, name, src, verbose, ic):
        self.name, self.ic = name, ic
        self.pat = regex.compile(src, regex.V0 | (regex.VERBOSE if verbose else 0) | (regex.IGNORECASE if ic else 0))
        self.need = required_literals(src, verbose=verbose, ignore_case=ic)
        self.pre = literal_prefixes(src, verbose=verbose, ignore_case=ic)

    def check(self, text: str, overlapped: bool = False) -> int:
        if (self.need is None and self.pre is None) or (self.ic and not text.isascii()):
            return 0
        n = 0
        for mm in self.pat.finditer(text, overlapped=overlapped):
            rest = text[mm.start():].lower() if self.ic else text[mm.start():]
            if self.need is not None:
                assert any(x in rest for x in self.need), (self.name, text, mm.group(0), sorted(self.need)[:8])
            if self.pre is not None:
                assert any(rest.startswith(x) for x in self.pre), (self.name, text, mm.group(0), sorted(self.pre)[:8])
            n += 1
        return n


def test_rule_literals_hold_on_every_match_in_the_corpus():
    pats = _rule_patterns()
    assert sum(required_literals(src, verbose=v, ignore_case=ic) is not None for _, src, v, ic in pats) > 100
    texts = _texts()
    matched = 0
    for name, src, verbose, ic in pats:
        ck = _Checker(name, src, verbose, ic)
        for text in texts:
            matched += ck.check(text)
    assert matched > 5000


def test_first_kinds_hold_on_every_match_in_the_corpus():
    """Every match of every rule regex, at every start (overlapped), starts with a character of a
    kind first_kinds allows: claims.extract tries its claim patterns only where that holds."""
    pats = _rule_patterns()
    assert sum(first_kinds(src, verbose=v, ignore_case=ic) == {DIGIT, OTHER} for _, src, v, ic in pats) >= 10
    texts = _texts() + ["\u0663\u0660 GPUs", "\u017fingle GPU", "\u212aB of memory", "+5% and $3"]
    checked = 0
    for name, src, verbose, ic in pats:
        kinds = first_kinds(src, verbose=verbose, ignore_case=ic)
        if len(kinds) == 3:
            continue
        pat = regex.compile(src, regex.V0 | (regex.VERBOSE if verbose else 0) | (regex.IGNORECASE if ic else 0))
        for text in texts:
            for mm in pat.finditer(text, overlapped=True):
                assert mm.start() < len(text) and kind_at(text[mm.start()]) in kinds, (name, text, mm.group(0))
                checked += 1
    assert checked > 2000


def _re_ok(x) -> bool:
    name, src, verbose, ic = x
    try:
        re.compile(src, (re.VERBOSE if verbose else 0) | (re.IGNORECASE if ic else 0))
    except (re.error, OverflowError):
        return False
    return True


def _re_compilable():
    out = []
    for name, src, verbose, ic in _rule_patterns():
        try:
            re.compile(src, (re.VERBOSE if verbose else 0) | (re.IGNORECASE if ic else 0))
        except (re.error, OverflowError):
            continue
        if required_literals(src, verbose=verbose, ignore_case=ic) or literal_prefixes(src, verbose=verbose, ignore_case=ic):
            out.append((name, src, verbose, ic))
    return out


_COMPILABLE = _re_compilable()
_CHECKERS = {(name, src): _Checker(name, src, verbose, ic) for name, src, verbose, ic in _COMPILABLE}


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_rule_literals_hold_on_generated_matches(data):
    """Strings generated to match each rule regex (hypothesis.from_regex, for the patterns the
    standard library can parse) contain a required literal and start with a prefix."""
    name, src, verbose, ic = data.draw(st.sampled_from(_COMPILABLE))
    flags = (re.VERBOSE if verbose else 0) | (re.IGNORECASE if ic else 0)
    text = data.draw(st.from_regex(re.compile(src, flags), fullmatch=True).filter(str.isascii))
    _CHECKERS[name, src].check(text, overlapped=True)


_ALL_COMPILABLE = [x for x in _rule_patterns() if len(first_kinds(x[1], verbose=x[2], ignore_case=x[3])) < 3]
_ALL_COMPILABLE = [x for x in _ALL_COMPILABLE if _re_ok(x)]


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_first_kinds_hold_on_generated_matches(data):
    name, src, verbose, ic = data.draw(st.sampled_from(_ALL_COMPILABLE))
    flags = (re.VERBOSE if verbose else 0) | (re.IGNORECASE if ic else 0)
    text = data.draw(st.from_regex(re.compile(src, flags), fullmatch=True).filter(lambda t: t.isascii() and t))
    pat = regex.compile(src, regex.V0 | (regex.VERBOSE if verbose else 0) | (regex.IGNORECASE if ic else 0))
    kinds = first_kinds(src, verbose=verbose, ignore_case=ic)
    for mm in pat.finditer(text, overlapped=True):
        assert mm.start() < len(text) and kind_at(text[mm.start()]) in kinds, (name, text, mm.group(0))


def _scans():
    c = X.compiled()
    return [("metric", c.metric_scan, False), ("hardware", c.hw_scan, False), ("baseline", c.attach.patterns["base.before"], True)]


def _same_scan(text):
    for name, scan, overlapped in _scans():
        got = [(m.span(), m.lastgroup, m.groupdict()) for m in scan.finditer(text, overlapped=overlapped)]
        want = [(m.span(), m.lastgroup, m.groupdict()) for m in scan.pattern.finditer(text, overlapped=overlapped)]
        assert got == want, (name, text)


def test_prefix_scans_equal_the_plain_scans():
    assert all(scan.starts is not None for _, scan, _ in _scans())
    for text in _texts() + ["GPU MEMORY and TFLOP/s", "p99 latency", "$5 cost", "\u00e9 latency", "8xA100 and H100s",
                            "Compared to vLLM, it is faster than Orca and outperforms TGI"]:
        _same_scan(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["GPU", "memory", " ", "-", "throughput", "tokens/s", "TFLOP/s", "P99", "latency",
                                 "$", "cost", "x", "accuracy", "storage", "KV cache", "ab", ",", "time-to-first-token",
                                 "A100", "H100", "s", "TPU", "v4", "than", "over", "Compared", "to", "vLLM", "vs.",
                                 "outperforms", "\u00e9", "8", "\u00bd"]),
                max_size=20))
def test_prefix_scans_equal_the_plain_scans_generated(parts):
    _same_scan("".join(parts))


def test_filtered_cues_find_what_their_patterns_find():
    c = X.compiled()
    cues = [(e.id, pat) for lst in c.cues.values() for e, pat in lst]
    assert sum(pat.need is not None for _, pat in cues) >= 10
    texts = _texts() + ["UP TO 3x", "\u2248 5%", "about 2x", "an average of 3", "\u00e9 up to 2"]
    for text in texts:
        for cid, pat in cues:
            got = [m.span() for m in pat.finditer(text)]
            assert got == [m.span() for m in pat.pattern.finditer(text)], (cid, text)
            mm = pat.search(text)
            assert (mm and mm.span()) == ((m := pat.pattern.search(text)) and m.span()), (cid, text)


# --------------------------------------------------------------------------- AsciiRe
def _spans(it) -> list:
    return [(m.span(), m.groups()) for m in it]


def test_ascii_re_takes_re_only_for_ascii_text():
    from claims.literals import AsciiRe

    p = AsciiRe(r"(?<![\w-])(?P<n>[A-Z]\w*)\s+is\b")
    assert type(p.search("Foo is fast")) is re.Match
    assert type(p.search("Föo is fast")) is regex.Match
    assert p.search("Föo is fast").group("n") == "Föo"         # regex: ö is a word character
    assert type(p.search("Foo\x1cis fast")) is not re.Match      # re's \s matches \x1c-\x1f, regex's does not
    assert p.search("Foo\x1cis fast") is None
    with pytest.raises(re.error):
        AsciiRe(r"(?<=ab|c)x")                                 # re: no variable-width lookbehind


def test_named_subject_scan_is_the_same_with_re():
    """attach.yml sys.named_subject runs on `re` for ASCII sentences: the matches `regex` gives."""
    p = X.compiled().attach.patterns["sys.named_subject"]
    texts = [t for t in [*corpus_sentences(), *rule_examples(), *TRICKY] if X.re_agrees(t)]
    assert len(texts) > 1000
    hits = 0
    for t in texts:
        want = _spans(p.pattern.finditer(t))
        assert _spans(p.fast.finditer(t)) == want, t
        hits += len(want)
    assert hits > 100


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["MegaScale", "vLLM", "GPT-4", "It", "We", "TPUv4", "xDeepFM", "ZeRO++", "achieves",
                                 "is", "also", "further", "finally", "quickly", "speeds", "up", "outperforms", "surpasses",
                                 " ", "  ", "\n", "-", "*", "_", "3", ",", ".", "Fast", "A", "AB", "a", "ab",
                                 "\x1c", "\x1f", "\u00e9"]),
                max_size=20))
def test_named_subject_scan_is_the_same_with_re_generated(parts):
    t = "".join(parts)
    p = X.compiled().attach.patterns["sys.named_subject"]
    if X.re_agrees(t):
        assert _spans(p.fast.finditer(t)) == _spans(p.pattern.finditer(t))
    assert _spans(p.finditer(t)) == _spans(p.pattern.finditer(t))


def _words_lists():
    c = X.compiled()
    return [("prefilter", c.prefilter.words), ("start tokens", c.start_tokens_re), ("word ratios", c.wr_trigger)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", "an", " ", "-", "(", "million", "Million", "two", "twice", "single", "x", "half",
                                 "magnitude", "_", "7", "\u00e9", "ten", "tenfold", ".", "\n", "A", "doubl", "seconds"]),
                max_size=20))
def test_word_lists_find_what_their_plain_scan_finds(parts):
    """Words skips to the non-word characters the words follow: the same matches as `\\b(?:words)`
    tried at every position (the plain `re` scan of the lower-cased text)."""
    text = "".join(parts)
    for name, w in _words_lists():
        if not text.isascii():
            continue
        low = text.lower()
        want = [m.span() for m in w.ascii.finditer(low)]
        assert [m.span() for m in w.finditer(text)] == want, (name, text)
        got = w.search(text)
        assert (got.span() if got else None) == (want[0] if want else None), (name, text)
    assert _words_lists()[1][1].skip is not None and _words_lists()[0][1].skip is not None


@pytest.mark.parametrize("src, want", [
    (r"(?P<num>{D})\s?%", set("%")),
    (r"(?<![\w.])(?P<num>{D})(?:\s?x|\s+times)(?![\w])", set("xt")),
    (r"(?P<num>{D})(?=\s+(?:more|less)\b)", set("ml")),         # what a lookahead looks at follows
    (r"(?:\$|USD)\s?(?P<n>{D})\s?K", set()),                    # cannot start at a digit
    (r"(?:\$(?P<a>{D})|(?P<b>{D})[\s-]?USD)", set("-U")),
    (r"(?P<num>{D})(?:\s?(?i:gb))?", None),                       # may end after the number
    (r"(?P<num>\d+)x", None),                                     # another number: unknown
    (r"(?P<num>{D})(?i:k)", set("kK")),
    (r"(?P<num>{D})[^;]x", set(chr(k) for k in range(128)) - set(";") - set(" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f")),
])
def test_after_lead(src, want):
    from claims.literals import after_lead
    lead = r"(?> \d+ (?: \.\d+ )? )"
    got = after_lead(src.replace("{D}", lead), lead, verbose=True)
    assert (None if got is None else set(got)) == want


@pytest.mark.parametrize("src, text, want", [
    (r"(?:one|two|a)\s+(?:hours?|days?)", "a", set("hd")),          # the start word in any case, the rest as written
    (r"(?:one|two|a)\s+(?:hours?|days?)", "an", set()),            # "an" is not "a" + a space
    (r"(?i:a)\ dozen\s+GPUs|(?i:a\s+single)\s+GPU", "a", set("dsS")),
    (r"(?i:a|an)(?=\s+(?:million|billion)\b)", "a", None),         # the match ends after the word (lookahead)
    (r"(?i:a|an)\s+(?:million|billion)\b", "a", set("mbnN")),       # ... or "an" goes on
    (r"a|an", "an", None),                                           # may end inside the word
    (r"two\s?(?:x|[^;])", "two", None),                              # [^;] may be a space, then end
])
def test_after_text(src, text, want):
    from claims.literals import AfterText
    got = AfterText(src, verbose=True).of(text)
    assert (None if got is None else set(got)) == want
