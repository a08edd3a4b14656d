"""Physics checks: every claim held against the hardware catalogue.

``rules/hardware_specs.yml`` is the catalogue (peak dense FLOP/s per precision, memory,
bandwidth, TDP, with a source per figure; systems such as DGX A100 = 8 A100), ``rules/checks.yml``
the checks (id, severity, the named computation below that evaluates it, its parameters,
examples and counter-examples). Both are data; this module only does the arithmetic.

``evaluate(claims)`` takes claim records (dicts with the claims table's fields plus ``sentence``),
groups them per paper and returns an Arrow table with one row per (claim, check that fired):
``claim_id, check_id, severity, explanation, implied_utilization, figures`` (JSON).
``store_checks(con)`` fills the ``hardware_specs`` and ``checks`` tables of a build in bulk.
"""
from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import pyarrow as pa
import regex

from .errors import RuleError
from .rules import _load_yaml, expand, get_rules, rules_dir

SPECS_FILE = "hardware_specs.yml"
CHECKS_FILE = "checks.yml"
SEVERITIES = ("impossible", "unusual", "info")
PRECISIONS = ("fp64", "fp32", "tf32", "bf16", "fp16", "fp8", "int8", "fp4")
FLOAT_PRECISIONS = ("fp64", "fp32", "tf32", "bf16", "fp16", "fp8", "fp4")   # FLOP/s are floating point
FIGURE_DIMENSIONS = {"peak": "FLOP/s", "memory": "B", "bandwidth": "B/s", "tdp": "W"}
MEMORY_CUE = "variant.memory"       # the variant cue whose group `gb` names a capacity ("A100 40GB")

CHECKS = pa.schema([
    ("claim_id", pa.string()), ("check_id", pa.string()), ("severity", pa.string()),
    ("explanation", pa.string()), ("implied_utilization", pa.float64()), ("figures", pa.string()),
])
SPECS = pa.schema([
    ("hardware", pa.string()), ("variant", pa.string()), ("is_default", pa.bool_()), ("vendor", pa.string()),
    ("year", pa.int32()), ("figure", pa.string()), ("precision", pa.string()), ("value", pa.float64()),
    ("unit", pa.string()), ("value_base", pa.float64()), ("unit_base", pa.string()), ("low", pa.float64()),
    ("uncertain", pa.bool_()), ("note", pa.string()), ("source", pa.string()), ("entry_id", pa.string()),
])


# --------------------------------------------------------------------------- catalogue

@dataclass(frozen=True)
class Figure:
    kind: str                 # peak | memory | bandwidth | tdp
    precision: str | None     # for peaks
    value: float              # as written, in `unit`
    unit: str
    base: float               # in base units (FLOP/s, B, B/s, W)
    low: float | None         # base units; uncertain figures only
    uncertain: bool
    note: str | None
    source: str


@dataclass(frozen=True)
class Variant:
    name: str
    figures: tuple[Figure, ...]
    named_by: tuple[str, ...] = ()     # ids of variant_cues that name this variant in a sentence

    def peak(self, precision: str) -> Figure | None:
        return next((f for f in self.figures if f.kind == "peak" and f.precision == precision), None)

    def one(self, kind: str) -> Figure | None:
        return next((f for f in self.figures if f.kind == kind), None)

    def top(self) -> Figure | None:
        """The highest dense floating-point peak of this variant."""
        peaks = [f for f in self.figures if f.kind == "peak" and f.precision in FLOAT_PRECISIONS]
        return max(peaks, key=lambda f: f.base) if peaks else None

    def memory_gb(self) -> set[int]:
        """The capacity as a sentence writes it: GB and GiB, rounded."""
        m = self.one("memory")
        return {round(m.base / 1e9), round(m.base / 2 ** 30)} if m else set()


@dataclass(frozen=True)
class Device:
    hardware: str
    vendor: str | None
    year: int | None
    default_variant: str
    variants: tuple[Variant, ...]
    entry_id: str

    @property
    def default(self) -> Variant:
        return next(v for v in self.variants if v.name == self.default_variant)

    def best(self, kind: str, precisions: Iterable[str] = (), variants: Iterable[Variant] | None = None
             ) -> tuple[Figure, Variant] | None:
        """The largest figure of a kind (over the given precisions for peaks) over the variants
        (all of them unless given)."""
        found = [(f, v) for v in (self.variants if variants is None else variants) for f in v.figures
                 if f.kind == kind and (kind != "peak" or f.precision in precisions)]
        return max(found, key=lambda fv: fv[0].base) if found else None

    def half(self, variant: Variant) -> Figure | None:
        return variant.peak("bf16") or variant.peak("fp16")

    def best_half(self, variants: Iterable[Variant] | None = None) -> tuple[Figure, Variant] | None:
        found = [(self.half(v), v) for v in (self.variants if variants is None else variants)
                 if self.half(v) is not None]
        return max(found, key=lambda fv: fv[0].base) if found else None


