"""The backends a live server runs jobs on: one per distinct pool binding, found by name.

A job is dispatched to the backend of the pool its placement chose, and that backend's name is
recorded on the job's row; polls and cancels go through the backend of that name. A server
given one backend (a test's mock) runs every pool on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from aigrid.backends import Backend, SupportsLogs
from aigrid.errors import UsageError
from aigrid.model import Binding, Fleet, Pool


class Backends:
    """Backends by name, and which one runs each pool."""

    def __init__(self, by_name: dict[str, Backend], *, only: Backend | None = None) -> None:
        self._by_name = by_name
        self._only = only

    @classmethod
    def single(cls, backend: Backend) -> Backends:
        """One backend for every pool, recorded under its own name."""
        return cls({backend.name: backend}, only=backend)

    @classmethod
    def for_fleet(cls, fleet: Fleet, make: Callable[[Binding], Backend]) -> Backends:
        """A backend made for each distinct binding of the fleet's pools."""
        bindings: dict[str, Binding] = {}
        for pool in fleet.pools:
            seen = bindings.setdefault(pool.backend.name, pool.backend)
            if seen != pool.backend:
                raise UsageError(
                    f"pool {pool.id}: its backend {pool.backend.name!r} is bound differently "
                    "by another pool; pools on one backend must bind it alike"
                )
        return cls({name: make(b) for name, b in bindings.items()})

    def of_pool(self, pool: Pool) -> tuple[str, Backend]:
        """The name and backend of the pool's binding."""
        if self._only is not None:
            return self._only.name, self._only
        return pool.backend.name, self._by_name[pool.backend.name]

    def named(self, name: str | None) -> Backend | None:
        """The backend recorded on a job row (with one backend: that one, whatever the name)."""
        if self._only is not None:
            return self._only
        return self._by_name.get(name) if name is not None else None

    def __iter__(self) -> Iterator[tuple[str, Backend]]:
        return iter(self._by_name.items())

    @property
    def keep_logs(self) -> bool:
        return any(isinstance(b, SupportsLogs) for b in self._by_name.values())

    def logs(self, name: str | None, handle: str, max_bytes: int) -> str | None:
        """The tail of a run's output from the backend it ran on, if that backend keeps it."""
        backend = self.named(name)
        if isinstance(backend, SupportsLogs):
            return backend.logs(handle, max_bytes)
        return None
