"""Extraction cost per character from 1 KB to 1 MB documents (issue 16: within 1.5x of 1 KB).

Documents are generated full texts: prose paragraphs with claims, and table-like runs (rows of
short tokens and numbers, as a PDF text layer gives them), mixed about half and half. Every size
is built from the same blocks, so claims per character are the same at every size. CPU seconds
of `claims.extract.extract_abstract` per character (best of --repeat runs, more for small
documents), and the claims found.

    python bench/cost_per_char.py [--sizes 1000,10000,100000,1000000] [--repeat 3] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

PROSE = [
    "Our system achieves {a}x higher throughput than vLLM on {g} H100 GPUs.",
    "It reduces the time to first token by {p}% compared to TensorRT-LLM.",
    "Training a {m}B model on {g} A100 GPUs reaches {p}% MFU.",
    "We evaluate on {g} nodes with a batch size of {g} and a context length of {k}K tokens.",
]
HEADERS = ["Model", "GPUs", "Throughput", "Latency (ms)", "MFU (%)", "Speedup"]
MODELS = ["LLaMA-7B", "LLaMA-13B", "OPT-30B", "GPT-3", "Mixtral", "Qwen-72B"]


def block(rng: random.Random) -> str:
    """~1 KB: a paragraph of prose, then a small table (one row per line)."""
    prose = " ".join(t.format(a=round(rng.uniform(1.1, 9.9), 2), g=rng.choice([8, 16, 64, 256]),
                              p=round(rng.uniform(5, 60), 1), m=rng.choice([7, 13, 70, 175]),
                              k=rng.choice([4, 32, 128])) for t in rng.sample(PROSE, 3))
    rows = ["Table 2: " + " ".join(HEADERS)]
    for _ in range(7):
        rows.append(" ".join([rng.choice(MODELS), str(rng.choice([8, 16, 64])),
                              f"{rng.uniform(100, 9000):.1f}", f"{rng.uniform(1, 90):.2f}",
                              f"{rng.uniform(20, 60):.1f}", f"{rng.uniform(1, 4):.2f}x"]))
    return prose + "\n" + "\n".join(rows) + "\n"


def document(size: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    out, n = [], 0
    while n < size:
        b = block(rng)
        out.append(b)
        n += len(b)
    return "".join(out)[:size].rsplit("\n", 1)[0]


def table_line(size: int, seed: int = 1) -> str:
    """The worst case of the issue: one 'sentence' of table-like tokens with no line breaks."""
    rng = random.Random(seed)
    out, n = [], 0
    while n < size:
        cell = rng.choice([f"{rng.uniform(0, 99):.2f}", rng.choice(MODELS), f"{rng.uniform(1, 4):.1f}x",
                           str(rng.randint(1, 512)), "|", "GPU", f"{rng.randint(1, 60)}%"])
        out.append(cell)
        n += len(cell) + 1
    return " ".join(out)[:size]


def run(sizes, repeat: int) -> list[dict]:
    from claims.extract import extract_abstract

    extract_abstract(document(2000))      # rules loaded and compiled
    rows = []
    for kind, make in (("full text", document), ("one table line", table_line)):
        for size in sizes:
            text = make(size)
            best = float("inf")
            for _ in range(max(repeat, 300_000 // size)):    # small documents: enough runs for a stable minimum
                c = time.process_time()
                result = extract_abstract(text, paper_id="bench")
                best = min(best, time.process_time() - c)
            rows.append({"kind": kind, "chars": len(text), "cpu_s": round(best, 4),
                         "us_per_char": round(best / len(text) * 1e6, 3), "sentences": len(result.sentences),
                         "claims": len(result.claims), "problems": len(result.problems)})
        base = next(r for r in rows if r["kind"] == kind)["us_per_char"]
        for r in rows:
            if r["kind"] == kind:
                r["ratio_to_1k"] = round(r["us_per_char"] / base, 2)
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000,1000000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    rows = run([int(s) for s in args.sizes.split(",")], args.repeat)
    print(f"{'kind':16} {'chars':>9} {'cpu s':>8} {'us/char':>8} {'x 1KB':>6} {'sents':>6} {'claims':>7} {'probl':>5}")
    for r in rows:
        print(f"{r['kind']:16} {r['chars']:>9,} {r['cpu_s']:>8.3f} {r['us_per_char']:>8.3f} {r['ratio_to_1k']:>6.2f} "
              f"{r['sentences']:>6,} {r['claims']:>7,} {r['problems']:>5}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    worst = max(r["ratio_to_1k"] for r in rows)
    return 0 if worst <= 1.5 and not any(r["problems"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
