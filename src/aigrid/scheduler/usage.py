"""Usage history for fair sharing: GPU-seconds of use, decayed with a half-life.

The decayed usage of a key (a program, or a cohort, on one GPU model) at time t is

    H(t) = integral over s <= t of g(s) * 2^(-(t - s) / half_life) ds

where g(s) is the number of GPUs the key held at s: GPU-seconds, each counting half as much one
half-life later (Slurm's `PriorityDecayHalfLife`, applied continuously). It is kept in O(1) per
change: per key, its value `h0` at a reference time `t0` and the GPUs `g` held since then, so that

    H(t) = h0 * d + g * mean_life * (1 - d),   d = 2^(-(t - t0) / half_life),

with `mean_life = half_life / ln 2` (the integral of the decay over all time). Divided by the
mean life, H is a number of GPUs: the decayed mean of what the key held, so a key that has held
g GPUs for ever has a decayed mean of exactly g.
"""

from __future__ import annotations

import math
from collections.abc import Hashable

DEFAULT_HALF_LIFE_S = 7 * 86400.0
"""Slurm's default `PriorityDecayHalfLife`: 7 days."""


class DecayedUsage:
    """Decayed GPU-seconds per key, with running GPUs accruing continuously (see the module).

    Times must not go backwards for a key: a change or an interval given before the key's
    reference time counts as if at that time.
    """

    __slots__ = ("_rate", "_records", "half_life_s", "mean_life_s")

    def __init__(self, half_life_s: float) -> None:
        if not half_life_s > 0 or math.isinf(half_life_s):
            raise ValueError(f"a half-life must be positive and finite, not {half_life_s!r}")
        self.half_life_s = half_life_s
        self._rate = math.log(2.0) / half_life_s
        self.mean_life_s = 1.0 / self._rate
        """How long a GPU-second keeps counting, on average: half-life / ln 2."""
        self._records: dict[Hashable, list[float]] = {}
        """key -> [t0, h0, g]: the decayed GPU-seconds h0 at t0, and the GPUs held since."""

    def gpu_seconds(self, key: Hashable, now: float) -> float:
        """H(now): the key's decayed GPU-seconds (0 for a key never seen)."""
        r = self._records.get(key)
        if r is None:
            return 0.0
        t0, h0, g = r
        if now <= t0:
            return h0
        x = -self._rate * (now - t0)
        return h0 * math.exp(x) - g * self.mean_life_s * math.expm1(x)

    def mean_gpus(self, key: Hashable, now: float) -> float:
        """H(now) / mean life: the decayed mean number of GPUs the key held."""
        return self.gpu_seconds(key, now) * self._rate

    def held(self, key: Hashable) -> float:
        """The GPUs the key holds now, as told by `change`."""
        r = self._records.get(key)
        return 0.0 if r is None else r[2]

    def change(self, key: Hashable, gpus: float, now: float) -> None:
        """The key's GPUs held change by `gpus` at `now`."""
        r = self._records.get(key)
        if r is None:
            self._records[key] = [now, 0.0, gpus]
            return
        if now > r[0]:
            r[1] = self.gpu_seconds(key, now)
            r[0] = now
        r[2] += gpus

    def add(self, key: Hashable, gpus: float, start: float, end: float) -> None:
        """Count `gpus` held from `start` to `end` (use that `change` did not see, such as a
        finished job the live store remembers). The interval is decayed to the key's reference
        time, or brings that time forward to `end`."""
        if end <= start:
            return
        r = self._records.get(key)
        if r is None:
            r = self._records[key] = [end, 0.0, 0.0]
        elif end > r[0]:
            r[1] = self.gpu_seconds(key, end)
            r[0] = end
        t0 = r[0]
        # gpus * integral over [start, end] of 2^(-(t0 - s) / half_life) ds
        near = math.exp(-self._rate * (t0 - end))
        far = math.exp(-self._rate * (t0 - start))
        r[1] += gpus * self.mean_life_s * (near - far)