@dataclass(frozen=True)
class System:
    entry_id: str
    system: str
    hardware: tuple[str, ...]
    pattern: Any
    device: str
    devices: int
    source: str


@dataclass(frozen=True)
class Check:
    id: str
    severity: str
    compute: str
    comment: str
    computes: str
    parameters: Mapping[str, Any]
    examples: tuple
    counter_examples: tuple


@dataclass(frozen=True)
class Catalogue:
    devices: Mapping[str, Device]
    systems: tuple[System, ...]
    checks: tuple[Check, ...]
    cues: Mapping[str, Any]            # cue id -> compiled regex
    cue_entries: tuple[Mapping, ...]   # as written (tests run their examples)
    system_entries: tuple[Mapping, ...]
    device_entries: tuple[Mapping, ...]
    variant_cues: Mapping[str, Any] = field(default_factory=dict)   # hardware_specs.yml variant_cues
    variant_cue_entries: tuple[Mapping, ...] = ()

    def check(self, check_id: str) -> Check:
        return next(c for c in self.checks if c.id == check_id)


def _parse_figure(raw: Any, kind: str, precision: str | None, default_source: str | None, where: str,
                  ureg, problems: list[str]) -> Figure | None:
    spec = raw if isinstance(raw, Mapping) else {"value": raw}
    text = spec.get("value")
    source = spec.get("source") or default_source
    if not source or not str(source).startswith(("http://", "https://")):
        problems.append(f"{SPECS_FILE}: {where}: no source URL; add `source:` to the figure or its variant")
    try:
        q = ureg.Quantity(str(text))
        base = q.to_base_units()
        want = ureg.Quantity(1, FIGURE_DIMENSIONS[kind]).to_base_units()
        if base.dimensionality != want.dimensionality or not isinstance(q.magnitude, (int, float)):
            raise ValueError(f"unit of {text!r} is not {FIGURE_DIMENSIONS[kind]}")
        low = spec.get("low")
        low_base = float(ureg.Quantity(str(low)).to_base_units().magnitude) if low is not None else None
    except Exception as exc:  # pint raises several types for unparsable quantities
        problems.append(f"{SPECS_FILE}: {where}: {text!r} is not a quantity pint parses ({exc}); "
                        f"write it as '<number> <unit>', e.g. '312 TFLOP/s'")
        return None
    return Figure(kind, precision, float(q.magnitude), f"{q.units:~}".replace(" ", ""), float(base.magnitude),
                  low_base, bool(spec.get("uncertain", False)), spec.get("note"), str(source or ""))


def load_catalogue(directory: str | Path | None = None) -> Catalogue:
    """Load and validate both files; one RuleError listing every problem."""
    return _load_catalogue(str(Path(directory) if directory is not None else rules_dir()))


