"""Store: build the DuckDB claims database from input files.

The build streams: papers are read, deduplicated and extracted in bounded batches, and each
batch goes into DuckDB as one Arrow table (`INSERT INTO t SELECT * FROM batch`). The database is
written to a temporary file next to the target and renamed over it only when complete, so a
crash or a kill at any point leaves the previous database untouched.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import operator
import os
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import duckdb
import pyarrow as pa

from . import __version__
from .errors import BusyError, DatabaseError, InputError, StrictError
from .ingest import Deduper, Problems, expand_sources, iter_papers
from .models import Paper, paper_id_for

ROOT = Path(__file__).resolve().parent.parent
# In a checkout (or editable install) the SQL lives in db/; a wheel carries it as claims/data/*.sql.
DB_DIR = ROOT / "db" if (ROOT / "db" / "schema.sql").exists() else Path(__file__).resolve().parent / "data"
SCHEMA_SQL = DB_DIR / "schema.sql"
VIEWS_SQL = DB_DIR / "views.sql"
DEFAULT_DB = Path("db/claims.duckdb")
BATCH_PAPERS = 512
# The build's DuckDB: a bounded buffer pool (DuckDB's default is 80% of RAM, and it keeps what it
# writes cached up to that; 256MB measured as fast as 512MB) and one thread while extraction
# workers use the cores; the final steps get BUILD_THREADS_FINISH.
BUILD_MEMORY_LIMIT = os.environ.get("CLAIMS_DUCKDB_MEMORY", "256MB")
BUILD_THREADS_FINISH = 2
# The final transaction (paper_sources, metadata fills as one UPDATE over papers, views) and its
# commit need more than the streaming inserts: at 1M papers the commit failed at 256MB.
BUILD_MEMORY_LIMIT_FINISH = os.environ.get("CLAIMS_DUCKDB_MEMORY_FINISH", "1GB")
# The streamed rows go in as one transaction (0: never commit before the end). DuckDB then
# writes each full row group straight to the file, compressed once ("optimistic writes"). A
# commit every 20k papers sent the rest (all papers rows: 20k < a row group) to the WAL, and
# the automatic checkpoints that followed re-read and re-compressed the tables' last row
# groups, a cost growing with the database (replayed 900k papers: 74 s in commits vs 1.2 s for
# one commit). Atomicity comes from the temp file either way.
COMMIT_PAPERS = int(os.environ.get("CLAIMS_COMMIT_PAPERS", 0))
INSERT_PAPERS = 4096   # papers per DuckDB insert (see _Pending)
# Full texts (~50 KB, ~1,300 sentences each): batches and inserts are also bounded by their text
# and sentences, so that memory does not grow with document size (abstracts never reach these:
# 512 abstracts are ~0.8 MB, 4096 have ~37k sentences)
BATCH_CHARS = 8_000_000
INSERT_SENTENCES = 200_000

# --------------------------------------------------------------------------- Arrow schemas

PAPERS = pa.schema([
    ("paper_id", pa.string()), ("title", pa.string()), ("abstract", pa.string()), ("url", pa.string()),
    ("code_url", pa.string()), ("published", pa.string()), ("authors", pa.int32()), ("upvotes", pa.int32()),
    ("organization", pa.string()),
])
SOURCES = pa.schema([("paper_id", pa.string()), ("source", pa.string()), ("source_line", pa.int32())])
SENTENCES = pa.schema([
    ("paper_id", pa.string()), ("sentence_index", pa.int32()), ("span_start", pa.int32()),
    ("span_end", pa.int32()), ("text", pa.string()), ("section", pa.string()), ("page", pa.int32()),
])
CLAIMS = pa.schema([
    ("claim_id", pa.string()), ("paper_id", pa.string()), ("sentence_index", pa.int32()),
    ("span_start", pa.int32()), ("span_end", pa.int32()), ("mention", pa.string()), ("value", pa.float64()),
    ("value_high", pa.float64()), ("unit", pa.string()), ("kind", pa.string()), ("metric", pa.string()),
    ("direction", pa.string()), ("qualifier", pa.string()), ("baseline", pa.string()), ("system", pa.string()),
    ("hardware", pa.string()), ("hardware_count", pa.int64()), ("model", pa.string()),
    ("value_base", pa.float64()), ("unit_base", pa.string()), ("rule_id", pa.string()),
    ("rules_version", pa.string()), ("excluded_by", pa.string()),
])
GATE_FLAGS = pa.schema([("flag", pa.string()), ("kind", pa.string()), ("unit", pa.string()),
                        ("min_value", pa.float64()), ("label", pa.string())])
PROBLEMS = pa.schema([
    ("source", pa.string()), ("line", pa.int32()), ("paper_id", pa.string()), ("problem", pa.string()),
    ("message", pa.string()),
])


@dataclass
class BuildReport:
    db_path: Path
    papers: int = 0
    records: int = 0
    sentences: int = 0
    claims: int = 0
    problems: list = field(default_factory=list)
    seconds: float = 0.0
    sources: list = field(default_factory=list)
    timings: dict = field(default_factory=dict)   # seconds of the final steps (commit, checks, checkpoint)
    filtered: int = 0                             # JSON records outside --category (counted, not problems)


# --------------------------------------------------------------------------- extraction of a batch

def extract_batch(batch: Sequence[tuple[str, str, str]]) -> tuple[pa.Table, pa.Table, list[tuple]]:
    """Extract (paper_id, title, abstract) triples. Runs in worker processes: pure, picklable."""
    from .extract import extract_abstract
    from .gate import excluded_by, get_gate
    from .fulltext import layout
    from .rules import rules_version

    version = rules_version()
    the_gate = get_gate()
    sent_cols: dict[str, list] = {name: [] for name in SENTENCES.names}
    claim_cols: dict[str, list] = {name: [] for name in CLAIMS.names}
    # Claim attributes read directly (model_dump per claim cost ~10 us); claim_id is the same
    # property to_record() uses, rules_version is this build's
    fields = [(name, claim_cols[name].append) for name in CLAIMS.names if name not in ("claim_id", "rules_version", "excluded_by")]
    claim_id, rules = claim_cols["claim_id"].append, claim_cols["rules_version"].append
    gate = claim_cols["excluded_by"].append   # the leaderboards' precision gate (rules/gate.yml)
    problems: list[tuple] = []
    for paper_id, title, abstract in batch:
        try:
            result = extract_abstract(abstract, title=title, paper_id=paper_id)
        except Exception as exc:   # one paper's failure is a problem row, never the build's end
            problems.append((paper_id, "extract_error",
                             f"extraction failed ({type(exc).__name__}: {_first_line(exc)}); paper kept "
                             "without claims (report it with `claims explain`)"))
            continue
        sections, pages = layout(abstract, [s.start for s in result.sentences])
        sent_cols["section"] += sections
        sent_cols["page"] += pages
        for s in result.sentences:
            sent_cols["paper_id"].append(paper_id)
            sent_cols["sentence_index"].append(s.sentence_index)
            sent_cols["span_start"].append(s.start)
            sent_cols["span_end"].append(s.end)
            sent_cols["text"].append(s.text)
        starts = {s.sentence_index: s.start for s in result.sentences}
        for c in result.claims:
            claim_id(c.claim_id)
            for name, append in fields:
                append(getattr(c, name))
            rules(version)
            gate(excluded_by(c, starts.get(c.sentence_index, c.span_start), the_gate))
        for p in result.problems:
            problems.append((paper_id, p["problem"], p["message"]))
    return (pa.table(sent_cols, schema=SENTENCES), pa.table(claim_cols, schema=CLAIMS), problems)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:200]


_PAPER_FIELDS = operator.attrgetter(*PAPERS.names)


def _papers_table(papers: list[Paper]) -> pa.Table:
    columns = zip(*map(_PAPER_FIELDS, papers))
    return pa.Table.from_arrays([pa.array(c, type=f.type) for c, f in zip(columns, PAPERS)], schema=PAPERS)


def skip_pandas_probe() -> None:
    """pyarrow imports pandas (~0.35 s) the first time it converts Python objects, only to see
    whether they are pandas objects. A build hands it plain lists: let that one probe find no
    pandas. pyarrow imports pandas for real when a pandas conversion is asked for (to_pandas),
    so nothing else changes. Forked extraction workers inherit this."""
    if "pandas" in sys.modules:
        return
    sys.meta_path.insert(0, _NoPandas)
    try:
        pa.array([0])
    finally:
        sys.meta_path.remove(_NoPandas)


class _NoPandas:
    """An import finder that refuses pandas (installed only around the probe above)."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError("pandas probe skipped")
        return None


