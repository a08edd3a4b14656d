"""claims.publish: DuckDB -> SQLite snapshot (schema, keys, FTS, leaderboards, atomic write, errors)."""
from __future__ import annotations

import shutil
import sqlite3

import duckdb
import pytest

from claims.errors import DatabaseError
from claims.publish import COPIES, FTS, INDEXES, publish

LEADERBOARDS = ("leaderboard_best", "leaderboard_speedups_by_hardware", "leaderboard_head_to_head",
                "leaderboard_scale", "chart_speedup_distribution")


def rows(path, sql, params=()):
    con = sqlite3.connect(path)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute(sql, params)]
    finally:
        con.close()


# ------------------------------------------------------------------------------ snapshot shape

def test_every_table_copied_with_duckdb_row_counts(mini_claims_duckdb, mini_site_db):
    duck = duckdb.connect(str(mini_claims_duckdb), read_only=True)
    for table in ("papers", "paper_sources", "sentences", "claims", "metrics", "units", "hardware",
                  "baselines", "problems", "build_info", *LEADERBOARDS):
        expected = duck.sql(f"SELECT count(*) FROM {table}").fetchall()[0][0]
        got = rows(mini_site_db, f'SELECT count(*) AS n FROM "{table}"')[0]["n"]
        assert got == expected, table
    duck.close()
    assert {t for t, _ in COPIES} >= set(LEADERBOARDS)


def test_primary_and_foreign_keys_are_declared(mini_site_db):
    con = sqlite3.connect(mini_site_db)
    fks = {(r[2], r[3], r[4]) for r in con.execute("PRAGMA foreign_key_list(claims)")}
    assert ("papers", "paper_id", "paper_id") in fks
    assert ("sentences", "sentence_id", "sentence_id") in fks
    pk = [r[1] for r in con.execute("PRAGMA table_info(claims)") if r[5]]
    assert pk == ["claim_id"]
    board_fks = {r[2] for r in con.execute("PRAGMA foreign_key_list(leaderboard_best)")}
    assert board_fks == {"claims", "papers"}
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    con.close()


def test_indexes_fts_and_statistics(mini_site_db):
    con = sqlite3.connect(mini_site_db)
    names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    for table, columns in INDEXES:
        assert f"idx_{table}_{'_'.join(columns)}" in names
    for table, _ in FTS:
        assert con.execute(f"SELECT count(*) FROM {table}_fts").fetchone()[0] > 0
    assert con.execute("SELECT count(*) FROM sqlite_stat1").fetchone()[0] > 0
    hit = con.execute("SELECT s.text FROM sentences s WHERE s.sentence_id IN "
                      "(SELECT rowid FROM sentences_fts WHERE sentences_fts MATCH 'MFU')").fetchall()
    assert any("55.2%" in h[0] for h in hit)
    con.close()


def test_mention_offsets_point_into_the_sentence(mini_site_db):
    for r in rows(mini_site_db, "SELECT sentence, mention, mention_start, mention_end FROM claims"):
        assert r["sentence"][r["mention_start"]:r["mention_end"]] == r["mention"]


def test_bundled_build_publishes_and_offsets_hold(bundled_site_db):
    claims = rows(bundled_site_db, "SELECT sentence, mention, mention_start, mention_end FROM claims")
    assert len(claims) > 100
    assert all(r["sentence"][r["mention_start"]:r["mention_end"]] == r["mention"] for r in claims)
    assert rows(bundled_site_db, "SELECT count(*) AS n FROM papers")[0]["n"] == 352


def test_views_work_on_the_bundled_duckdb(bundled_claims_duckdb):
    """db/views.sql as loaded by `claims build`: every view answers on the real database."""
    con = duckdb.connect(str(bundled_claims_duckdb), read_only=True)
    for view in LEADERBOARDS:
        assert con.sql(f"SELECT count(*) FROM {view}").fetchall()[0][0] > 0, view
    con.close()


