"""Issue 7: bad input gives a one-line error or a recorded problem, never a traceback or a
half-written database. The cases live in tests/bad_inputs/ (big or permission-dependent ones are
made here at test time)."""
from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from claims.cli import main

BAD = Path(__file__).parent / "bad_inputs"


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    return result


def error_line(result) -> str:
    lines = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, result.output
    return lines[0]


def problems(db: Path) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT source, line, problem FROM problems ORDER BY source, line").fetchall()
    finally:
        con.close()


# --------------------------------------------------------------------------- fatal: one line, exit 2

@pytest.mark.parametrize("name, message", [
    ("empty.txt", "file is empty"),
    ("binary.txt", "binary file, not text"),
    ("unknown.docx", "unknown file type '.docx'"),
    ("does-not-exist.jsonl", "no such file or directory"),
])
def test_unreadable_inputs_are_one_line_errors_naming_the_file(tmp_path, name, message):
    db = tmp_path / "c.duckdb"
    result = run("build", BAD / name, "--db", db)
    assert result.exit_code == 2
    line = error_line(result)
    assert name in line and message in line
    assert not db.exists()


def test_a_directory_is_expanded_and_an_empty_one_is_an_error(tmp_path):
    (tmp_path / "in").mkdir()
    result = run("build", tmp_path / "in", "--db", tmp_path / "c.duckdb")
    assert result.exit_code == 2 and "directory has no input files" in error_line(result)
    (tmp_path / "in" / "page.txt").write_bytes((BAD / "page_ok.txt").read_bytes())
    assert run("build", tmp_path / "in", "--db", tmp_path / "c.duckdb").exit_code == 0


def test_file_without_read_permission(tmp_path):
    unreadable = tmp_path / "secret.jsonl"
    unreadable.write_text((BAD / "malformed.jsonl").read_text())
    unreadable.chmod(0)
    command = [sys.executable, "-m", "claims.cli", "build", str(unreadable), "--db", str(tmp_path / "x.duckdb")]
    if os.geteuid() == 0:
        # root reads anything: drop the capabilities that bypass file permissions (util-linux setpriv)
        drop = "-dac_override,-dac_read_search"
        command = ["setpriv", f"--inh-caps={drop}", f"--bounding-set={drop}", *command]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"Error: {unreadable}: permission denied; make the file readable (chmod +r)"]


def test_bad_sql_and_missing_database_are_usage_errors(tmp_path):
    result = run("query", "SELECT 1", "--db", tmp_path / "none.duckdb")
    assert result.exit_code == 2 and "run `claims build` first" in error_line(result)
    db = tmp_path / "c.duckdb"
    assert run("build", BAD / "page_ok.txt", "--db", db).exit_code == 0
    result = run("query", "SELEC nonsense", "--db", db)
    assert result.exit_code == 2 and "SQL error" in error_line(result)


# --------------------------------------------------------------------------- recoverable: problems table

@pytest.mark.parametrize("name, expected_problem, papers", [
    ("latin1.txt", ("latin1.txt", 9, "not_utf8"), 1),
    ("cut_off.txt", ("cut_off.txt", 17, "truncated_abstract"), 2),
    ("cut_off_title.txt", ("cut_off_title.txt", 17, "missing_abstract"), 1),
    ("malformed.jsonl", ("malformed.jsonl", 2, "malformed_json"), 2),
    ("missing_title.jsonl", ("missing_title.jsonl", 2, "missing_title"), 1),
    ("wrong_types.jsonl", ("wrong_types.jsonl", 2, "wrong_type"), 1),
    ("duplicate_ids.jsonl", ("duplicate_ids.jsonl", 2, "duplicate_id"), 1),
])
def test_recoverable_records_are_skipped_recorded_and_counted(tmp_path, name, expected_problem, papers):
    db = tmp_path / "c.duckdb"
    result = run("build", BAD / name, "--db", db, "-q")
    assert result.exit_code == 0, result.output
    assert expected_problem in problems(db)
    assert f"{len(problems(db))} problems" in result.output
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM papers").fetchone()[0] == papers
    con.close()
    strict = run("build", BAD / name, "--db", tmp_path / "strict.duckdb", "--strict")
    assert strict.exit_code == 1 and "--strict" in error_line(strict)
    assert not (tmp_path / "strict.duckdb").exists()


