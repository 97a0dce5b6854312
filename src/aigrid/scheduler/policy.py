"""Scheduling policies as values, and the orderings they impose on queues.

A policy is configuration, passed in per instance (two policies can run side by side in one
process). Orderings are pure functions of the state and a job.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from aigrid.model import Job
from aigrid.scheduler.state import ClusterState
from aigrid.scheduler.usage import DEFAULT_HALF_LIFE_S


class PolicyName(StrEnum):
    FIFO = "fifo"
    FAIR = "fair"


# The options of a policy name, as in `fair+reclaim+grace=5m`.
POWER_CAPPING: Final = "powercap"
DEFERRAL: Final = "defer"
RECLAIM: Final = "reclaim"
PRIORITY: Final = "priority"
FAIRSHARE: Final = "fairshare"
DECAY: Final = "decay"
GRACE: Final = "grace"
PLACE: Final = "place"
SEED: Final = "seed"
DEFAULT_MIN_POWER_FRACTION: Final = 0.6


@dataclass(frozen=True, slots=True)
class Policy:
    """`fifo`: one line in order of submission across all programs (the baseline).

    `fair` (the default): fair sharing (`FairOrder`): jobs within their program's nominal
    quota go before jobs that would borrow; then higher priority classes; then the cohort, and
    within it the program, with the lowest weighted dominant share (the largest fraction of
    any one GPU model's nominal quota used, counting a decayed usage history where
    `half_life_s` keeps one); then submission order.

    Both admit by the same rules (quota with borrowing in the cohort, budget, best-fit placement,
    site power cap). `fair` also reserves GPUs for a job that waits for capacity (EASY backfill,
    one reservation per pool): later jobs start on the reserved nodes only if they will end
    before the reserved job is due to start. `fifo` holds nothing back, so a large job can wait
    for ever behind a stream of small ones: it is the baseline.
    """

    name: PolicyName = PolicyName.FAIR
    backfill: bool = True
    min_power_fraction: float | None = None
    """Power capping: a job that would take its site over its grid cap may run with its GPUs
    held down to this fraction of full board power (slower; see `aigrid.energy.capping`)
    instead of waiting. None: no capping."""

    defer_batch: bool = False
    """Deferral: batch jobs start only in the light-load hours of their site's tariff."""
    reclaim: bool = False
    """Preemption to reclaim lent quota: a job within its program's nominal quota that waits
    because the cohort lent that quota out preempts borrowing jobs (preemptible ones that have
    run at least `min_runtime_s`), most recently started first."""
    min_runtime_s: float = 2 * 3600.0
    """A job is not preempted before it has run this long (scenario facts §5.2: Meta's clusters
    make jobs preemptible after 2 h)."""
    half_life_s: float = 0.0
    """Fair sharing counts each program's past use, decayed with this half-life (Slurm's
    `PriorityDecayHalfLife`), as well as what it holds now. 0: only what it holds now. The
    `ClusterState` keeps the history and must be made with the same half-life."""
    priority_preemption: bool = False
    """Preemption within a program by priority class: a job that waits for its program's (or
    its cohort's) quota preempts running jobs of its own program of a lower class (preemptible
    ones that have run at least `min_runtime_s`), the lowest class first, then the most recently
    started."""
    grace_s: float = 0.0
    """A preempted job runs on this long after it is told, to save its progress, before it is
    stopped (Slurm's `GraceTime`); it then resumes from where it was told. 0: stopped at once,
    resuming from its last periodic checkpoint."""
    fair_preemption: bool = False
    """Fair-sharing preemption across programs: a job that would borrow, and waits for its
    quota tree's quota, preempts borrowing jobs of other programs of the tree whose program
    would still hold at least the weighted share its own would (`aigrid.scheduler.preemption`)."""
    placement: str = "best-fit"
    """Where a job of one node goes within a pool: best-fit, pack, spread, frag-aware or random
    (`aigrid.scheduler.placement.STRATEGIES`)."""
    seed: int | None = None
    """The seed of `random` placement's keyed draws (`aigrid.scheduler.draws`). None: the run's
    own seed where there is one (the twin's `--seed`), else 0. Read by no other strategy."""

    @property
    def label(self) -> str:
        """The policy's name as `parse` reads it."""
        options = [self.name.value]
        if self.min_power_fraction is not None:
            options.append(POWER_CAPPING)
        if self.defer_batch:
            options.append(DEFERRAL)
        if self.reclaim:
            options.append(RECLAIM)
        if self.priority_preemption:
            options.append(PRIORITY)
        if self.fair_preemption:
            options.append(FAIRSHARE)
        if self.half_life_s > 0:
            if self.half_life_s == DEFAULT_HALF_LIFE_S:
                options.append(DECAY)
            else:
                options.append(f"{DECAY}={_duration_text(self.half_life_s)}")
        if self.grace_s > 0:
            options.append(f"{GRACE}={_duration_text(self.grace_s)}")
        if self.placement != "best-fit":
            options.append(f"{PLACE}={self.placement}")
        if self.seed is not None:
            options.append(f"{SEED}={self.seed}")
        return "+".join(options)

    @classmethod
    def parse(cls, name: str) -> Policy:
        """`fifo` or `fair`, with options after a `+`: `powercap` (power capping), `defer`
        (batch work to light-load hours), and for `fair`: `reclaim` (preemption of borrowers to
        give lent quota back), `priority` (preemption of lower priority classes within a
        program), `fairshare` (preemption of borrowers with larger shares across programs),
        `decay` (usage history with a 7-day half-life) or `decay=HALF_LIFE` (e.g.
        `decay=12h`; s, m, h or d), and `grace=DURATION` (how long a preempted job has to save
        its progress), e.g. `fair+powercap+priority+grace=5m+decay=3d`; and for either,
        `place=STRATEGY` (where a job of one node goes) and, with `place=random`, `seed=N`."""
        base, *options = name.split("+")
        flags = {o for o in options if "=" not in o}
        valued = {o.partition("=")[0]: o.partition("=")[2] for o in options if "=" in o}
        known = {
            POWER_CAPPING,
            DEFERRAL,
            RECLAIM,
            PRIORITY,
            FAIRSHARE,
            DECAY,
        }
        try:
            if (
                len(flags) + len(valued) != len(options)
                or not flags <= known
                or not valued.keys() <= {DECAY, GRACE, PLACE, SEED}
                or valued.get(PLACE, "best-fit") not in PLACEMENT_STRATEGIES
                or (DECAY in flags and DECAY in valued)
                # a seed means something only to random placement
                or (SEED in valued and valued.get(PLACE) != "random")
                or not valued.get(SEED, "0").isdigit()
            ):
                raise ValueError(options)
            policy = PolicyName(base)
            fair_only = {RECLAIM, PRIORITY, FAIRSHARE, DECAY, GRACE}
            if policy is not PolicyName.FAIR and fair_only & (flags | valued.keys()):
                # Only fair ordering serves a lender before the borrower it preempted, and
                # only fair ordering reads usage and priority classes.
                raise ValueError(options)
            half_life = DEFAULT_HALF_LIFE_S if DECAY in flags else 0.0
            if DECAY in valued:
                half_life = _duration(valued[DECAY])
            return cls(
                policy,
                backfill=policy is PolicyName.FAIR,
                min_power_fraction=DEFAULT_MIN_POWER_FRACTION if POWER_CAPPING in flags else None,
                defer_batch=DEFERRAL in flags,
                reclaim=RECLAIM in flags,
                priority_preemption=PRIORITY in flags,
                fair_preemption=FAIRSHARE in flags,
                half_life_s=half_life,
                grace_s=_duration(valued[GRACE]) if GRACE in valued else 0.0,
                placement=valued.get(PLACE, "best-fit"),
                seed=int(valued[SEED]) if SEED in valued else None,
            )
        except ValueError:
            names = ", ".join(p.value for p in PolicyName)
            raise ValueError(
                f"unknown policy {name!r}; expected one of: {names}"
                f" (each may take +{POWER_CAPPING}, +{DEFERRAL}; fair also"
                f" +{RECLAIM}, +{PRIORITY}, +{FAIRSHARE}, +{GRACE}=DURATION,"
                f" and +{DECAY} or"
                f" +{DECAY}=HALF_LIFE; durations such as 90s, 5m, 12h or 3d; and any"
                f" +{PLACE}={'|'.join(PLACEMENT_STRATEGIES)}, with random also"
                f" +{SEED}=N)"
            ) from None


