"""Table-driven cases for one scheduling cycle: each names a rule and what it must decide."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import pytest

from aigrid.model import Fleet, Job, Placement, PriorityClass, Tenancy, TenantClass, Zone
from aigrid.scheduler import (
    Admit,
    ClusterState,
    Park,
    Policy,
    PolicyName,
    Preempt,
    QueueSet,
    ReasonCode,
    Reject,
    Reserve,
    Snapshot,
    decide,
)
from tests.builders import (
    B200,
    H100,
    cohort,
    fleet,
    grant,
    job,
    pool,
    program,
    site,
    tenancy,
)


@dataclass
class Case:
    name: str
    fleet: Fleet
    tenancy: Tenancy
    pending: list[Job]
    running: list[tuple[str, Placement]] = field(default_factory=list)
    running_until: list[float] = field(default_factory=list)
    """When each running job ends at the latest (its walltime limit); for backfill."""
    running_since: list[float] = field(default_factory=list)
    """When each running job started, making it preemptible (running job k has id -1-k)."""
    want_preempted: list[int] = field(default_factory=list)
    now: float = 0.0
    policy: PolicyName = PolicyName.FAIR
    want_admitted: list[int] = field(default_factory=list)
    """Job ids admitted, in decision order."""
    want_parked: dict[int, ReasonCode] = field(default_factory=dict)
    """Head job id of each parked queue, with its reason."""
    want_rejected: dict[int, ReasonCode] = field(default_factory=dict)
    want_nodes: dict[int, tuple[int, tuple[int, ...]]] = field(default_factory=dict)
    """Job id -> (pool, nodes) for admitted jobs whose placement matters."""
    want_borrowed: list[int] = field(default_factory=list)
    policy_name: str | None = None
    """A policy by name (e.g. `fair+powercap`), overriding `policy`."""
    want_power: dict[int, float] = field(default_factory=dict)
    """Job id -> the fraction of full board power it was admitted at, where below 1."""
    want_reserved: dict[int, tuple[int, float, tuple[int, ...]]] = field(default_factory=dict)
    """Job id -> (pool, start, nodes) of the backfill reservations made."""
    want_grant: dict[int, tuple[str, float]] = field(default_factory=dict)
    """Job id -> (grant, amount held on it) for admitted jobs paid by a grant."""
    down: list[tuple[int, int]] = field(default_factory=list)
    """(pool, node) of failed nodes: their GPUs are out, and quotas shrink in proportion."""
    want_price: dict[int, tuple[float, float]] = field(default_factory=dict)
    """Job id -> (price per GPU-hour, KRW held) for admitted jobs whose price matters."""
    running_priority: list[PriorityClass] = field(default_factory=list)
    """The priority class of each running job (default normal)."""
    stopping: list[int] = field(default_factory=list)
    """Running jobs (by id) told they are preempted, in their grace period."""
    want_grace: float = 0.0
    """The grace period every preemption gives."""
    past_use: list[tuple[str, str, int, float, float]] = field(default_factory=list)
    """(program, GPU model, GPUs, from, to): use that ended before `now`, for the usage
    history of a policy with `+decay`."""
    want_shared_gpu: dict[int, int] = field(default_factory=dict)
    """Job id -> the GPU of its node an admitted share landed on."""


ONE_POOL = fleet([pool("a", nodes=2)])
FRAG = fleet([pool("a", nodes=3)])
FRAG_P = tenancy(program("p1", {"H100": 24}))
FRAG_RUNNING = [  # free: node 0 has 5, node 1 has 4, node 2 none; running sizes 3, 4, 4, 4
    ("p1", Placement(0, (0,), (3,))),
    ("p1", Placement(0, (1,), (4,))),
    ("p1", Placement(0, (2,), (4,))),
    ("p1", Placement(0, (2,), (4,))),
]
RACKS = fleet([pool("r", gpn=4, nodes=8, nvlink=16)])
TWO_MODELS = fleet([pool("h", model="H100", nodes=1), pool("b", model="B200", nodes=1)])
P1 = tenancy(program("p1", {"H100": 16}))
# Fair sharing: p1 and p2 alike, and p3 (with no quota of its own) holding one of the two nodes.
SHARING = (
    ONE_POOL,
    tenancy(program("p1", {"H100": 16}), program("p2", {"H100": 16}), program("p3", {})),
)
P3_ON_NODE_0 = [("p3", Placement(0, (0,), (8,)))]


def _share(node: int, gpu: int, milli: int, *, pool: int = 0, cpu: int = 0) -> Placement:
    """A running job's share of GPU `gpu` of `node`."""
    return Placement(pool, (node,), (1,), milli, gpu, cpu_milli=cpu)


CPU_POOL = fleet([pool("a", nodes=2, cpu=8000, memory=65536)])
"""Two nodes of 8 GPUs, 8 cores and 64 GiB each."""
ONE_GPU = fleet([pool("a", nodes=1, gpn=1)])
TWO_GPUS = fleet([pool("a", nodes=1, gpn=2)])

