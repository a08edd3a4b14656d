"""Shared pytest fixtures. Each owner keeps fixtures in a clearly marked section."""
from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# =============================================================================================
# Publish / site fixtures (owner: publish & site; tests/test_publish.py, test_site.py,
# test_serve_http.py, test_browser.py)
# =============================================================================================

# A tiny hand-made claims database: the MegaScale and NanoFlow sentences, a few serving
# comparisons against vLLM, an H100 MFU result, and a paper whose abstract carries HTML
# (`<script>`, `onerror=`) that the site must render as text.
MINI_PAPERS = [
    {
        "title": "MegaScale: Scaling Large Language Model Training to More Than 10,000 GPUs",
        "abstract": (
            "We present the design of MegaScale, a production system for training large language "
            "models at the scale of more than 10,000 GPUs. MegaScale achieves 55.2% Model FLOPs "
            "Utilization (MFU) when training a 175B LLM model on 12,288 GPUs, improving the MFU by "
            "1.34x compared to Megatron-LM."
        ),
        "claims": [
            # mention, occurrence, value, unit, kind, metric, direction, baseline, system, hardware, hw_count, model
            ("10,000 GPUs", 10000, "GPU", "scale", "hardware_count", None, None, "MegaScale", "GPU", 10000, None, "over"),
            ("55.2%", 55.2, "%", "absolute", "mfu", None, None, "MegaScale", "GPU", 12288, "175B LLM", None),
            ("175B", 175e9, "parameters", "scale", "model_size", None, None, "MegaScale", None, None, "175B LLM", None),
            ("12,288 GPUs", 12288, "GPU", "scale", "hardware_count", None, None, "MegaScale", "GPU", 12288, None, None),
            ("1.34x", 1.34, "x", "ratio", "mfu", "up", "Megatron-LM", "MegaScale", None, None, None, None),
        ],
    },
    {
        "title": "NanoFlow: Towards Optimal Large Language Model Serving Throughput",
        "abstract": (
            "We propose NanoFlow, a novel serving framework. With practical workloads, NanoFlow "
            "provides 1.91x throughput boost compared to state-of-the-art serving systems achieving "
            "59% to 72% of optimal throughput across ported models."
        ),
        "claims": [
            ("1.91x", 1.91, "x", "ratio", "throughput", "up", "state-of-the-art serving systems", "NanoFlow", None, None, None, None),
            ("59% to 72%", 59.0, "%", "absolute", "throughput", None, None, "NanoFlow", None, None, None, None),
        ],
    },
    {
        "title": "FastServe: Serving LLMs Faster on H100",
        "abstract": (
            "FastServe reaches 61.5% MFU on 8 H100 GPUs. FastServe improves throughput by up to "
            "2.5x over state-of-the-art vLLM and reduces latency by 40% compared to vLLM."
        ),
        "claims": [
            ("61.5%", 61.5, "%", "absolute", "mfu", None, None, "FastServe", "H100", 8, None, None),
            ("8 H100 GPUs", 8, "GPU", "scale", "hardware_count", None, None, "FastServe", "H100", 8, None, None),
            ("2.5x", 2.5, "x", "ratio", "throughput", "up", "state-of-the-art vLLM", "FastServe", "H100", None, None, "up to"),
            ("40%", 40.0, "%", "change", "latency", "down", "vLLM", "FastServe", "H100", None, None, None),
        ],
    },
    {
        "title": "SlowServe: Another H100 Result",
        "abstract": (
            "SlowServe reaches 48.0% MFU on 64 H100 GPUs. It trains on 1.4T tokens and delivers "
            "1.5x higher throughput than vLLM."
        ),
        "claims": [
            ("48.0%", 48.0, "%", "absolute", "mfu", None, None, "SlowServe", "H100", 64, None, None),
            ("64 H100 GPUs", 64, "GPU", "scale", "hardware_count", None, None, "SlowServe", "H100", 64, None, None),
            ("1.4T tokens", 1.4e12, "tokens", "scale", "data_size", None, None, "SlowServe", None, None, None, None),
            ("1.5x", 1.5, "x", "ratio", "throughput", "up", "vLLM", "SlowServe", None, None, None, None),
        ],
    },
    {
        "title": "XSS<script>alert('title')</script>: A Paper With Markup",
        "abstract": (
            "We test <script>alert('xss')</script> escaping. XSSNet is 3.5x faster than PyTorch "
            "<img src=x onerror=alert(1)> on A100 GPUs."
        ),
        "claims": [
            ("3.5x", 3.5, "x", "ratio", "speed", "up", "PyTorch", "XSSNet", "A100", None, None, None),
        ],
    },
]