BEST_FIT: Final = "best-fit"
PACK: Final = "pack"
SPREAD: Final = "spread"
FRAG_AWARE: Final = "frag-aware"
RANDOM: Final = "random"
PLACEMENT_STRATEGIES: Final = (BEST_FIT, PACK, SPREAD, FRAG_AWARE, RANDOM)
"""Where a job of one node goes within a pool (see `aigrid.scheduler.placement.STRATEGIES`)."""

_UNIT_S: Final = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}


def _duration(text: str) -> float:
    """Seconds in `90s`, `10m`, `12h`, `7d` or a bare number of seconds."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([smhd]?)", text.strip().lower())
    if m is None:
        raise ValueError(text)
    return float(m[1]) * _UNIT_S[m[2] or "s"]


def _duration_text(seconds: float) -> str:
    """`seconds` in the largest unit that gives a whole number (as `_duration` reads it)."""
    for unit, size in _UNIT_S.items():
        if seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


OrderKey = tuple[float, ...]


def check_history(policy: Policy, state: ClusterState) -> None:
    """Raise unless the state keeps the usage history the policy reads."""
    if policy.name is PolicyName.FAIR and policy.half_life_s != state.half_life_s:
        raise ValueError(
            f"the policy decays usage with a half-life of {policy.half_life_s:g} s, the state"
            f" keeps history with {state.half_life_s:g} s: make the state with the policy's"
        )


def fifo_key(_state: ClusterState, job: Job, _now: float = 0.0) -> OrderKey:
    """Criteria in order: submission time, then job id."""
    return (job.submit_s, job.id)


def dominant_share(state: ClusterState, program: str, now: float = 0.0) -> float:
    """The program's weighted dominant share: over the GPU models it has nominal quota of, the
    largest of (decayed mean GPUs held up to `now`, where the state keeps a usage history
    (see `aigrid.scheduler.usage`), plus GPUs held now) / (weight x nominal quota).

    A program with no nominal quota at all has an infinite share: it only ever borrows.
    """
    p = state.tenancy.programs[program]
    past = past_use(state, program, p.quota, now, cohort=False)
    return weighted_dominant(p.quota, state.usage[program], past, p.weight)


def node_share(state: ClusterState, node: int, now: float = 0.0) -> float:
    """The weighted dominant share of a node of the quota tree: `dominant_share` for a
    program; for a cohort, the same over what its programs use and their nominal quotas added
    up, divided by the cohort's weight."""
    tree = state.tree
    n = tree.nodes[node]
    if n.is_program:
        return dominant_share(state, n.name, now)
    nominal = tree.nominal_total[node]
    past = past_use(state, n.name, nominal, now, cohort=True)
    return weighted_dominant(nominal, tree.total[node], past, n.weight)