def _batches(papers: Iterator[Paper], deduper: Deduper, size: int) -> Iterator[list[Paper]]:
    """Batches of `size` new papers, or fewer when they hold BATCH_CHARS of text (full texts)."""
    batch: list[Paper] = []
    chars = 0
    for paper in papers:
        if deduper.add(paper):
            batch.append(paper)
            chars += len(paper.abstract)
            if len(batch) >= size or chars >= BATCH_CHARS:
                yield batch
                batch = []
                chars = 0
    if batch:
        yield batch


# --------------------------------------------------------------------------- build

def connect(db_path: str | os.PathLike, read_only: bool = True, config: dict | None = None) -> duckdb.DuckDBPyConnection:
    """Open an existing claims database; a one-line DatabaseError if it is missing or foreign."""
    path = Path(db_path)
    if not path.exists():
        raise DatabaseError(f"{path}: no database; run `claims build` first (or pass --db)")
    if not path.is_file():
        raise DatabaseError(f"{path}: not a file; give the DuckDB file `claims build` wrote (--db)")
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=config or {})
        con.execute("SELECT count(*) FROM claims JOIN papers USING (paper_id) LIMIT 1").fetchall()
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0]
        raise DatabaseError(f"{path}: not a claims database ({first}); rebuild it with `claims build`") from None
    return con