SHARE_CASES = [
    Case(
        "a share packs onto the shared GPU with the least room that holds it",
        ONE_POOL,
        P1,
        [job(1, id=1, share=250)],
        running=[("p1", _share(1, 0, 600)), ("p1", _share(1, 3, 750))],
        want_admitted=[1],
        want_nodes={1: (0, (1,))},
        want_shared_gpu={1: 3},
    ),
    Case(
        "a share no shared GPU holds takes a wholly free GPU on the node with fewest of them",
        ONE_POOL,
        P1,
        [job(1, id=1, share=300)],
        running=[("p1", Placement(0, (0,), (5,))), ("p1", _share(1, 0, 800))],
        want_admitted=[1],
        want_nodes={1: (0, (0,))},
        want_shared_gpu={1: 5},  # GPUs 0-4 are held whole
    ),
    Case(
        "spread gives a share the freest GPU",
        ONE_POOL,
        P1,
        [job(1, id=1, share=250)],
        running=[("p1", _share(1, 0, 600)), ("p1", Placement(0, (1,), (3,)))],
        policy_name="fair+place=spread",
        want_admitted=[1],
        want_nodes={1: (0, (0,))},
        want_shared_gpu={1: 0},
    ),
    Case(
        "shares of one GPU fill it to exactly 1000 milli-GPUs, no further",
        ONE_GPU,
        P1,
        [job(1, id=i, share=250, submit=i) for i in range(1, 6)],
        want_admitted=[1, 2, 3, 4],
        want_parked={5: ReasonCode.NO_CAPACITY},
        want_shared_gpu={1: 0, 2: 0, 3: 0, 4: 0},
        want_reserved={5: (0, 7200.0, (0,))},  # when the four admitted end at the latest
    ),
    Case(
        "whole GPUs are only wholly free ones: a GPU a share holds is not",
        TWO_GPUS,
        P1,
        [job(2, id=1), job(1, id=2, submit=1)],
        running=[("p1", _share(0, 0, 100))],
        want_admitted=[2],
        want_parked={1: ReasonCode.NO_CAPACITY},
    ),
    Case(
        "a share is charged quota of the whole GPU it lands on",
        ONE_POOL,
        tenancy(program("p1", {"H100": 2})),
        [job(1, id=i, share=100, submit=i) for i in range(1, 4)],
        want_admitted=[1, 2],
        want_parked={3: ReasonCode.QUOTA},
        want_shared_gpu={1: 0, 2: 0},
    ),
    Case(
        "CPU: the node best fit prefers has too little, so the job goes to the other",
        CPU_POOL,
        P1,
        [job(2, id=1, cpu=4000)],
        running=[("p1", Placement(0, (1,), (4,), cpu_milli=6000))],
        want_admitted=[1],
        want_nodes={1: (0, (0,))},
    ),
    Case(
        "a job that no node has the CPU for waits with its own reason",
        CPU_POOL,
        P1,
        [job(1, id=1, cpu=4000)],
        running=[
            ("p1", Placement(0, (0,), (1,), cpu_milli=6000)),
            ("p1", Placement(0, (1,), (1,), cpu_milli=6000)),
        ],
        want_parked={1: ReasonCode.CPU_MEMORY},
    ),
    Case(
        "a share waits for memory like a whole GPU does",
        CPU_POOL,
        P1,
        [job(1, id=1, share=500, memory=40000)],
        running=[
            ("p1", Placement(0, (0,), (1,), memory_mib=30000)),
            ("p1", Placement(0, (1,), (1,), memory_mib=30000)),
        ],
        want_parked={1: ReasonCode.CPU_MEMORY},
    ),
    Case(
        "more memory than a node has is too large",
        CPU_POOL,
        P1,
        [job(1, id=1, memory=65537)],
        want_rejected={1: ReasonCode.TOO_LARGE},
    ),
    Case(
        "a pool that tracks no CPU never holds a job up for it",
        ONE_POOL,
        P1,
        [job(1, id=1, cpu=10**9, memory=10**9)],
        want_admitted=[1],
    ),
    Case(
        "a gang asks its CPU of each whole node it takes",
        fleet([pool("a", nodes=3, cpu=8000)]),
        tenancy(program("p1", {"H100": 24})),
        [job(16, id=1, cpu=8000), job(16, id=2, cpu=8001, submit=1)],
        running=[("p1", Placement(0, (0,), (1,)))],
        want_admitted=[1],
        want_rejected={2: ReasonCode.TOO_LARGE},
        want_nodes={1: (0, (1, 2))},
    ),
    Case(
        "a job waiting for CPU reserves the node that frees first",
        fleet([pool("a", nodes=1, cpu=8000)]),
        P1,
        [job(1, id=1, cpu=2000)],
        running=[("p1", Placement(0, (0,), (1,), cpu_milli=7000))],
        running_until=[7200.0],
        want_parked={1: ReasonCode.CPU_MEMORY},
        want_reserved={1: (0, 7200.0, (0,))},
    ),
]


def _p1_running_two(name: str, pending: list[Job], **want: Any) -> Case:
    """Priority preemption: p1 (quota 16) runs two preemptible 8-GPU jobs, since 0 and 1 h, on
    three nodes; it is 20,000 s."""
    return Case(
        name,
        fleet([pool("a", nodes=3)]),
        tenancy(program("p1", {"H100": 16})),
        pending,
        running=[("p1", Placement(0, (0,), (8,))), ("p1", Placement(0, (1,), (8,)))],
        running_since=[0.0, 3600.0],
        now=20_000.0,
        **want,
    )


def _preempted_by(j: Job, *by: int) -> Job:
    """`j`, as if it had been preempted to make room for the jobs `by`."""
    for b in by:
        j.mark_preempted(b, "reclaim", 0.0)
    return j


FAIRSHARE_RUNNING = [  # p1 holds its own 8; p2 holds 24, 16 of them borrowed from p3
    ("p1", Placement(0, (0,), (8,))),
    ("p2", Placement(0, (1,), (8,))),
    ("p2", Placement(0, (2,), (8,))),
    ("p2", Placement(0, (3,), (8,))),
]


