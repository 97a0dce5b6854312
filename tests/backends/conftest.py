"""Fixtures of the backend tests: a real Ray head node, started once per session."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from tests.backends.ray_cluster import RayCluster, RayMissingError, ray_cluster


@pytest.fixture(scope="session")
def ray_head() -> Iterator[RayCluster]:
    """A private Ray cluster with 8 pretend GPUs; a test fails (never skips) without Ray."""
    stack = contextlib.ExitStack()
    try:
        cluster = stack.enter_context(ray_cluster())
    except RayMissingError as exc:
        pytest.fail(str(exc))
    with stack:
        yield cluster
