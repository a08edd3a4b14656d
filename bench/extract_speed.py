"""Single-core extraction throughput, with quantulum3 on the same sentences in the same run.

Measures, in this one process (one core, one thread):

* ``claims``: `claims.extract.extract_abstract` over every distinct paper of the bundled corpus
  (segmentation included), best of --repeat passes; sentences/s and MB/s of abstract text.
* ``claims (fresh)``: one pass over --fresh synthetic abstracts (bench/make_corpus.py rewrites:
  new numbers, names, hardware, sentence order), so no per-sentence cache can help.
* ``extract_batch``: the same corpus through `claims.store.extract_batch` (what a build runs:
  extraction + claim records + Arrow tables), to show the storage overhead.
* ``quantulum3``: `quantulum3.parser.parse` on each sentence the extractor produced, one pass
  (it is slow), and the ratio claims / quantulum3.

Targets (issue 6): >= 14,000 sentences/s on one core; >= 50x quantulum3. Exit status 1 if missed.

    python bench/extract_speed.py [--repeat 5] [--fresh 2000] [--json out.json] [--no-quantulum]
"""
from __future__ import annotations

import argparse
import gc
import json
import logging
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

TARGET_SENTENCES_PER_S = 14_000
TARGET_RATIO = 50


CPU = {}


def _time(fn) -> float:
    """Wall seconds of fn(); its CPU seconds go to CPU[fn.__name__] (less noisy on a shared machine)."""
    gc.collect()
    c, t = time.process_time(), time.perf_counter()
    fn()
    CPU.setdefault(fn.__name__, []).append(time.process_time() - c)
    return time.perf_counter() - t


def run(repeat: int = 5, fresh: int = 2000, quantulum: bool = True) -> dict:
    from make_corpus import rewrite, template_papers

    from claims.extract import extract_abstract
    from claims.store import extract_batch

    papers = [(f"p{i:04d}", t, a) for i, (t, a) in enumerate(template_papers())]
    warm = [extract_abstract(a, title=t, paper_id=pid) for pid, t, a in papers]   # loads + compiles rules
    sentences = [s.text for r in warm for s in r.sentences]
    n_claims = sum(len(r.claims) for r in warm)
    n_bytes = sum(len(a.encode("utf-8")) for _, _, a in papers)

    def extract_all():
        for pid, t, a in papers:
            extract_abstract(a, title=t, paper_id=pid)

    times = [_time(extract_all) for _ in range(repeat)]
    best = min(times)
    out: dict = {
        "papers": len(papers), "sentences": len(sentences), "claims": n_claims, "mb": n_bytes / 1e6,
        "claims_seconds": times, "claims_sentences_per_s": len(sentences) / best,
        "claims_mb_per_s": n_bytes / 1e6 / best,
        "claims_sentences_per_cpu_s": len(sentences) / min(CPU["extract_all"]),
    }

    extract_batch(papers[:20])   # first call imports and sets up pyarrow
    batch_time = min(_time(lambda: extract_batch(papers)) for _ in range(max(1, repeat // 2)))
    out["extract_batch_sentences_per_s"] = len(sentences) / batch_time

    if fresh:
        rng = random.Random(7)
        templates = [(t, a) for _, t, a in papers]
        synth = [(f"f{i}",) + rewrite(*templates[rng.randrange(len(templates))], 10_000_000 + i, rng)
                 for i in range(fresh)]
        counted = {}

        def extract_fresh():
            counted["n"] = sum(len(extract_abstract(a, title=t, paper_id=pid).sentences) for pid, t, a in synth)

        secs = _time(extract_fresh)
        out["fresh_abstracts"] = fresh
        out["fresh_sentences"] = counted["n"]
        out["fresh_sentences_per_s"] = counted["n"] / secs
        out["fresh_mb_per_s"] = sum(len(a.encode("utf-8")) for _, _, a in synth) / 1e6 / secs

    if quantulum:
        logging.getLogger("quantulum3").setLevel(logging.ERROR)
        import warnings

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            from quantulum3 import parser as qparser
        out["quantulum_classifier"] = not any("Classifier" in str(w.message) for w in caught)

        qparser.parse("warm up: 3.5x faster on 8 GPUs")
        found = {}

        def quantulum_all():
            found["n"] = sum(len(qparser.parse(s)) for s in sentences)

        qsecs = _time(quantulum_all)
        out["quantulum_seconds"] = qsecs
        out["quantulum_quantities"] = found["n"]
        out["quantulum_sentences_per_s"] = len(sentences) / qsecs
        out["quantulum_sentences_per_cpu_s"] = len(sentences) / CPU["quantulum_all"][-1]
        # CPU-seconds on both sides: a busy machine slows wall time, not the work done per core
        out["ratio"] = out["claims_sentences_per_cpu_s"] / out["quantulum_sentences_per_cpu_s"]
    return out


def report(r: dict) -> str:
    lines = [
        f"corpus: {r['papers']} distinct bundled papers, {r['sentences']:,} sentences, {r['mb']:.2f} MB, "
        f"{r['claims']:,} claims",
        f"claims extract_abstract : {r['claims_sentences_per_s']:>10,.0f} sentences/s  "
        f"{r['claims_mb_per_s']:6.2f} MB/s   (best of {len(r['claims_seconds'])}: "
        + ", ".join(f"{t:.3f}s" for t in r["claims_seconds"]) + f"; {r['claims_sentences_per_cpu_s']:,.0f} per CPU-second)",
        f"claims extract_batch    : {r['extract_batch_sentences_per_s']:>10,.0f} sentences/s  (with claim records + Arrow)",
    ]
    if "fresh_sentences_per_s" in r:
        lines.append(f"claims, fresh synthetic : {r['fresh_sentences_per_s']:>10,.0f} sentences/s  "
                     f"{r['fresh_mb_per_s']:6.2f} MB/s   ({r['fresh_abstracts']:,} abstracts, "
                     f"{r['fresh_sentences']:,} sentences, one pass)")
    if "ratio" in r:
        lines.append(f"quantulum3 parse         : {r['quantulum_sentences_per_s']:>10,.0f} sentences/s  "
                     f"({r['quantulum_seconds']:.2f}s, {r['quantulum_quantities']:,} quantities; "
                     f"{r['quantulum_sentences_per_cpu_s']:,.0f} per CPU-second"
                     + ("" if r["quantulum_classifier"] else "; without its optional classifier") + ")")
        lines.append(f"ratio claims/quantulum3  : {r['ratio']:10.1f}x  per CPU-second (target >= {TARGET_RATIO}x): "
                     f"{'met' if r['ratio'] >= TARGET_RATIO else 'MISSED'}")
    speed = r["claims_sentences_per_cpu_s"]
    ok = speed >= TARGET_SENTENCES_PER_S and r.get("ratio", TARGET_RATIO) >= TARGET_RATIO
    lines.append(f"target >= {TARGET_SENTENCES_PER_S:,} sentences per CPU-second on one core: "
                 f"{speed:,.0f}, {'met' if speed >= TARGET_SENTENCES_PER_S else 'MISSED'}")
    r["ok"] = ok
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5, help="timed passes over the bundled corpus (best is kept)")
    ap.add_argument("--fresh", type=int, default=2000, help="synthetic abstracts for the one-pass run (0: skip)")
    ap.add_argument("--no-quantulum", action="store_true", help="skip quantulum3")
    ap.add_argument("--json", help="also write the figures to this JSON file")
    args = ap.parse_args(argv)
    r = run(args.repeat, args.fresh, not args.no_quantulum)
    print(report(r))
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=1))
    return 0 if r["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
