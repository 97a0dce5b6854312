"""A real, private Ray cluster on this machine, for tests: one head node with 8 pretend GPUs, its
Jobs API on a free loopback port.

`ray start --head --block` runs as a child of the test session, with each port it can be told
chosen free (never Redis's 6379; its workers take theirs from Ray's range) and its files in a
directory of its own. Two test sessions at once each have their own. It is stopped by the PIDs of
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
    """Until a first job ran through the Jobs API (the job agent comes up after the API; a first
    job that fails, as one may while the node is still busy starting, is tried again)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    attempt, seen = 0, "no answer"
    with httpx.Client(base_url=cluster.address, timeout=15.0, trust_env=False) as http:
        while time.monotonic() < deadline and proc.poll() is None:
            job = f"aigrid-ray-ready-{attempt}"
            try:
                # Looked up first: a submit that timed out may have made the job all the same.
                resp = http.get(f"/api/jobs/{job}")
                if resp.status_code != 200:
                    resp = http.post(
                        "/api/jobs/", json={"entrypoint": "true", "submission_id": job}
                    )
                    seen = f"submit: HTTP {resp.status_code} {resp.text[-300:]}"
                else:
                    info = resp.json()
                    seen = f"{info['status']}: {info.get('message')}"
                    if info["status"] == "SUCCEEDED":
                        return
                    if info["status"] in ("FAILED", "STOPPED"):
                        attempt += 1
            except httpx.HTTPError as exc:
                seen = repr(exc)
            time.sleep(0.25)
    logs = [
        cluster.root / "ray-start.log",
        *cluster.root.glob("session_*/logs/dashboard_agent.log"),
    ]
    tails = "\n".join(f"--- {p.name}:\n{p.read_text(errors='replace')[-2000:]}" for p in logs)
    raise RayMissingError(
        f"Ray's head node did not run a job within {START_TIMEOUT_S:g} s "
        f"(ray start {'exited' if proc.poll() is not None else 'runs'}; last: {seen})\n{tails}"
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