def _padded(state: ClusterState, shares: list[float]) -> tuple[float, ...]:
    return (*shares[:-1], *([shares[-1]] * (state.tree.levels - len(shares) + 1)))


def past_use(
    state: ClusterState, scope: str, models: Iterable[str], now: float, *, cohort: bool
) -> dict[str, float]:
    """GPU model -> the decayed mean GPUs a program (or a cohort) held up to `now`; empty when
    the state keeps no usage history."""
    if state.history is None:
        return {}
    return {m: state.decayed_gpus(scope, m, now, cohort=cohort) for m in models}


def weighted_dominant(
    nominal: Mapping[str, int], held: Mapping[str, int], past: Mapping[str, float], weight: float
) -> float:
    """Over the keys with nominal quota, the largest (held + decayed past) / (weight x
    nominal); infinite with no nominal quota at all (it only ever borrows)."""
    share = -1.0
    for model, q in nominal.items():
        if q > 0:
            share = max(share, (held.get(model, 0) + past.get(model, 0.0)) / (weight * q))
    return share if share >= 0.0 else math.inf


def would_borrow(state: ClusterState, job: Job) -> bool:
    """Whether `job` would take its program past its nominal quota on every GPU model it has
    quota for (so that it could start only by borrowing)."""
    quota = state.tenancy.programs[job.program].quota
    usage = state.usage[job.program]
    return all(usage.get(m, 0) + job.gpus > q for m, q in quota.items() if q > 0)


