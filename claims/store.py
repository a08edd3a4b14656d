"""Store: build the DuckDB claims database from input files.

The build streams: papers are read, deduplicated and extracted in bounded batches, and each
batch goes into DuckDB as one Arrow table (`INSERT INTO t SELECT * FROM batch`). The database is
written to a temporary file next to the target and renamed over it only when complete, so a
crash or a kill at any point leaves the previous database untouched.
"""
from __future__ import annotations

import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import duckdb
import pyarrow as pa

from . import __version__
from .errors import DatabaseError, StrictError
from .ingest import Deduper, Problems, expand_sources, iter_papers
from .models import Paper

ROOT = Path(__file__).resolve().parent.parent
# In a checkout (or editable install) the SQL lives in db/; a wheel carries it as claims/data/*.sql.
DB_DIR = ROOT / "db" if (ROOT / "db" / "schema.sql").exists() else Path(__file__).resolve().parent / "data"
SCHEMA_SQL = DB_DIR / "schema.sql"
VIEWS_SQL = DB_DIR / "views.sql"
DEFAULT_DB = Path("db/claims.duckdb")
BATCH_PAPERS = 512
COMMIT_BATCHES = 16    # batches per DuckDB transaction (see build)

# --------------------------------------------------------------------------- Arrow schemas

PAPERS = pa.schema([
    ("paper_id", pa.string()), ("title", pa.string()), ("abstract", pa.string()), ("url", pa.string()),
    ("code_url", pa.string()), ("published", pa.string()), ("authors", pa.int32()), ("upvotes", pa.int32()),
    ("organization", pa.string()),
])
SOURCES = pa.schema([("paper_id", pa.string()), ("source", pa.string()), ("source_line", pa.int32())])
SENTENCES = pa.schema([
    ("paper_id", pa.string()), ("sentence_index", pa.int32()), ("span_start", pa.int32()),
    ("span_end", pa.int32()), ("text", pa.string()),
])
CLAIMS = pa.schema([
    ("claim_id", pa.string()), ("paper_id", pa.string()), ("sentence_index", pa.int32()),
    ("span_start", pa.int32()), ("span_end", pa.int32()), ("mention", pa.string()), ("value", pa.float64()),
    ("value_high", pa.float64()), ("unit", pa.string()), ("kind", pa.string()), ("metric", pa.string()),
    ("direction", pa.string()), ("qualifier", pa.string()), ("baseline", pa.string()), ("system", pa.string()),
    ("hardware", pa.string()), ("hardware_count", pa.int64()), ("model", pa.string()),
    ("value_base", pa.float64()), ("unit_base", pa.string()), ("rule_id", pa.string()),
    ("rules_version", pa.string()),
])
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


# --------------------------------------------------------------------------- extraction of a batch

def extract_batch(batch: Sequence[tuple[str, str, str]]) -> tuple[pa.Table, pa.Table, list[tuple]]:
    """Extract (paper_id, title, abstract) triples. Runs in worker processes: pure, picklable."""
    from .extract import extract_abstract
    from .rules import rules_version

    version = rules_version()
    sent_cols: dict[str, list] = {name: [] for name in SENTENCES.names}
    claim_cols: dict[str, list] = {name: [] for name in CLAIMS.names}
    problems: list[tuple] = []
    for paper_id, title, abstract in batch:
        result = extract_abstract(abstract, title=title, paper_id=paper_id)
        for s in result.sentences:
            sent_cols["paper_id"].append(paper_id)
            sent_cols["sentence_index"].append(s.sentence_index)
            sent_cols["span_start"].append(s.start)
            sent_cols["span_end"].append(s.end)
            sent_cols["text"].append(s.text)
        for c in result.claims:
            rec = c.to_record()
            rec["rules_version"] = version
            for name in CLAIMS.names:
                claim_cols[name].append(rec[name])
        for p in result.problems:
            problems.append((paper_id, p["problem"], p["message"]))
    return (pa.table(sent_cols, schema=SENTENCES), pa.table(claim_cols, schema=CLAIMS), problems)


def _papers_table(papers: list[Paper]) -> pa.Table:
    return pa.Table.from_pylist([p.model_dump(include=set(PAPERS.names)) for p in papers], schema=PAPERS)


def _batches(papers: Iterator[Paper], deduper: Deduper, size: int) -> Iterator[list[Paper]]:
    batch: list[Paper] = []
    for paper in papers:
        if deduper.add(paper):
            batch.append(paper)
            if len(batch) >= size:
                yield batch
                batch = []
    if batch:
        yield batch


# --------------------------------------------------------------------------- build

