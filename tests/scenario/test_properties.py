"""Any edit of a valid scenario file gives either a valid scenario or one `ScenarioError` line:
never another exception, never a traceback."""

from __future__ import annotations

import copy
import math
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aigrid.model import Scenario
from aigrid.scenario import ScenarioError, parse_scenario
from aigrid.scenario.summary import summarize
from tests.scenario.helpers import builtin_text

TINY_TEXT = builtin_text("tiny")
TINY: dict[str, Any] = yaml.safe_load(TINY_TEXT)

Path = tuple[str | int, ...]


def _paths(value: Any, at: Path = ()) -> list[Path]:
    """Every place in a document, the root included."""
    out = [at]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*at, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += _paths(item, (*at, i))
    return out


PATHS = _paths(TINY)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", "B200", "gov", "kepco", "41 MW", "41 GPUs", "1.5 T KRW", "22-08", "x"]),
    st.text(max_size=8),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def _outcome(text: str) -> Scenario | ScenarioError:
    try:
        scenario = parse_scenario(text, "mutant.yaml")
    except ScenarioError as exc:
        assert "\n" not in str(exc)
        assert str(exc).startswith("mutant.yaml")
        return exc
    summarize(scenario)  # what `aigrid scenario show` computes works on anything that loads
    return scenario


@st.composite
def mutants(draw: st.DrawFn) -> dict[str, Any]:
    doc = copy.deepcopy(TINY)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(PATHS))
        if not path:
            continue
        parent: Any = doc
        try:
            for part in path[:-1]:
                parent = parent[part]
            last = path[-1]
            action = draw(st.sampled_from(["replace", "delete", "add"]))
            if action == "replace":
                parent[last] = draw(values)
            elif action == "delete":
                del parent[last]
            elif isinstance(parent, dict):
                parent[draw(st.text(max_size=6))] = draw(values)
            elif isinstance(parent, list):
                parent.insert(int(last), draw(values))
        except (KeyError, IndexError, TypeError, ValueError):
            continue  # an earlier edit removed or reshaped this place
    return doc


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutants())
def test_edited_documents_load_or_fail_with_one_line(doc: dict[str, Any]) -> None:
    _outcome(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=0, max_value=len(TINY_TEXT)),
    st.integers(min_value=0, max_value=20),
    st.text(alphabet=" \n\t:-[]{},#&*!|>'\"0123456789.eabcxyz", max_size=8),
)
def test_edited_text_loads_or_fails_with_one_line(start: int, cut: int, insert: str) -> None:
    _outcome(TINY_TEXT[:start] + insert + TINY_TEXT[start + cut :])


def test_unchanged_document_round_trips() -> None:
    scenario = _outcome(yaml.safe_dump(TINY, sort_keys=False))
    assert isinstance(scenario, Scenario)
    assert scenario.fleet.gpus == 448
    assert math.isclose(scenario.fleet.sites["daejeon"].grid_cap_mw, 0.6)
