"""Attribution: the fields of each number a sentence holds (issue 13).

Detection (claims/extract.py, rules/patterns.yml) finds the numbers, their units and kinds; this
stage decides, per number, its metric, direction, qualifier, baseline, system, hardware (and count)
and model from the clause around it. Every pattern and word list it uses is data in
``rules/attach.yml`` (id, description, examples and counter-examples run by tests/test_rules.py);
no regex literal here decides a field. Steps, in order:

1. per number, its clause (``_windows``: the text back to the previous number or a clause break,
   forward to the next one) gives the qualifier, the kind of a percent, the metric and direction;
2. lists (``_attach_lists``): "respectively", parenthesised averages, verbs carried across
   "..., and X by N";
3. baselines, hardware, the system and the model of the sentence.

``attach(s, cands, own_names, why)`` fills the candidates in place; with ``why`` (a list) it
records, per candidate, its clause and for each field the step and the rules that set it
(``claims explain``).
"""
from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from typing import Any, Mapping

import regex

X = importlib.import_module(".extract", __package__)   # the module (the package exports a function `extract`)
from .literals import AsciiRe, PrefixScan
from .rules import is_known_baseline

Cand = Any    # claims.extract.Cand (imported lazily: extract imports this module)


@dataclass(frozen=True)
class AttachRules:
    """rules/attach.yml compiled: patterns by id, word lists by name."""

    patterns: Mapping[str, Any]
    words: Mapping[str, frozenset]


def compile_rules(rules) -> AttachRules:
    """Compile the `patterns` and `words` sections of attach.yml (rules.load_rules validated them)."""
    pats: dict[str, Any] = {}
    for e in rules.section("attach.yml", "patterns"):
        flags = regex.V0 | (regex.IGNORECASE if e.get("ignore_case") else 0)
        src = e.get("regex")
        if e.get("engine") == "re":
            pats[e.id] = AsciiRe(src)        # `re` on ASCII sentences (a hot scan), regex otherwise
        elif e.get("prefix_scan"):
            pats[e.id] = PrefixScan(regex.compile(src, flags), src, verbose=False, folded=False)
        else:
            pats[e.id] = regex.compile(src, flags)
        if e.get("guard"):
            pats[e.id] = _Guarded(pats[e.id], tuple(str(w) for w in e.get("guard")))
    words = {e.get("name"): frozenset(str(w) for w in e.get("words") or ())
             for e in rules.section("attach.yml", "words")}
    return AttachRules(pats, words)


class _Guarded:
    """A pattern searched only in texts holding one of its guard words (speed only: every text
    it can match holds one; tests/test_rules.py checks that on the examples)."""

    def __init__(self, pat, words: tuple[str, ...]):
        self.pat, self.words = pat, words

    def finditer(self, text: str, *a, **k):
        return self.pat.finditer(text, *a, **k) if any(w in text for w in self.words) else iter(())

    def search(self, text: str, *a, **k):
        return self.pat.search(text, *a, **k) if any(w in text for w in self.words) else None

    def __getattr__(self, name):
        return getattr(self.pat, name)


def _rules() -> tuple[Mapping[str, Any], Mapping[str, frozenset]]:
    a = X.compiled().attach
    if _TRACING[0] is not None:
        return _TRACING[0], a.words
    return a.patterns, a.words


def _traced_cue_search(name: str, text: str):
    found = X._cue_search(name, text)
    if found:
        _TRACING[0].hit(found[0].id, True)
    return found


def _traced_cue_all(name: str, text: str):
    found = X._cue_all(name, text)
    for _, _, e in found:
        _TRACING[0].hit(e.id, True)
    return found


def _traced_metric_in(text: str, last: bool):
    found = X._metric_in(text, last)
    if found:
        _TRACING[0].hit(f"metrics.yml: {found[0]}", True)
    return found


def _note(what: str) -> None:
    """Record a decision that is not one pattern (explain only)."""
    if _TRACING[0] is not None:
        _TRACING[0].hit(what, True)


# the vocabulary lookups this module calls; `claims explain` swaps in the traced ones for its run
_cue_search, _cue_all, _metric_in = X._cue_search, X._cue_all, X._metric_in
_PLAIN = {"_cue_search": X._cue_search, "_cue_all": X._cue_all, "_metric_in": X._metric_in}
_TRACED = {"_cue_search": _traced_cue_search, "_cue_all": _traced_cue_all, "_metric_in": _traced_metric_in}
_metrics_all = X._metrics_all
# --------------------------------------------------------------------------- context


def _windows(s: str, cands: list[Cand], i: int) -> tuple[str, str, int]:
    _P, _W = _rules()
    c = cands[i]
    nxt = cands[i + 1].start if i + 1 < len(cands) else len(s)
    after = s[c.end:nxt]
    mm = _P["clause.stop_after"].search(after)
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


FIELDS = ("kind", "metric", "direction", "qualifier", "baseline", "system", "hardware", "hardware_count", "model")


def attach(s: str, cands: list[Cand], own_names, why: list | None = None) -> None:
    """Fill the fields of a sentence's candidates in place (the steps of the module docstring).
    `own_names`: the paper's names (own_names()) or a callable giving them. With `why` (a list),
    one dict per candidate is appended: its clause (start, end) and, per field, the step that set it
    and the attach.yml rules that matched while it did (`claims explain`)."""
    steps = (("clause", lambda: _attach_clauses(s, cands, why)), ("lists", lambda: _attach_lists(s, cands)),
             ("baselines", lambda: _attach_baselines(s, cands)), ("hardware", lambda: _attach_hardware(s, cands)),
             ("system", lambda: _attach_system(s, cands, own_names)), ("owners", lambda: _attach_owners(s, cands)),
             ("model", lambda: _attach_model(s, cands)))
    if why is None:
        for _, step in steps:
            step()
        return
    why.extend({"clause": None, "fields": {}} for _ in cands)
    trace = _Trace(_rules()[0])
    _TRACING[0] = trace
    globals().update(_TRACED)
    try:
        for name, step in steps:
            before = [tuple(getattr(x, f) for f in FIELDS) for x in cands]
            trace.hits.clear()
            step()
            for k, x in enumerate(cands):
                for f, old in zip(FIELDS, before[k]):
                    if getattr(x, f) != old:
                        rules = sorted({rid for focus, rid in trace.hits if focus in (k, None)})
                        why[k]["fields"][f] = (name, rules)
    finally:
        _TRACING[0] = None
        globals().update(_PLAIN)


class _Trace:
    """attach.yml patterns and cues that matched, each with the candidate being worked on (or None)."""

    def __init__(self, patterns):
        self.patterns, self.hits, self.focus = patterns, [], None

    def __getitem__(self, rid):
        return _Traced(self, rid, self.patterns[rid])

    def hit(self, rid, result):
        if result:
            self.hits.append((self.focus, rid))
        return result


class _Traced:
    def __init__(self, trace, rid, pat):
        self.trace, self.rid, self.pat = trace, rid, pat

    def __getattr__(self, name):
        fn = getattr(self.pat, name)
        if name in ("search", "match", "fullmatch"):
            return lambda *a, **k: self.trace.hit(self.rid, fn(*a, **k))
        if name == "finditer":
            return lambda *a, **k: iter(self.trace.hit(self.rid, list(fn(*a, **k))) or [])
        return fn


_TRACING: list = [None]     # the _Trace of a `claims explain` run, else None


