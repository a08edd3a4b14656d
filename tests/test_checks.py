"""Physics checks (issue 15): the hardware catalogue (rules/hardware_specs.yml), the checks
(rules/checks.yml) with their examples and counter-examples, Hypothesis properties over the
catalogue, the build/publish integration and the physics_checks page in chromium."""
from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
import strategies  # noqa: E402,F401  (loads the Hypothesis profile)

from claims.checks import FLOAT_PRECISIONS, evaluate, load_catalogue, place, spec_rows  # noqa: E402
from claims.errors import RuleError  # noqa: E402
from claims.normalize import registry  # noqa: E402
from claims.rules import get_rules, rules_dir  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CAT = load_catalogue()
SPECS_TEXT = (rules_dir() / "hardware_specs.yml").read_text(encoding="utf-8")
SPECS = yaml.safe_load(SPECS_TEXT)

# Papers whose claims break physics, one per check family; the sentences go through the real
# extractor in the build test and on the browser page.
PHYSICS_PAPERS = [
    {"paper_id": "phys-tokens", "title": "TurboTrain: Training at Scale",
     "abstract": "We present TurboTrain. We train a 175B model at 1M tokens/s on 1,024 A100s."},
    {"paper_id": "phys-flops", "title": "FastKernel: Attention Beyond Limits",
     "abstract": "We present FastKernel. FastKernel sustains 700 TFLOP/s per A100 GPU."},
    {"paper_id": "phys-mfu", "title": "HyperMFU: Efficient Training",
     "abstract": "We present HyperMFU. HyperMFU reaches 105% MFU on 8 H100 GPUs."},
    {"paper_id": "phys-mem", "title": "BigMem: Training on One Card",
     "abstract": "We present BigMem. BigMem uses 48 GB of memory on a single RTX 4090."},
    {"paper_id": "phys-dgx", "title": "PodScale: Cluster Training",
     "abstract": "We present PodScale. PodScale sustains 25 PFLOP/s on 8 DGX A100 nodes."},
    {"paper_id": "phys-ok", "title": "FairKernel: Honest Numbers",
     "abstract": "We present FairKernel. FairKernel reaches 225 TFLOPs/s per A100 GPU (72% model FLOPs utilization)."},
]
EXPECTED_IMPOSSIBLE = {
    "phys-tokens": "check.tokens_above_peak", "phys-flops": "check.flops_above_peak",
    "phys-mfu": "check.utilization_above_100", "phys-mem": "check.memory_above_capacity",
    "phys-dgx": "check.flops_above_peak",
}


def run(records: list[dict]) -> list[dict]:
    return evaluate([dict(r, paper_id=r.get("paper_id", "p")) for r in records], CAT).to_pylist()


def fired(example: dict) -> list[dict]:
    """Rows of the example's target claim (`claim`, checked with the `paper` claims beside it)."""
    records = [dict(example["claim"], claim_id="target")]
    records += [dict(c, claim_id=f"other{i}") for i, c in enumerate(example.get("paper") or [])]
    return [r for r in run(records) if r["claim_id"] == "target"]


# ------------------------------------------------------------------------------ catalogue

def _figures():
    """(where, raw figure, source) of every figure in the file as written."""
    for dev in SPECS["devices"]:
        for v in dev["variants"]:
            items = [(f"peak.{p}", raw) for p, raw in (v.get("peak") or {}).items()]
            items += [(k, v[k]) for k in ("memory", "bandwidth", "tdp") if k in v]
            for name, raw in items:
                src = raw.get("source") if isinstance(raw, dict) else None
                yield f"{dev['id']} {v['variant']} {name}", raw, src or v.get("source")


def test_every_figure_has_a_source_and_a_unit_pint_parses():
    ureg = registry(get_rules().version)
    dims = {"peak": "FLOP/s", "memory": "B", "bandwidth": "B/s", "tdp": "W"}
    n = 0
    for where, raw, source in _figures():
        assert source and re.match(r"https?://\S+$", source), f"{where}: no source URL"
        text = raw["value"] if isinstance(raw, dict) else raw
        q = ureg.Quantity(str(text))
        want = ureg.Quantity(1, dims[where.split()[-1].split(".")[0]])
        assert q.to_base_units().dimensionality == want.to_base_units().dimensionality, where
        assert q.magnitude > 0, where
        n += 1
    assert n > 250
    assert spec_rows(CAT).num_rows == n


