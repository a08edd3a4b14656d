"""Score extraction against annotated gold (issue 3).

A prediction matches a gold record when it names the same paper, sits in the same sentence and
its value is equal within a relative 1e-3; matching is one-to-one (a prediction with the same
mention is preferred). Reports precision / recall / F1 overall, for result kinds
(ratio/change/absolute) and for scale, then field accuracies over matched pairs, then the missed
and spurious mentions.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import regex

from .errors import InputError
from .extract import extract
from .rules import canonical_baseline

RESULT_KINDS = ("ratio", "change", "absolute")
FIELDS = ("kind", "unit", "metric", "direction", "qualifier", "value_high", "baseline", "system",
          "hardware", "hardware_count", "model")
# fields scored only where the gold record has a value
ONLY_WHERE_GOLD = ("baseline", "hardware")

# Leaderboard boards (issue 13): which rows a board shows, and the fields a row must get right.
BEST_METRICS = frozenset((
    "throughput", "latency", "mfu", "utilization", "flops", "accuracy", "success_rate", "error",
    "perplexity", "bleu", "f1", "win_rate", "scaling_efficiency", "goodput", "memory", "energy",
    "power", "cost", "time", "loss"))
SCALE_METRICS = frozenset(("hardware_count", "cluster_size", "model_size", "data_size", "context_length"))


@dataclass(frozen=True)
class Board:
    name: str
    keys: tuple[str, ...]

    def eligible(self, r: dict) -> bool:
        kind = r.get("kind")
        if self.name == "best":
            return kind == "absolute" and r.get("metric") in BEST_METRICS
        if self.name == "speedups":
            return kind in ("ratio", "change")
        if self.name == "head_to_head":
            return kind in ("ratio", "change") and r.get("baseline") is not None
        return kind == "scale" and r.get("metric") in SCALE_METRICS


BOARDS = (
    Board("best", ("kind", "metric", "unit", "system", "hardware")),
    Board("speedups", ("kind", "unit", "metric", "direction", "system", "hardware")),
    Board("head_to_head", ("kind", "unit", "metric", "direction", "system", "baseline")),
    Board("scale", ("kind", "metric", "unit", "hardware")),
)


def _read_jsonl(path: str | Path) -> list[dict]:
    p = Path(path)
    if not p.exists():
        raise InputError(str(p), "file not found; pass the path of a JSONL file")
    out = []
    with p.open(encoding="utf-8") as fh:
        for i, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise InputError(str(p), f"invalid JSON ({exc.msg}); fix or remove the line", line=i) from exc
    return out


def close(a: float | None, b: float | None, rel: float = 1e-3) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if a == b:
        return True
    return abs(a - b) <= rel * max(abs(a), abs(b))


_ART = regex.compile(r"^(?:the|a|an)\s+", regex.I)


def _norm_text(x: str | None) -> str | None:
    if x is None:
        return None
    return _ART.sub("", " ".join(x.split())).strip().lower()


def field_equal(name: str, gold: Any, pred: Any) -> bool:
    if name == "value_high":
        return close(gold, pred)
    if name == "baseline":
        if _norm_text(gold) == _norm_text(pred):
            return True
        cg, cp = canonical_baseline(gold or ""), canonical_baseline(pred or "")
        return cg is not None and cg == cp
    if name in ("system", "model"):
        return _norm_text(gold) == _norm_text(pred)
    return gold == pred


def match(gold: list[dict], pred: list[dict]) -> list[tuple[int, int]]:
    """One-to-one pairs (gold index, pred index)."""
    by_key: dict[tuple[str, str], list[int]] = {}
    for j, p in enumerate(pred):
        by_key.setdefault((p["paper_id"], p["sentence"]), []).append(j)
    used: set[int] = set()
    pairs = []
    # exact-mention matches first, then value-only matches
    for pass_ in (0, 1):
        for i, g in enumerate(gold):
            if any(pi == i for pi, _ in pairs):
                continue
            for j in by_key.get((g["paper_id"], g["sentence"]), []):
                if j in used or not close(g["value"], pred[j]["value"]):
                    continue
                if pass_ == 0 and pred[j]["mention"] != g["mention"]:
                    continue
                pairs.append((i, j))
                used.add(j)
                break
    return sorted(pairs)


def _prf(tp: int, n_pred: int, n_gold: int) -> dict:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f, "tp": tp, "pred": n_pred, "gold": n_gold}


@dataclass
class EvalReport:
    detection: dict[str, dict]
    fields: dict[str, dict]
    missed: list[dict] = field(default_factory=list)
    spurious: list[dict] = field(default_factory=list)
    mismatches: list[dict] = field(default_factory=list)
    papers: int = 0
    rows: dict[str, dict] = field(default_factory=dict)
    row_errors: list[dict] = field(default_factory=list)

    @property
    def row_f1(self) -> float:
        """Mean of the boards' row F1s: the share of leaderboard rows a reader sees right."""
        return sum(d["f1"] for d in self.rows.values()) / len(self.rows) if self.rows else 0.0

    @property
    def f1(self) -> float:
        return self.detection["overall"]["f1"]

    def to_dict(self) -> dict:
        return {"papers": self.papers, "detection": self.detection, "fields": self.fields,
                "rows": self.rows, "row_f1": self.row_f1, "row_errors": self.row_errors,
                "missed": self.missed, "spurious": self.spurious, "mismatches": self.mismatches}

    def render(self, console) -> None:
        from rich.table import Table
        t = Table(title=f"claims eval ({self.papers} papers)")
        for col in ("subset", "precision", "recall", "F1", "tp", "pred", "gold"):
            t.add_column(col, justify="right" if col != "subset" else "left")
        for k, d in self.detection.items():
            t.add_row(k, f"{d['precision']:.3f}", f"{d['recall']:.3f}", f"{d['f1']:.3f}",
                      str(d["tp"]), str(d["pred"]), str(d["gold"]))
        console.print(t)
        f = Table(title="field accuracy over matched pairs")
        for col in ("field", "accuracy", "correct", "scored"):
            f.add_column(col, justify="right" if col != "field" else "left")
        for k, d in self.fields.items():
            f.add_row(k + (" (where gold has one)" if k in ONLY_WHERE_GOLD else ""),
                      f"{d['accuracy']:.3f}", str(d["correct"]), str(d["n"]))
        console.print(f)
        r = Table(title=f"leaderboard rows right in every key field (mean F1 {self.row_f1:.3f})")
        for col in ("board", "precision", "recall", "F1", "right gold", "gold rows", "right pred", "pred rows"):
            r.add_column(col, justify="right" if col != "board" else "left")
        for k, d in self.rows.items():
            r.add_row(k, f"{d['precision']:.3f}", f"{d['recall']:.3f}", f"{d['f1']:.3f}",
                      str(d["right_gold"]), str(d["gold"]), str(d["right_pred"]), str(d["pred"]))
        console.print(r)
        console.print(f"[bold]missed ({len(self.missed)})[/bold]")
        for m in self.missed:
            console.print(f"  {m['paper_id']}  {m['mention']!r}  ({m['kind']}, {m['unit']})  "
                          f"[dim]{m['sentence'][:120]}[/dim]", markup=True, highlight=False)
        console.print(f"[bold]spurious ({len(self.spurious)})[/bold]")
        for m in self.spurious:
            console.print(f"  {m['paper_id']}  {m['mention']!r}  ({m['kind']}, {m['unit']}, {m['rule_id']})  "
                          f"[dim]{m['sentence'][:120]}[/dim]", markup=True, highlight=False)


