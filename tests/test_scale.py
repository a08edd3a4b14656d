"""Past one machine (issue 16): compressed inputs, the arXiv snapshot with a category filter, a Dask
cluster of separate processes with its shards on a loopback S3 server, worker version checks,
and bounded extraction cost on long table-like text."""
from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from claims.cli import main
from claims.errors import InputError
from claims.ingest import Problems, bundled_corpus, expand_sources, iter_papers
from claims.sources import Selection, split_suffix
from claims.store import build

ROOT = Path(__file__).resolve().parents[1]


def _zstd(data: bytes) -> bytes:
    import zstandard

    return zstandard.ZstdCompressor().compress(data)


COMPRESS = {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress, ".zst": _zstd}


def _papers(paths) -> list[tuple]:
    problems = Problems()
    out = [(p.paper_id, p.title, p.abstract, p.url, p.published) for p in iter_papers(expand_sources(paths), problems)]
    return out, [(p.problem, p.line) for p in problems]


def _inputs(tmp_path: Path) -> dict[str, Path]:
    """One small file of every input format."""
    page = bundled_corpus()[0]
    jsonl = tmp_path / "papers.jsonl"
    jsonl.write_text(json.dumps({"title": "Zorvex", "abstract": "Zorvex is 3.2x faster than vLLM."}) + "\n"
                     + "{not json\n", encoding="utf-8")
    atom = tmp_path / "feed.xml"
    atom.write_text("""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry>
      <id>http://arxiv.org/abs/1</id><published>2024-01-01</published><title>T one</title>
      <summary>We reach 3x higher throughput.</summary></entry></feed>""", encoding="utf-8")
    parquet = tmp_path / "shard.parquet"
    pq.write_table(pa.table({"title": ["P one", "P two"], "abstract": ["It cuts latency by 40%.", "No numbers."]}), parquet)
    return {"txt": page, "jsonl": jsonl, "xml": atom, "parquet": parquet}


@pytest.mark.parametrize("compression", sorted(COMPRESS))
def test_every_input_format_reads_the_same_compressed(tmp_path, compression):
    for fmt, plain in _inputs(tmp_path).items():
        packed = tmp_path / f"packed-{fmt}{plain.suffix}{compression}"
        packed.write_bytes(COMPRESS[compression](plain.read_bytes()))
        assert split_suffix(packed) == (plain.suffix, compression)
        want, want_problems = _papers([plain])
        got, got_problems = _papers([packed])
        assert want and got == want, fmt
        assert got_problems == want_problems, fmt          # the malformed JSON line is still a problem