@functools.lru_cache(maxsize=4)
def _load_catalogue(directory: str) -> Catalogue:
    from .normalize import registry

    d = Path(directory)
    problems: list[str] = []
    specs = _load_yaml(d / SPECS_FILE, problems) or {}
    checks = _load_yaml(d / CHECKS_FILE, problems) or {}
    ureg = registry(get_rules().version)
    macros = get_rules().macros
    known_hw = {h.hardware for h in get_rules().hardware}
    ids: set[str] = set()

    def entry_id(item: Any, where: str) -> str | None:
        if not isinstance(item, Mapping) or not item.get("id"):
            problems.append(f"{where}: entry needs an 'id'")
            return None
        if item["id"] in ids:
            problems.append(f"{where}: duplicate id {item['id']!r}; rename one of them")
            return None
        ids.add(item["id"])
        return str(item["id"])

    def compile_patterns(items, file: str, section: str) -> dict:
        """id -> compiled pattern (macros expanded, case-insensitive) of a cue section."""
        out = {}
        for i, item in enumerate(items or []):
            eid = entry_id(item, f"{file}:{section}[{i}]")
            if eid is None:
                continue
            try:
                out[eid] = regex.compile(expand(str(item.get("pattern")), macros), regex.I)
            except (regex.error, KeyError) as exc:
                problems.append(f"{file}: {eid}: pattern does not compile: {exc}")
        return out

    variant_cues = compile_patterns(specs.get("variant_cues"), SPECS_FILE, "variant_cues")
    if MEMORY_CUE not in variant_cues:
        problems.append(f"{SPECS_FILE}: variant_cues needs {MEMORY_CUE!r} (a pattern with a group 'gb')")

    devices: dict[str, Device] = {}
    for i, item in enumerate(specs.get("devices") or []):
        eid = entry_id(item, f"{SPECS_FILE}:devices[{i}]")
        if eid is None:
            continue
        hw = item.get("hardware")
        if hw not in known_hw:
            problems.append(f"{SPECS_FILE}: {eid}: hardware {hw!r} is not a canonical name of hardware.yml; "
                            "add it there first")
        variants = []
        for v in item.get("variants") or []:
            figs = []
            for prec, raw in (v.get("peak") or {}).items():
                if prec not in PRECISIONS:
                    problems.append(f"{SPECS_FILE}: {eid}: unknown precision {prec!r} (one of {', '.join(PRECISIONS)})")
                    continue
                f = _parse_figure(raw, "peak", prec, v.get("source"), f"{eid} {v.get('variant')} {prec}", ureg, problems)
                figs.append(f)
            for kind in ("memory", "bandwidth", "tdp"):
                if v.get(kind) is not None:
                    figs.append(_parse_figure(v[kind], kind, None, v.get("source"),
                                              f"{eid} {v.get('variant')} {kind}", ureg, problems))
            named_by = tuple(v.get("named_by") or ())
            for cue in named_by:
                if cue not in variant_cues or cue == MEMORY_CUE:
                    problems.append(f"{SPECS_FILE}: {eid} {v.get('variant')}: named_by {cue!r} is not a "
                                    f"variant_cues id (the memory size needs none: {MEMORY_CUE} reads it)")
            variants.append(Variant(str(v.get("variant")), tuple(f for f in figs if f is not None), named_by))
        if not variants:
            problems.append(f"{SPECS_FILE}: {eid}: needs at least one variant")
            continue
        if item.get("default_variant") not in [v.name for v in variants]:
            problems.append(f"{SPECS_FILE}: {eid}: default_variant {item.get('default_variant')!r} is not one of its variants")
            continue
        devices[hw] = Device(hw, item.get("vendor"), item.get("year"), item["default_variant"], tuple(variants), eid)

    systems = []
    for i, item in enumerate(specs.get("systems") or []):
        eid = entry_id(item, f"{SPECS_FILE}:systems[{i}]")
        if eid is None:
            continue
        try:
            pat = regex.compile(str(item.get("pattern")), regex.I)
        except regex.error as exc:
            problems.append(f"{SPECS_FILE}: {eid}: pattern does not compile: {exc}")
            continue
        if item.get("device") not in devices:
            problems.append(f"{SPECS_FILE}: {eid}: device {item.get('device')!r} has no entry in devices")
            continue
        systems.append(System(eid, str(item.get("system")), tuple(item.get("hardware") or ()), pat,
                              item["device"], int(item.get("devices") or 0), str(item.get("source") or "")))

    cues = compile_patterns(checks.get("cues"), CHECKS_FILE, "cues")

    out_checks = []
    for i, item in enumerate(checks.get("checks") or []):
        eid = entry_id(item, f"{CHECKS_FILE}:checks[{i}]")
        if eid is None:
            continue
        if item.get("severity") not in SEVERITIES:
            problems.append(f"{CHECKS_FILE}: {eid}: severity must be one of {', '.join(SEVERITIES)}")
        if item.get("compute") not in COMPUTE:
            problems.append(f"{CHECKS_FILE}: {eid}: compute {item.get('compute')!r} is not one of {', '.join(sorted(COMPUTE))}")
        for key in ("comment", "computes"):
            if not item.get(key):
                problems.append(f"{CHECKS_FILE}: {eid}: needs a '{key}'")
        if not item.get("examples"):
            problems.append(f"{CHECKS_FILE}: {eid}: needs at least one example")
        out_checks.append(Check(eid, item.get("severity"), item.get("compute"), item.get("comment", ""),
                                item.get("computes", ""), dict(item.get("parameters") or {}),
                                tuple(item.get("examples") or ()), tuple(item.get("counter_examples") or ())))
    if problems:
        raise RuleError(problems)
    return Catalogue(devices, tuple(systems), tuple(out_checks), cues, tuple(checks.get("cues") or ()),
                     tuple(specs.get("systems") or ()), tuple(specs.get("devices") or ()),
                     variant_cues, tuple(specs.get("variant_cues") or ()))


def spec_rows(cat: Catalogue | None = None) -> pa.Table:
    """The catalogue as rows of the hardware_specs table: one per device, variant and figure."""
    cat = cat or load_catalogue()
    cols: dict[str, list] = {n: [] for n in SPECS.names}
    for dev in cat.devices.values():
        for v in dev.variants:
            for f in v.figures:
                row = {"hardware": dev.hardware, "variant": v.name, "is_default": v.name == dev.default_variant,
                       "vendor": dev.vendor, "year": dev.year, "figure": f.kind, "precision": f.precision,
                       "value": f.value, "unit": f.unit, "value_base": f.base,
                       "unit_base": FIGURE_DIMENSIONS[f.kind], "low": f.low, "uncertain": f.uncertain,
                       "note": f.note, "source": f.source, "entry_id": dev.entry_id}
                for k, val in row.items():
                    cols[k].append(val)
    return pa.table(cols, schema=SPECS)


