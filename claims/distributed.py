"""Distributed build: extraction on a Dask cluster over Parquet shards, loaded into DuckDB.

`build_dask` gives the same database as `claims.store.build` (same tables, rows, vocabularies,
build_info, paper_sources and problems); only the place where extraction runs differs:

1. **Client**: read and deduplicate the inputs with `claims.ingest` (dedupe is global, so it
   cannot run per shard) and write the kept papers as Parquet *input shards* of `shard_size`
   papers into a work directory next to the database.
2. **Workers**: one Dask task per shard (Dask futures rather than a bag, so that each task is
   submitted as soon as its shard is written and extraction overlaps ingest; at most 4 tasks
   per worker thread are in flight). A task reads its shard, runs `claims.store.extract_batch` and
   writes a `sentences-NNNNN.parquet` and a `claims-NNNNN.parquet` shard; it returns only counts
   and extraction problems.
3. **Client**: load every shard into a temporary DuckDB file with `read_parquet` (one
   `INSERT ... SELECT` per table, shards in input order), finish it exactly as `store.build`
   does, and rename it over the target.

Workers must see the work directory (same machine, or a shared filesystem such as NFS). When
they do not (checked once per build), shards travel through Dask instead: the client sends
each input shard as an Arrow table and writes the returned tables itself. Workers need
`claims` installed, the same version, with the same rules (``$CLAIMS_RULES`` or ``rules/``).

The default cluster is a `LocalCluster(n_workers=workers, threads_per_worker=1,
processes=True)`; with ``scheduler="tcp://host:8786"`` an existing cluster is used.
"""
from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path
from typing import Iterable

import pyarrow.parquet as pq

from .errors import ClaimsError
from .ingest import Deduper, Problems, expand_sources, iter_papers
from .store import (
    BATCH_PAPERS, BUILD_THREADS_FINISH, BuildReport, _batches, _papers_table, _remove, add_listings, complete_build, extract_batch,
    finish_database, remove_stale_temps, skip_pandas_probe, start_database,
)

SHARD_PAPERS = 4 * BATCH_PAPERS     # papers per Dask task: seconds of work, a few MB of Parquet
_TABLES = ("papers", "sentences", "claims")


class DaskUnavailable(ClaimsError):
    """dask[distributed] is not installed or the scheduler cannot be reached."""


# --------------------------------------------------------------------------- worker side

def _extract_shard(index: int, shard, out_dir: str | None):
    """Run on a worker: extract one input shard.

    `shard` is the path of a Parquet input shard (shared filesystem) or the shard itself as an
    Arrow table. With `out_dir`, the sentence and claim tables are written there as Parquet and
    only counts come back; without it the tables come back to the client.
    """
    table = pq.read_table(shard, columns=["paper_id", "title", "abstract"]) if isinstance(shard, str) \
        else shard.select(["paper_id", "title", "abstract"])
    triples = list(zip(*(table.column(c).to_pylist() for c in ("paper_id", "title", "abstract"))))
    sents, claims, problems = extract_batch(triples)
    if out_dir is None:
        return index, sents, claims, problems
    pq.write_table(sents, os.path.join(out_dir, f"sentences-{index:05d}.parquet"))
    pq.write_table(claims, os.path.join(out_dir, f"claims-{index:05d}.parquet"))
    return index, sents.num_rows, claims.num_rows, problems


def _is_dir(path: str) -> bool:
    return os.path.isdir(path)


# --------------------------------------------------------------------------- client side

