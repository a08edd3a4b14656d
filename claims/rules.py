"""Load -> validate -> freeze the rule data under ``rules/``.

Every YAML file in the rules directory is a mapping of *sections*; each section is a list of
entries. Every entry has an ``id`` (unique across all files), a ``description``, a list of
``examples`` and a list of ``counter_examples`` (run by tests/test_rules.py). Problems are
collected over all files and raised together as one :class:`claims.errors.RuleError`.

The directory is ``rules/`` at the repository root, or ``$CLAIMS_RULES`` when set.
"""
from __future__ import annotations

import functools
import hashlib
import os
import re as _re
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

import regex
import yaml

from .errors import RuleError

RULE_FILES = ("segment.yml", "numbers.yml", "units.yml", "metrics.yml", "hardware.yml",
              "baselines.yml", "patterns.yml", "attach.yml")
PINT_FILE = "units.pint"
# rule files with their own loaders (claims/checks.py) that are part of the rules version
HASHED_FILES = ("checks.yml", "hardware_specs.yml")


def rules_dir() -> Path:
    return _rules_dir(os.environ.get("CLAIMS_RULES") or "")


@functools.lru_cache(maxsize=8)
def _rules_dir(env: str) -> Path:
    if env:
        return Path(env)
    checkout = Path(__file__).resolve().parent.parent / "rules"
    # a checkout or editable install reads rules/; a wheel carries them as claims/data/rules
    return checkout if checkout.is_dir() else Path(__file__).resolve().parent / "data" / "rules"


