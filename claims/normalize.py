"""Unit normalization with pint, using only the definitions in ``rules/units.pint``.

``to_base(value, unit)`` returns ``(value_in_base_units, base_unit_string)``. The registry is
built empty (no pint defaults), so ``B`` is a byte, ``min`` a minute, and ``x`` / ``%`` / ``pp``
are separate dimensions that never convert through physical units. ``to_base`` is idempotent:
``to_base(*to_base(v, u)) == to_base(v, u)``. Results are cached per unit (the hot path never
calls pint twice for the same unit).
"""
from __future__ import annotations

import functools
import sys
from typing import TYPE_CHECKING

from .errors import RuleError
from .rules import get_rules

if TYPE_CHECKING:  # pint is imported on first use: publish, serve and query never pay for it
    import pint

# spec unit strings that pint spells differently
_ALIASES = {"dimensionless": "dimensionless", "%": "percent", "us": "microsecond",
            "tokens/s": "tokens / second", "requests/s": "requests / second",
            "samples/s": "samples / second", "GB/s": "GB / second"}


def _import_pint():
    """pint, without its optional numpy and dask support: pint.compat imports both when they are
    installed (0.2-0.3 s, more than a whole bundled-corpus extraction), and a registry of scalar
    quantities uses neither. Modules already imported are left alone; nothing stays hidden."""
    hidden = [m for m in ("numpy", "dask") if m not in sys.modules]
    for m in hidden:
        sys.modules[m] = None          # find_spec() says "not installed", import raises ImportError
    try:
        import pint
    finally:
        for m in hidden:
            if sys.modules.get(m, 0) is None:
                del sys.modules[m]
    return pint


@functools.lru_cache(maxsize=2)
def registry(version: str | None = None) -> "pint.UnitRegistry":
    rules = get_rules()
    pint = _import_pint()

    ureg = pint.UnitRegistry(None, autoconvert_offset_to_baseunit=False)
    try:
        ureg.load_definitions(rules.pint_definitions.splitlines())
    except Exception as exc:  # pint raises several error types for bad definitions
        raise RuleError([f"units.pint: {exc}; fix the definition line"]) from exc
    return ureg


@functools.lru_cache(maxsize=1024)
def _factor(unit: str) -> tuple[float, str]:
    ureg = registry(get_rules().version)
    name = _ALIASES.get(unit, unit)
    try:
        q = ureg.Quantity(1.0, name).to_base_units()
    except Exception:
        return 1.0, unit          # unknown unit: keep it as is (recorded by the caller)
    base = f"{q.units:~}" or "dimensionless"
    base = {"percent": "%"}.get(base, base)
    return float(q.magnitude), base


def to_base(value: float, unit: str) -> tuple[float, str]:
    """Value and unit in pint base units of the rules' registry."""
    f, base = _factor(unit)
    return value * f, base
