"""The precision gate of the leaderboards: rules/gate.yml evaluated on a claim and its sentence.

`excluded_by(claim, sentence_text, start, end)` gives the id of the first `exclude` rule that
matches (the claim stays in the claims table but not on the leaderboards), or None. The rules are
data (rules/gate.yml documents the conditions); this module only compiles and applies them.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import regex
import yaml

from .errors import RuleError
from .rules import rules_dir

GATE_FILE = "gate.yml"
CONDITIONS = {"id", "comment", "kinds", "metrics", "not_metrics", "units", "mention", "before", "after",
              "sentence", "system", "baseline", "no_system", "system_in_baseline", "any", "examples",
              "counter_examples"}
FLAG_KEYS = {"id", "comment", "kinds", "units", "min_value", "label"}
WINDOW = 200  # characters of context before/after the mention the before/after regexes see


@dataclass(frozen=True)
class Rule:
    id: str
    kinds: Optional[frozenset]
    metrics: Optional[frozenset]
    not_metrics: frozenset
    units: Optional[frozenset]
    mention: Any
    before: Any
    after: Any
    sentence: Any
    system: Any
    baseline: Any
    no_system: bool
    system_in_baseline: bool
    any_context: bool
    examples: tuple
    counter_examples: tuple

    def matches(self, kind, metric, unit, system, mention, before, after, sentence, baseline=None) -> bool:
        return (self.admits(kind, metric, unit, bool(system))
                and self.matches_text(system, mention, before, after, sentence, baseline))

    def admits(self, kind, metric, unit, has_system: bool) -> bool:
        """The conditions on the claim's fields alone (kinds, metrics, units, no_system)."""
        if self.kinds is not None and kind not in self.kinds:
            return False
        if self.metrics is not None and metric not in self.metrics:
            return False
        if metric in self.not_metrics:
            return False
        if self.units is not None and unit not in self.units:
            return False
        return not (self.no_system and has_system)

    def matches_text(self, system, mention, before, after, sentence, baseline=None) -> bool:
        """The conditions on the texts (system, baseline, mention, context regexes), given admits()."""
        if self.system is not None and not (system and self.system.fullmatch(system)):
            return False
        if self.baseline is not None and not (baseline and self.baseline.fullmatch(baseline)):
            return False
        if self.system_in_baseline and not (system and baseline and _word_in(system, baseline)):
            return False
        if self.mention is not None and not self.mention.search(mention):
            return False
        contexts = [(rx, text) for rx, text in ((self.before, before), (self.after, after),
                                                (self.sentence, sentence)) if rx is not None]
        if not contexts:
            return True
        hits = (rx.search(text) is not None for rx, text in contexts)
        return any(hits) if self.any_context else all(hits)


def _word_in(name: str, phrase: str) -> bool:
    """`name` occurs in `phrase` as whole words (case-insensitive): 'ASIC' in 'ASIC design optimizations'."""
    words, target = phrase.lower().split(), name.lower().split()
    return any(words[i:i + len(target)] == target for i in range(len(words) - len(target) + 1))


@dataclass(frozen=True)
class Flag:
    id: str
    kinds: Optional[frozenset]
    units: Optional[frozenset]
    min_value: float
    label: str


@dataclass(frozen=True)
class Gate:
    rules: tuple[Rule, ...]
    flags: tuple[Flag, ...]
    # the rules admitting each (kind, metric, unit, has_system), in order: a claim is held only
    # against those (a build sees a few hundred combinations; 21 rules a claim before)
    _admitting: dict = field(default_factory=dict, compare=False, repr=False)

    def admitting(self, kind, metric, unit, has_system: bool) -> tuple[Rule, ...]:
        key = (kind, metric, unit, has_system)
        found = self._admitting.get(key)
        if found is None:
            found = self._admitting[key] = tuple(r for r in self.rules if r.admits(*key))
        return found

    def excluded_by(self, kind: str, metric: Optional[str], unit: str, system: Optional[str],
                    mention: str, sentence: str, start: int, end: int,
                    baseline: Optional[str] = None) -> Optional[str]:
        """Id of the first exclude rule matching the claim whose mention is sentence[start:end]."""
        if not (0 <= start <= end <= len(sentence)):
            start, end = 0, 0
        before = sentence[max(0, start - WINDOW):start]
        after = sentence[end:end + WINDOW]
        for rule in self.admitting(kind, metric, unit, bool(system)):
            if rule.matches_text(system, mention, before, after, sentence, baseline):
                return rule.id
        return None

    def matching_rule(self, rule_id: str) -> Rule:
        return next(r for r in self.rules if r.id == rule_id)


