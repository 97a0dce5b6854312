"""Which grant pays for a job: the admission check of programs that fund orgs through grants.

A job whose program pays through grants (`Job.account` set) starts only if one grant of its org
under that program is valid at the start, allows the pool's GPU model and zone, and has credit
left for the job's walltime: in KRW at the job's price, or in GPU-seconds for a grant given in
GPU-hours. That much is held (on top of the program's own budget hold) until the job ends.
Among the grants that could pay, the one that expires first does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from aigrid.model import Job, Zone
from aigrid.scheduler.queues import WakeToken
from aigrid.scheduler.state import ClusterState


class GrantPick(NamedTuple):
    grant: str
    amount: float
    """What to hold on it, in its unit (whole KRW, or whole GPU-seconds)."""


def grant_token(program: str, org: str) -> WakeToken:
    """The wake token of queues waiting for credit of `org` under `program`."""
    return ("grant", f"{program}/{org}")


def pick_grant(
    state: ClusterState,
    job: Job,
    model: str,
    zone: Zone,
    hold_krw: float,
    gpu_s: int,
    now: float,
    held: Mapping[str, float],
) -> GrantPick | None:
    """The grant that pays for `job` on GPUs of `model` in `zone` at `now`, or None: one that
    can hold `hold_krw` (a KRW grant) or `gpu_s` GPU-seconds (a GPU-hour grant).

    `held` is credit already promised in this cycle, by grant id."""
    assert job.account is not None
    for g in state.grants_of.get((job.program, job.account), ()):
        if not g.valid_at(now):
            continue
        if g.gpu_models and model not in g.gpu_models:
            continue
        if g.zones and zone not in g.zones:
            continue
        need = gpu_s if g.in_gpu_hours else hold_krw
        if need <= state.grant_available[g.id] - held.get(g.id, 0.0):
            return GrantPick(g.id, need)
    return None