def _attach_clauses(s: str, cands: list[Cand], why: list | None = None) -> None:
    """Per number, from its clause: qualifier, kind of a percent, metric, direction; then numbers
    written as one list share them."""
    _P, _W = _rules()
    c = X.compiled()
    for i, cand in enumerate(cands):
        if i % 16 == 0:
            X._check_deadline()
        before, after, bstart = _windows(s, cands, i)
        if why is not None:
            why[i]["clause"] = (bstart, cand.end + len(after))
            _TRACING[0].focus = i
        raw_before = s[max(0, cand.start - 40):cand.start]
        if raw_before.endswith("$"):
            raw_before = raw_before[:-1]         # "up to $15\%$": LaTeX math around the number
        # qualifier -------------------------------------------------------------
        for e, pat in c.cues.get("qualifier", ()):
            if pat.search(raw_before):
                cand.qualifier = e.get("value")
                if why is not None:
                    _TRACING[0].hit(e.id, True)
                break
        if cand.qualifier is None and _P["qual.plus_after_number"].search(s, cand.start, cand.end):
            cand.qualifier = "over"
        if cand.qualifier == "over" and cand.unit in ("GPU", "TPU", "CPU", "node", "device") and \
                _P["qual.over_before"].search(raw_before) and \
                not _P["qual.over_is_across"].search(raw_before):
            cand.qualifier = None         # "sharding over 8 devices": across, not more than
        if cand.qualifier is None:
            for e, pat in c.cues.get("qualifier_after", ()):
                if pat.search(after):
                    cand.qualifier = e.get("value")
        if cand.kind == "scale" and cand.unit == "node" and _P["scale.graph_nodes"].match(s, cand.end):
            cand.unit, cand.metric, cand.hardware = "items", "data_size", None   # a graph's nodes, not machines
        if cand.kind == "scale" and cand.metric == "memory_capacity" and (
                _P["scale.data_bytes_after"].match(s, cand.end) or
                _P["scale.data_bytes_before"].search(s[max(0, cand.start - 60):cand.start])):
            cand.metric = "data_size"      # "a 15TB climate dataset": the data's size, not a memory
        if cand.kind == "scale":
            if cand.unit in ("GB", "TB", "MB", "KB", "B", "PB") and (
                    _P["kind.memory_use"].search(s[max(0, cand.start - 40):cand.start]) or _P["kind.memory_use"].search(after)):
                cand.kind, cand.metric = "absolute", "memory"
            else:
                continue
        if cand.kind == "absolute" and cand.metric == "time" and _P["kind.data_amount_before"].search(before):
            cand.kind, cand.metric = "scale", "data_size"    # "the dataset size ranges from 3 to 15 minutes"
        # kind of a percent ------------------------------------------------------
        if cand.kind is None and _P["kind.metric_of_before"].search(raw_before):
            cand.kind = "absolute"      # "obtains a score of 66.2% and outperforms ...": the score's value
        vp = _P["kind.verb_object_paren"].search(s, max(0, cand.start - 80), cand.start) if cand.kind is None else None
        if vp:
            mo = _metric_in(vp.group("obj"), True)
            cand.kind = "change"        # "reduces the latency of RT requests (up to 74.20%)"
            cand.metric = mo[0] if mo else None
            cand.direction, cand.fixed_direction = ("down" if vp.group("down") else "up"), True
        if cand.kind is None and _P["kind.compare_after"].match(s, cand.end):
            cand.kind = "change"        # "up to 9% over prior differentiable gates"
        if cand.kind is None and (_P["kind.change_verb_before"].search(raw_before) or _P["kind.loss_after"].match(after)):
            cand.kind = "change"        # "removes 88% of the KV-cache memory", "a 0.3% accuracy loss"
        if cand.kind is None:
            if _P["kind.of_after"].match(after) and not _P["kind.of_number_after"].match(after):
                cand.kind = "absolute"
            elif _P["kind.absolute_before"].search(_P["qual.words"].sub(" ", before)) and \
                    not _P["kind.change_before"].search(before) and \
                    not _cue_search("change", " ".join(after.split()[:2])):
                cand.kind = "absolute"
            else:
                near_after = " ".join(_P["kind.near_after_split"].split(after)[0].split()[:5])
                near_before = " ".join(_P["qual.words"].sub(" ", before).split()[-6:])
                if i > 0 and _P["kind.prev_noun_coord"].fullmatch(s, cands[i - 1].end, cand.start):
                    near_before = ""    # "3.06 speedup and 94.07% scaling efficiency": the words are the previous number's
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
        if cand.metric is None and cand.kind == "change" and cand.unit in ("%", "pp", "points") and \
                _P["metric.improvement_after"].match(after) and not _metric_in(after[:50], last=False):
            cand.metric = "score"        # "a 9% improvement for pre-training evaluation": no metric noun of its own
        if cand.metric is None:
            if cand.kind == "ratio" and faster:
                cand.metric = "speed"
                fm = faster[1]
                if not _P["metric.faster_after"].match(after):
                    # "2x speedup in query latency" -> latency/down, "1.3x speedup in throughput" -> up
                    tail = s[cand.end + fm.end():cand.end + fm.end() + 70]
                    mt = _metric_in(tail, last=False) if _P["metric.preposition_after"].match(tail) else None
                    if mt and mt[0] != "speed":
                        cand.metric = mt[0]
            else:
                short_after = _P["metric.after_clause_split"].split(after, maxsplit=1)[0]
                m_after = _metric_in(short_after, last=False)
                by_obj = _P["list.by_end"].search(raw_before)
                # the metric named before is only needed when the one after is not close enough
                m_before = None if (not by_obj and m_after and m_after[1] < 30) else _metric_in(before, last=True)
                if by_obj and m_before and not (m_after and (_P["metric.preposition_after"].match(short_after) or
                                                             _P["list.comparative_lead"].match(short_after).group(0).strip())):
                    # "improves the throughput of X by 2x with the same latency": the verb's object
                    cand.metric = m_before[0]
                elif m_after and (not m_before or m_after[1] < 30):
                    cand.metric = m_after[0]
                elif m_before:
                    cand.metric = m_before[0]
                else:
                    # later in the same clause only (not across ", and obtain ..." / ", maintaining ...")
                    m_after = _metric_in(_P["metric.later_in_clause"].split(after, maxsplit=1)[0], last=False)
                    if m_after:
                        cand.metric = m_after[0]
                if cand.kind == "ratio" and cand.metric == "speed":
                    # "a training throughput speedup of 7.6x", "2x latency speedup": the named metric
                    nm = _P["metric.named_speedup_before"].search(before) or \
                        _P["metric.named_speedup_after"].match(after)
                    mw = X._metric_of_word(nm.group("w")) if nm else None
                    if mw and mw not in ("speed", "time", "other"):
                        cand.metric = mw
        if cand.metric == "score" and cand.kind == "ratio" and _P["metric.performance"].search(before + after) \
                and _P["metric.system_context"].search(s) \
                and not _P["metric.score_words"].search(after):
            cand.metric = "speed"
        if cand.metric is None and cand.kind in ("ratio", "change") and _P["metric.by_margin"].search(raw_before) and _P["metric.outperform_verb"].search(s[:cand.start]):
            # "outperforms X by up to 2.57x" is a speedup; "outperforms X by 32.4%" a quality score,
            # or the metric of the sentence's own result ("a success rate of 86.5%, outperforming X by 40%")
            own = [m for x in cands if x.end <= cand.start and x.kind == "absolute" and x.unit == cand.unit
                   for m in (x.metric,) if m not in (None, "other", "score")]
            cand.metric = "speed" if cand.kind == "ratio" else (own[-1] if own else "score")
        if cand.kind == "ratio" and cand.metric in (None, "time", "other") and \
                _P["metric.accelerate_by"].search(before):
            cand.metric = "speed"        # "accelerates X by more than twice in runtime": speed/up (decision 3)
            if not cand.fixed_direction:
                cand.direction = "up"
        if cand.metric is None and cand.kind == "ratio" and _P["metric.improve_by"].search(before):
            cand.metric = "speed"        # "improving SSD based retrieval up to 6.4x": a factor of a system is a speedup
        if cand.metric is None and cand.kind == "change":
            oo = _P["metric.own_object_after"].match(after)
            if oo and not _metric_in(oo.group("obj"), False):
                cand.metric = "other"    # "a +46% increase in new audiobooks start rate": its own object
        if cand.metric is None and cand.kind in ("change",) and cand.unit in ("%", "pp", "points"):
            # "... Top-1 accuracy ..., which is about 1.9% higher": the metric named earlier in the sentence
            # (not a noun of another number: "with 1.5 trillion parameters, improve metrics by 12.4%")
            earlier = s[:cand.start]
            for x in cands:
                if x.end <= cand.start:
                    earlier = earlier[:x.start] + " " * (x.end - x.start) + earlier[x.end:]
            found = _metrics_all(earlier)
            if found:
                if _P["metric.higher_after"].match(after):
                    good = [m for m in found if c.higher_is_better.get(m) is True]
                    cand.metric = good[-1] if good else found[-1]
                else:
                    cand.metric = found[-1]
        if cand.metric in (None, "other"):
            # "(66.5% compared to SOTA accuracy of 63.2%)": the metric the comparison names
            mm = _P["metric.compared_metric_of"].match(after)
            mt = _metric_in(mm.group("m"), True) if mm else None
            if mt:
                cand.metric = mt[0]
        if cand.metric == "time" and cand.kind == "absolute":
            mb = _metric_in(before, True)
            if mb and mb[0] == "latency":
                cand.metric = "latency"      # "cold starts take up to 7 seconds": a latency, not a duration
        if cand.metric in (None, "score") and cand.unit in ("%", "pp", "points") and \
                _P["metric.accuracy_benchmark"].search(s) and not _P["metric.explicit_score"].search(s):
            cand.metric = "accuracy"     # "improvements of up to 10.1% on MMLU": the benchmark's accuracy
        if cand.metric is None and (cand.unit == "dimensionless" or
                                    (cand.unit == "points" and _P["metric.points_word"].search(s, cand.start, cand.end))):
            cand.metric = "score"        # a bare value or "by 32 points" with no metric noun: a score
        if cand.metric is None and cand.kind == "change" and cand.unit in ("%", "pp", "points") and \
                (_P["metric.improvement_after"].match(after) or
                 _P["metric.improvement_before"].search(before)):
            cand.metric = "score"        # "a 4.2% improvement on <benchmark>"
        if cand.kind == "absolute" and cand.unit == "%" and cand.metric in ("throughput", "flops") and \
                not _P["metric.of_after"].match(after) and not _metric_in(after[:30], last=False):
            # "GPU throughputs of 38.38%" (metric named before the percent) is a utilization
            cand.metric = "utilization"   # a percent of a throughput is a utilization
        if cand.metric is None:
            cand.metric = "other"
        # direction ---------------------------------------------------------------
        if cand.kind in ("ratio", "change") and not cand.fixed_direction:
            if cand.kind == "ratio" and faster:
                hib = c.higher_is_better.get(cand.metric)
                if _P["dir.slower_after"].match(after):
                    cand.direction = "down"      # "123x slower": speed/down
                else:
                    cand.direction = "down" if (hib is False and not _P["dir.faster_after"].match(after)) else "up"
            elif s[cand.start] in "+":
                cand.direction = "up"
            else:
                a2 = _P["dir.clause_split"].split(after[:45], maxsplit=1)[0]   # this clause only
                bl = _P["dir.baseline_start"].search(a2)
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
                    b2 = _P["qual.trailing_comparative"].sub(lambda mm: " " * len(mm.group(0)), _P["qual.words"].sub(lambda mm: " " * len(mm.group(0)), before))
                    allb = sorted([(a, "up") for a, b, _ in _cue_all("up", b2)] +
                                  [(a, "down") for a, b, _ in _cue_all("down", b2)])
                    if allb:
                        a0 = allb[-1][0]
                        word = b2[a0:a0 + 12]
                        cand.direction = allb[-1][1]
                speedy = word and _P["dir.speed_word"].match(word)
                if speedy and cand.metric in ("time", "other", "speed") and not _P["dir.speedup_in_latency"].search(after):
                    # "30% wall-clock speed up", "speeds up switching time by 15x": speed/up (spec decision 3)
                    cand.metric, cand.direction = "speed", "up"
                elif cand.direction == "up" and word and _P["dir.improve_word"].match(word) and \
                        c.higher_is_better.get(cand.metric) is False:
                    cand.direction = "down"
        elif cand.kind in ("absolute",):
            cand.direction = None
        if cand.kind in ("ratio", "change") and not cand.fixed_direction and \
                _P["dir.overhead"].search(raw_before + s[cand.start:cand.end] + "|" + after[:30]):
            cand.direction = "up"       # "negligible latency overhead (7.1%)": an overhead adds to its metric
        if cand.kind in ("ratio", "change") and cand.metric in ("energy", "cost") and not cand.fixed_direction and \
                _P["dir.efficiency"].search(before + s[cand.start:cand.end] + after) and \
                not _cue_all("down", before + " " + after[:25]):
            cand.direction = "up"       # "3.2x performance per watt", "better cost-efficiency" (decision 12)
        if cand.rule_id == "claim.bare_comparative" and cand.value >= 1 and cand.metric in _W["factor_metrics"]:
            cand.kind, cand.unit = "ratio", "x"   # "2.6 higher throughput": a factor whose x was lost (decision 15)
    # lists: "up to 1.55x and 2.11x speedup", "12X,20X,33X and 39X" share metric / direction / qualifier
    
    
    for i in range(1, len(cands)):
        a, b = cands[i - 1], cands[i]
        if a.unit == b.unit and a.kind == b.kind == "ratio" and _P["list.sep_with_baseline"].fullmatch(s[a.end:b.start]):
            if b.metric in (None, "other") and a.metric:
                b.metric = a.metric
            if b.direction is None and a.direction and not b.fixed_direction:
                b.direction = a.direction
    for i in range(len(cands) - 1, 0, -1):
        a, b = cands[i - 1], cands[i]
        if a.kind == b.kind == "ratio" and b.metric not in (None, "other") and \
                _P["list.sep_plain"].fullmatch(s[a.end:b.start]) and not a.fixed_direction:
            a.metric, a.direction = b.metric, b.direction or a.direction   # "5.5x and 7.6x speedup in P95 latency"
        if a.unit == "%" and b.unit == "pp" and _P["list.sep_item"].fullmatch(s[a.end:b.start]):
            a.unit, a.kind = "pp", "change"      # "3.05%|3.39% absolute gains": the list is in points
        if a.unit == b.unit and a.kind == b.kind and a.kind != "scale" and _P["list.sep_item"].fullmatch(s[a.end:b.start]):
            if b.metric and (a.metric in (None, "other")):
                a.metric = b.metric
            if b.direction and a.direction is None and not a.fixed_direction:
                a.direction = b.direction
    # "15.7% in FAD score, 22.7% in IS, and 13.5% in CLAP", "12.3% for 1.5B and 7.5% for 7B models"
    
    for i in range(1, len(cands)):
        b = cands[i]
        prev = [x for x in cands[:i] if x.unit == b.unit]
        if not prev:
            continue
        a = prev[-1]
        if a.kind == "change" and b.kind in ("change", "absolute") and \
                _P["list.sep_noun"].fullmatch(s[a.end:b.start]):
            b.kind = "change"
            if b.direction is None and not b.fixed_direction:
                b.direction = a.direction
            if b.metric in (None, "other"):
                b.metric = a.metric
    for i in range(1, len(cands)):
        a, b = cands[i - 1], cands[i]
        if a.unit == b.unit == "dimensionless" and _P["list.to"].fullmatch(s[a.end:b.start]):
            b.metric = a.metric
        if a.unit == b.unit and _P["list.sep_item"].fullmatch(s[a.end:b.start]):
            if a.qualifier and b.qualifier is None:
                b.qualifier = a.qualifier
            elif b.qualifier == "average" and a.qualifier is None:
                a.qualifier = b.qualifier        # "11.42 and 4.25 speedup on average" (decision 9)
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
                b2 = _P["qual.trailing_comparative"].sub(lambda mm: " " * len(mm.group(0)), _P["qual.words"].sub(lambda mm: " " * len(mm.group(0)), s[:cand.start]))
                allb = sorted([(a, "up", b) for a, b, _ in _cue_all("up", b2)] +
                              [(a, "down", b) for a, b, _ in _cue_all("down", b2)])
                if allb:
                    a0, d0, b0 = allb[-1]
                    word = b2[a0:b0]
                    if _P["dir.speed_word_before"].match(word) and cand.metric in ("other", "time"):
                        cand.metric, d0 = "speed", "up"
                    elif d0 == "up" and _P["dir.improve_word"].match(word) and c.higher_is_better.get(cand.metric) is False:
                        d0 = "down"
                    cand.direction = d0
    if why is not None:
        _TRACING[0].focus = None