def _compile(path: Path, rid: str, field: str, src: Any):
    if src is None:
        return None
    if not isinstance(src, str):
        raise RuleError([f"{path}: rule {rid}: {field} must be a regex string"])
    try:
        return regex.compile(src, regex.IGNORECASE | regex.VERSION0)
    except regex.error as exc:
        raise RuleError([f"{path}: rule {rid}: {field} is not a valid regex ({exc})"]) from None


def _set(value) -> Optional[frozenset]:
    return None if value is None else frozenset(value)


def load_gate(path: Path | None = None) -> Gate:
    path = Path(path) if path is not None else rules_dir() / GATE_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RuleError([f"{path}: cannot read the gate rules ({exc.strerror})"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise RuleError([f"{path}{where}: not valid YAML; fix the syntax there"]) from None
    if not isinstance(data, dict) or not isinstance(data.get("exclude"), list):
        raise RuleError([f"{path}: needs an `exclude:` list of rules (see the header of rules/gate.yml)"])
    rules, seen = [], set()
    for n, entry in enumerate(data["exclude"], 1):
        if not isinstance(entry, dict) or not entry.get("id"):
            raise RuleError([f"{path}: exclude entry {n} has no id"])
        rid = entry["id"]
        unknown = set(entry) - CONDITIONS
        if unknown:
            raise RuleError([f"{path}: rule {rid}: unknown keys {sorted(unknown)}; allowed: {sorted(CONDITIONS)}"])
        if rid in seen:
            raise RuleError([f"{path}: rule id {rid} is used twice"])
        seen.add(rid)
        if not entry.get("comment") or not entry.get("examples") or "counter_examples" not in entry:
            raise RuleError([f"{path}: rule {rid} needs a comment, examples and counter_examples"])
        rules.append(Rule(
            id=rid, kinds=_set(entry.get("kinds")), metrics=_set(entry.get("metrics")),
            not_metrics=frozenset(entry.get("not_metrics") or ()), units=_set(entry.get("units")),
            mention=_compile(path, rid, "mention", entry.get("mention")),
            before=_compile(path, rid, "before", entry.get("before")),
            after=_compile(path, rid, "after", entry.get("after")),
            sentence=_compile(path, rid, "sentence", entry.get("sentence")),
            system=_compile(path, rid, "system", entry.get("system")),
            baseline=_compile(path, rid, "baseline", entry.get("baseline")),
            no_system=bool(entry.get("no_system")), system_in_baseline=bool(entry.get("system_in_baseline")),
            any_context=bool(entry.get("any")),
            examples=tuple(entry["examples"]), counter_examples=tuple(entry.get("counter_examples") or ())))
    flags = []
    for n, entry in enumerate(data.get("flags") or [], 1):
        if not isinstance(entry, dict) or set(entry) - FLAG_KEYS or "min_value" not in entry or not entry.get("label"):
            raise RuleError([f"{path}: flag entry {n} needs id, comment, min_value, label (allowed keys: {sorted(FLAG_KEYS)})"])
        flags.append(Flag(id=entry["id"], kinds=_set(entry.get("kinds")), units=_set(entry.get("units")),
                          min_value=float(entry["min_value"]), label=str(entry["label"])))
    return Gate(tuple(rules), tuple(flags))


@functools.lru_cache(maxsize=4)
def _cached(path: str) -> Gate:
    return load_gate(Path(path))


def get_gate() -> Gate:
    return _cached(str(rules_dir() / GATE_FILE))


def excluded_by(claim, sentence_start: int, gate: Gate | None = None) -> Optional[str]:
    """The gate on a `Claim` (its `sentence` text starts at `sentence_start` in the abstract);
    `gate` saves looking up the rules' gate per claim (a batch passes get_gate() once)."""
    return (gate or get_gate()).excluded_by(claim.kind, claim.metric, claim.unit, claim.system, claim.mention,
                                  claim.sentence, claim.span_start - sentence_start,
                                  claim.span_end - sentence_start, claim.baseline)


def flag_rows() -> list[dict]:
    """The `gate_flags` table: one row per (flag, kind, unit)."""
    rows = []
    for f in get_gate().flags:
        for kind in sorted(f.kinds or {None}, key=str):
            for unit in sorted(f.units or {None}, key=str):
                rows.append({"flag": f.id, "kind": kind, "unit": unit, "min_value": f.min_value, "label": f.label})
    return rows
