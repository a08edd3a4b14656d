"""Synthetic corpus: the bundled corpus scaled to N abstracts, as JSONL or Parquet shards.

Every record is one of the bundled corpus's 352 distinct papers, rewritten so that no two
records are the same text (a cache keyed on sentences or abstracts gains nothing):

* the system name (the title's "Name:" prefix, or a new one) becomes a unique made-up name,
  in the title and everywhere in the abstract;
* every free-standing number gets a new value of the same shape (integers stay integers,
  decimals keep their digits; years and numbers glued to names such as GPT-4 are kept);
* hardware names are swapped for others of the same list (A100 -> MI300X, TPU v4 -> H100 ...);
* the sentences after the first are shuffled.

Shards are generated independently from (seed, shard number), so the output is the same
whatever --jobs is.

    python bench/make_corpus.py 100000 /tmp/claims-bench/corpus-100k              # JSONL shards
    python bench/make_corpus.py 1000000 /tmp/claims-bench/corpus-1m --format parquet --jobs 2
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SYLLABLES = ("ka", "lo", "tre", "mi", "vo", "ra", "zen", "qu", "dar", "pho", "nix", "sel", "bru", "ta",
             "gor", "fi", "lum", "ex", "an", "co", "vel", "mor", "sy", "tra", "pel", "on", "ri", "gen",
             "hal", "cy", "ber", "ux")                    # 32: four syllables name 1,048,576 systems
HARDWARE = ("A100", "H100", "H200", "V100", "T4", "A6000", "L40S", "RTX 4090", "RTX 3090", "MI250X",
            "MI300X", "TPU v4", "TPU v5e", "Gaudi2", "Jetson Orin")
_HARDWARE = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(h) for h in sorted(HARDWARE, key=len, reverse=True))
                       + r")(?![\w-])")
# a number standing alone: not part of a name (GPT-4, H100, v2, 3D) and not a year
_NUMBER = re.compile(r"(?<![\w.\-/])(\d+(?:,\d{3})*(?:\.\d+)?)(?![\d,]*\.\d)(?![A-Za-z]*\d)(?!D\b)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_PREFIX = re.compile(r"^([A-Z][\w\-+.]{1,30}):\s+")


def template_papers() -> list[tuple[str, str]]:
    """(title, abstract) of the bundled corpus's distinct papers."""
    from claims.ingest import Problems, bundled_corpus, dedupe, iter_papers

    problems = Problems()
    return [(p.title, p.abstract) for p in dedupe(iter_papers(bundled_corpus(), problems), problems)]


def system_name(i: int) -> str:
    """A unique made-up name for record i (a bijection on 0..2^20-1, then longer names)."""
    n = (i * 786433 + 12345) % (1 << 20) if i < (1 << 20) else i
    parts = []
    while True:
        parts.append(SYLLABLES[n % 32])
        n //= 32
        if n == 0 and len(parts) >= 4:
            break
    return "".join(parts).capitalize()


def _new_number(match: re.Match, rng: random.Random) -> str:
    text = match.group(1)
    raw = text.replace(",", "")
    if "." not in raw and len(raw) == 4 and 1900 <= int(raw) <= 2035:
        return text                                             # a year
    value = float(raw) * rng.uniform(0.4, 1.8)
    if "." in raw:
        return f"{value:.{len(raw.split('.')[1])}f}"
    new = max(1, round(value))
    return f"{new:,}" if "," in text else str(new)


def rewrite(title: str, abstract: str, i: int, rng: random.Random) -> tuple[str, str]:
    """One synthetic (title, abstract) from a template paper."""
    name = system_name(i)
    prefix = _PREFIX.match(title)
    if prefix:
        old = prefix.group(1)
        title = f"{name}: {title[prefix.end():]}"
        abstract = re.sub(r"(?<![\w-])" + re.escape(old) + r"(?![\w-])", name, abstract)
    else:
        title = f"{name}: {title}"
    abstract = _NUMBER.sub(lambda m: _new_number(m, rng), abstract)
    abstract = _HARDWARE.sub(lambda m: rng.choice(HARDWARE), abstract)
    sentences = _SENTENCE_END.split(abstract)
    if len(sentences) > 2:
        rest = sentences[1:]
        rng.shuffle(rest)
        abstract = " ".join([sentences[0]] + rest)
    return title, abstract


def records(start: int, stop: int, seed: int, templates: list[tuple[str, str]], duplicates: float):
    rng = random.Random(f"{seed}:{start}")
    for i in range(start, stop):
        title, abstract = rewrite(*templates[rng.randrange(len(templates))], i, rng)
        rec = {"title": title, "abstract": abstract, "url": f"https://example.org/synthetic/{i}",
               "published": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}"}
        yield rec
        if duplicates and rng.random() < duplicates:   # the same paper listed again (dedupe work)
            yield dict(rec, url=None)


def write_shard(args) -> tuple[str, int, int]:
    out, index, start, stop, seed, fmt, duplicates = args
    templates = template_papers()
    path = Path(out) / f"shard-{index:05d}.{fmt}"
    tmp = path.with_suffix(".tmp")
    recs = list(records(start, stop, seed, templates, duplicates))
    if fmt == "jsonl":
        with open(tmp, "w", encoding="utf-8") as f:
            for rec in recs:
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(recs), tmp)
    tmp.rename(path)
    return str(path), len(recs), path.stat().st_size


def make_corpus(n: int, out: str | Path, *, fmt: str = "jsonl", shard_size: int = 50_000, seed: int = 6,
                jobs: int = 1, duplicates: float = 0.0) -> list[tuple[str, int, int]]:
    """Write N synthetic abstracts as shards under `out`; returns (path, records, bytes) per shard."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("shard-*"):
        old.unlink()
    tasks = [(str(out), k, start, min(start + shard_size, n), seed, fmt, duplicates)
             for k, start in enumerate(range(0, n, shard_size))]
    if jobs <= 1:
        return [write_shard(t) for t in tasks]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(write_shard, tasks))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", type=lambda s: int(float(s)), help="number of abstracts (1e6 is fine)")
    ap.add_argument("out", help="output folder (its old shard-* files are removed)")
    ap.add_argument("--format", choices=["jsonl", "parquet"], default="jsonl")
    ap.add_argument("--shard-size", type=int, default=50_000, help="abstracts per shard")
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--jobs", type=int, default=1, help="processes")
    ap.add_argument("--duplicates", type=float, default=0.0,
                    help="fraction of records listed a second time (exercises dedupe)")
    args = ap.parse_args(argv)
    t = time.perf_counter()
    shards = make_corpus(args.n, args.out, fmt=args.format, shard_size=args.shard_size, seed=args.seed,
                         jobs=args.jobs, duplicates=args.duplicates)
    total = sum(s[2] for s in shards)
    print(f"wrote {sum(s[1] for s in shards):,} records in {len(shards)} {args.format} shard(s), "
          f"{total / 1e6:.1f} MB, to {args.out} in {time.perf_counter() - t:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
