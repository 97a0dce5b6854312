"""Gavel (OSDI'20) job lists and their measured throughputs.

A job list (`physical_cluster/*.trace`) has no header; one job a line of 10 tab-separated
fields: `job_type` (e.g. `ResNet-18 (batch size 64)`), `command`, `working_directory`,
`num_steps_arg`, `needs_data_dir`, `total_steps`, `scale_factor` (GPUs), `priority_weight`,
`SLO`, `arrival_time` (s). The list records work in steps, not time: a job's runtime is its
`total_steps` over its throughput (steps/s) running alone on the reference worker type, read
from a throughputs file (`physical_cluster_throughputs.json`, keyed by worker type, then by
`('<job_type>', <scale_factor>)`, then `null` for the job alone).

Mapping: one program `gavel`; one org per model family (`ResNet-18`); tenant class `research`,
job class `training`; walltime = `OVERASK` x runtime (no requested time); `priority_weight` and
`SLO` are not used. A job whose throughput is 0 on the reference type (it does not fit the GPU)
is excluded under that reason; a job type missing from the throughputs is a bad row.

The fleet (`gavel_scenario`): Gavel's simulated cluster is 36 V100, 36 P100 and 36 K80 GPUs
(`v100:36|p100:36|k80:36`, the artifact's EXPERIMENTS.md). The twin gives a job one runtime, so
the fleet is the reference type's third only: 36 GPUs of that type. Assumptions: servers of 4
GPUs (the artifact's workers are started with 4), the power and memory of each type.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path

from aigrid.model import GpuModel, JobClass, Scenario, TenantClass
from aigrid.traces._common import (
    BadRowError,
    Row,
    Rows,
    Trace,
    TraceError,
    TraceFormat,
    open_text,
    shown,
)
from aigrid.traces._fleet import PoolShape, gpu_model, trace_scenario

FIELDS = 10
PROGRAM = "gavel"
DEFAULT_WORKER = "v100"
CLUSTER_GPUS = 36
GPUS_PER_NODE = 4
WORKER_MODELS: Mapping[str, GpuModel] = {
    "v100": gpu_model("v100", memory_gb=16, busy_w=300),
    "p100": gpu_model("p100", memory_gb=16, busy_w=250),
    "k80": gpu_model("k80", memory_gb=12, busy_w=150),
}

Throughputs = Mapping[str, Mapping[str, Mapping[str, object]]]


def load_throughputs(path: str | Path) -> Throughputs:
    """A Gavel throughputs file: worker type -> job key -> {"null": steps/s, ...}."""
    path = Path(path)
    source = str(path)
    with open_text(path, source) as f:
        try:
            data = json.loads(f.read())
        except json.JSONDecodeError as exc:
            raise TraceError(source, f"is not JSON: {exc.msg}", line=exc.lineno) from None
        except UnicodeDecodeError as exc:
            raise TraceError(source, f"is not UTF-8 text ({exc.reason})") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise TraceError(source, "expected a mapping of worker type to job throughputs")
    return data


def read_gavel(
    path: str | Path,
    *,
    throughputs: str | Path,
    worker_type: str = DEFAULT_WORKER,
    skip_bad_rows: bool = False,
    limit: int | None = None,
) -> Trace:
    """The jobs of a Gavel job list, runtimes from `throughputs` on `worker_type`, with the
    `gavel_scenario` of that worker type as the scenario."""
    path = Path(path)
    source = str(path)
    table = load_throughputs(throughputs)
    if worker_type not in table:
        raise TraceError(
            str(throughputs),
            f"no worker type {worker_type!r} (found: {', '.join(sorted(table))})",
        )
    by_job = table[worker_type]
    rows = Rows(source, skip_bad_rows=skip_bad_rows)
    with open_text(path, source) as f:
        for line, text in f:
            if not text.strip():
                continue
            if limit is not None and rows.read >= limit:
                break
            rows.read += 1
            try:
                parsed = _row(text.rstrip("\r\n").split("\t"), by_job, worker_type)
            except BadRowError as exc:
                rows.bad_row(line, str(exc))
                continue
            if isinstance(parsed, str):
                rows.exclude(parsed)
            else:
                rows.keep(parsed)
    trace = rows.trace(
        TraceFormat.GAVEL, notes=(f"runtimes measured on {worker_type} ({throughputs})",)
    )
    return trace.with_scenario(gavel_scenario(worker_type))


def _row(fields: list[str], by_job: Mapping[str, Mapping[str, object]], worker: str) -> Row | str:
    if len(fields) != FIELDS:
        raise BadRowError(f"expected {FIELDS} tab-separated fields, got {len(fields)}")
    job_type = fields[0].strip()
    if not job_type:
        raise BadRowError("job_type: expected a job type, got nothing")
    steps = _number(fields[5], "total_steps")
    scale = _number(fields[6], "scale_factor")
    arrival = _number(fields[9], "arrival_time")
    if scale != int(scale) or scale < 1:
        raise BadRowError(f"scale_factor: expected a whole number of GPUs >= 1, got {fields[6]!r}")
    if steps < 0 or arrival < 0:
        bad = "total_steps" if steps < 0 else "arrival_time"
        raise BadRowError(f"{bad}: expected a value >= 0")
    key = str((job_type, int(scale)))
    entry = by_job.get(key)
    if entry is None:
        raise BadRowError(f"no throughput for {key} on {worker}")
    rate = entry.get("null")
    if not isinstance(rate, int | float):
        raise BadRowError(f"throughput of {key} on {worker} is not a number")
    if rate <= 0:
        return f"no throughput on {worker} (does not fit)"
    if steps == 0:
        return "zero steps"
    return Row(
        submit_s=arrival,
        gpus=int(scale),
        runtime_s=steps / rate,
        walltime_s=None,
        program=PROGRAM,
        org=job_type.split(" (")[0],
        tenant_class=TenantClass.RESEARCH,
        job_class=JobClass.TRAINING,
    )


def _number(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise BadRowError(f"{name}: expected a number, got {shown(text.strip())}") from None
    if not math.isfinite(value):
        raise BadRowError(f"{name}: expected a finite number, got {shown(text.strip())}")
    return value


def gavel_scenario(worker_type: str = DEFAULT_WORKER) -> Scenario:
    """36 GPUs of `worker_type` in servers of 4 (see the module docstring)."""
    model = WORKER_MODELS.get(worker_type, gpu_model(worker_type, memory_gb=16, busy_w=300))
    return trace_scenario(
        f"gavel-{worker_type}",
        f"Gavel's {worker_type} third: {CLUSTER_GPUS} GPUs in servers of {GPUS_PER_NODE}",
        models=(model,),
        pools=(PoolShape(f"gavel-{worker_type}", model.name, GPUS_PER_NODE, CLUSTER_GPUS // 4),),
        programs=(PROGRAM,),
    )
