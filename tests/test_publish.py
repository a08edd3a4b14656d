"""claims.publish: DuckDB -> SQLite snapshot (schema, keys, FTS, leaderboards, atomic write, errors)."""
from __future__ import annotations

import shutil
import sqlite3

import duckdb
import pytest

from claims.errors import DatabaseError
from claims.publish import COPIES, FTS, INDEXES, publish

LEADERBOARDS = ("leaderboard_best", "leaderboard_speedups", "leaderboard_speedups_by_hardware",
                "leaderboard_head_to_head", "leaderboard_scale", "chart_speedup_distribution",
                # the dashboard's data, small tables the charts read (issue 16)
                "chart_best_by_year", "chart_utilization", "chart_baseline_counts", "chart_speedup_points")
# entity views and the tables they are published as
ENTITIES = {"entity_systems": "systems", "entity_baselines": "compared_baselines", "entity_hardware": "hardware",
            "paper_links": "papers"}


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
        if table == "sentences":     # the snapshot keeps the sentences that carry claims (issue 16)
            expected = duck.sql("SELECT count(*) FROM (SELECT DISTINCT paper_id, sentence_index FROM claims)").fetchall()[0][0]
            assert 0 < expected < duck.sql("SELECT count(*) FROM sentences").fetchall()[0][0]
        got = rows(mini_site_db, f'SELECT count(*) AS n FROM "{table}"')[0]["n"]
        assert got == expected, table
    for view, table in ENTITIES.items():
        expected = duck.sql(f"SELECT count(*) FROM {view}").fetchall()[0][0]
        assert rows(mini_site_db, f'SELECT count(*) AS n FROM "{table}"')[0]["n"] == expected, view
    duck.close()
    assert {t for t, _ in COPIES} >= set(LEADERBOARDS) | set(ENTITIES.values())


def test_primary_and_foreign_keys_are_declared(mini_site_db):
    con = sqlite3.connect(mini_site_db)
    fks = {(r[2], r[3], r[4]) for r in con.execute("PRAGMA foreign_key_list(claims)")}
    assert ("papers", "paper_id", "paper_id") in fks
    assert ("sentences", "sentence_id", "sentence_id") in fks
    pk = [r[1] for r in con.execute("PRAGMA table_info(claims)") if r[5]]
    assert pk == ["claim_id"]
    board_fks = {r[2] for r in con.execute("PRAGMA foreign_key_list(leaderboard_best)")}
    assert board_fks == {"claims", "papers", "systems", "hardware"}   # entity pages
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


# claims link to their sentence (sentence_id); its text is stored once, in `sentences` (issue 16)
CLAIM_SENTENCES = """SELECT s.text AS sentence, c.mention, c.mention_start, c.mention_end
                     FROM claims c JOIN sentences s USING (sentence_id)"""


def test_mention_offsets_point_into_the_sentence(mini_site_db):
    linked = rows(mini_site_db, CLAIM_SENTENCES)
    assert len(linked) == rows(mini_site_db, "SELECT count(*) AS n FROM claims")[0]["n"]
    for r in linked:
        assert r["sentence"][r["mention_start"]:r["mention_end"]] == r["mention"]


def test_bundled_build_publishes_and_offsets_hold(bundled_site_db):
    claims = rows(bundled_site_db, CLAIM_SENTENCES)
    assert len(claims) > 100 and len(claims) == rows(bundled_site_db, "SELECT count(*) AS n FROM claims")[0]["n"]
    assert all(r["sentence"][r["mention_start"]:r["mention_end"]] == r["mention"] for r in claims)
    assert rows(bundled_site_db, "SELECT count(*) AS n FROM papers")[0]["n"] == 352


def test_views_work_on_the_bundled_duckdb(bundled_claims_duckdb):
    """db/views.sql as loaded by `claims build`: every view answers on the real database."""
    con = duckdb.connect(str(bundled_claims_duckdb), read_only=True)
    for view in (*LEADERBOARDS, *ENTITIES):
        assert con.sql(f"SELECT count(*) FROM {view}").fetchall()[0][0] > 0, view
    con.close()


# ------------------------------------------------------------------------------ leaderboards

def test_best_value_respects_direction_and_ranks(mini_site_db):
    h100 = rows(mini_site_db, "SELECT system, value, hardware_rank FROM leaderboard_best "
                              "WHERE metric = 'mfu' AND hardware = 'H100' ORDER BY rank")
    assert [(r["system"], r["value"], r["hardware_rank"]) for r in h100] == [("FastServe", 61.5, 1), ("SlowServe", 48.0, 2)]
    board = rows(mini_site_db, "SELECT system, rank, result, setup FROM leaderboard_best WHERE metric = 'mfu' ORDER BY rank")
    assert [(r["system"], r["rank"]) for r in board] == [("FastServe", 1), ("MegaScale", 2), ("SlowServe", 3)]
    assert board[1]["result"] == "55.2%" and board[1]["setup"] == "12,288 × GPU"
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



