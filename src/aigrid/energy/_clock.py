"""An hourly rate on the simulated time axis, integrated in O(1).

Prices and carbon intensities are constant within a calendar hour. Simulated second 0 is a
calendar moment (`Scenario.start`, naive local time); calendar hour k (k = 0 is the hour that
contains second 0) covers simulated seconds [3600 k - o, 3600 (k + 1) - o), where o is how far
into its hour second 0 falls. The integral of a piecewise-constant rate is piecewise linear, so
one prefix sum over hours answers any interval with two lookups.

Korea keeps no daylight saving time, so calendar hours are plain 3600-second steps.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

HOUR_S: Final = 3600.0

DayValues = Callable[[date], Sequence[float]]
"""The 24 hourly values (hour 0 to 23) of one calendar day."""


def parse_start(start: str | datetime) -> datetime:
    """The calendar moment of simulated second 0, from an ISO string or a naive datetime."""
    when = datetime.fromisoformat(start) if isinstance(start, str) else start
    if when.tzinfo is not None:
        raise ValueError(f"start {when.isoformat()} must be naive local time, without a zone")
    return when


class HourlyClock:
    """Hourly values from a calendar start, with their O(1) time integral.

    `values_of_day` gives a day's 24 values (e.g. KRW/kWh); `per_value_s` turns value x seconds
    into the integral's unit for 1 MW (e.g. 1000/3600 turns KRW/kWh x s into KRW per MW).
    Tables are computed up to `horizon_s` at construction and grown on demand past it, so a
    query beyond the horizon is slower once, never wrong. Negative times raise `ValueError`.
    """

    __slots__ = (
        "_arrays",
        "_cum",
        "_day0",
        "_hour0",
        "_n",
        "_offset_s",
        "_per_value_s",
        "_rate",
        "_value",
        "_values_of_day",
        "start",
    )

    def __init__(
        self,
        start: str | datetime,
        horizon_s: float,
        values_of_day: DayValues,
        per_value_s: float,
    ) -> None:
        if not 0 <= horizon_s < math.inf:
            raise ValueError(f"horizon_s must be finite and >= 0, got {horizon_s}")
        self.start = parse_start(start)
        self._day0 = self.start.date()
        self._hour0 = self.start.hour
        self._offset_s = self.start.minute * 60.0 + self.start.second + self.start.microsecond / 1e6
        self._values_of_day = values_of_day
        self._per_value_s = per_value_s
        self._value: list[float] = []
        self._rate: list[float] = []
        self._cum: list[float] = [0.0]
        self._n = 0
        self._arrays: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None
        self._grow(int((horizon_s + self._offset_s) / HOUR_S))

    def _grow(self, k: int) -> None:
        """Extend the tables so that hour index k exists (whole days at a time)."""
        while self._n <= k:
            day_index = (self._hour0 + self._n) // 24
            day = self._day0 + timedelta(days=day_index)
            values = self._values_of_day(day)
            if len(values) != 24:
                raise ValueError(f"{day}: expected 24 hourly values, got {len(values)}")
            first = self._hour0 if day_index == 0 else 0
            for v in values[first:]:
                r = float(v) * self._per_value_s
                self._value.append(float(v))
                self._rate.append(r)
                self._cum.append(self._cum[-1] + r * HOUR_S)
            self._n = len(self._rate)
        self._arrays = None

    def hour_index(self, t: float) -> int:
        """The calendar hour (0 = the hour holding second 0) that simulated second t falls in."""
        if t < 0:
            raise ValueError(f"time {t} is before simulated second 0")
        return int((t + self._offset_s) / HOUR_S)

    def calendar(self, t: float) -> datetime:
        """The calendar moment of simulated second t (microsecond resolution)."""
        return self.start + timedelta(seconds=t)

    def value_at(self, t: float) -> float:
        """The hourly value in force at simulated second t. O(1)."""
        k = self.hour_index(t)
        if k >= self._n:
            self._grow(k)
        return self._value[k]

    def integral(self, t0: float, t1: float) -> float:
        """The integral of the rate over [t0, t1] for 1 MW (negative if t1 < t0). O(1)."""
        if t0 < 0 or t1 < 0:
            raise ValueError(f"interval [{t0}, {t1}] starts before simulated second 0")
        u0 = t0 + self._offset_s
        u1 = t1 + self._offset_s
        k0 = int(u0 / HOUR_S)
        k1 = int(u1 / HOUR_S)
        if k0 >= self._n or k1 >= self._n:
            self._grow(max(k0, k1))
        rate = self._rate
        cum = self._cum
        return (cum[k1] + rate[k1] * (u1 - k1 * HOUR_S)) - (cum[k0] + rate[k0] * (u0 - k0 * HOUR_S))

    def integral_many(self, t0: ArrayLike, t1: ArrayLike) -> NDArray[np.float64]:
        """`integral` over arrays of intervals at once (numpy, O(n))."""
        a = np.asarray(t0, dtype=np.float64) + self._offset_s
        b = np.asarray(t1, dtype=np.float64) + self._offset_s
        if a.size == 0 and b.size == 0:
            return np.zeros(np.broadcast_shapes(a.shape, b.shape))
        if min(a.min(), b.min()) < self._offset_s:
            raise ValueError("an interval starts before simulated second 0")
        ka = (a // HOUR_S).astype(np.int64)
        kb = (b // HOUR_S).astype(np.int64)
        top = int(max(ka.max(), kb.max()))
        if top >= self._n:
            self._grow(top)
        if self._arrays is None:
            self._arrays = (np.asarray(self._rate), np.asarray(self._cum))
        rate, cum = self._arrays
        fb = cum[kb] + rate[kb] * (b - kb * HOUR_S)
        fa = cum[ka] + rate[ka] * (a - ka * HOUR_S)
        result: NDArray[np.float64] = fb - fa
        return result
