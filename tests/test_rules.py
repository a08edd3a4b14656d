"""Every rule entry's examples and counter-examples, plus the loader's validation."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import regex

import importlib
X = importlib.import_module("claims.extract")
from claims.errors import RuleError
from claims.rules import (baseline_names, canonical_baseline, expand, get_rules, load_rules, rules_dir,
                          rules_version, vocabulary_rows)
from claims.fulltext import layout
from claims.segment import segment
from texts import corpus_abstracts, heldout_abstracts, rule_examples

RULES = get_rules()
ATTACH = X.compiled().attach


def _cases(kind: str):
    out = []
    for e in RULES.entries.values():
        items = e.examples if kind == "ex" else e.counter_examples
        for i, ex in enumerate(items):
            label = ex.get("text") if hasattr(ex, "get") else ex
            out.append(pytest.param(e, ex, id=f"{e.id}[{i}]:{str(label)[:40]}"))
    return out


def _text(ex):
    return ex.get("text") if hasattr(ex, "get") else ex


def _attach_applies(e, text: str) -> bool:
    """Does the attach.yml pattern accept `text` the way claims/attach.py applies it (`use`)?"""
    pat = ATTACH.patterns[e.id]
    use = e.get("use")
    if use == "split":
        return len(pat.split(text)) > 1
    if use == "match_nonempty":
        mm = pat.match(text)
        return bool(mm and mm.group(0).strip())
    if use == "search":
        return next(iter(pat.finditer(text)), None) is not None    # PrefixScan / AsciiRe scan with finditer
    return getattr(pat, use)(text) is not None


def _context_applies(e, text: str) -> bool:
    pat = X.compiled().context[e.id]
    return getattr(pat, e.get("use"))(text) is not None


def _claims_of(text: str):
    return X.extract(text)


def _first_hit(claims, ex):
    m = ex.get("mention") if hasattr(ex, "get") else None
    for c in claims:
        if m is None or c.mention == m:
            return c
    return None


def _check_fields(c, ex):
    for k, v in ex.items():
        if k in ("text", "mention"):
            continue
        got = getattr(c, k)
        if k in ("value", "value_high") and v is not None:
            assert got == pytest.approx(float(v), rel=1e-6), f"{k}: {got!r} != {v!r}"
        else:
            assert got == v, f"{k}: {got!r} != {v!r}"


def check_example(e, ex) -> None:
    """Assert that example `ex` of entry `e` behaves as the entry says."""
    key = f"{e.file}:{e.section}"
    text = _text(ex)
    if key == "segment.yml:abbreviations":
        assert len(segment(text)) == 1, segment(text)
    elif key == "segment.yml:rows":
        text = text * ex.get("repeat", 1)
        assert len(segment(text)) == ex["sentences"], [text[a:b] for a, b in segment(text)]
    elif key == "segment.yml:sections":          # the section of the text's last line, under a title line
        doc = "Title\n" + text
        assert layout(doc, [doc.rindex("\n") + 1])[0] == [ex["section"]]
    elif key == "numbers.yml:macros":
        assert regex.fullmatch(expand("{" + e.get("name") + "}", RULES.macros), text, regex.VERBOSE)
    elif key in ("numbers.yml:scales", "numbers.yml:number_words"):
        assert X.parse_number(text) == pytest.approx(float(ex["value"]))
    elif key == "numbers.yml:word_ratios":
        cands = [c for c in X._word_ratio_cands(text, [], []) if c.rule_id == e.id]
        assert cands and cands[0].value == pytest.approx(float(ex["value"]))
    elif key in ("units.yml:units", "units.yml:count_nouns"):
        cs = [c for c in _claims_of(text) if c.unit == ex["unit"]]
        assert cs, [c.unit for c in _claims_of(text)]
        assert any(c.value == pytest.approx(float(ex["value"])) for c in cs), [c.value for c in cs]
    elif key == "metrics.yml:metrics":
        met = next(m for m in RULES.metrics if m.entry_id == e.id)
        if met.kind == "scale":
            assert any(c.metric == ex["metric"] for c in _claims_of(text))
        else:
            found = X._metric_in(text, last=False)
            assert (found[0] if found else "other") == ex["metric"]
    elif key == "hardware.yml:hardware":
        assert e.get("hardware") in X.hardware_in(text)
    elif key == "baselines.yml:baselines":
        assert canonical_baseline(text) == e.get("canonical")
    elif key == "baselines.yml:names":
        assert [c for c, _ in baseline_names(text)] == list(ex["names"])
    elif key in ("patterns.yml:blockers", "attach.yml:cues"):
        pat = regex.compile(expand(e.get("pattern"), RULES.macros), regex.VERBOSE | (regex.I if key.endswith("cues") else 0))
        assert pat.search(text)
    elif key == "attach.yml:patterns":
        assert _attach_applies(e, text), (e.get("use"), text)
    elif key == "attach.yml:words":
        assert text in ATTACH.words[e.get("name")]
    elif key == "patterns.yml:context":
        assert _context_applies(e, text), (e.get("use"), text)
    elif key == "patterns.yml:claims":
        hit = _first_hit(_claims_of(text), ex)
        assert hit is not None, [c.mention for c in _claims_of(text)]
        want = "wr." if e.get("handler") == "word_ratio" else e.id
        assert hit.rule_id.startswith(want) if want == "wr." else hit.rule_id == want, hit.rule_id
        _check_fields(hit, ex)
    else:
        pytest.fail(f"no example checker for {key}")


def check_counter_example(e, ex) -> None:
    key = f"{e.file}:{e.section}"
    text = _text(ex)
    if key == "segment.yml:abbreviations":
        assert len(segment(text)) > 1
    elif key == "segment.yml:rows":
        assert len(segment(text)) == 1, [text[a:b] for a, b in segment(text)]
    elif key == "segment.yml:sections":
        assert layout("Title\n" + text, [len("Title\n")])[0] == ["abstract"]
    elif key == "numbers.yml:macros":
        assert not regex.fullmatch(expand("{" + e.get("name") + "}", RULES.macros), text, regex.VERBOSE)
    elif key in ("numbers.yml:scales", "numbers.yml:number_words"):
        assert X.parse_number(text) is None
    elif key == "numbers.yml:word_ratios":
        assert not [c for c in X._word_ratio_cands(text, [], []) if c.rule_id == e.id]
    elif key in ("units.yml:units", "units.yml:count_nouns"):
        unit = next((u.unit for u in RULES.units if u.entry_id == e.id), e.get("unit"))
        assert not [c for c in _claims_of(text) if c.unit == unit]
    elif key == "metrics.yml:metrics":
        found = X._metric_in(text, last=False)
        assert (found[0] if found else None) != e.get("metric")
    elif key == "hardware.yml:hardware":
        assert e.get("hardware") not in X.hardware_in(text)
    elif key == "baselines.yml:baselines":
        assert canonical_baseline(text) != e.get("canonical")
    elif key == "baselines.yml:names":
        assert ex["absent"] not in [c for c, _ in baseline_names(text)]
    elif key in ("patterns.yml:blockers", "attach.yml:cues"):
        pat = regex.compile(expand(e.get("pattern"), RULES.macros), regex.VERBOSE | (regex.I if key.endswith("cues") else 0))
        assert not pat.search(text)
    elif key == "attach.yml:patterns":
        assert not _attach_applies(e, text), (e.get("use"), text)
    elif key == "attach.yml:words":
        assert text not in ATTACH.words[e.get("name")]
    elif key == "patterns.yml:context":
        assert not _context_applies(e, text), (e.get("use"), text)
    elif key == "patterns.yml:claims":
        want = e.id
        hits = [c for c in _claims_of(text) if (c.rule_id.startswith("wr.") if e.get("handler") == "word_ratio" else c.rule_id == want)]
        assert not hits, [c.mention for c in hits]
    else:
        pytest.fail(f"no counter-example checker for {key}")


@pytest.mark.parametrize("entry,example", _cases("ex"))
def test_example(entry, example):
    check_example(entry, example)


@pytest.mark.parametrize("entry,example", _cases("cx"))
def test_counter_example(entry, example):
    check_counter_example(entry, example)


def test_every_entry_has_an_example():
    assert all(e.examples for e in RULES.entries.values())


def test_units_agree_with_pint():
    from claims.normalize import to_base
    for u in RULES.units:
        vb, ub = to_base(1.0, u.unit)
        assert vb == pytest.approx(u.factor), u.unit
        assert ub == u.unit_base, u.unit


def test_vocabulary_rows_match_schema():
    rows = vocabulary_rows()
    assert set(rows) == {"metrics", "units", "hardware", "baselines"}
    assert set(rows["metrics"][0]) == {"metric", "kind", "higher_is_better", "description"}
    assert set(rows["units"][0]) == {"unit", "dimension", "unit_base", "factor", "description"}
    assert set(rows["hardware"][0]) == {"hardware", "category", "vendor"}
    assert set(rows["baselines"][0]) == {"alias", "canonical"}
    for table, key in (("metrics", "metric"), ("units", "unit"), ("hardware", "hardware"), ("baselines", "alias")):
        keys = [r[key] for r in rows[table]]
        assert len(keys) == len(set(keys)), table
    assert all(r["alias"] == r["alias"].lower() for r in rows["baselines"])
    assert {r["kind"] for r in rows["metrics"]} == {"result", "scale"}


def test_rules_version_is_stable():
    assert rules_version() == rules_version() and len(rules_version()) == 16


def test_canonical_baseline():
    assert canonical_baseline("state-of-the-art vLLM") == "vLLM"
    assert canonical_baseline("something else") is None


# ---------------------------------------------------------------- loader validation
@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    d = tmp_path / "rules"
    shutil.copytree(rules_dir(), d)
    return d


def test_loader_reports_every_problem_at_once(rules_copy: Path):
    hw = rules_copy / "hardware.yml"
    hw.write_text(hw.read_text() + "  - {id: hw.h100, hardware: X, category: gpu, aliases: [X], examples: [X]}\n")
    bl = rules_copy / "baselines.yml"
    bl.write_text(bl.read_text() + "  - {id: bl.new, canonical: A, canonical: B, aliases: [], examples: [A]}\n")
    mt = rules_copy / "metrics.yml"
    mt.write_text(mt.read_text() + "  - {id: metric.bad, metric: bad, kind: weird, higher_is_better: 3, examples: [x]}\n")
    with pytest.raises(RuleError) as exc:
        load_rules(rules_copy)
    problems = exc.value.problems
    assert any("duplicate id 'hw.h100'" in p for p in problems)
    assert any("duplicate key 'canonical'" in p for p in problems)
    assert any("metric.bad: kind" in p for p in problems)
    assert any("higher_is_better" in p for p in problems)
    assert len(problems) >= 4


def test_loader_rejects_bad_regex_and_missing_examples(rules_copy: Path):
    p = rules_copy / "patterns.yml"
    p.write_text(p.read_text().replace("claims:\n", "claims:\n  - id: claim.broken\n    handler: ratio\n    pattern: '(unclosed'\n", 1))
    with pytest.raises(RuleError) as exc:
        load_rules(rules_copy)
    assert any("claim.broken" in x and "compile" in x for x in exc.value.problems)
    assert any("claim.broken: needs at least one example" in x for x in exc.value.problems)


def test_loader_checks_the_engine_field(rules_copy: Path):
    """`engine: re` needs a pattern the standard library compiles (no variable-width lookbehind),
    no search_branches, and no other value."""
    p = rules_copy / "patterns.yml"
    text = p.read_text().replace("blockers:\n", "blockers:\n"
                                 "  - {id: block.varlook, pattern: '(?<=ab|c)\\d', engine: re, examples: [ab1]}\n"
                                 "  - {id: block.split, pattern: 'x\\d|y\\d', engine: re, search_branches: true, examples: [x1]}\n"
                                 "  - {id: block.pcre, pattern: 'z\\d', engine: pcre, examples: [z1]}\n", 1)
    p.write_text(text)
    with pytest.raises(RuleError) as exc:
        load_rules(rules_copy)
    problems = exc.value.problems
    assert any(x.startswith("block.varlook: engine: re, but the standard library's re cannot compile") for x in problems), problems
    assert any(x.startswith("block.split: engine: re applies to the whole pattern") for x in problems), problems
    assert any(x.startswith("block.pcre: engine must be 're'") for x in problems), problems
    assert len([x for x in problems if "engine" in x]) == 3


def test_engine_re_is_used_where_the_rules_ask():
    c = X.compiled()
    fast = {bid for bid, p in c.blockers if p.fast is not None}
    assert fast == {e.id for e in RULES.section("patterns.yml", "blockers") if e.get("engine") == "re"}
    assert fast >= {"block.name_version", "block.name_size"}


def test_loader_names_each_bad_synonym_and_alias(rules_copy: Path):
    """Synonyms and aliases are compiled as one alternation; a bad one is still named, including
    one whose parentheses would balance inside the alternation ('a)|(b')."""
    hw = rules_copy / "hardware.yml"
    hw.write_text(hw.read_text() + "  - {id: hw.broken, hardware: Y, category: gpu, aliases: ['Y[12'], examples: [Y1]}\n")
    mt = rules_copy / "metrics.yml"
    mt.write_text(mt.read_text() + "  - {id: metric.broken, metric: brk, kind: result, higher_is_better: true, "
                  "synonyms: ['a)|(b'], examples: [a]}\n")
    with pytest.raises(RuleError) as exc:
        load_rules(rules_copy)
    problems = exc.value.problems
    assert any("hw.broken: aliases does not compile" in p for p in problems), problems
    assert any("metric.broken: synonyms does not compile" in p for p in problems), problems


def test_missing_directory():
    with pytest.raises(RuleError):
        load_rules("/nonexistent/rules")


def test_entries_are_frozen():
    e = next(iter(RULES.entries.values()))
    with pytest.raises(Exception):
        e.id = "x.y"
    with pytest.raises(TypeError):
        e.data["id"] = "x"


# --------------------------------------------------------------------------- factored alternations
from hypothesis import given, settings, strategies as st  # noqa: E402

from claims.rules import factor_first  # noqa: E402

_ALT_PIECES = ["a", "A", "b", "ab", "aB", "abc", "\\$", "\\s", "(?:x\\s+)?", "a?", "b+", "[ab]", "\\d", "-", "s?",
               "x", "k", "K", "(?=c)", "c"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_ALT_PIECES), min_size=1, max_size=4).map("".join), min_size=1, max_size=8),
       st.text(alphabet="aAbBcxkK\u212a$ -1s", max_size=12), st.booleans())
def test_factor_first_matches_like_the_plain_alternation(alts, text, ignore_case):
    flags = regex.V0 | (regex.IGNORECASE if ignore_case else 0)
    plain = regex.compile("(?:" + "|".join(alts) + ")", flags)
    factored = regex.compile("(?:" + factor_first(alts, ignore_case) + ")", flags)
    for p in range(len(text) + 1):
        a, b = plain.match(text, p), factored.match(text, p)
        assert (a and a.span()) == (b and b.span()), (alts, text, p)
        # and with something after it, so that backtracking into the alternation is exercised
    tail_plain = regex.compile("(?:" + "|".join(alts) + ")c", flags)
    tail_factored = regex.compile("(?:" + factor_first(alts, ignore_case) + ")c", flags)
    for p in range(len(text) + 1):
        a, b = tail_plain.match(text, p), tail_factored.match(text, p)
        assert (a and a.span()) == (b and b.span()), (alts, text, p)


def test_factor_first_groups_only_literal_first_characters():
    assert factor_first(["GPUs?", "GB", "TPUs?"], False) == "G(?:PUs?|B)|TPUs?"
    assert factor_first(["ab", "(?:x)?ac", "ad"], False) == "ab|(?:x)?ac|ad"      # order kept across a barrier
    assert factor_first(["Tesla", "tpu"], True) == "T(?:esla|pu)"
    assert factor_first(["Tesla", "tpu"], False) == "Tesla|tpu"
    assert factor_first(["a?b", "ac"], False) == "a?b|ac"


# --------------------------------------------------------------------------- guards
def _guarded():
    c = X.compiled()
    return [(bid, p) for bid, p in c.blockers if p.guard is not None] + \
           [(e.id, p) for e, p in c.scanned if p.guard is not None]


def _guard_texts() -> list[str]:
    return list(corpus_abstracts()) + heldout_abstracts() + rule_examples()


def test_guards_exist_where_they_pay():
    assert {i for i, _ in _guarded()} >= {"block.name_size", "block.url", "block.equation", "block.dims"}


def test_guard_is_found_wherever_its_pattern_matches():
    """A guard is a necessary condition: the corpus, the held-out abstracts and every rule example,
    whole and in the digit windows the extractor searches."""
    guarded = _guarded()
    for text in _guard_texts():
        for a, b in [(0, len(text))] + X._digit_windows(text):
            for rid, p in guarded:
                for mm in p.whole.finditer(text, a, b):
                    assert p.guard.search(text, a, b), (rid, mm.group(0), text[a:b])
                    assert p.guard.search(mm.group(0)) or rid == "block.url", (rid, mm.group(0))


def _pieces() -> list[str]:
    out = set()
    for e in RULES.entries.values():
        for ex in list(e.examples) + list(e.counter_examples):
            t = ex.get("text") if hasattr(ex, "get") else str(ex)
            out.update(t.split())
    return sorted(out)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_pieces()), min_size=1, max_size=8),
       st.lists(st.sampled_from([" ", "-", "", ".", "=", "^", "x", "B", "D", "@", "://", "7", "%"]), min_size=8, max_size=8))
def test_guard_is_found_wherever_its_pattern_matches_generated(words, glue):
    text = "".join(w + g for w, g in zip(words, glue))
    for rid, p in _guarded():
        if p.whole.search(text):
            assert p.guard.search(text), (rid, text)


def test_attach_guards_hold_on_every_example():
    """A guard (speed only) must be in every text its pattern matches: the examples and the corpus."""
    from claims.ingest import Problems, bundled_corpus, iter_papers
    texts = [p.abstract for p in iter_papers(bundled_corpus(), Problems())]
    for e in RULES.section("attach.yml", "patterns"):
        words = e.get("guard")
        if not words:
            continue
        for ex in e.examples:
            assert any(w in _text(ex) for w in words), (e.id, ex)
        plain = regex.compile(e.get("regex"), regex.V0 | (regex.I if e.get("ignore_case") else 0))
        for t in texts:
            for mm in plain.finditer(t):
                assert any(w in t for w in words), (e.id, mm.group(0))


def test_word_ratio_triggers_hold_on_every_example():
    """A word ratio is searched only in sentences holding one of its triggers (speed only)."""
    for e in RULES.section("numbers.yml", "word_ratios"):
        words = [w.lower() for w in e.get("trigger") or ()]
        assert words, f"{e.id}: needs a trigger"
        for ex in e.examples:
            assert any(w in _text(ex).lower() for w in words), (e.id, ex)