# ------------------------------------------------------------------------------ leaderboards

def test_best_value_respects_direction_and_ranks(mini_site_db):
    h100 = rows(mini_site_db, "SELECT system, value, rank FROM leaderboard_best "
                              "WHERE metric = 'mfu' AND hardware = 'H100' ORDER BY rank")
    assert [(r["system"], r["value"], r["rank"]) for r in h100] == [("FastServe", 61.5, 1), ("SlowServe", 48.0, 2)]
    mega = rows(mini_site_db, "SELECT * FROM leaderboard_best WHERE system = 'MegaScale'")
    assert [(r["metric"], r["value"], r["hardware"], r["hardware_count"]) for r in mega] == [("mfu", 55.2, "GPU", 12288)]


def test_best_value_ties_are_broken_explicitly(tmp_path, mini_claims_duckdb):
    """Equal values: an exact number beats a qualified one; lower is better for latency."""
    db = tmp_path / "ties.duckdb"
    shutil.copy(mini_claims_duckdb, db)
    con = duckdb.connect(str(db))
    pid = con.sql("SELECT paper_id FROM papers WHERE title LIKE 'FastServe%'").fetchall()[0][0]
    base = ("INSERT INTO claims (claim_id, paper_id, sentence_index, span_start, span_end, mention, value,"
            " unit, kind, metric, qualifier, system, hardware, rule_id, rules_version)"
            " VALUES (?, ?, 0, 0, 5, ?, ?, ?, 'absolute', ?, ?, 'TieSys', 'H100', 't', 't')")
    con.execute(base, ["tie-a", pid, "70.0%", 70.0, "%", "mfu", "up to"])
    con.execute(base, ["tie-b", pid, "70.0%", 70.0, "%", "mfu", None])
    con.execute(base, ["lat-a", pid, "9 ms", 9.0, "ms", "latency", None])
    con.execute(base, ["lat-b", pid, "3 ms", 3.0, "ms", "latency", None])
    con.close()
    out = tmp_path / "claims.sqlite"
    publish(db, out)
    best = {r["metric"]: r for r in rows(out, "SELECT * FROM leaderboard_best WHERE system = 'TieSys'")}
    assert best["mfu"]["claim_id"] == "tie-b" and best["mfu"]["n_reports"] == 2
    assert best["latency"]["claim_id"] == "lat-b" and best["latency"]["higher_is_better"] == 0
    first = rows(out, "SELECT claim_id, rank FROM leaderboard_best WHERE metric = 'mfu' AND hardware = 'H100' ORDER BY rank")
    assert first[0] == {"claim_id": "tie-b", "rank": 1}


def test_head_to_head_canonicalizes_baselines(mini_site_db):
    h2h = rows(mini_site_db, "SELECT system, baseline, baseline_canonical, factor, unit FROM leaderboard_head_to_head")
    by = {(r["system"], r["baseline"]): r for r in h2h}
    assert by[("FastServe", "state-of-the-art vLLM")]["baseline_canonical"] == "vLLM"
    assert by[("SlowServe", "vLLM")]["baseline_canonical"] == "vLLM"
    assert by[("MegaScale", "Megatron-LM")]["factor"] == 1.34
    assert by[("NanoFlow", "state-of-the-art serving systems")]["factor"] == 1.91
    claims = rows(mini_site_db, "SELECT baseline_canonical FROM claims WHERE baseline = 'state-of-the-art vLLM'")
    assert claims == [{"baseline_canonical": "vLLM"}]


