"""Microsoft Philly (2017), the job list derived from msr-fiddle/philly-traces.

Columns (`philly.csv`): `timestamp` (submission, `YYYY-MM-DD HH:MM:SS`, naive local time of the
trace), `duration` (seconds the job ran), `num_gpus`, `gpu_time` (= duration x num_gpus, checked),
`cluster` (the hashed id of the virtual cluster, VC, that ran the job).

Mapping to jobs:

* one program, and one org, per virtual cluster: `vc-<id>`;
* tenant class `research`, job class `training` (the trace is of first-party DNN training jobs);
* runtime = `duration`; the list records no requested time, so walltime = `OVERASK` x runtime;
* a row with 0 GPUs or a duration of 0 is excluded under that reason (the derived list has none).

The fleet (`philly_scenario`): the public trace lists its machines in `cluster_machine_list`
(552 machines: 231 with 8 GPUs of 24 GB and 321 with 2 GPUs of 12 GB, 2,490 GPUs in all), and
that is the default shape, `PhillyShape.MACHINE_LIST`. The trace's GPU-utilization log names
more machines than that list (an analysis of it, Philly-Trace-Scripts by Qinghao Hu, counts 264
machines with 8 GPUs, 271 with 4, 3 with 2 and 1 with 3: 3,205 GPUs); that is
`PhillyShape.GPU_UTIL`. Assumptions in both (the trace does not say): the GPU models (24 GB and
12 GB cards of 250 W board power, as a P40 and a P100 PCIe), every machine in service for the
whole trace, one flat network (no rack locality).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import replace
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

from aigrid.model import Job, JobClass, Scenario, TenantClass
from aigrid.traces._common import (
    BadRowError,
    Row,
    Rows,
    Trace,
    TraceFormat,
    first_submit,
    number,
    parsed_csv,
    shown,
    whole,
)
from aigrid.traces._fleet import PoolShape, gpu_model, trace_scenario

COLUMNS = ("timestamp", "duration", "num_gpus", "gpu_time", "cluster")
GPU_TIME_TOLERANCE_S = 1.0


class PhillyShape(StrEnum):
    """Which description of Philly's machines the fleet follows."""

    MACHINE_LIST = "machine-list"
    GPU_UTIL = "gpu-util"


_MODELS = (
    gpu_model("philly-24g", memory_gb=24, busy_w=250),
    gpu_model("philly-12g", memory_gb=12, busy_w=250),
)

_SHAPES: dict[PhillyShape, tuple[PoolShape, ...]] = {
    # cluster_machine_list of msr-fiddle/philly-traces.
    PhillyShape.MACHINE_LIST: (
        PoolShape("philly-8gpu", "philly-24g", 8, 231),
        PoolShape("philly-2gpu", "philly-12g", 2, 321),
    ),
    # Machines seen in cluster_gpu_util (Philly-Trace-Scripts, revised_machine_list.csv);
    # memory of the 4-, 3- and 2-GPU machines assumed 12 GB.
    PhillyShape.GPU_UTIL: (
        PoolShape("philly-8gpu", "philly-24g", 8, 264),
        PoolShape("philly-4gpu", "philly-12g", 4, 271),
        PoolShape("philly-3gpu", "philly-12g", 3, 1),
        PoolShape("philly-2gpu", "philly-12g", 2, 3),
    ),
}


def read_philly(
    path: str | Path, *, skip_bad_rows: bool = False, limit: int | None = None
) -> Trace:
    """The jobs of a Philly-derived job list, with the Philly-like fleet
    (`PhillyShape.MACHINE_LIST`) as its scenario. `limit` reads only the first data rows."""
    path = Path(path)
    source = str(path)
    rows = Rows(source, skip_bad_rows=skip_bad_rows)
    for parsed in parsed_csv(path, rows, _row, required=COLUMNS, limit=limit):
        rows.keep_runnable(parsed)
    t0 = first_submit(rows.kept)
    start = None if t0 is None else (_EPOCH + timedelta(seconds=t0)).isoformat()
    trace = rows.trace(TraceFormat.PHILLY, start=start)
    return trace.with_scenario(philly_scenario(trace.jobs, start=start))


