"""The fleet in the store: written from a scenario on start, read back by the scheduling loop."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from aigrid.errors import UsageError
from aigrid.live.store.models import GpuModelRow, JobRow, NodeRow, OwnerRow, PoolRow, SiteRow
from aigrid.model import Binding, Fleet, GpuModel, JobState, Owner, Pool, Site, Zone


def load_fleet(session: Session) -> Fleet | None:
    """The stored fleet, or None if none was stored yet."""
    pools = session.scalars(select(PoolRow).order_by(PoolRow.position)).all()
    if not pools:
        return None
    models = {
        m.name: GpuModel(
            m.name, m.memory_gb, m.busy_w, m.idle_w, m.host_w, m.list_price_krw_per_gpu_h
        )
        for m in session.scalars(select(GpuModelRow))
    }
    owners = {o.id: Owner(o.id, o.name, o.kind) for o in session.scalars(select(OwnerRow))}
    sites = {
        s.id: Site(
            s.id,
            s.region,
            s.grid_cap_mw,
            s.pue,
            Zone(s.zone),
            s.tariff,
            s.operator,
            s.carbon_g_per_kwh,
        )
        for s in session.scalars(select(SiteRow).order_by(SiteRow.id))
    }
    return Fleet(
        gpu_models=models,
        owners=owners,
        sites=sites,
        pools=tuple(
            Pool(
                p.id,
                p.site,
                p.gpu_model,
                p.gpus_per_node,
                p.nodes,
                p.nvlink_domain,
                p.owner,
                Binding(p.backend, p.backend_name, tuple(p.backend_options.items())),
                p.rack_nodes,
                p.block_racks,
                p.cpu_milli,
                p.memory_mib,
            )
            for p in pools
        ),
    )


def save_fleet(session: Session, fleet: Fleet, backend: str | None = None) -> bool:
    """Make the stored fleet `fleet`, each pool with its backend binding (or, with `backend`,
    every pool bound to a backend of that name: a test's mock). Returns whether anything changed.

    A different fleet (bindings included) replaces the stored one only while no job holds a
    placement on it."""
    if backend is not None:
        binding = Binding(backend, backend)
        fleet = replace(fleet, pools=tuple(replace(p, backend=binding) for p in fleet.pools))
    stored = load_fleet(session)
    if stored is not None and stored == fleet:
        return False
    if stored is not None:
        placed = session.scalar(
            select(func.count()).select_from(JobRow).where(JobRow.state == JobState.RUNNING.value)
        )
        if placed:
            raise UsageError(
                f"the store's fleet differs from the one given, and {placed} jobs are running on "
                "it; start with the same fleet, or wait until they end"
            )
        for table in (NodeRow, PoolRow, SiteRow, OwnerRow, GpuModelRow):
            session.execute(delete(table))
        session.flush()
    session.add_all(
        GpuModelRow(
            name=m.name,
            memory_gb=m.memory_gb,
            busy_w=m.busy_w,
            idle_w=m.idle_w,
            host_w=m.host_w,
            list_price_krw_per_gpu_h=m.list_price_krw_per_gpu_h,
        )
        for m in fleet.gpu_models.values()
    )
    session.add_all(OwnerRow(id=o.id, name=o.name, kind=o.kind) for o in fleet.owners.values())
    session.add_all(
        SiteRow(
            id=s.id,
            region=s.region,
            grid_cap_mw=s.grid_cap_mw,
            pue=s.pue,
            zone=s.zone.value,
            tariff=s.tariff,
            operator=s.operator,
            carbon_g_per_kwh=s.carbon_g_per_kwh,
        )
        for s in fleet.sites.values()
    )
    session.flush()
    session.add_all(
        PoolRow(
            id=p.id,
            position=i,
            site=p.site,
            gpu_model=p.gpu_model,
            gpus_per_node=p.gpus_per_node,
            nodes=p.nodes,
            nvlink_domain=p.nvlink_domain,
            owner=p.owner,
            backend=p.backend.kind,
            backend_name=p.backend.name,
            backend_options=dict(p.backend.options),
            rack_nodes=p.rack_nodes,
            block_racks=p.block_racks,
            cpu_milli=p.cpu_milli,
            memory_mib=p.memory_mib,
        )
        for i, p in enumerate(fleet.pools)
    )
    session.flush()
    session.execute(
        insert(NodeRow),
        [
            {"pool": p.id, "index": n, "name": f"{p.id}-{n:05d}"}
            for p in fleet.pools
            for n in range(p.nodes)
        ],
    )
    return True
