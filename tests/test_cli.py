"""The commands and the Python API over a real DuckDB file built from the bundled corpus."""
from __future__ import annotations

import csv
import io
import json

import duckdb
import pytest
from click.testing import CliRunner

import claims
from claims.cli import main


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    db = tmp_path_factory.mktemp("cli") / "claims.duckdb"
    result = CliRunner().invoke(main, ["build", "--db", str(db)])
    assert result.exit_code == 0, result.output
    return db, result.output


def invoke(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def test_build_reports_352_papers_and_claims(built):
    db, output = built
    assert "352 papers (451 listings)" in output
    con = duckdb.connect(str(db), read_only=True)
    n_claims, n_sentences = con.execute("SELECT (SELECT count(*) FROM claims), (SELECT count(*) FROM sentences)").fetchone()
    assert n_claims > 500 and n_sentences > 2500
    # provenance: every span points at its mention inside its sentence
    bad = con.execute("""
        SELECT count(*) FROM claims c JOIN papers p USING (paper_id) JOIN sentences s USING (paper_id, sentence_index)
        WHERE substr(p.abstract, c.span_start + 1, c.span_end - c.span_start) <> c.mention
           OR c.span_start < s.span_start OR c.span_end > s.span_end""").fetchone()[0]
    assert bad == 0
    # rule vocabularies are tables too
    assert con.execute("SELECT higher_is_better FROM metrics WHERE metric = 'latency'").fetchone() == (False,)
    assert con.execute("SELECT count(*) FROM hardware WHERE hardware = 'H100'").fetchone() == (1,)


def test_query_speedups_by_hardware_in_every_format(built):
    db, _ = built
    rows = json.loads(invoke("query", "speedups_by_hardware", "--db", db, "--format", "json"))
    assert rows and all("hardware" in r for r in rows)
    sql = ("SELECT hardware, count(*) AS n, max(value) AS max_x FROM claims "
           "WHERE kind = 'ratio' AND hardware IS NOT NULL GROUP BY hardware ORDER BY n DESC, hardware")
    table = list(csv.DictReader(io.StringIO(invoke("query", sql, "--db", db, "--format", "csv"))))
    assert {"hardware", "n", "max_x"} == set(table[0])
    assert "hardware" in invoke("query", sql, "--db", db)


def test_best_mfu_is_megascale(built):
    db, _ = built
    sql = ("SELECT system, value FROM claims WHERE metric = 'mfu' AND kind = 'absolute' "
           "AND system = 'MegaScale' ORDER BY value DESC")
    rows = json.loads(invoke("query", sql, "--db", db, "--format", "json"))
    assert {"system": "MegaScale", "value": 55.2} in rows


def test_query_unknown_view_lists_the_known_ones(built):
    db, _ = built
    result = CliRunner().invoke(main, ["query", "no_such_view", "--db", str(db)])
    assert result.exit_code == 2 and "known:" in result.output and "claims" in result.output


def test_extract_command_keeps_given_paper_id(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"paper_id": "mine-1", "title": "NanoFlow: Serving",
                               "abstract": "NanoFlow achieves 1.91x throughput compared to vLLM."}) + "\n")
    out = tmp_path / "out.jsonl"
    invoke("extract", src, "-o", out)
    (rec,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert (rec["paper_id"], rec["mention"], rec["value"], rec["unit"], rec["kind"]) == ("mine-1", "1.91x", 1.91, "x", "ratio")
    assert rec["baseline"] == "vLLM" and rec["sentence"].startswith("NanoFlow achieves")


def test_python_api_extract_and_load(built):
    db, _ = built
    found = claims.extract("MegaScale achieves 55.2% MFU when training a 175B LLM model on 12,288 GPUs, "
                           "improving the MFU by 1.34x compared to Megatron-LM.", title="MegaScale: Scaling")
    assert isinstance(found[0], claims.Claim)
    assert {(c.mention, c.kind) for c in found} >= {("55.2%", "absolute"), ("1.34x", "ratio"), ("175B", "scale")}
    df = claims.load(db)
    assert {"claim_id", "title", "sentence", "mention", "value"} <= set(df.columns)
    assert len(df) == duckdb.connect(str(db), read_only=True).execute("SELECT count(*) FROM claims").fetchone()[0]


def test_every_command_has_help():
    for name, command in main.commands.items():
        assert command.help and command.help.strip(), name
        assert invoke(name, "--help")


def test_database_out_of_memory_is_one_line_and_leaves_no_database(tmp_path):
    """A DuckDB failure (here: a 1MB memory limit, as a 1M-paper commit hit at 256MB) is one line
    naming the knob, not a traceback, and no database file is left behind."""
    import os
    import subprocess
    import sys

    db = tmp_path / "c.duckdb"
    env = dict(os.environ, CLAIMS_DUCKDB_MEMORY="1MB")
    proc = subprocess.run([sys.executable, "-m", "claims.cli", "build", "--db", str(db)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: DuckDB "), proc.stderr
    assert "CLAIMS_DUCKDB_MEMORY" in lines[0] and "Traceback" not in proc.stderr
    assert not db.exists() and not list(tmp_path.iterdir())


def test_claim_baselines_keep_every_named_baseline(tmp_path):
    """'HuggingFace PEFT and vLLM' is two baselines: `beats vLLM` must find the claim (issue 13)."""
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"paper_id": "slora", "title": "S-LoRA: Serving Thousands of Adapters",
                               "abstract": "Compared to HuggingFace PEFT and vLLM, S-LoRA improves the "
                                           "throughput by up to 4 times. It beats strong baselines by 30%."}) + "\n")
    db = tmp_path / "c.duckdb"
    invoke("build", src, "--db", db)
    con = duckdb.connect(str(db), read_only=True)
    got = con.execute("""SELECT c.mention, b.baseline, b.mention, b.position FROM claim_baselines b
                         JOIN claims c USING (claim_id) ORDER BY c.mention, b.position""").fetchall()
    phrases = con.execute("SELECT baseline FROM claims WHERE baseline IS NOT NULL ORDER BY mention").fetchall()
    con.close()
    assert ("4 times", "PEFT", "HuggingFace PEFT", 0) in got and ("4 times", "vLLM", "vLLM", 1) in got
    assert not [g for g in got if g[0] == "30%"], got   # "strong baselines" names no baseline
    assert ("strong baselines",) in phrases
    out = tmp_path / "c.sqlite"
    invoke("publish", "--db", db, "--out", out)
    import sqlite3
    lite = sqlite3.connect(out)
    assert lite.execute("SELECT count(*) FROM claim_baselines WHERE baseline = 'vLLM'").fetchone()[0] == 1
    lite.close()
