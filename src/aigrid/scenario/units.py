"""Quantities with units in scenario files.

A key carries its unit in its name (`grid_cap_mw`, `budget_krw`, `median_h`) and takes a plain
number in that unit. It also takes a string with a number and a unit of the same kind, which is
converted: `"41000 kW"` for a `_mw` key is 41.0, `"1.46 T KRW"` for a `_krw` key is 1.46e12. A
string whose unit does not fit the key (`"41 GPUs"` for a `_mw` key) is an error that names the
unit the key expects.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BeforeValidator


@dataclass(frozen=True, slots=True)
class Dimension:
    """A kind of quantity and the units it may be written in, each with its size in one base
    unit of the dimension."""

    name: str
    units: Mapping[str, float]
    shown: tuple[str, ...]
    """The units an error message lists."""

    def factor(self, unit: str) -> float | None:
        """The size of `unit` in the base unit, or None if `unit` is not of this kind."""
        return self.units.get(unit)


_SCALES = {
    "": 1.0,
    "k ": 1e3,
    "thousand ": 1e3,
    "M ": 1e6,
    "million ": 1e6,
    "bn ": 1e9,
    "B ": 1e9,
    "billion ": 1e9,
    "T ": 1e12,
    "tn ": 1e12,
    "trillion ": 1e12,
}


def _money(unit: str) -> dict[str, float]:
    """An amount in KRW with the scale words a budget line uses: `1.46 T KRW`, `19.8 bn KRW`."""
    return {f"{scale}{unit}": size for scale, size in _SCALES.items()}


POWER = Dimension("power", {"W": 1.0, "kW": 1e3, "MW": 1e6, "GW": 1e9}, ("W", "kW", "MW", "GW"))
MEMORY = Dimension("memory size", {"MB": 1e-3, "GB": 1.0, "TB": 1e3}, ("MB", "GB", "TB"))
MONEY = Dimension("amount of money", _money("KRW"), ("KRW", "k KRW", "M KRW", "bn KRW", "T KRW"))
GPU_HOUR_PRICE = Dimension(
    "price per GPU-hour",
    {**_money("KRW/GPU-h"), **_money("KRW/GPU-hour"), **_money("KRW/GPUh")},
    ("KRW/GPU-h", "k KRW/GPU-h"),
)
ENERGY_PRICE = Dimension(
    "price of energy",
    {"KRW/Wh": 1e3, "KRW/kWh": 1.0, "KRW/MWh": 1e-3},
    ("KRW/kWh", "KRW/MWh"),
)
DEMAND_PRICE = Dimension(
    "demand charge",
    {"KRW/kW-month": 1.0, "KRW/kW/month": 1.0, "KRW/MW-month": 1e-3},
    ("KRW/kW-month", "KRW/MW-month"),
)
CARBON = Dimension(
    "carbon intensity",
    {
        "g/kWh": 1.0,
        "gCO2/kWh": 1.0,
        "gCO2e/kWh": 1.0,
        "kg/MWh": 1.0,
        "kg/kWh": 1e3,
        "t/MWh": 1e3,
        "tCO2/MWh": 1e3,
        "tCO2e/MWh": 1e3,
    },
    ("g/kWh", "kg/MWh", "t/MWh"),
)
DURATION = Dimension(
    "duration",
    {
        "s": 1 / 3600,
        "min": 1 / 60,
        "h": 1.0,
        "hour": 1.0,
        "hours": 1.0,
        "d": 24.0,
        "day": 24.0,
        "days": 24.0,
        "week": 168.0,
        "weeks": 168.0,
    },
    ("s", "min", "h", "d", "week"),
)

_NUMBER_AND_UNIT = re.compile(
    r"^\s*(?P<number>[-+]?(?:\d[\d,_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(?P<unit>\S.*?)?\s*$"
)


def parse_quantity(value: str, dimension: Dimension, unit: str) -> float:
    """The number in `unit` that the string `value` (a number and a unit) stands for.

    Raises ValueError, with a message naming the expected unit, when `value` has no number, no
    unit, or a unit of another kind.
    """
    expected = _expected(dimension, unit)
    match = _NUMBER_AND_UNIT.match(value)
    if match is None:
        raise ValueError(f"{expected}; got {value!r}")
    number_text, unit_text = match.group("number"), match.group("unit")
    if unit_text is None:
        raise ValueError(f"{expected}; got the string {value!r} without a unit")
    factor = dimension.factor(unit_text)
    target = dimension.factor(unit)
    if factor is None or target is None:
        raise ValueError(f"{expected}; got {value!r}")
    return float(number_text.replace(",", "").replace("_", "")) * factor / target


def _expected(dimension: Dimension, unit: str) -> str:
    """The words that say what a key of `dimension` in `unit` takes."""
    article = "an" if dimension.name[0] in "aeiou" else "a"
    return (
        f"expected {article} {dimension.name} in {unit}: a number, or a string with one of "
        f"the units {', '.join(dimension.shown)}"
    )


def _in(dimension: Dimension, unit: str) -> BeforeValidator:
    """A validator that turns a string with a unit of `dimension` into a number in `unit`."""
    if dimension.factor(unit) is None:
        raise ValueError(f"{unit!r} is not a unit of {dimension.name}")

    def convert(value: Any) -> Any:
        if isinstance(value, str):
            return parse_quantity(value, dimension, unit)
        return value

    return BeforeValidator(convert)


MW = Annotated[float, _in(POWER, "MW")]
Watts = Annotated[float, _in(POWER, "W")]
GB = Annotated[float, _in(MEMORY, "GB")]
KRW = Annotated[float, _in(MONEY, "KRW")]
KRWPerGpuHour = Annotated[float, _in(GPU_HOUR_PRICE, "KRW/GPU-h")]
KRWPerKWh = Annotated[float, _in(ENERGY_PRICE, "KRW/kWh")]
KRWPerKWMonth = Annotated[float, _in(DEMAND_PRICE, "KRW/kW-month")]
GramsPerKWh = Annotated[float, _in(CARBON, "g/kWh")]
Hours = Annotated[float, _in(DURATION, "h")]
