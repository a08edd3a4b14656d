"""claims: numeric metric claims from ML and systems paper abstracts, as leaderboards.

Python API (the same code path as the command line)::

    import claims
    claims.extract("NanoFlow achieves 1.91x throughput compared to vLLM.")   # list[Claim]
    claims.load("db/claims.duckdb")                                        # pandas DataFrame
"""
from __future__ import annotations

import sys
import types

__version__ = "0.1.0"

__all__ = ["extract", "load", "Claim", "__version__"]

# `claims.extract` and `claims.Claim` are loaded on first use: the extractor (rules, regexes,
# pint) and pydantic cost ~0.25 s at import, which `claims publish`, `claims query` and the
# build's main process (extraction runs in workers) do not need. `claims.extract` is the
# function, as it always was: the submodule `claims.extract` is in sys.modules, and the import
# system's "bind the submodule on its package" step is redirected to the function below.


def __getattr__(name: str):
    if name == "extract":
        from .extract import extract   # binds the name through _Package.__setattr__

        return extract
    if name == "Claim":
        from .models import Claim

        globals()["Claim"] = Claim
        return Claim
    raise AttributeError(f"module 'claims' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | {"extract", "Claim"})


class _Package(types.ModuleType):
    def __setattr__(self, name, value):
        if name == "extract" and isinstance(value, types.ModuleType):
            value = value.extract      # the submodule finished loading: expose its function
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def load(db_path="db/claims.duckdb"):
    """Claims joined with their papers and sentences as a pandas DataFrame."""
    from .store import load as _load

    return _load(db_path)