# --------------------------------------------------------------------------- helpers

_PREFIXES = ((1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1, ""))


def fmt(value: float, unit: str) -> str:
    """A base-unit value with an SI prefix: fmt(2.25e14, 'FLOP/s') -> '225 TFLOP/s'."""
    for f, p in _PREFIXES:
        if abs(value) >= f:
            return f"{value / f:,.3g} {p}{unit}"
    return f"{value:.3g} {unit}"


_COUNTS = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"), (1, ""))


def fmt_count(value: float, unit: str) -> str:
    """A count with a suffix: fmt_count(1.75e11, 'parameters') -> '175B parameters'."""
    for f, p in _COUNTS:
        if abs(value) >= f:
            return f"{value / f:,.3g}{p} {unit}"
    return f"{value:.3g} {unit}"


def _times(r: float) -> str:
    return f"{r:.3f}x" if r < 1.1 else f"{r:.2f}x"


def pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _base(claim: Mapping) -> float | None:
    """The claim's value (upper end of a range) in base units."""
    from .normalize import to_base

    high = claim.get("value_high")
    value = max(claim["value"], high) if high is not None else claim["value"]
    b, _ = to_base(float(value), claim.get("unit") or "")
    return b


def _unit_base(claim: Mapping) -> str:
    from .normalize import to_base

    return to_base(1.0, claim.get("unit") or "")[1]


def _as_fraction(claim: Mapping) -> tuple[float, float] | None:
    unit = claim.get("unit")
    scale = {"%": 0.01, "dimensionless": 1.0}.get(unit)
    if scale is None:
        return None
    lo = claim["value"] * scale
    hi = (claim.get("value_high") or claim["value"]) * scale
    return lo, max(lo, hi)


def _applies(check: Check, claim: Mapping) -> bool:
    p = check.parameters
    return ((not p.get("metrics") or claim.get("metric") in p["metrics"])
            and (not p.get("kinds") or claim.get("kind") in p["kinds"])
            and (not p.get("units") or claim.get("unit") in p["units"]))


@dataclass
class Placement:
    """Where a claim ran: the device, how many, and how that was read."""
    device: Device
    count: int | None
    system: System | None
    per_device: bool        # a per-device cue matched the sentence
    variants: tuple[Variant, ...] = ()   # the variants the sentence allows (all when it names none)

    def __post_init__(self):
        if not self.variants:
            self.variants = self.device.variants

    @property
    def named(self) -> bool:
        """The sentence narrowed the family to some of its variants."""
        return len(self.variants) < len(self.device.variants)

    def default(self) -> Variant:
        """The variant implied utilization divides by: the device's default when the sentence
        allows it, else the allowed variant with the highest BF16/FP16 peak (the lower utilization)."""
        if self.device.default in self.variants:
            return self.device.default
        best = self.device.best_half(self.variants)
        return best[1] if best else self.variants[0]

    def words(self) -> str:
        sysw = f" ({self.count // self.system.devices if self.count else 1} x {self.system.system})" if self.system else ""
        return f"{self.count:,} {self.device.hardware}{sysw}" if self.count else self.device.hardware


def named_variants(dev: Device, sentence: str, cat: Catalogue) -> tuple[Variant, ...]:
    """The variants of `dev` a sentence allows. A form factor (variant_cues a variant is
    `named_by`: SXM, PCIe, NVL, ...) keeps the variants it names; a capacity next to a hardware name
    ("A100 40GB", "80GB H100", variant.memory) keeps those of that capacity. What names no variant
    of this device, or would leave none, narrows nothing: then every variant stays."""
    allowed = dev.variants
    if len(allowed) < 2:
        return allowed
    forms = {cue for cue, pat in cat.variant_cues.items() if cue != MEMORY_CUE and pat.search(sentence)}
    if forms & {c for v in allowed for c in v.named_by}:
        allowed = tuple(v for v in allowed if forms & set(v.named_by))
    mem = cat.variant_cues.get(MEMORY_CUE)
    gbs = {int(g) for m in mem.finditer(sentence) for g in m.captures("gb")} if mem else set()
    by_size = tuple(v for v in allowed if v.memory_gb() & gbs)
    return by_size or allowed


def place(claim: Mapping, cat: Catalogue) -> Placement | None:
    hw, sentence = claim.get("hardware"), claim.get("sentence") or ""
    count = claim.get("hardware_count")
    per = bool(cat.cues["cue.per_device"].search(sentence)) if "cue.per_device" in cat.cues else False
    for s in cat.systems:
        # a count of the device itself is already a device count; a count of systems multiplies
        if hw in s.hardware and s.pattern.search(sentence) and (hw != s.device or not count):
            dev = cat.devices[s.device]
            return Placement(dev, s.devices * (count or 1), s, per, named_variants(dev, sentence, cat))
    dev = cat.devices.get(hw)
    return Placement(dev, count, None, per, named_variants(dev, sentence, cat)) if dev else None