def _client(workers: int, scheduler: str | None):
    """A connected Dask client and the LocalCluster to close afterwards (None for a given scheduler)."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise DaskUnavailable("dask is not installed; pip install 'claims[dask]' (or use --engine local)") from None
    if scheduler:
        try:
            return Client(scheduler, timeout="20s"), None
        except (OSError, TimeoutError) as exc:
            raise DaskUnavailable(f"cannot reach the Dask scheduler at {scheduler} ({exc}); "
                                  "check the address (tcp://host:8786) and that `dask scheduler` runs") from None
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                           scheduler_kwargs={"dashboard": False}, silence_logs=logging.ERROR)
    return Client(cluster), cluster


def build_dask(
    sources: Iterable[str | os.PathLike] | None,
    db_path: str | os.PathLike,
    *,
    workers: int = 2,
    scheduler: str | None = None,
    append: bool = False,
    strict: bool = False,
    shard_size: int = SHARD_PAPERS,
    work_dir: str | os.PathLike | None = None,
    ship: bool | None = None,
) -> BuildReport:
    """Build (or, with append, extend) the claims database with extraction on a Dask cluster.

    Args:
        sources: input files or folders (default: the bundled corpus), as for `store.build`.
        db_path: DuckDB file to write; replaced atomically when the build is complete.
        workers: worker processes of the LocalCluster (ignored with `scheduler`).
        scheduler: address of a running Dask scheduler; None starts a LocalCluster.
        shard_size: papers per input shard, i.e. per Dask task.
        work_dir: where shards go (default: a hidden folder next to db_path). On a real
            cluster give a folder every worker can read and write, or shards go through Dask.
        ship: send shards through Dask instead of the filesystem (None: only when the
            workers cannot see work_dir).
    """
    started = time.perf_counter()
    paths = expand_sources(sources)
    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    tag = f".{db_path.name}.{os.getpid()}"
    tmp = db_path.with_name(tag + ".tmp")
    work = Path(work_dir) / (tag.lstrip(".") + ".shards") if work_dir else db_path.with_name(tag + ".shards")
    remove_stale_temps(db_path)   # temp files and .shards of killed builds
    _remove(tmp)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / "in").mkdir()
    (work / "out").mkdir()
    report = BuildReport(db_path=db_path, sources=[str(p) for p in paths])
    problems = Problems()
    client = cluster = con = None
    skip_pandas_probe()
    try:
        con, known = start_database(tmp, db_path, append)
        deduper = Deduper(problems, known_ids=known, streaming=True)
        del known
        client, cluster = _client(workers, scheduler)
        shared = not ship and all(client.run(_is_dir, str(work.resolve())).values())
        out_dir = str((work / "out").resolve()) if shared else None
        from dask.distributed import wait

        # at most `window` shards in flight: bounded memory when shards travel through Dask
        window = 4 * max(1, sum(client.nthreads().values()))
        pending: set = set()
        inputs: list[str] = []
        extract_problems: dict[int, list] = {}

        def collect(done) -> None:
            for future in done:
                index, sents, claims, shard_problems = future.result()   # a task's error is raised here
                future.release()
                if not shared:     # the tables came back: write them where read_parquet finds them
                    pq.write_table(sents, work / "out" / f"sentences-{index:05d}.parquet")
                    pq.write_table(claims, work / "out" / f"claims-{index:05d}.parquet")
                extract_problems[index] = shard_problems

        for index, papers in enumerate(_batches(iter_papers(paths, problems), deduper, shard_size)):
            add_listings(con, deduper)
            table = _papers_table(papers)
            path = (work / "in" / f"papers-{index:05d}.parquet").resolve()
            pq.write_table(table, path)
            inputs.append(str(path))
            pending.add(client.submit(_extract_shard, index, str(path) if shared else table, out_dir,
                                      key=f"claims-extract-{tag}-{index}", pure=False))
            if len(pending) >= window:
                done, pending = wait(pending, return_when="FIRST_COMPLETED")
                collect(done)
        collect(wait(pending).done)
        for index in sorted(extract_problems):   # same problem rows as store.build
            for paper_id, code, message in extract_problems[index]:
                problems.add("extract", None, code, message, paper_id)

        con.execute(f"SET threads = {BUILD_THREADS_FINISH}")   # the workers are done: both cores
        con.execute("BEGIN TRANSACTION")
        if inputs:
            for table, files in (("papers", inputs),
                                 ("sentences", _outputs(work, "sentences", len(inputs))),
                                 ("claims", _outputs(work, "claims", len(inputs)))):
                # table names come from code; file names are bound as a parameter
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM read_parquet(?)", [files])
        finish_database(con, report, deduper, problems, append)
        complete_build(con, tmp, db_path, report, problems, strict)
    finally:
        if con is not None:
            con.close()        # closing twice is harmless
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
        _remove(tmp)
        _remove(Path(str(tmp) + ".wal"))
        shutil.rmtree(work, ignore_errors=True)
    report.seconds = time.perf_counter() - started
    return report


def _outputs(work: Path, kind: str, n: int) -> list[str]:
    return [str(work / "out" / f"{kind}-{i:05d}.parquet") for i in range(n)]
