"""Parallel builds give the same database as a single-process build (issue 6).

The inputs are the bundled corpus plus a small JSONL file with a new paper, a second listing of a
bundled paper (paper_sources + metadata fill) and a malformed line (a problems row), so every
table has rows to compare. Rows are compared as sorted lists, whole rows, every table.
"""
from __future__ import annotations

import json
import logging

import duckdb
import pytest
from click.testing import CliRunner

from claims.cli import main
from claims.ingest import bundled_corpus
from claims.store import build

pytest.importorskip("dask.distributed")

TABLES = ("papers", "sentences", "claims", "paper_sources", "problems", "build_info",
          "metrics", "units", "hardware", "baselines")


def rows(db, table: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:   # table names come from TABLES above
        return sorted(con.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
    finally:
        con.close()


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> list[str]:
    extra = tmp_path_factory.mktemp("inputs") / "extra.jsonl"
    extra.write_text("\n".join([
        json.dumps({"title": "Zorvex: Fast Serving", "paper_id": "zorvex0001",
                    "abstract": "Zorvex serves LLMs 3.2x faster than vLLM on 8 H100 GPUs. It cuts latency by 41%."}),
        json.dumps({"title": "Densing Law of LLMs", "url": "https://example.org/densing",
                    "abstract": "A second listing of a bundled paper; only its url is new."}),
        "{not json",
    ]) + "\n", encoding="utf-8")
    return [str(p) for p in bundled_corpus()] + [str(extra)]


@pytest.fixture(scope="module")
def single(sources, tmp_path_factory):
    db = tmp_path_factory.mktemp("single") / "claims.duckdb"
    report = build(sources, db, workers=1)
    assert report.claims > 0 and report.problems      # the comparison below is not vacuous
    return db, report


@pytest.fixture(scope="module")
def cluster():
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                      scheduler_kwargs={"dashboard": False}, silence_logs=logging.ERROR) as c:
        yield c


def assert_same_db(a, b, tables=TABLES):
    for table in tables:
        if table == "build_info":     # a Dask build adds one 'worker <address>' row per worker
            same = lambda db: [r for r in rows(db, table) if not r[0].startswith("worker ")]  # noqa: E731
            assert same(a) == same(b), "table build_info differs"
            continue
        assert rows(a, table) == rows(b, table), f"table {table} differs"


def test_two_workers_give_the_same_rows_as_one(single, sources, tmp_path):
    db1, report1 = single
    db2 = tmp_path / "claims.duckdb"
    report2 = build(sources, db2, workers=2, batch_size=32)      # 12 batches through the pool
    assert (report2.papers, report2.sentences, report2.claims) == (report1.papers, report1.sentences, report1.claims)
    assert_same_db(db1, db2)


def test_dask_local_cluster_gives_the_same_rows(single, sources, tmp_path):
    from claims.distributed import build_dask

    db1, report1 = single
    db2 = tmp_path / "claims.duckdb"
    report = build_dask(sources, db2, workers=2, shard_size=64)  # LocalCluster, 2 processes, 6 shards
    assert (report.papers, report.sentences, report.claims, report.records) == \
        (report1.papers, report1.sentences, report1.claims, report1.records)
    assert sorted(map(repr, report.problems)) == sorted(map(repr, report1.problems))
    assert_same_db(db1, db2)
    workers = [r for r in rows(db2, "build_info") if r[0].startswith("worker tcp://127.0.0.1:")]
    assert len(workers) == 2 and all(r[1].startswith("claims ") and " rules " in r[1] for r in workers), workers
    assert not list(tmp_path.glob(".*")), "temp db or shard folder left behind"


def test_cli_build_engine_dask_on_a_scheduler(single, sources, cluster, tmp_path):
    db1, _ = single
    db2 = tmp_path / "claims.duckdb"
    result = CliRunner().invoke(main, ["build", *sources, "--db", str(db2), "--engine", "dask",
                                       "--scheduler", cluster.scheduler_address])
    assert result.exit_code == 0, result.output
    assert "built" in result.output
    assert_same_db(db1, db2, ("papers", "sentences", "claims"))


def test_dask_without_shared_folder_ships_shards_through_dask(single, sources, cluster, tmp_path):
    from claims.distributed import build_dask

    db1, _ = single
    db2 = tmp_path / "claims.duckdb"
    build_dask(sources, db2, scheduler=cluster.scheduler_address, shard_size=128, ship=True)
    assert_same_db(db1, db2, ("papers", "sentences", "claims", "problems"))


def test_dask_append_matches_local_append(sources, cluster, tmp_path):
    from claims.distributed import build_dask

    local, dask = tmp_path / "local.duckdb", tmp_path / "dask.duckdb"
    for db in (local, dask):
        build(sources[:2], db)
    build(sources, local, append=True)
    build_dask(sources, dask, scheduler=cluster.scheduler_address, append=True)
    assert_same_db(local, dask)
