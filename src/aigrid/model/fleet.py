"""The physical side of a grid: GPU models, sites, owners and pools.

Capacity is described by counts, not by objects: a pool says how many nodes it has and how many
GPUs each node carries. Node identity is a pair (pool index, node index), so a fleet of 260,000
GPUs is a few dozen `Pool` values, never a quarter of a million Python objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple


class Zone(StrEnum):
    """Where data may go: sovereign-zone pools can take jobs flagged as sovereign data."""

    SOVEREIGN = "sovereign"
    COMMERCIAL = "commercial"


@dataclass(frozen=True, slots=True)
class GpuModel:
    """One kind of accelerator, with what the meters and the price list need to know about it.

    Power is split into the board's draw (busy or idle) and the GPU's share of its host (CPU, NIC,
    fans, switches), which is drawn whenever the node is powered, busy or not.
    """

    name: str
    memory_gb: float
    busy_w: float
    idle_w: float
    host_w: float
    list_price_krw_per_gpu_h: float
    price_by_site: Mapping[str, float] = field(default_factory=dict)
    """List price per GPU-hour at the sites where it differs from `list_price_krw_per_gpu_h`
    (a site with dearer power or land, a cloud with its own price list)."""

    relative_speed: Mapping[str, float] = field(default_factory=dict)
    """How fast a job class runs on this model, relative to the scenario's reference model
    (1.0 where not given): a throughput table in Gavel's manner, by job class."""

    def list_price_at(self, site: str) -> float:
        return self.price_by_site.get(site, self.list_price_krw_per_gpu_h)

    def speed_for(self, job_class: str) -> float:
        return self.relative_speed.get(job_class, 1.0)

    @property
    def busy_it_w(self) -> float:
        """IT power of one busy GPU with its host share, before the site's PUE."""
        return self.busy_w + self.host_w

    @property
    def idle_it_w(self) -> float:
        """IT power of one idle GPU with its host share, before the site's PUE."""
        return self.idle_w + self.host_w


@dataclass(frozen=True, slots=True)
class Owner:
    """Who owns pools: the government, an industrial group, a cloud provider."""

    id: str
    name: str
    kind: str = "industrial"


@dataclass(frozen=True, slots=True)
class Site:
    """One data centre, with the grid connection that bounds what it may draw."""

    id: str
    region: str
    grid_cap_mw: float
    pue: float
    zone: Zone
    tariff: str
    operator: str = ""
    carbon_g_per_kwh: float | None = None
    """Effective grid carbon intensity where the site differs from the national figure (PPA)."""


@dataclass(frozen=True, slots=True)
class Binding:
    """Where a pool's jobs run: a backend's `kind` (`local`, `slurm`, `ray`), the `name` its runs
    are recorded under (`local`, `slurm:CLUSTER/PARTITION`, `ray:ADDRESS`), and the `options`
    the backend needs to reach it (for Slurm: cluster, partition, the path of slurm.conf ...).

    Pools with equal bindings share one backend. The scheduler never reads a binding: it places
    jobs on pools, and the live loop sends each job to the backend of the pool it was placed on.
    """

    kind: str = "local"
    name: str = "local"
    options: tuple[tuple[str, str], ...] = ()
    """(key, value) pairs, kept sorted by key so that equal bindings compare equal."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", tuple(sorted(self.options)))

    def option(self, key: str) -> str | None:
        for k, v in self.options:
            if k == key:
                return v
        return None


LOCAL_BINDING = Binding()
"""This machine, through the local executor: every pool's backend unless its scenario says."""


@dataclass(frozen=True, slots=True)
class Pool:
    """A homogeneous set of nodes at one site, owned by one owner, run by one backend.

    `cpu_milli` and `memory_mib` are each node's CPU (milli-cores) and memory (MiB) where the
    pool tracks them; 0 tracks none, and then jobs' CPU and memory asks never hold them up."""

    id: str
    site: str
    gpu_model: str
    gpus_per_node: int
    nodes: int
    nvlink_domain: int
    owner: str
    backend: Binding = LOCAL_BINDING
    rack_nodes: int = 0
    """Nodes per rack, racks being runs of consecutive nodes, each a whole number of NVLink
    domains; 0: not declared (the scheduler then knows no racks)."""
    block_racks: int = 0
    """Racks per block (the racks under one spine), blocks being runs of consecutive racks;
    0: not declared. Only with `rack_nodes`."""
    cpu_milli: int = 0
    memory_mib: int = 0

    @property
    def gpus(self) -> int:
        return self.gpus_per_node * self.nodes


class NodeRef(NamedTuple):
    """A node named by its pool's index in the fleet and its row in that pool."""

    pool: int
    node: int


@dataclass(frozen=True, slots=True)
class Fleet:
    """All capacity of a scenario. Pools are ordered: a pool's index is its id in hot paths."""

    gpu_models: Mapping[str, GpuModel]
    owners: Mapping[str, Owner]
    sites: Mapping[str, Site]
    pools: tuple[Pool, ...]
    _pool_index: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_pool_index", {p.id: i for i, p in enumerate(self.pools)})

    @property
    def gpus(self) -> int:
        return sum(p.gpus for p in self.pools)

    @property
    def nodes(self) -> int:
        return sum(p.nodes for p in self.pools)

    def pool_index(self, pool_id: str) -> int:
        return self._pool_index[pool_id]

    def gpus_by_owner(self) -> dict[str, int]:
        out: dict[str, int] = {o: 0 for o in self.owners}
        for p in self.pools:
            out[p.owner] = out.get(p.owner, 0) + p.gpus
        return out

    def gpus_by_site(self) -> dict[str, int]:
        out: dict[str, int] = {s: 0 for s in self.sites}
        for p in self.pools:
            out[p.site] += p.gpus
        return out

    def site_power_mw(self, site_id: str, busy: bool) -> float:
        """Facility power of a site with every GPU idle (`busy=False`) or busy, PUE included."""
        site = self.sites[site_id]
        watts = 0.0
        for p in self.pools:
            if p.site != site_id:
                continue
            model = self.gpu_models[p.gpu_model]
            watts += p.gpus * (model.busy_it_w if busy else model.idle_it_w)
        return watts * site.pue / 1e6
