"""Run the issue-6 benchmarks in order and print one report: extraction speed, then build scale.

    python bench/run.py                        # everything: extract speed; bundled, 10k, 100k, 1M builds
    python bench/run.py --sizes 10k,100k       # skip the 1M build (~10x the 100k time)
    python bench/run.py --quick                # extract speed (short) + bundled + 10k: a few minutes

Results go to stdout (Markdown table) and to --out (JSON, default /tmp/claims-scale/results.json).
Generated corpora and databases live under --workdir (default /tmp/claims-scale), never in the repo.
Exit status 1 if any target of issue 6 is missed.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import build_scale  # noqa: E402
import extract_speed  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10k,100k,1m", help="build sizes (k/m suffixes)")
    ap.add_argument("--quick", action="store_true", help="short extract run; bundled + 10k builds only")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--fulltexts", type=int, default=1000, help="generated ~50 KB full texts to build (0: none)")
    ap.add_argument("--engine", choices=["local", "dask"], default="local")
    ap.add_argument("--workdir", default="/tmp/claims-scale", type=Path)
    ap.add_argument("--out", default=None, type=Path, help="JSON results (default WORKDIR/results.json)")
    args = ap.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    sizes = "10k" if args.quick else args.sizes
    started = time.perf_counter()

    print("## Extraction throughput (one core)\n")
    ex = extract_speed.run(repeat=2 if args.quick else 5, fresh=300 if args.quick else 2000)
    print(extract_speed.report(ex))

    print(f"\n## Build + publish (--workers {args.workers}, engine {args.engine})\n")
    rows = []
    for n in [0] + [build_scale.parse_size(s) for s in sizes.split(",") if build_scale.parse_size(s) > 0]:
        print(f"{build_scale.label(n)} ...", file=sys.stderr)
        rows.append(build_scale.run_size(n, args.workdir, args.workers, args.engine, keep=False))
    n_full = min(args.fulltexts, 100) if args.quick else args.fulltexts
    if n_full:
        print(f"{n_full} full texts ...", file=sys.stderr)
        full = build_scale.run_size(n_full, args.workdir, args.workers, args.engine, keep=False, fulltext=True)
    print(build_scale.table(rows + ([full] if n_full else [])))
    for line in build_scale.growth(rows):
        print(line)
    ok, msgs = build_scale.verdict(rows + ([full] if n_full else []))   # full texts: RSS and SQLite size
    for m in msgs:
        print(m)
    ok &= ex["ok"]
    out = args.out or args.workdir / "results.json"
    out.write_text(json.dumps({"extract": ex, "builds": rows}, indent=1, default=str))
    print(f"\nall targets {'met' if ok else 'NOT met'}; {time.perf_counter() - started:.0f}s; results in {out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
