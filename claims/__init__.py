"""claims: numeric metric claims from ML and systems paper abstracts, as leaderboards."""
from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["extract", "load", "Claim", "__version__"]


def extract(text: str, title: str | None = None, paper_id: str | None = None):
    """Extract claims from one abstract (or sentence). Same code path as `claims extract`/`build`."""
    from .extract import extract as _extract

    return _extract(text, title=title, paper_id=paper_id)


def load(db_path="db/claims.duckdb"):
    """Claims joined with their papers as a pandas DataFrame."""
    from .store import load as _load

    return _load(db_path)


def __getattr__(name):
    if name == "Claim":
        from .models import Claim

        return Claim
    raise AttributeError(name)