def score(gold: list[dict], pred: list[dict], papers: int = 0) -> EvalReport:
    pairs = match(gold, pred)
    det = {}
    det["overall"] = _prf(len(pairs), len(pred), len(gold))
    for name, kinds in (("result", RESULT_KINDS), ("scale", ("scale",))):
        tp = sum(1 for i, j in pairs if gold[i]["kind"] in kinds and pred[j]["kind"] in kinds)
        det[name] = _prf(tp, sum(1 for p in pred if p["kind"] in kinds),
                         sum(1 for g in gold if g["kind"] in kinds))
    fields: dict[str, dict] = {}
    mismatches = []
    for name in FIELDS:
        n = ok = 0
        for i, j in pairs:
            gv, pv = gold[i].get(name), pred[j].get(name)
            if name in ONLY_WHERE_GOLD and gv is None:
                continue
            n += 1
            if field_equal(name, gv, pv):
                ok += 1
            else:
                mismatches.append({"field": name, "paper_id": gold[i]["paper_id"],
                                   "mention": gold[i]["mention"], "gold": gv, "pred": pv,
                                   "sentence": gold[i]["sentence"]})
        fields[name] = {"accuracy": ok / n if n else 1.0, "correct": ok, "n": n}
    mg = {i for i, _ in pairs}
    mp = {j for _, j in pairs}
    missed = [gold[i] for i in range(len(gold)) if i not in mg]
    spurious = [pred[j] for j in range(len(pred)) if j not in mp]
    rows, row_errors = score_rows(gold, pred, pairs)
    return EvalReport(det, fields, missed, spurious, mismatches, papers, rows, row_errors)


