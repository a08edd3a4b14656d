"""Command line: a thin click layer over the stage modules. Errors become one-line messages.

Exit codes: 0 ok; 1 input problems under --strict; 2 usage errors (bad path, bad file, bad SQL).
"""
from __future__ import annotations

import csv
import io
import json
import re
import signal
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from .errors import ClaimsError, StrictError, duckdb_filesystem_errno, filesystem_message

DEFAULT_DB = "db/claims.duckdb"
DEFAULT_SITE = "db/claims.db"

console = Console(stderr=True, highlight=False)


class Failure(click.ClickException):
    """A one-line error with an exit code (never a traceback)."""

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code


def _fail(exc: ClaimsError) -> Failure:
    return Failure(str(exc), 1 if isinstance(exc, StrictError) else 2)


class Group(click.Group):
    """Turn every ClaimsError (and an interrupted run) into a one-line message."""

    def invoke(self, ctx):
        # SIGTERM (kill, a supervisor) stops like Ctrl-C: workers, children and temp files are
        # cleaned up on the way out (`claims serve` forwards it to Datasette instead)
        try:
            signal.signal(signal.SIGTERM, _interrupt)
        except ValueError:     # not the main thread
            pass
        try:
            return super().invoke(ctx)
        except ClaimsError as exc:
            raise _fail(exc) from None
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except OSError as exc:   # ENOSPC, EROFS, EACCES, EISDIR, ...: the path and what to do
            raise Failure(filesystem_message(exc)) from None
        except Exception as exc:
            if not type(exc).__module__.lstrip("_").startswith("duckdb"):
                raise
            first = (str(exc).strip().splitlines() or [""])[0]
            fs = duckdb_filesystem_errno(str(exc))
            if fs is not None:    # a full disk is not a memory problem
                from .errors import _ADVICE
                raise Failure(f"DuckDB {type(exc).__name__}: {first}; {_ADVICE[fs]}; "
                              "the previous database is unchanged") from None
            # e.g. Out of Memory at a commit: one line, with the knob to turn
            raise Failure(f"DuckDB {type(exc).__name__}: {first} (the previous database is unchanged; "
                          "CLAIMS_DUCKDB_MEMORY / CLAIMS_PUBLISH_DUCKDB_MEMORY raise the memory limits)") from None
        except KeyboardInterrupt:
            raise Failure("interrupted; the previous database is unchanged", 130) from None


def _interrupt(signum, frame):
    raise KeyboardInterrupt


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="claims")
def main():
    """Extract numeric metric claims from paper abstracts and publish them as leaderboards."""


# --------------------------------------------------------------------------- build

@main.command()
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path, readable=False))
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, type=click.Path(path_type=Path),
              help="DuckDB file to write.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Extraction processes.")
@click.option("--append", is_flag=True, help="Add only papers not already in --db; keep existing ids.")
@click.option("--strict", is_flag=True, help="Fail (exit 1) if any input record had a problem.")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="Run extraction in this process pool, or on a Dask cluster.")
@click.option("--scheduler", default=None, help="Dask scheduler address (default: a LocalCluster).")
@click.option("--work-dir", default=None,
              help="Dask shards: a folder or fsspec URL every worker can reach (s3://bucket/prefix, gs://, file://).")