def _insert(con: duckdb.DuckDBPyConnection, table: str, data: pa.Table, or_ignore: bool = False) -> None:
    """Bulk insert one Arrow table. `table` comes from code, never from input."""
    if not data.num_rows:
        return
    if not or_ignore:
        # not register() + INSERT: a registered Arrow table stays referenced until the transaction
        # commits, i.e. a whole build's batches would stay in memory
        con.from_arrow(data).insert_into(table)
        return
    con.register("_batch", data)
    con.execute(f"INSERT OR IGNORE INTO {table} SELECT * FROM _batch")
    con.unregister("_batch")


def start_database(tmp: Path, db_path: Path, append: bool) -> tuple[duckdb.DuckDBPyConnection, list[tuple[str, str]]]:
    """Open the temporary database a build fills: a copy of `db_path` to append to, or a new one
    with the schema and the rule vocabularies. Returns it with the dedupe keys of the papers already
    in it, (key, paper_id) pairs: each paper's id and its title key, the keys a full build's
    Deduper would hold, so that --append dedupes exactly as a full build does."""
    from .rules import vocabulary_rows

    if append and db_path.exists():
        connect(db_path).close()
        shutil.copyfile(db_path, tmp)
        con = _build_connection(tmp)
        keys: list[tuple[str, str]] = []
        for paper_id, title in con.execute("SELECT paper_id, title FROM papers ORDER BY paper_id").fetchall():
            keys.append((paper_id, paper_id))
            keys.append((paper_id_for(title), paper_id))
        return con, keys
    con = _build_connection(tmp)
    con.execute(SCHEMA_SQL.read_text())
    vocab = vocabulary_rows()
    for table in ("metrics", "units", "hardware", "baselines"):
        cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
        rows = [{c: row.get(c) for c in cols} for row in vocab.get(table, [])]
        if rows:
            _insert(con, table, pa.Table.from_pylist(rows).select(cols))
    return con, []


