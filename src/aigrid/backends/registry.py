"""Which backend runs a pool: one constructor per kind of binding, in one table.

A pool's `Binding` names a kind (`local`, `slurm`, `ray`) and the options that kind needs;
`make_backend` finds the kind's factory in `FACTORIES` and builds the backend. A new kind of
backend plugs in by adding its factory to `FACTORIES` (and its binding to the scenario schema,
`aigrid.scenario.schema.BackendSpec`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from aigrid.backends.base import Backend
from aigrid.backends.local import LocalExecutor
from aigrid.backends.ray import RayBackend
from aigrid.backends.slurm import TIMEOUT_S, SlurmBackend
from aigrid.errors import UsageError
from aigrid.model import Binding


@dataclass(frozen=True, slots=True)
class BackendContext:
    """What a server gives every backend it makes."""

    jobs_dir: Path
    """Where backends keep their files: the local executor's job directories, and the output
    of jobs on other backends unless their binding names a directory of its own."""


BackendFactory = Callable[[Binding, BackendContext], Backend]


def _local(binding: Binding, ctx: BackendContext) -> Backend:
    return LocalExecutor(ctx.jobs_dir)


def _slurm(binding: Binding, ctx: BackendContext) -> Backend:
    output = binding.option("output_dir")
    timeout = binding.option("timeout_s")
    return SlurmBackend(
        option(binding, "partition"),
        Path(output) if output else ctx.jobs_dir / re.sub(r"[^\w.-]+", "-", binding.name),
        name=binding.name,
        cluster=binding.option("cluster"),
        slurm_conf=binding.option("slurm_conf"),
        timeout_s=float(timeout) if timeout else TIMEOUT_S,
    )


def _ray(binding: Binding, ctx: BackendContext) -> Backend:
    return RayBackend(option(binding, "address"), name=binding.name)


FACTORIES: Mapping[str, BackendFactory] = MappingProxyType(
    {
        "local": _local,
        "slurm": _slurm,
        "ray": _ray,
    }
)
"""Kind of binding -> how to build its backend."""


def make_backend(
    binding: Binding, ctx: BackendContext, factories: Mapping[str, BackendFactory] = FACTORIES
) -> Backend:
    """The backend for pools bound by `binding`."""
    factory = factories.get(binding.kind)
    if factory is None:
        raise UsageError(
            f"backend {binding.name!r}: no backend of kind {binding.kind!r} here "
            f"(kinds: {', '.join(sorted(factories))})"
        )
    return factory(binding, ctx)


def option(binding: Binding, key: str) -> str:
    """A required option of the binding."""
    value = binding.option(key)
    if value is None:
        raise UsageError(f"backend {binding.name!r}: its binding needs {key!r}")
    return value