def connect(db_path: str | os.PathLike, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open an existing claims database; a one-line DatabaseError if it is missing or foreign."""
    path = Path(db_path)
    if not path.exists():
        raise DatabaseError(f"{path}: no database; run `claims build` first (or pass --db)")
    try:
        con = duckdb.connect(str(path), read_only=read_only)
        con.execute("SELECT count(*) FROM claims JOIN papers USING (paper_id) LIMIT 1").fetchall()
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0]
        raise DatabaseError(f"{path}: not a claims database ({first}); rebuild it with `claims build`") from None
    return con


def _insert(con: duckdb.DuckDBPyConnection, table: str, data: pa.Table, or_ignore: bool = False) -> None:
    """Bulk insert one Arrow table. `table` comes from code, never from input."""
    if data.num_rows:
        con.register("_batch", data)
        verb = "INSERT OR IGNORE INTO" if or_ignore else "INSERT INTO"
        con.execute(f"{verb} {table} SELECT * FROM _batch")
        con.unregister("_batch")


def start_database(tmp: Path, db_path: Path, append: bool) -> tuple[duckdb.DuckDBPyConnection, list[str]]:
    """Open the temporary database a build fills: a copy of `db_path` to append to, or a new one
    with the schema and the rule vocabularies. Returns it with the paper ids already in it."""
    from .rules import vocabulary_rows

    if append and db_path.exists():
        connect(db_path).close()
        shutil.copyfile(db_path, tmp)
        con = duckdb.connect(str(tmp))
        return con, [r[0] for r in con.execute("SELECT paper_id FROM papers").fetchall()]
    con = duckdb.connect(str(tmp))
    con.execute(SCHEMA_SQL.read_text())
    vocab = vocabulary_rows()
    for table in ("metrics", "units", "hardware", "baselines"):
        cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
        rows = [{c: row.get(c) for c in cols} for row in vocab.get(table, [])]
        if rows:
            _insert(con, table, pa.Table.from_pylist(rows).select(cols))
    return con, []


def finish_database(con, report: BuildReport, deduper: Deduper, problems: Problems, append: bool) -> None:
    """What every build ends with: paper_sources, metadata fills, problems, build_info, views."""
    from .rules import rules_version

    _insert(con, "paper_sources", pa.Table.from_pylist(
        [{"paper_id": a, "source": b, "source_line": c} for a, b, c in deduper.sources], schema=SOURCES),
            or_ignore=append)
    for paper_id, fill in sorted(deduper.fills.items()):
        for column, value in fill.items():   # column names come from Deduper.META, values are bound
            con.execute(f"UPDATE papers SET {column} = ? WHERE paper_id = ?", [value, paper_id])
    report.records = len(deduper.sources)
    _insert(con, "problems", pa.Table.from_pylist(
        [{"source": p.source, "line": p.line, "paper_id": p.paper_id, "problem": p.problem,
          "message": p.message} for p in problems], schema=PROBLEMS))
    info = {"claims_version": __version__, "rules_version": rules_version()}
    con.execute("DELETE FROM build_info")
    _insert(con, "build_info", pa.table({"key": list(info), "value": list(info.values())}))
    if VIEWS_SQL.exists():
        con.execute(VIEWS_SQL.read_text())


def complete_build(con, tmp: Path, db_path: Path, report: BuildReport, problems: Problems, strict: bool) -> None:
    """Commit, count, close, refuse (--strict, no papers) or rename the temp file over `db_path`."""
    con.execute("COMMIT")
    totals = con.execute("SELECT (SELECT count(*) FROM papers), (SELECT count(*) FROM sentences), "
                         "(SELECT count(*) FROM claims)").fetchall()
    report.papers, report.sentences, report.claims = totals[0]
    con.execute("CHECKPOINT")
    con.close()
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
) -> BuildReport:
    """Build (or, with append, extend) the claims database from `sources` (default: bundled corpus).

    `on_progress(papers_done, claims_done)` is called after each batch.
    """
    started = time.perf_counter()
    paths = expand_sources(sources)
    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = db_path.with_name(f".{db_path.name}.{os.getpid()}.tmp")
    remove_stale_temps(db_path)
    report = BuildReport(db_path=db_path, sources=[str(p) for p in paths])
    problems = Problems()
    try:
        con, known = start_database(tmp, db_path, append)
        deduper = Deduper(problems, known_ids=known)
        batches = _batches(iter_papers(paths, problems), deduper, batch_size)
        con.execute("BEGIN TRANSACTION")
        for n, (papers, (sents, claims, extract_problems)) in enumerate(_extract_all(batches, workers), 1):
            if n % COMMIT_BATCHES == 0:
                # DuckDB keeps an open transaction's rows in memory; committing every few batches keeps
                # memory flat. Atomicity comes from the temp file, renamed only when the build is complete.
                con.execute("COMMIT")
                con.execute("BEGIN TRANSACTION")
            _insert(con, "papers", _papers_table(papers))
            _insert(con, "sentences", sents)
            _insert(con, "claims", claims)
            for paper_id, code, message in extract_problems:
                problems.add("extract", None, code, message, paper_id)
            report.papers += len(papers)
            report.sentences += sents.num_rows
            report.claims += claims.num_rows
            if on_progress:
                on_progress(report.papers, report.claims)
        finish_database(con, report, deduper, problems, append)
        complete_build(con, tmp, db_path, report, problems, strict)
        _remove(Path(str(tmp) + ".wal"))
    finally:
        _remove(tmp)
        _remove(Path(str(tmp) + ".wal"))
    report.seconds = time.perf_counter() - started
    return report


def _extract_all(batches: Iterator[list[Paper]], workers: int):
    """(papers, extraction) per batch, in input order, whatever the number of workers."""
    triples = lambda papers: [(p.paper_id, p.title, p.abstract) for p in papers]  # noqa: E731
    if workers <= 1:
        for papers in batches:
            yield papers, extract_batch(triples(papers))
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        window: list = []
        for papers in batches:   # bounded window keeps memory flat
            window.append((papers, pool.submit(extract_batch, triples(papers))))
            if len(window) >= workers * 2:
                papers0, fut = window.pop(0)
                yield papers0, fut.result()
        for papers0, fut in window:
            yield papers0, fut.result()


def remove_stale_temps(target: Path) -> None:
    """Delete temp files left by builds that were killed (their process no longer exists)."""
    for stale in target.parent.glob(f".{target.name}.*.tmp*"):
        pid = stale.name[len(target.name) + 2:].split(".")[0]
        if pid.isdigit() and not _alive(int(pid)):
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