def _build_connection(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path), config={"memory_limit": BUILD_MEMORY_LIMIT, "threads": 1})
    # listings of this build, (paper, source) pairs not yet unique; see add_listings
    con.execute("CREATE TEMP TABLE listings (seq BIGINT, paper_id VARCHAR, source VARCHAR, source_line INTEGER)")
    return con


def add_listings(con: duckdb.DuckDBPyConnection, deduper: Deduper) -> None:
    """Move the listings a streaming Deduper collected into the build's temp table."""
    rows = deduper.take_sources()
    if rows:
        first = deduper.listings - len(rows)
        con.from_arrow(pa.Table.from_arrays(
            [pa.array(range(first, deduper.listings), pa.int64()), *(pa.array(c, t) for c, t in zip(
                zip(*rows), (pa.string(), pa.string(), pa.int32())))],
            names=["seq", "paper_id", "source", "source_line"])).insert_into("listings")


def _insert_sources(con, deduper: Deduper, append: bool) -> int:
    """paper_sources from the listings: one row per (paper, source), the first listing's line,
    in input order. Returns the number of pairs this build listed."""
    if not deduper.streaming:
        _insert(con, "paper_sources", pa.Table.from_pylist(
            [{"paper_id": a, "source": b, "source_line": c} for a, b, c in deduper.sources], schema=SOURCES),
                or_ignore=append)
        return len(deduper.sources)
    add_listings(con, deduper)
    con.execute("""CREATE TEMP TABLE listed AS
                   SELECT paper_id, source, first(source_line ORDER BY seq) AS source_line, min(seq) AS seq
                   FROM listings GROUP BY paper_id, source""")
    verb = "INSERT OR IGNORE INTO" if append else "INSERT INTO"
    con.execute(f"{verb} paper_sources SELECT paper_id, source, source_line FROM listed ORDER BY seq")
    pairs = con.execute("SELECT count(*) FROM listed").fetchall()[0][0]
    con.execute("DROP TABLE listed")
    con.execute("DROP TABLE listings")
    return pairs


def _apply_fills(con, deduper: Deduper) -> None:
    """Fill metadata the first copy of a paper lacked from later copies (Deduper.fills)."""
    meta = Deduper.META
    if deduper.streaming and deduper.later:
        ids = pa.table({"paper_id": pa.array(sorted({k for k, _ in deduper.later}), pa.string())})
        con.register("_ids", ids)
        found = con.execute(f"SELECT paper_id, {', '.join(meta)} FROM papers JOIN _ids USING (paper_id)").fetchall()
        con.unregister("_ids")
        deduper.resolve_fills({r[0]: tuple(r[1:]) for r in found})
    if not deduper.fills:
        return
    fills = sorted(deduper.fills.items())
    types = {f.name: f.type for f in PAPERS}
    table = pa.Table.from_arrays(
        [pa.array([pid for pid, _ in fills], pa.string())]
        + [pa.array([fill.get(c) for _, fill in fills], types[c]) for c in meta],
        names=["paper_id", *meta])
    con.register("_fills", table)
    # a fill only names fields that were empty, so coalesce(fill, old) is the fill where given
    sets = ", ".join(f"{c} = coalesce(_fills.{c}, papers.{c})" for c in meta)   # names from Deduper.META
    con.execute(f"UPDATE papers SET {sets} FROM _fills WHERE papers.paper_id = _fills.paper_id")
    con.unregister("_fills")


