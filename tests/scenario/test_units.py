"""Quantities with units: a key's unit is in its name; a string with a unit of the same kind is
converted, one of another kind is refused with the unit the key expects."""

from __future__ import annotations

import pytest

from aigrid.scenario import ScenarioError, parse_scenario
from aigrid.scenario.units import CARBON, DURATION, MONEY, POWER, Dimension, parse_quantity
from tests.scenario.helpers import builtin_text, edit

TINY = builtin_text("tiny")


@pytest.mark.parametrize(
    ("text", "dimension", "unit", "want"),
    [
        ("41 MW", POWER, "MW", 41.0),
        ("41000 kW", POWER, "MW", 41.0),
        ("41,000 kW", POWER, "MW", 41.0),
        ("0.041 GW", POWER, "MW", 41.0),
        ("1000 W", POWER, "W", 1000.0),
        ("1.46e12 KRW", MONEY, "KRW", 1.46e12),
        ("1.46 T KRW", MONEY, "KRW", 1.46e12),
        ("19.8 bn KRW", MONEY, "KRW", 19.8e9),
        ("157.6 billion KRW", MONEY, "KRW", 157.6e9),
        ("90 min", DURATION, "h", 1.5),
        ("2 weeks", DURATION, "h", 336.0),
        ("3600 s", DURATION, "h", 1.0),
        ("0.4173 t/MWh", CARBON, "g/kWh", 417.3),
        ("200 kg/MWh", CARBON, "g/kWh", 200.0),
    ],
)
def test_quantities_convert_to_the_unit_of_the_key(
    text: str, dimension: Dimension, unit: str, want: float
) -> None:
    assert parse_quantity(text, dimension, unit) == pytest.approx(want)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("41 GPUs", "got '41 GPUs'"),
        ("5 kWh", "got '5 kWh'"),
        ("41 mw", "got '41 mw'"),
        ("41", "got the string '41' without a unit"),
        ("MW", "got 'MW'"),
        ("", "got ''"),
    ],
)
def test_quantities_of_another_kind_name_the_expected_unit(text: str, want: str) -> None:
    with pytest.raises(ValueError, match="expected a power in MW") as info:
        parse_quantity(text, POWER, "MW")
    assert str(info.value).endswith(want)
    assert "units W, kW, MW, GW" in str(info.value)


def test_a_scenario_takes_quantities_with_units() -> None:
    text = edit(TINY, "    grid_cap_mw: 0.6\n", '    grid_cap_mw: "600 kW"\n')
    text = edit(text, "    budget_krw: 2.0e9\n", "    budget_krw: 2 bn KRW\n")
    text = edit(
        text, "runtime: {median_h: 2, p90_h: 24,", "runtime: {median_h: 120 min, p90_h: 1 d,"
    )
    text = edit(text, "  g_per_kwh: 417.3", "  g_per_kwh: 0.4173 t/MWh")
    scenario = parse_scenario(text)
    assert scenario.fleet.sites["daejeon"].grid_cap_mw == pytest.approx(0.6)
    assert scenario.tenancy.programs["research"].budget_krw == 2e9
    assert scenario.demand[0].runtime.median_h == pytest.approx(2.0)
    assert scenario.demand[0].runtime.p90_h == pytest.approx(24.0)
    assert scenario.carbon.g_per_kwh == pytest.approx(417.3)


def test_yaml_1_2_floats_are_numbers() -> None:
    """Plain PyYAML reads `1e10` as a string; a budget written so is still a number."""
    text = edit(TINY, "    budget_krw: 1.0e10\n", "    budget_krw: 1e10\n")
    assert parse_scenario(text).tenancy.programs["acme"].budget_krw == 1e10


def test_booleans_are_not_numbers() -> None:
    text = edit(TINY, "    pue: 1.3\n", "    pue: true\n")
    with pytest.raises(ScenarioError, match=r"sites\[0\]\.pue: expected a number, got true"):
        parse_scenario(text)