def test_header_credits_epoch_and_says_sparse_figures_are_not_peaks():
    header = SPECS_TEXT.split("devices:")[0]
    assert "Epoch AI" in header and "CC-BY" in header and "https://epoch.ai/data/machine-learning-hardware" in header
    assert re.search(r"sparsity.*NOT peaks", header, re.S)


def test_catalogue_names_are_hardware_yml_names():
    names = {h.hardware for h in get_rules().hardware}
    assert set(CAT.devices) <= names
    for want in ("V100", "A100", "H100", "H800", "A800", "H200", "B200", "L4", "L40S", "T4", "RTX 3090",
                 "RTX 4090", "MI250X", "MI300X", "TPU v2", "TPU v3", "TPU v4", "TPU v5e", "TPU v5p", "TPU v6e",
                 "Gaudi2", "Gaudi3", "Ascend 910B", "CS-2"):
        assert want in CAT.devices, want


# The issue's starting figures (dense, per chip): BF16/FP16 TFLOP/s, GB, TB/s of the default variant
ISSUE_FIGURES = [
    ("V100", "fp16", 125, 32, 0.90), ("A100", "bf16", 312, 80, 2.04), ("H100", "bf16", 989, 80, 3.35),
    ("H200", "bf16", 989, 141, 4.8), ("B200", "bf16", 2250, 180, 7.7), ("MI250X", "bf16", 383, 128, 3.28),
    ("MI300X", "bf16", 1307, 192, 5.3), ("TPU v2", "bf16", 45, 16, 0.6), ("TPU v3", "bf16", 123, 32, 0.9),
    ("TPU v4", "bf16", 275, 32, 1.2), ("TPU v5e", "bf16", 197, 16, 0.82), ("TPU v5p", "bf16", 459, 95, 2.77),
    ("TPU v6e", "bf16", 918, 32, 1.64), ("Gaudi2", "bf16", 432, 96, 2.45), ("Gaudi3", "bf16", 1835, 128, 3.7),
]


# Google gives the TPU v2-v4 memories in GiB (16/32/32 GiB); the issue wrote them as GB
GIB = {"TPU v2", "TPU v3", "TPU v4"}


@pytest.mark.parametrize("hardware,precision,tflops,gb,tbs", ISSUE_FIGURES)
def test_issue_figures(hardware, precision, tflops, gb, tbs):
    v = CAT.devices[hardware].default
    assert v.peak(precision).base == pytest.approx(tflops * 1e12, rel=0.005)
    assert v.one("memory").base == pytest.approx(gb * (2 ** 30 if hardware in GIB else 1e9), rel=0.005)
    assert v.one("bandwidth").base == pytest.approx(tbs * 1e12, rel=0.01)


def test_other_issue_figures_and_variants():
    h100 = CAT.devices["H100"]
    assert h100.default.peak("fp8").base == pytest.approx(1979e12, rel=0.001)
    assert h100.default.peak("tf32").base == pytest.approx(495e12, rel=0.001)
    pcie = next(v for v in h100.variants if v.name.startswith("PCIe"))
    assert pcie.peak("bf16").base == pytest.approx(756e12) and pcie.one("bandwidth").base == pytest.approx(2.0e12)
    a100 = {v.name: v for v in CAT.devices["A100"].variants}
    assert a100["SXM4 40GB"].one("memory").base == 40e9 and a100["SXM4 80GB"].one("memory").base == 80e9
    assert a100["SXM4 40GB"].one("bandwidth").base == pytest.approx(1.555e12)
    assert a100["SXM4 80GB"].peak("tf32").base == pytest.approx(156e12)
    assert CAT.devices["V100"].best("memory")[0].base == 32e9
    assert CAT.devices["B200"].default.peak("fp8").base == pytest.approx(4500e12)
    assert CAT.devices["MI300X"].default.peak("fp8").base == pytest.approx(2615e12, rel=0.001)


def test_uncertain_figures_say_why_and_ascend_910b_is_uncertain():
    for where, raw, _ in _figures():
        if isinstance(raw, dict) and raw.get("uncertain"):
            assert raw.get("note"), f"{where}: uncertain without a note"
    fp16 = CAT.devices["Ascend 910B"].default.peak("fp16")
    assert fp16.uncertain and fp16.low == pytest.approx(320e12) and fp16.base == pytest.approx(376e12)


