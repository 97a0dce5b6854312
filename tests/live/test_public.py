"""The curated public surfaces of the live packages: `__all__` sorted and importable."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize(
    "name", ["aigrid.backends", "aigrid.live.store", "aigrid.live.service", "aigrid.live.api"]
)
def test_all_is_curated_and_importable(name: str) -> None:
    module = importlib.import_module(name)
    names = module.__all__
    assert names == sorted(names)
    for n in names:
        assert hasattr(module, n), n
