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

The work directory is a local folder or any fsspec URL (``s3://bucket/prefix``, ``gs://``,
``abfs://``, ``file://``); credentials and endpoints come from the usual environment of that
filesystem (``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ...) on the client and on every worker.
Workers must see it (same machine, a shared filesystem, or object storage). When they do not
(checked once per build with a marker file), shards travel through Dask instead: the client
sends each input shard as an Arrow table and writes the returned tables itself.

Workers need `claims` installed, the same version, with the same rules (``$CLAIMS_RULES`` or
``rules/``). Before any task is submitted every worker reports its versions (`client.run` of a
function pickled by value, so that a worker without `claims` answers too); a worker without the
package or with another `claims` or rules version is a one-line `WorkerMismatch` naming it. A
`VersionCheck` worker plugin does the same on workers that join later: such a worker logs the
mismatch and leaves the cluster before it takes a task, and every task checks its worker again.
``build_info`` gets one ``worker <address>`` row per worker that reported (versions, or why it
was turned away).

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

import pyarrow as pa
import pyarrow.parquet as pq

from .errors import ClaimsError
from .ingest import Deduper, Problems, expand_sources, iter_papers
from .store import (
    BATCH_PAPERS, BUILD_THREADS_FINISH, BuildReport, _batches, _insert, _papers_table, _remove, add_listings, complete_build,
    extract_batch, finish_database, remove_stale_temps, skip_pandas_probe, start_database,
)

SHARD_PAPERS = 4 * BATCH_PAPERS     # papers per Dask task: seconds of work, a few MB of Parquet
_TABLES = ("papers", "sentences", "claims")


class DaskUnavailable(ClaimsError):
    """dask[distributed] is not installed or the scheduler cannot be reached."""


class WorkerMismatch(ClaimsError):
    """A Dask worker lacks `claims` or runs another `claims` / rules version than the client."""


_EVENT = "claims-worker-versions"   # the topic VersionCheck logs on the scheduler


def _versions_probe():
    """A function that reports the versions of the process it runs in. Defined inside a function
    so that cloudpickle sends it by value: a worker without `claims` can run it and say so."""
    def probe() -> dict:
        import sys
        try:
            import claims
            from claims.rules import rules_version
            return {"claims": claims.__version__, "rules": rules_version(), "python": sys.version.split()[0]}
        except Exception as exc:   # ImportError, a broken rules copy (RuleError), ...
            return {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"}
    return probe


def local_versions() -> dict:
    return _versions_probe()()


def mismatch(expected: dict, got: dict) -> str | None:
    """Why a worker reporting `got` cannot run this build's tasks (None: it can)."""
    if "error" in got:
        return f"cannot load claims ({got['error']}); install the same claims on every worker"
    if got.get("claims") != expected["claims"]:
        return f"runs claims {got.get('claims')}, the client {expected['claims']}; install the same version"
    if got.get("rules") != expected["rules"]:
        return (f"has rules version {got.get('rules')}, the client {expected['rules']}; give every worker "
                "the same rules/ (or $CLAIMS_RULES)")
    return None


def _describe(got: dict) -> str:
    return got["error"] if "error" in got else f"claims {got['claims']} rules {got['rules']} python {got['python']}"


try:
    from distributed.diagnostics.plugin import WorkerPlugin as _WorkerPlugin
except ImportError:         # dask is optional: build_dask raises DaskUnavailable
    _WorkerPlugin = object


class VersionCheck(_WorkerPlugin):
    """Checks every worker (including those that join later): a worker with other versions logs
    an event naming itself and why, and closes before it takes a task."""

    name = "claims-version-check"

    def __init__(self, expected: dict):
        self.expected = dict(expected)

    def setup(self, worker) -> None:
        got = local_versions()
        why = mismatch(self.expected, got)
        worker.log_event(_EVENT, {"worker": worker.address, "versions": _describe(got), "rejected": why})
        if why is not None:
            logging.getLogger("claims").error("claims: worker %s %s; closing it", worker.address, why)
            worker.loop.add_callback(worker.close, reason="claims version mismatch", nanny=True)


# --------------------------------------------------------------------------- worker side

def _extract_shard(index: int, shard, out_dir: str | None, expected: dict | None = None):
    """Run on a worker: extract one input shard.

    `shard` is the URL or path of a Parquet input shard (shared storage) or the shard itself as
    an Arrow table. With `out_dir` (a URL or path), the sentence and claim tables are written
    there as Parquet and only counts come back; without it the tables come back to the client.
    With `expected`, the worker first checks its own versions (a worker that joined after the
    check and slipped past VersionCheck).
    """
    if expected is not None:
        why = mismatch(expected, local_versions())
        if why is not None:
            from distributed import get_worker

            raise WorkerMismatch(f"Dask worker {get_worker().address} {why}")
    if isinstance(shard, str):
        fs, path = _fs(shard)
        table = pq.read_table(path, columns=["paper_id", "title", "abstract"], filesystem=fs)
    else:
        table = shard.select(["paper_id", "title", "abstract"])
    triples = list(zip(*(table.column(c).to_pylist() for c in ("paper_id", "title", "abstract"))))
    sents, claims, problems = extract_batch(triples)
    if out_dir is None:
        return index, sents, claims, problems
    fs, out = _fs(out_dir)
    pq.write_table(sents, f"{out}/sentences-{index:05d}.parquet", filesystem=fs)
    pq.write_table(claims, f"{out}/claims-{index:05d}.parquet", filesystem=fs)
    return index, sents.num_rows, claims.num_rows, problems


def _fs(url: str):
    """(fsspec filesystem, path) of a local path or URL."""
    import fsspec

    return fsspec.core.url_to_fs(url)


def _sees(url: str) -> bool:
    """Run on a worker: does it see the marker file the client wrote into the work dir?"""
    fs, path = _fs(url)
    return fs.exists(path)


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
    select=None,
) -> BuildReport:
    """Build (or, with append, extend) the claims database with extraction on a Dask cluster.

    Args:
        sources: input files or folders (default: the bundled corpus), as for `store.build`.
        db_path: DuckDB file to write; replaced atomically when the build is complete.
        workers: worker processes of the LocalCluster (ignored with `scheduler`).
        scheduler: address of a running Dask scheduler; None starts a LocalCluster.
        shard_size: papers per input shard, i.e. per Dask task.
        work_dir: where shards go: a folder or an fsspec URL (``s3://bucket/prefix``); default a
            hidden folder next to db_path. On a real cluster give a place every worker can read
            and write, or shards go through Dask.
        ship: send shards through Dask instead of the filesystem (None: only when the
            workers cannot see work_dir).
        select: a `claims.sources.Selection` (``--category``), as for `store.build`.
    """
    started = time.perf_counter()
    paths = expand_sources(sources)
    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    tag = f".{db_path.name}.{os.getpid()}"
    tmp = db_path.with_name(tag + ".tmp")
    local = db_path.with_name(tag + ".shards")        # output shards, on the client's disk
    if work_dir is None:
        fs, base = _fs(str(local.resolve()))
    else:
        try:
            fs, root = _fs(str(work_dir))
        except (ImportError, ValueError) as exc:
            raise DaskUnavailable(f"--work-dir {work_dir}: {exc}") from None
        base = f"{root.rstrip('/')}/{tag.lstrip('.')}.shards"
    remote = work_dir is not None     # else base is `local` itself
    url = lambda p: fs.unstrip_protocol(p)     # noqa: E731  what workers open
    remove_stale_temps(db_path)   # temp files and .shards of killed builds
    _remove(tmp)
    shutil.rmtree(local, ignore_errors=True)
    report = BuildReport(db_path=db_path, sources=[str(p) for p in paths])
    problems = Problems()
    client = cluster = con = None
    skip_pandas_probe()
    try:
        try:
            _rm(fs, base)
            fs.makedirs(f"{base}/in", exist_ok=True)
            fs.makedirs(f"{base}/out", exist_ok=True)
            marker = f"{base}/in/.claims-marker"
            fs.pipe_file(marker, b"claims")
        except OSError as exc:
            raise DaskUnavailable(f"--work-dir {work_dir or local}: cannot write there ({exc}); "
                                  "check the URL and the storage credentials") from None
        (local / "out").mkdir(parents=True, exist_ok=True)
        con, known = start_database(tmp, db_path, append)
        deduper = Deduper(problems, known_ids=known, streaming=True)
        del known
        client, cluster = _client(workers, scheduler)
        expected = local_versions()
        checked_at = time.time() - 1.0     # events are stamped by the scheduler: a little clock skew
        versions = check_workers(client, expected)
        shared = not ship and all(client.run(_sees, url(marker)).values())
        out_dir = url(f"{base}/out") if shared else None
        from dask.distributed import wait

        # at most `window` shards in flight: bounded memory when shards travel through Dask
        window = 4 * max(1, sum(client.nthreads().values()))
        pending: set = set()
        inputs: list[str] = []
        extract_problems: dict[int, list] = {}

        def collect(done) -> None:
            for future in done:
                index, sents, claims, shard_problems = _result(client, future)
                future.release()
                if not shared:     # the tables came back: write them where read_parquet finds them
                    pq.write_table(sents, local / "out" / f"sentences-{index:05d}.parquet")
                    pq.write_table(claims, local / "out" / f"claims-{index:05d}.parquet")
                extract_problems[index] = shard_problems

        for index, papers in enumerate(_batches(iter_papers(paths, problems, select), deduper, shard_size)):
            add_listings(con, deduper)
            table = _papers_table(papers)
            path = f"{base}/in/papers-{index:05d}.parquet"
            pq.write_table(table, path, filesystem=fs)
            inputs.append(path)
            pending.add(client.submit(_extract_shard, index, url(path) if shared else table, out_dir, expected,
                                      key=f"claims-extract-{tag}-{index}", pure=False))
            if len(pending) >= window:
                done, pending = wait(pending, return_when="FIRST_COMPLETED")
                collect(done)
        collect(wait(pending).done)
        for index in sorted(extract_problems):   # same problem rows as store.build
            for paper_id, code, message in extract_problems[index]:
                problems.add("extract", None, code, message, paper_id)
        if shared and remote:      # DuckDB reads local files: fetch the output shards
            for kind in ("sentences", "claims"):
                for i in range(len(inputs)):
                    fs.get_file(f"{base}/out/{kind}-{i:05d}.parquet", str(local / "out" / f"{kind}-{i:05d}.parquet"))
        if remote:
            for i, path in enumerate(inputs):
                fs.get_file(path, str(local / "out" / f"papers-{i:05d}.parquet"))
            inputs = [str(local / "out" / f"papers-{i:05d}.parquet") for i in range(len(inputs))]

        con.execute(f"SET threads = {BUILD_THREADS_FINISH}")   # the workers are done: both cores
        con.execute("BEGIN TRANSACTION")
        if inputs:
            for table, files in (("papers", inputs),
                                 ("sentences", _outputs(local, "sentences", len(inputs))),
                                 ("claims", _outputs(local, "claims", len(inputs)))):
                # table names come from code; file names are bound as a parameter
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM read_parquet(?)", [files])
        report.filtered = select.skipped if select else 0
        finish_database(con, report, deduper, problems, append)
        versions.update(_joined(client, checked_at))
        info = {f"worker {addr}": text for addr, text in sorted(versions.items())}
        con.execute("DELETE FROM build_info WHERE key LIKE 'worker %'")
        if info:
            _insert(con, "build_info", pa.table({"key": list(info), "value": list(info.values())}))
        complete_build(con, tmp, db_path, report, problems, strict)
    finally:
        if con is not None:
            con.close()        # closing twice is harmless
        if client is not None:
            _unregister(client)
            client.close()
        if cluster is not None:
            cluster.close()
        _remove(tmp)
        _remove(Path(str(tmp) + ".wal"))
        shutil.rmtree(local, ignore_errors=True)
        try:
            _rm(fs, base)
        except Exception:   # noqa: BLE001  cleanup of the work dir must not hide the build's own error
            logging.getLogger("claims").warning("claims: could not remove the shards under %s", base)
    report.seconds = time.perf_counter() - started
    return report


def _rm(fs, path: str) -> None:
    if fs.exists(path):
        fs.rm(path, recursive=True)


def check_workers(client, expected: dict) -> dict[str, str]:
    """Every worker's versions ({address: description}); a missing package or another version on
    any worker is a one-line WorkerMismatch naming it. Registers `VersionCheck` for the workers
    that join later."""
    reports = client.run(_versions_probe(), on_error="return")
    if not reports:
        raise DaskUnavailable("the Dask cluster has no workers; start some with `dask worker SCHEDULER`")
    out: dict[str, str] = {}
    for addr in sorted(reports):
        got = reports[addr]
        if isinstance(got, BaseException):
            got = {"error": f"{type(got).__name__}: {got}"}
        why = mismatch(expected, got)
        if why is not None:
            raise WorkerMismatch(f"Dask worker {addr} {why}")
        out[addr] = _describe(got)
    client.register_plugin(VersionCheck(expected))
    return out


def _unregister(client) -> None:
    """Remove this build's VersionCheck: another build (other rules) must not inherit it."""
    try:
        client.unregister_worker_plugin(VersionCheck.name)
    except Exception:   # noqa: BLE001  not registered (the check failed first) or the cluster is gone
        pass


def _joined(client, since: float = 0.0) -> dict[str, str]:
    """Workers VersionCheck saw since `since` (time.time(); those that joined during the build,
    and the rejected ones); the scheduler keeps the events of earlier builds too."""
    out = {}
    for stamp, msg in client.get_events(_EVENT):
        if stamp < since:
            continue
        out[msg["worker"]] = msg["versions"] if msg["rejected"] is None else f"rejected: {msg['rejected']}"
    return out


def _result(client, future):
    """A task's result; a worker that could not run it (say, no `claims` there) is one line."""
    try:
        return future.result()
    except WorkerMismatch:
        raise
    except (ImportError, AttributeError) as exc:
        raise WorkerMismatch(f"a Dask worker could not run task {future.key} ({type(exc).__name__}: {exc}); "
                             "install the same claims on every worker") from None


def _outputs(work: Path, kind: str, n: int) -> list[str]:  # noqa: D103
    return [str(work / "out" / f"{kind}-{i:05d}.parquet") for i in range(n)]