def finish_database(con, report: BuildReport, deduper: Deduper, problems: Problems, append: bool) -> None:
    """What every build ends with: paper_sources, metadata fills, problems, build_info, views."""
    from .gate import flag_rows as gate_flag_rows
    from .rules import rules_version

    con.execute(f"SET threads = {BUILD_THREADS_FINISH}")
    con.execute("SET memory_limit = ?", [BUILD_MEMORY_LIMIT_FINISH])
    report.records = _insert_sources(con, deduper, append)
    _apply_fills(con, deduper)
    if append:   # inputs read again replace their earlier problem rows (as a full build would)
        sources = pa.table({"source": pa.array(sorted({p.source for p in problems if p.source != "extract"}),
                                               pa.string())})
        con.register("_sources", sources)
        con.execute("DELETE FROM problems WHERE source IN (SELECT source FROM _sources)")
        con.unregister("_sources")
    _insert(con, "problems", pa.Table.from_pylist(
        [{"source": p.source, "line": p.line, "paper_id": p.paper_id, "problem": p.problem,
          "message": p.message} for p in problems], schema=PROBLEMS))
    fill_claim_baselines(con)
    con.execute("DELETE FROM gate_flags")
    _insert(con, "gate_flags", pa.Table.from_pylist(gate_flag_rows(), schema=GATE_FLAGS))
    info = {"claims_version": __version__, "rules_version": rules_version()}
    con.execute("DELETE FROM build_info")
    _insert(con, "build_info", pa.table({"key": list(info), "value": list(info.values())}))
    from .checks import store_checks; store_checks(con)   # hardware_specs + physics checks (rules/checks.yml), in bulk
    if VIEWS_SQL.exists():
        con.execute(VIEWS_SQL.read_text())


def fill_claim_baselines(con) -> None:
    """claim_baselines from the claims' baseline phrases (rebuilt whole: an append may change
    rules). Each distinct phrase is split once (rules.baseline_names), the rows are joined in SQL."""
    from .rules import baseline_names

    phrases = [r[0] for r in con.execute("SELECT DISTINCT baseline FROM claims WHERE baseline IS NOT NULL").fetchall()]
    rows = [(ph, canonical, written, pos) for ph in phrases
            for pos, (canonical, written) in enumerate(baseline_names(ph))]
    names = pa.Table.from_arrays([pa.array(c, t) for c, t in zip(
        zip(*rows) if rows else ([], [], [], []), (pa.string(), pa.string(), pa.string(), pa.int32()))],
        names=["phrase", "baseline", "mention", "position"])
    con.execute("DELETE FROM claim_baselines")
    con.register("_names", names)
    con.execute("""INSERT INTO claim_baselines
                   SELECT c.claim_id, n.baseline, n.mention, n.position
                   FROM claims c JOIN _names n ON n.phrase = c.baseline
                   ORDER BY c.claim_id, n.position""")
    con.unregister("_names")


def complete_build(con, tmp: Path, db_path: Path, report: BuildReport, problems: Problems, strict: bool) -> None:
    """Commit, count, close, refuse (--strict, no papers) or rename the temp file over `db_path`."""
    lap = time.perf_counter()
    con.execute("COMMIT")
    report.timings["commit"] = time.perf_counter() - lap
    lap = time.perf_counter()
    # claim ids are unique by construction (paper, span, mention); checked here instead of by
    # a PRIMARY KEY index, which DuckDB keeps in memory and updates on every insert
    dup = con.execute("SELECT claim_id, count(*) FROM claims GROUP BY claim_id HAVING count(*) > 1 LIMIT 1").fetchall()
    if dup:
        con.close()
        raise DatabaseError(f"claim_id {dup[0][0]} occurs {dup[0][1]} times; two claims with the same "
                            "paper, span and mention (an extractor bug: report it with `claims explain`)")
    totals = con.execute("SELECT (SELECT count(*) FROM papers), (SELECT count(*) FROM sentences), "
                         "(SELECT count(*) FROM claims)").fetchall()
    report.papers, report.sentences, report.claims = totals[0]
    report.timings["checks"] = time.perf_counter() - lap
    lap = time.perf_counter()
    con.execute("CHECKPOINT")
    con.close()
    report.timings["checkpoint"] = time.perf_counter() - lap
    report.problems = list(problems)
    if strict and problems:
        raise StrictError(f"{len(problems)} input problem(s) with --strict; first: "
                          f"{problems[0].source}:{problems[0].line or '-'}: {problems[0].message}")
    if report.papers == 0:
        why = f" ({problems[0].source}: {problems[0].message})" if problems else ""
        raise StrictError(f"no papers found in the inputs{why}; nothing to build")
    os.replace(tmp, db_path)