@pytest.mark.parametrize("entry", SPECS["systems"], ids=lambda e: e["id"])
def test_system_examples_resolve_to_device_x_count(entry):
    system = next(s for s in CAT.systems if s.entry_id == entry["id"])
    hw = next((h for h in system.hardware if h != system.device), system.device)
    for text in entry["examples"]:
        where = place({"hardware": hw, "sentence": text}, CAT)
        assert where and where.system is system and where.count == system.devices, text
        assert where.device.hardware == system.device
    for text in entry["counter_examples"]:
        where = place({"hardware": hw, "sentence": text}, CAT)
        assert where is None or where.system is not system, text


def test_dgx_nodes_and_pods_resolve():
    assert place({"hardware": "DGX", "hardware_count": 64, "sentence": "64 DGX A100 nodes"}, CAT).count == 512
    pod = place({"hardware": "TPU v4", "sentence": "training on a TPU v4 pod"}, CAT)
    assert pod.count == 4096 and pod.device.hardware == "TPU v4"
    assert place({"hardware": "TPU v5e", "sentence": "a TPU v5e-256 slice"}, CAT).count == 256
    # a count of the device itself stays a device count
    assert place({"hardware": "A100", "hardware_count": 64, "sentence": "64 A100s in HGX A100 servers"}, CAT).count == 64
    assert place({"hardware": "GPU", "sentence": "on 8 GPUs"}, CAT) is None


@pytest.mark.parametrize("entry", [e for e in SPECS["devices"]], ids=lambda e: e["id"])
def test_device_examples_within_spec_and_counter_examples_flagged(entry):
    for claim in entry.get("examples") or []:
        rows = run([dict(claim, claim_id="c")])
        assert not [r for r in rows if r["severity"] in ("impossible", "unusual")], (claim, rows)
    for claim in entry.get("counter_examples") or []:
        rows = run([dict(claim, claim_id="c")])
        assert [r for r in rows if r["severity"] == "impossible"], (claim, rows)


