"""Scenario files: their schema, validation with clear errors, and the built-in scenarios.

`load_scenario("korea-2026")` or `load_scenario("path/to/file.yaml")` gives an
`aigrid.model.Scenario`, or raises `ScenarioError` with one line that says what is wrong where.
"""

from aigrid.scenario.errors import Problem, ScenarioError, format_loc
from aigrid.scenario.load import (
    builtin_scenarios,
    load_scenario,
    load_spec,
    parse_scenario,
    parse_spec,
)
from aigrid.scenario.schema import ScenarioSpec

__all__ = [
    "Problem",
    "ScenarioError",
    "ScenarioSpec",
    "builtin_scenarios",
    "format_loc",
    "load_scenario",
    "load_spec",
    "parse_scenario",
    "parse_spec",
]
