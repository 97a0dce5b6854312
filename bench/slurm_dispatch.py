"""Dispatch throughput to Slurm: N jobs submitted by plain `sbatch`, by aigrid's Slurm backend,
and by aigrid's scheduling loop (admitted, recorded and dispatched in one cycle), one after the
other on the same private Slurm cluster (one slurmctld and 4 slurmd on loopback, as the tests
start it), in each run.

The cluster's nodes are drained while it runs, so the jobs stay pending and the figure is the
submission alone, not slurmd starting jobs on the same cores. Each way submits the same job:
one GPU as gres, a 1-minute time limit, output to a file, the command `true`. The order of the
three alternates between runs. Prints one JSON line: the medians in jobs per second, each
run's figures, the machine and the Slurm version.

    .venv/bin/python -m bench.slurm_dispatch --jobs 200 --runs 5
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from tests.backends.slurm_cluster import (
    CLUSTER,
    GPUS_PER_NODE,
    NODES,
    PARTITION,
    SlurmCluster,
    slurm_cluster,
)

from aigrid.backends import Launch, SlurmBackend
from aigrid.live.backends import Backends
from aigrid.live.fleet import local_fleet
from aigrid.live.loop import SchedulingLoop
from aigrid.live.service import Role, ServiceContext, authenticate
from aigrid.live.service.admin import create_grant, create_org, create_program, issue_token
from aigrid.live.service.jobs import JobRequest, submit
from aigrid.live.store import Store, upgrade
from aigrid.live.store.fleet import save_fleet
from aigrid.model import Binding, TenantClass
from aigrid.scheduler import Policy

SLURM = Binding("slurm", f"slurm:{CLUSTER}/{PARTITION}")


def run_sbatch(cluster: SlurmCluster, out: Path, jobs: int) -> float:
    """Seconds for `jobs` sequential `sbatch` calls."""
    out.mkdir(parents=True)
    t0 = time.perf_counter()
    for i in range(jobs):
        subprocess.run(
            [
                "sbatch", "--parsable", f"--partition={PARTITION}", f"--job-name=plain-{i}",
                "--nodes=1", "--gres=gpu:1", "--time=1", f"--output={out}/slurm-%j.out",
                f"--chdir={out}", "--wrap=true",
            ],
            env=cluster.env, capture_output=True, check=True, timeout=60,
        )  # fmt: skip
    return time.perf_counter() - t0


def run_backend(cluster: SlurmCluster, out: Path, jobs: int) -> float:
    """Seconds for `jobs` submits through `SlurmBackend` (its duplicate check included)."""
    backend = SlurmBackend(PARTITION, out, slurm_conf=str(cluster.conf))
    t0 = time.perf_counter()
    for i in range(jobs):
        backend.submit(Launch(str(i), ("true",), 60.0, devices=((0,),)))
    return time.perf_counter() - t0


def run_loop(cluster: SlurmCluster, out: Path, jobs: int) -> float:
    """Seconds for one cycle of the scheduling loop that admits `jobs` pending one-GPU jobs on a
    pool bound to Slurm, records them and dispatches them all (SQLite store)."""
    out.mkdir(parents=True)
    store = Store.open(f"sqlite:///{out / 'bench.db'}")
    upgrade(store.engine)
    base = local_fleet(GPUS_PER_NODE)
    # A pool as large as the jobs (Slurm queues what its 4 nodes cannot hold).
    pool = replace(base.pools[0], nodes=jobs, backend=SLURM)
    with store.write() as s:
        save_fleet(s, replace(base, pools=(pool,)))
    ctx = ServiceContext(store)
    admin = authenticate(ctx, issue_token(store, 0.0, Role.ADMIN)[1].text)
    create_org(ctx, admin, "o", "O", TenantClass.SME)
    create_program(ctx, admin, "p")
    create_grant(ctx, admin, "p", "o")
    for _ in range(jobs):
        submit(ctx, admin, JobRequest("o", "p", 1, 60.0, ["true"]))
    backend = SlurmBackend(PARTITION, out / "slurm", slurm_conf=str(cluster.conf))
    loop = SchedulingLoop(store, Backends({SLURM.name: backend}), Policy())
    loop.rebuild()
    t0 = time.perf_counter()
    loop.cycle()
    seconds = time.perf_counter() - t0
    assert loop.stats.dispatched == jobs, loop.stats.dispatched
    store.close()
    return seconds


WAYS: dict[str, Callable[[SlurmCluster, Path, int], float]] = {
    "sbatch": run_sbatch,
    "aigrid_backend": run_backend,
    "aigrid_loop": run_loop,
}


def cancel_all(cluster: SlurmCluster) -> None:
    subprocess.run(["scancel", f"--partition={PARTITION}"], env=cluster.env, check=True, timeout=60)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        left = subprocess.run(
            ["squeue", "--noheader", "--states=PENDING,RUNNING,COMPLETING"],
            env=cluster.env, capture_output=True, text=True, check=True, timeout=60,
        ).stdout  # fmt: skip
        if not left.strip():
            return
        time.sleep(0.5)


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--jobs", type=int, default=200)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args(argv)
    each: list[dict[str, Any]] = []
    with (
        tempfile.TemporaryDirectory(prefix="aigrid-bench-") as tmp,
        slurm_cluster(Path(tmp) / "slurm") as cluster,
    ):
        nodes = f"node[1-{NODES}]"
        subprocess.run(
            ["scontrol", "update", f"nodename={nodes}", "state=drain", "reason=benchmark"],
            env=cluster.env, check=True, timeout=60,
        )  # fmt: skip
        version = subprocess.run(
            ["sbatch", "--version"], env=cluster.env, capture_output=True, text=True, check=True
        ).stdout.strip()
        order = list(WAYS)
        for run in range(args.runs):
            figures: dict[str, Any] = {"run": run}
            for name in order if run % 2 == 0 else order[::-1]:
                seconds = WAYS[name](cluster, Path(tmp) / f"{name}-{run}", args.jobs)
                figures[name] = round(args.jobs / seconds, 1)
                cancel_all(cluster)
            each.append(figures)
    medians = {name: statistics.median(f[name] for f in each) for name in WAYS}
    print(
        json.dumps(
            {
                "bench": "slurm_dispatch",
                "jobs": args.jobs,
                "runs": args.runs,
                "jobs_per_s": medians,
                "each": each,
                "slurm": version,
                "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
                f"{platform.python_version()}",
                "load_average": [round(x, 2) for x in os.getloadavg()],
            }
        )
    )


if __name__ == "__main__":
    main()
