"""Fixtures of the backend tests: a real Ray head node and a real Slurm cluster, each started
once per session."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.backends.ray_cluster import RayCluster, RayMissingError, ray_cluster
from tests.backends.slurm_cluster import SlurmCluster, SlurmMissingError, slurm_cluster


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


@pytest.fixture(scope="session")
def slurm() -> Iterator[SlurmCluster]:
    """A private Slurm cluster of 4 nodes with 8 pretend GPUs each, on loopback; a test fails
    (never skips) without Slurm. Tests that stop slurmctld start it again before they end."""
    stack = contextlib.ExitStack()
    root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="aigrid-slurm-")))
    try:
        cluster = stack.enter_context(slurm_cluster(root))
    except SlurmMissingError as exc:
        stack.close()
        pytest.fail(str(exc))
    with stack:
        yield cluster