def _attach_owners(s: str, cands: list[Cand]) -> None:
    """A value that belongs to someone else (spec decisions 5, 16) gets its owner as system and no
    baseline: a number inside the comparison ("compared to SOTA perplexity of 15.8", "compared to
    74.5% performance of an unassisted human"), in a relative clause of the baseline ("a strong
    baseline that sustains 39 TeraFLOPs", "the best baseline, which stalls at 41.2"), or the
    before-value of a from-to pair ("reducing costs from 0.398 to 0.228": the baseline's)."""
    _P, _W = _rules()
    sentence_baseline = next((x.baseline for x in cands if x.baseline), None)
    owned: dict[int, str] = {}
    for i, cand in enumerate(cands):
        if cand.kind != "absolute":
            continue
        start = cands[i - 1].end if i > 0 else 0
        before = s[start:cand.start]
        owner = None
        mm = _P["own.in_comparison"].search(before)
        if mm:
            owner = _clean_baseline(_P["own.metric_tail"].sub("", mm.group("b"))) if mm.group("b").strip() else None
            if owner is None:
                nxt = cands[i + 1].start if i + 1 < len(cands) else len(s)
                am = _P["own.of_after"].match(s, cand.end, nxt)
                owner = _clean_baseline(am.group("b")) if am else None
        if owner is None:
            mm = _P["own.relative_clause"].search(before)
            if mm:
                owner = _clean_baseline(mm.group("b"))
        if owner is None:
            mm = _P["own.contrast_subject"].search(before)
            if mm and _is_name(mm.group("b"), _W):
                owner = mm.group("b")        # "..., while ZeRO-Infinity only achieves 45 TFLOPS"
                prev = cands[i - 1] if i > 0 else None
                if prev is not None and prev.kind == "absolute" and prev.unit == cand.unit and prev.baseline is None:
                    prev.baseline = owner    # "Fuyou achieves 156 TFLOPS ... while ZeRO-Infinity only achieves 45"
        if owner is None and i > 0 and owned.get(i - 1) and _P["own.which_is"].match(before):
            owner = owned[i - 1]             # "... sustains 39 TeraFLOPs, which is 30% of peak"
        if owner is None and i + 1 < len(cands) and cands[i + 1].kind == "absolute" and \
                cands[i + 1].unit == cand.unit and _P["own.from_to"].fullmatch(s, cand.end, cands[i + 1].start) and \
                _P["own.from_before"].search(before):
            cand.system, cand.baseline = sentence_baseline, None     # the before-value: the baseline's
            after = cands[i + 1]
            if after.metric in (None, "other") and cand.metric not in (None, "other"):
                after.metric, after.direction = cand.metric, cand.direction    # one quantity, two values
            continue
        if owner:
            cand.system, cand.baseline = owner, None
            owned[i] = owner


