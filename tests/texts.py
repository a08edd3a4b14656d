"""Real texts that the extractor's fast-path tests run over (one place, three test modules):
the bundled corpus (as abstracts or sentences), the held-out abstracts, every example and
counter-example of the rules, and a few strings that exercise case folding and word boundaries."""
from __future__ import annotations

import functools
import json
from pathlib import Path

HELDOUT = Path(__file__).parent / "golden" / "heldout-papers.jsonl"

TRICKY = ["A dozen GPUs and a dozen nodes", "a  dozen", "ONE Two THREE-fold", "Single-GPU and a single GPU",
          "$5, US$3, USD 4 and \\250 million", "sim0.6 and ~3", "an order of magnitude", "twenty_one",
          "Forty-two", "twice as fast, half the cost", "seconds, hours and thousands", "İstanbul one",
          "Kelvin \u212a and ſingle", "", "a", "12,288 GPUs", ".5 and 0.5"]


@functools.lru_cache(maxsize=1)
def corpus_abstracts() -> tuple[str, ...]:
    from claims.ingest import Problems, bundled_corpus, dedupe, iter_papers

    problems = Problems()
    return tuple(p.abstract for p in dedupe(iter_papers(bundled_corpus(), problems), problems))


@functools.lru_cache(maxsize=1)
def corpus_sentences() -> tuple[str, ...]:
    from claims.segment import segment

    return tuple(a[x:y] for a in corpus_abstracts() for x, y in segment(a))


def heldout_abstracts() -> list[str]:
    return [json.loads(line)["abstract"] for line in HELDOUT.read_text().splitlines() if line.strip()]


def rule_examples() -> list[str]:
    """The text of every example and counter-example in rules/."""
    from claims.rules import get_rules

    out = []
    for e in get_rules().entries.values():
        for ex in list(e.examples) + list(e.counter_examples):
            out.append(ex.get("text") if hasattr(ex, "get") else str(ex))
    return out
