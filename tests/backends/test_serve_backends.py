"""`aigrid serve` as a real server process, on a fleet with a pool on this machine, a pool on a
real Slurm cluster and a pool on a real Ray cluster: jobs submitted with `aigrid submit` run on
the backend of the pool they were placed on, finish and are charged; when slurmctld goes away, a
job for the Slurm pool waits with the reason "backend unreachable", the local pool goes on, and
once slurmctld is back every job runs, exactly once, and the ledger adds up."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from aigrid.live.store import Store
from aigrid.live.store.models import LedgerEntryRow
from tests.backends.ray_cluster import GPUS as RAY_GPUS
from tests.backends.ray_cluster import RayCluster
from tests.backends.slurm_cluster import CLUSTER, GPUS_PER_NODE, NODES, PARTITION, SlurmCluster
from tests.cli import run_aigrid
from tests.live.server import LiveServer, admin_token, wait_for
from tests.live.test_api import assert_ledger_consistent


def scenario(slurm: SlurmCluster, ray: RayCluster) -> str:
    """One site: pool `here` (4 GPUs, this machine), pool `hpc` (the Slurm partition) and pool
    `cloud` (the Ray cluster's 8 pretend GPUs)."""
    return f"""
name: two-backends
as_of: "2026-11"
gpu_models:
  gpu: {{memory_gb: 80, busy_w: 700, idle_w: 100, host_w: 300, list_price_krw_per_gpu_h: 1000}}
  h100: {{memory_gb: 80, busy_w: 700, idle_w: 100, host_w: 300, list_price_krw_per_gpu_h: 2000}}
  l40: {{memory_gb: 48, busy_w: 300, idle_w: 50, host_w: 200, list_price_krw_per_gpu_h: 1500}}
owners:
  lab: {{name: Lab}}
tariffs:
  flat:
    energy_krw_per_kwh: {{summer: {{light: 100}}, winter: {{light: 100}}}}
    hours: {{summer: {{light: "0-24"}}, winter: {{light: "0-24"}}}}
    seasons: {{summer: [4, 5, 6, 7, 8, 9], winter: [10, 11, 12, 1, 2, 3]}}
carbon:
  g_per_kwh: 400
sites:
  - id: here
    region: here
    grid_cap_mw: 1
    pue: 1.0
    zone: sovereign
    tariff: flat
    pools:
      - {{id: here, gpu_model: gpu, gpus_per_node: 4, nodes: 1, nvlink_domain: 4, owner: lab}}
      - id: hpc
        gpu_model: h100
        gpus_per_node: {GPUS_PER_NODE}
        nodes: {NODES}
        nvlink_domain: {GPUS_PER_NODE}
        owner: lab
        backend:
          kind: slurm
          cluster: {CLUSTER}
          partition: {PARTITION}
          slurm_conf: {slurm.conf}
          timeout_s: 20
      - id: cloud
        gpu_model: l40
        gpus_per_node: {RAY_GPUS}
        nodes: 1
        nvlink_domain: {RAY_GPUS}
        owner: lab
        backend: {{kind: ray, address: "{ray.address}"}}
programs:
  - id: research
    name: Research
    budget_krw: 1e9
    quota: {{gpu: 4, h100: 32, l40: {RAY_GPUS}}}
    owners: [lab]
"""


@pytest.fixture
def server(slurm: SlurmCluster, ray_head: RayCluster, tmp_path: Path) -> Iterator[LiveServer]:
    fleet = tmp_path / "three-backends.yaml"
    fleet.write_text(scenario(slurm, ray_head))
    s = LiveServer(f"sqlite:///{tmp_path / 'aigrid.db'}", tmp_path, fleet=str(fleet))
    s.start()
    yield s
    s.stop()


Aigrid = Callable[..., str]


@pytest.fixture
def aigrid(
    server: LiveServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Aigrid:
    """`aigrid ARGS` in process against the server, as its admin; its output (exit code 0)."""
    monkeypatch.setenv("AIGRID_URL", server.url)
    monkeypatch.setenv("AIGRID_TOKEN", admin_token(server.db))

    def run(*args: str) -> str:
        r = run_aigrid(capsys, monkeypatch, *args)
        assert r.exit_code == 0, (args, r.err)
        return r.out

    run("admin", "org", "create", "kaist", "--class", "university")
    run("admin", "program", "create", "research", "--budget", "1e9")
    run("admin", "grant", "--program", "research", "--org", "kaist")
    return run


def submit(aigrid: Aigrid, gpus: int, model: str, script: str, walltime: str = "2m") -> int:
    out = aigrid(
        "submit", "--org", "kaist", "--program", "research", "--gpus", str(gpus),
        "--gpu-model", model, "--walltime", walltime, "--", "sh", "-c", script,
    )  # fmt: skip
    return int(out)


def show(aigrid: Aigrid, job: int) -> dict[str, object]:
    shown: dict[str, object] = json.loads(aigrid("job", "show", str(job), "--json"))
    return shown


def state(aigrid: Aigrid, job: int) -> object:
    return show(aigrid, job)["state"]


def test_jobs_run_on_slurm_ray_and_locally_and_are_charged(
    aigrid: Aigrid, server: LiveServer, ray_head: RayCluster
) -> None:
    one = submit(aigrid, 8, "h100", 'echo "on slurm: $SLURM_JOB_ID $CUDA_VISIBLE_DEVICES"; sleep 2')
    gang = submit(aigrid, 16, "h100", 'echo "nodes: $SLURM_NNODES"; sleep 2')
    here = submit(aigrid, 2, "gpu", 'echo "here: $CUDA_VISIBLE_DEVICES"; sleep 1')
    cloud = submit(aigrid, 2, "l40", 'echo "on ray: $AIGRID_JOB_ID $AIGRID_GPUS"; sleep 2')
    ids = (one, gang, here, cloud)
    wait_for(lambda: all(state(aigrid, j) == "completed" for j in ids), timeout_s=90, every_s=0.3)
    placed = {j: show(aigrid, j)["placement"] for j in ids}
    assert {j: p["backend"] for j, p in placed.items()} == {  # type: ignore[index]
        one: f"slurm:{CLUSTER}/{PARTITION}",
        gang: f"slurm:{CLUSTER}/{PARTITION}",
        here: "local",
        cloud: f"ray:{ray_head.address}",
    }
    assert f"on ray: {cloud} 2" in aigrid("job", "logs", str(cloud))
    assert aigrid("job", "logs", str(one)).startswith("on slurm: ")
    assert aigrid("job", "logs", str(one)).split()[-1] == "0,1,2,3,4,5,6,7"
    assert aigrid("job", "logs", str(gang)).strip() == "nodes: 2"
    assert aigrid("job", "logs", str(here)).strip() == "here: 0,1"
    assert f"slurm:{CLUSTER}/{PARTITION} (job " in aigrid("job", "show", str(one))
    # Each is charged its runtime (as its backend tells it) at its pool's price.
    spends = ledger_spends(server.db)
    for job, gpus, price in ((one, 8, 2000), (gang, 16, 2000), (here, 2, 1000), (cloud, 2, 1500)):
        krw, gpu_seconds = spends[job]
        assert gpus * 1 <= gpu_seconds <= gpus * 10, job
        assert krw == round(price * gpu_seconds / 3600), job
    usage = json.loads(aigrid("usage", "--json"))
    assert sum(p["spent_krw"] for p in usage["programs"]) == sum(k for k, _ in spends.values())
    assert sum(p["held_krw"] for p in usage["programs"]) == 0
    assert_ledger_consistent(server.db)


def ledger_spends(db: str) -> dict[int, tuple[int, float]]:
    """Each job's spend entry: (KRW, GPU-seconds)."""
    store = Store.open(db)
    try:
        with store.read() as s:
            rows = s.execute(
                select(LedgerEntryRow.job_id, LedgerEntryRow.krw, LedgerEntryRow.gpu_seconds).where(
                    LedgerEntryRow.kind == "spend"
                )
            )
            return {job: (krw, secs) for job, krw, secs in rows}
    finally:
        store.close()


def test_slurmctld_away_then_back_loses_nothing_and_runs_nothing_twice(
    aigrid: Aigrid, server: LiveServer, slurm: SlurmCluster, tmp_path: Path
) -> None:
    marks = tmp_path / "marks"
    mark = f'echo "$AIGRID_JOB_ID" >> {marks}'
    running = submit(aigrid, 8, "h100", f"{mark}; sleep 6")
    wait_for(marks.exists, timeout_s=30, every_s=0.2)
    slurm.stop_ctld()
    try:
        waiting = submit(aigrid, 8, "h100", mark)

        def waits_for_slurm() -> bool:
            reason = show(aigrid, waiting)["pending_reason"]
            return isinstance(reason, str) and reason.startswith("backend unreachable")

        wait_for(waits_for_slurm, timeout_s=30, every_s=0.3)
        assert state(aigrid, waiting) == "pending"
        assert state(aigrid, running) == "running"  # not forgotten, not failed
        here = submit(aigrid, 1, "gpu", mark)  # the local pool goes on meanwhile
        wait_for(lambda: state(aigrid, here) == "completed", timeout_s=30, every_s=0.3)
        time.sleep(1)
        assert state(aigrid, waiting) == "pending"
        assert "backend unreachable" in aigrid("jobs")
    finally:
        slurm.start_ctld()
    ids = (running, waiting, here)
    wait_for(lambda: all(state(aigrid, j) == "completed" for j in ids), timeout_s=90, every_s=0.5)
    # Each ran once (the key of a run is the job id, or `<id>.<attempt>` for a later run).
    runs = Counter(key.split(".")[0] for key in marks.read_text().split())
    assert runs == Counter(str(j) for j in ids)
    assert_ledger_consistent(server.db)
    slurm.wait_idle()