# --------------------------------------------------------------------------- computations
# Each takes (check, claim, paper context) and returns None (does not fire) or a Finding.

@dataclass
class Finding:
    explanation: str
    implied: float | None = None
    figures: dict = field(default_factory=dict)
    severity: str | None = None      # overrides the check's (e.g. lowered without a device count)


@dataclass
class Context:
    cat: Catalogue
    paper: list[Mapping]                     # all claims of the paper
    implied: dict[str, tuple[float, str, Mapping]] = field(default_factory=dict)   # claim_id -> (u, words, claim)
    fired: dict[str, set] = field(default_factory=dict)                            # claim_id -> check ids


def utilization_above(check: Check, claim: Mapping, ctx: Context) -> Finding | None:
    frac = _as_fraction(claim)
    if frac is None or frac[1] <= check.parameters["limit"]:
        return None
    metric = (claim.get("metric") or "utilization").replace("_", " ")
    metric = metric.upper() if metric in ("mfu", "hfu") else metric
    return Finding(f"{claim.get('metric')} of {pct(frac[1])} is above {pct(check.parameters['limit'])} of peak",
                   figures={"fraction": frac[1], "limit": check.parameters["limit"],
                            "mark": f"{metric} {pct(frac[1])} > {pct(check.parameters['limit'])}"})


def _peak_words(where: Placement, v: Variant, f: Figure, scope: str, tied: bool) -> str:
    """'the A100 BF16 dense peak of 312 TFLOP/s (every variant)', saying which variant and why.
    `tied`: every variant the sentence allows has this figure."""
    dev = where.device
    peak = f"{f.precision.upper()} dense peak of {fmt(f.base, 'FLOP/s')}"
    if len(dev.variants) == 1:
        return f"the {dev.hardware} {v.name} {peak}"
    if len(where.variants) == 1:
        return f"the {dev.hardware} {v.name} {peak} (the variant the sentence names)"
    allowed = "of the variants the sentence allows" if where.named else "of its variants; the sentence names none"
    if tied:
        return f"the {dev.hardware} {peak} (" + ("every variant the sentence allows)" if where.named else "every variant)")
    return {"fastest": f"the {dev.hardware} {v.name} {peak} (the fastest {allowed})",
            "slowest": f"the {dev.hardware} {v.name} {peak} (the slowest {allowed})",
            "default": f"the {dev.hardware} {v.name} {peak} (the default variant)"}[scope]


def _per_device_rate(check: Check, claim: Mapping, rate: float, where: Placement, what: str) -> tuple[Finding | None, float]:
    """Shared by the FLOP/s and tokens/s checks: the per-device rate against the chosen peak.

    `against` (checks.yml): max_peak = the highest dense float peak of the variants the sentence
    allows (named variant, else every variant: impossible only when impossible for all of them);
    min_peak = the lowest of those variants' highest peaks (above it, some variant could not, but
    another could: fires only when the variants differ); half_peak = their highest BF16/FP16 peak;
    none = implied utilization against the BF16/FP16 peak of the default variant (Placement.default).
    `tolerance` is relative, for float rounding only: a rate stated at the peak is not above it."""
    p = check.parameters
    dev = where.device
    if where.per_device or not where.count:
        per, how = rate, ("per device" if where.per_device else "taken as one device (no device count stated)")
    else:
        per, how = rate / where.count, f"over {where.words()} = {fmt(rate / where.count, 'FLOP/s')} per device"
    dv = where.default()
    half = dev.half(dv)
    implied = per / half.base if half else None
    figures = {"per_device_flops": per, "devices": where.count, "per_device_cue": where.per_device,
               "hardware": dev.hardware, "system": where.system.system if where.system else None,
               "variants": [v.name for v in where.variants], "variant_named": where.named}
    against = p.get("against")
    if against == "none":
        if implied is None:
            return None, per
        figures.update(peak=half.base, precision=half.precision, variant=dv.name)
        tied = all(dev.half(x) is not None and dev.half(x).base == half.base for x in where.variants)
        return Finding(f"{what} {how}: {pct(implied)} of {_peak_words(where, dv, half, 'default', tied)}",
                       implied, figures), per
    tops = [(v.top(), v) for v in where.variants if v.top() is not None]
    if against == "max_peak":
        best, scope = (max(tops, key=lambda fv: fv[0].base) if tops else None), "fastest"
    elif against == "min_peak":
        if len({f.base for f, _ in tops}) < 2:
            return None, per       # the allowed variants agree: max_peak decides alone
        best, scope = min(tops, key=lambda fv: fv[0].base), "slowest"
    else:
        tops = [(dev.half(v), v) for v in where.variants if dev.half(v) is not None]
        best, scope = dev.best_half(where.variants), "fastest"
    if best is None or per <= best[0].base * (1 + p.get("tolerance", 0.0)):
        return None, per
    f, v = best
    figures.update(peak=f.base, precision=f.precision, variant=v.name, uncertain=f.uncertain)
    sev = p.get("without_count") if not where.count and not where.per_device and p.get("without_count") else None
    caveat = " (if the figure is a cluster total it may be fine)" if sev else ""
    if scope == "slowest":
        fast = max(tops, key=lambda fv: fv[0].base)
        caveat += (f"; within the {fast[1].name}'s {fast[0].precision.upper()} peak of "
                   f"{fmt(fast[0].base, 'FLOP/s')}: which variant ran?")
    tied = all(t.base == f.base for t, _ in tops) and len(tops) == len(where.variants)
    which = v.name if len(dev.variants) > 1 and (len(where.variants) == 1 or scope == "slowest") else ""
    figures["mark"] = (f"{per / f.base:.3g}× the {' '.join(x for x in (dev.hardware, which) if x)} dense "
                       f"{f.precision.upper()} peak" + (" (a cluster total?)" if sev else "")
                       + (" (other variants are faster)" if scope == "slowest" else ""))
    return Finding(f"{what} {how}: {_times(per / f.base)} {_peak_words(where, v, f, scope, tied)}{caveat}",
                   implied, figures, sev), per