def test_a_folder_finds_compressed_inputs_and_build_reads_them(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    page = bundled_corpus()[0]
    (folder / (page.name + ".gz")).write_bytes(gzip.compress(page.read_bytes()))
    a, b = build([page], tmp_path / "a.duckdb"), build([folder], tmp_path / "b.duckdb")
    assert a.claims > 0 and (a.papers, a.sentences, a.claims) == (b.papers, b.sentences, b.claims)


@pytest.mark.parametrize("compression", sorted(COMPRESS))
def test_corrupt_compressed_data_is_a_one_line_error(tmp_path, compression):
    data = COMPRESS[compression](("\n".join(json.dumps({"title": f"T{i}", "abstract": f"A {i}x."})
                                            for i in range(5000))).encode())
    bad = tmp_path / f"cut.jsonl{compression}"
    bad.write_bytes(data[: len(data) // 2])                # truncated download
    result = CliRunner().invoke(main, ["build", str(bad), "--db", str(tmp_path / "x.duckdb")])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "cut.jsonl" in lines[0] and compression in lines[0], result.output
    assert "Traceback" not in result.output and not (tmp_path / "x.duckdb").exists()


def _arxiv(arxiv_id, title, cats, created, abstract="It runs 2.5x faster than vLLM on 8 H100 GPUs."):
    return {"id": arxiv_id, "submitter": "A", "authors": "A, B", "title": title, "comments": None,
            "journal-ref": None, "doi": None, "report-no": None, "categories": cats, "license": None,
            "abstract": "  " + abstract + "\n", "versions": [{"version": "v1", "created": created},
                                                           {"version": "v2", "created": "Mon, 1 Jan 2024 10:00:00 GMT"}],
            "update_date": "2024-01-01", "authors_parsed": [["A", "", ""], ["B", "", ""]]}


def test_arxiv_snapshot_with_a_category_filter(tmp_path):
    snap = tmp_path / "arxiv-metadata-oai-snapshot.json.gz"
    records = [
        _arxiv("2402.15627", "MegaScale: Scaling LLM Training", "cs.DC cs.LG", "Fri, 23 Feb 2024 18:00:00 GMT"),
        _arxiv("hep-th/9901001", "Strings", "hep-th", "Fri, 1 Jan 1999 10:00:00 GMT"),
        _arxiv("2101.00001", "Old Vision", "cs.CV", "Fri, 1 Jan 2021 10:00:00 GMT"),
        _arxiv("1905.00001", "Systems Of Old", "cs.DC", "Wed, 1 May 2019 10:00:00 GMT",
               abstract="It cuts latency by 40% on 4 A100 GPUs."),
    ]
    snap.write_bytes(gzip.compress(("\n".join(json.dumps(r) for r in records) + "\n{broken\n").encode()))
    db = tmp_path / "claims.duckdb"
    result = CliRunner().invoke(main, ["build", str(snap), "--db", str(db), "--category", "cs.DC,cs.LG"])
    assert result.exit_code == 0, result.output
    assert "2 records outside --category cs.DC,cs.LG left out" in result.output
    con = duckdb.connect(str(db), read_only=True)
    papers = con.execute("SELECT title, url, published FROM papers ORDER BY title").fetchall()
    problems = con.execute("SELECT line, problem FROM problems").fetchall()
    n_claims = con.execute("SELECT count(*) FROM claims").fetchone()[0]
    con.close()
    assert papers == [("MegaScale: Scaling LLM Training", "https://arxiv.org/abs/2402.15627", "2024-02-23"),
                      ("Systems Of Old", "https://arxiv.org/abs/1905.00001", "2019-05-01")]
    assert problems == [(5, "malformed_json")]               # a broken line is a problem, filter or not
    assert n_claims >= 4
    sel = Selection.parse("cs.LG")
    assert sel.keeps({"categories": "stat.ML cs.LG"}) and not sel.keeps({"categories": "cs.LGX"})
    assert not sel.keeps({"title": "no categories"})


def test_category_filter_refuses_a_json_array(tmp_path):
    arr = tmp_path / "a.json"
    arr.write_text(json.dumps([{"title": "T", "abstract": "A.", "categories": "cs.DC"}]), encoding="utf-8")
    with pytest.raises(InputError, match=r"a\.json: --category reads JSON Lines"):
        list(iter_papers([arr], Problems(), Selection.parse("cs.DC")))


# --------------------------------------------------------------------------- a real cluster on loopback


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{what} did not listen on {port}")


@pytest.fixture(scope="module")
def s3_cluster(tmp_path_factory):
    """A moto S3 server, a `dask scheduler` and one `dask worker`, each its own process."""
    pytest.importorskip("s3fs")
    pytest.importorskip("dask.distributed")
    logs = tmp_path_factory.mktemp("logs")
    s3_port, sched_port = _port(), _port()
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION="us-east-1", AWS_ENDPOINT_URL=f"http://127.0.0.1:{s3_port}",
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("CLAIMS_RULES", None)
    procs: list[subprocess.Popen] = []

    def start(args, name, extra_env=None):
        log = open(logs / f"{name}.log", "wb")
        proc = subprocess.Popen(args, env=dict(env, **(extra_env or {})), stdout=log, stderr=subprocess.STDOUT)
        procs.append(proc)
        return proc

    moto = start([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(s3_port)], "moto")
    sched = start([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                   "--port", str(sched_port), "--no-dashboard"], "scheduler")
    _wait_port(s3_port, moto, "moto server")
    _wait_port(sched_port, sched, "dask scheduler")
    address = f"tcp://127.0.0.1:{sched_port}"

    def worker(name, extra_env=None):
        return start([sys.executable, "-m", "distributed.cli.dask_worker", address, "--name", name,
                      "--nthreads", "1", "--nworkers", "1", "--no-dashboard", "--host", "127.0.0.1"],
                     name, extra_env)

    worker("good-worker")
    saved = {k: os.environ.get(k) for k in env if k.startswith("AWS_")}
    os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})
    import s3fs

    fs = s3fs.S3FileSystem()
    fs.mkdir("claims-bucket")
    from dask.distributed import Client

    with Client(address, timeout="30s") as client:
        client.wait_for_workers(1, timeout=60)
    try:
        yield {"address": address, "fs": fs, "worker": worker, "logs": logs, "env": env}
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _rows(db, table):
    con = duckdb.connect(str(db), read_only=True)
    try:       # table names from the tests below
        return sorted(con.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
    finally:
        con.close()


def _other_rules(tmp_path: Path) -> Path:
    rules = tmp_path / "rules-other"
    shutil.copytree(ROOT / "rules", rules)
    with open(rules / "segment.yml", "a", encoding="utf-8") as fh:
        fh.write("# a stale copy: one more comment line changes the rules version\n")
    return rules


def test_dask_cluster_with_shards_on_s3_gives_the_rows_of_one_process(s3_cluster, tmp_path):
    sources = [str(p) for p in bundled_corpus()]
    one = tmp_path / "one.duckdb"
    build(sources, one, workers=1)
    db = tmp_path / "dask.duckdb"
    result = CliRunner().invoke(main, ["build", *sources, "--db", str(db), "--engine", "dask",
                                       "--scheduler", s3_cluster["address"],
                                       "--work-dir", "s3://claims-bucket/runs"])
    assert result.exit_code == 0, result.output
    for table in ("papers", "sentences", "claims", "paper_sources", "problems"):
        assert _rows(one, table) == _rows(db, table), table
    workers = [r for r in _rows(db, "build_info") if r[0].startswith("worker ")]
    assert len(workers) == 1 and " rules " in workers[0][1], workers
    info = dict(_rows(db, "build_info"))
    assert f"rules {info['rules_version']}" in workers[0][1]
    fs = s3_cluster["fs"]
    fs.invalidate_cache()
    assert not fs.exists("claims-bucket/runs") or fs.ls("claims-bucket/runs") == []   # shards removed


def test_a_worker_with_other_rules_is_a_one_line_error(s3_cluster, tmp_path):
    bad = s3_cluster["worker"]("stale-rules-worker", {"CLAIMS_RULES": str(_other_rules(tmp_path))})
    from dask.distributed import Client

    try:
        with Client(s3_cluster["address"], timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        db = tmp_path / "x.duckdb"
        result = CliRunner().invoke(main, ["build", str(bundled_corpus()[0]), "--db", str(db), "--engine", "dask",
                                           "--scheduler", s3_cluster["address"]])
        assert result.exit_code == 2, result.output
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1 and "Dask worker tcp://127.0.0.1:" in lines[0] and "rules version" in lines[0], lines
        assert "Traceback" not in result.output and not db.exists()
    finally:
        bad.terminate()
        bad.wait(timeout=15)


def test_a_worker_joining_later_with_other_rules_is_turned_away(s3_cluster, tmp_path):
    from dask.distributed import Client

    from claims.distributed import _joined, _unregister, check_workers, local_versions

    with Client(s3_cluster["address"], timeout="30s") as client:
        client.wait_for_workers(1, timeout=60)
        deadline = time.monotonic() + 30
        while len(client.scheduler_info()["workers"]) != 1 and time.monotonic() < deadline:
            time.sleep(0.2)      # the previous test's stale worker leaves
        before = check_workers(client, local_versions())
        assert len(before) == 1
        late = s3_cluster["worker"]("late-worker", {"CLAIMS_RULES": str(_other_rules(tmp_path))})
        try:
            deadline = time.monotonic() + 45
            rejected = {}
            while time.monotonic() < deadline:
                rejected = {a: v for a, v in _joined(client).items() if v.startswith("rejected:")}
                if rejected and late.poll() is not None:
                    break
                time.sleep(0.3)
            assert len(rejected) == 1 and "rules version" in next(iter(rejected.values())), _joined(client)
            assert late.poll() is not None, "the late worker should have closed"
            assert set(client.scheduler_info()["workers"]) == set(before)
        finally:
            _unregister(client)
            if late.poll() is None:
                late.terminate()
            late.wait(timeout=15)


# --------------------------------------------------------------------------- bounded cost


def _key(c, shift=0):
    return (c.mention, c.span_start + shift, c.span_end + shift, c.value, c.unit, c.kind)


def test_a_one_megabyte_table_like_document_finishes_and_loses_no_claim():
    sys.path.insert(0, str(ROOT / "bench"))
    from cost_per_char import block

    import random

    from claims.extract import extract_abstract

    rng = random.Random(16)
    blocks = [block(rng) for _ in range(10)]          # ~10 KB: prose, then table rows, one per line
    unit = "".join(blocks)
    alone = extract_abstract(unit, paper_id="d")
    copies = 1_000_000 // len(unit) + 1
    doc = unit * copies                                # 1 MB
    c0 = time.process_time()
    whole = extract_abstract(doc, paper_id="d")
    per_char_big = (time.process_time() - c0) / len(doc)
    c0 = time.process_time()
    for _ in range(5):
        extract_abstract(unit, paper_id="d")
    per_char_small = (time.process_time() - c0) / 5 / len(unit)
    assert len(doc) >= 1_000_000 and not whole.problems
    assert len(alone.claims) > 100
    want = sorted(_key(c, k * len(unit)) for k in range(copies) for c in alone.claims)
    assert sorted(_key(c) for c in whole.claims) == want          # every claim of every copy, same spans
    assert per_char_big < 2.0 * per_char_small, (per_char_big, per_char_small)   # bench: within 1.5x


def test_one_long_table_line_is_cut_into_rows_and_keeps_every_claim():
    from claims.extract import extract_abstract

    cells = [f"Sys{i} {1 + i % 9}.{i % 10}x" for i in range(8000)]
    line = " | ".join(cells)                           # ~100 KB, no line break, no sentence end
    result = extract_abstract(line, paper_id="t")
    assert not result.problems and len(result.sentences) > 40
    assert [c.mention for c in result.claims] == [c.split()[1] for c in cells]
    assert max(s.end - s.start for s in result.sentences) <= 2000


# --------------------------------------------------------------------------- full texts


def _fulltext_claims(db):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("""SELECT p.title, s.section, s.page, c.mention FROM claims c
            JOIN sentences s USING (paper_id, sentence_index) JOIN papers p USING (paper_id)
            ORDER BY p.title, c.span_start""").fetchall()
    finally:
        con.close()


def test_a_generated_pdf_and_latex_tarball_give_the_claims_their_text_holds(tmp_path):
    pytest.importorskip("reportlab")
    sys.path.insert(0, str(ROOT / "bench"))
    from make_fulltext import latex, paper, write_pdf, write_tarball

    pdf_paper, tex_paper = paper(3), paper(4)
    assert "\\times" in latex(tex_paper) and "\\%" in latex(tex_paper)
    pdf = write_pdf(pdf_paper, tmp_path / "paper.pdf")
    tar = write_tarball(tex_paper, tmp_path / "2403.00001.tar.gz")
    db = tmp_path / "claims.duckdb"
    result = CliRunner().invoke(main, ["build", str(pdf), str(tar), "--db", str(db), "-q"])
    assert result.exit_code == 0, result.output
    rows = _fulltext_claims(db)
    for p in (pdf_paper, tex_paper):
        mine = [r for r in rows if r[0] == p.title]
        sections = {r[1] for r in mine}
        assert {"abstract", "introduction", "evaluation", "table", "caption", "conclusion"} <= sections, sections
        mentions = [r[3] for r in mine]
        # the factor and percent of every prose sentence, each table row's speedup, the caption's factor
        for sentence in p.abstract + p.introduction + p.evaluation + p.conclusion:
            for word in sentence.split():
                if word.endswith(("x", "%")) and word[:-1].replace(".", "").isdigit():
                    assert word in mentions, (p.title, word, mentions)
        for row in p.table[1:]:
            assert ("table", row[-1]) in [(r[1], r[3]) for r in mine]
        factor = next(w for w in p.caption.split() if w.endswith("x") and w[0].isdigit())
        assert ("caption", factor) in [(r[1], r[3]) for r in mine]
    pages = {r[2] for r in rows if r[0] == pdf_paper.title}
    assert pages == {1, 2}                                     # PDF claims keep their page
    assert {r[2] for r in rows if r[0] == tex_paper.title} == {None}
    tex_mentions = [r[3] for r in rows if r[0] == tex_paper.title]
    assert "99x" not in tex_mentions and "42%" not in tex_mentions   # LaTeX comments are not text
    from claims.publish import publish

    site = tmp_path / "claims.db"
    publish(db, site)                  # the snapshot keeps section and page: the sentences facet
    import sqlite3

    lite = sqlite3.connect(site)
    got = dict(lite.execute("SELECT section, count(*) FROM sentences GROUP BY section").fetchall())
    pdf_pages = {r[0] for r in lite.execute("SELECT DISTINCT page FROM sentences WHERE page IS NOT NULL")}
    lite.close()
    assert set(got) >= {"abstract", "introduction", "evaluation", "table", "caption", "conclusion"} and pdf_pages == {1, 2}


def test_a_pdf_without_text_and_a_tarball_without_tex_are_one_line_errors(tmp_path):
    pytest.importorskip("reportlab")
    from reportlab.pdfgen import canvas

    blank = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(blank))
    c.showPage()
    c.save()
    tar = tmp_path / "src.tar.gz"
    import tarfile

    with tarfile.open(tar, "w:gz") as t:
        data = b"just a readme"
        info = tarfile.TarInfo("README")
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    fake = tmp_path / "fake.pdf"
    fake.write_text("not a pdf")
    for path, words in ((blank, "no text layer"), (tar, "no .tex file"), (fake, "not a readable PDF")):
        result = CliRunner().invoke(main, ["build", str(path), "--db", str(tmp_path / "x.duckdb")])
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert result.exit_code == 2 and len(lines) == 1 and path.name in lines[0] and words in lines[0], result.output


def test_a_document_over_the_limit_is_a_counted_problem_and_fails_strict(tmp_path, monkeypatch):
    import claims.ingest

    assert claims.ingest.MAX_ABSTRACT_CHARS == 2_000_000
    monkeypatch.setattr(claims.ingest, "MAX_ABSTRACT_CHARS", 5_000)      # the same code path, faster
    src = tmp_path / "big.jsonl"
    ok = {"title": "Small", "abstract": "It is 2x faster than vLLM."}
    big = {"title": "Huge", "abstract": "It runs 2x faster. " * 300}
    src.write_text(json.dumps(ok) + "\n" + json.dumps(big) + "\n", encoding="utf-8")
    loose = CliRunner().invoke(main, ["extract", str(src), "-o", str(tmp_path / "out.jsonl")])
    assert loose.exit_code == 0 and "big.jsonl:2" in loose.output and "limit 5,000" in loose.output
    assert "extracted 1 claims from 1 papers" in loose.output
    strict = CliRunner().invoke(main, ["extract", str(src), "--strict", "-o", str(tmp_path / "out.jsonl")])
    assert strict.exit_code == 1 and "1 input problem(s) with --strict" in strict.output