def _map_list_nouns(s: str, cands: list[Cand], grp: list[int]) -> None:
    """'17%, 2.5x, and 2.3x reductions on latency, energy, and area': a list of numbers followed by a
    comparative and a noun list of the same length maps in order (no 'respectively' needed)."""
    _P, _W = _rules()
    last = cands[grp[-1]]
    nxt = next((x.start for x in cands if x.start >= last.end), len(s))
    tail = s[last.end:nxt]
    lead = _P["list.comparative_lead"].match(tail)
    if not lead.group(0).strip():
        return
    rest = tail[lead.end():]
    end = _P["list.noun_list_end"].search(rest)
    rest = rest[:end.start()] if end else rest
    parts = [p for p in _P["list.split_nouns"].split(rest) if p.strip()]
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
    hib = X.compiled().higher_is_better.get(metric) if metric else None
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
    _P, _W = _rules()
    n = len(cands)
    for i in range(n - 1, 0, -1):
        a, b = cands[i - 1], cands[i]
        if a.unit == b.unit == "%" and a.kind == "absolute" and b.kind == "change" and \
                _P["list.sep"].fullmatch(s, a.end, b.start) and _P["list.comparative_lead"].match(s[b.end:b.end + 40]).group(0).strip():
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
        if a.kind in ("ratio", "change") and i + 1 < n and _P["list.paren_average"].fullmatch(s, a.end, cands[i + 1].start) \
                and "(" in s[a.end:cands[i + 1].start]:
            inner = [i + 1]
            while inner[-1] + 1 < n and _P["list.sep"].fullmatch(s, cands[inner[-1]].end, cands[inner[-1] + 1].start):
                inner.append(inner[-1] + 1)
            outer = [i]
            while outer[0] - 1 >= 0 and _P["list.sep"].fullmatch(s, cands[outer[0] - 1].end, cands[outer[0]].start):
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
    mapped: list[int] = []        # the last group mapped by "respectively"
    i = 0
    while i < n:
        grp = [i]
        while grp[-1] + 1 < n and _P["list.sep"].fullmatch(s, cands[grp[-1]].end, cands[grp[-1] + 1].start):
            grp.append(grp[-1] + 1)
        i = grp[-1] + 1
        if len(grp) < 2 or any(cands[j].kind not in ("ratio", "change") and
                               not (cands[j].kind == "absolute" and cands[j].unit == "%") for j in grp):
            continue
        last = cands[grp[-1]]
        clause_end = _P["list.clause_end"].search(s[last.end:])
        resp = _P["list.respectively"].search(s[last.end:last.end + (clause_end.start() if clause_end else len(s))])
        first = cands[grp[0]]
        # "decreases power consumption and latency respectively by up to 49% and 89%"
        resp_before = not resp and _P["list.respectively_before"].search(s, 0, first.start)
        if not resp and not resp_before:
            if mapped and len(mapped) == len(grp) and _P["list.repeat_sep"].fullmatch(s, cands[mapped[-1]].end, first.start):
                # "... respectively by up to 54% and 44% on the Jetson and 40% and 62% on Raspberry PI":
                # the next list of the same length repeats the mapping
                for j, k in zip(grp, mapped):
                    if cands[j].kind in ("ratio", "change", "absolute") and cands[j].unit == cands[k].unit:
                        cands[j].kind, cands[j].metric = cands[k].kind, cands[k].metric
                        if not cands[j].fixed_direction:
                            cands[j].direction = cands[k].direction
                mapped = grp
                continue
            _map_list_nouns(s, cands, grp)
            continue
        if any(cands[j].kind not in ("ratio", "change") for j in grp):
            continue
        parts: list[str] = []
        tail = s[last.end:last.end + resp.start()] if resp else ""
        nxt = [x.start for x in cands if x.start >= last.end]
        if resp and (not nxt or nxt[0] >= last.end + resp.start()):
            tail = _P["list.comparative_lead"].sub("", tail.strip(" ,"))
            parts = [p for p in _P["list.split_nouns"].split(tail.strip(" ,")) if p.strip()]
        if len(parts) != len(grp) or not all(_metric_in(p, last=True) for p in parts):
            head = s[:first.start]
            mm = _P["list.by_end"].search(head)
            parts = []
            if mm:
                obj = head[:mm.start()]
                cut = max(obj.rfind(","), obj.rfind(";"), obj.rfind(":"))
                obj = obj[cut + 1:]
                parts = [p for p in _P["list.split_nouns"].split(obj) if p.strip()][-len(grp):]
        if len(parts) != len(grp):
            continue
        verb = _P["list.improve_verb"].search(s[max(0, first.start - 120):first.start])
        mapped = grp
        for j, p in zip(grp, parts):
            mt = _metric_in(p, last=True)
            x = cands[j]
            if mt:
                x.metric = mt[0]
                if not x.fixed_direction and verb:
                    x.direction = _direction_for(x.metric, x.direction, True)
    # an elliptical comparison: "80% less TTFT compared to Accelerate, and over 90% compared to
    # Transformers" -- the second number has no noun of its own and repeats the first one's metric
    for i in range(1, n):
        a, b = cands[i - 1], cands[i]
        if a.kind == b.kind and a.unit == b.unit and a.kind in ("ratio", "change") and a.metric and \
                _P["list.elliptic_between"].fullmatch(s, a.end, b.start) and _P["list.elliptic_after"].match(s, b.end):
            b.metric = a.metric
            if not b.fixed_direction:
                b.direction = a.direction
    # a verb carried across "..., and <object> by N" -----------------------------------------
    for i in range(1, n):
        a, b = cands[i - 1], cands[i]
        if a.kind not in ("ratio", "change") or b.kind not in ("ratio", "change") or a.direction is None:
            continue
        mm = _P["list.carry"].fullmatch(s, a.end, b.start)
        if not mm:
            continue
        obj = mm.group("obj")
        if _cue_all("up", obj) or _cue_all("down", obj):
            continue                      # the object phrase has its own verb / comparative
        mt = _metric_in(obj, last=True)
        if mt:
            b.metric = mt[0]
        elif b.metric in (None, "other") or not _P["list.in_after"].match(s[b.end:]):
            b.metric = a.metric
        if not b.fixed_direction:
            improve = bool(_P["list.improve_verb_carry"].search(s[max(0, a.start - 120):a.start]))
            b.direction = _direction_for(b.metric, a.direction, improve) if mt else a.direction