def _unless(check: Check, claim: Mapping, ctx: Context) -> bool:
    unless = check.parameters.get("unless") or []
    unless = [unless] if isinstance(unless, str) else unless
    return bool(ctx.fired.get(claim["claim_id"], set()) & set(unless))


def flops_per_device(check: Check, claim: Mapping, ctx: Context) -> Finding | None:
    where = place(claim, ctx.cat)
    if where is None or _unit_base(claim) != "FLOP / s" or _unless(check, claim, ctx):
        return None
    rate = _base(claim)
    found, _ = _per_device_rate(check, claim, rate, where, fmt(rate, "FLOP/s"))
    if found is not None and found.implied is not None:
        ctx.implied.setdefault(claim["claim_id"], (found.implied, found.explanation, claim))
    return found


def _model_size(claim: Mapping, ctx: Context) -> tuple[float, Mapping] | None:
    sizes = [c for c in ctx.paper if c.get("metric") == "model_size" and c.get("unit") == "parameters"]
    same = [c for c in sizes if c.get("sentence_index") == claim.get("sentence_index")
            and c.get("sentence") == claim.get("sentence")]
    for pool in (same, sizes):
        values = {c["value"] for c in pool}
        if len(values) == 1:
            return pool[0]["value"], pool[0]
        if len(values) > 1:
            return None    # several model sizes: which one ran at this rate is not known
    return None


def tokens_per_device(check: Check, claim: Mapping, ctx: Context) -> Finding | None:
    where = place(claim, ctx.cat)
    n = _model_size(claim, ctx)
    if where is None or n is None or _unless(check, claim, ctx):
        return None
    sentence = claim.get("sentence") or ""
    p = check.parameters
    training = bool(ctx.cat.cues["cue.training"].search(sentence)) and not ctx.cat.cues["cue.inference"].search(sentence)
    k = p["training_factor"] if training else p["inference_factor"]
    tps = _base(claim)
    rate = k * n[0] * tps
    what = (f"{k} x {fmt_count(n[0], 'parameters')} x {fmt_count(tps, 'tokens/s')} "
            f"({'training' if training else 'forward pass only'}) = {fmt(rate, 'FLOP/s')}")
    found, _ = _per_device_rate(check, claim, rate, where, what)
    if found is not None:
        found.figures.update(model_parameters=n[0], flop_per_token_factor=k, tokens_per_s=tps)
        if found.implied is not None:
            ctx.implied.setdefault(claim["claim_id"], (found.implied, found.explanation, claim))
    return found