def test_speedups_and_scale(mini_site_db):
    h100 = rows(mini_site_db, "SELECT * FROM leaderboard_speedups_by_hardware WHERE hardware = 'H100'")[0]
    assert (h100["n_claims"], h100["n_factors"], h100["max_factor"], h100["max_percent_change"]) == (2, 1, 2.5, 40.0)
    assert h100["top_system"] == "FastServe"
    scale = rows(mini_site_db, "SELECT title, max_hardware_count, hardware_category FROM leaderboard_scale "
                               "ORDER BY max_hardware_count DESC")
    assert scale[0]["title"].startswith("MegaScale") and scale[0]["max_hardware_count"] == 12288
    assert scale[0]["hardware_category"] == "gpu"


# ------------------------------------------------------------------------------ errors, atomicity

def test_missing_duckdb_raises_one_line_database_error(tmp_path):
    with pytest.raises(DatabaseError) as err:
        publish(tmp_path / "nope.duckdb", tmp_path / "claims.sqlite")
    assert "claims build" in str(err.value) and "\n" not in str(err.value)


def test_not_a_duckdb_file(tmp_path):
    bad = tmp_path / "claims.duckdb"
    bad.write_text("<html>not a database</html>")
    with pytest.raises(DatabaseError) as err:
        publish(bad, tmp_path / "claims.sqlite")
    assert "\n" not in str(err.value)


def test_duckdb_without_claims_tables(tmp_path):
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).execute("CREATE TABLE t (x INTEGER)").close()
    with pytest.raises(DatabaseError, match="not a claims database"):
        publish(other, tmp_path / "claims.sqlite")


def test_failed_publish_keeps_previous_snapshot_and_no_temp_files(tmp_path, mini_claims_duckdb):
    out = tmp_path / "claims.sqlite"
    publish(mini_claims_duckdb, out)
    before = out.read_bytes()
    with pytest.raises(DatabaseError):
        publish(tmp_path / "missing.duckdb", out)
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["claims.sqlite"]
    report = publish(mini_claims_duckdb, out)  # republish over an existing snapshot
    assert report.claims == 16 and report.papers == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["claims.sqlite"]


def test_claims_worker_process_gives_the_same_snapshot(tmp_path, mini_claims_duckdb):
    """Big databases write the claims table in a child process and merge the files."""
    one = publish(mini_claims_duckdb, tmp_path / "one" / "claims.sqlite", workers=1)
    two = publish(mini_claims_duckdb, tmp_path / "two" / "claims.sqlite", workers=2)
    assert one.rows == two.rows
    dump = "SELECT * FROM claims ORDER BY claim_id"
    assert rows(one.out_path, dump) == rows(two.out_path, dump)
    assert rows(two.out_path, "PRAGMA integrity_check") == [{"integrity_check": "ok"}]
    names = "SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name"
    assert rows(one.out_path, names) == rows(two.out_path, names)
    assert sorted(p.name for p in (tmp_path / "two").iterdir()) == ["claims.sqlite"]


# ------------------------------------------------------------------------------ serve arguments

def test_serve_refuses_missing_or_non_sqlite_files(tmp_path):
    from claims.publish import serve

    with pytest.raises(DatabaseError, match="claims publish"):
        serve(tmp_path / "claims.sqlite")
    (tmp_path / "claims.sqlite").write_text("not sqlite")
    with pytest.raises(DatabaseError, match="not a SQLite file"):
        serve(tmp_path / "claims.sqlite")


def test_datasette_arguments_and_database_name(tmp_path):
    from claims.publish import _as_claims_db, datasette_args

    args = datasette_args(tmp_path / "claims.sqlite")
    assert args[:2] == ["-i", str(tmp_path / "claims.sqlite")]
    joined = " ".join(args)
    for setting in ("suggest_facets off", "facet_time_limit_ms 1000", "sql_time_limit_ms 1000"):
        assert f"--setting {setting}" in joined
    other = tmp_path / "snapshot.db"
    other.write_bytes(b"")
    link = _as_claims_db(other)
    assert link.name == "claims.sqlite" and link.resolve() == other.resolve()
    assert _as_claims_db(tmp_path / "claims.sqlite") == tmp_path / "claims.sqlite"