def test_a_broken_catalogue_lists_every_problem(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(rules_dir(), rules)
    text = (rules / "hardware_specs.yml").read_text()
    text = text.replace("bf16: 312 TFLOP/s", "bf16: 312 parsecs", 1)
    text = text.replace('source: "https://cloud.google.com/tpu/docs/v2",', "", 1)
    (rules / "hardware_specs.yml").write_text(text)
    checks = (rules / "checks.yml").read_text().replace("compute: ratio_above", "compute: no_such_thing", 1)
    (rules / "checks.yml").write_text(checks)
    with pytest.raises(RuleError) as err:
        load_catalogue(rules)
    problems = err.value.problems if hasattr(err.value, "problems") else str(err.value)
    text = str(problems)
    assert "spec.a100 SXM4 40GB bf16" in text and "pint" in text
    assert "spec.tpuv2 chip bf16: no source URL" in text and "spec.tpuv2 chip tdp" not in text
    assert "check.ratio_above_10000: compute 'no_such_thing'" in text


# ------------------------------------------------------------------------------ checks as rules

@pytest.mark.parametrize("check", CAT.checks, ids=lambda c: c.id)
def test_check_examples_fire_and_counter_examples_do_not(check):
    assert check.examples and check.counter_examples, f"{check.id}: needs both"
    for ex in check.examples:
        rows = [r for r in fired(ex) if r["check_id"] == check.id]
        assert len(rows) == 1, (check.id, ex, fired(ex))
        assert rows[0]["severity"] in (check.severity, check.parameters.get("without_count"))
        assert rows[0]["explanation"]
        json.loads(rows[0]["figures"])
    for ex in check.counter_examples:
        assert not [r for r in fired(ex) if r["check_id"] == check.id], (check.id, ex)


@pytest.mark.parametrize("cue", CAT.cue_entries, ids=lambda e: e["id"])
def test_cue_examples(cue):
    pat = CAT.cues[cue["id"]]
    for text in cue["examples"]:
        assert pat.search(text), (cue["id"], text)
    for text in cue["counter_examples"]:
        assert not pat.search(text), (cue["id"], text)


def test_issue_arithmetic_175b_at_1m_tokens_on_1024_a100():
    rows = run([
        {"claim_id": "t", "metric": "throughput", "kind": "absolute", "value": 1e6, "unit": "tokens/s",
         "hardware": "A100", "hardware_count": 1024, "sentence": "we train a 175B model at 1M tokens/s on 1,024 A100s"},
        {"claim_id": "n", "metric": "model_size", "kind": "scale", "value": 175e9, "unit": "parameters",
         "sentence": "we train a 175B model at 1M tokens/s on 1,024 A100s"}])
    (row,) = rows
    figures = json.loads(row["figures"])
    assert row["severity"] == "impossible"
    assert figures["per_device_flops"] == pytest.approx(6 * 175e9 * 1e6 / 1024)      # ~1.03 PFLOP/s
    assert figures["per_device_flops"] / 312e12 == pytest.approx(3.29, abs=0.01)       # ~3x BF16 peak
    assert "1,024 A100" in row["explanation"] and "312 TFLOP/s" in row["explanation"]


def test_170_tflops_per_a100_is_54_percent():
    (row,) = run([{"claim_id": "f", "metric": "flops", "kind": "absolute", "value": 170, "unit": "TFLOP/s",
                   "hardware": "A100", "sentence": "170 TFLOP/s per GPU on A100"}])
    assert row["check_id"] == "check.flops_implied_utilization" and row["severity"] == "info"
    assert row["implied_utilization"] == pytest.approx(170 / 312)
    assert "54.5%" in row["explanation"]


def test_without_a_device_count_a_total_is_only_unusual():
    (row,) = run([{"claim_id": "f", "metric": "flops", "kind": "absolute", "value": 15, "unit": "PFLOP/s",
                   "hardware": "A100", "sentence": "we sustain 15 PFLOP/s on A100 GPUs"}])
    assert row["check_id"] == "check.flops_above_peak" and row["severity"] == "unusual"
    assert "cluster total" in row["explanation"]


# ------------------------------------------------------------------------------ variants (issue 15)

@pytest.mark.parametrize("cue", CAT.variant_cue_entries, ids=lambda e: e["id"])
def test_variant_cue_examples(cue):
    pat = CAT.variant_cues[cue["id"]]
    for text in cue["examples"]:
        m = pat.search(text)
        assert m, (cue["id"], text)
        if cue["id"] == "variant.memory":
            assert m.captures("gb") and all(g.isdigit() for g in m.captures("gb")), text
    for text in cue["counter_examples"]:
        assert not pat.search(text), (cue["id"], text)


@pytest.mark.parametrize("hardware,sentence,variants", [
    ("A100", "on 8 A100 GPUs", ["SXM4 40GB", "SXM4 80GB", "PCIe 40GB", "PCIe 80GB"]),
    ("A100", "on 8 A100 PCIe 40GB GPUs", ["PCIe 40GB"]),
    ("A100", "on 8 A100 40GB GPUs", ["SXM4 40GB", "PCIe 40GB"]),
    ("A100", "on 80GB A100s", ["SXM4 80GB", "PCIe 80GB"]),
    ("A100", "on A100-SXM4 GPUs", ["SXM4 40GB", "SXM4 80GB"]),
    ("A100", "uses 40 GB of memory on an A100", ["SXM4 40GB", "SXM4 80GB", "PCIe 40GB", "PCIe 80GB"]),
    ("A100", "on A100 24GB cards", ["SXM4 40GB", "SXM4 80GB", "PCIe 40GB", "PCIe 80GB"]),   # no such variant
    ("H100", "per H100 NVL", ["NVL 94GB"]),
    ("H100", "on H100 PCIe GPUs", ["PCIe 80GB"]),
    ("B200", "on GB200 GPUs", ["GB200 (per GPU)"]),
    ("V100", "on V100 (16GB) GPUs", ["SXM2 16GB", "PCIe 16GB"]),
    ("V100", "on V100 SXM2 (16GB) GPUs", ["SXM2 16GB"]),
    ("RTX 4090", "on an RTX 4090 PCIe card", ["24GB"]),     # one variant: nothing to narrow
])
def test_the_variant_a_sentence_names(hardware, sentence, variants):
    where = place({"hardware": hardware, "sentence": sentence}, CAT)
    assert [v.name for v in where.variants] == variants
    assert where.named == (len(variants) < len(CAT.devices[hardware].variants))


def _flops(value_tflops: float, hardware: str, sentence: str) -> list[dict]:
    return run([{"claim_id": "f", "metric": "flops", "kind": "absolute", "value": value_tflops, "unit": "TFLOP/s",
                 "hardware": hardware, "sentence": sentence}])


def _verdicts(rows: list[dict]) -> dict[str, str]:
    return {r["check_id"]: r["severity"] for r in rows}


def test_variant_boundary_family_vs_named_variant():
    """The H100's variants differ in peak (FP8: PCIe 1,513, NVL 1,670.5, SXM5 1,978.9 TFLOP/s).
    Naming only the family, a rate past the PCIe's peak but within the SXM5's is unusual (which
    variant ran?), not impossible; naming the PCIe, the same rate is impossible; naming the SXM5,
    it is only above the BF16 peak (FP8?)."""
    family = _verdicts(_flops(1600, "H100", "1.6 PFLOP/s per H100"))
    assert family.get("check.flops_above_some_variant") == "unusual" and "check.flops_above_peak" not in family
    row = next(r for r in _flops(1600, "H100", "1.6 PFLOP/s per H100") if r["check_id"] == "check.flops_above_some_variant")
    assert "PCIe 80GB" in row["explanation"] and "SXM5 80GB" in row["explanation"] and "which variant" in row["explanation"]
    pcie = _verdicts(_flops(1600, "H100", "1.6 PFLOP/s per H100 PCIe"))
    assert pcie.get("check.flops_above_peak") == "impossible" and "check.flops_above_some_variant" not in pcie
    sxm = _verdicts(_flops(1600, "H100", "1.6 PFLOP/s per H100 SXM5"))
    assert "check.flops_above_peak" not in sxm and "check.flops_above_some_variant" not in sxm
    assert sxm.get("check.flops_above_bf16") == "unusual"
    # past the fastest variant: impossible whatever the sentence names
    assert _verdicts(_flops(2500, "H100", "2.5 PFLOP/s per H100")).get("check.flops_above_peak") == "impossible"


def test_variant_boundary_implied_utilization_uses_the_named_variant():
    (row,) = _flops(378, "H100", "378 TFLOP/s per H100 PCIe")
    assert row["check_id"] == "check.flops_implied_utilization" and row["implied_utilization"] == pytest.approx(0.5)
    (row,) = _flops(378, "H100", "378 TFLOP/s per H100")                # the default, SXM5
    assert row["implied_utilization"] == pytest.approx(378 / 989.4)
    assert json.loads(row["figures"])["variant"] == "SXM5 80GB"


def test_variant_boundary_memory_of_the_named_variant():
    mem = {"claim_id": "m", "metric": "memory", "kind": "absolute", "value": 48, "unit": "GB", "hardware": "A100"}
    assert not run([dict(mem, sentence="48 GB on one A100")])                       # an 80GB A100 holds it
    (row,) = run([dict(mem, sentence="48 GB on one A100 40GB")])
    assert row["check_id"] == "check.memory_above_capacity" and row["severity"] == "impossible"
    assert json.loads(row["figures"])["mark"] == "48 GB > the A100 SXM4 40GB's 40 GB"


@pytest.mark.parametrize("hardware", sorted(h for h, d in CAT.devices.items() if d.best("peak", FLOAT_PRECISIONS)))
def test_variant_boundary_exactly_at_the_peak(hardware):
    """The boundary the tokens/s property had been kept away from: a training throughput whose
    per-device rate is exactly the fastest variant's peak (RTX 4090: its FP8 660.6 TFLOP/s, four
    times the BF16 peak that implied utilization divides by) is not impossible, although
    6 x N x tokens/s / count comes back a rounding error above the peak; 0.1% more is."""
    dev = CAT.devices[hardware]
    peak = dev.best("peak", FLOAT_PRECISIONS)[0].base
    for frac, impossible in ((1.0, False), (1.001, True)):
        for n, count in ((1.3e9, 9567), (7e9, 3), (175e9, 1024)):
            tps = frac * peak * count / (6 * n)
            sentence = f"we train a {n:.3g}-parameter model at {tps:.6g} tokens/s on {count} {hardware} GPUs"
            rows = run([{"claim_id": "t", "metric": "throughput", "kind": "absolute", "value": tps, "unit": "tokens/s",
                         "hardware": hardware, "hardware_count": count, "sentence": sentence},
                        {"claim_id": "n", "metric": "model_size", "kind": "scale", "value": n, "unit": "parameters",
                         "sentence": sentence}])
            verdicts = _verdicts(rows)
            assert (verdicts.get("check.tokens_above_peak") == "impossible") == impossible, (frac, n, count, rows)
            if not impossible and dev.half(dev.default) is not None:
                implied = next(r for r in rows if r["check_id"] == "check.tokens_implied_utilization")
                assert implied["implied_utilization"] == pytest.approx(peak / dev.half(dev.default).base)


# ------------------------------------------------------------------------------ properties

FLOP_DEVICES = sorted(h for h, d in CAT.devices.items() if d.best("peak", FLOAT_PRECISIONS))
MEM_DEVICES = sorted(h for h, d in CAT.devices.items() if d.best("memory"))


# how a sentence writes a variant's form factor (the variant_cues it is named_by)
FORM_WORDS = {"variant.sxm": "SXM", "variant.pcie": "PCIe", "variant.nvl": "NVL", "variant.gb200": "GB200",
              "variant.hgx_b200": "HGX B200"}


@st.composite
def flops_claim(draw, beyond: bool):
    """A FLOP/s claim a drawn fraction of the peak; half the time on a named variant (its form
    factor and capacity written after the device: 'A100 PCIe 40GB'), whose peak is then the limit,
    else on the family, whose fastest variant's peak is."""
    hw = draw(st.sampled_from(FLOP_DEVICES))
    dev = CAT.devices[hw]
    peak, where = dev.best("peak", FLOAT_PRECISIONS)[0].base, hw
    if len(dev.variants) > 1 and draw(st.booleans()):
        v = draw(st.sampled_from([v for v in dev.variants if v.top() is not None]))
        gb = round(v.one("memory").base / 1e9)
        where = " ".join([hw] + [FORM_WORDS[c] for c in v.named_by] + [f"{gb}GB"])
        peak = v.top().base
    frac = draw(st.floats(1.001, 50.0) if beyond else st.floats(0.0001, 1.0))
    count = draw(st.integers(1, 20_000))
    per_gpu = draw(st.booleans())
    per = peak * frac
    if per_gpu:
        claim = {"value": per / 1e12, "unit": "TFLOP/s", "sentence": f"{per / 1e12:.6g} TFLOP/s per GPU on {count} {where}"}
    else:
        claim = {"value": per * count / 1e15, "unit": "PFLOP/s", "sentence": f"{per * count / 1e15:.6g} PFLOP/s on {count} {where} GPUs"}
    return dict(claim, claim_id="c", metric="flops", kind="absolute", hardware=hw, hardware_count=count)


@st.composite
def memory_claim(draw, beyond: bool):
    hw = draw(st.sampled_from(MEM_DEVICES))
    cap = CAT.devices[hw].best("memory")[0].base
    tol = CAT.check("check.memory_above_capacity").parameters["tolerance"]
    frac = draw(st.floats(1.0001 + tol, 1000.0) if beyond else st.floats(0.001, 1.0))
    gb = cap * frac / 1e9
    return {"claim_id": "m", "metric": draw(st.sampled_from(["memory", "memory_capacity"])),
            "kind": "absolute", "value": gb, "unit": "GB", "hardware": hw, "sentence": f"{gb:.6g} GB on a single {hw}"}


@given(flops_claim(beyond=False))
def test_flops_within_spec_is_never_impossible(claim):
    rows = run([claim])
    assert not [r for r in rows if r["severity"] == "impossible"], (claim, rows)
    assert all(r["implied_utilization"] is None or r["implied_utilization"] >= 0 for r in rows)


@given(flops_claim(beyond=True))
def test_flops_past_peak_is_always_impossible(claim):
    rows = run([claim])
    assert [r for r in rows if r["severity"] == "impossible" and r["check_id"] == "check.flops_above_peak"], (claim, rows)


@given(memory_claim(beyond=False))
def test_memory_within_capacity_is_never_impossible(claim):
    assert not [r for r in run([claim]) if r["severity"] == "impossible"]


@given(memory_claim(beyond=True))
def test_memory_past_capacity_is_always_impossible(claim):
    assert [r for r in run([claim]) if r["check_id"] == "check.memory_above_capacity"], claim


@st.composite
def tokens_paper(draw, beyond: bool):
    """A training throughput claim and its paper's model size, the per-device rate a drawn
    fraction of the device's highest dense float peak."""
    hw = draw(st.sampled_from(FLOP_DEVICES))
    peak = CAT.devices[hw].best("peak", FLOAT_PRECISIONS)[0].base
    # the full range: the peak itself is within spec (its own test: test_variant_boundary_exactly_at_the_peak)
    frac = draw(st.floats(1.001, 50.0) if beyond else st.floats(0.0001, 1.0))
    n = draw(st.sampled_from([1.3e9, 7e9, 70e9, 175e9, 1e12]))
    count = draw(st.integers(1, 20_000))
    tps = frac * peak * count / (6 * n)
    sentence = f"we train a {n:.3g}-parameter model at {tps:.6g} tokens/s on {count} {hw} GPUs"
    return [{"claim_id": "t", "metric": "throughput", "kind": "absolute", "value": tps, "unit": "tokens/s",
             "hardware": hw, "hardware_count": count, "sentence": sentence},
            {"claim_id": "n", "metric": "model_size", "kind": "scale", "value": n, "unit": "parameters",
             "sentence": sentence}]


@given(tokens_paper(beyond=False))
def test_tokens_within_spec_are_never_impossible(paper):
    rows = run(paper)
    assert not [r for r in rows if r["severity"] == "impossible"], (paper, rows)
    dev = CAT.devices[paper[0]["hardware"]]
    if dev.half(dev.default) is not None:     # implied utilization divides by the BF16/FP16 peak
        assert [r for r in rows if r["check_id"] == "check.tokens_implied_utilization"], rows


@given(tokens_paper(beyond=True))
def test_tokens_past_peak_are_always_impossible(paper):
    rows = run(paper)
    assert [r for r in rows if r["check_id"] == "check.tokens_above_peak" and r["severity"] == "impossible"], rows


@given(st.floats(0.0, 100.0), st.floats(100.001, 1e4))
def test_utilization_property(ok, bad):
    base = {"metric": "mfu", "kind": "absolute", "unit": "%", "sentence": "MFU"}
    assert not run([dict(base, claim_id="a", value=ok)])
    assert run([dict(base, claim_id="b", value=bad)])[0]["severity"] == "impossible"


# ------------------------------------------------------------------------------ build, publish, site

@pytest.fixture(scope="module")
def physics_db(tmp_path_factory):
    from claims.store import build

    d = tmp_path_factory.mktemp("physics")
    src = d / "papers.jsonl"
    src.write_text("".join(json.dumps(p) + "\n" for p in PHYSICS_PAPERS), encoding="utf-8")
    build([src], d / "claims.duckdb")
    return d / "claims.duckdb"


@pytest.fixture(scope="module")
def physics_site_db(physics_db):
    from claims.publish import publish

    out = physics_db.parent / "site" / "claims.sqlite"
    publish(physics_db, out)
    return out


def test_build_flags_every_physics_paper(physics_db):
    from claims.store import query

    rows = query(physics_db, "SELECT c.paper_id, k.check_id FROM checks k JOIN claims c USING (claim_id) "
                             "WHERE k.severity = 'impossible'").to_pylist()
    got = {(r["paper_id"], r["check_id"]) for r in rows}
    assert got == set(EXPECTED_IMPOSSIBLE.items())
    ok = query(physics_db, "SELECT m.implied_utilization, m.marks FROM claim_marks m JOIN claims c USING (claim_id) "
                           "WHERE c.paper_id = 'phys-ok' AND c.metric = 'mfu'").to_pylist()
    assert len(ok) == 1 and ok[0]["marks"] is None and ok[0]["implied_utilization"] == pytest.approx(225 / 312, abs=1e-4)
    first = query(physics_db, "SELECT severity FROM physics_checks ORDER BY severity_order LIMIT 1").to_pylist()
    assert first == [{"severity": "impossible"}]
    n = query(physics_db, "SELECT count(*) AS n FROM hardware_specs WHERE hardware = 'A100'").to_pylist()[0]["n"]
    assert n == sum(1 for h in spec_rows(CAT).column("hardware").to_pylist() if h == "A100") == 4 * 9


@pytest.mark.parametrize("batch", [1, 3])
def test_store_checks_in_small_batches_equals_one_pass(bundled_claims_duckdb, tmp_path, monkeypatch, batch):
    """store_checks streams its input: papers cut across batches are evaluated whole (the
    mfu_vs_implied check reads other claims of the same paper), the rows are the one-pass ones."""
    import shutil

    import duckdb

    from claims import checks

    db = tmp_path / "copy.duckdb"
    shutil.copyfile(bundled_claims_duckdb, db)
    con = duckdb.connect(str(db))
    metrics, limit = checks.input_filter(CAT)
    claims = con.sql(checks.INPUT_SQL, params=[metrics, limit]).to_arrow_table().to_pylist()
    whole = sorted(map(repr, checks.evaluate(claims, CAT).to_pylist()))
    assert len(whole) >= 3 and any(r["check_id"] == "check.mfu_implied" for r in checks.evaluate(claims, CAT).to_pylist())
    monkeypatch.setattr(checks, "CHECK_BATCH_ROWS", batch)
    con.execute("DELETE FROM checks")
    n = checks.store_checks(con)
    got = sorted(map(repr, con.sql("SELECT * FROM checks").to_arrow_table().to_pylist()))
    con.close()
    assert n == len(whole) and got == whole


def test_bundled_corpus_checks(bundled_claims_duckdb):
    from claims.store import query

    rows = query(bundled_claims_duckdb, "SELECT check_id, severity, mention, implied_utilization FROM physics_checks").to_pylist()
    flagged = {(r["mention"], r["check_id"]) for r in rows if r["severity"] != "info"}
    assert ("64,865x", "check.ratio_above_10000") in flagged
    fa2 = [r for r in rows if r["mention"] == "225 TFLOPs/s"]
    assert fa2 and fa2[0]["implied_utilization"] == pytest.approx(225 / 312, abs=1e-4)
    mfu = [r for r in rows if r["check_id"] == "check.mfu_implied"]
    assert len(mfu) >= 2


def test_published_tables_and_pages(physics_site_db):
    from conftest import make_datasette

    con = sqlite3.connect(physics_site_db)
    order = [r[0] for r in con.execute("SELECT severity FROM physics_checks ORDER BY rowid")]
    assert order and order == sorted(order, key=["impossible", "unusual", "info"].index)
    assert con.execute("SELECT count(*) FROM hardware_specs WHERE source LIKE 'http%'").fetchone()[0] == \
        con.execute("SELECT count(*) FROM hardware_specs").fetchone()[0] > 250
    con.close()
    ds = make_datasette(physics_site_db)
    r = asyncio.run(ds.client.get("/claims/physics_checks.json?_shape=array&severity=impossible"))
    assert r.status_code == 200 and len(r.json()) == len(EXPECTED_IMPOSSIBLE)
    page = asyncio.run(ds.client.get("/claims/hardware_specs?hardware=A100"))
    assert page.status_code == 200 and "nvidia-a100-datasheet" in page.text


def test_explain_prints_the_checks():
    from claims.cli import main

    result = CliRunner().invoke(main, ["explain", "We train a 175B model at 1M tokens/s on 1,024 A100s."],
                                env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "check.tokens_above_peak" in result.output and "impossible" in result.output


CHROMIUM = "/usr/bin/chromium"


@pytest.mark.browser
def test_physics_checks_page_in_chromium(physics_site_db, tmp_path):
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    from conftest import running_site

    with running_site(physics_site_db, tmp_path / "serve.log") as base, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        try:
            page = browser.new_page(base_url=base, viewport={"width": 1280, "height": 900})
            page.goto("/claims/physics_checks")
            rows = page.locator("table.rows-and-columns tbody tr")
            assert rows.count() >= len(EXPECTED_IMPOSSIBLE)
            first = rows.first
            assert first.locator("td.col-severity").inner_text().strip() == "impossible"
            tokens = rows.filter(has_text="TurboTrain")
            text = tokens.locator("td.col-explanation").inner_text()
            assert "6 x 175B parameters x 1M tokens/s" in text and "3.29x" in text and "312 TFLOP/s" in text
            assert "1,024 A100s" in tokens.locator("td.col-sentence").inner_text()
            shots = REPO / "artifacts" / "screenshots"
            shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shots / "physics-checks.png"), full_page=True)
        finally:
            browser.close()