# --------------------------------------------------------------------------- YAML with duplicate keys
class _DupKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Safe loader (libyaml's C parser when available, several times faster) that records
    duplicate mapping keys instead of silently keeping the last one."""


def _construct_mapping(loader: _DupKeyLoader, node: yaml.MappingNode, deep: bool = False):
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            continue
        if key in seen:
            loader.duplicate_keys.append(
                f"duplicate key {key!r} at line {key_node.start_mark.line + 1} "
                f"(first at line {seen[key] + 1})")
        else:
            seen[key] = key_node.start_mark.line
    return yaml.constructor.SafeConstructor.construct_mapping(loader, node, deep=deep)


_DupKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _load_yaml(path: Path, problems: list[str]) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        problems.append(f"{path.name}: cannot read ({exc}); restore the file or set CLAIMS_RULES")
        return None
    loader = _DupKeyLoader(text)
    loader.duplicate_keys = []
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        problems.append(f"{path.name}: YAML syntax error: {exc}".replace("\n", " "))
        return None
    finally:
        loader.dispose()
    for d in loader.duplicate_keys:
        problems.append(f"{path.name}: {d}; remove one of them")
    return data


# --------------------------------------------------------------------------- frozen records
def _freeze(obj: Any) -> Any:
    if isinstance(obj, dict):
        return MappingProxyType({k: _freeze(v) for k, v in obj.items()})
    if isinstance(obj, list):
        return tuple(_freeze(v) for v in obj)
    return obj


_ID_RE = _re.compile(r"[a-z0-9_]+(\.[A-Za-z0-9_+\-]+)+")


@dataclass(frozen=True)
class Entry:
    """One rule entry, as written in YAML (frozen)."""
    id: str
    file: str
    section: str
    description: str
    data: Mapping[str, Any]
    examples: tuple = ()
    counter_examples: tuple = ()

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def __post_init__(self) -> None:
        if not _ID_RE.fullmatch(self.id):
            raise ValueError(f"id {self.id!r} must look like 'section.name'")


@dataclass(frozen=True)
class Metric:
    metric: str
    kind: str                      # 'result' | 'scale'
    higher_is_better: bool | None
    description: str
    synonyms: tuple[str, ...]
    entry_id: str


@dataclass(frozen=True)
class Unit:
    unit: str
    dimension: str
    unit_base: str
    factor: float
    description: str
    surfaces: tuple[Any, ...]      # str or {text, multiply}
    metric: str | None
    entry_id: str


@dataclass(frozen=True)
class Hardware:
    hardware: str
    category: str
    vendor: str | None
    aliases: tuple[str, ...]
    entry_id: str


@dataclass(frozen=True)
class Baseline:
    canonical: str
    aliases: tuple[str, ...]
    entry_id: str


@dataclass(frozen=True)
class Rules:
    entries: Mapping[str, Entry]                 # id -> entry
    sections: Mapping[str, tuple[Entry, ...]]    # "file:section" -> entries in file order
    macros: Mapping[str, str]                    # macro name -> expanded regex source
    metrics: tuple[Metric, ...]
    units: tuple[Unit, ...]
    hardware: tuple[Hardware, ...]
    baselines: tuple[Baseline, ...]
    version: str
    pint_definitions: str
    directory: str

    def section(self, file: str, section: str) -> tuple[Entry, ...]:
        return self.sections.get(f"{file}:{section}", ())


CATEGORIES = {"gpu", "tpu", "cpu", "npu", "supercomputer", "accelerator", "fpga", "node", "cloud", "device"}
METRIC_KINDS = {"result", "scale"}
_MACRO = _re.compile(r"\{([A-Z][A-Z0-9_]*)\}")


def expand(src: str, macros: Mapping[str, str]) -> str:
    """Replace ``{NAME}`` by the (non-capturing) macro NAME; unknown names raise KeyError."""
    def sub(m: _re.Match) -> str:
        return "(?:" + macros[m.group(1)] + ")"
    return _MACRO.sub(sub, src)


def _expand_macros(raw: dict[str, str], problems: list[str]) -> dict[str, str]:
    done: dict[str, str] = {}

    def resolve(name: str, stack: tuple[str, ...]) -> str:
        if name in done:
            return done[name]
        if name in stack:
            raise KeyError(f"macro cycle {' -> '.join(stack + (name,))}")
        if name not in raw:
            raise KeyError(f"unknown macro {{{name}}}")
        src = _MACRO.sub(lambda m: "(?:" + resolve(m.group(1), stack + (name,)) + ")", raw[name])
        done[name] = src
        return src

    for name in raw:
        try:
            resolve(name, ())
        except KeyError as exc:
            problems.append(f"numbers.yml: macro {name}: {exc.args[0]}")
    return done


def _alt(items: list[str]) -> str:
    return "|".join(items) if items else "(?!x)x"


_LOOKAROUND_SRC = regex.compile(r"\(\?<?[=!](?:[^()]|\((?:[^()])*\))*\)")


def split_alternatives(src: str, verbose: bool = False) -> list[str]:
    """The top-level alternatives of a regex source ('a|b(?:c|d)' -> ['a', 'b(?:c|d)'])."""
    cuts = [i for i, ch, d in _scan(src, verbose) if ch == "|" and d == 0]
    return [src[a + 1:b] for a, b in zip([-1] + cuts, cuts + [len(src)])]


def _scan(src: str, verbose: bool):
    """(index, char, depth) of every structural character of a regex source: escapes, the inside
    of classes and (verbose) '#' comments are skipped."""
    depth, i, n, cls = 0, 0, len(src), False
    while i < n:
        ch = src[i]
        if ch == "\\":
            i += 2
            continue
        if cls:                                          # inside a class: nothing is structural
            cls = ch != "]"
            i += 1
            continue
        if ch == "[":
            cls = True
            if src.startswith("^", i + 1):
                i += 1
            if src.startswith("]", i + 1):
                i += 1                                   # '[]...]': a literal ']'
            i += 1
            continue
        if ch == "#" and verbose:
            j = src.find("\n", i)
            i = n if j < 0 else j
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        yield i, ch, depth
        i += 1


def _balanced(src: str, verbose: bool = True) -> bool:
    """Parentheses balanced outside escapes, classes and comments (and never closed early)."""
    depth = 0
    for _, ch, d in _scan(src, verbose):
        depth = d
        if d < 0:
            return False
    return depth == 0


def branches(src: str, verbose: bool = True) -> list[str]:
    """The alternatives a regex's matches come from: its top-level branches, looking inside one
    enclosing non-capturing group ('(?: a | b(?:c|d) )' -> [' a ', ' b(?:c|d) ']). A source that
    is not an alternation (a quantified group, inline flags, a prefix before the group) is one
    branch. Each branch is a valid regex with the same flags."""
    s = src
    while True:
        parts = split_alternatives(s, verbose)
        if len(parts) > 1:
            return parts
        structural = [(i, ch, d) for i, ch, d in _scan(s, verbose) if not ch.isspace()]
        if len(structural) >= 2 and s[structural[0][0]:structural[0][0] + 3] == "(?:" and \
                structural[-1][1] == ")" and structural[-1][2] == 0 and \
                all(d > 0 for _, _, d in structural[:-1]):
            s = s[structural[0][0] + 3:structural[-1][0]]     # one group around everything: look inside
            continue
        return [src]


def longest_first(alternatives: list[str]) -> list[str]:
    """Order regex alternatives so that a longer literal is tried before its prefix ('GPU\\s+cards?'
    before 'GPUs?', 'H100\\s+SXM\\w*' before 'H100s?'): regex alternation takes the first that
    matches, not the longest. Stable; the key is the source length without lookarounds."""
    return sorted(alternatives, key=lambda a: -_longest_len(a))


_ATOM = regex.compile(r"\\.|\[(?:[^\]\\]|\\.)*\]|\(\?(?:[:>]|[a-zA-Z-]+:)|\(|\)|\||[+*?]|\{\d+(?:,\d*)?\}|.", regex.S)


def _longest_len(src: str) -> int:
    """Rough length of the longest text an alternative matches without repetition: the longest
    branch of each group, one per escape or class ('(?:compute\\s+)?nodes?' -> 14,
    'nodes\\s+and\\s+edges' -> 15, 'GPUs?' -> 4)."""
    s = _LOOKAROUND_SRC.sub("", src)
    stack: list[list[int]] = [[0]]          # per open group: lengths of its branches so far
    for tok in _ATOM.findall(s):
        if tok.startswith("("):
            stack.append([0])
        elif tok == ")":
            if len(stack) > 1:
                n = max(stack.pop())
                stack[-1][-1] += n
        elif tok == "|":
            stack[-1].append(0)
        elif tok in "+*?" or tok.startswith("{"):
            continue
        else:
            stack[-1][-1] += 1
    return max(stack[0])


_SPECIAL = set("\\()[].^$|?*+{}#")


def _first_literal(alt: str) -> tuple[str, str] | None:
    """(first character's source, rest) when an alternative must start with one literal
    character ('GPUs?' -> ('G', 'PUs?'), '\\$' -> ('\\$', '')); None when it may start with
    several ('(?:RTX\\s+)?A6000', '[Tt]PU', '\\d+', 'a?b')."""
    if not alt:
        return None
    if alt[0] == "\\":
        if len(alt) < 2 or alt[1].isalnum():
            return None                                  # \s, \d, \w ...: a class, not one character
        head, rest = alt[:2], alt[2:]
    elif alt[0] in _SPECIAL or alt[0].isspace() or not alt[0].isascii():
        return None
    else:
        head, rest = alt[0], alt[1:]
    if rest[:1] in ("?", "*", "+", "{"):
        return None                                      # the first character is optional or repeated
    return head, rest


def factor_first(alts: list[str], ignore_case: bool) -> str:
    """The alternation '|'.join(alts), with alternatives that start with the same literal character
    factored ('GPUs?|GB|TPUs?' -> 'G(?:PUs?|B)|TPUs?'). It matches exactly what the plain
    alternation matches, in the same order of preference: at a given position only alternatives
    starting with that character can match, and their order is kept. An alternative without one
    literal first character keeps its place, so runs are only factored between such alternatives.
    `regex` tries an alternation's branches one by one; the factored form tests one character per
    group instead of one per alternative (the {UNIT} alternation has ~100)."""
    out: list[str] = []
    run: dict[str, list[tuple[str, str]]] = {}

    def flush() -> None:
        for group in run.values():
            if len(group) == 1:
                out.append(group[0][0] + group[0][1])
            else:
                out.append(group[0][0] + "(?:" + "|".join(rest for _, rest in group) + ")")
        run.clear()

    for alt in alts:
        fl = _first_literal(alt)
        if fl is None:
            flush()
            out.append(alt)
            continue
        head, rest = fl
        key = head.lower() if ignore_case else head
        run.setdefault(key, []).append((head, rest))
    flush()
    return _alt(out)


def _generated_macros(sections: Mapping[str, tuple[Entry, ...]]) -> dict[str, str]:
    """{UNIT}, {NOUN} and {HW}: alternations built from units.yml and hardware.yml."""
    surf: list[str] = []
    for e in sections.get("units.yml:units", ()):
        for s in e.get("surfaces") or ():
            surf.append(s.get("text") if isinstance(s, Mapping) else str(s))
    surf = sorted(set(surf), key=lambda s: (-len(s), s))
    units = factor_first([regex.escape(s).replace("\\ ", r"\s").replace(" ", r"\s") for s in surf], ignore_case=False)
    # longest first across entries too: "nodes and edges" (items) before "nodes" (cluster)
    nouns = factor_first(longest_first([a for e in sections.get("units.yml:count_nouns", ()) if e.get("nouns")
                                        for a in split_alternatives(str(e.get("nouns")))]), ignore_case=True)
    hw: list[str] = []
    for e in sections.get("hardware.yml:hardware", ()):
        if e.get("category") in ("gpu", "tpu", "npu", "accelerator", "fpga", "cpu", "node") \
                and e.get("hardware") not in ("GPU", "CPU", "TPU", "NPU", "FPGA", "GPU node"):
            hw.extend(longest_first([str(a) for a in e.get("aliases") or ()]))
    return {"UNIT": units, "NOUN": "(?i:" + nouns + ")", "HW": "(?i:" + factor_first(hw, ignore_case=True) + ")"}


def load_rules(directory: str | os.PathLike | None = None) -> Rules:
    """Load and validate every rule file; raise one RuleError listing every problem."""
    d = Path(directory) if directory is not None else rules_dir()
    problems: list[str] = []
    if not d.is_dir():
        raise RuleError([f"rules directory {d} does not exist; set CLAIMS_RULES to the rules/ folder"])
    hasher = hashlib.sha256()
    entries: dict[str, Entry] = {}
    sections: dict[str, list[Entry]] = {}
    for fname in RULE_FILES:
        path = d / fname
        if not path.exists():
            problems.append(f"{fname}: missing from {d}")
            continue
        hasher.update(fname.encode() + b"\0" + path.read_bytes() + b"\0")
        data = _load_yaml(path, problems)
        if data is None:
            continue
        if not isinstance(data, dict):
            problems.append(f"{fname}: top level must be a mapping of sections")
            continue
        for sec, items in data.items():
            if not isinstance(items, list):
                problems.append(f"{fname}: section {sec!r} must be a list of entries")
                continue
            out = sections.setdefault(f"{fname}:{sec}", [])
            for i, item in enumerate(items):
                where = f"{fname}:{sec}[{i}]"
                if not isinstance(item, dict):
                    problems.append(f"{where}: entry must be a mapping")
                    continue
                eid = item.get("id")
                if not isinstance(eid, str) or not eid:
                    problems.append(f"{where}: missing 'id'")
                    continue
                if eid in entries:
                    problems.append(f"{where}: duplicate id {eid!r} (also in {entries[eid].file}); "
                                    f"rename one of them")
                    continue
                for key in ("examples", "counter_examples"):
                    if not isinstance(item.get(key, []), list):
                        problems.append(f"{eid}: {key!r} must be a list")
                if not item.get("examples"):
                    problems.append(f"{eid}: needs at least one example")
                try:
                    e = Entry(id=eid, file=fname, section=sec,
                              description=str(item.get("description", "")),
                              data=_freeze(item),
                              examples=_freeze(list(item.get("examples") or [])),
                              counter_examples=_freeze(list(item.get("counter_examples") or [])))
                except ValueError as exc:
                    problems.append(f"{where}: {exc}")
                    continue
                entries[eid] = e
                out.append(e)
    for fname in HASHED_FILES:
        if (d / fname).exists():
            hasher.update(fname.encode() + b"\0" + (d / fname).read_bytes() + b"\0")
    pint_path = d / PINT_FILE
    pint_defs = ""
    if pint_path.exists():
        pint_defs = pint_path.read_text(encoding="utf-8")
        hasher.update(PINT_FILE.encode() + b"\0" + pint_defs.encode())
    else:
        problems.append(f"{PINT_FILE}: missing from {d}")
    frozen_sections = {k: tuple(v) for k, v in sections.items()}

    # macros ------------------------------------------------------------------
    raw_macros: dict[str, str] = {}
    for e in frozen_sections.get("numbers.yml:macros", ()):
        name, pat = e.get("name"), e.get("pattern")
        if not isinstance(name, str) or not isinstance(pat, str):
            problems.append(f"{e.id}: macro needs 'name' and 'pattern'")
            continue
        raw_macros[name] = pat
    for name, src in _generated_macros(frozen_sections).items():
        if name in raw_macros:
            problems.append(f"numbers.yml: macro {name} is generated from other files; rename it")
        raw_macros[name] = src
    macros = _expand_macros(raw_macros, problems)
    for e in frozen_sections.get("numbers.yml:macros", ()):
        if e.get("name") in macros:
            _check_regex(e.id, macros[e.get("name")], problems)

    # regex-bearing entries -------------------------------------------------------
    short: list[tuple[str, str, str]] = []
    for key, es in frozen_sections.items():
        if key == "numbers.yml:macros":
            continue
        for e in es:
            for fld in ("pattern", "nouns", "guard"):
                src = e.get(fld)
                if isinstance(src, str):
                    try:
                        _check_regex(e.id, expand(src, macros), problems, fld)
                    except KeyError as exc:
                        problems.append(f"{e.id}: {fld}: unknown macro {exc.args[0]}")
            if isinstance(e.get("regex"), str):       # attach.yml: plain (not VERBOSE) patterns
                try:
                    regex.compile(e.get("regex"), regex.V0)
                except regex.error as exc:
                    problems.append(f"{e.id}: regex does not compile: {exc}")
            if e.get("engine") is not None and e.get("pattern") is not None:
                _check_engine(e, macros, problems)
            for fld in ("synonyms", "aliases"):
                if key.startswith("baselines.yml"):
                    continue
                for src in e.get(fld) or ():
                    short.append((e.id, str(src), fld))
    # Hundreds of short synonym / alias patterns: one compile of their alternation (each in its own
    # group, each checked to be balanced on its own, so that 'a)|(b' cannot hide in the
    # alternation) instead of one compile each (0.3 s per process); one by one only on failure.
    unbalanced = [x for x in short if not _balanced(x[1])]
    for eid, src, fld in unbalanced:
        problems.append(f"{eid}: {fld} does not compile: unbalanced parenthesis in {src!r}")
    try:
        regex.compile("|".join(f"(?:{x[1]})" for x in short if x not in unbalanced) or "x",
                      regex.VERBOSE | regex.V0)
    except regex.error:
        for eid, src, fld in short:
            _check_regex(eid, src, problems, fld)

    # vocabularies --------------------------------------------------------------
    metrics: list[Metric] = []
    for e in frozen_sections.get("metrics.yml:metrics", ()):
        if e.get("kind") not in METRIC_KINDS:
            problems.append(f"{e.id}: kind must be one of {sorted(METRIC_KINDS)}")
        hib = e.get("higher_is_better")
        if hib not in (True, False, None):
            problems.append(f"{e.id}: higher_is_better must be true, false or null")
        if not e.get("metric"):
            problems.append(f"{e.id}: missing 'metric'")
            continue
        metrics.append(Metric(e.get("metric"), e.get("kind"), hib, e.description,
                              tuple(e.get("synonyms") or ()), e.id))
    units: list[Unit] = []
    for e in frozen_sections.get("units.yml:units", ()):
        miss = [k for k in ("unit", "dimension", "unit_base", "factor") if e.get(k) is None]
        if miss:
            problems.append(f"{e.id}: missing {', '.join(miss)}")
            continue
        try:
            factor = float(e.get("factor"))
        except (TypeError, ValueError):
            problems.append(f"{e.id}: factor must be a number")
            continue
        units.append(Unit(str(e.get("unit")), e.get("dimension"), str(e.get("unit_base")), factor,
                          e.description, tuple(e.get("surfaces") or ()), e.get("metric"), e.id))
    hardware: list[Hardware] = []
    for e in frozen_sections.get("hardware.yml:hardware", ()):
        if e.get("category") not in CATEGORIES:
            problems.append(f"{e.id}: category must be one of {sorted(CATEGORIES)}")
        if not e.get("hardware"):
            problems.append(f"{e.id}: missing 'hardware'")
            continue
        hardware.append(Hardware(e.get("hardware"), e.get("category"), e.get("vendor"),
                                 tuple(str(a) for a in e.get("aliases") or ()), e.id))
    baselines: list[Baseline] = []
    alias_owner: dict[str, str] = {}
    for e in frozen_sections.get("baselines.yml:baselines", ()):
        if not e.get("canonical"):
            problems.append(f"{e.id}: missing 'canonical'")
            continue
        als = tuple(str(a) for a in e.get("aliases") or ())
        for a in (e.get("canonical"),) + als:
            low = a.lower()
            if low in alias_owner and alias_owner[low] != e.id:
                problems.append(f"{e.id}: alias {a!r} already belongs to {alias_owner[low]}")
            alias_owner[low] = e.id
        baselines.append(Baseline(e.get("canonical"), als, e.id))
    unit_names = [u.unit for u in units]
    for u in sorted(set(unit_names)):
        if unit_names.count(u) > 1:
            problems.append(f"units.yml: unit {u!r} defined {unit_names.count(u)} times")
    if problems:
        raise RuleError(problems)
    return Rules(entries=MappingProxyType(entries), sections=MappingProxyType(frozen_sections),
                 macros=MappingProxyType(macros), metrics=tuple(metrics), units=tuple(units),
                 hardware=tuple(hardware), baselines=tuple(baselines),
                 version=hasher.hexdigest()[:16], pint_definitions=pint_defs, directory=str(d))


def _check_regex(eid: str, src: str, problems: list[str], fld: str = "pattern") -> None:
    try:
        regex.compile(src, regex.VERBOSE | regex.V0)
    except regex.error as exc:
        problems.append(f"{eid}: {fld} does not compile: {exc}")


def _check_engine(e, macros: Mapping[str, str], problems: list[str]) -> None:
    """`engine: re` (speed only): the standard library's re must compile the pattern as it is."""
    if e.get("engine") != "re":
        problems.append(f"{e.id}: engine must be 're' (or absent for regex), not {e.get('engine')!r}")
    elif e.get("search_branches"):
        problems.append(f"{e.id}: engine: re applies to the whole pattern; drop it or search_branches")
    else:
        try:
            _re.compile(expand(str(e.get("pattern")), macros), _re.VERBOSE)
        except (_re.error, KeyError) as exc:
            problems.append(f"{e.id}: engine: re, but the standard library's re cannot compile the pattern ({exc}); "
                            "drop 'engine: re'")


@functools.lru_cache(maxsize=8)
def _cached(directory: str) -> Rules:
    return load_rules(directory)


def get_rules() -> Rules:
    """The loaded rules (cached per directory)."""
    return _cached(str(_rules_dir(os.environ.get("CLAIMS_RULES") or "")))


def rules_version() -> str:
    """Hash of the rule files' contents (changes whenever any rule file changes)."""
    return get_rules().version


def vocabulary_rows() -> dict[str, list[dict]]:
    """Rows for the metrics / units / hardware / baselines tables of db/schema.sql."""
    r = get_rules()
    baselines: dict[str, str] = {}
    for b in r.baselines:
        for a in (b.canonical,) + b.aliases:
            baselines.setdefault(a.lower(), b.canonical)
    metrics: dict[str, dict] = {}
    for m in r.metrics:   # 'other' exists as result and as scale metric: keep the first row
        metrics.setdefault(m.metric, {"metric": m.metric, "kind": m.kind,
                                      "higher_is_better": m.higher_is_better,
                                      "description": m.description})
    return {
        "metrics": list(metrics.values()),
        "units": [{"unit": u.unit, "dimension": u.dimension, "unit_base": u.unit_base,
                   "factor": u.factor, "description": u.description} for u in r.units],
        "hardware": [{"hardware": h.hardware, "category": h.category, "vendor": h.vendor}
                     for h in r.hardware],
        "baselines": [{"alias": a, "canonical": c} for a, c in baselines.items()],
    }


@functools.lru_cache(maxsize=4096)
def canonical_baseline(name: str) -> str | None:
    """Canonical baseline for a surface form ('state-of-the-art vLLM' -> 'vLLM'), else None."""
    if not name:
        return None
    r = get_rules()
    low = name.lower().strip()
    best: tuple[int, str] | None = None
    for b in r.baselines:
        for a in (b.canonical,) + b.aliases:
            al = a.lower()
            if low == al:
                return b.canonical
            if regex.search(r"(?<![\w-])" + regex.escape(al) + r"(?![\w-])", low):
                if best is None or len(al) > best[0]:
                    best = (len(al), b.canonical)
    return best[1] if best else None


@functools.lru_cache(maxsize=1)
def _baseline_matchers(directory: str):
    r = get_rules()
    aliases: dict[str, str] = {}
    for b in r.baselines:
        for a in (b.canonical,) + b.aliases:
            aliases.setdefault(a.lower(), b.canonical)
    alternation = "|".join(regex.escape(a) for a in sorted(aliases, key=len, reverse=True))
    known = regex.compile(r"(?<![\w-])(?:" + alternation + r")(?![\w-])", regex.I)
    names = {e.id: e for e in r.section("baselines.yml", "names")}
    split = regex.compile(names["bl.names.split"].get("pattern"))
    generic = regex.compile(names["bl.names.generic"].get("pattern"))
    strip = regex.compile(names["bl.names.strip"].get("pattern"), regex.I)
    return aliases, known, split, generic, strip


def is_known_baseline(name: str) -> bool:
    """Is `name` exactly a canonical baseline name or alias (baselines.yml, any case)?"""
    return name.lower() in _baseline_matchers(get_rules().directory)[0]


@functools.lru_cache(maxsize=4096)
def baseline_names(phrase: str | None) -> tuple[tuple[str, str], ...]:
    """The baselines a baseline phrase names, in order: (canonical name, text as written).

    'HuggingFace PEFT and vLLM' -> (('PEFT', 'HuggingFace PEFT'), ('vLLM', 'vLLM')). Known aliases
    (baselines.yml) are found anywhere in the phrase; parts of the phrase without one are names of
    their own unless they only describe ('strong baselines'): rules baselines.yml:names."""
    if not phrase:
        return ()
    aliases, known, split, generic, strip = _baseline_matchers(get_rules().directory)
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for part in split.split(phrase):
        part = part.strip()
        if not part:
            continue
        hits = [(aliases[m.group(0).lower()], m.group(0)) for m in known.finditer(part)]
        if not hits and not generic.match(part):
            name = strip.sub("", part).strip()
            if name and not generic.match(name):
                hits = [(name, name)]
        for canonical, written in hits:
            if canonical not in seen:
                seen.add(canonical)
                out.append((canonical, written))
    return tuple(out)
