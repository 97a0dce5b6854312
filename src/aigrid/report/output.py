"""Files a twin run writes: `summary.json`, `jobs.parquet`, `timeseries.parquet`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from aigrid.twin.run import TwinRun


def _write_atomic(path: Path, data: bytes) -> None:
    """Write via a temporary file and rename, so a crash never leaves half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_summary(path: Path, summary: dict[str, Any]) -> None:
    _write_atomic(path, (json.dumps(summary, indent=2, ensure_ascii=False) + "\n").encode())


def jobs_table(run: TwinRun) -> pa.Table:
    """One row per job. `gpus` is the GPUs asked (1 for a share of one), `gpu_share_milli` the
    share of that one GPU in milli-GPUs (0 for whole GPUs), `cpu_milli` and `memory_mib` what
    it asked of each node (0: nothing)."""
    pools = run.scenario.fleet.pools
    cols: dict[str, list[Any]] = {
        k: []
        for k in (
            "id",
            "org",
            "tenant_class",
            "program",
            "job_class",
            "priority_class",
            "paid_by_grant",
            "gpus",
            "gpu_share_milli",
            "cpu_milli",
            "memory_mib",
            "gpu_model",
            "site",
            "pool",
            "owner",
            "submit_s",
            "start_s",
            "end_s",
            "wait_s",
            "runtime_s",
            "walltime_s",
            "state",
            "pending_reason",
            "main_pending_reason",
            "preemptions",
            "interruptions",
            "measured",
        )
    }
    horizon = run.world.horizon_s
    measure_from = run.world.measure_from_s
    main_reason = run.world.waits.main_reason
    for j in run.jobs:
        p = pools[j.placement.pool] if j.placement is not None else None
        cols["id"].append(j.id)
        cols["org"].append(j.org)
        cols["tenant_class"].append(j.tenant_class.value)
        cols["program"].append(j.program)
        cols["job_class"].append(j.job_class.value)
        cols["priority_class"].append(j.priority_class.value)
        cols["paid_by_grant"].append(j.account is not None)
        cols["gpus"].append(j.gpus)
        cols["gpu_share_milli"].append(j.gpu_share_milli)
        cols["cpu_milli"].append(j.cpu_milli)
        cols["memory_mib"].append(j.memory_mib)
        cols["gpu_model"].append(p.gpu_model if p else None)
        cols["site"].append(p.site if p else None)
        cols["pool"].append(p.id if p else None)
        cols["owner"].append(p.owner if p else None)
        cols["submit_s"].append(j.submit_s)
        cols["start_s"].append(j.first_start_s)
        cols["end_s"].append(j.end_s)
        cols["wait_s"].append(
            j.first_start_s - j.submit_s if j.first_start_s is not None else horizon - j.submit_s
        )
        cols["runtime_s"].append(j.runtime_s)
        cols["walltime_s"].append(j.walltime_s)
        cols["state"].append(j.state.value)
        cols["pending_reason"].append(j.pending_reason)
        cols["main_pending_reason"].append(main_reason.get(j.id))
        cols["preemptions"].append(j.preemptions)
        cols["interruptions"].append(j.interruptions)
        cols["measured"].append(j.submit_s >= measure_from)
    return pa.table(cols)


def timeseries_table(run: TwinRun) -> pa.Table:
    s = run.world.samples
    cols: dict[str, list[Any]] = {"t_s": s.t, "pending": s.pending, "running": s.running}
    for owner, series in s.busy_by_owner.items():
        cols[f"busy_gpus.{owner}"] = series
    for site, mw_series in s.mw_by_site.items():
        cols[f"mw.{site}"] = mw_series
    for cls, busy in s.busy_by_tenant_class.items():
        cols[f"busy_gpus_by_class.{cls}"] = busy
    for reason, counts in s.pending_by_reason.items():
        cols[f"pending_by_reason.{reason}"] = counts
    for program, spent in s.spent_krw_by_program.items():
        cols[f"spent_krw.{program}"] = spent
    return pa.table(cols)


def write_outputs(out: Path, run: TwinRun, summary: dict[str, Any]) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "summary.json", out / "jobs.parquet", out / "timeseries.parquet"]
    write_summary(paths[0], summary)
    for path, table in ((paths[1], jobs_table(run)), (paths[2], timeseries_table(run))):
        tmp = path.with_name(f".{path.name}.tmp")
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, path)
    return paths
