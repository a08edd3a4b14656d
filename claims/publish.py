"""Publish stage: DuckDB claims database -> SQLite snapshot served by Datasette.

DuckDB 2.0's sqlite extension downloads at runtime and cannot be used here, so the snapshot is
written by hand (see shared/notes/publishing.md):

1. open the DuckDB file read-only and (re)create the leaderboard views of ``db/views.sql`` as
   temporary views, so the snapshot always reflects the views file;
2. declare every SQLite table with types, primary and foreign keys (``SQLITE_SCHEMA``);
3. stream ``fetchmany`` batches of each table's query (``COPIES``) into ``executemany``;
4. full-text search (FTS5) over sentences and paper titles, indexes, ``ANALYZE``;
5. write to a temporary file next to the target and ``os.replace`` it into place.

Big databases are written by two processes: a child writes the claims with the leaderboards, then
the papers (``CHILD_PARTS``), each into a part file that this process merges into the snapshot as
soon as it is complete, while this process writes the sentences and both full-text indexes.

``serve()`` runs Datasette on the snapshot with ``datasette-metadata.yml``.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .errors import DatabaseError
from .ingest import _URL

URL_PATTERN = _URL.pattern   # the links of an abstract: every match of the ingest stage's URL pattern

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
PLUGINS_DIR = PACKAGE_DIR / "datasette_plugins"
TEMPLATES_DIR = PACKAGE_DIR / "templates"   # row.html: the entity pages' sections
DATABASE_NAME = "claims"  # Datasette names a database after the file stem; metadata uses this
BATCH_ROWS = 10_000
# Each publishing process (this one and the claims worker) reads DuckDB with a bounded buffer
# pool (the default is 80% of RAM; the sorts behind the ORDER BYs spill to
# a temp folder next to the output instead) and writes SQLite with a 64 MiB page cache.
# 256MB ran out of memory ("failed to pin block") in the claims worker at 1M papers (2.2M claims);
# 512MB runs it in 136 s at 745 MB peak RSS.
DUCKDB_MEMORY_LIMIT = os.environ.get("CLAIMS_PUBLISH_DUCKDB_MEMORY", "512MB")
SQLITE_CACHE_KIB = 65536
# FTS5 keeps up to this many bytes of postings in memory before writing a segment (default 1 MB),
# with automatic merging off; one 'optimize' at the end merges the segments into one b-tree
# (measured on 934k sentences: 4.8-6.7 s -> 3.3 s).
FTS_HASHSIZE = 64 * 2**20
PARALLEL_CLAIMS = 200_000  # from this many claims, a child process writes CHILD_PARTS
# What the child process writes while this one writes the sentences, both full-text indexes and
# the small tables: about half of the work each (1M papers: ~95 CPU-s each). Each group goes into
# its own part file, in this order; this process merges a part as soon as it is complete, so
# that only the last, small one is merged after the child ends. The leaderboards go with the
# claims: both need the head-to-head view, computed once there.
CHILD_PARTS: tuple[tuple[str, ...], ...] = (
    ("claims", "leaderboard_best", "leaderboard_speedups", "leaderboard_speedups_by_hardware",
     "leaderboard_head_to_head", "leaderboard_scale", "chart_speedup_distribution", "systems",
     "compared_baselines", "chart_best_by_year", "chart_utilization", "chart_baseline_counts",
     "chart_speedup_points"),
    ("papers", "paper_sources"),
)
CHILD_TABLES = tuple(t for part in CHILD_PARTS for t in part)

REQUIRED_TABLES = ("papers", "sentences", "claims", "metrics", "baselines", "hardware", "hardware_specs", "checks")

# The SQLite snapshot. Column names match the SELECT lists in COPIES below; foreign keys are
# declared here (Datasette turns them into links with labels) instead of being added later
# (sqlite-utils add_foreign_key rebuilds the whole table).
SQLITE_SCHEMA = """
CREATE TABLE papers (
    paper_id      TEXT PRIMARY KEY,
    title         TEXT NOT NULL,
    url           TEXT,
    code_url      TEXT,
    published     TEXT,
    authors       INTEGER,
    upvotes       INTEGER,
    organization  TEXT,
    year          INTEGER,
    url_is_search INTEGER NOT NULL,
    links         TEXT,
    sources       TEXT,
    n_sentences   INTEGER NOT NULL,
    n_claims      INTEGER NOT NULL
);
CREATE TABLE paper_sources (
    paper_id      TEXT NOT NULL REFERENCES papers (paper_id),
    source        TEXT NOT NULL,
    source_line   INTEGER,
    PRIMARY KEY (paper_id, source)
) WITHOUT ROWID;
CREATE TABLE sentences (
    sentence_id    INTEGER PRIMARY KEY,
    paper_id       TEXT NOT NULL REFERENCES papers (paper_id),
    sentence_index INTEGER NOT NULL,
    span_start     INTEGER NOT NULL,
    span_end       INTEGER NOT NULL,
    text           TEXT NOT NULL,
    n_claims       INTEGER NOT NULL,
    section        TEXT,
    page           INTEGER,
    UNIQUE (paper_id, sentence_index)
);
CREATE TABLE claims (
    claim_id           TEXT PRIMARY KEY,
    paper_id           TEXT NOT NULL REFERENCES papers (paper_id),
    mention            TEXT NOT NULL,
    value              REAL NOT NULL,
    value_high         REAL,
    unit               TEXT NOT NULL,
    kind               TEXT NOT NULL,
    metric             TEXT,
    direction          TEXT,
    qualifier          TEXT,
    baseline           TEXT,
    baseline_canonical TEXT,
    system             TEXT,
    hardware           TEXT,
    hardware_count     INTEGER,
    model              TEXT,
    excluded_by        TEXT,
    sentence_id        INTEGER REFERENCES sentences (sentence_id),
    mention_start      INTEGER,
    mention_end        INTEGER,
    value_base         REAL,
    unit_base          TEXT,
    sentence_index     INTEGER NOT NULL,
    span_start         INTEGER NOT NULL,
    span_end           INTEGER NOT NULL,
    rule_id            TEXT NOT NULL,
    rules_version      TEXT NOT NULL
);
CREATE TABLE metrics (
    metric            TEXT PRIMARY KEY,
    kind              TEXT NOT NULL,
    higher_is_better  INTEGER,
    description       TEXT
);
CREATE TABLE units (
    unit        TEXT PRIMARY KEY,
    dimension   TEXT NOT NULL,
    unit_base   TEXT NOT NULL,
    factor      REAL NOT NULL,
    description TEXT
);
CREATE TABLE hardware (
    hardware    TEXT PRIMARY KEY,
    category    TEXT NOT NULL,
    vendor      TEXT,
    aliases     TEXT,
    n_claims    INTEGER NOT NULL,
    n_on_boards INTEGER NOT NULL,
    n_papers    INTEGER NOT NULL,
    max_count   INTEGER,
    systems     TEXT
);
CREATE TABLE systems (
    system      TEXT PRIMARY KEY,
    n_claims    INTEGER NOT NULL,
    n_on_boards INTEGER NOT NULL,
    n_papers    INTEGER NOT NULL,
    beats       TEXT,
    beaten_by   TEXT,
    hardware    TEXT,
    aliases     TEXT
);
CREATE TABLE compared_baselines (
    baseline    TEXT PRIMARY KEY COLLATE NOCASE,
    named       INTEGER NOT NULL,
    n_claims    INTEGER NOT NULL,
    n_systems   INTEGER NOT NULL,
    n_papers    INTEGER NOT NULL,
    beaten_by   TEXT,
    best_factor REAL,
    aliases     TEXT
);
CREATE TABLE baselines (
    alias       TEXT PRIMARY KEY,
    canonical   TEXT NOT NULL
);
CREATE TABLE claim_baselines (
    claim_id    TEXT NOT NULL REFERENCES claims (claim_id),
    baseline    TEXT NOT NULL,
    mention     TEXT NOT NULL,
    position    INTEGER NOT NULL,
    PRIMARY KEY (claim_id, position)
);
CREATE TABLE problems (
    source      TEXT NOT NULL,
    line        INTEGER,
    paper_id    TEXT,
    problem     TEXT NOT NULL,
    message     TEXT NOT NULL
);
CREATE TABLE build_info (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE leaderboard_best (
    board            TEXT NOT NULL,
    rank             INTEGER NOT NULL,
    system           TEXT REFERENCES systems (system),
    result           TEXT NOT NULL,
    setup            TEXT,
    baseline         TEXT,
    marks            TEXT,
    paper_id         TEXT NOT NULL REFERENCES papers (paper_id),
    year             INTEGER,
    paper_url        TEXT NOT NULL,
    claim_id         TEXT NOT NULL REFERENCES claims (claim_id),
    metric           TEXT NOT NULL,
    hardware         TEXT COLLATE NOCASE REFERENCES hardware (hardware),
    hardware_count   INTEGER,
    value            REAL NOT NULL,
    value_high       REAL,
    unit             TEXT NOT NULL,
    qualifier        TEXT,
    hardware_rank    INTEGER NOT NULL,
    n_reports        INTEGER NOT NULL,
    higher_is_better INTEGER NOT NULL,
    model            TEXT,
    mention          TEXT NOT NULL,
    title            TEXT NOT NULL,
    compare_unit     TEXT NOT NULL,
    score            REAL NOT NULL
);
CREATE TABLE leaderboard_speedups (
    rank             INTEGER NOT NULL,
    system           TEXT REFERENCES systems (system),
    result           TEXT NOT NULL,
    metric           TEXT,
    direction        TEXT,
    baseline         TEXT,
    setup            TEXT,
    flag             TEXT,
    marks            TEXT,
    paper_id         TEXT NOT NULL REFERENCES papers (paper_id),
    year             INTEGER,
    paper_url        TEXT NOT NULL,
    claim_id         TEXT NOT NULL REFERENCES claims (claim_id),
    factor           REAL NOT NULL,
    value            REAL NOT NULL,
    value_high       REAL,
    hardware         TEXT COLLATE NOCASE REFERENCES hardware (hardware),
    hardware_count   INTEGER,
    qualifier        TEXT,
    baseline_phrase  TEXT,
    mention          TEXT NOT NULL
);
CREATE TABLE leaderboard_speedups_by_hardware (
    hardware              TEXT UNIQUE,
    n_claims              INTEGER NOT NULL,
    n_papers              INTEGER NOT NULL,
    n_up                  INTEGER NOT NULL,
    n_down                INTEGER NOT NULL,
    n_factors             INTEGER NOT NULL,
    n_flagged             INTEGER NOT NULL,
    median_factor         REAL,
    max_factor            REAL,
    n_percent_changes     INTEGER NOT NULL,
    median_percent_change REAL,
    max_percent_change    REAL,
    top_system            TEXT,
    top_metric            TEXT,
    top_claim_id          TEXT REFERENCES claims (claim_id),
    top_paper_id          TEXT REFERENCES papers (paper_id)
);
CREATE TABLE leaderboard_head_to_head (
    system             TEXT REFERENCES systems (system),
    baseline_canonical TEXT NOT NULL COLLATE NOCASE REFERENCES compared_baselines (baseline),
    result             TEXT NOT NULL,
    metric             TEXT,
    direction          TEXT,
    setup              TEXT,
    paper_id           TEXT NOT NULL REFERENCES papers (paper_id),
    year               INTEGER,
    claim_id           TEXT NOT NULL REFERENCES claims (claim_id),
    baseline           TEXT NOT NULL,
    kind               TEXT NOT NULL,
    factor             REAL NOT NULL,
    factor_high        REAL,
    unit               TEXT NOT NULL,
    qualifier          TEXT,
    hardware           TEXT REFERENCES hardware (hardware),
    mention            TEXT NOT NULL,
    title              TEXT NOT NULL,
    named_baseline     INTEGER NOT NULL
);
CREATE TABLE chart_speedup_distribution (
    hardware      TEXT,
    metric        TEXT NOT NULL,
    factor_bucket TEXT NOT NULL,
    bucket_order  INTEGER NOT NULL,
    claims        INTEGER NOT NULL
);
CREATE TABLE chart_best_by_year (
    hardware      TEXT,
    year          INTEGER NOT NULL,
    metric        TEXT NOT NULL,
    best          REAL NOT NULL
);
CREATE TABLE chart_utilization (
    hardware      TEXT,
    label         TEXT NOT NULL,
    metric        TEXT NOT NULL,
    percent       REAL NOT NULL,
    result        TEXT NOT NULL
);
CREATE TABLE chart_baseline_counts (
    hardware      TEXT,
    baseline      TEXT NOT NULL,
    n             INTEGER NOT NULL
);
CREATE TABLE chart_speedup_points (
    hardware      TEXT,
    baseline      TEXT NOT NULL,
    system        TEXT,
    factor        REAL NOT NULL,
    result        TEXT NOT NULL
);
CREATE TABLE leaderboard_scale (
    paper_id                TEXT NOT NULL REFERENCES papers (paper_id),
    title                   TEXT NOT NULL,
    max_hardware_count      INTEGER,
    hardware                TEXT,
    hardware_category       TEXT,
    hardware_count_claim_id TEXT REFERENCES claims (claim_id),
    max_cluster_size        INTEGER,
    max_model_parameters    REAL,
    model_size_claim_id     TEXT REFERENCES claims (claim_id),
    max_tokens              REAL,
    tokens_claim_id         TEXT REFERENCES claims (claim_id),
    max_context_length      REAL,
    n_scale_claims          INTEGER NOT NULL
);
CREATE TABLE hardware_specs (
    hardware    TEXT NOT NULL,
    variant     TEXT NOT NULL,
    is_default  INTEGER NOT NULL,
    vendor      TEXT,
    year        INTEGER,
    figure      TEXT NOT NULL,
    precision   TEXT,
    value       REAL NOT NULL,
    unit        TEXT NOT NULL,
    value_base  REAL NOT NULL,
    unit_base   TEXT NOT NULL,
    low         REAL,
    uncertain   INTEGER NOT NULL,
    note        TEXT,
    source      TEXT NOT NULL,
    entry_id    TEXT NOT NULL
);
CREATE TABLE checks (
    claim_id            TEXT NOT NULL REFERENCES claims (claim_id),
    check_id            TEXT NOT NULL,
    severity            TEXT NOT NULL,
    explanation         TEXT NOT NULL,
    implied_utilization REAL,
    figures             TEXT
);
CREATE TABLE physics_checks (
    severity_order      INTEGER NOT NULL,
    severity            TEXT NOT NULL,
    check_id            TEXT NOT NULL,
    explanation         TEXT NOT NULL,
    implied_utilization REAL,
    claim_id            TEXT NOT NULL REFERENCES claims (claim_id),
    mention             TEXT NOT NULL,
    metric              TEXT,
    value               REAL NOT NULL,
    unit                TEXT NOT NULL,
    hardware            TEXT,
    hardware_count      INTEGER,
    sentence            TEXT NOT NULL,
    paper_id            TEXT NOT NULL REFERENCES papers (paper_id),
    title               TEXT NOT NULL,
    figures             TEXT
);
CREATE TABLE claim_marks (
    claim_id            TEXT PRIMARY KEY REFERENCES claims (claim_id),
    marks               TEXT,
    implied_utilization REAL
);
CREATE TABLE facet_counts (
    table_name    TEXT NOT NULL,
    filter_column TEXT NOT NULL,
    filter_value  TEXT NOT NULL,
    column_name   TEXT NOT NULL,
    value         ANY,
    count         INTEGER NOT NULL
);
"""

# (SQLite table, DuckDB query). Queries run against the read-only DuckDB file plus the temp
# tables of PREPARE and the leaderboard views; ORDER BY makes the snapshot deterministic (rowids,
# default page order). Memory: DuckDB runs them within DUCKDB_MEMORY_LIMIT, spilling to disk, as
# long as no window and no hash table carries wide rows (abstracts, sentence texts): measured,
# such a plan needs memory that grows with the database and fails with "Out of Memory" or spills
# slowly (the claims join with a 9M-row table of sentence ids: 1.3 s at 300k papers, 22 s at 1M).
# So the wide tables only ever probe narrow temp tables (per-paper figures, sentence offsets,
# claims per sentence) and are sorted last.
COPIES: tuple[tuple[str, str], ...] = (
    ("papers", """
        SELECT p.paper_id, p.title, l.url, p.code_url, p.published, p.authors, p.upvotes,
               p.organization, l.year, l.url_is_search, f.links, f.sources, f.n_sentences, f.n_claims
        FROM papers p JOIN paper_figures f ON f.paper_id = p.paper_id
        JOIN paper_links l ON l.paper_id = p.paper_id
        ORDER BY p.paper_id"""),
    ("paper_sources", "SELECT paper_id, source, source_line FROM paper_sources ORDER BY paper_id, source"),
    ("sentences", """
        SELECT o.first_id + coalesce(r.pos, s.sentence_index) + 1 AS sentence_id, s.paper_id,
               s.sentence_index, s.span_start, s.span_end, s.text, k.n AS n_claims, s.section, s.page
        FROM sentences s
        JOIN paper_offsets o ON o.paper_id = s.paper_id
        LEFT JOIN sentence_ranks r ON r.paper_id = s.paper_id AND r.sentence_index = s.sentence_index
        JOIN sentence_claims k ON k.paper_id = s.paper_id AND k.sentence_index = s.sentence_index
        ORDER BY sentence_id"""),   # only the sentences that carry claims: the snapshot keeps no
                                     # abstract and each sentence's text once (issue 16: SQLite <= 2x
                                     # the input text); claims link to theirs by sentence_id
    ("claims", "SELECT * FROM claims_rows ORDER BY claim_id"),
    ("metrics", "SELECT metric, kind, higher_is_better, description FROM metrics ORDER BY metric"),
    ("units", "SELECT unit, dimension, unit_base, factor, description FROM units ORDER BY unit"),
    ("hardware", """
        SELECT e.hardware, e.category, e.vendor, a.aliases, e.n_claims, e.n_on_boards, e.n_papers, e.max_count,
               e.systems
        FROM entity_hardware e LEFT JOIN hardware_aliases a ON a.hardware = e.hardware
        ORDER BY n_claims DESC, hardware"""),
    ("systems", """
        SELECT system, n_claims, n_on_boards, n_papers, beats, beaten_by, hardware, aliases
        FROM entity_systems ORDER BY n_claims DESC, system"""),
    ("compared_baselines", """
        SELECT baseline, named, n_claims, n_systems, n_papers, beaten_by, best_factor, aliases
        FROM entity_baselines ORDER BY named DESC, n_claims DESC, baseline"""),
    ("baselines", "SELECT alias, canonical FROM baselines ORDER BY alias"),
    ("claim_baselines", "SELECT claim_id, baseline, mention, position FROM claim_baselines ORDER BY claim_id, position"),
    ("problems", "SELECT source, line, paper_id, problem, message FROM problems ORDER BY source, line"),
    ("build_info", "SELECT key, value FROM build_info ORDER BY key"),
    ("leaderboard_best", """
        SELECT * FROM leaderboard_best ORDER BY metric, compare_unit, rank"""),
    ("leaderboard_speedups", "SELECT * FROM leaderboard_speedups ORDER BY rank"),
    ("leaderboard_speedups_by_hardware", """
        SELECT * FROM leaderboard_speedups_by_hardware ORDER BY n_claims DESC, hardware NULLS LAST"""),
    ("leaderboard_head_to_head", """
        SELECT * FROM leaderboard_head_to_head
        ORDER BY named_baseline DESC, baseline_canonical, unit DESC, factor DESC, claim_id"""),
    ("leaderboard_scale", "SELECT * FROM leaderboard_scale ORDER BY paper_id"),
    ("chart_speedup_distribution", """
        SELECT * FROM chart_speedup_distribution ORDER BY hardware NULLS LAST, metric, bucket_order"""),
    ("chart_best_by_year", "SELECT * FROM chart_best_by_year ORDER BY hardware NULLS LAST, year, metric"),
    ("chart_utilization", "SELECT * FROM chart_utilization ORDER BY hardware NULLS LAST, percent DESC, label"),
    ("chart_baseline_counts", "SELECT * FROM chart_baseline_counts ORDER BY hardware NULLS LAST, baseline"),
    ("chart_speedup_points", """
        SELECT * FROM chart_speedup_points ORDER BY hardware NULLS LAST, baseline, factor DESC, system, result"""),
    ("hardware_specs", "SELECT * FROM hardware_specs ORDER BY hardware, variant, figure, precision"),
    ("checks", "SELECT * FROM checks ORDER BY claim_id, check_id"),
    ("physics_checks", "SELECT * FROM physics_checks ORDER BY severity_order, check_id, paper_id, claim_id"),
    ("claim_marks", "SELECT * FROM claim_marks ORDER BY claim_id"),
)

# sentence_id is the row number of a sentence in (paper_id, sentence_index) order: the number of
# sentences of the papers before it plus its position in its paper. A build numbers the sentences
# of a paper 0, 1, 2, ..., so the position is sentence_index; for any paper where that does not
# hold the positions are counted (sentence_ranks, empty for a database `claims build` wrote).
SENTENCE_KEYS: tuple[str, ...] = ("""CREATE OR REPLACE TEMP TABLE paper_offsets AS
    SELECT paper_id, (sum(n) OVER (ORDER BY paper_id) - n)::BIGINT AS first_id,
           lo = 0 AND hi = n - 1 AS numbered_from_zero
    FROM (SELECT paper_id, count(*) AS n, min(sentence_index) AS lo, max(sentence_index) AS hi
          FROM sentences GROUP BY paper_id)""", """CREATE OR REPLACE TEMP TABLE sentence_ranks AS
    SELECT s.paper_id, s.sentence_index,
           (row_number() OVER (PARTITION BY s.paper_id ORDER BY s.sentence_index) - 1)::BIGINT AS pos
    FROM sentences s SEMI JOIN (SELECT paper_id FROM paper_offsets WHERE NOT numbered_from_zero) o
      ON s.paper_id = o.paper_id""")

# Statements run before a table's copy, each making a temp table its query reads.
PREPARE: dict[str, tuple[str, ...]] = {
    "papers": ("""CREATE OR REPLACE TEMP TABLE paper_figures AS
        SELECT p.paper_id, ps.sources, nullif(array_to_string(p.links, ' '), '') AS links,
               coalesce(s.n, 0)::INTEGER AS n_sentences,
               coalesce(c.n, 0)::INTEGER AS n_claims
        FROM (SELECT paper_id, regexp_extract_all(abstract, $url_pattern) AS links FROM papers) p
        LEFT JOIN (SELECT paper_id, string_agg(source, ', ' ORDER BY source) AS sources
                   FROM paper_sources GROUP BY paper_id) ps USING (paper_id)
        LEFT JOIN (SELECT paper_id, count(*) AS n FROM sentences GROUP BY paper_id) s USING (paper_id)
        LEFT JOIN (SELECT paper_id, count(*) AS n FROM claims GROUP BY paper_id) c USING (paper_id)""",),
    "sentences": (*SENTENCE_KEYS, """CREATE OR REPLACE TEMP TABLE sentence_claims AS
        SELECT paper_id, sentence_index, count(*)::INTEGER AS n FROM claims
        GROUP BY paper_id, sentence_index"""),
    # the claims rows are joined into a temp table first and sorted after (one query doing both
    # ran out of memory); only the sentences that have claims are joined
    "claims": (*SENTENCE_KEYS, """CREATE OR REPLACE TEMP TABLE claim_sentences AS
        SELECT s.paper_id, s.sentence_index, s.span_start FROM sentences s
        SEMI JOIN (SELECT DISTINCT paper_id, sentence_index FROM claims) k
          ON s.paper_id = k.paper_id AND s.sentence_index = k.sentence_index""", """CREATE OR REPLACE TEMP TABLE claims_rows AS
        SELECT c.claim_id, c.paper_id,
               CASE WHEN s.span_start IS NULL THEN NULL
                    ELSE o.first_id + coalesce(r.pos, c.sentence_index) + 1 END AS sentence_id,
               c.mention,
               c.span_start - s.span_start AS mention_start,
               c.span_end - s.span_start AS mention_end,
               c.value, c.value_high, c.unit, c.kind, c.metric, c.direction, c.qualifier,
               c.baseline, h.baseline_canonical, c.system, c.hardware, c.hardware_count, c.model,
               c.value_base, c.unit_base, c.sentence_index, c.span_start, c.span_end,
               c.rule_id, c.rules_version, c.excluded_by
        FROM claims c
        JOIN papers p ON p.paper_id = c.paper_id
        LEFT JOIN claim_sentences s ON s.paper_id = c.paper_id AND s.sentence_index = c.sentence_index
        LEFT JOIN paper_offsets o ON o.paper_id = c.paper_id
        LEFT JOIN sentence_ranks r ON r.paper_id = c.paper_id AND r.sentence_index = c.sentence_index
        LEFT JOIN (SELECT claim_id, string_agg(baseline, ', ' ORDER BY position) AS baseline_canonical
                   FROM claim_baselines GROUP BY claim_id) h ON h.claim_id = c.claim_id"""),
}

# Indexes serve facets (metric, kind, hardware, unit, qualifier), foreign-key lookups, the
# value sort and the canned queries. Check plans with ?_trace=1 before adding more: an extra
# index can make a facet query pick a worse plan.
INDEXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("paper_sources", ("source",)),
    ("sentences", ("paper_id",)),
    ("claims", ("paper_id",)),
    ("claims", ("sentence_id",)),
    # each column a table page filters on, with the page's sort (sentence_id): the first rows of
    # ?hardware=H100 come from the index in order (6M claims: 734 ms with a sort, 1 ms without)
    ("claims", ("metric", "sentence_id")),
    ("claims", ("kind", "sentence_id")),
    ("claims", ("hardware", "sentence_id")),
    # a filter on hardware + the five default facets read this index only (no row lookups);
    # it also narrows the canned query speedups_by_hardware to one hardware's ratio/change rows
    ("claims", ("hardware", "kind", "unit", "metric", "qualifier", "excluded_by")),
    ("claims", ("unit", "sentence_id")),
    ("claims", ("qualifier", "sentence_id")),
    ("claims", ("system", "sentence_id")),
    ("claim_baselines", ("baseline",)),
    # leaderboards are rowid tables: claim_id / paper_id are plain foreign keys, so Datasette
    # shows them as links labelled with the mention / title; indexed for the "links from
    # other tables" counts on claim and paper pages
    ("leaderboard_best", ("claim_id",)),
    ("leaderboard_best", ("paper_id",)),
    ("leaderboard_head_to_head", ("claim_id",)),
    ("leaderboard_head_to_head", ("paper_id",)),
    ("leaderboard_scale", ("paper_id",)),
    ("leaderboard_scale", ("hardware_count_claim_id",)),
    ("leaderboard_scale", ("model_size_claim_id",)),
    ("leaderboard_scale", ("tokens_claim_id",)),
    ("leaderboard_best", ("metric", "hardware", "rank")),
    # entity pages and their "links from other tables" counts; the board facet and canned queries
    ("leaderboard_best", ("system",)),
    # a board's page and a metric's: the rows in rowid order (= rank order) from the index
    ("leaderboard_best", ("board",)),
    ("leaderboard_best", ("metric",)),
    ("leaderboard_best", ("metric", "board", "unit", "hardware")),   # facets of a metric's rows
    ("leaderboard_best", ("metric", "compare_unit", "rank")),
    ("leaderboard_speedups", ("claim_id",)),
    ("leaderboard_speedups", ("paper_id",)),
    ("leaderboard_speedups", ("system",)),
    ("leaderboard_speedups", ("hardware", "rank")),
    ("leaderboard_speedups", ("metric",)),      # a metric's page: rowid order (= rank) from the index
    ("leaderboard_speedups", ("metric", "direction", "flag")),   # facets of a metric's page
    ("leaderboard_speedups", ("direction",)),
    ("leaderboard_speedups", ("flag",)),
    ("leaderboard_head_to_head", ("hardware",)),
    ("leaderboard_best", ("hardware", "board", "hardware_rank")),
    ("leaderboard_best", ("rank",)),
    ("claims", ("excluded_by", "sentence_id")),
    ("leaderboard_head_to_head", ("baseline_canonical", "factor")),
    ("leaderboard_head_to_head", ("baseline_canonical", "metric")),   # metric facet of a baseline
    ("leaderboard_head_to_head", ("baseline_canonical", "unit", "factor")),
    ("leaderboard_head_to_head", ("factor",)),
    ("leaderboard_head_to_head", ("system",)),
    ("leaderboard_head_to_head", ("metric",)),
    ("leaderboard_scale", ("max_hardware_count",)),
    ("leaderboard_scale", ("max_model_parameters",)),
    ("leaderboard_scale", ("max_tokens",)),
    ("leaderboard_scale", ("hardware_category", "max_hardware_count")),
    ("checks", ("claim_id",)),
    ("physics_checks", ("severity_order", "check_id")),
    ("physics_checks", ("claim_id",)),
    ("hardware_specs", ("hardware",)),
    ("chart_best_by_year", ("hardware",)),
    ("chart_utilization", ("hardware",)),
    ("chart_baseline_counts", ("hardware",)),
    ("chart_speedup_points", ("hardware", "baseline")),
)

FTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("sentences", ("text",)),
    ("papers", ("title",)),
)
# The papers' titles are indexed from DuckDB (rowid = row number in paper_id order, the order
# the papers copy inserts them in) rather than from the SQLite table: this process can index
# them while the child still writes the papers.
FTS_ROWS = {"papers": "SELECT row_number() OVER (ORDER BY paper_id) AS rowid, title FROM papers ORDER BY paper_id"}


@dataclass
class PublishReport:
    """What `publish()` wrote: row counts per table, the output path, size and timings."""

    out_path: Path
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # CPU time of this process and its worker, for runs on busy machines
    timings: dict[str, float] = field(default_factory=dict)
    bytes: int = 0

    @property
    def claims(self) -> int:
        return self.rows.get("claims", 0)

    @property
    def papers(self) -> int:
        return self.rows.get("papers", 0)

    def __str__(self) -> str:
        return self.summary()

    def summary(self) -> str:
        return (f"{self.rows.get('papers', 0)} papers, {self.rows.get('claims', 0)} claims, "
                f"{sum(self.rows.get(t, 0) for t in self.rows if t.startswith('leaderboard_'))} leaderboard rows "
                f"to {self.out_path} ({self.bytes / 2**20:.1f} MiB) in {self.seconds:.1f}s")


def views_sql_path() -> Path:
    """db/views.sql of the source tree, or the copy shipped as package data."""
    for candidate in (REPO_DIR / "db" / "views.sql", PACKAGE_DIR / "data" / "views.sql"):
        if candidate.is_file():
            return candidate
    raise DatabaseError("db/views.sql not found: reinstall claims from a source checkout")


def metadata_path() -> Path:
    """datasette-metadata.yml: the repository root's, or the copy shipped as package data."""
    for candidate in (REPO_DIR / "datasette-metadata.yml", PACKAGE_DIR / "data" / "datasette-metadata.yml"):
        if candidate.is_file():
            return candidate
    raise DatabaseError("datasette-metadata.yml not found: reinstall claims from a source checkout")


def _open_duckdb(db_path: Path, temp_dir: Path | None = None):
    import duckdb

    if not db_path.is_file():
        raise DatabaseError(f"{db_path}: no such DuckDB file; run `claims build` first")
    # one thread: the copy is bound by Python and SQLite, and DuckDB spills more reliably with one
    config = {"memory_limit": DUCKDB_MEMORY_LIMIT, "threads": 1}
    if temp_dir is not None:
        config["temp_directory"] = str(temp_dir)
    try:
        con = duckdb.connect(str(db_path), read_only=True, config=config)
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseError(f"{db_path}: not a DuckDB database ({first})") from None
    found = {row[0] for row in con.sql(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    missing = [t for t in REQUIRED_TABLES if t not in found]
    if missing:
        con.close()
        raise DatabaseError(
            f"{db_path}: not a claims database (missing tables: {', '.join(missing)}); "
            "run `claims build` to create one")
    return con


# The view each published table is copied from, beyond the tables named after their view.
TABLE_VIEWS = {"papers": ("paper_links",), "hardware": ("entity_hardware",), "systems": ("entity_systems",),
               "compared_baselines": ("entity_baselines",)}


def views_for(tables: Iterable[str]) -> set[str]:
    """The views of db/views.sql that copying `tables` reads (dependencies are added by
    _create_leaderboard_views)."""
    return {v for t in tables for v in TABLE_VIEWS.get(t, (t,))}   # names that are no view are ignored


def _create_leaderboard_views(con, only: Iterable[str] | None = None) -> None:
    """Compute the views of db/views.sql (or the named ones and the views they read) once, each as
    a TEMP table of the same name (the DuckDB file is open read-only; temp objects shadow
    persistent views a build may have stored, so the snapshot follows the views file). Macros
    become TEMP macros. A view read by several tables is computed once."""
    import duckdb

    path = views_sql_path()
    statements = [st for st in re.split(r";\s*\n", path.read_text(encoding="utf-8")) if st.strip()]
    named = [(re.search(r"CREATE OR REPLACE (VIEW|MACRO) (\w+)", st), st) for st in statements]
    wanted = set(only) if only is not None else None
    if wanted is not None:   # add the views the wanted ones read, last to first
        views = [m.group(2) for m, _ in named if m is not None and m.group(1) == "VIEW"]
        for found, statement in reversed(named):
            if found is not None and found.group(2) in wanted:
                body = statement[found.end():]
                wanted |= {v for v in views if v != found.group(2) and re.search(rf"\b{v}\b", body)}
    for found, statement in named:
        if found is None:
            continue
        kind, name = found.group(1), found.group(2)
        if kind == "VIEW" and wanted is not None and name not in wanted:
            continue
        target = f"CREATE OR REPLACE TEMP TABLE {name}" if kind == "VIEW" else f"CREATE OR REPLACE TEMP MACRO {name}"
        sql = statement[:found.start()] + target + statement[found.end():]
        try:
            con.execute(sql)
        except duckdb.Error as exc:  # report one line that names the file and the view
            first = str(exc).strip().splitlines()[0]
            raise DatabaseError(f"{path}: {kind.lower()} {name} fails on this database ({first})") from None


def _hardware_aliases(duck) -> None:
    """`hardware_aliases(hardware, aliases)` from rules/hardware.yml, for the hardware entity table."""
    import pyarrow as pa

    from .rules import get_rules

    rows = {h.hardware: ", ".join(a for a in h.aliases if a != h.hardware) or None for h in get_rules().hardware}
    duck.register("hardware_aliases", pa.table({"hardware": list(rows), "aliases": list(rows.values())}))


def _copy_all(duck, lite, rows: dict[str, int], tables: Iterable[str], timings: dict | None = None) -> None:
    """Stream the COPIES queries of `tables` in batches of rows into the declared SQLite tables.
    DuckDB makes the row tuples itself (`fetchmany`: 30% faster than Arrow batches turned into
    Python lists and zipped). (Single-threaded on purpose: a producer thread converting batches
    while executemany runs measured slower, the two threads hand the GIL back and forth per row.)"""
    wanted = set(tables)
    for table, query in COPIES:
        if table not in wanted:
            continue
        lap = time.perf_counter()
        if table == "hardware":
            _hardware_aliases(duck)
        for statement in PREPARE.get(table, ()):
            if "$url_pattern" in statement:   # the URL pattern of the ingest stage (code_url)
                duck.execute(statement, {"url_pattern": URL_PATTERN})
            else:
                duck.execute(statement)
        result = duck.execute(query)
        names = [d[0] for d in result.description]
        insert = 'INSERT INTO "{}" ({}) VALUES ({})'.format(
            table, ", ".join(f'"{n}"' for n in names), ", ".join("?" for _ in names))
        rows[table] = _insert_batches(lite, insert, result)
        if timings is not None:
            timings[f"copy {table}"] = time.perf_counter() - lap


def _insert_batches(lite, insert: str, result) -> int:
    n = 0
    while True:
        batch = result.fetchmany(BATCH_ROWS)
        if not batch:
            return n
        lite.executemany(insert, batch)
        n += len(batch)


def _new_sqlite(path: Path):
    import sqlite3

    lite = sqlite3.connect(path, isolation_level=None)
    # 16 KiB pages: wide claim rows, fewer page splits and syscalls on write, shallower
    # B-trees for the facet index scans (measured: copy -30%, index builds -30%)
    # temp_store FILE: the sorts behind CREATE INDEX spill to temp files beyond the page cache
    # instead of holding a whole index in memory (9M sentences: ~200 MB); as fast at 100k papers
    for pragma in ("page_size = 16384", "journal_mode = OFF", "synchronous = OFF", "temp_store = FILE",
                   f"cache_size = -{SQLITE_CACHE_KIB}", "foreign_keys = OFF", "threads = 2"):
        lite.execute(f"PRAGMA {pragma}")
    lite.executescript(SQLITE_SCHEMA)
    return lite


def _create_indexes(lite, tables: Iterable[str]) -> None:
    wanted = set(tables)
    lite.execute("BEGIN")
    for table, columns in INDEXES:
        if table in wanted:
            name = f"idx_{table}_{'_'.join(columns)}"
            cols = ", ".join(f'"{c}"' for c in columns)
            lite.execute(f'CREATE INDEX "{name}" ON "{table}" ({cols})')
    lite.execute("COMMIT")


def _create_fts(lite, tables: Iterable[str], duck=None) -> None:
    """FTS5 over the FTS columns, external content, no triggers (the snapshot is read-only).
    The same statements as sqlite-utils' `enable_fts(cols, fts_version="FTS5")`, which Datasette
    recognizes by the `content=` table; written here because importing sqlite_utils imports
    pandas (~0.35 s per `claims publish`). Tables in FTS_ROWS are indexed from `duck`."""
    for table, columns in FTS:
        if table not in tables:
            continue
        cols = ", ".join(f'"{c}"' for c in columns)
        fts = f'"{table}_fts"'
        lite.execute(f'CREATE VIRTUAL TABLE {fts} USING FTS5 (\n    {cols},\n    content="{table}"\n)')
        lite.execute(f"INSERT INTO {fts} ({fts}, rank) VALUES ('hashsize', {FTS_HASHSIZE})")
        lite.execute(f"INSERT INTO {fts} ({fts}, rank) VALUES ('automerge', 0)")
        if table in FTS_ROWS:
            lite.execute("BEGIN")
            _insert_batches(lite, f'INSERT INTO {fts} (rowid, {cols}) VALUES (?, {", ".join("?" for _ in columns)})',
                            duck.execute(FTS_ROWS[table]))
            lite.execute("COMMIT")
        else:
            lite.execute(f'INSERT INTO {fts} (rowid, {cols}) SELECT rowid, {cols} FROM "{table}"')
        lite.execute(f"INSERT INTO {fts} ({fts}) VALUES ('optimize')")
        # back to FTS5's defaults (no rows in the config table), as sqlite-utils leaves it
        lite.execute(f"DELETE FROM \"{table}_fts_config\" WHERE k IN ('hashsize', 'automerge')")


def counted_facets(metadata=None) -> dict[str, list[str]]:
    """{table: columns} of the metadata's `{counted: column}` facets (datasette-metadata.yml), the
    facets whose counts the snapshot carries in `facet_counts` (datasette_plugins/counted_facets.py)."""
    import yaml

    meta = yaml.safe_load(Path(metadata or metadata_path()).read_text(encoding="utf-8"))
    tables = (meta.get("databases", {}).get(DATABASE_NAME, {}) or {}).get("tables", {}) or {}
    out: dict[str, list[str]] = {}
    for table, spec in tables.items():
        for facet in (spec or {}).get("facets", []) or []:
            if isinstance(facet, dict) and "counted" in facet:
                out.setdefault(table, []).append(facet["counted"])
    return out


def _count_facets(lite, facets: dict[str, list[str]]) -> int:
    """Fill `facet_counts` for each table's counted facet columns: the counts of each column's
    values over the whole table, and within each value of each counted column (one equality
    filter). One scan per table: the counts per combination of the columns (a small temp table),
    summed up from there. Returns the number of rows written."""
    lite.execute("BEGIN")
    for table, columns in facets.items():
        known = {r[1] for r in lite.execute("SELECT * FROM pragma_table_info(?)", [table])}
        missing = [c for c in columns if c not in known]
        if missing:
            raise DatabaseError(f"{metadata_path()}: counted facet {', '.join(missing)} is not a column of {table}")
        cols = ", ".join(f'"{c}"' for c in columns)     # names checked against the table above
        lite.execute(f'CREATE TEMP TABLE facet_cube AS SELECT {cols}, count(*) AS n FROM "{table}" GROUP BY {cols}')
        for column in columns:
            col = f'"{column}"'
            lite.execute(f"INSERT INTO facet_counts SELECT ?, '', '', ?, {col}, sum(n) FROM facet_cube "
                         f"WHERE {col} IS NOT NULL GROUP BY {col}", [table, column])
            for by in columns:
                key = f'"{by}"'
                lite.execute(f"INSERT INTO facet_counts SELECT ?, ?, CAST({key} AS TEXT), ?, {col}, sum(n) "
                             f"FROM facet_cube WHERE {key} IS NOT NULL AND {col} IS NOT NULL "
                             f"GROUP BY {key}, {col}", [table, by, column])
        lite.execute("DROP TABLE facet_cube")
    lite.execute("CREATE INDEX idx_facet_counts ON facet_counts (table_name, filter_column, filter_value, column_name)")
    lite.execute("COMMIT")
    return lite.execute("SELECT count(*) FROM facet_counts").fetchone()[0]


def write_parts(db_path, parts: list[tuple[str, list[str]]]) -> None:
    """Write each (part_path, tables) in turn from the claims DuckDB into a new SQLite file that
    has the whole snapshot schema, with the tables' indexes. When a part is complete its row
    counts and timings appear in `part_path + '.rows.json'`, which tells the parent that it can
    merge it. Runs in the child process of big databases (CHILD_PARTS)."""
    import json

    spill = Path(str(parts[0][0]) + ".duckdb-tmp")
    duck = _open_duckdb(Path(db_path), spill)
    try:
        tables = [t for _, group in parts for t in group]
        # the leaderboard tables a copy reads: its own, and for claims the head-to-head one
        _create_leaderboard_views(duck, only=views_for(tables))
        for part_path, group in parts:
            timings: dict[str, float] = {}
            rows: dict[str, int] = {}
            lite = _new_sqlite(Path(part_path))
            lite.execute("BEGIN")
            _copy_all(duck, lite, rows, group, timings)
            lite.execute("COMMIT")
            lap = time.perf_counter()
            _create_indexes(lite, group)
            timings[f"indexes {group[0]}"] = time.perf_counter() - lap
            lite.close()
            done = Path(str(part_path) + ".rows.json")
            tmp = done.with_name(done.name + ".tmp")
            tmp.write_text(json.dumps({"rows": rows, "timings": timings}))
            os.replace(tmp, done)   # appears complete or not at all
    finally:
        duck.close()
        shutil.rmtree(spill, ignore_errors=True)


def _start_parts(db_path: Path, parts: list[tuple[Path, tuple[str, ...]]], log: Path) -> subprocess.Popen:
    # progress and row counts come back in side files: DuckDB may draw a progress bar on stdout,
    # and stderr goes to `log` (a pipe nobody reads until the end could fill up and block)
    import json

    code = ("import json, sys; from claims.store import die_with_parent; die_with_parent()\n"
            "from claims.publish import write_parts; from claims.errors import ClaimsError\n"
            "try: write_parts(sys.argv[1], json.loads(sys.argv[2]))\n"
            "except ClaimsError as exc: sys.exit(str(exc))\n"
            "except Exception as exc: sys.exit(type(exc).__name__ + ': ' + (str(exc).strip().splitlines() or [''])[0])\n")
    with open(log, "wb") as err:
        return subprocess.Popen([sys.executable, "-c", code, str(db_path),
                                 json.dumps([[str(p), list(t)] for p, t in parts])],
                                stdout=subprocess.DEVNULL, stderr=err)


def _merge_part(proc: subprocess.Popen, part: Path, log: Path, lite, report: PublishReport,
                tables: Iterable[str]) -> None:
    """Wait until the child has completed `part`, then move its tables into the snapshot. With
    identical schema and indexes on an empty target, SQLite's transfer optimization copies the
    b-trees as they are."""
    import json

    done = Path(str(part) + ".rows.json")
    lap = time.perf_counter()
    while not done.is_file():
        if proc.poll() is not None and not done.is_file():
            last = (log.read_text("utf-8", "replace").strip().splitlines() or ["no output"])[-1]
            raise DatabaseError(f"publishing the {', '.join(tables)} tables failed in a worker process: {last}")
        time.sleep(0.05)
    report.timings["wait " + ", ".join(tables)] = time.perf_counter() - lap
    lap = time.perf_counter()
    info = json.loads(done.read_text())
    report.rows.update(info["rows"])
    report.timings.update({f"worker {k}": v for k, v in info["timings"].items()})
    _create_indexes(lite, tables)  # on the empty tables: instant, and enables the transfer
    lite.execute("ATTACH DATABASE ? AS part", [str(part)])
    lite.execute("BEGIN")
    for table in tables:   # names from CHILD_PARTS
        lite.execute(f'INSERT INTO main."{table}" SELECT * FROM part."{table}"')
    lite.execute("COMMIT")
    lite.execute("DETACH DATABASE part")
    part.unlink()
    done.unlink()
    report.timings["merge " + ", ".join(tables)] = time.perf_counter() - lap


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the claims worker)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def publish(db_path, out_path, *, workers: int | None = None) -> PublishReport:
    """Write the SQLite snapshot of the claims DuckDB at `db_path` to `out_path` (atomically).

    `workers=2` (the default above PARALLEL_CLAIMS claims) writes CHILD_PARTS (claims and the
    leaderboards, then papers and paper_sources) in a child process while this one writes the
    sentences, the small tables and the full-text indexes, then merges the child's files."""
    from .store import remove_stale_temps

    db_path, out_path = Path(db_path), Path(out_path)
    check_output(db_path, out_path)
    t0, cpu0 = time.perf_counter(), _cpu()
    report = PublishReport(out_path=out_path)
    remove_stale_temps(out_path)      # temp files, parts and spill folders of killed publishes
    spill = out_path.parent / f".{out_path.name}.{os.getpid()}.duckdb-tmp"   # DuckDB creates it if it spills
    duck = _open_duckdb(db_path, spill)
    n_claims = duck.sql("SELECT count(*) FROM claims").fetchall()[0][0]
    if workers is None:
        workers = 2 if n_claims >= PARALLEL_CLAIMS and (os.cpu_count() or 1) > 1 else 1
    out_path.parent.mkdir(parents=True, exist_ok=True)
    # named after this process: a killed publish's files are removed by the next one
    tmp = out_path.with_name(f".{out_path.name}.{os.getpid()}.tmp")
    tmp.touch()
    parts = [(tmp.with_name(f"{tmp.name}.part{n}"), group) for n, group in enumerate(CHILD_PARTS)]
    log = tmp.with_name(tmp.name + ".log")
    child = None
    try:
        tmp.unlink()  # sqlite3 creates it fresh
        here = [t for t, _ in COPIES]
        if workers > 1:
            child = _start_parts(db_path, parts, log)
            here = [t for t in here if t not in CHILD_TABLES]
        lap = time.perf_counter()
        _create_leaderboard_views(duck, None if workers == 1 else views_for(here))
        report.timings["leaderboards"] = time.perf_counter() - lap
        lite = _new_sqlite(tmp)
        lap = time.perf_counter()
        lite.execute("BEGIN")
        _copy_all(duck, lite, report.rows, here, report.timings)
        lite.execute("COMMIT")
        report.timings["copy"] = time.perf_counter() - lap
        lap = time.perf_counter()
        _create_indexes(lite, here)
        report.timings["indexes"] = time.perf_counter() - lap
        lap = time.perf_counter()
        _create_fts(lite, [t for t, _ in FTS], duck)   # the papers' titles come from DuckDB
        report.timings["fts"] = time.perf_counter() - lap
        if child is not None:
            for part, group in parts:
                _merge_part(child, part, log, lite, report, group)
            child.wait()
        _check_fts_rowids(lite, report.rows)
        lap = time.perf_counter()
        report.rows["facet_counts"] = _count_facets(lite, counted_facets())
        report.timings["facet counts"] = time.perf_counter() - lap

        lap = time.perf_counter()
        lite.execute("PRAGMA analysis_limit = 1000")
        lite.execute("ANALYZE")
        report.timings["analyze"] = time.perf_counter() - lap
        lite.execute("PRAGMA journal_mode = DELETE")
        lite.close()
        os.replace(tmp, out_path)
    except BaseException as exc:
        if child is not None and child.poll() is None:
            child.kill()
            child.wait()
        tmp.unlink(missing_ok=True)
        if isinstance(exc, sqlite3.Error):    # e.g. "database or disk is full": one line naming the file
            full = "full" in str(exc)
            raise DatabaseError(f"{out_path}: SQLite: {exc}; " + (
                "the disk is full; free space there or write elsewhere (--out)" if full else
                "check the folder and the disk") + "; the previous snapshot is unchanged") from None
        raise
    finally:
        for part, _ in parts:
            part.unlink(missing_ok=True)
            Path(str(part) + ".rows.json").unlink(missing_ok=True)
            Path(str(part) + ".rows.json.tmp").unlink(missing_ok=True)
        log.unlink(missing_ok=True)
        duck.close()
        shutil.rmtree(spill, ignore_errors=True)
        shutil.rmtree(str(parts[0][0]) + ".duckdb-tmp", ignore_errors=True)
    report.rows = {t: report.rows[t] for t, _ in COPIES if t in report.rows}
    report.bytes = out_path.stat().st_size
    report.seconds = time.perf_counter() - t0
    report.cpu_seconds = _cpu() - cpu0
    return report


DUCKDB_MAGIC = b"DUCK"   # bytes 8-11 of every DuckDB database file


def check_output(db_path: Path, out_path: Path) -> None:
    """Refuse an output that is the input, or any DuckDB file (it would be replaced by SQLite)."""
    if out_path.is_dir():
        raise DatabaseError(f"{out_path}: is a directory; give a file name for --out (e.g. db/claims.db)")
    same = out_path.resolve() == db_path.resolve()
    if not same and out_path.exists() and db_path.exists():
        same = os.path.samefile(out_path, db_path)
    if same:
        raise DatabaseError(f"{out_path}: --out is the --db input; give another file for the SQLite snapshot "
                            "(e.g. db/claims.db)")
    if out_path.is_file():
        with open(out_path, "rb") as fh:
            head = fh.read(16)
        if head[8:12] == DUCKDB_MAGIC:
            raise DatabaseError(f"{out_path}: is a DuckDB database; publish would replace it with SQLite, "
                                "give another file for --out (e.g. db/claims.db)")


def _check_fts_rowids(lite, rows: dict[str, int]) -> None:
    """The tables indexed from DuckDB (FTS_ROWS) must have the rowids 1..n the index assumed."""
    for table in FTS_ROWS:
        top = lite.execute(f'SELECT max(rowid) FROM "{table}"').fetchone()[0] or 0
        if top != rows.get(table, 0):
            raise DatabaseError(f"{table}: rowids 1..{rows.get(table, 0)} expected for its full-text index, "
                                f"found up to {top}; rebuild the database with `claims build`")


def datasette_args(db_sqlite, metadata=None) -> list[str]:
    """Arguments after `datasette serve` for the published snapshot (shared by serve and tests)."""
    args = ["-i", str(db_sqlite), "--metadata", str(metadata or metadata_path()),
            "--plugins-dir", str(PLUGINS_DIR), "--template-dir", str(TEMPLATES_DIR)]
    for name, value in SETTINGS.items():
        args += ["--setting", name, ("on" if value else "off") if isinstance(value, bool) else str(value)]
    return args


# Datasette settings of the site: no facet suggestions (each costs a query per column on every
# table page), and a one-second cap on facets and queries.
SETTINGS = {"suggest_facets": False, "facet_time_limit_ms": 1000, "sql_time_limit_ms": 1000}


def _as_claims_db(db_sqlite: Path) -> Path:
    """Datasette names a database after its file stem and the metadata describes `claims`;
    serve any other file name through a `claims.sqlite` symlink in a temporary directory."""
    if db_sqlite.stem == DATABASE_NAME:
        return db_sqlite
    link = Path(tempfile.mkdtemp(prefix="claims-serve-")) / f"{DATABASE_NAME}.sqlite"
    link.symlink_to(db_sqlite.resolve())
    return link


def check_snapshot(db_sqlite: Path) -> None:
    """One line if `db_sqlite` is not a readable claims snapshot (missing, not SQLite, malformed)."""
    import sqlite3

    if not db_sqlite.is_file():
        raise DatabaseError(f"{db_sqlite}: no such SQLite snapshot; run `claims publish` first")
    with open(db_sqlite, "rb") as fh:
        if fh.read(16) != b"SQLite format 3\x00":
            raise DatabaseError(f"{db_sqlite}: not a SQLite file; run `claims publish` to create it")
    try:
        con = sqlite3.connect(f"file:{db_sqlite.resolve()}?immutable=1", uri=True)
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            missing = [t for t in (*REQUIRED_TABLES, "build_info") if t not in tables]
            if not missing:
                con.execute("SELECT count(*) FROM build_info").fetchall()
        finally:
            con.close()
    except sqlite3.Error as exc:
        raise DatabaseError(f"{db_sqlite}: unreadable SQLite snapshot ({exc}); run `claims publish` again") from None
    if missing:
        raise DatabaseError(f"{db_sqlite}: not a claims snapshot (missing tables: {', '.join(missing)}); "
                            "run `claims publish` to create it")


def check_port(host: str, port: int) -> None:
    """One line if the port cannot be bound (taken, or not allowed)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise DatabaseError(f"{host}:{port}: cannot listen there ({exc.strerror}); pass another --port "
                                "or stop the server using it") from None


# signals `claims serve` passes on to Datasette, then waits for its exit code
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def serve(db_sqlite, host: str = "127.0.0.1", port: int = 8001, open_browser: bool = False,
          metadata=None) -> int:
    """Run Datasette on the snapshot (blocking) and return its exit code (negative: the signal
    that ended it). SIGTERM, SIGINT and SIGHUP are forwarded to Datasette; if this process is
    killed outright, the kernel kills Datasette too (PR_SET_PDEATHSIG)."""
    from .store import die_with_parent

    db_sqlite = Path(db_sqlite)
    check_snapshot(db_sqlite)
    check_port(host, port)
    served = _as_claims_db(db_sqlite)
    cmd = [sys.executable, "-m", "datasette", "serve", *datasette_args(served, metadata),
           "--host", host, "--port", str(port)]
    if open_browser:
        cmd.append("--open")
    proc = subprocess.Popen(cmd, preexec_fn=die_with_parent)

    def forward(signum, frame):
        if proc.poll() is None:
            proc.send_signal(signum)

    previous = {}
    try:
        for signum in FORWARDED:
            try:
                previous[signum] = signal.signal(signum, forward)
            except ValueError:      # not the main thread: leave signals alone
                break
        while True:
            try:
                return proc.wait()
            except KeyboardInterrupt:   # only if SIGINT could not be forwarded
                forward(signal.SIGINT, None)
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if served != db_sqlite:
            served.unlink(missing_ok=True)
            served.parent.rmdir()
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _interrupt(signum, frame):
    raise KeyboardInterrupt
