"""claims: numeric metric claims from ML and systems paper abstracts, as leaderboards.

Python API (the same code path as the command line)::

    import claims
    claims.extract("NanoFlow achieves 1.91x throughput compared to vLLM.")   # list[Claim]
    claims.load("db/claims.duckdb")                                        # pandas DataFrame
"""
from __future__ import annotations

__version__ = "0.1.0"

from .extract import extract  # noqa: E402  (rebinds the name `claims.extract` to the function)
from .models import Claim  # noqa: E402

__all__ = ["extract", "load", "Claim", "__version__"]


def load(db_path="db/claims.duckdb"):
    """Claims joined with their papers and sentences as a pandas DataFrame."""
    from .store import load as _load

    return _load(db_path)