def _attach_model(s: str, cands: list[Cand]) -> None:
    """'a 175B LLM' / 'a 13B model' or a named model ('GLM-130B', 'GPT-2') is the model of the
    sentence's claims (the nearest one when there are several)."""
    _P, _W = _rules()
    names: list[tuple[int, str]] = []
    for m in cands:
        if m.rule_id == "claim.model_size":
            mm = _P["model.after_size"].match(s, m.end)
            if mm:
                names.append((m.start, s[m.start:mm.end()]))
    for e, pat in X.compiled().cues.get("model_name", ()):
        for mm in pat.finditer(s):
            if not X.hardware_in(mm.group(0)):
                names.append((mm.start(), mm.group(0)))
    baselines = " ".join(c.baseline for c in cands if c.baseline)
    names = [n for n in names if n[1] not in baselines]
    if not names:
        return
    for cand in cands:
        if cand.model is None:
            cand.model = min(names, key=lambda n: abs(n[0] - cand.start))[1]


# the comparison phrases' overlapped scan, tried only where one can start (claims.literals.PrefixScan)


def _baseline_phrase(rest: str) -> str | None:
    _P, _W = _rules()
    c = X.compiled()
    endm = None
    for e2, p2 in c.cues.get("baseline_end", ()):
        endm = p2.search(rest)
    stop = endm.start() if endm else len(rest)
    # "first order methods, e.g. the LAMB optimizer, ...": the named members are the baseline
    mm = _P["base.examples_after"].match(rest, stop)
    if not mm:
        mm = _P["base.examples_inside"].search(rest, 0, stop + 6)     # "prior gates e.g., DSelect-k"
        mm = mm if mm and mm.start() < stop else None
    if mm:
        lm = _P["base.name_list"].match(rest, mm.end())
        if lm:
            return _clean_baseline(lm.group(0))
    # "architectures such as VGGNet, ResNet, and GoogleNet": the comma list stays in the phrase
    mm = _P["base.such_as"].search(rest, 0, stop)
    if mm:
        lm = _P["base.name_list"].match(rest, mm.end())
        if lm and lm.end() > stop:
            # a class phrase too long to be a name of its own gives way to its members
            return _clean_baseline(rest[:lm.end()]) or _clean_baseline(lm.group(0))
    return _clean_baseline(rest[:stop])


def _clean_baseline(b: str) -> str | None:
    _P, _W = _rules()
    b = b.strip().rstrip(".,;~ ")
    b = _P["base.possessive"].sub("", b)
    b = _P["base.conj_verb"].sub("", b)
    b = _P["base.performance_of"].sub("", b)
    b = _P["base.lead"].sub("", b)
    b = _P["base.trailing_range_lead"].sub("", b)
    b = _P["base.trailing_function_words"].sub("", b).rstrip(".,;~ ")
    if len(b.split()) > 1:
        b = _P["base.trailing_metric"].sub("", b)
    b = _P["base.article"].sub("", b).strip().rstrip(".,;~ ")
    if not b or len(b.split()) > 12 or (b[0].isdigit() and not _P["base.sized_model"].match(b)):
        return None
    if all(w.lower() in _W["stopwords"] for w in b.split()):
        return None
    if _P["base.participle"].fullmatch(b):
        return None          # "as reported by ...": a participle, not a system
    if _P["base.not_a_name"].match(b):
        return None          # "... exact match by as much as 0.1%": "by ..." is a margin, not a system
    # "the state-of-the-art ANNS solution DiskANN" -> "DiskANN" (a descriptor before a proper name)
    mm = _P["base.appositive"].match(b)
    if mm:
        b = mm.group("n")
    return b


def _trailing_baseline(s: str, end: int, spans, c) -> str | None:
    """The baseline of a comparison after every number of the sentence (the last clause: 'while
    achieving comparable accuracy compared to graph parallelism')."""
    if any(a >= end for a, b in spans):
        return None              # another number follows: its own clause holds the comparison
    tail = s[end:]
    for e, pat in c.cues.get("baseline", ()):
        for mm in pat.finditer(tail):
            rest = tail[mm.end():]
            if rest and not rest[0].isdigit():
                b = _baseline_phrase(rest)
                if b:
                    return b
    return None


def _attach_baselines(s: str, cands: list[Cand]) -> None:
    _P, _W = _rules()
    c = X.compiled()
    # numbers end a baseline phrase, except model sizes inside it ("a conventionally trained 7B model")
    spans = [(x.start, x.end) for x in cands if x.rule_id != "claim.model_size"]
    lead = _P["base.leading_compare"].match(s)
    lead_b = _baseline_phrase(lead.group("b")) if lead else None
    compare = _P["base.compare_with"].search(s)
    compare_b = _baseline_phrase(compare.group("b")) if compare else None
    for i, cand in enumerate(cands):
        if i % 16 == 0:
            X._check_deadline()
        if cand.kind not in ("ratio", "change", "absolute"):
            continue
        if lead_b and cand.start > lead.end("b"):
            cand.baseline = lead_b
            continue
        # the rest of the clause after the number (other numbers of the clause may sit in between)
        tail = s[cand.end:]
        stop = _P["base.clause_end"].search(tail)
        tail = tail[:stop.start() if stop else len(tail)]
        if len(tail) > 300:
            tail = tail[:tail.rfind(" ", 0, 300)]     # a bounded window that never cuts a word ("SOTA systems like v")
        if cand.kind == "absolute" and i + 1 < len(cands):
            tail = tail[:max(0, cands[i + 1].start - cand.end)]   # a comparison after the next number is that number's
        found = None
        lr = _P["base.larger_rival"].match(s, cand.end) if cand.kind == "ratio" else None
        if lr and _P["base.larger_rival_before"].search(s, max(0, cand.start - 40), cand.start):
            b = lr.group("b")     # "the 70x larger Llama-3.1-70B-Instruct", "a 14x larger model"
            found = b if b[0].isupper() else s[cand.start:lr.end("b")]
        rv = _P["base.rival_verb"].search(s, 0, cands[i - 1].start) if i > 0 and not found else None
        if rv and not _P["base.rival_verb_break"].search(rv.group(0)):
            mm = _P["base.elliptical_and_by"].search(s[cands[i - 1].end:cand.start])
            if mm and not _metric_in(mm.group("b"), False) and not _cue_search("up", mm.group("b")) and \
                    not _cue_search("down", mm.group("b")):
                found = _clean_baseline(mm.group("b"))     # "outperforms A by 8.20 and B by 1.35"
        for e, pat in (() if found else c.cues.get("baseline", ())):
            for mm in pat.finditer(tail):
                rest = tail[mm.end():]
                if not rest or rest[0].isdigit():
                    continue
                ab = cand.end + mm.end()
                if X._overlaps(ab, ab + 1, spans):
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
            mm = _P["base.outperform_by"].search(s[prev:cand.start])
            if mm:
                found = _baseline_phrase(mm.group("b"))
            else:
                mm = _P["base.improve_object_by"].search(s[prev:cand.start])
                if mm and not _metric_in(mm.group("b"), False):    # "improve the best dense retriever by"
                    found = _baseline_phrase(mm.group("b"))
        if found is None:
            mm = _P["base.gap_between"].search(s[:cand.start])
            if mm:
                found = _baseline_phrase(mm.group("b"))
        if found is None:
            # a comparison stated earlier in the sentence: "Compared to X, ...", "outperforms X in ..."
            for mm in reversed(list(_P["base.before"].finditer(s[:cand.start], overlapped=True))):
                rest = mm.group("b")
                nxt = [a - mm.start("b") for a, b in spans if a >= mm.start("b")]
                if nxt:
                    rest = rest[:min(nxt)]
                b = _baseline_phrase(rest)
                if b:
                    found = b
                    break
        if found is None and cand.kind in ("ratio", "change"):
            # a trailing comparison for the whole sentence: "..., while keeping accuracy compared to X."
            found = _trailing_baseline(s, cand.end, spans, c)
        if found is None and cand.kind in ("ratio", "change") and compare_b and cand.start > compare.end("b"):
            found = compare_b            # "We compare X with Y, and show that X reduces ... by 54%"
        if cand.kind == "absolute" and found is not None and not _P["base.comparison_word"].search(s):
            found = None
        cand.baseline = found
    # a closing clause after every number ("..., while achieving comparable accuracy compared to
    # graph parallelism") states the comparison of the whole sentence
    res = [x for x in cands if x.kind in ("ratio", "change")]
    if res and any(x.baseline is None for x in res):
        stop = _P["base.clause_end"].search(s, cands[-1].end)
        if stop and _P["base.closing_clause"].match(stop.group(0)):
            b = _trailing_baseline(s, cands[-1].end, spans, c)
            for x in res:
                if b and x.baseline is None:
                    x.baseline = b
    # "2x and 3x over A and B, respectively" -> A for 2x, B for 3x (any number of items: "2, 2.4, 1.2,
    # and 1.175 ..., compared to A, B, C, and D, respectively")
    i = 0
    while i < len(cands) - 1:
        j = i
        while j + 1 < len(cands) and cands[j + 1].baseline and cands[j + 1].baseline == cands[i].baseline and \
                _P["list.sep"].fullmatch(s[cands[j].end:cands[j + 1].start]):
            j += 1
        grp = cands[i:j + 1]
        resp = _P["base.respectively"].search(s, grp[-1].end) if len(grp) > 1 and grp[0].baseline else None
        k = s.find(grp[0].baseline, grp[-1].end) if resp else -1
        if resp and 0 <= k < resp.start():
            # the whole list up to 'respectively' after the numbers (the phrase found may stop at its
            # first comma); a baseline before the numbers is split as found ("compared to A and B, X achieves ...")
            seg = s[k:resp.start()]
        else:
            seg = grp[0].baseline if resp and "," not in (grp[0].baseline or "") else ""
        if seg:
            parts = [_clean_baseline(p) for p in _P["base.list_split"].split(seg.strip().rstrip(",;"))]
            parts = [p for p in parts if p]
            if len(parts) == len(grp):
                for x, p in zip(grp, parts):
                    x.baseline = p
        i = j + 1
    # lists share a baseline
    
    for i in range(len(cands) - 1, 0, -1):
        a, b = cands[i - 1], cands[i]
        if a.baseline is None and b.baseline and a.kind == b.kind and _P["base.list_sep"].fullmatch(s[a.end:b.start]):
            a.baseline = b.baseline
    for i in range(1, len(cands)):
        a, b = cands[i - 1], cands[i]
        if b.baseline is None and a.baseline and a.kind == b.kind and _P["base.list_sep"].fullmatch(s[a.end:b.start]):
            b.baseline = a.baseline


