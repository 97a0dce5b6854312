"""What a job pays per GPU-hour: the GPU model's list price at the site, less its program's
reserved discount, times the program's fraction for the job's tenant class (scenario facts §3.5
and §4: reserved -35%, academia 0, SMEs 5-10 % of list).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from aigrid.model.fleet import Fleet, GpuModel
from aigrid.model.tenancy import Program, TenantClass

S_PER_H: Final = 3600.0


@dataclass(frozen=True, slots=True)
class GpuHourPrice:
    """A price per GPU-hour and how it is made up."""

    gpu_model: str
    program: str
    tenant_class: TenantClass
    list_krw_per_gpu_h: float
    """The model's list price at the site."""
    fraction: float
    """The program's price fraction for the tenant class (1.0 where the program names none)."""
    krw_per_gpu_h: float
    site: str | None = None
    reserved_discount: float = 0.0


def gpu_hour_price(
    model: GpuModel, program: Program, tenant_class: TenantClass, site: str | None = None
) -> GpuHourPrice:
    """The price per GPU-hour a job of `tenant_class` pays on `model` at `site` through
    `program`."""
    fraction = program.price_fraction_for(tenant_class)
    if not fraction >= 0:
        raise ValueError(f"program {program.id!r}: price fraction {fraction} for {tenant_class}")
    discount = program.reserved_discount
    if not 0 <= discount <= 1:
        raise ValueError(f"program {program.id!r}: reserved discount {discount} not in [0, 1]")
    listed = model.list_price_krw_per_gpu_h if site is None else model.list_price_at(site)
    return GpuHourPrice(
        gpu_model=model.name,
        program=program.id,
        tenant_class=tenant_class,
        list_krw_per_gpu_h=listed,
        fraction=fraction,
        krw_per_gpu_h=listed * (1.0 - discount) * fraction,
        site=site,
        reserved_discount=discount,
    )


def charge_krw(krw_per_gpu_h: float, gpus: float, seconds: float) -> float:
    """KRW for `gpus` GPUs held for `seconds` at `krw_per_gpu_h` (a share of one GPU: its
    fraction, as `Placement.gpu_amount` counts it).

    Compute a job's hold (for its walltime) and its settlement (for its runtime) with this same
    function, so that equal durations give bit-equal amounts."""
    return krw_per_gpu_h * gpus * seconds / S_PER_H


class PriceList:
    """Every price per GPU-hour of a scenario, computed once, looked up in O(1) by pool index.

    `krw_per_gpu_h(pool, program, tenant_class)` is a dict lookup; `quote` gives the breakdown.
    Unknown programs raise `KeyError`.
    """

    __slots__ = ("_krw", "_pool_where", "_quotes")

    def __init__(self, fleet: Fleet, programs: Mapping[str, Program]) -> None:
        self._pool_where = tuple((p.site, p.gpu_model) for p in fleet.pools)
        self._quotes: dict[tuple[str, str, str, TenantClass], GpuHourPrice] = {
            (site, m, prog.id, tc): gpu_hour_price(fleet.gpu_models[m], prog, tc, site)
            for site, m in set(self._pool_where)
            for prog in programs.values()
            for tc in TenantClass
        }
        self._krw: list[dict[str, dict[str, float]]] = []
        """Per pool, per program, per tenant class: the price. Nested by strings, whose
        hashes are cached, so that the scheduler's look-up per pool tried builds nothing."""
        for site, m in self._pool_where:
            self._krw.append(
                {
                    prog.id: {
                        str(tc): self._quotes[(site, m, prog.id, tc)].krw_per_gpu_h
                        for tc in TenantClass
                    }
                    for prog in programs.values()
                }
            )

    def quote(self, pool: int, program: str, tenant_class: TenantClass) -> GpuHourPrice:
        """The price per GPU-hour on pool `pool` (fleet index), with its breakdown. O(1)."""
        return self._quotes[(*self._pool_where[pool], program, tenant_class)]

    def krw_per_gpu_h(self, pool: int, program: str, tenant_class: TenantClass) -> float:
        """The price per GPU-hour on pool `pool` (fleet index). O(1)."""
        return self._krw[pool][program][tenant_class]
