"""The Ray backend against a real Ray head node on loopback (8 pretend GPUs): GPUs and env in
the job, exit codes, cancel, walltime, duplicates, waiting for GPUs, a restarted server, and a
Ray that does not answer.

Entrypoints run with the PATH of whoever started Ray, so commands name this interpreter by its
absolute path.
"""

from __future__ import annotations

import itertools
import json
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from aigrid.backends import (
    BackendError,
    BackendUnreachable,
    Launch,
    RunState,
    RunStatus,
    SupportsLogs,
    SupportsPing,
)
from aigrid.backends.ray import AGENT_BUSY, RayBackend
from tests.backends.ray_cluster import RayCluster, free_ports, stop_all_jobs

PY = sys.executable
_keys = itertools.count()


def key(name: str) -> str:
    """A key no other test (nor an earlier session on the same cluster) has used."""
    return f"{name}-{time.time_ns()}-{next(_keys)}"


def launch(
    name: str,
    code: str,
    *args: str,
    gpus: int = 1,
    walltime_s: float = 60,
    workdir: str | None = None,
) -> Launch:
    return Launch(
        key(name),
        (PY, "-c", code, *args),
        walltime_s,
        env={"GREETING": "hi there"},
        nodes=("ray-head",),
        devices=(tuple(range(gpus)),),
        workdir=workdir,
    )


def wait_for(ray: RayBackend, handle: str, *states: RunState, timeout_s: float = 30.0) -> RunStatus:
    """Poll (as the loop does, which is also what enforces walltimes) until `handle` is in one
    of `states`, or has ended."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = ray.poll(handle)
        if status.state in states or status.state.ended:
            return status
        time.sleep(0.1)
    raise AssertionError(f"job {handle} not in {states} after {timeout_s:g} s: {status}")


@pytest.fixture
def ray(ray_head: RayCluster) -> Iterator[RayBackend]:
    """A backend on the session's cluster; jobs a test leaves behind are stopped after it."""
    backend = RayBackend(ray_head.address)
    yield backend
    backend.close()
    stop_all_jobs(ray_head)


SHOW = "import os, sys; print('gpus=' + os.environ['CUDA_VISIBLE_DEVICES']); print(sys.argv[1:]);"
SHOW += " print('greeting=' + os.environ['GREETING']); print('job=' + os.environ['AIGRID_JOB_ID'])"
SHOW += "; print('cwd=' + os.getcwd())"


def test_a_job_runs_with_its_gpus_env_and_arguments_and_its_logs_come_back(
    ray: RayBackend, tmp_path: Path
) -> None:
    job = launch("ok", SHOW, "a b", "it's $HOME", gpus=2, workdir=str(tmp_path))
    sub = ray.submit(job)
    assert (sub.handle, sub.duplicate) == (job.key, False)
    status = wait_for(ray, sub.handle)
    assert (status.state, status.exit_code) == (RunState.COMPLETED, 0), status
    assert status.started_s is not None and status.ended_s is not None
    assert status.started_s <= status.ended_s
    assert isinstance(ray, SupportsLogs)
    logs = ray.logs(sub.handle, 100_000)
    assert logs is not None
    gpus = next(line for line in logs.splitlines() if line.startswith("gpus="))
    assert len(gpus.removeprefix("gpus=").split(",")) == 2  # Ray chose two of its GPUs
    assert "['a b', \"it's $HOME\"]" in logs  # quoted as given, nothing expanded
    assert "greeting=hi there" in logs
    assert f"job={job.key}" in logs
    assert f"cwd={tmp_path}" in logs
    tail = ray.logs(sub.handle, 20)
    assert tail is not None and len(tail.encode()) <= 20 and logs.endswith(tail)
    assert ray.poll(sub.handle) == status  # an ended job stays as it ended