# a model / data size or context length is not "measured on" the sentence's GPU count
_SIZES_WITHOUT_COUNT = ("model_size", "data_size", "context_length")


def _attach_hardware(s: str, cands: list[Cand]) -> None:
    _P, _W = _rules()
    # a hardware word used as an amount of compute ("TPUv4 hours", "GPU*hrs") is not where a number
    # was measured (the claim that is that amount took its hardware at detection)
    mentions, attributes = [], []
    category: dict[str, str] = {}
    for a, b, n, cat in X._hw_mentions(s):
        category.setdefault(n, cat)
        if _P["hw.resource_use"].match(s, b):
            continue
        (attributes if _P["hw.resource_attribute"].match(s, b) else mentions).append((a, b, n))
    # a resource word ('less GPU memory') gives its hardware to the one number nearest it in its clause
    for a, b, n in attributes:
        near = [(min(abs(a - x.end), abs(x.start - b)), k) for k, x in enumerate(cands)
                if x.hardware is None and not _P["hw.clause_break"].search(s, min(x.end, b), max(x.start, a))]
        if near:
            k = min(near)[1]
            cands[k].hardware = n
            for step in (-1, 1):          # the numbers written as one group with it
                j = k + step
                while 0 <= j < len(cands) and cands[j].hardware is None and _P["hw.attribute_group"].fullmatch(
                        s, min(cands[j].end, cands[j - step].end), max(cands[j].start, cands[j - step].start)):
                    cands[j].hardware = n
                    j += step
    generic = _W["generic_hardware"]
    specific = sorted({m[2] for m in mentions if m[2] not in generic})
    # a generic count ("16 and 2,048 A100 GPUs", "GPU RTX 4090") takes the one specific name in the sentence
    if len(specific) == 1:
        for cand in cands:
            if cand.hardware in generic and cand.hardware == "GPU" and specific[0] not in _W["not_gpu_models"]:
                cand.hardware = specific[0]
            elif cand.kind == "scale" and cand.unit == "device" and cand.hardware is None:
                # "The TPU v4 supercomputer ... at 4096 chips": the chips are the named accelerator
                cat = category.get(specific[0])
                if cat in ("tpu", "gpu", "npu", "accelerator"):
                    cand.hardware = specific[0]
                    cand.unit = {"tpu": "TPU", "gpu": "GPU"}.get(cat, "device")
                    cand.hardware_count = cand.hardware_count or (int(cand.value) if cand.value == int(cand.value) else None)
    counted = [x for x in cands if x.kind == "scale" and x.hardware_count is not None]

    def dist(a0: int, a1: int, b0: int, b1: int) -> int:
        return b0 - a1 if b0 >= a1 else (a0 - b1 if a0 >= b1 else 0)

    pool_all = [m for m in mentions if m[2] not in generic] or mentions
    # groups of counts written as one list ("16 and 2,048 A100 GPUs", "from 8 to 256 GPUs")
    count_groups: list[list[Cand]] = []
    for x in counted:
        if count_groups and _P["hw.count_list_sep"].fullmatch(s[count_groups[-1][-1].end:x.start]):
            count_groups[-1].append(x)
        else:
            count_groups.append([x])
    mapped: dict[int, Cand] = {}
    for g in count_groups:
        if len(g) < 2 or not _P["hw.respectively"].search(s[g[-1].end:]):
            continue
        res = [x for x in cands if x.end <= g[0].start and x.kind in ("ratio", "change", "absolute")]
        k = len(g)
        if len(res) >= k and all(_P["list.sep"].fullmatch(s, res[-k + j].end, res[-k + j + 1].start) for j in range(k - 1)):
            for r_, c_ in zip(res[-k:], g):      # "4.9x and 5.7x ... over 16 and 2,048 GPUs, respectively"
                mapped[id(r_)] = c_
    all_mentions, all_pool = mentions, pool_all
    in_baselines = [(k, k + len(b)) for b in {x.baseline for x in cands if x.baseline}
                    for k in (s.find(b),) if k >= 0]
    for i, cand in enumerate(cands):
        if i % 16 == 0:
            X._check_deadline()
        if cand.hardware_count is not None and cand.kind == "scale":
            continue
        # hardware inside the claim's baseline ("3.7x over a DGX H100") is the baseline's platform,
        # unless it is the only hardware the sentence names ("a strong single GPU baseline")
        mentions, pool_all = all_mentions, all_pool
        if cand.baseline and mentions:
            outside = [m for m in mentions if not any(a <= m[0] < b for a, b in in_baselines)]
            # a baseline that IS hardware ("a 2.6x speedup over 32-thread CPU", "compared to state-of-the-art
            # GPUs") names the rival's platform, unless a list shares a later head ("FPGA and CPU baselines")
            k = s.find(cand.baseline)
            headed = k >= 0 and any(m[1] == len(cand.baseline) for m in X._hw_mentions(cand.baseline)) and \
                not _P["hw.baseline_shared_head"].match(s, k + len(cand.baseline))
            if len(outside) < len(mentions) and (outside or all(m[2] not in generic for m in mentions)):
                # "4.3x faster than the Graphcore IPU Bow": the rival's chip is not where the claim ran
                mentions = outside
                pool_all = [m for m in mentions if m[2] not in generic] or mentions
            elif headed:
                mentions = [m for m in mentions if not (k <= m[0] < k + len(cand.baseline))]
                pool_all = [m for m in mentions if m[2] not in generic] or mentions
        # the platform written after the number, or after the list it heads ("40% and 62% on Raspberry PI")
        j = i
        while j + 1 < len(cands) and _P["list.sep"].fullmatch(s, cands[j].end, cands[j + 1].start):
            j += 1
        nxt = cands[j + 1].start if j + 1 < len(cands) else len(s)
        own = [m for m in mentions if cands[j].end <= m[0] < nxt and
               _P["hw.own_platform"].fullmatch(s[cands[j].end:m[0]])]
        own.sort(key=lambda m: (m[2] in generic, m[0]))
        if counted and id(cand) in mapped:
            cand.hardware = cand.hardware or mapped[id(cand)].hardware
            cand.hardware_count = mapped[id(cand)].hardware_count
            continue
        if counted:
            best = min(counted, key=lambda x: dist(cand.start, cand.end, x.start, x.end))
            grp = next((g for g in count_groups if best in g), [best])
            if len(grp) > 1 and _P["hw.from_before"].search(s[max(0, grp[0].start - 30):grp[0].start]):
                best = max(grp, key=lambda x: x.hardware_count or 0)    # "from 8 to 256 GPUs": the largest
            near = min(pool_all, key=lambda m: dist(cand.start, cand.end, m[0], m[1])) if mentions else None
            if near and dist(cand.start, cand.end, near[0], near[1]) < dist(cand.start, cand.end, best.start, best.end):
                near_hw = near[2]          # "On Ascend NPUs it reaches 3x ... and scales to 256 GCDs": the nearer one
            else:
                near_hw = best.hardware
            cand.hardware = cand.hardware or (own[0][2] if own else None) or near_hw
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
    # the family given where the sentence names the one exact model ("consumer GPUs (e.g., NVIDIA RTX 4090)")
    if len(specific) == 1:
        for cand in cands:
            if cand.hardware == "GPU" and specific[0] not in _W["not_gpu_models"]:
                cand.hardware = specific[0]


