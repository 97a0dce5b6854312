"""The public surface of `aigrid.scenario`."""

from __future__ import annotations

import aigrid.scenario


def test_all_is_curated_and_importable() -> None:
    assert aigrid.scenario.__all__ == sorted(aigrid.scenario.__all__)
    for name in aigrid.scenario.__all__:
        assert hasattr(aigrid.scenario, name), name
    assert {"load_scenario", "builtin_scenarios", "ScenarioError"} <= set(aigrid.scenario.__all__)