def test_a_failing_job_is_failed_with_its_exit_code(ray: RayBackend) -> None:
    sub = ray.submit(launch("fail", "import sys; print('about to fail'); sys.exit(3)"))
    status = wait_for(ray, sub.handle)
    assert (status.state, status.exit_code) == (RunState.FAILED, 3), status
    assert "exit code 3" in status.detail
    assert "\n" not in status.detail
    logs = ray.logs(sub.handle, 10_000)
    assert logs is not None and "about to fail" in logs


def test_a_cancelled_job_is_stopped(ray: RayBackend) -> None:
    sub = ray.submit(launch("cancel", "import time; print('up', flush=True); time.sleep(120)"))
    running = wait_for(ray, sub.handle, RunState.RUNNING)
    assert running.state is RunState.RUNNING and running.started_s is not None
    ray.cancel(sub.handle)
    status = wait_for(ray, sub.handle)
    assert status.state is RunState.CANCELLED, status
    assert status.ended_s is not None and status.ended_s - running.started_s < 60


def test_a_job_past_its_walltime_is_stopped_and_timed_out(ray: RayBackend) -> None:
    sub = ray.submit(launch("walltime", "import time; time.sleep(120)", walltime_s=1.0))
    status = wait_for(ray, sub.handle)
    assert status.state is RunState.TIMED_OUT, status
    assert "walltime of 1 s" in status.detail
    assert status.started_s is not None and status.ended_s is not None
    assert 1.0 <= status.ended_s - status.started_s < 30


def test_a_repeated_submit_is_a_duplicate_and_runs_nothing_again(
    ray: RayBackend, tmp_path: Path
) -> None:
    runs = tmp_path / "runs"
    job = launch("dup", "import sys; open(sys.argv[1], 'a').write('ran\\n')", str(runs))
    assert not ray.submit(job).duplicate
    assert ray.submit(job).duplicate  # while it is pending or running
    assert wait_for(ray, job.key).state is RunState.COMPLETED
    assert ray.submit(job).duplicate  # once it has ended
    with RayBackend(ray.address) as restarted:
        assert restarted.submit(job).duplicate  # from a restarted server
    time.sleep(1.0)
    assert runs.read_text() == "ran\n"


def test_a_job_waits_while_its_gpus_are_taken(ray: RayBackend) -> None:
    sleeper = "import time; time.sleep(120)"
    big = ray.submit(launch("big", sleeper, gpus=6))
    assert wait_for(ray, big.handle, RunState.RUNNING).state is RunState.RUNNING
    waiting = ray.submit(launch("waits", "print('got my GPUs')", gpus=4))
    for _ in range(10):  # 2 GPUs free, 4 asked: it waits
        status = ray.poll(waiting.handle)
        assert status.state is RunState.STARTING, status
        time.sleep(0.1)
    assert "waiting for resources" in status.detail
    dropped = ray.submit(launch("dropped", sleeper, gpus=4, walltime_s=300))
    assert ray.poll(dropped.handle).state is RunState.STARTING
    ray.cancel(dropped.handle)  # while it waits: stopped once it gets its GPUs, if not before
    ray.cancel(big.handle)
    big_end = wait_for(ray, big.handle)
    assert big_end.state is RunState.CANCELLED
    status = wait_for(ray, waiting.handle)
    assert status.state is RunState.COMPLETED, status
    assert big_end.ended_s is not None and status.started_s is not None
    assert status.started_s >= big_end.ended_s - 1.0
    assert wait_for(ray, dropped.handle).state is RunState.CANCELLED


