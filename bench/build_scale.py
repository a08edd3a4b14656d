"""End-to-end scale benchmark: `claims build` + `claims publish` on N synthetic abstracts.

For the bundled corpus and each N (default 10k, 100k, 1M) this generates a synthetic corpus
once (bench/make_corpus.py, JSONL shards, kept under --workdir for later runs), then runs, as
separate processes of this checkout,

    claims build CORPUS --db WORK/N.duckdb --workers 2 -q [--engine dask]
    claims publish --db WORK/N.duckdb --out WORK/N.db

and measures wall time, CPU seconds (all processes of the command), the 1-minute load average
of the machine (other work slows wall time), and peak memory of each command (psutil polling the whole process tree
every 0.1 s: "tree RSS" is the sum over the command and its worker processes, an upper bound
since forked workers share pages; "max proc" is the largest single process), the number of
claims, claims/s of the build, and the DuckDB and SQLite file sizes.

Targets (issue 6): bundled corpus build + publish < 3 s; 1M abstracts build + publish < 10 min
with --workers 2, peak RSS < 2 GB and flat as N grows. Exit status 1 if a target is missed.

    python bench/build_scale.py                         # bundled, 10k, 100k, 1M
    python bench/build_scale.py --sizes 10k,100k --engine dask
    python bench/build_scale.py --sizes 10k --fulltexts 1000   # also 1,000 generated ~50 KB full texts
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

TARGET_BUNDLED_S = 3.0
TARGET_1M_S = 600.0
TARGET_RSS_MB = 2048.0


def parse_size(text: str) -> int:
    text = text.strip().lower()
    mult = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * mult)


def label(n: int) -> str:
    if n == 0:
        return "bundled"
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k" if n % 1000 == 0 else str(n)


def measure(cmd: list[str], env: dict) -> dict:
    """Run cmd; wall seconds, peak tree RSS and peak single-process RSS (MB); raise on failure."""
    started = time.perf_counter()
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    load0 = os.getloadavg()[0]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ps = psutil.Process(proc.pid)
    peak_tree = peak_proc = 0
    main_cpu = 0.0      # CPU seconds of the command's own process (not its workers), last seen
    while proc.poll() is None:
        try:
            t = ps.cpu_times()
            main_cpu = t.user + t.system
            procs = [ps] + ps.children(recursive=True)
            rss = []
            for p in procs:
                try:
                    rss.append(p.memory_info().rss)
                except psutil.Error:
                    pass
            peak_tree = max(peak_tree, sum(rss))
            peak_proc = max(peak_proc, max(rss, default=0))
        except psutil.Error:
            pass
        time.sleep(0.1)
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    failed = None
    if proc.returncode != 0:
        failed = (err.strip().splitlines() or ["no output"])[-1][:200]
        print(f"FAILED ({proc.returncode}): {' '.join(cmd)}\n{err[-3000:]}", file=sys.stderr)
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
    return {"seconds": seconds, "cpu_s": cpu, "main_cpu_s": main_cpu, "load": max(load0, os.getloadavg()[0]),
            "tree_rss_mb": peak_tree / 2**20, "proc_rss_mb": peak_proc / 2**20, "failed": failed,
            "stderr": err.strip().splitlines()[-1:] if err.strip() else []}


def ensure_corpus(n: int, workdir: Path, jobs: int) -> Path:
    """The N-abstract corpus under workdir, generated once (same seed, so reuse is safe)."""
    from make_corpus import make_corpus

    out = workdir / f"corpus-{label(n)}"
    manifest = workdir / f"corpus-{label(n)}.json"     # outside the corpus: .json files are inputs
    if manifest.exists() and json.loads(manifest.read_text()).get("n") == n:
        return out
    t = time.perf_counter()
    shards = make_corpus(n, out, fmt="jsonl", shard_size=50_000, jobs=jobs)
    manifest.write_text(json.dumps({"n": n, "shards": len(shards), "bytes": sum(s[2] for s in shards)}))
    print(f"  generated {n:,} abstracts ({sum(s[2] for s in shards) / 1e6:.0f} MB) "
          f"in {time.perf_counter() - t:.0f}s", file=sys.stderr)
    return out


def ensure_fulltexts(n: int, workdir: Path) -> Path:
    """n generated full texts of ~50 KB each (prose, table rows, captions) as one JSONL file."""
    from make_fulltext import paper, plain_text

    out = workdir / f"fulltext-{n}"
    path = out / "fulltexts.jsonl"
    if path.exists() and sum(1 for _ in open(path, encoding="utf-8")) == n:
        return out
    out.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            p = paper(10_000 + i)
            fh.write(json.dumps({"paper_id": f"ft{i:05d}", "title": p.title,
                                 "abstract": plain_text(p, seed=i)}) + "\n")
    return out


def run_size(n: int, workdir: Path, workers: int, engine: str, keep: bool, fulltext: bool = False) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    claims = [sys.executable, "-m", "claims.cli"]
    name = f"fulltext-{n}" if fulltext else label(n)
    db, site = workdir / f"{name}.duckdb", workdir / f"{name}.db"
    if fulltext:
        sources = [str(ensure_fulltexts(n, workdir))]
    else:
        sources = [] if n == 0 else [str(ensure_corpus(n, workdir, jobs=max(1, workers)))]
    # the bundled row is the quick-start command as a user types it (default --workers 1)
    build_cmd = claims + ["build", *sources, "--db", str(db), "--workers", str(workers if n else 1), "-q"]
    if engine != "local":
        build_cmd += ["--engine", engine]
    b = measure(build_cmd, env)
    if b["failed"]:
        raise SystemExit(f"claims build failed: {b['failed']}")
    p = measure(claims + ["publish", "--db", str(db), "--out", str(site)], env)
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    papers, sentences, n_claims, text_bytes = con.execute(
        "SELECT (SELECT count(*) FROM papers), (SELECT count(*) FROM sentences), (SELECT count(*) FROM claims), "
        "(SELECT sum(strlen(title) + strlen(abstract)) FROM papers)"
    ).fetchone()
    con.close()
    row = {
        "n": n, "label": f"{n:,} full texts" if fulltext else label(n), "papers": papers,
        "text_mb": text_bytes / 1e6, "sentences": sentences, "claims": n_claims,
        "build_s": b["seconds"], "publish_s": p["seconds"], "total_s": b["seconds"] + p["seconds"],
        "build_cpu_s": b["cpu_s"], "publish_cpu_s": p["cpu_s"], "load": max(b["load"], p["load"]),
        "build_main_cpu_s": b["main_cpu_s"], "publish_main_cpu_s": p["main_cpu_s"],
        "claims_per_s": n_claims / b["seconds"], "sentences_per_s": sentences / b["seconds"],
        "build_tree_rss_mb": b["tree_rss_mb"], "build_proc_rss_mb": b["proc_rss_mb"],
        "publish_rss_mb": p["tree_rss_mb"],
        "duckdb_mb": db.stat().st_size / 1e6, "sqlite_mb": site.stat().st_size / 1e6 if site.exists() else 0.0,
        "sqlite_to_text": (site.stat().st_size / text_bytes) if site.exists() and text_bytes else 0.0,
        "publish_failed": p["failed"],
        "build_line": b["stderr"], "publish_line": p["stderr"],
    }
    if not keep:
        for f in (db, site):
            f.unlink(missing_ok=True)
    return row


HEADER = ("| N | papers | sentences | claims | build s (CPU s) | publish s (CPU s) | total s | claims/s | "
          "build RSS tree / max proc MB | publish RSS MB | text MB | DuckDB MB | SQLite MB | SQLite / text | load |")


def table(rows: list[dict]) -> str:
    lines = [HEADER, "|" + "---|" * (HEADER.count("|") - 1)]
    for r in rows:
        lines.append(
            f"| {r['label']} | {r['papers']:,} | {r['sentences']:,} | {r['claims']:,} | "
            f"{r['build_s']:.1f} ({r['build_cpu_s']:.0f}) | "
            + ("FAILED | " if r.get("publish_failed") else f"{r['publish_s']:.1f} ({r['publish_cpu_s']:.0f}) | ") +
            f"{r['total_s']:.1f} | {r['claims_per_s']:,.0f} | "
            f"{r['build_tree_rss_mb']:,.0f} / {r['build_proc_rss_mb']:,.0f} | {r['publish_rss_mb']:,.0f} | "
            f"{r.get('text_mb', 0):,.1f} | {r['duckdb_mb']:,.1f} | {r['sqlite_mb']:,.1f} | "
            f"{r.get('sqlite_to_text', 0):.2f} | {r['load']:.1f} |")
    return "\n".join(lines)


def growth(rows: list[dict]) -> list[str]:
    """Cost per 1k abstracts between consecutive sizes, and an honest linear extrapolation to 1M."""
    out = []
    for r in rows:   # the build's main process reads, dedupes and stores; its workers extract
        out.append(f"{r['label']}: build main process {r.get('build_main_cpu_s', 0):.1f} CPU s of "
                   f"{r['build_cpu_s']:.1f} (workers: the rest); publish main process "
                   f"{r.get('publish_main_cpu_s', 0):.1f} of {r['publish_cpu_s']:.1f} CPU s")
    sized = [r for r in rows if r["n"] > 0 and not r["label"].endswith("full texts")]
    for a, b in zip(sized, sized[1:]):
        ratio_n = b["n"] / a["n"]
        out.append(f"{a['label']} -> {b['label']} (x{ratio_n:.0f} abstracts): total time x{b['total_s'] / a['total_s']:.1f}, "
                   f"build RSS x{b['build_tree_rss_mb'] / a['build_tree_rss_mb']:.2f}, "
                   f"DuckDB x{b['duckdb_mb'] / a['duckdb_mb']:.1f}, "
                   + (f"SQLite x{b['sqlite_mb'] / a['sqlite_mb']:.1f}" if a["sqlite_mb"] and b["sqlite_mb"] else "SQLite -"))
    big = [r for r in sized if r["n"] >= 1_000_000 and not r["label"].endswith("full texts")]
    if big:       # issue 16: all of arXiv is ~2.7M abstracts
        r, f = big[-1], 2_700_000 / big[-1]["n"]
        out.append(f"2.7M abstracts, linear from {r['label']}: build+publish ~{r['total_s'] * f / 60:.0f} min wall "
                   f"({(r['build_cpu_s'] + r['publish_cpu_s']) * f / 60:.0f} CPU-minutes), ~{r['claims'] * f / 1e6:.1f}M claims, "
                   f"DuckDB ~{r['duckdb_mb'] * f / 1e3:.1f} GB, SQLite ~{r['sqlite_mb'] * f / 1e3:.1f} GB")
    if sized and sized[-1]["n"] < 1_000_000:
        last = sized[-1]
        f = 1_000_000 / last["n"]
        cpu = (last["build_cpu_s"] + last["publish_cpu_s"]) * f
        out.append(f"1M NOT RUN; linear extrapolation from {last['label']}: build+publish ~{last['total_s'] * f / 60:.1f} min "
                   f"wall at this load; {cpu / 60:.0f} CPU-minutes, i.e. >= {cpu / 60 / max(1, os.cpu_count() or 1):.0f} min "
                   f"on {os.cpu_count()} idle cores; "
                   f"~{last['claims'] * f / 1e6:.1f}M claims, DuckDB ~{last['duckdb_mb'] * f / 1e3:.1f} GB, "
                   f"SQLite ~{last['sqlite_mb'] * f / 1e3:.1f} GB (RSS not extrapolated: see the growth above)")
    return out


def verdict(rows: list[dict]) -> tuple[bool, list[str]]:
    msgs, ok = [], True
    for r in rows:
        if r.get("publish_failed"):
            msgs.append(f"{r['label']} claims publish FAILED: {r['publish_failed']}")
            ok = False
        if r["n"] == 0:
            good = r["total_s"] < TARGET_BUNDLED_S
            msgs.append(f"bundled build + publish {r['total_s']:.2f}s (target < {TARGET_BUNDLED_S:.0f}s): "
                        f"{'met' if good else 'MISSED'}")
            ok &= good
        if r["n"] >= 1_000_000:
            good = r["total_s"] < TARGET_1M_S
            msgs.append(f"{r['label']} build + publish {r['total_s'] / 60:.1f} min (target < 10 min): "
                        f"{'met' if good else 'MISSED'}")
            ok &= good
        if r["n"] >= 100_000 or r["label"].endswith("full texts"):
            good = r.get("sqlite_to_text", 0) <= 2.0
            msgs.append(f"{r['label']} SQLite {r.get('sqlite_to_text', 0):.2f}x the input text (target <= 2x): "
                        f"{'met' if good else 'MISSED'}")
            ok &= good
        peak = max(r["build_tree_rss_mb"], r["publish_rss_mb"])
        if peak >= TARGET_RSS_MB:
            msgs.append(f"{r['label']} peak RSS {peak:,.0f} MB (target < {TARGET_RSS_MB:,.0f} MB): MISSED")
            ok = False
    return ok, msgs


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10k,100k,1m", help="comma-separated N (k, m suffixes); 0 = bundled only")
    ap.add_argument("--no-bundled", action="store_true", help="skip the bundled-corpus row")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--engine", choices=["local", "dask"], default="local")
    ap.add_argument("--workdir", default="/tmp/claims-scale", type=Path)
    ap.add_argument("--keep", action="store_true", help="keep the built DuckDB and SQLite files")
    ap.add_argument("--json", help="also write the rows to this JSON file")
    ap.add_argument("--fulltexts", type=int, default=0,
                    help="also build this many generated ~50 KB full texts (bench/make_fulltext.py), e.g. 1000")
    args = ap.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    sizes = ([] if args.no_bundled else [0]) + [parse_size(s) for s in args.sizes.split(",") if parse_size(s) > 0]
    rows = []
    for n in sizes:
        print(f"{label(n)}: build (--workers {args.workers}, engine {args.engine}) + publish ...", file=sys.stderr)
        rows.append(run_size(n, args.workdir, args.workers, args.engine, args.keep))
        print(table(rows[-1:]).splitlines()[-1], file=sys.stderr)
    if args.fulltexts:
        print(f"{args.fulltexts:,} full texts: build (--workers {args.workers}) + publish ...", file=sys.stderr)
        rows.append(run_size(args.fulltexts, args.workdir, args.workers, args.engine, args.keep, fulltext=True))
        print(table(rows[-1:]).splitlines()[-1], file=sys.stderr)
    print(table(rows))
    for line in growth(rows):
        print(line)
    ok, msgs = verdict(rows)
    for m in msgs:
        print(m)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