CASES = [
    Case(
        "fits on one node",
        ONE_POOL,
        P1,
        [job(4, id=1)],
        want_admitted=[1],
        want_nodes={1: (0, (0,))},
    ),
    Case(
        "best fit takes the node with the fewest free GPUs that suffice",
        ONE_POOL,
        P1,
        [job(2, id=1)],
        running=[("p1", Placement(0, (1,), (5,)))],
        want_admitted=[1],
        want_nodes={1: (0, (1,))},
    ),
    Case(
        "a gang larger than a node takes whole nodes",
        fleet([pool("a", nodes=3)]),
        tenancy(program("p1", {"H100": 24})),
        [job(16, id=1)],
        running=[("p1", Placement(0, (0,), (1,)))],
        want_admitted=[1],
        want_nodes={1: (0, (1, 2))},
    ),
    Case(
        "a gang waits when whole nodes are missing, though GPUs are free",
        ONE_POOL,
        tenancy(program("p1", {"H100": 32})),
        [job(16, id=1)],
        running=[("p1", Placement(0, (0,), (1,)))],
        want_parked={1: ReasonCode.NO_CAPACITY},
    ),
    Case(
        "quota exhausted without a cohort",
        ONE_POOL,
        tenancy(program("p1", {"H100": 8})),
        [job(4, id=1), job(8, id=2)],
        running=[("p1", Placement(0, (0,), (6,)))],
        want_parked={1: ReasonCode.QUOTA, 2: ReasonCode.QUOTA},
    ),
    Case(
        "borrowing idle quota of the cohort",
        ONE_POOL,
        tenancy(program("p1", {"H100": 8}, cohort="c"), program("p2", {"H100": 8}, cohort="c")),
        [job(12, id=1)],
        want_admitted=[1],
        want_borrowed=[1],
    ),
    Case(
        "borrowing limit when the cohort has no idle quota",
        fleet([pool("a", nodes=4)]),
        tenancy(program("p1", {"H100": 8}, cohort="c"), program("p2", {"H100": 8}, cohort="c")),
        [job(8, id=1)],
        running=[("p1", Placement(0, (0,), (8,))), ("p2", Placement(0, (1,), (8,)))],
        want_parked={1: ReasonCode.BORROWING_LIMIT},
    ),
    Case(
        "a lender within its own quota waits while its quota is lent out",
        fleet([pool("a", nodes=4)]),
        tenancy(program("p1", {"H100": 8}, cohort="c"), program("p2", {"H100": 8}, cohort="c")),
        [job(4, program="p2", id=1)],
        running=[("p1", Placement(0, (0,), (8,))), ("p1", Placement(0, (1,), (8,)))],
        want_parked={1: ReasonCode.QUOTA},
    ),
    Case(
        "reclaim: a lender within its quota preempts the most recent borrower",
        ONE_POOL,
        tenancy(program("p1", {"H100": 8}, cohort="c"), program("p2", {"H100": 8}, cohort="c")),
        [job(8, program="p2", submit=20_000, id=1)],
        running=[("p1", Placement(0, (0,), (8,))), ("p1", Placement(0, (1,), (8,)))],
        running_since=[0.0, 3600.0],
        now=20_000.0,
        policy_name="fair+reclaim",
        want_parked={1: ReasonCode.QUOTA},
        want_preempted=[-2],
    ),
    Case(
        "reclaim: a borrower's job still within its minimum runtime is passed over",
        ONE_POOL,
        tenancy(program("p1", {"H100": 8}, cohort="c"), program("p2", {"H100": 8}, cohort="c")),
        [job(8, program="p2", submit=20_000, id=1)],
        running=[("p1", Placement(0, (0,), (8,))), ("p1", Placement(0, (1,), (8,)))],
        running_since=[0.0, 19_900.0],  # job -2 has not run its minimum
        now=20_000.0,
        policy_name="fair+reclaim",
        want_parked={1: ReasonCode.QUOTA},
        want_preempted=[-1],
    ),
    Case(
        "no preemption back and forth: a job never preempts one that preempted it",
        ONE_POOL,
        tenancy(program("p1", {"H100": 8}, cohort="c"), program("p2", {"H100": 8}, cohort="c")),
        [_preempted_by(job(8, program="p2", submit=20_000, id=1), -1)],
        running=[("p1", Placement(0, (0,), (8,))), ("p1", Placement(0, (1,), (8,)))],
        running_since=[0.0, 19_900.0],
        now=20_000.0,
        policy_name="fair+reclaim",
        want_parked={1: ReasonCode.QUOTA},
    ),
    Case(
        "reclaim: nobody is preempted before the minimum runtime",
        ONE_POOL,
        tenancy(program("p1", {"H100": 8}, cohort="c"), program("p2", {"H100": 8}, cohort="c")),
        [job(8, program="p2", submit=20_000, id=1)],
        running=[("p1", Placement(0, (0,), (8,))), ("p1", Placement(0, (1,), (8,)))],
        running_since=[0.0, 19_000.0],
        now=20_000.0,
        policy_name="fair+reclaim",
        want_parked={1: ReasonCode.QUOTA},
        want_preempted=[-1],
    ),
    Case(
        "lending limit: a lender keeps what it does not lend, and starts there at once",
        fleet([pool("a", nodes=4)]),
        tenancy(
            program("p1", {"H100": 8}, cohort="c", lending_limit={"H100": 4}),
            program("p2", {"H100": 8}, cohort="c"),
        ),
        [job(4, program="p2", id=1), job(4, program="p1", id=2)],
        running=[("p2", Placement(0, (0,), (8,))), ("p2", Placement(0, (1,), (4,)))],
        want_admitted=[2],
        want_parked={1: ReasonCode.BORROWING_LIMIT},
    ),
    Case(
        "borrowing limit: a program borrows at most its limit beyond its quota",
        fleet([pool("a", nodes=4)]),
        tenancy(
            program("p1", {"H100": 8}, cohort="c", borrowing_limit={"H100": 4}),
            program("p2", {"H100": 24}, cohort="c"),
        ),
        [job(8, id=1), job(4, id=2), job(4, id=3), job(16, id=4)],
        want_admitted=[1, 2],
        want_borrowed=[2],
        want_parked={3: ReasonCode.BORROWING_LIMIT},
        want_rejected={4: ReasonCode.TOO_LARGE},
    ),
    Case(
        "nested cohorts: a program borrows a sibling cohort's idle quota through the root",
        fleet([pool("a", nodes=4)]),
        tenancy(
            program("p1", {"H100": 8}, cohort="academia"),
            program("p2", {"H100": 8}, cohort="industry"),
            cohorts=[
                cohort("nation"),
                cohort("academia", parent="nation"),
                cohort("industry", parent="nation"),
            ],
        ),
        [job(16, id=1)],
        want_admitted=[1],
        want_borrowed=[1],
    ),
    Case(
        "nested cohorts: a cohort's borrowing limit bounds all of its programs",
        fleet([pool("a", nodes=4)]),
        tenancy(
            program("p1", {"H100": 4}, cohort="academia"),
            program("p3", {"H100": 4}, cohort="academia"),
            program("p2", {"H100": 16}, cohort="industry"),
            cohorts=[
                cohort("nation"),
                cohort("academia", parent="nation", borrowing_limit={"H100": 4}),
                cohort("industry", parent="nation"),
            ],
        ),
        # p1 fills its own 4, takes p3's idle 4 within academia, then 4 more from the nation
        # (academia's limit); job 2, within p1's quota, goes first.
        [job(8, id=1), job(4, id=2), job(4, id=3)],
        want_admitted=[2, 1],
        want_borrowed=[1],
        want_parked={3: ReasonCode.BORROWING_LIMIT},
    ),
    Case(
        "owner lending: an owner lends its idle pool to the national cohort, up to its limit",
        fleet(
            [pool("nat", nodes=1), pool("own", nodes=2, owner="samsung")],
            owners=("gov", "samsung"),
        ),
        tenancy(
            program("national", {"H100": 8}, cohort="nation", owners=("gov", "samsung")),
            program(
                "samsung",
                {"samsung/H100": 16},
                cohort="nation",
                owners=("samsung",),
                lending_limit={"samsung/H100": 8},
            ),
        ),
        [
            job(8, program="national", id=1),
            job(8, program="national", id=2),
            job(8, program="national", id=3),
        ],
        want_admitted=[1, 2],
        want_nodes={1: (0, (0,)), 2: (1, (0,))},
        want_borrowed=[2],
        want_parked={3: ReasonCode.BORROWING_LIMIT},
    ),
    Case(
        "owner lending: the owner reclaims what it lent by preempting the borrower",
        fleet(
            [pool("nat", nodes=1), pool("own", nodes=2, owner="samsung")],
            owners=("gov", "samsung"),
        ),
        tenancy(
            program("national", {"H100": 8}, cohort="nation", owners=("gov", "samsung")),
            program(
                "samsung",
                {"samsung/H100": 16},
                cohort="nation",
                owners=("samsung",),
                lending_limit={"samsung/H100": 8},
            ),
        ),
        [job(16, program="samsung", submit=20_000, id=1)],
        running=[("national", Placement(1, (0,), (8,)))],
        running_since=[0.0],
        now=20_000.0,
        policy_name="fair+reclaim",
        want_parked={1: ReasonCode.QUOTA},
        want_preempted=[-1],
    ),
    Case(
        "fair-share preemption: a borrower preempts the borrower with the larger share",
        fleet([pool("a", nodes=4)]),
        tenancy(
            program("p1", {"H100": 8}, cohort="c", weight=2.0),
            program("p2", {"H100": 8}, cohort="c"),
            program("p3", {"H100": 16}, cohort="c"),
        ),
        # p1 would hold 16 / (2 x 8) = 1 after; p2 holds 24 / 8 = 3, and 2 after one stops.
        # (With weight 1, p1's 2 after against p2's 2 after: equal, which is enough too.)
        [job(8, submit=20_000, id=1)],
        running=FAIRSHARE_RUNNING,
        running_since=[0.0, 0.0, 3600.0, 7200.0],
        now=20_000.0,
        policy_name="fair+fairshare",
        want_parked={1: ReasonCode.BORROWING_LIMIT},
        want_preempted=[-4],
    ),
    Case(
        "fair-share preemption: never to make the preemptor's program the larger",
        fleet([pool("a", nodes=4)]),
        tenancy(
            program("p1", {"H100": 8}, cohort="c"),
            program("p2", {"H100": 8}, cohort="c"),
            program("p3", {"H100": 16}, cohort="c"),
        ),
        # p1 would hold 24 / 8 = 3 after; p2 holds 16 / 8 = 2 now, and 1 after one stops.
        [job(8, submit=20_000, id=1)],
        running=[
            ("p1", Placement(0, (0,), (8,))),
            ("p1", Placement(0, (1,), (8,))),
            ("p2", Placement(0, (2,), (8,))),
            ("p2", Placement(0, (3,), (8,))),
        ],
        running_since=[0.0, 0.0, 3600.0, 7200.0],
        now=20_000.0,
        policy_name="fair+fairshare",
        want_parked={1: ReasonCode.BORROWING_LIMIT},
    ),
    Case(
        "a program that may not borrow stays within its quota",
        ONE_POOL,
        tenancy(
            program("p1", {"H100": 8}, cohort="c", borrowing=False),
            program("p2", {"H100": 8}, cohort="c"),
        ),
        [job(12, id=1)],
        want_rejected={1: ReasonCode.TOO_LARGE},
    ),
    Case(
        "site power cap",
        fleet([pool("a", nodes=2)], sites=[site("s1", cap_mw=0.0117)]),
        P1,
        # idle: 16 GPUs x 700 W = 11.2 kW; each busy GPU adds 600 W: 0.5 kW of room = 0 GPUs
        [job(1, id=1)],
        want_parked={1: ReasonCode.POWER_CAP},
    ),
    Case(
        "power capping: a job that would break the site cap runs held below full power",
        fleet([pool("a", nodes=2)], sites=[site("s1", cap_mw=0.015)]),
        P1,
        # idle 11.2 kW; 8 busy GPUs add 4.8 kW at full power (16.0 > 15.0); held to 80% of
        # their 700 W boards they save 8 x 140 W = 1.12 kW: 14.88 kW fits (at 90%: 15.44).
        [job(8, id=1)],
        policy_name="fair+powercap",
        want_admitted=[1],
        want_power={1: 0.8},
    ),
    Case(
        "without power capping the same job waits for the site",
        fleet([pool("a", nodes=2)], sites=[site("s1", cap_mw=0.015)]),
        P1,
        [job(8, id=1)],
        want_parked={1: ReasonCode.POWER_CAP},
    ),
    Case(
        "budget cannot cover the walltime",
        ONE_POOL,
        tenancy(program("p1", {"H100": 16}, budget=4500.0 * 2 * 1.5)),
        # 2 GPUs x 2 h walltime x 4,500 KRW = 18,000 > 13,500
        [job(2, runtime=3600, walltime=7200, id=1)],
        want_parked={1: ReasonCode.BUDGET},
    ),
    Case(
        "free academic access is not stopped by a zero budget",
        ONE_POOL,
        tenancy(
            program("p1", {"H100": 16}, budget=0.0, price_fraction={TenantClass.UNIVERSITY: 0.0})
        ),
        [job(2, id=1)],
        want_admitted=[1],
    ),
    Case(
        "sovereign data never goes to a commercial-zone pool",
        fleet([pool("a")], sites=[site("s1", zone=Zone.COMMERCIAL)]),
        P1,
        [job(1, sovereign=True, id=1)],
        want_rejected={1: ReasonCode.NO_ELIGIBLE_POOL},
    ),
    Case(
        "larger than any pool it may use",
        ONE_POOL,
        tenancy(program("p1", {"H100": 64})),
        [job(32, id=1), job(1, id=2)],
        want_rejected={1: ReasonCode.TOO_LARGE},
        want_admitted=[2],
    ),
    Case(
        "a job that names a GPU model gets that model",
        fleet([pool("h", model="H100"), pool("b", model="B200")]),
        tenancy(program("p1", {"H100": 32, "B200": 32})),
        [job(8, models=("B200",), id=1)],
        want_admitted=[1],
        want_nodes={1: (1, (0,))},
    ),
    Case(
        "a pool the program need not borrow for is preferred",
        fleet([pool("h", model="H100"), pool("b", model="B200")]),
        tenancy(
            program("p1", {"B200": 8}, cohort="c"),
            program("p2", {"H100": 32}, cohort="c"),
        ),
        [job(8, id=1)],
        want_admitted=[1],
        want_nodes={1: (1, (0,))},
    ),
    Case(
        "backfill: a gang that waits reserves the nodes that free first, by walltime limits",
        ONE_POOL,
        tenancy(program("p1", {"H100": 32})),
        [job(16, runtime=60, walltime=600, id=1)],
        running=[("p1", Placement(0, (0,), (4,))), ("p1", Placement(0, (1,), (4,)))],
        running_until=[1000.0, 500.0],
        want_parked={1: ReasonCode.NO_CAPACITY},
        want_reserved={1: (0, 1000.0, (0, 1))},
    ),
    Case(
        "backfill: later jobs use reserved nodes only if they end before the reservation",
        ONE_POOL,
        tenancy(program("p1", {"H100": 32})),
        [
            job(16, submit=0, runtime=60, walltime=600, id=1),
            job(4, submit=1, runtime=60, walltime=2400, id=2),
            job(4, submit=2, runtime=60, walltime=420, id=3),
        ],
        running=[("p1", Placement(0, (0,), (4,))), ("p1", Placement(0, (1,), (4,)))],
        running_until=[1000.0, 500.0],
        want_admitted=[3],
        want_parked={1: ReasonCode.NO_CAPACITY, 2: ReasonCode.RESERVED},
        want_reserved={1: (0, 1000.0, (0, 1))},
    ),
    Case(
        "backfill: nodes outside the reservation stay free for anyone",
        fleet([pool("a", nodes=3)]),
        tenancy(program("p1", {"H100": 32})),
        [
            job(16, submit=0, runtime=60, walltime=600, id=1),
            job(8, submit=1, runtime=60, walltime=2400, id=2),
            job(4, submit=2, runtime=60, walltime=2400, id=3),
        ],
        running=[("p1", Placement(0, (0,), (4,))), ("p1", Placement(0, (1,), (6,)))],
        running_until=[1000.0, 300.0],
        # Job 1 needs two whole nodes: node 2 now and node 1 at 300. Job 2 would need node 2;
        # job 3 fits on node 0, which the reservation does not need.
        want_admitted=[3],
        want_parked={1: ReasonCode.NO_CAPACITY, 2: ReasonCode.RESERVED},
        want_reserved={1: (0, 300.0, (1, 2))},
        want_nodes={3: (0, (0,))},
    ),
    Case(
        "no reservations under fifo",
        ONE_POOL,
        tenancy(program("p1", {"H100": 32})),
        [job(16, submit=0, id=1), job(4, submit=1, walltime=99999, id=2)],
        running=[("p1", Placement(0, (0,), (4,)))],
        running_until=[1000.0],
        policy=PolicyName.FIFO,
        want_admitted=[2],
        want_parked={1: ReasonCode.NO_CAPACITY},
    ),
    Case(
        "fifo serves in submission order across programs",
        ONE_POOL,
        tenancy(program("p1", {"H100": 8}, cohort="c"), program("p2", {"H100": 8}, cohort="c")),
        [
            job(8, program="p1", submit=0, id=1),
            job(8, program="p1", submit=1, id=2),
            job(8, program="p2", submit=2, id=3),
        ],
        policy=PolicyName.FIFO,
        want_admitted=[1, 2],
        want_parked={3: ReasonCode.QUOTA},
        want_borrowed=[2],
    ),
    Case(
        "fair serves the program within its quota before the one that would borrow",
        ONE_POOL,
        tenancy(program("p1", {"H100": 8}, cohort="c"), program("p2", {"H100": 8}, cohort="c")),
        [
            job(8, program="p1", submit=0, id=1),
            job(8, program="p1", submit=1, id=2),
            job(8, program="p2", submit=2, id=3),
        ],
        want_admitted=[1, 3],
        want_parked={2: ReasonCode.BORROWING_LIMIT},
    ),
    # -- fair sharing with a usage history (half-life 1 h); one node free for two 8-GPU jobs
    Case(
        "decay: a program that used a lot recently goes after one that did not",
        *SHARING,
        [job(8, program="p1", submit=0, id=1), job(8, program="p2", submit=1, id=2)],
        running=P3_ON_NODE_0,
        past_use=[("p1", "H100", 16, 0.0, 36_000.0)],
        now=36_000.0,
        policy_name="fair+decay=1h",
        want_admitted=[2],
        want_parked={1: ReasonCode.NO_CAPACITY},
        want_reserved={1: (0, 43_200.0, (1,))},  # when job 2's walltime limit ends
    ),
    Case(
        "without decay the same past use counts for nothing: submission order",
        *SHARING,
        [job(8, program="p1", submit=0, id=1), job(8, program="p2", submit=1, id=2)],
        running=P3_ON_NODE_0,
        past_use=[("p1", "H100", 16, 0.0, 36_000.0)],
        now=36_000.0,
        want_admitted=[1],
        want_parked={2: ReasonCode.NO_CAPACITY},
        want_reserved={2: (0, 43_200.0, (1,))},
    ),
    Case(
        "decay: old use counts less than recent use, though it was more",
        *SHARING,
        # p1: 16 GPUs 10 to 11 half-lives ago (a decayed mean of 0.008 GPUs); p2: 8 GPUs in
        # the last half-life (4 GPUs).
        [job(8, program="p2", submit=0, id=1), job(8, program="p1", submit=1, id=2)],
        running=P3_ON_NODE_0,
        past_use=[("p1", "H100", 16, 0.0, 3600.0), ("p2", "H100", 8, 36_000.0, 39_600.0)],
        now=39_600.0,
        policy_name="fair+decay=1h",
        want_admitted=[2],
        want_parked={1: ReasonCode.NO_CAPACITY},
        want_reserved={1: (0, 46_800.0, (1,))},
    ),
    # -- priority preemption within a program: two running jobs fill p1's quota, since 0 and 1 h
    _p1_running_two(
        "priority: a high job preempts the low job of its program started last",
        [job(8, submit=20_000, id=1, priority=PriorityClass.HIGH)],
        running_priority=[PriorityClass.LOW, PriorityClass.LOW],
        policy_name="fair+priority+grace=5m",
        want_parked={1: ReasonCode.QUOTA},
        want_preempted=[-2],
        want_grace=300.0,
    ),
    _p1_running_two(
        "priority: the lowest class goes first, though it started earlier",
        [job(8, submit=20_000, id=1, priority=PriorityClass.HIGH)],
        running_priority=[PriorityClass.LOW, PriorityClass.NORMAL],
        policy_name="fair+priority",
        want_parked={1: ReasonCode.QUOTA},
        want_preempted=[-1],
    ),
    _p1_running_two(
        "priority: a job preempts no job of its own class",
        [job(8, submit=20_000, id=1)],
        policy_name="fair+priority",
        want_parked={1: ReasonCode.QUOTA},
    ),
    Case(
        "priority: a job preempts no job of another program",
        fleet([pool("a", nodes=2)]),
        tenancy(program("p1", {"H100": 8}, cohort="c"), program("p2", {"H100": 8}, cohort="c")),
        [job(8, submit=20_000, id=1, priority=PriorityClass.HIGH)],
        running=[("p1", Placement(0, (0,), (8,))), ("p2", Placement(0, (1,), (8,)))],
        running_since=[0.0, 3600.0],
        running_priority=[PriorityClass.HIGH, PriorityClass.LOW],
        now=20_000.0,
        policy_name="fair+priority",
        want_parked={1: ReasonCode.BORROWING_LIMIT},
    ),
    _p1_running_two(
        "priority: without the option nobody is preempted",
        [job(8, submit=20_000, id=1, priority=PriorityClass.HIGH)],
        running_priority=[PriorityClass.LOW, PriorityClass.LOW],
        want_parked={1: ReasonCode.QUOTA},
    ),
    _p1_running_two(
        "priority: a job in its grace period counts as freed and is not preempted again",
        [
            job(8, submit=20_000, id=1, priority=PriorityClass.HIGH),
            job(16, submit=20_001, id=2, priority=PriorityClass.HIGH),
        ],
        running_priority=[PriorityClass.LOW, PriorityClass.LOW],
        stopping=[-2],
        policy_name="fair+priority",
        want_parked={1: ReasonCode.QUOTA, 2: ReasonCode.QUOTA},
        # Job 1 waits for the 8 GPUs job -2 is freeing; job 2 counts those too, and needs 8 more.
        want_preempted=[-1],
    ),
    # -- weights, priority classes and the tree; three nodes, the last one free
    Case(
        "weights: a program of weight 2 holding more goes before one of weight 1 holding less",
        fleet([pool("a", nodes=3)]),
        tenancy(program("p1", {"H100": 16}), program("p2", {"H100": 16}, weight=2.0)),
        # shares: p1 4 / 16 = 0.25; p2 6 / (2 x 16) = 0.19
        [job(8, program="p1", submit=0, id=1), job(8, program="p2", submit=1, id=2)],
        running=[("p1", Placement(0, (0,), (4,))), ("p2", Placement(0, (1,), (6,)))],
        want_admitted=[2],
        want_parked={1: ReasonCode.NO_CAPACITY},
        want_reserved={1: (0, 7200.0, (2,))},
    ),
    Case(
        "without the weight the program holding less goes first",
        fleet([pool("a", nodes=3)]),
        tenancy(program("p1", {"H100": 16}), program("p2", {"H100": 16})),
        [job(8, program="p2", submit=0, id=1), job(8, program="p1", submit=1, id=2)],
        running=[("p1", Placement(0, (0,), (4,))), ("p2", Placement(0, (1,), (6,)))],
        want_admitted=[2],
        want_parked={1: ReasonCode.NO_CAPACITY},
        want_reserved={1: (0, 7200.0, (2,))},
    ),
    Case(
        "priority class before share: a high job of the program holding more goes first",
        fleet([pool("a", nodes=3)]),
        tenancy(program("p1", {"H100": 16}), program("p2", {"H100": 16})),
        [
            job(8, program="p2", submit=0, id=1),
            job(8, program="p1", submit=1, id=2, priority=PriorityClass.HIGH),
        ],
        running=[("p1", Placement(0, (0,), (4,))), ("p2", Placement(0, (1,), (2,)))],
        want_admitted=[2],
        want_parked={1: ReasonCode.NO_CAPACITY},
        want_reserved={1: (0, 7200.0, (2,))},
    ),
    Case(
        "priority class within a program: a later high job before an earlier normal one",
        fleet([pool("a", nodes=3)]),
        tenancy(program("p1", {"H100": 32})),
        [job(8, submit=0, id=1), job(8, submit=1, id=2, priority=PriorityClass.HIGH)],
        running=[("p1", Placement(0, (0,), (8,))), ("p1", Placement(0, (1,), (8,)))],
        want_admitted=[2],
        want_parked={1: ReasonCode.NO_CAPACITY},
        want_reserved={1: (0, 7200.0, (2,))},
    ),
    Case(
        "a low job waits for a normal one submitted later",
        fleet([pool("a", nodes=3)]),
        tenancy(program("p1", {"H100": 32})),
        [job(8, submit=0, id=1, priority=PriorityClass.LOW), job(8, submit=1, id=2)],
        running=[("p1", Placement(0, (0,), (8,))), ("p1", Placement(0, (1,), (8,)))],
        want_admitted=[2],
        want_parked={1: ReasonCode.NO_CAPACITY},
        want_reserved={1: (0, 7200.0, (2,))},
    ),
    Case(
        "a high job that would borrow still waits for a normal one within its quota",
        fleet([pool("a", nodes=3)]),
        tenancy(program("p1", {"H100": 8}, cohort="c"), program("p2", {"H100": 16}, cohort="c")),
        [
            job(8, program="p1", submit=0, id=1, priority=PriorityClass.HIGH),
            job(8, program="p2", submit=1, id=2),
        ],
        running=[("p1", Placement(0, (0,), (8,))), ("p2", Placement(0, (1,), (8,)))],
        want_admitted=[2],
        want_parked={1: ReasonCode.BORROWING_LIMIT},
    ),
    Case(
        "the tree: cohorts compete as wholes before their programs do",
        fleet([pool("a", nodes=3)]),
        tenancy(
            program("p1", {"H100": 8}, cohort="c"),
            program("p2", {"H100": 8}, cohort="c"),
            program("p3", {"H100": 16}),
        ),
        # cohort c: 8 / 16 = 0.5 (though p1 holds nothing); p3, in no cohort: 4 / 16 = 0.25
        [job(8, program="p1", submit=0, id=1), job(8, program="p3", submit=1, id=2)],
        running=[("p2", Placement(0, (0,), (8,))), ("p3", Placement(0, (1,), (4,)))],
        want_admitted=[2],
        want_parked={1: ReasonCode.NO_CAPACITY},
        want_reserved={1: (0, 7200.0, (2,))},
    ),
    Case(
        "the price is the list price at the pool's site, less the reserved discount",
        dataclasses.replace(
            ONE_POOL,
            gpu_models={"H100": dataclasses.replace(H100, price_by_site={"s1": 5000.0})},
        ),
        tenancy(dataclasses.replace(P1.programs["p1"], reserved_discount=0.35)),
        [job(4, id=1)],
        want_admitted=[1],
        want_price={1: (3250.0, 26_000.0)},  # 5,000 x 0.65; x 4 GPUs x 2 h
    ),
    # -- NVLink domains: 8 nodes of 4 GPUs, domains of 16 GPUs (nodes 0-3 and 4-7)
    Case(
        "a gang that fits in an NVLink domain is placed inside one",
        RACKS,
        tenancy(program("p1", {"H100": 32})),
        [job(12, id=1)],
        running=[("p1", Placement(0, (0,), (4,))), ("p1", Placement(0, (1,), (4,)))],
        want_admitted=[1],
        want_nodes={1: (0, (4, 5, 6))},
    ),
    Case(
        "a gang waits for a domain though enough whole nodes are free across domains",
        RACKS,
        tenancy(program("p1", {"H100": 32})),
        [job(12, id=1)],
        running=[
            ("p1", Placement(0, (0,), (4,))),
            ("p1", Placement(0, (1,), (4,))),
            ("p1", Placement(0, (4,), (4,))),
            ("p1", Placement(0, (5,), (4,))),
        ],
        running_until=[100.0, 200.0, 300.0, 400.0],
        want_parked={1: ReasonCode.NVLINK_DOMAIN},
        want_reserved={1: (0, 100.0, (0, 2, 3))},  # domain 0 first has 3 whole nodes free
    ),
    Case(
        "a gang larger than a domain takes the emptiest domains first",
        RACKS,
        tenancy(program("p1", {"H100": 32})),
        [job(20, id=1)],
        running=[("p1", Placement(0, (0,), (1,)))],
        want_admitted=[1],
        want_nodes={1: (0, (4, 5, 6, 7, 1))},
    ),
    # -- failed nodes: quotas shrink with the GPUs out of service
    Case(
        "with half the pool failed, a program's quota is half: it takes its share, not the rest",
        ONE_POOL,
        tenancy(program("p1", {"H100": 8}), program("p2", {"H100": 8})),
        [job(8, program="p1", id=1), job(4, program="p2", submit=1, id=2)],
        down=[(0, 1)],
        want_admitted=[2],
        want_parked={1: ReasonCode.QUOTA},
    ),
    Case(
        "with every node up, the same program may take its whole quota",
        ONE_POOL,
        tenancy(program("p1", {"H100": 8}), program("p2", {"H100": 8})),
        [job(8, program="p1", id=1), job(4, program="p2", submit=1, id=2)],
        want_admitted=[1, 2],
    ),
    # -- placement strategies for a job of one node
    Case(
        "spread puts a small job on the emptiest node",
        ONE_POOL,
        P1,
        [job(2, id=1)],
        running=[("p1", Placement(0, (0,), (6,)))],
        policy_name="fair+place=spread",
        want_admitted=[1],
        want_nodes={1: (0, (1,))},
    ),
    Case(
        "best fit takes the node with 4 free, leaving 3 that no running size uses",
        FRAG,
        FRAG_P,
        [job(1, id=1)],
        running=FRAG_RUNNING,
        want_admitted=[1],
        want_nodes={1: (0, (1,))},
    ),
    Case(
        "frag-aware takes the node with 5 free, leaving 4 that the 4-GPU jobs running can use",
        FRAG,
        FRAG_P,
        [job(1, id=1)],
        running=FRAG_RUNNING,
        policy_name="fair+place=frag-aware",
        want_admitted=[1],
        want_nodes={1: (0, (0,))},
    ),
    # -- heterogeneity: pool 0 is H100 (4,500 KRW), pool 1 is B200 (9,000 KRW)
    Case(
        "a job that takes either model goes where its class runs fastest, by the table",
        dataclasses.replace(
            TWO_MODELS,
            gpu_models={
                "H100": H100,
                "B200": dataclasses.replace(B200, relative_speed={"training": 2.2}),
            },
        ),
        tenancy(program("p1", {"H100": 8, "B200": 8})),
        [job(4, id=1)],
        want_admitted=[1],
        want_nodes={1: (1, (0,))},
    ),
    Case(
        "with no table, the cheaper model",
        dataclasses.replace(TWO_MODELS, pools=tuple(reversed(TWO_MODELS.pools))),
        tenancy(program("p1", {"H100": 8, "B200": 8})),
        [job(4, id=1)],
        want_admitted=[1],
        want_nodes={1: (1, (0,))},
    ),
    Case(
        "at the same price (free for academia), the model with more of its GPUs free",
        TWO_MODELS,
        tenancy(program("p1", {"H100": 8, "B200": 8}, price_fraction={TenantClass.UNIVERSITY: 0})),
        [job(2, id=1)],
        running=[("p1", Placement(0, (0,), (4,)))],
        want_admitted=[1],
        want_nodes={1: (1, (0,))},
    ),
    Case(
        "the table does not move a job that names its model",
        dataclasses.replace(
            TWO_MODELS,
            gpu_models={
                "H100": H100,
                "B200": dataclasses.replace(B200, relative_speed={"training": 2.2}),
            },
        ),
        tenancy(program("p1", {"H100": 8, "B200": 8})),
        [job(4, id=1, models=("H100",))],
        want_admitted=[1],
        want_nodes={1: (0, (0,))},
    ),
    # -- grants: 4 GPUs x 2 h walltime at 4,500 KRW = 36,000 KRW, or 28,800 GPU-seconds
    Case(
        "a grant that covers the walltime pays; the one expiring first",
        ONE_POOL,
        tenancy(
            P1.programs["p1"],
            grants=[grant("late", krw=1e6), grant("soon", krw=1e6, valid_to_h=10)],
        ),
        [job(4, id=1, account="org")],
        want_admitted=[1],
        want_grant={1: ("soon", 36_000)},
    ),
    Case(
        "a KRW grant short of the walltime's price: the job waits for credit",
        ONE_POOL,
        tenancy(P1.programs["p1"], grants=[grant("g", krw=35_999)]),
        [job(4, id=1, account="org")],
        want_parked={1: ReasonCode.GRANT},
    ),
    Case(
        "a GPU-hour grant counts GPU-hours, not KRW",
        ONE_POOL,
        tenancy(P1.programs["p1"], grants=[grant("g", gpu_hours=8)]),
        [job(4, id=1, account="org"), job(4, submit=1, id=2, account="org")],
        want_admitted=[1],
        want_grant={1: ("g", 28_800)},
        want_parked={2: ReasonCode.GRANT},
    ),
    Case(
        "a grant for one GPU model steers the job to a pool of that model",
        fleet([pool("h", model="H100", nodes=1), pool("b", model="B200", nodes=1)]),
        tenancy(
            program("p1", {"H100": 8, "B200": 8}),
            grants=[grant("g", krw=1e6, models=("B200",))],
        ),
        [job(4, id=1, account="org")],
        want_admitted=[1],
        want_nodes={1: (1, (0,))},
        want_grant={1: ("g", 72_000)},
    ),
    Case(
        "a grant not yet open pays for nothing",
        ONE_POOL,
        tenancy(P1.programs["p1"], grants=[grant("g", krw=1e6, valid_from_h=1)]),
        [job(4, id=1, account="org")],
        want_parked={1: ReasonCode.GRANT},
    ),
    Case(
        "an org with no grant of the program is refused",
        ONE_POOL,
        tenancy(P1.programs["p1"], grants=[grant("g", krw=1e6)]),
        [job(4, id=1, org="other", account="other")],
        want_rejected={1: ReasonCode.GRANT},
    ),
    Case(
        "one org's spent grant holds up no other org's job of the same shape",
        ONE_POOL,
        tenancy(
            P1.programs["p1"],
            grants=[grant("a", org="a", krw=0), grant("b", org="b", krw=1e6)],
        ),
        [job(4, id=1, org="a", account="a"), job(4, submit=1, id=2, org="b", account="b")],
        want_admitted=[2],
        want_parked={1: ReasonCode.GRANT},
        want_grant={2: ("b", 36_000)},
    ),
    *SHARE_CASES,
]


