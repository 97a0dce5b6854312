"""What a job pays per GPU-hour: the GPU model's list price times its program's fraction for the
job's tenant class (scenario facts §3.5 and §4: academia 0, SMEs 5-10 % of list)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aigrid.model.fleet import Fleet, GpuModel
from aigrid.model.tenancy import Program, TenantClass

S_PER_H = 3600.0


@dataclass(frozen=True, slots=True)
class GpuHourPrice:
    """A price per GPU-hour and how it is made up."""

    gpu_model: str
    program: str
    tenant_class: TenantClass
    list_krw_per_gpu_h: float
    fraction: float
    """The program's price fraction for the tenant class (1.0 where the program names none)."""
    krw_per_gpu_h: float


def gpu_hour_price(model: GpuModel, program: Program, tenant_class: TenantClass) -> GpuHourPrice:
    """The price per GPU-hour a job of `tenant_class` pays on `model` through `program`."""
    fraction = program.price_fraction_for(tenant_class)
    if not fraction >= 0:
        raise ValueError(f"program {program.id!r}: price fraction {fraction} for {tenant_class}")
    return GpuHourPrice(
        gpu_model=model.name,
        program=program.id,
        tenant_class=tenant_class,
        list_krw_per_gpu_h=model.list_price_krw_per_gpu_h,
        fraction=fraction,
        krw_per_gpu_h=model.list_price_krw_per_gpu_h * fraction,
    )


def charge_krw(krw_per_gpu_h: float, gpus: int, seconds: float) -> float:
    """KRW for `gpus` GPUs held for `seconds` at `krw_per_gpu_h`.

    Compute a job's hold (for its walltime) and its settlement (for its runtime) with this same
    function, so that equal durations give bit-equal amounts."""
    return krw_per_gpu_h * gpus * seconds / S_PER_H


class PriceList:
    """Every price per GPU-hour of a scenario, computed once, looked up in O(1) by pool index.

    `krw_per_gpu_h(pool, program, tenant_class)` is a dict lookup; `quote` gives the breakdown.
    Unknown programs raise `KeyError`.
    """

    __slots__ = ("_pool_model", "_quotes")

    def __init__(self, fleet: Fleet, programs: Mapping[str, Program]) -> None:
        self._pool_model = tuple(p.gpu_model for p in fleet.pools)
        models = {p.gpu_model for p in fleet.pools}
        self._quotes: dict[tuple[str, str, TenantClass], GpuHourPrice] = {
            (m, prog.id, tc): gpu_hour_price(fleet.gpu_models[m], prog, tc)
            for m in models
            for prog in programs.values()
            for tc in TenantClass
        }

    def quote(self, pool: int, program: str, tenant_class: TenantClass) -> GpuHourPrice:
        """The price per GPU-hour on pool `pool` (fleet index), with its breakdown. O(1)."""
        return self._quotes[(self._pool_model[pool], program, tenant_class)]

    def krw_per_gpu_h(self, pool: int, program: str, tenant_class: TenantClass) -> float:
        """The price per GPU-hour on pool `pool` (fleet index). O(1)."""
        return self._quotes[(self._pool_model[pool], program, tenant_class)].krw_per_gpu_h
