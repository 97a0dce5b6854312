"""Policies by name: the preemption options and the grace period."""

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