@click.option("--category", default=None, help="Keep only JSON records in these arXiv categories (cs.DC,cs.LG).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--wait", is_flag=True, help="If another build writes --db, wait for it instead of failing.")
def build(sources, db_path, workers, append, strict, engine, scheduler, work_dir, category, quiet, wait):
    """Ingest SOURCES (default: the bundled corpus), extract claims, write the DuckDB file."""
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from .sources import Selection

    select = Selection.parse(category)
    if work_dir and engine != "dask":
        raise Failure("--work-dir is for --engine dask (shards for the Dask workers)")
    if engine == "dask":
        from .distributed import build_dask
        from .store import build_lock

        with build_lock(db_path, wait=wait):
            report = build_dask(list(sources) or None, db_path, workers=workers, scheduler=scheduler,
                                append=append, strict=strict, work_dir=work_dir, select=select)
    else:
        from .store import build as build_db

        with Progress(SpinnerColumn(), TextColumn("[bold]building[/]"), BarColumn(bar_width=None),
                      TextColumn("{task.fields[papers]:,} papers · {task.fields[claims]:,} claims"),
                      TimeElapsedColumn(), console=console, transient=True,
                      disable=quiet or not console.is_terminal) as progress:
            task = progress.add_task("build", total=None, papers=0, claims=0)
            report = build_db(list(sources) or None, db_path, workers=workers, append=append, strict=strict,
                              wait=wait, on_progress=lambda p, c: progress.update(task, papers=p, claims=c), select=select)
    _report_problems(report.problems)
    if select:
        console.print(f"{report.filtered:,} records outside --category {category} left out", soft_wrap=True)
    console.print(
        f"[green]built[/] {escape(str(report.db_path))}: {report.papers:,} papers ({report.records:,} listings), "
        f"{report.sentences:,} sentences, {report.claims:,} claims, {len(report.problems):,} problems "
        f"in {report.seconds:.2f}s",
        soft_wrap=True,
    )


def _report_problems(problems, limit: int = 10) -> None:
    for p in problems[:limit]:
        where = f"{p.source}:{p.line}" if p.line else p.source
        console.print(f"[yellow]problem[/] {escape(str(where))}: {escape(str(p.message))}", soft_wrap=True)
    if len(problems) > limit:
        console.print(f"[yellow]… {len(problems) - limit} more problems in the 'problems' table[/]")


# --------------------------------------------------------------------------- publish / serve

@main.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, type=click.Path(path_type=Path),
              help="DuckDB file to read.")
@click.option("--out", "out_path", default=DEFAULT_SITE, show_default=True, type=click.Path(path_type=Path),
              help="SQLite snapshot to write for Datasette.")
def publish(db_path, out_path):
    """Write the SQLite snapshot Datasette serves (atomic: the old one stays until the new is complete)."""
    from .publish import publish as publish_site

    report = publish_site(db_path, out_path)
    console.print(f"[green]published[/] {escape(str(report))}", soft_wrap=True)


@main.command()
@click.option("--site", "site_path", default=DEFAULT_SITE, show_default=True, type=click.Path(path_type=Path),
              help="SQLite snapshot written by `claims publish`.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8001, show_default=True, type=int)
@click.option("--open", "open_browser", is_flag=True, help="Open a browser at the site.")
def serve(site_path, host, port, open_browser):
    """Run Datasette (read-only) on the published snapshot; exits with Datasette's exit code."""
    from .publish import serve as serve_site

    code = serve_site(site_path, host=host, port=port, open_browser=open_browser)
    if code < 0:       # stopped by a signal (the one forwarded to it): the shell's 128 + N
        sys.exit(128 - code)
    if code:
        raise Failure(f"Datasette exited with code {code}; see its messages above", code)


# --------------------------------------------------------------------------- query

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@main.command()
@click.argument("sql")
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--limit", default=200, show_default=True, help="Rows shown by --format table.")
@click.option("--allow-files", is_flag=True,
              help="Let the SQL read other files (read_csv, read_parquet, ATTACH); off by default.")
def query(sql, db_path, fmt, limit, allow_files):
    """Run SQL against the claims database. A bare leaderboard name (speedups_by_hardware) selects it."""
    import duckdb

    from .store import connect

    # no extension downloads or auto-loads, and no file access beyond the database unless asked
    config = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    if not allow_files:
        config["enable_external_access"] = False
    con = connect(db_path, config=config)
    try:
        if _IDENT.match(sql.strip()):
            known = {r[0] for r in con.execute(
                "SELECT table_name FROM information_schema.tables").fetchall()}
            name = sql.strip()
            if name not in known and f"leaderboard_{name}" in known:
                name = f"leaderboard_{name}"     # `claims query speedups_by_hardware`
            if name not in known:
                raise Failure(f"no table or view named {name!r}; known: {', '.join(sorted(known))}")
            relation = con.table(name)
        else:
            relation = con.sql(sql)
        if relation is None:
            return
        data = relation.to_arrow_table()
    except duckdb.Error as exc:
        raise Failure(f"SQL error: {(str(exc).splitlines() or [type(exc).__name__])[0]}") from None
    finally:
        con.close()
    rows = data.to_pylist()
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, default=str, indent=1))
    elif fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=data.column_names)
        writer.writeheader()
        writer.writerows(rows)
        click.echo(buf.getvalue(), nl=False)
    else:
        # Text, not markup: "[/INST]" or "[link=...]" in a title is shown as written
        table = Table(*(escape(n) for n in data.column_names), show_lines=False)
        for row in rows[:limit]:
            table.add_row(*(Text("" if v is None else _fmt(v)) for v in row.values()))
        out = Console()
        if not out.is_terminal:   # piped: never squash columns to 80 characters
            out = Console(width=100_000)
        out.print(table)
        if len(rows) > limit:
            console.print(f"{len(rows) - limit} more rows (use --limit or --format csv)")


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}" if abs(v) < 1e6 else f"{v:,.0f}"
    return str(v)


