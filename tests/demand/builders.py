"""Demand streams for tests, with sensible defaults and keyword overrides."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aigrid.model import (
    Arrivals,
    Choice,
    DemandStream,
    Job,
    JobClass,
    LogNormal,
    Program,
    TenantClass,
)

PROGRAMS: Mapping[str, Program] = {
    p: Program(id=p, name=p, budget_krw=1e9, quota={"H100": 64}, owners=("gov",))
    for p in ("gov_gpu_pool", "nipa", "own")
}


def stream(id: str = "s", **overrides: Any) -> DemandStream:
    """A university training stream of 200 offered GPUs, small jobs of a few hours."""
    fields: dict[str, Any] = {
        "id": id,
        "tenant_class": TenantClass.UNIVERSITY,
        "program": "gov_gpu_pool",
        "job_class": JobClass.TRAINING,
        "gpus": 200.0,
        "size": Choice((1, 2, 4, 8, 16), (0.4, 0.2, 0.2, 0.15, 0.05)),
        "runtime": LogNormal(median_h=2.0, p90_h=12.0, short_fraction=0.3),
        "arrivals": Arrivals(peak_hour=14.0, peak_to_trough=2.0, weekend_factor=0.5),
        "orgs": 20,
    }
    fields.update(overrides)
    return DemandStream(**fields)


def fingerprint(jobs: Sequence[Job]) -> list[tuple[object, ...]]:
    """Everything the generator sets, except the id (which depends on the other streams)."""
    return [
        (
            j.org,
            j.program,
            j.tenant_class,
            j.job_class,
            j.gpus,
            j.walltime_s,
            j.submit_s,
            j.runtime_s,
            j.gpu_models,
            j.sovereign,
            j.preemptible,
        )
        for j in jobs
    ]


def of_stream(jobs: Sequence[Job], stream_id: str) -> list[Job]:
    return [j for j in jobs if j.org.startswith(f"{stream_id}-")]