def _name_positions(s: str, name: str):
    """Every position of `name` in s as a whole word (not inside a longer name), left to right."""
    i = s.find(name)
    while i >= 0:
        a, b = i - 1, i + len(name)
        if s[b:b + 1] == "s" and name[-1:].isdigit() and not s[b + 1:b + 2].isalnum():
            b += 1                     # "TPU v4s": the plural of a versioned name
        if (a < 0 or not (s[a].isalnum() or s[a] in "-_")) and (b >= len(s) or not (
                s[b].isalnum() or s[b] == "_" or (s[b] == "-" and b + 1 < len(s) and s[b + 1].isalnum()))):
            yield i
        i = s.find(name, i + 1)


def _find_name(s: str, name: str) -> int:
    """First position of `name` in s as a whole word (not inside a longer name), else -1."""
    return next(_name_positions(s, name), -1)


def _with_modifiers(s: str, name: str, _P, _W) -> str:
    """The name with the modifiers written before it that belong to it: 'Our 8-bit GaLore',
    'the Matrix Nuclear-Norm', 'HSTU-based Generative Recommenders' (rule sys.name_modifiers)."""
    i = _find_name(s, name)
    if i < 0:
        return name
    mm = _P["sys.name_version_after"].match(s, i + len(name))
    if mm:
        v = mm.group("v")
        name = name + (v if v.startswith("+") else " " + v)     # "Fire-Flyer 2", "COMET+"
    if i == 0:
        return name
    mm = _P["sys.name_plus_before"].search(s, 0, i)
    if mm:
        return mm.group(0) + name                   # "MLA+MoE+Muon"
    mm = _P["sys.name_modifiers"].search(s, 0, i)
    if not mm:
        return name
    words = mm.group(0).split()
    while words and (words[0] in _W["not_names"] or not _is_name(words[0], _W)):
        words.pop(0)       # "Using", "Notably", a hardware or metric word: not part of the name
    return " ".join(words + [name]) if words else name


def _is_name(n: str, _W) -> bool:
    # a hardware name, with at most a vendor word before it ("NVIDIA Jetson Nano"), is no system name
    hw = any(m[1] == len(n) and len(n[:m[0]].split()) <= 1 for m in X._hw_mentions(n))
    return n not in _W["not_names"] and not _rules()[0]["sys.adjective_shape"].fullmatch(n) and not hw and not X._metric_of_word(n)


def _is_hardware_name(n: str, _W) -> bool:
    """A specific hardware model ('TPU v4', 'SN40L'), not a family word ('GPU', 'FPGA')."""
    hw = X.hardware_in(n)
    return bool(hw) and all(h not in _W["generic_hardware"] for h in hw) and n not in _W["not_names"]


def _attach_system(s: str, cands: list[Cand], own_names) -> None:
    """The sentence's system (spec decision 5): one of the paper's own names written in the sentence;
    else a name that is the subject of a result verb; else the name the sentence introduces; else,
    when the sentence is about the paper's own work (we / our / this method / results show), the
    paper's name. `own_names`: the paper's names (own_names()), or a callable giving them."""
    _P, _W = _rules()
    if callable(own_names):
        own_names = own_names()
    # an own name inside the sentence's baseline ("compared to the original PAM SWAP algorithm")
    # is what is compared with, not the system of the sentence
    baselines = {x.baseline for x in cands if x.baseline}
    own_names = tuple(n for n in own_names if not any(_find_name(b, n) >= 0 for b in baselines))
    name = None
    # "for CoE inference deployments": a name the claims are made for (a workload) is not their system
    low = s.lower()
    found = []
    for n in own_names:
        k = next((k for k in _name_positions(s, n)
                  if not (_P["sys.workload_before"].search(s, max(0, k - 12), k) and
                          _P["sys.workload_after"].match(s, k + len(n)))), -1)
        if k < 0 and len(n) >= 4:
            # "Slipstream" in the abstract, "SlipStream showcases" here: the sentence's spelling
            k = next(_name_positions(low, n.lower()), -1)
            n = s[k:k + len(n)] if k >= 0 else n
        if k >= 0:
            found.append((k, -len(n), n))
    if found:
        name = min(found)[2]
        # "a family of ResNet architectures, ResNet-RS, which are ...": the specific member named too
        longer = [n for k, _, n in found if n != name and n.startswith(name)]
        if longer:
            name = max(longer, key=len)
        _note("own name written in the sentence (attach.own_names)")
    if name is None:
        mm = _P["sys.using_we"].search(s)
        if mm and _is_name(mm.group("n"), _W) and not is_known_baseline(mm.group("n")):
            name = mm.group("n")            # "Using PRIME with DiLoCo ..., we achieve a 400x reduction"
    if name is None:
        mm = _P["sys.proposed_phrase"].search(s)
        if mm and mm.group("n").split()[-1] not in _W["generic_heads"]:
            name = mm.group("n")            # "the proposed mixed dimension layers improve accuracy"
    if name is None:
        mm = _P["sys.our_name"].search(s)
        if mm and _is_name(mm.group("n"), _W) and not is_known_baseline(mm.group("n")):
            name = mm.group("n")            # "Our ConvFirst model with ... ran 4x faster" (not "our BERT model")
    if name is None:
        for mm in _P["sys.named_subject"].finditer(s):
            n = mm.group("n")
            if _is_name(n, _W) and not X.hardware_in(_with_modifiers(s, n, _P, _W)):   # "the RDU Node reduces": hardware
                name = n
                break
    if name is None:
        mm = _P["sys.named_head_subject"].search(s)
        if mm and _is_name(mm.group("n"), _W):
            name = mm.group("n")            # "the AISOC prototype is capable of 0.69 TFLOPS"
    if name is not None:
        name = _with_modifiers(s, name, _P, _W)
    if name is not None and name in own_names:
        # "RedStar-code-math boosts ...": the subject names a member of the paper's family (not a size)
        for mm in _P["sys.named_subject"].finditer(s):
            n = mm.group("n")
            if n.startswith(name + "-") and not _P["sys.variant_suffix"].fullmatch(n, len(name)):
                name = n
                break
    if name is not None and name not in own_names:
        # "MathScale-7B achieves", "LeYOLO-Small achieves": a size or variant of the paper's system
        for own in own_names:
            if name.startswith(own) and _P["sys.variant_suffix"].fullmatch(name, len(own)):
                name = own
                break
    if name is None:
        mm = _P["sys.introduce"].search(s)
        if mm and mm.group("n") not in _W["not_names"]:
            name = mm.group("n")
    if name is None and own_names and _cue_search("self", s):
        name = own_names[0]
        _note("the paper's own name (attach.own_names)")
    hw = X.hardware_in(name) if name and _is_hardware_name(name, _W) else None
    for cand in cands:
        cand.system = name
        if hw and cand.hardware is None and cand.kind != "scale":
            cand.hardware = hw[0]          # "TPU v4 outperforms ...": the system is the platform