class FairOrder:
    """Fair sharing's order of jobs at one instant, over the tree of cohorts and programs.

    Criteria of `key`, in order:
      1. 0 if the job fits within its program's nominal quota, else 1: a job that would borrow
         waits for those that need not (so a lender's job always goes before the borrower it
         preempted, whatever their classes: no preemption loops);
      2. its priority class, higher first;
      3. the weighted dominant shares (`node_share`) down its path in the quota tree, padded
         to one per level of the deepest path (a program's own share repeats), lower first:
         top-level cohorts compete as wholes, as siblings under one root; within a cohort its
         child cohorts, and within the lowest its programs;
      4. submission time; 5. job id.

    Shares grow as the cycle admits jobs, so keys only ever grow within one instant; each
    node's share is remembered until a job under it is admitted (`admitted`), which keeps a
    cycle's cost per job O(depth).
    """

    __slots__ = ("_borrows", "_keyed", "_shares", "now", "state")

    def __init__(self, state: ClusterState, now: float) -> None:
        self.state = state
        self.now = now
        self._shares: dict[int, float] = {}
        """Node of the quota tree -> its share (`node_share`)."""
        self._keyed: dict[int, dict[str, tuple[float, ...]]] = {}
        """Root of a tree -> program -> its shares as the key has them (padded)."""
        self._borrows: dict[str, dict[int, bool]] = {}
        """program -> GPUs -> whether a job of that many would borrow."""

    def key(self, job: Job) -> OrderKey:
        program = job.program
        by_gpus = self._borrows.get(program)
        if by_gpus is None:
            by_gpus = self._borrows[program] = {}
        borrows = by_gpus.get(job.gpus)
        if borrows is None:
            borrows = by_gpus[job.gpus] = would_borrow(self.state, job)
        state = self.state
        path = state.tree.paths[program]
        by_program = self._keyed.get(path[-1])
        if by_program is None:
            by_program = self._keyed[path[-1]] = {}
        padded = by_program.get(program)
        if padded is None:
            cache = self._shares
            shares = []
            for i in reversed(path):
                s = cache.get(i)
                if s is None:
                    s = cache[i] = node_share(state, i, self.now)
                shares.append(s)
            padded = by_program[program] = _padded(state, shares)
        return (
            1.0 if borrows else 0.0,
            -job.priority_class.priority,
            *padded,
            job.submit_s,
            job.id,
        )

    def admitted(self, program: str) -> None:
        """A job of `program` was admitted: its shares, and those of every cohort above it
        (hence of every program in its tree), have grown."""
        self._borrows.pop(program, None)
        path = self.state.tree.paths[program]
        for i in path:
            self._shares.pop(i, None)
        self._keyed.pop(path[-1], None)  # every program of the tree has a share that grew


def fair_key(state: ClusterState, job: Job, now: float = 0.0) -> OrderKey:
    """`FairOrder.key` at `now`, for one job."""
    return FairOrder(state, now).key(job)