def _snapshot(case: Case) -> Snapshot:
    state = ClusterState(case.fleet, case.tenancy, half_life_s=_policy(case).half_life_s)
    for prog, model, gpus, start, end in case.past_use:
        state.add_past_use(prog, model, gpus, start, end)
    for k, (prog, placement) in enumerate(case.running):
        until = case.running_until[k] if k < len(case.running_until) else math.inf
        since = case.running_since[k] if k < len(case.running_since) else None
        prio = case.running_priority[k] if k < len(case.running_priority) else PriorityClass.NORMAL
        state.allocate(
            prog,
            placement,
            job_id=-1 - k,
            until=until,
            start=since,
            preemptible=since is not None,
            priority=prio,
        )
    for k in case.stopping:
        state.stopping[k] = case.now + 60.0
    for pool_index, node in case.down:
        cap = state.capacity[pool_index]
        cap.take_from(node, cap.gpus_per_node)
        state.set_out(state.pool_model[pool_index], cap.gpus_per_node)
    queues = QueueSet()
    for j in sorted(case.pending, key=lambda j: (j.submit_s, j.id)):
        queues.push(j)
    return Snapshot(case.now, state, queues)


def _policy(case: Case) -> Policy:
    return Policy.parse(case.policy_name or case.policy.value)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_decide(case: Case) -> None:
    snap = _snapshot(case)
    decisions = decide(snap, _policy(case))
    admitted = [d.job.id for d in decisions if isinstance(d, Admit)]
    rejected = {d.job.id: d.reason.code for d in decisions if isinstance(d, Reject)}
    done = set(admitted) | set(rejected)
    parked = {
        next(j.id for j in snap.queues.queues[d.key] if j.id not in done): d.reason.code
        for d in decisions
        if isinstance(d, Park)
    }
    assert admitted == case.want_admitted
    assert parked == case.want_parked
    assert rejected == case.want_rejected
    by_id = {d.job.id: d for d in decisions if isinstance(d, Admit)}
    for jid, (want_pool, want_nodes) in case.want_nodes.items():
        assert (by_id[jid].placement.pool, by_id[jid].placement.nodes) == (want_pool, want_nodes)
    assert [j for j, d in by_id.items() if d.borrowed] == case.want_borrowed
    reserved = {
        d.job.id: (d.reservation.pool, d.reservation.start_s, tuple(sorted(d.reservation.nodes)))
        for d in decisions
        if isinstance(d, Reserve)
    }
    assert reserved == case.want_reserved
    assert [d.job_id for d in decisions if isinstance(d, Preempt)] == case.want_preempted
    assert all(d.grace_s == case.want_grace for d in decisions if isinstance(d, Preempt))
    power = {d.job.id: d.power_fraction for d in decisions if isinstance(d, Admit)}
    assert {j: p for j, p in power.items() if p < 1} == pytest.approx(case.want_power)
    paid = {j: (d.grant, d.grant_hold) for j, d in by_id.items() if d.grant is not None}
    assert paid == case.want_grant
    for jid, (price, hold) in case.want_price.items():
        assert (by_id[jid].price_krw_per_gpu_h, by_id[jid].hold_krw) == pytest.approx((price, hold))
    shared = {j: d.placement.shared_gpu for j, d in by_id.items() if d.placement.gpu_share_milli}
    assert shared == case.want_shared_gpu


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_decide_leaves_the_snapshot_as_it_found_it(case: Case) -> None:
    snap = _snapshot(case)
    free_before = [list(c.free) for c in snap.state.capacity]
    usage_before = {p: {m: v for m, v in u.items() if v} for p, u in snap.state.usage.items()}
    mw_before = list(snap.state.site_mw)
    first = decide(snap, _policy(case))
    assert [list(c.free) for c in snap.state.capacity] == free_before
    assert {
        p: {m: v for m, v in u.items() if v} for p, u in snap.state.usage.items()
    } == usage_before
    assert snap.state.site_mw == pytest.approx(mw_before)
    assert decide(snap, _policy(case)) == first


def test_quotas_shrink_with_failed_gpus_and_grow_back() -> None:
    """16 GPUs, two programs of 8 in a cohort: 4 GPUs out leave each 6 (rounded down), the
    cohort 12; back in service, 8 and 16 again."""
    t = tenancy(program("p1", {"H100": 8}, cohort="c"), program("p2", {"H100": 8}, cohort="c"))
    state = ClusterState(ONE_POOL, t)
    state.set_out("H100", 4)
    assert (state.quota["p1"]["H100"], state.quota["p2"]["H100"]) == (6, 6)
    assert state.tree.subtree_quota("c", "H100") == 12
    assert state.tree.nominal_total[state.tree.cohorts["c"]]["H100"] == 16  # fair shares keep it
    state.set_out("H100", -4)
    assert (state.quota["p1"]["H100"], state.tree.subtree_quota("c", "H100")) == (8, 16)