def _title_head(title: str, abstract: str | None, _P, _W) -> str | None:
    """The title before its colon when that is a name: short, not a phrase ('Revisiting ResNets'),
    unless the abstract uses it as a name (the subject of a result verb: 'Efficient Agents retains')."""
    if ":" not in title:
        mm = _P["sys.title_comma_name"].match(title)
        return mm.group("h") if mm and _is_name(mm.group("h"), _W) else None
    h, tail = title.split(":", 1)
    h = h.strip()
    if _P["sys.title_not_system"].match(tail):
        return None              # 'BRIGHT: A ... Benchmark for ...': a benchmark, not a system
    words = h.split()
    if not h or len(words) > 4 or h in _W["not_names"] or any(w in _W["title_head_function_words"] for w in words[1:]):
        return None
    name_like = any(ch.isupper() or ch.isdigit() for ch in h[1:]) or len(words) == 1
    phrase = len(words) > 1 and _P["sys.title_phrase_start"].match(h)
    if name_like and not phrase and len(words) <= 3:
        return h
    if abstract and name_like:
        for mm in _P["sys.named_phrase_subject"].finditer(abstract):
            if mm.group("n") == h:
                return h
    return None


def _title_abbreviations(title: str, abstract: str, add, _P, _W, relaxed: bool = False) -> None:
    """An abbreviation whose long form ends with words of the title ('scalable neural network kernels
    (SNNKs)' under the title 'Scalable Neural Network Kernels'), in a sentence that introduces it
    ('we introduce ... (ABBR)'), names the paper's subject (score 3, like a title head) when the title
    has no head of its own."""
    low = " ".join(title.lower().split())
    for mm in _P["sys.abbreviation_def"].finditer(abstract):
        words = mm.group("long").split()
        k = next((k for k in range(len(words) - 1) if " ".join(words[k:]).lower() in low), None)
        if k is None:
            continue
        start = max(abstract.rfind(". ", 0, mm.start()) + 1, 0)
        # introduced ("we introduce ... (SNNKs)"), or the title's own three-word subject ("Masked
        # diffusion models (MDMs)" under "Scaling up Masked Diffusion Models on Text")
        if (_P["sys.introduced_abbreviation"].search(abstract[start:mm.end()]) or (relaxed and len(words) - k >= 3)) and \
                not _P["sys.not_system_after"].match(abstract, mm.end()) and not is_known_baseline(mm.group("a")):
            add(mm.group("a"), 3)


def _title_phrases(title: str, abstract: str, add, _P, _W) -> None:
    """A run of capitalised title words ('Bi-Granular Document Representation') that the abstract
    writes capitalised inside a sentence about the paper's own work ('we tackle this problem with
    Bi-Granular Document Representation') names the paper's system (score 2); the longest such tail
    of each run is taken."""
    for run in _P["sys.title_case_run"].finditer(title):
        words = run.group(0).split()
        for k in range(len(words) - 1):
            phrase = " ".join(words[k:])
            if not phrase[0].isupper():
                continue
            if all(w in _W["not_names"] for w in words[k:]) or _P["sys.title_phrase_generic"].search(phrase):
                break
            # the first use inside a sentence (after a lower-case word, not a sentence's first word)
            i = next((p for p in _name_positions(abstract, phrase) if abstract[:p].rstrip()[-1:].islower()), -1)
            if i > 0:
                start = abstract.rfind(". ", 0, i) + 1
                end = abstract.find(". ", i)
                if _cue_search("self", abstract[start:end if end > 0 else len(abstract)]):
                    add(phrase, 2)
                    break


@functools.lru_cache(maxsize=4096)
def own_names(title: str | None, abstract: str | None = None) -> tuple[str, ...]:
    """The paper's own names, the main one first (spec decision 5): an inventory of the names the
    title and abstract give the paper's work, each scored by its evidence: the title before a colon
    when it is a name (3); a name the abstract introduces ('we propose X', 'we present X, a ...',
    '... called X', 'our proposed X': 2), or only abbreviates ('we introduce ... (ABBR)': 1); +1 for
    each sentence (up to 2) where it is the subject of a result verb ('X achieves'). The abbreviation
    a name is given ('Mixture-of-Recursions (MoR)') is the name used, with that name's score. Names
    with a score of 2 or more are kept, best first (ties: first in the text)."""
    _P, _W = _rules()
    score: dict[str, float] = {}
    order: list[str] = []
    rejected: set[str] = set()      # introduced as a benchmark, dataset or metric

    def add(n: str | None, pts: float, hardware_ok: bool = False) -> None:
        n = n.split(". ")[0] if n else n        # a name never runs across a sentence end
        if not n or n in _W["not_names"] or n in rejected:
            return
        if not _is_name(n, _W) and not (hardware_ok and _is_hardware_name(n, _W)):
            return
        if n not in score:
            score[n] = 0.0
            order.append(n)
        score[n] = max(score[n], pts)

    def abbreviation(n: str, start: int) -> str | None:
        mm = _P["sys.abbreviation_after"].match(abstract, start)
        return mm.group("a") if mm else None

    if title and ":" in title and _P["sys.title_not_system"].match(title.split(":", 1)[1]):
        rejected.add(title.split(":", 1)[0].strip())     # a benchmark's or dataset's name
    head = _title_head(title, abstract, _P, _W) if title else None
    if head and abstract:
        i = abstract.find(head)
        while i >= 0:
            ab = abbreviation(head, i + len(head))
            if ab:
                add(ab, 3.5)         # the abbreviation is the name the abstract uses
                break
            i = abstract.find(head, i + 1)
    add(head, 3, hardware_ok=True)     # "TPU v4: An Optically Reconfigurable Supercomputer": the hardware is the system
    if abstract:
        for pid, pts in (("sys.introduce", 1.5), ("sys.introduce_phrase", 1.5), ("sys.called", 1.5),
                         ("sys.proposed", 1.5), ("sys.introduce_apposition", 1.5),
                         ("sys.introduced_abbreviation", 1)):
            for mm in _P[pid].finditer(abstract):
                n = mm.group("n").strip()
                if n.split()[0] in _W["not_names"]:
                    continue
                ab = _P["sys.abbreviation_after_intro"].match(abstract, mm.end("n"))
                if _P["sys.not_system_after"].match(abstract, mm.end("n")) or (
                        ab and _P["sys.not_system_after"].match(abstract, ab.end())):
                    rejected.update((n,) + ((ab.group("a"),) if ab else ()))
                    continue
                if ab and _is_name(ab.group("a"), _W):
                    add(ab.group("a"), pts + 0.5)
                add(n, pts)
        if title and not head:
            _title_abbreviations(title, abstract, add, _P, _W)
            _title_phrases(title, abstract, add, _P, _W)
        seen: dict[str, int] = {}
        for mm in _P["sys.named_subject"].finditer(abstract):
            n = mm.group("n")
            if n not in score and _is_name(n, _W) and not is_known_baseline(n):
                add(n, 0)
            if n in score:
                seen[n] = seen.get(n, 0) + 1
        introduced = {n for n in order if score[n] > 0}
        for n, k in seen.items():
            score[n] += min(k, 2)
        if any(score[n] >= 3 for n in introduced):
            # a name that is only the subject of result verbs ('UNet is the most popular backbone')
            # is what the paper studies, not its system, when the title names the paper's own
            for n in order:
                if n not in introduced:
                    score[n] = 0.0
    kept = [n for n in order if score[n] >= 1.5]
    if not kept and title and abstract and not head and not _P["sys.title_survey"].match(title):
        # no name at all: the abbreviation of the title's own subject, even where no verb introduces it
        # ("Masked diffusion models (MDMs) have shown promise" under "Scaling up Masked Diffusion Models")
        _title_abbreviations(title, abstract, add, _P, _W, relaxed=True)
        kept = [n for n in order if score[n] >= 1.5]
    return tuple(sorted(kept, key=lambda n: (-score[n], order.index(n))))


def paper_system(title: str | None, abstract: str | None = None) -> str | None:
    """The paper's main own name (own_names), else None."""
    names = own_names(title, abstract)
    return names[0] if names else None


# --------------------------------------------------------------------------- public API
