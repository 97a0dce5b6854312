"""A job's place in the order, factor by factor: the analogue of Slurm's `sprio`.

`explain_order(state, job, policy, now)` returns an `OrderBreakdown`: the factors of the order
key in the order they are compared, each with its value in the key and in words, the weights
that went into them, and the key itself (the total). It is computed by the same functions the
cycle orders by, so the total is the key the job is served by; the terms of each share show
where it came from, model by model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from aigrid.model import Job
from aigrid.scheduler.policy import (
    FairOrder,
    OrderKey,
    Policy,
    PolicyName,
    check_history,
    fifo_key,
    past_use,
)
from aigrid.scheduler.state import ClusterState


@dataclass(frozen=True, slots=True)
class ShareTerm:
    """One GPU model's part of a dominant share: (decayed + held) / (weight x nominal)."""

    gpu_model: str
    decayed_gpus: float
    """The decayed mean GPUs held up to now (0 without a usage history)."""
    held_gpus: int
    nominal_gpus: int
    share: float


@dataclass(frozen=True, slots=True)
class ShareBreakdown:
    """A dominant share: the largest of its terms (infinite with no nominal quota at all)."""

    scope: str
    """The program, or the cohort."""
    weight: float
    terms: tuple[ShareTerm, ...]
    share: float

    @property
    def dominant(self) -> str | None:
        """The GPU model whose term is the share."""
        best = max(self.terms, key=lambda t: t.share, default=None)
        return None if best is None else best.gpu_model


@dataclass(frozen=True, slots=True)
class Factor:
    """One criterion of the order key: its name, its value in the key, and in words."""

    name: str
    value: float
    detail: str


@dataclass(frozen=True, slots=True)
class OrderBreakdown:
    """Why a job is where it is in the order, at one instant (Slurm's `sprio`)."""

    policy: str
    job_id: int
    factors: tuple[Factor, ...]
    """In the order they are compared: the first that differs decides."""
    weight: float
    """The program's weight in fair sharing (its shares are divided by it)."""
    half_life_s: float
    """The half-life of the usage history (0: none is kept)."""
    program: ShareBreakdown | None
    cohort: ShareBreakdown | None
    """The shares of the program and of its cohort (None under fifo, or for a program in no
    cohort)."""
    cohorts: tuple[ShareBreakdown, ...] = ()
    """The shares of every cohort above the program, from the top of its tree down (the last
    is `cohort`)."""

    @property
    def key(self) -> OrderKey:
        """The total: the key the job is ordered by (lower goes first)."""
        return tuple(f.value for f in self.factors)


def explain_order(state: ClusterState, job: Job, policy: Policy, now: float) -> OrderBreakdown:
    """The order key of `job` at `now` under `policy`, as its factors (see the module)."""
    check_history(policy, state)
    programs = state.tenancy.programs
    p = programs[job.program]
    if policy.name is PolicyName.FIFO:
        key = fifo_key(state, job, now)
        return OrderBreakdown(
            policy.label,
            job.id,
            (_submitted(key[0]), Factor("job id", key[1], "the earlier job first")),
            p.weight,
            0.0,
            None,
            None,
        )
    borrows, rank, *shares, submit, job_id = FairOrder(state, now).key(job)
    program = _share(
        state,
        job.program,
        p.quota,
        state.usage[job.program],
        p.weight,
        now,
        cohort=False,
    )
    tree = state.tree
    cohorts = tuple(
        _share(
            state,
            tree.nodes[i].name,
            tree.nominal_total[i],
            tree.total[i],
            tree.nodes[i].weight,
            now,
            cohort=True,
        )
        for i in reversed(tree.paths[job.program][1:])
    )
    levels: list[Factor] = []
    for level, value in enumerate(shares[:-1]):
        name = "cohort share" if len(shares) == 2 else f"cohort share, level {level + 1}"
        detail = (
            f"cohort {cohorts[level].scope}: {_words(cohorts[level])}"
            if level < len(cohorts)
            else "in no cohort at this level: its program's share"
        )
        levels.append(Factor(name, value, detail))
    factors = (
        Factor(
            "quota",
            borrows,
            "beyond its program's quota: after jobs within theirs"
            if borrows
            else "within its program's quota",
        ),
        # 0 - rank, not -rank, which reads "-0" when the rank is a float zero.
        Factor("priority class", rank, f"{job.priority_class.value} (priority {0 - rank:g})"),
        *levels,
        Factor("program share", shares[-1], f"program {job.program}: {_words(program)}"),
        _submitted(submit),
        Factor("job id", job_id, "the earlier job first"),
    )
    return OrderBreakdown(
        policy.label,
        job.id,
        factors,
        p.weight,
        policy.half_life_s,
        program,
        cohorts[-1] if cohorts else None,
        cohorts,
    )


def _submitted(submit_s: float) -> Factor:
    return Factor("submitted", submit_s, "the earlier submission first")


def _share(
    state: ClusterState,
    scope: str,
    nominal: Mapping[str, int],
    held: Mapping[str, int],
    weight: float,
    now: float,
    *,
    cohort: bool,
) -> ShareBreakdown:
    past = past_use(state, scope, nominal, now, cohort=cohort)
    terms = tuple(
        ShareTerm(
            model,
            past.get(model, 0.0),
            held.get(model, 0),
            q,
            (held.get(model, 0) + past.get(model, 0.0)) / (weight * q),
        )
        for model, q in sorted(nominal.items())
        if q > 0
    )
    share = max((t.share for t in terms), default=math.inf)
    return ShareBreakdown(scope, weight, terms, share)


def _words(share: ShareBreakdown | None) -> str:
    if share is None or not share.terms:
        return "no nominal quota (an infinite share: it only borrows)"
    t = next(t for t in share.terms if t.gpu_model == share.dominant)
    return (
        f"{share.share:.4g} = ({t.decayed_gpus:.4g} decayed + {t.held_gpus} held)"
        f" / ({share.weight:g} x {t.nominal_gpus} {t.gpu_model})"
    )
