"""A real, private Ray cluster on this machine, for tests: one head node on loopback with 8
pretend GPUs, its Jobs API on a free port.

`ray start --head --block` runs as a child of the test session, with every port it opens chosen
free (never Redis's 6379) and its files in a directory of its own. It is stopped by the PIDs of
the processes it started (the tree under it, job entrypoints included), never by `ray stop`,
which would stop every Ray on the machine. Ray comes with the `dev` extra
(`scripts/bootstrap.sh dev`, which `scripts/test.sh` runs).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

GPUS = 8
START_TIMEOUT_S = 90.0
INSTALL_HINT = (
    "the Ray tests need Ray in the venv: run scripts/bootstrap.sh dev "
    "(or .venv/bin/pip install -e '.[dev]', which pins ray[default])"
)


class RayMissingError(RuntimeError):
    """Ray is not installed, or its head node did not come up."""


@dataclass(frozen=True)
class RayCluster:
    address: str
    """The dashboard's URL, where the Jobs API answers."""
    root: Path
    pid: int


def ray_command() -> Path:
    ray = Path(sys.executable).parent / "ray"
    if not ray.exists():
        raise RayMissingError(f"{ray} is missing; {INSTALL_HINT}")
    return ray


def free_ports(n: int) -> list[int]:
    """`n` distinct loopback ports that were free a moment ago."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


@contextlib.contextmanager
def ray_cluster() -> Iterator[RayCluster]:
    """A head node, up and accepting jobs, for the time of the `with` block."""
    ray = ray_command()
    root = Path(tempfile.mkdtemp(prefix="aigrid-ray-"))  # short: Ray's socket paths must fit
    gcs, dash, agent_http, agent_grpc, env_agent, client, node_mgr, obj_mgr, metrics = free_ports(9)
    args = [
        str(ray), "start", "--head", "--block", "--disable-usage-stats",
        "--node-ip-address=127.0.0.1", f"--port={gcs}",
        "--dashboard-host=127.0.0.1", f"--dashboard-port={dash}",
        f"--dashboard-agent-listen-port={agent_http}", f"--dashboard-agent-grpc-port={agent_grpc}",
        f"--runtime-env-agent-port={env_agent}", f"--ray-client-server-port={client}",
        f"--node-manager-port={node_mgr}", f"--object-manager-port={obj_mgr}",
        f"--metrics-export-port={metrics}",
        f"--num-gpus={GPUS}", "--num-cpus=2", f"--temp-dir={root}",
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    env["RAY_USAGE_STATS_ENABLED"] = "0"
    with open(root / "ray-start.log", "wb") as out:
        proc = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env,
            start_new_session=True,
        )  # fmt: skip
    cluster = RayCluster(f"http://127.0.0.1:{dash}", root, proc.pid)
    try:
        _wait_ready(cluster, proc)
        yield cluster
    finally:
        stop_tree(proc.pid)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


def _wait_ready(cluster: RayCluster, proc: subprocess.Popen[bytes]) -> None:
    """Until a first job ran through the Jobs API (the job agent comes up after the API)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    submitted = False
    with httpx.Client(base_url=cluster.address, timeout=5.0, trust_env=False) as http:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            try:
                if not submitted:
                    body = {"entrypoint": "true", "submission_id": "aigrid-ray-ready"}
                    submitted = http.post("/api/jobs/", json=body).status_code == 200
                elif http.get("/api/jobs/aigrid-ray-ready").json()["status"] == "SUCCEEDED":
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
    log = (cluster.root / "ray-start.log").read_text(errors="replace")[-3000:]
    raise RayMissingError(
        f"Ray's head node did not take a job within {START_TIMEOUT_S:g} s:\n{log}"
    )


def stop_all_jobs(cluster: RayCluster, timeout_s: float = 30.0) -> None:
    """Stop every job of the cluster that has not ended, and wait until none runs."""
    ended = {"SUCCEEDED", "FAILED", "STOPPED"}
    deadline = time.monotonic() + timeout_s
    with httpx.Client(base_url=cluster.address, timeout=10.0, trust_env=False) as http:
        while time.monotonic() < deadline:
            live = [j["submission_id"] for j in http.get("/api/jobs/").json()
                    if j.get("submission_id") and j["status"] not in ended]  # fmt: skip
            if not live:
                return
            for job in live:
                http.post(f"/api/jobs/{job}/stop")
            time.sleep(0.5)
    raise AssertionError(f"Ray jobs still not stopped after {timeout_s:g} s: {live}")


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def _tree(root: int) -> list[int]:
    kids = _children()
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(kids.get(pid, []))
    return found


def stop_tree(root: int) -> None:
    """Kill `root` and every process under it. The tree is frozen first (SIGSTOP, until no new
    process appears), so that nothing escapes by being orphaned while it is killed."""
    frozen: set[int] = set()
    for _ in range(20):
        fresh = [pid for pid in _tree(root) if pid not in frozen]
        if not fresh:
            break
        for pid in fresh:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)
        frozen.update(fresh)
    for pid in frozen:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
