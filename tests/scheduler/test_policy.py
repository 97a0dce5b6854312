"""Policies by name: the preemption options, the grace period and the placement strategy."""

from __future__ import annotations

import pytest

from aigrid.scheduler import Policy


@pytest.mark.parametrize(
    ("text", "priority", "grace", "label"),
    [
        ("fair+priority", True, 0.0, "fair+priority"),
        ("fair+grace=5m+priority", True, 300.0, "fair+priority+grace=5m"),
        ("fair+reclaim+grace=90", False, 90.0, "fair+reclaim+grace=90s"),
    ],
)
def test_preemption_options(text: str, priority: bool, grace: float, label: str) -> None:
    policy = Policy.parse(text)
    assert (policy.priority_preemption, policy.grace_s, policy.label) == (priority, grace, label)
    assert Policy.parse(label) == policy


@pytest.mark.parametrize(
    "text", ["fifo+priority", "fifo+grace=5m", "fair+grace", "fair+grace=", "fair+grace=soon"]
)
def test_preemption_options_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"\+grace=DURATION"):
        Policy.parse(text)


@pytest.mark.parametrize(
    ("text", "placement", "label"),
    [
        ("fair", "best-fit", "fair"),
        ("fair+place=best-fit", "best-fit", "fair"),
        ("fifo+place=spread", "spread", "fifo+place=spread"),
        ("fair+place=frag-aware+reclaim", "frag-aware", "fair+reclaim+place=frag-aware"),
        ("fair+place=random", "random", "fair+place=random"),
        ("fifo+seed=7+place=random", "random", "fifo+place=random+seed=7"),
    ],
)
def test_placement_strategies(text: str, placement: str, label: str) -> None:
    policy = Policy.parse(text)
    assert (policy.placement, policy.label) == (placement, label)
    assert Policy.parse(label) == policy


def test_random_placement_takes_a_seed_or_leaves_it_to_the_run() -> None:
    assert Policy.parse("fair+place=random").seed is None
    assert Policy.parse("fair+place=random+seed=42").seed == 42


@pytest.mark.parametrize(
    "text",
    [
        "fair+place=tetris",
        "fair+place=",
        "fair+place",
        "fair+seed=3",
        "fair+place=pack+seed=3",
        "fair+place=random+seed=-1",
        "fair+place=random+seed=x",
    ],
)
def test_unknown_placement_strategies_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"place=best-fit\|pack\|spread\|frag-aware\|random"):
        Policy.parse(text)