def test_utf16_with_bom_reads_like_utf8(tmp_path):
    db = tmp_path / "c.duckdb"
    assert run("build", BAD / "utf16_bom.txt", "--db", db).exit_code == 0
    assert problems(db) == []
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT title FROM papers").fetchall() == [("Sample Serving System: Fast LLM Inference",)]


def test_page_with_no_papers_fails_without_writing(tmp_path):
    db = tmp_path / "c.duckdb"
    result = run("build", BAD / "no_papers.txt", "--db", db)
    assert result.exit_code == 1 and "no papers found" in error_line(result)
    assert "no_papers.txt" in result.output and not db.exists()


def test_five_megabyte_single_line(tmp_path):
    big = tmp_path / "big.jsonl"
    sentence = "We observe a 2.5x speedup on 8 A100 GPUs with 40% lower latency. "
    record = {"paper_id": "big", "title": "Huge", "abstract": sentence * (5_000_000 // len(sentence))}
    big.write_text(json.dumps(record) + "\n" + (BAD / "malformed.jsonl").read_text().splitlines()[0] + "\n")
    db = tmp_path / "c.duckdb"
    started = time.perf_counter()
    result = run("build", big, "--db", db, "-q")
    assert result.exit_code == 0
    assert time.perf_counter() - started < 60
    assert ("big.jsonl", 1, "abstract_too_long") in problems(db)


# --------------------------------------------------------------------------- no data lost

def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_sigkill_mid_build_leaves_previous_database_identical(tmp_path):
    db = tmp_path / "c.duckdb"
    assert run("build", BAD / "page_ok.txt", "--db", db).exit_code == 0
    before = _digest(db)
    # a bigger input so the build is still running when we kill it
    many = tmp_path / "many.jsonl"
    line = "System{n} reaches {n}.5x higher throughput than vLLM on {n} H100 GPUs, and 41.{n}% MFU. "
    many.write_text("".join(json.dumps({"title": f"Paper {n}", "abstract": line.format(n=n) * 20}) + "\n"
                            for n in range(20000)))
    proc = subprocess.Popen([sys.executable, "-m", "claims.cli", "build", str(many), "--db", str(db), "-q"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while not list(tmp_path.glob(".c.duckdb.*.tmp")) and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)
    assert proc.poll() is None, "build finished before it could be killed; make the input bigger"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert _digest(db) == before
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM papers").fetchone()[0] == 1
    con.close()
    # the next build cleans the dead build's temp file
    assert list(tmp_path.glob(".c.duckdb.*.tmp"))
    assert run("build", BAD / "page_ok.txt", "--db", db).exit_code == 0
    assert not list(tmp_path.glob(".c.duckdb.*.tmp*"))


def _rows(db: Path, sql: str):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


CLAIM_ROWS = "SELECT * EXCLUDE (rules_version) FROM claims ORDER BY claim_id"


def test_rebuild_is_identical_and_append_adds_only_new_papers(tmp_path, bundled_pages):
    first, second = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    assert run("build", "--db", first, "-q").exit_code == 0
    assert run("build", "--db", second, "-q").exit_code == 0
    for sql in (CLAIM_ROWS, "SELECT * FROM papers ORDER BY paper_id", "SELECT * FROM sentences ORDER BY ALL",
                "SELECT * FROM paper_sources ORDER BY ALL"):
        assert _rows(first, sql) == _rows(second, sql)
    # append: three pages, then the other two
    part = tmp_path / "part.duckdb"
    assert run("build", *bundled_pages[:3], "--db", part, "-q").exit_code == 0
    ids_before = _rows(part, "SELECT claim_id FROM claims ORDER BY 1")
    result = run("build", "--append", *bundled_pages[3:], "--db", part, "-q")
    assert result.exit_code == 0
    ids_after = _rows(part, "SELECT claim_id FROM claims ORDER BY 1")
    assert set(ids_before) <= set(ids_after)
    assert _rows(part, "SELECT count(*) FROM papers") == [(352,)]
    assert _rows(part, CLAIM_ROWS) == _rows(first, CLAIM_ROWS)
    assert _rows(part, "SELECT * FROM paper_sources ORDER BY ALL") == _rows(first, "SELECT * FROM paper_sources ORDER BY ALL")


@pytest.fixture(scope="session")
def bundled_pages():
    from claims.ingest import bundled_corpus

    return bundled_corpus()


# --------------------------------------------------------------------------- bounded regex work

def test_pathological_sentences_finish_and_never_raise():
    from claims.extract import extract_abstract

    texts = [
        "1" * 10_000 + "x faster.",
        "(" * 5000 + "2x" + ")" * 5000,
        "\u202e 3x \u0000 faster \u200f than vLLM " * 2000,
        ("1.5x-" * 3000) + "2x speedup.",
    ]
    for text in texts:
        started = time.perf_counter()
        result = extract_abstract(text, title="Weird: input")
        assert time.perf_counter() - started < 20
        for claim in result.claims:
            assert text[claim.span_start:claim.span_end] == claim.mention


# --------------------------------------------------------------------------- serving while republishing

def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_keeps_answering_while_rebuild_and_republish_run(tmp_path):
    import threading
    import urllib.request

    db, site = tmp_path / "c.duckdb", tmp_path / "claims.db"
    assert run("build", BAD / "page_ok.txt", "--db", db).exit_code == 0
    assert run("publish", "--db", db, "--out", site).exit_code == 0
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "claims.cli", "serve", "--site", str(site), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=2).read()
                break
            except OSError:
                assert server.poll() is None and time.time() < deadline, server.stderr.read().decode()[-2000:]
                time.sleep(0.2)
        statuses: list[int] = []
        stop = threading.Event()

        def hammer():
            while not stop.is_set() and len(statuses) < 5000:
                try:
                    with urllib.request.urlopen(base + "/claims/claims.json?_size=5", timeout=10) as resp:
                        resp.read()
                        statuses.append(resp.status)
                except OSError as exc:
                    statuses.append(getattr(exc, "code", -1))

        worker = threading.Thread(target=hammer)
        worker.start()
        try:
            for _ in range(2):   # rebuild with more papers and swap the snapshot under the server
                assert run("build", BAD / "page_ok.txt", BAD / "malformed.jsonl", "--db", db, "-q").exit_code == 0
                assert run("publish", "--db", db, "--out", site).exit_code == 0
        finally:
            stop.set()
            worker.join(timeout=30)
        assert len(statuses) >= 10
        assert set(statuses) == {200}, statuses
        # the server listens on loopback only
        import psutil

        procs = [psutil.Process(server.pid), *psutil.Process(server.pid).children(recursive=True)]
        listening = {c.laddr for p in procs for c in p.net_connections(kind="tcp") if c.status == psutil.CONN_LISTEN}
        assert listening and {addr.ip for addr in listening} == {"127.0.0.1"}, listening
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_datasette_is_read_only_and_has_no_write_plugins():
    from claims.publish import SETTINGS, datasette_args

    args = datasette_args("claims.db")
    assert args[0] == "-i"
    assert SETTINGS["sql_time_limit_ms"] <= 1000
    proc = subprocess.run([sys.executable, "-m", "datasette", "plugins", "--all"], capture_output=True, text=True,
                          timeout=120)
    names = {p["name"] for p in json.loads(proc.stdout)}
    assert not {n for n in names if any(w in n for w in ("write", "upload", "insert", "edit", "auth-tokens"))}


def test_regex_timeout_is_recorded_as_a_problem_not_a_hang(tmp_path, monkeypatch):
    import importlib

    from claims.store import build

    budget_module = importlib.import_module("claims.budget")
    monkeypatch.setattr(budget_module, "REGEX_TIMEOUT", 1e-9)   # every pattern run times out
    monkeypatch.setattr(budget_module, "TIMEOUT_MIN_CHARS", 0)  # ... short sentences included
    report = build([BAD / "page_ok.txt"], tmp_path / "c.duckdb")
    timeouts = [p for p in report.problems if p.problem == "regex_timeout"]
    assert timeouts and all(p.paper_id for p in timeouts)
    assert ("extract", None, "regex_timeout") in problems(tmp_path / "c.duckdb")