MINI_VOCAB = {
    "metrics": [
        ("mfu", "result", True, "model FLOPs utilization"),
        ("throughput", "result", True, "throughput"),
        ("latency", "result", False, "latency"),
        ("speed", "result", True, "generic speed"),
        ("hardware_count", "scale", None, "accelerator count"),
        ("model_size", "scale", None, "parameters"),
        ("data_size", "scale", None, "tokens, samples"),
    ],
    "units": [
        ("x", "ratio", "dimensionless", 1.0, "factor"),
        ("%", "ratio", "dimensionless", 0.01, "percent"),
        ("GPU", "count", "GPU", 1.0, "GPUs"),
        ("parameters", "count", "parameters", 1.0, "parameters"),
        ("tokens", "count", "tokens", 1.0, "tokens"),
    ],
    "hardware": [("GPU", "gpu", None), ("H100", "gpu", "NVIDIA"), ("A100", "gpu", "NVIDIA")],
    "baselines": [("vllm", "vLLM"), ("megatron-lm", "Megatron-LM"), ("megatron", "Megatron-LM"),
                  ("pytorch", "PyTorch")],
}


def _sentences(abstract: str) -> list[tuple[int, int, str]]:
    """Split the hand-written abstracts at '. ' (they contain no abbreviations)."""
    out, start = [], 0
    while start < len(abstract):
        end = abstract.find(". ", start)
        end = len(abstract) if end < 0 else end + 1
        out.append((start, end, abstract[start:end]))
        start = end + 1
    return out


def make_mini_claims_db(path: Path) -> Path:
    """Write the hand-made claims DuckDB (db/schema.sql + db/views.sql) to `path`."""
    import duckdb

    from claims.gate import flag_rows, get_gate
    from claims.models import paper_id_for
    from claims.store import fill_claim_baselines

    gate = get_gate()

    con = duckdb.connect(str(path))
    con.execute((REPO / "db" / "schema.sql").read_text())
    for table, rows in MINI_VOCAB.items():
        marks = ", ".join("?" for _ in rows[0])
        con.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
    for paper in MINI_PAPERS:
        pid = paper_id_for(paper["title"])
        abstract = paper["abstract"]
        con.execute("INSERT INTO papers (paper_id, title, abstract, upvotes) VALUES (?, ?, ?, 1)",
                    [pid, paper["title"], abstract])
        con.execute("INSERT INTO paper_sources VALUES (?, 'mini.jsonl', 1)", [pid])
        sents = _sentences(abstract)
        for i, (s, e, text) in enumerate(sents):
            con.execute("INSERT INTO sentences (paper_id, sentence_index, span_start, span_end, text) "
                        "VALUES (?, ?, ?, ?, ?)", [pid, i, s, e, text])
        for (mention, value, unit, kind, metric, direction, baseline, system, hardware, hw_count,
             model, qualifier) in paper["claims"]:
            start = abstract.index(mention)
            end = start + len(mention)
            index = next(i for i, (s, e, _) in enumerate(sents) if s <= start < e)
            claim_id = hashlib.sha1(f"{pid}|{start}|{end}|{mention}".encode()).hexdigest()[:16]
            value_high = 72.0 if mention == "59% to 72%" else None
            s_start, _, s_text = sents[index]
            excluded = gate.excluded_by(kind, metric, unit, system, mention, s_text,
                                        start - s_start, end - s_start, baseline)   # the real gate
            con.execute(
                "INSERT INTO claims VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [claim_id, pid, index, start, end, mention, value, value_high, unit, kind, metric,
                 direction, qualifier, baseline, system, hardware, hw_count, model, None, None,
                 "mini." + kind, "mini", excluded])
    con.execute("INSERT INTO build_info VALUES ('rules_version', 'mini')")
    for f in flag_rows():
        con.execute("INSERT INTO gate_flags VALUES (?, ?, ?, ?, ?)", list(f.values()))
    fill_claim_baselines(con)
    con.execute((REPO / "db" / "views.sql").read_text())
    con.close()
    return path