def _row(row: dict[str, str]) -> Row:
    stamp = row["timestamp"].strip()
    try:
        submit = datetime.fromisoformat(stamp)
    except ValueError:
        raise BadRowError(
            f"timestamp: expected a date and time like '2017-10-09 07:01:55', got {shown(stamp)}"
        ) from None
    if submit.tzinfo is not None:
        raise BadRowError(f"timestamp: expected a time without a zone, got {shown(stamp)}")
    duration = number(row, "duration")
    if duration < 0:
        raise BadRowError(f"duration: expected seconds >= 0, got {shown(row['duration'].strip())}")
    gpus = whole(row, "num_gpus")
    if gpus < 0:
        raise BadRowError(f"num_gpus: expected a count >= 0, got {shown(row['num_gpus'].strip())}")
    gpu_time = number(row, "gpu_time")
    if abs(gpu_time - duration * gpus) > GPU_TIME_TOLERANCE_S + 1e-9 * gpu_time:
        raise BadRowError(
            f"gpu_time: {gpu_time:g} is not duration x num_gpus ({duration:g} x {gpus} = "
            f"{duration * gpus:g})"
        )
    vc = row["cluster"].strip()
    if not vc:
        raise BadRowError("cluster: expected a virtual cluster id, got nothing")
    return Row(
        submit_s=_epoch(submit),
        gpus=gpus,
        runtime_s=duration,
        walltime_s=None,
        program=f"vc-{vc}",
        org=f"vc-{vc}",
        tenant_class=TenantClass.RESEARCH,
        job_class=JobClass.TRAINING,
    )


_EPOCH = datetime(1970, 1, 1)


def _epoch(when: datetime) -> float:
    """Seconds of a naive time from a naive epoch: differences are all that matter."""
    return (when - _EPOCH).total_seconds()


def philly_scenario(
    jobs: tuple[Job, ...] | list[Job],
    *,
    shape: PhillyShape = PhillyShape.MACHINE_LIST,
    vc_quotas: bool = False,
    in_service: float = 1.0,
    start: str | None = None,
) -> Scenario:
    """A fleet shaped like Philly's (see the module docstring), one program per virtual cluster
    of `jobs`.

    `vc_quotas=False` (the default): no quotas, every VC may use the whole fleet.
    `vc_quotas=True`, an assumption for sensitivity runs (the trace gives no quotas): each VC
    holds a hard quota, without borrowing, of its share of the trace's GPU-hours of each GPU
    model's GPUs, rounded up, and at least its largest job rounded up to whole nodes.
    `in_service`, for sensitivity runs: the fraction of each pool's machines in service for the
    trace's jobs (rounded, at least one machine a pool), standing for machines that were down or
    busy with work the trace does not hold.
    """
    if not 0 < in_service <= 1:
        raise ValueError(f"in_service must be in (0, 1], got {in_service}")
    pools = tuple(replace(p, nodes=max(1, round(p.nodes * in_service))) for p in _SHAPES[shape])
    programs = sorted({j.program for j in jobs})
    name = f"philly-{shape.value}" + (f"-{in_service:g}" if in_service != 1 else "")
    scenario = trace_scenario(
        name,
        f"Philly-like fleet ({shape.value}): "
        + ", ".join(f"{p.nodes} x {p.gpus_per_node}-GPU" for p in pools),
        models=_MODELS,
        pools=pools,
        programs=programs,
        start=start,
    )
    if not vc_quotas:
        return scenario
    return _with_vc_quotas(scenario, jobs, pools)


def _with_vc_quotas(
    scenario: Scenario, jobs: tuple[Job, ...] | list[Job], pools: tuple[PoolShape, ...]
) -> Scenario:
    gpu_h: dict[str, float] = defaultdict(float)
    largest: dict[str, int] = defaultdict(int)
    for j in jobs:
        gpu_h[j.program] += j.gpus * (j.runtime_s or 0.0)
        largest[j.program] = max(largest[j.program], j.gpus)
    total = sum(gpu_h.values()) or 1.0
    model_gpus: dict[str, int] = defaultdict(int)
    model_gpn: dict[str, int] = defaultdict(int)
    for p in pools:
        model_gpus[p.gpu_model] += p.gpus_per_node * p.nodes
        model_gpn[p.gpu_model] = max(model_gpn[p.gpu_model], p.gpus_per_node)
    programs = {}
    for pid, prog in scenario.tenancy.programs.items():
        share = gpu_h[pid] / total
        quota = {}
        for model, gpus in model_gpus.items():
            gpn = model_gpn[model]
            floor = math.ceil(largest[pid] / gpn) * gpn if largest[pid] > gpn else largest[pid]
            quota[model] = min(gpus, max(math.ceil(share * gpus), floor))
        programs[pid] = replace(prog, quota=quota, borrowing=False)
    return replace(
        scenario,
        name=scenario.name + "-vc-quotas",
        tenancy=replace(scenario.tenancy, programs=programs),
    )
