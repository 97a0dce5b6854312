"""Reading YAML with line numbers: places in the document map to the lines a user sees."""

from __future__ import annotations

import pytest

from aigrid.scenario import format_loc, parse_scenario
from aigrid.scenario.source import YamlSyntaxError, parse_yaml
from tests.scenario.helpers import builtin_text

DOC = """\
# a comment
a: 1
b:
  - x: 1
    y: [10, 20]
  - &anchor
    x: 2
c: *anchor
d: 1e3
e: 2026-07-06
"""


@pytest.mark.parametrize(
    ("loc", "line"),
    [
        ((), 2),
        (("a",), 2),
        (("b",), 3),
        (("b", 0), 4),
        (("b", 0, "y", 1), 5),
        (("b", 1, "x"), 7),
        (("c", "x"), 7),  # through an alias, to where the anchor's value is written
        (("b", 0, "missing"), 4),  # a missing key: its mapping
        (("b", 9), 3),  # an index past the end: its list
    ],
)
def test_line_of_a_place(loc: tuple[str | int, ...], line: int) -> None:
    document, problems = parse_yaml(DOC)
    assert problems == []
    assert document.line_of(loc) == line


def test_values_follow_yaml_1_2_numbers_and_dates() -> None:
    document, _ = parse_yaml(DOC)
    assert document.data["d"] == 1000.0
    assert str(document.data["e"]) == "2026-07-06"


def test_duplicate_keys_are_problems_with_both_lines() -> None:
    _, problems = parse_yaml("a: 1\nb:\n  c: 1\n  c: 2\n")
    assert [(format_loc(p.loc), p.message) for p in problems] == [
        ("b.c", "duplicate key 'c' (first at line 3, again at line 4)")
    ]


def test_merge_keys_are_not_duplicates() -> None:
    _, problems = parse_yaml("base: &b {x: 1}\nmore:\n  <<: *b\n  x: 2\n")
    assert problems == []


def test_syntax_error_has_its_line() -> None:
    with pytest.raises(YamlSyntaxError) as info:
        parse_yaml("a: 1\nb: [1, 2\nc: 3\n")
    assert info.value.line is not None
    assert str(info.value).startswith("invalid YAML:")


@pytest.mark.parametrize(
    ("loc", "text"),
    [
        (("sites", 3, "pools", 0, "gpu_model"), "sites[3].pools[0].gpu_model"),
        (("gpu_models", "RTX-PRO-6000", "busy_w"), "gpu_models.RTX-PRO-6000.busy_w"),
        (("owners", "a b"), "owners['a b']"),
        ((), ""),
    ],
)
def test_format_loc(loc: tuple[str | int, ...], text: str) -> None:
    assert format_loc(loc) == text


def test_anchors_and_aliases_share_values_between_tariffs() -> None:
    scenario = parse_scenario(builtin_text("korea-2026"))
    base, capital = scenario.tariffs["kepco-base"], scenario.tariffs["kepco-capital"]
    assert base.energy_krw_per_kwh == capital.energy_krw_per_kwh
    assert capital.adders_krw_per_kwh["regional"] - base.adders_krw_per_kwh["regional"] == 12
    assert base.holidays and base.period_by_weekday[6]