def memory_per_device(check: Check, claim: Mapping, ctx: Context) -> Finding | None:
    where = place(claim, ctx.cat)
    if where is None or _unit_base(claim) != "B":
        return None
    best = where.device.best("memory", variants=where.variants)
    if best is None:
        return None
    cap, v = best
    tol = check.parameters.get("tolerance", 0.0)
    value = _base(claim)
    limit = cap.base * (1 + tol)
    if value <= limit:
        return None
    n = where.count if (where.count and not where.per_device) else 1
    fits_total = n > 1 and value <= limit * n
    figures = {"bytes": value, "capacity": cap.base, "variant": v.name, "devices": where.count, "tolerance": tol,
               "variants": [x.name for x in where.variants], "variant_named": where.named}
    name = f"{where.device.hardware} {v.name}" if where.named or len(where.device.variants) == 1 else where.device.hardware
    if check.parameters.get("aggregate") == "flag":
        if not fits_total:
            return None
        figures["mark"] = f"{fmt(value, 'B')} > one {name} ({fmt(cap.base, 'B')}): a cluster total?"
        return Finding(f"{fmt(value, 'B')} is more than one {where.device.hardware} holds ({fmt(cap.base, 'B')}, "
                       f"{v.name}) but fits {n:,} of them ({fmt(cap.base * n, 'B')}): a cluster total?", None, figures)
    if fits_total:
        return None
    figures["mark"] = f"{fmt(value, 'B')} > the {name}'s {fmt(cap.base, 'B')}"
    return Finding(f"{fmt(value, 'B')} per device is above the {where.device.hardware} {v.name} capacity of "
                   f"{fmt(cap.base, 'B')}" + (f" (x {n:,} devices = {fmt(cap.base * n, 'B')})" if n > 1 else ""),
                   None, figures)


def ratio_above(check: Check, claim: Mapping, ctx: Context) -> Finding | None:
    high = claim.get("value_high") or claim["value"]
    value = max(claim["value"], high)
    if value <= check.parameters["limit"]:
        return None
    return Finding(f"a factor of {value:,.0f}x ({claim.get('metric') or 'no metric'}) is above "
                   f"{check.parameters['limit']:,.0f}x", figures={"factor": value, "limit": check.parameters["limit"],
                                                                  "mark": f"{value:,.0f}× > {check.parameters['limit']:,.0f}×"})


def count_above(check: Check, claim: Mapping, ctx: Context) -> Finding | None:
    if claim["value"] <= check.parameters["limit"]:
        return None
    return Finding(f"{claim['value']:,.0f} {claim.get('unit')} is above {check.parameters['limit']:,.0f}",
                   figures={"count": claim["value"], "limit": check.parameters["limit"],
                            "mark": f"{claim['value']:,.0f} {claim.get('unit')} > {check.parameters['limit']:,.0f}"})


def mfu_vs_implied(check: Check, claim: Mapping, ctx: Context) -> Finding | None:
    frac = _as_fraction(claim)
    if frac is None:
        return None
    same = [x for x in ctx.implied.values() if x[2].get("sentence_index") == claim.get("sentence_index")
            and x[2].get("sentence") == claim.get("sentence")]
    # another sentence's figure only when it can be the same run: same system and hardware where given
    fits = lambda other, key: not claim.get(key) or not other.get(key) or claim.get(key) == other.get(key)  # noqa: E731
    rest = [x for x in ctx.implied.values() if fits(x[2], "system") and fits(x[2], "hardware")]
    pool = same or (rest if len(ctx.implied) == 1 else [])
    if len(pool) != 1:
        return None     # none, or several: which FLOP/s figure goes with this MFU is not known
    implied, words, source = pool[0]
    lo, hi = frac
    nearest = min(max(implied, lo), hi)
    off = abs(implied - nearest) / nearest if nearest else math.inf
    disagree = off > check.parameters["disagreement"]
    if disagree != bool(check.parameters.get("flag")):
        return None
    stated = pct(lo) if lo == hi else f"{pct(lo)}-{pct(hi)}"
    figures = {"stated": [lo, hi], "implied": implied, "relative_difference": off, "from_claim": source.get("claim_id"),
               "mark": f"stated {stated} vs implied {pct(implied)}"}
    verb = "disagrees with" if disagree else "agrees with"
    return Finding(f"stated {claim.get('metric')} {stated} {verb} the implied {pct(implied)} "
                   f"({off:.0%} apart): {words}", implied, figures)


COMPUTE: dict[str, Callable[[Check, Mapping, Context], Finding | None]] = {
    "utilization_above": utilization_above, "flops_per_device": flops_per_device,
    "tokens_per_device": tokens_per_device, "memory_per_device": memory_per_device,
    "ratio_above": ratio_above, "count_above": count_above, "mfu_vs_implied": mfu_vs_implied,
}
# computations that read what others found in the same paper run last
_LATE = ("mfu_vs_implied",)


# --------------------------------------------------------------------------- evaluation

def check_paper(claims: list[Mapping], cat: Catalogue | None = None) -> list[dict]:
    """Every check over the claims of one paper: rows of the checks table (dicts)."""
    cat = cat or load_catalogue()
    ctx = Context(cat, claims)
    rows: list[dict] = []
    order = [c for c in cat.checks if c.compute not in _LATE] + [c for c in cat.checks if c.compute in _LATE]
    for check in order:
        for claim in claims:
            if not _applies(check, claim):
                continue
            found = COMPUTE[check.compute](check, claim, ctx)
            if found is None:
                continue
            ctx.fired.setdefault(claim["claim_id"], set()).add(check.id)
            rows.append({"claim_id": claim["claim_id"], "check_id": check.id,
                         "severity": found.severity or check.severity, "explanation": found.explanation,
                         "implied_utilization": found.implied,
                         "figures": json.dumps(found.figures, sort_keys=True, default=str)})
    return rows


