"""How figures are written in the scorecard and the report: the same in every language.

Units stay as they are (min, h, MW, KRW with T / bn / M), so a figure reads the same in the English
and the Korean report and can be compared across them.
"""

from __future__ import annotations

__all__ = ["gpu_h", "hours", "krw", "mw", "pct"]


def hours(x: float) -> str:
    """A duration given in hours: minutes below one hour, else hours with one decimal."""
    if x < 1:
        return f"{x * 60:.0f} min"
    return f"{x:.1f} h"


def pct(x: float) -> str:
    """A fraction as a percentage with one decimal: 0.953 -> '95.3%'."""
    return f"{x * 100:.1f}%"


def krw(x: float) -> str:
    """An amount of won, scaled to T (10^12), bn (10^9) or M (10^6) where it is that large."""
    for unit, div in (("T", 1e12), ("bn", 1e9), ("M", 1e6)):
        if abs(x) >= div:
            return f"{x / div:,.2f} {unit} KRW"
    return f"{x:,.0f} KRW"


def mw(x: float) -> str:
    return f"{x:,.1f} MW"


def gpu_h(x: float) -> str:
    return f"{x:,.0f} GPU-h"