def score_rows(gold: list[dict], pred: list[dict], pairs: list[tuple[int, int]]) -> tuple[dict, list[dict]]:
    """Row precision/recall per board. A gold row is eligible by its gold fields, a predicted row by
    its predicted fields; a row is right when it is matched and every key field of the board agrees."""
    of_gold = dict(pairs)
    of_pred = {j: i for i, j in pairs}
    out: dict[str, dict] = {}
    errors: list[dict] = []

    def right(board: Board, i: int | None, j: int | None) -> list[str]:
        """The key fields that disagree (all of them when the row is unmatched)."""
        if i is None or j is None:
            return ["unmatched"]
        return [k for k in board.keys if not field_equal(k, gold[i].get(k), pred[j].get(k))]

    for board in BOARDS:
        g_rows = [i for i, g in enumerate(gold) if board.eligible(g)]
        p_rows = [j for j, p in enumerate(pred) if board.eligible(p)]
        right_gold = 0
        for i in g_rows:
            wrong = right(board, i, of_gold.get(i))
            if wrong:
                j = of_gold.get(i)
                errors.append({"board": board.name, "side": "gold", "fields": wrong,
                               "paper_id": gold[i]["paper_id"], "mention": gold[i]["mention"],
                               "gold": {k: gold[i].get(k) for k in board.keys},
                               "pred": None if j is None else {k: pred[j].get(k) for k in board.keys},
                               "sentence": gold[i]["sentence"]})
            else:
                right_gold += 1
        right_pred = 0
        for j in p_rows:
            wrong = right(board, of_pred.get(j), j)
            if not wrong:
                right_pred += 1
            elif of_pred.get(j) is None or not board.eligible(gold[of_pred[j]]):
                i = of_pred.get(j)
                errors.append({"board": board.name, "side": "pred", "fields": wrong,
                               "paper_id": pred[j]["paper_id"], "mention": pred[j]["mention"],
                               "gold": None if i is None else {k: gold[i].get(k) for k in board.keys},
                               "pred": {k: pred[j].get(k) for k in board.keys},
                               "sentence": pred[j]["sentence"]})
        p = right_pred / len(p_rows) if p_rows else 0.0
        r = right_gold / len(g_rows) if g_rows else 0.0
        out[board.name] = {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0,
                           "right_gold": right_gold, "gold": len(g_rows),
                           "right_pred": right_pred, "pred": len(p_rows)}
    return out, errors


def evaluate(gold_path: str | Path, papers_path: str | Path) -> EvalReport:
    """Run extraction over the papers and score it against the gold JSONL."""
    gold = _read_jsonl(gold_path)
    papers = _read_jsonl(papers_path)
    pred: list[dict] = []
    for p in papers:
        for c in extract(p["abstract"], title=p.get("title"), paper_id=p["paper_id"]):
            pred.append(c.model_dump())
    gold_ids = {p["paper_id"] for p in papers}
    gold = [g for g in gold if g["paper_id"] in gold_ids]
    return score(gold, pred, papers=len(papers))