def test_a_restarted_server_enforces_walltimes_and_reads_why_jobs_stopped(
    ray: RayBackend,
) -> None:
    sub = ray.submit(launch("restart", "import time; time.sleep(120)", walltime_s=1.0))
    assert wait_for(ray, sub.handle, RunState.RUNNING).state is RunState.RUNNING
    with RayBackend(ray.address) as again:  # knows nothing but what Ray keeps
        status = wait_for(again, sub.handle)
    assert status.state is RunState.TIMED_OUT, status
    with RayBackend(ray.address) as again:
        assert again.poll(sub.handle).state is RunState.TIMED_OUT
    cancelled = ray.submit(launch("restart-cancel", "import time; time.sleep(120)"))
    assert wait_for(ray, cancelled.handle, RunState.RUNNING).state is RunState.RUNNING
    ray.cancel(cancelled.handle)
    assert wait_for(ray, cancelled.handle).state is RunState.CANCELLED
    with RayBackend(ray.address) as again:
        assert again.poll(cancelled.handle).state is RunState.CANCELLED


def test_an_unknown_key_is_lost(ray: RayBackend) -> None:
    assert isinstance(ray, SupportsPing)
    ray.ping()
    with RayBackend(ray.address.removeprefix("http://")) as short:  # host:port will do
        short.ping()
    status = ray.poll(key("never-submitted"))
    assert status.state is RunState.LOST
    assert ray.logs(key("never-submitted"), 100) is None
    ray.cancel(key("never-submitted"))  # nothing to stop, and no error


def test_a_ray_that_does_not_answer_is_unreachable() -> None:
    (closed,) = free_ports(1)
    job = launch("nowhere", "pass")
    with RayBackend(f"http://127.0.0.1:{closed}", timeout_s=2.0) as refused:
        with pytest.raises(BackendUnreachable, match="did not answer") as refusal:
            refused.submit(job)
        assert not refusal.value.sent  # refused: certainly not submitted
        with pytest.raises(BackendUnreachable):
            refused.ping()
        with pytest.raises(BackendUnreachable):
            refused.poll(job.key)
        with pytest.raises(BackendUnreachable):
            refused.cancel(job.key)
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        address = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with RayBackend(address, timeout_s=0.5) as mute:
            started = time.monotonic()
            with pytest.raises(BackendUnreachable) as timeout:
                mute.submit(job)
            assert timeout.value.sent  # may have reached Ray: to be looked up by its key
            assert time.monotonic() - started < 5.0


def test_answers_a_real_ray_gives_only_in_trouble_are_told_apart() -> None:
    """Through httpx's MockTransport, as no real Ray answers so on demand: a head whose job agent
    is not up yet, a proxy in front of a Ray that is down, and a server that is not Ray."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.host == "busy":
            if request.method == "POST":
                return httpx.Response(500, text=AGENT_BUSY)
            return httpx.Response(404, text="Job x does not exist")
        if request.url.host == "proxy":
            return httpx.Response(502, text="Bad Gateway")
        return httpx.Response(200, text="<html>a web page</html>")

    transport = httpx.MockTransport(answer)
    job = launch("odd", "pass")
    with RayBackend("http://busy", transport=transport) as busy:
        with pytest.raises(BackendUnreachable) as refusal:
            busy.submit(job)
        assert not refusal.value.sent
    with (
        RayBackend("http://proxy", transport=transport) as proxy,
        pytest.raises(BackendUnreachable, match="502"),
    ):
        proxy.poll(job.key)
    with RayBackend("http://web", transport=transport) as web:
        with pytest.raises(BackendError, match="Ray Jobs API") as wrong:
            web.poll(job.key)
        assert not isinstance(wrong.value, BackendUnreachable)


def test_a_share_of_a_gpu_asks_ray_for_that_fraction() -> None:
    """Through httpx's MockTransport: what the submit asks of Ray, where Ray shares GPUs by
    fractions (several entrypoints on one GPU)."""
    bodies: list[dict[str, object]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(200, json={"submission_id": bodies[-1]["submission_id"]})

    quarter = replace(launch("quarter", "pass"), devices=((0,),), gpu_share_milli=250)
    with RayBackend("http://head", transport=httpx.MockTransport(answer)) as ray:
        ray.submit(quarter)
        ray.submit(replace(quarter, key="whole", gpu_share_milli=0))
    assert [b["entrypoint_num_gpus"] for b in bodies] == [0.25, 1]