def build(
    sources: Iterable[str | os.PathLike] | None = None,
    db_path: str | os.PathLike = DEFAULT_DB,
    *,
    workers: int = 1,
    append: bool = False,
    strict: bool = False,
    batch_size: int = BATCH_PAPERS,
    on_progress: Callable[[int, int], None] | None = None,
    wait: bool = False,
    select=None,
) -> BuildReport:
    """Build (or, with append, extend) the claims database from `sources` (default: bundled corpus).

    `on_progress(papers_done, claims_done)` is called after each batch; `select` (a
    `claims.sources.Selection`) keeps only the JSON records of its categories. One build at a time
    writes a database (`build_lock`): another one fails at once with BusyError, or waits with `wait`.
    """
    with build_lock(db_path, wait=wait):
        return _build(sources, Path(db_path), workers, append, strict, batch_size, on_progress, select)


def check_target(db_path: Path) -> None:
    """Fail before any work if the database path cannot be written."""
    if db_path.is_dir():
        raise InputError(db_path, "is a directory; give a file name for --db (e.g. db/claims.duckdb)")
    if db_path.exists() and not db_path.is_file():
        raise InputError(db_path, "not a regular file; give a file name for --db (e.g. db/claims.duckdb)")


@contextlib.contextmanager
def build_lock(db_path: str | os.PathLike, wait: bool = False):
    """Hold the build lock of `db_path` (an flock on `.NAME.lock` next to it) for the block.
    The kernel drops the lock when the holder exits, however it dies, so it never goes stale."""
    db_path = Path(db_path)
    check_target(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = db_path.with_name(f".{db_path.name}.lock")
    while True:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            raise BusyError(f"{db_path}: busy, another `claims build` is writing it; wait for it to end "
                            "or pass --wait") from None
        # the holder before us removes the file when done: a lock on a removed file is no lock
        try:
            same = os.stat(lock_path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        yield
    finally:
        _remove(lock_path)   # while still holding it (see above), so no lock file is left behind
        os.close(fd)


def _build(sources, db_path: Path, workers: int, append: bool, strict: bool, batch_size: int,
           on_progress, select=None) -> BuildReport:
    started = time.perf_counter()
    paths = expand_sources(sources)
    tmp = db_path.with_name(f".{db_path.name}.{os.getpid()}.tmp")
    remove_stale_temps(db_path)
    report = BuildReport(db_path=db_path, sources=[str(p) for p in paths])
    problems = Problems()
    skip_pandas_probe()
    con = None
    try:
        con, known = start_database(tmp, db_path, append)
        deduper = Deduper(problems, known_ids=known, streaming=True)
        del known
        batches = _batches(iter_papers(paths, problems, select), deduper, batch_size)
        con.execute("BEGIN TRANSACTION")
        pending = _Pending(con, deduper)
        for papers, (sents, claims, extract_problems) in _extract_all(batches, workers):
            pending.add(papers, sents, claims)
            for paper_id, code, message in extract_problems:
                problems.add("extract", None, code, message, paper_id)
            report.papers += len(papers)
            report.sentences += sents.num_rows
            report.claims += claims.num_rows
            if on_progress:
                on_progress(report.papers, report.claims)
        pending.flush()
        report.filtered = select.skipped if select else 0
        finish_database(con, report, deduper, problems, append)
        complete_build(con, tmp, db_path, report, problems, strict)
        _remove(Path(str(tmp) + ".wal"))
    finally:
        if con is not None:    # an input error mid-build: DuckDB keeps an open file's instance per path
            con.close()
        _remove(tmp)
        _remove(Path(str(tmp) + ".wal"))
    report.seconds = time.perf_counter() - started
    return report


class _Pending:
    """Extracted batches not yet inserted. They go into DuckDB INSERT_PAPERS papers at a time:
    each insert has a fixed cost (binding, planning, constraint setup), so one insert per 512-paper
    batch took 15% more CPU than one per 4096 (measured at 300k papers)."""

    def __init__(self, con, deduper: Deduper):
        self.con, self.deduper = con, deduper
        self.papers: list[Paper] = []
        self.sentences: list[pa.Table] = []
        self.claims: list[pa.Table] = []
        self.uncommitted = 0
        self.n_sentences = 0

    def add(self, papers: list[Paper], sentences: pa.Table, claims: pa.Table) -> None:
        self.papers += papers
        self.sentences.append(sentences)
        self.claims.append(claims)
        self.n_sentences += sentences.num_rows
        if len(self.papers) >= INSERT_PAPERS or self.n_sentences >= INSERT_SENTENCES:
            self.flush()

    def flush(self) -> None:
        if COMMIT_PAPERS and self.uncommitted >= COMMIT_PAPERS:
            self.con.execute("COMMIT")
            self.con.execute("BEGIN TRANSACTION")
            self.uncommitted = 0
        add_listings(self.con, self.deduper)
        if self.papers:
            _insert(self.con, "papers", _papers_table(self.papers))
            _insert(self.con, "sentences", pa.concat_tables(self.sentences))
            _insert(self.con, "claims", pa.concat_tables(self.claims))
        self.uncommitted += len(self.papers)
        self.papers, self.sentences, self.claims = [], [], []
        self.n_sentences = 0


def _extract_all(batches: Iterator[list[Paper]], workers: int):
    """(papers, extraction) per batch, in input order, whatever the number of workers."""
    triples = lambda papers: [(p.paper_id, p.title, p.abstract) for p in papers]  # noqa: E731
    if workers <= 1:
        for papers in batches:
            yield papers, extract_batch(triples(papers))
        return
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_worker_init)
    try:
        window: list = []
        for papers in batches:   # bounded window keeps memory flat; 4 batches a worker keep the
            # workers busy while this process inserts
            window.append((papers, pool.submit(extract_batch, triples(papers))))
            if len(window) >= workers * 4:
                papers0, fut = window.pop(0)
                yield papers0, fut.result()
        for papers0, fut in window:
            yield papers0, fut.result()
    except BaseException:
        # interrupted (SIGTERM, Ctrl-C) or failed: stop the workers now rather than wait for
        # the batches in flight (shutdown(wait=True) would finish them first)
        for proc in list((pool._processes or {}).values()):
            proc.terminate()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def die_with_parent() -> None:
    """Linux: have the kernel SIGKILL this (child) process when its parent dies, so that a
    killed build or publish leaves no worker behind (PR_SET_PDEATHSIG). A no-op elsewhere."""
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)   # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:     # the parent died before the call
        os._exit(1)


