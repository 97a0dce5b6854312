"""Tiresias (NSDI'19) simulator inputs: job lists and cluster specs.

Job list columns (`60_job.csv`): `job_id`, `num_gpu`, `submit_time` (s), `duration` (s), and
optionally `model_name`, `iterations`, `interval` (`tf_job.csv` also has `start_time`, unused).
Mapping: one program `tiresias`; one org per model name (`tiresias` where there is none); tenant
class `research`, job class `training`; runtime = `duration`; the list records no requested
time, so walltime = `OVERASK` x runtime; rows with 0 GPUs or a duration of 0 are excluded.
The trace's `job_id` is not kept (ids are renumbered in submission order; ids repeat in
`tf_job.csv`).

Cluster spec columns (`cluster_spec.csv`, `n32g4.csv` ...): `num_switch`, `num_node_p_switch`,
`num_gpu_p_node`, `num_cpu_p_node`, `mem_p_node`; the first data row describes the cluster. The
fleet is one pool of `num_switch x num_node_p_switch` nodes of `num_gpu_p_node` GPUs (switches,
CPUs and memory are not modelled). Assumption: the GPUs are 16 GB, 250 W cards (P100), the
model of the Tiresias testbed.
"""

from __future__ import annotations

from pathlib import Path

from aigrid.model import JobClass, Scenario, TenantClass
from aigrid.traces._common import (
    BadRowError,
    Row,
    Rows,
    Trace,
    TraceError,
    TraceFormat,
    csv_rows,
    number,
    open_text,
    parsed_csv,
    shown,
    whole,
)
from aigrid.traces._fleet import PoolShape, gpu_model, trace_scenario

JOB_COLUMNS = ("job_id", "num_gpu", "submit_time", "duration")
SPEC_COLUMNS = ("num_switch", "num_node_p_switch", "num_gpu_p_node")
PROGRAM = "tiresias"
MODEL = gpu_model("tiresias-p100", memory_gb=16, busy_w=250)


def read_tiresias(
    path: str | Path, *, skip_bad_rows: bool = False, limit: int | None = None
) -> Trace:
    """The jobs of a Tiresias job list (no fleet: see `tiresias_scenario`)."""
    path = Path(path)
    source = str(path)
    rows = Rows(source, skip_bad_rows=skip_bad_rows)
    for parsed in parsed_csv(path, rows, _row, required=JOB_COLUMNS, limit=limit):
        rows.keep_runnable(parsed)
    return rows.trace(TraceFormat.TIRESIAS)


def _row(row: dict[str, str]) -> Row:
    gpus = whole(row, "num_gpu")
    submit = number(row, "submit_time")
    duration = number(row, "duration")
    for column, value in (("num_gpu", gpus), ("submit_time", submit), ("duration", duration)):
        if value < 0:
            raise BadRowError(f"{column}: expected a value >= 0, got {shown(row[column].strip())}")
    model = row.get("model_name", "").strip()
    return Row(
        submit_s=submit,
        gpus=gpus,
        runtime_s=duration,
        walltime_s=None,
        program=PROGRAM,
        org=model or PROGRAM,
        tenant_class=TenantClass.RESEARCH,
        job_class=JobClass.TRAINING,
    )


def tiresias_scenario(spec: str | Path) -> Scenario:
    """The fleet of a Tiresias cluster spec file (see the module docstring)."""
    path = Path(spec)
    source = str(path)
    with open_text(path, source) as f:
        for line, row in csv_rows(f, source, required=SPEC_COLUMNS):
            if isinstance(row, str):
                raise TraceError(source, row, line=line)
            try:
                switches, per_switch, per_node = (whole(row, c) for c in SPEC_COLUMNS)
            except BadRowError as exc:
                raise TraceError(source, str(exc), line=line) from None
            for column, value in zip(SPEC_COLUMNS, (switches, per_switch, per_node), strict=True):
                if value <= 0:
                    raise TraceError(
                        source, f"{column}: expected a count > 0, got {value}", line=line
                    )
            nodes = switches * per_switch
            return trace_scenario(
                f"tiresias-{path.stem}",
                f"Tiresias cluster {path.name}: {switches} switches x {per_switch} nodes x "
                f"{per_node} GPUs",
                models=(MODEL,),
                pools=(PoolShape("tiresias", MODEL.name, per_node, nodes),),
                programs=(PROGRAM,),
            )
    raise TraceError(source, "has no data row: expected one line describing the cluster", line=2)
