"""Data records passed between stages. Field names of `Claim` follow shared/gold/GUIDELINES.md."""
from __future__ import annotations

import functools
import hashlib
from typing import Literal, NamedTuple, Optional

from pydantic import BaseModel, ConfigDict

Kind = Literal["ratio", "change", "absolute", "scale"]
Direction = Optional[Literal["up", "down"]]
Qualifier = Optional[Literal["up to", "over", "about", "average"]]


@functools.lru_cache(maxsize=2)   # ingest derives the id, then the Deduper keys the same title
def paper_id_for(title: str) -> str:
    """Stable paper id: sha1 of the lower-cased, whitespace-collapsed title (matches the gold ids)."""
    return hashlib.sha1(normalize_title(title).encode("utf-8")).hexdigest()[:12]


def normalize_title(title: str) -> str:
    return " ".join(title.lower().split())


class Paper(BaseModel):
    model_config = ConfigDict(frozen=True)

    paper_id: str
    title: str
    abstract: str
    url: Optional[str] = None          # paper page URL if the source gave one
    code_url: Optional[str] = None     # first URL found in the abstract
    published: Optional[str] = None    # date as written in the source ("Sep 17, 2019", "2024-01-02")
    authors: Optional[int] = None      # author count ("6 authors")
    upvotes: Optional[int] = None
    organization: Optional[str] = None
    source: str = ""                   # file the record came from
    source_line: Optional[int] = None  # 1-based line of the title / JSONL record


class Sentence(NamedTuple):
    """One sentence of an abstract. A NamedTuple, not a pydantic model: the extractor makes one per
    sentence of every abstract (9 million at 1M abstracts) from offsets it computed itself, and
    validating them cost 2.5% of extraction time."""

    paper_id: str
    sentence_index: int
    start: int   # offset into the abstract
    end: int
    text: str


class Claim(BaseModel):
    """One numeric mention. `abstract[span_start:span_end] == mention`."""

    model_config = ConfigDict(frozen=True)

    paper_id: Optional[str] = None
    sentence: str
    mention: str
    value: float
    value_high: Optional[float] = None
    unit: str
    kind: Kind
    metric: Optional[str] = None
    direction: Direction = None
    baseline: Optional[str] = None
    system: Optional[str] = None
    hardware: Optional[str] = None
    hardware_count: Optional[int] = None
    model: Optional[str] = None
    qualifier: Qualifier = None
    # provenance
    sentence_index: int = 0
    span_start: int = 0
    span_end: int = 0
    rule_id: str = ""
    # pint normalization
    value_base: Optional[float] = None
    unit_base: Optional[str] = None

    @property
    def claim_id(self) -> str:
        """Stable across rebuilds: depends only on the paper, the span and the mention."""
        key = f"{self.paper_id}|{self.span_start}|{self.span_end}|{self.mention}"
        return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]

    @property
    def baselines(self) -> tuple[str, ...]:
        """Canonical names of the baselines the `baseline` phrase names (rules/baselines.yml)."""
        from .rules import baseline_names
        return tuple(c for c, _ in baseline_names(self.baseline))

    def to_record(self) -> dict:
        d = self.model_dump()
        d["claim_id"] = self.claim_id
        d["baselines"] = list(self.baselines)
        return d


GOLD_FIELDS = (
    "paper_id", "sentence", "mention", "value", "value_high", "unit", "kind", "metric",
    "direction", "baseline", "system", "hardware", "hardware_count", "model", "qualifier",
)