# --------------------------------------------------------------------------- extract / explain / eval

@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path, readable=False))
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default="-",
              help="JSONL file to write (default: stdout).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option("--strict", is_flag=True, help="Fail (exit 1) if any input record had a problem.")
@click.option("--category", default=None, help="Keep only JSON records in these arXiv categories (cs.DC,cs.LG).")
def extract(inputs, output, workers, strict, category):
    """Run the extractor over papers (JSONL, pages, arXiv exports): one claim per output line."""
    from .ingest import Deduper, Problems, expand_sources, iter_papers
    from .models import GOLD_FIELDS
    from .sources import Selection
    from .store import _batches, _extract_all

    select = Selection.parse(category)
    problems = Problems()
    deduper = Deduper(problems)
    count = 0
    keep = list(GOLD_FIELDS) + ["sentence_index", "span_start", "span_end", "rule_id", "value_base",
                                "unit_base", "claim_id"]
    extract_problems: list[tuple] = []       # (paper_id, code, message): counted, --strict fails on them
    for papers, (sents, claims, batch_problems) in _extract_all(
            _batches(iter_papers(expand_sources(inputs), problems, select), deduper, 256), workers):
        extract_problems += batch_problems
        text = {(r["paper_id"], r["sentence_index"]): r["text"] for r in sents.to_pylist()}
        for rec in claims.to_pylist():
            rec["sentence"] = text[(rec["paper_id"], rec["sentence_index"])]
            output.write(json.dumps({k: rec.get(k) for k in keep}, ensure_ascii=False) + "\n")
            count += 1
    for paper_id, code, message in extract_problems:
        problems.add("extract", None, code, message, paper_id)
    _report_problems(problems)
    if select:
        console.print(f"{select.skipped:,} records outside --category {category} left out", soft_wrap=True)
    console.print(f"[green]extracted[/] {count:,} claims from {len(deduper.sources):,} papers", soft_wrap=True)
    if strict and problems:
        raise Failure(f"{len(problems)} input problem(s) with --strict", 1)


@main.command()
@click.argument("sentence")
@click.option("--title", default=None, help="Paper title (gives the system name for 'we'/'our').")
def explain(sentence, title):
    """Show each candidate number in SENTENCE, the rule that fired or rejected it, its fields and
    the physics checks of each number."""
    from .checks import explain_checks
    from .extract import explain as explain_sentence
    from .extract import extract as extract_sentence

    Console().print(explain_sentence(sentence, title=title))
    Console().print(explain_checks(extract_sentence(sentence, title=title)))


@main.command(name="eval")
@click.argument("gold", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--papers", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSONL papers the gold was annotated on.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def eval_(gold, papers, as_json):
    """Score extraction against gold annotations (precision, recall, F1, field accuracy)."""
    from .evaluate import evaluate

    report = evaluate(gold, papers)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
    else:
        report.render(Console(width=max(Console().width, 120)))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