def evaluate(claims: Iterable[Mapping], cat: Catalogue | None = None) -> pa.Table:
    """Checks over claim records of any number of papers (grouped by paper_id), as Arrow."""
    cat = cat or load_catalogue()
    papers: dict[Any, list[Mapping]] = {}
    for i, c in enumerate(claims):
        c = dict(c)
        c.setdefault("claim_id", f"claim{i}")
        papers.setdefault(c.get("paper_id"), []).append(c)
    rows = [r for group in papers.values() for r in check_paper(group, cat)]
    return pa.Table.from_pylist(rows, schema=CHECKS)


def input_filter(cat: Catalogue | None = None) -> tuple[list[str], float]:
    """(metrics any check reads, the smallest ratio limit): the claims a build hands to evaluate()."""
    cat = cat or load_catalogue()
    metrics = sorted({m for c in cat.checks for m in c.parameters.get("metrics") or ()} | {"model_size"})
    limits = [c.parameters["limit"] for c in cat.checks if c.compute == "ratio_above"]
    return metrics, float(min(limits)) if limits else math.inf


CHECK_BATCH_ROWS = 20_000   # claims per batch of the build's checks (store_checks)
INPUT_SQL = """
SELECT c.claim_id, c.paper_id, c.sentence_index, c.mention, c.value, c.value_high, c.unit, c.kind,
       c.metric, c.system, c.hardware, c.hardware_count, c.model, s.text AS sentence
FROM claims c JOIN sentences s USING (paper_id, sentence_index)
WHERE list_contains(?, c.metric) OR (c.kind = 'ratio' AND greatest(c.value, coalesce(c.value_high, c.value)) > ?)
ORDER BY c.paper_id, c.span_start, c.claim_id
"""


def store_checks(con) -> int:
    """Fill hardware_specs and checks of a build (replacing what an appended-to database had)."""
    from .errors import DatabaseError

    cat = load_catalogue()
    metrics, ratio_limit = input_filter(cat)
    have = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if not {"hardware_specs", "checks"} <= have:
        raise DatabaseError("the database predates the physics checks (no hardware_specs/checks tables); "
                            "rebuild it without --append")
    con.execute("DELETE FROM hardware_specs")
    con.execute("DELETE FROM checks")
    con.from_arrow(spec_rows(cat)).insert_into("hardware_specs")
    # streamed: the input (claims with their sentences) is read CHECK_BATCH_ROWS at a time and
    # evaluated per paper (a paper's claims are consecutive: the query orders by paper), so that
    # memory does not grow with the database (the whole input as Python dicts was ~1.8 GB at 1M
    # papers). The checks that fired are few; they are inserted once the read is done.
    found: list[pa.Table] = []
    carry: list[dict] = []        # the claims of the last paper of a batch, which may go on
    reader = con.sql(INPUT_SQL, params=[metrics, ratio_limit]).to_arrow_reader(CHECK_BATCH_ROWS)
    for batch in reader:
        rows = carry + batch.to_pylist()
        last = rows[-1]["paper_id"] if rows else None
        cut = len(rows)
        while cut and rows[cut - 1]["paper_id"] == last:
            cut -= 1
        carry = rows[cut:]
        if cut:
            found.append(evaluate(rows[:cut], cat))
    if carry:
        found.append(evaluate(carry, cat))
    table = pa.concat_tables(found) if found else CHECKS.empty_table()
    if table.num_rows:
        con.from_arrow(table).insert_into("checks")
    return table.num_rows


def explain_checks(claims: list) -> Any:
    """A rich table of the checks of each number (claims.Claim objects of one sentence), for
    `claims explain`."""
    from rich.table import Table

    records = [{**c.model_dump(), "claim_id": c.claim_id} for c in claims]
    table = Table(title="physics checks (rules/checks.yml, rules/hardware_specs.yml)", show_lines=False)
    for col in ("mention", "check", "severity", "implied util.", "explanation"):
        table.add_column(col, overflow="fold")
    rows = evaluate(records).to_pylist()
    by_id = {r["claim_id"]: r["mention"] for r in records}
    for r in rows:
        u = r["implied_utilization"]
        table.add_row(by_id[r["claim_id"]], r["check_id"], r["severity"], "" if u is None else pct(u), r["explanation"])
    if not rows:
        table.add_row("-", "-", "-", "-", "no check applies to these numbers")
    return table