def _worker_init() -> None:
    """Extraction workers: die with the build; Ctrl-C reaches the build, which stops them."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()


def remove_stale_temps(target: Path) -> None:
    """Delete temp files and shard folders left by builds and publishes that were killed
    (named `.NAME.PID.*`; their process no longer exists)."""
    for stale in target.parent.glob(f".{target.name}.*"):
        pid = stale.name[len(target.name) + 2:].split(".")[0]
        if pid.isdigit() and not _alive(int(pid)):
            if stale.is_dir() and not stale.is_symlink():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                _remove(stale)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False    # our own leftover from an earlier call in this process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


# --------------------------------------------------------------------------- reading back

LOAD_SQL = """
SELECT c.*, s.text AS sentence, p.title, p.url, p.code_url, p.published
FROM claims c
JOIN papers p USING (paper_id)
JOIN sentences s USING (paper_id, sentence_index)
ORDER BY c.paper_id, c.span_start, c.claim_id
"""


def load(db_path: str | os.PathLike = DEFAULT_DB):
    """Claims joined with their papers and sentences, as a pandas DataFrame."""
    con = connect(db_path)
    try:
        return con.sql(LOAD_SQL).df()
    finally:
        con.close()


def query(db_path: str | os.PathLike, sql: str, params: Sequence | None = None) -> pa.Table:
    """Run read-only SQL against the claims database; returns an Arrow table."""
    con = connect(db_path)
    try:
        if params:
            return con.execute(sql, list(params)).to_arrow_table()
        return con.sql(sql).to_arrow_table()
    finally:
        con.close()
