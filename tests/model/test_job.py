"""The job state machine: every edge it has, and none it does not."""

from __future__ import annotations

import itertools

import pytest

from aigrid.model import TRANSITIONS, InvalidTransitionError, JobState, Placement
from tests.builders import job

ALLOWED = {(src, dst) for src, dsts in TRANSITIONS.items() for dst in dsts}


@pytest.mark.parametrize(("src", "dst"), list(itertools.product(JobState, JobState)))
def test_only_declared_transitions_are_allowed(src: JobState, dst: JobState) -> None:
    j = job(1)
    j.state = src
    if (src, dst) in ALLOWED:
        j.transition(dst, 10.0)
        assert j.state is dst
    else:
        with pytest.raises(InvalidTransitionError):
            j.transition(dst, 10.0)
        assert j.state is src


def test_terminal_states_have_no_way_out() -> None:
    for state in JobState:
        assert state.terminal == (not TRANSITIONS[state])


def test_a_requeued_job_keeps_its_first_start_and_loses_its_placement() -> None:
    j = job(4, submit=5.0)
    j.transition(JobState.RUNNING, 10.0)
    j.placement = Placement(0, (1,), (4,))
    j.transition(JobState.PENDING, 20.0)  # preempted or its node failed
    assert j.placement is None
    j.transition(JobState.RUNNING, 30.0)
    assert (j.first_start_s, j.start_s, j.wait_s) == (10.0, 30.0, 5.0)
    j.transition(JobState.COMPLETED, 40.0)
    assert j.end_s == 40.0