@pytest.fixture(scope="session")
def mini_claims_duckdb(tmp_path_factory) -> Path:
    """Hand-made claims DuckDB (5 papers) for unit-level publish/site tests."""
    return make_mini_claims_db(tmp_path_factory.mktemp("mini") / "claims.duckdb")


@pytest.fixture(scope="session")
def mini_site_db(tmp_path_factory, mini_claims_duckdb) -> Path:
    """The mini database published to SQLite (file named claims.sqlite, as Datasette expects)."""
    from claims.publish import publish

    out = tmp_path_factory.mktemp("mini-site") / "claims.sqlite"
    publish(mini_claims_duckdb, out)
    return out


@pytest.fixture(scope="session")
def bundled_claims_duckdb(tmp_path_factory) -> Path:
    """`claims build` of the bundled corpus (the real ingest + extraction pipeline)."""
    from claims.store import build

    path = tmp_path_factory.mktemp("bundled") / "claims.duckdb"
    build(None, path)
    return path


@pytest.fixture(scope="session")
def bundled_site_db(tmp_path_factory, bundled_claims_duckdb) -> Path:
    """The bundled corpus published to SQLite."""
    from claims.publish import publish

    out = tmp_path_factory.mktemp("bundled-site") / "claims.sqlite"
    publish(bundled_claims_duckdb, out)
    return out


def make_datasette(db_path: Path):
    """In-process Datasette configured like `claims serve` (metadata, plugin, settings)."""
    import yaml
    from datasette.app import Datasette

    from claims import publish as pub

    metadata = yaml.safe_load(pub.metadata_path().read_text(encoding="utf-8"))
    return Datasette(
        immutables=[str(db_path)],
        metadata=metadata,
        plugins_dir=str(pub.PLUGINS_DIR),
        template_dir=str(pub.TEMPLATES_DIR),
        settings=dict(pub.SETTINGS),
    )


@pytest.fixture(scope="session")
def mini_site(mini_site_db):
    return make_datasette(mini_site_db)


@pytest.fixture(scope="session")
def bundled_site(bundled_site_db):
    return make_datasette(bundled_site_db)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_site(db_path: Path, log_path: Path):
    """`claims serve --site DB --port N` as a subprocess (its own session, so the Datasette child
    goes down with it); yields the base URL once /-/versions.json answers."""
    import httpx

    port = free_port()
    code = "import sys; from claims.cli import main; sys.exit(main())"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", code, "serve", "--site", str(db_path), "--port", str(port)],
            cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"claims serve exited {proc.returncode}: {log_path.read_text()[-2000:]}")
            try:
                if httpx.get(base + "/-/versions.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"claims serve did not answer: {log_path.read_text()[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="session")
def site_server(bundled_site_db, tmp_path_factory):
    """Base URL of a real `claims serve` on a free port, over the published bundled corpus."""
    with running_site(bundled_site_db, tmp_path_factory.mktemp("serve") / "serve.log") as base:
        yield base

# ============================================================================ end publish / site
