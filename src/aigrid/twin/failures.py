"""Node failures for the twin: when the next one comes, which node it hits, how long it is out.

Failures form one Poisson process over the fleet, at `interruptions_per_gpu_day` times the
fleet's GPUs. Each picks a node with probability proportional to its GPUs, weighted so that
the lemon nodes (chosen once, at random, per run) take `lemon_fault_share` of all failures.
Everything is drawn from the run's seed, on a stream of its own, so switching failures on does
not change the demand.
"""

from __future__ import annotations

import hashlib
from typing import Final, Protocol

import numpy as np

from aigrid.model import Fleet, Reliability

_DAY_S: Final = 86400.0


def _stream_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "little")


class Failures(Protocol):
    """What the world asks of its failures (a test may stand in its own)."""

    def next_after(self, t: float) -> float:
        """When the next failure after `t` comes (infinity: never)."""
        ...

    def pick_node(self) -> tuple[int, int]:
        """The (pool, node) the failure hits."""
        ...

    def outage_s(self) -> float:
        """How long the node is out."""
        ...


class FailureProcess:
    def __init__(self, fleet: Fleet, reliability: Reliability, seed: int) -> None:
        self.reliability = reliability
        seq = np.random.SeedSequence([seed, _stream_key("node-failures")])
        self._rng = np.random.Generator(np.random.PCG64(seq))
        gpn = np.concatenate(
            [np.full(p.nodes, p.gpus_per_node, dtype=np.float64) for p in fleet.pools]
        )
        self._pool_of = np.concatenate(
            [np.full(p.nodes, i, dtype=np.int64) for i, p in enumerate(fleet.pools)]
        )
        self._node_of = np.concatenate([np.arange(p.nodes, dtype=np.int64) for p in fleet.pools])
        n = len(gpn)
        n_lemon = round(reliability.lemon_node_fraction * n)
        lemon = np.zeros(n, dtype=bool)
        if 0 < n_lemon < n:
            lemon[self._rng.choice(n, size=n_lemon, replace=False)] = True
        share = reliability.lemon_fault_share
        weight = gpn.copy()
        if lemon.any() and (~lemon).any():
            weight[lemon] *= share / gpn[lemon].sum()
            weight[~lemon] *= (1 - share) / gpn[~lemon].sum()
        self.lemon = lemon
        self._cum = np.cumsum(weight)
        self.rate_per_s = reliability.interruptions_per_gpu_day * float(gpn.sum()) / _DAY_S

    def next_after(self, t: float) -> float:
        """Time of the next failure after `t` (inf if failures are off)."""
        if self.rate_per_s <= 0:
            return float("inf")
        return t + float(self._rng.exponential(1.0 / self.rate_per_s))

    def pick_node(self) -> tuple[int, int]:
        """The (pool, node) the failure hits."""
        x = float(self._rng.random()) * float(self._cum[-1])
        i = int(np.searchsorted(self._cum, x, side="right"))
        i = min(i, len(self._cum) - 1)
        return int(self._pool_of[i]), int(self._node_of[i])

    def outage_s(self) -> float:
        """How long the node stays out: the restart overhead if an automatic retry works,
        else the repair time."""
        r = self.reliability
        if float(self._rng.random()) < r.auto_retry_success:
            return r.restart_overhead_min * 60.0
        return r.repair_h * 3600.0