def test_sentence_ids_and_counts_when_a_paper_is_not_numbered_from_zero(tmp_path, mini_claims_duckdb):
    """sentence_id is the row number in (paper_id, sentence_index) order, also for papers whose
    sentences are not numbered 0, 1, 2, ... (counted, not derived from sentence_index), in one
    process and with the worker; claims point at their sentence, n_claims counts them."""
    db = tmp_path / "gaps.duckdb"
    shutil.copyfile(mini_claims_duckdb, db)
    con = duckdb.connect(str(db))
    first, second = [r[0] for r in con.sql("SELECT DISTINCT paper_id FROM sentences ORDER BY 1 LIMIT 2").fetchall()]
    for table in ("sentences", "claims"):   # a paper numbered from 5, another with a gap after 0
        con.execute(f"UPDATE {table} SET sentence_index = sentence_index + 5 WHERE paper_id = ?", [first])
        con.execute(f"UPDATE {table} SET sentence_index = sentence_index * 3 WHERE paper_id = ?", [second])
    con.close()
    for workers in (1, 2):
        out = tmp_path / f"w{workers}" / "claims.sqlite"
        publish(db, out, workers=workers)
        ids = [r["sentence_id"] for r in rows(out, "SELECT sentence_id FROM sentences ORDER BY paper_id, sentence_index")]
        # the row number among ALL sentences (DuckDB); the snapshot keeps those with claims
        duck = duckdb.connect(str(db), read_only=True)
        want = [r[0] for r in duck.sql("""SELECT n FROM (SELECT paper_id, sentence_index,
                    row_number() OVER (ORDER BY paper_id, sentence_index) AS n FROM sentences)
                    SEMI JOIN (SELECT DISTINCT paper_id, sentence_index FROM claims) USING (paper_id, sentence_index)
                    ORDER BY n""").fetchall()]
        duck.close()
        assert ids == want
        assert rows(out, "SELECT sentence_index FROM sentences WHERE paper_id = ?", (second,))
        linked = rows(out, """SELECT c.mention, s.text, c.mention_start, c.mention_end, c.sentence_index AS ci,
                                     s.sentence_index AS si, c.paper_id AS cp, s.paper_id AS sp
                              FROM claims c JOIN sentences s USING (sentence_id)""")
        assert len(linked) == 16
        assert all(r["text"][r["mention_start"]:r["mention_end"]] == r["mention"] and r["ci"] == r["si"]
                   and r["cp"] == r["sp"] for r in linked)
        counts = rows(out, """SELECT s.n_claims, (SELECT count(*) FROM claims c WHERE c.sentence_id = s.sentence_id) AS n
                              FROM sentences s""")
        assert all(r["n_claims"] == r["n"] for r in counts) and sum(r["n"] for r in counts) == 16


def test_title_search_finds_each_paper_in_one_process_and_with_the_worker(tmp_path, mini_claims_duckdb):
    """papers_fts is indexed from DuckDB, not from the papers table: its rowids must be the papers'."""
    for workers in (1, 2):
        out = tmp_path / f"w{workers}" / "claims.sqlite"
        publish(mini_claims_duckdb, out, workers=workers)
        papers = rows(out, "SELECT rowid, title FROM papers")
        assert len(papers) == 5
        for paper in papers:
            phrase = '"' + paper["title"].replace('"', '""') + '"'
            found = rows(out, "SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?", (phrase,))
            assert [r["rowid"] for r in found] == [paper["rowid"]]


def test_failing_worker_is_one_line_and_leaves_nothing(tmp_path, mini_claims_duckdb, monkeypatch):
    """The worker writes its parts from the DuckDB file; if it fails (here: the file vanishes
    under it), publish raises one DatabaseError naming the tables and removes every temp file."""
    import claims.publish as pub

    db = tmp_path / "gone.duckdb"
    shutil.copyfile(mini_claims_duckdb, db)
    started = pub._start_parts

    def start_then_remove(db_path, parts, log):
        db_path.unlink()        # this process has the file open already; the worker cannot open it
        return started(db_path, parts, log)

    monkeypatch.setattr(pub, "_start_parts", start_then_remove)
    out = tmp_path / "site" / "claims.sqlite"
    with pytest.raises(DatabaseError, match="failed in a worker process: .*no such DuckDB file") as info:
        publish(db, out, workers=2)
    assert "\n" not in str(info.value)
    assert list((tmp_path / "site").iterdir()) == []


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
