"""The Slurm backend against a real Slurm (a private cluster of 4 pretend 8-GPU nodes): submit,
poll, cancel, logs, duplicates, a 2-node gang, what is known of a job Slurm has forgotten, and
slurmctld going away and coming back. Slurm's states are mapped in table cases below."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from aigrid.backends import (
    BackendUnreachable,
    Launch,
    RunState,
    RunStatus,
    SlurmBackend,
    SupportsLogs,
    SupportsNotice,
    SupportsPing,
    SupportsPollMany,
)
from aigrid.backends.registry import BackendContext, make_backend
from aigrid.backends.slurm import _fields_status, _json_status
from aigrid.model import Binding
from tests.backends.slurm_cluster import PARTITION, SlurmCluster
from tests.backends.test_local import wait_end


@pytest.fixture
def backend(slurm: SlurmCluster, tmp_path: Path) -> SlurmBackend:
    """A backend on the session's cluster, with output of its own (so keys of other tests are
    not its duplicates)."""
    return SlurmBackend(
        PARTITION, tmp_path / "out", name="slurm:test", slurm_conf=str(slurm.conf), timeout_s=20
    )


def launch(
    key: str, script: str, *, gpus: int = 1, nodes: int = 1, walltime_s: float = 60
) -> Launch:
    return Launch(
        key,
        ("sh", "-c", script),
        walltime_s,
        env={"GREETING": "hello 'there'"},
        devices=tuple(tuple(range(gpus)) for _ in range(nodes)),
    )


def wait_running(backend: SlurmBackend, handle: str, timeout_s: float = 30.0) -> RunStatus:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = backend.poll(handle)
        if status.state is RunState.RUNNING:
            return status
        assert not status.state.ended, status
        time.sleep(0.2)
    raise AssertionError(f"Slurm job {handle} did not start in {timeout_s} s")


def test_capabilities(backend: SlurmBackend) -> None:
    assert isinstance(backend, SupportsLogs)
    assert isinstance(backend, SupportsPollMany)
    assert isinstance(backend, SupportsPing)
    backend.ping()


def test_a_job_runs_with_its_gpus_and_environment_and_its_output_is_kept(
    backend: SlurmBackend,
) -> None:
    t0 = time.time()
    sub = backend.submit(
        launch("7", 'echo "gpus=$CUDA_VISIBLE_DEVICES $GREETING $AIGRID_JOB_ID"', gpus=2)
    )
    assert not sub.duplicate
    status = wait_end(backend, sub.handle)
    assert (status.state, status.exit_code) == (RunState.COMPLETED, 0)
    assert status.started_s is not None and status.ended_s is not None
    assert t0 - 1 <= status.started_s <= status.ended_s <= time.time() + 1
    assert backend.logs(sub.handle, 10_000) == "gpus=0,1 hello 'there' 7\n"
    assert backend.logs(sub.handle, 2) == "7\n"


def test_a_failing_job_fails_with_its_exit_code(backend: SlurmBackend) -> None:
    sub = backend.submit(launch("8", "echo oops >&2; exit 3"))
    status = wait_end(backend, sub.handle)
    assert (status.state, status.exit_code) == (RunState.FAILED, 3)
    assert backend.logs(sub.handle, 100) == "oops\n"


def test_cancel_stops_a_running_job(backend: SlurmBackend) -> None:
    sub = backend.submit(launch("9", "sleep 60"))
    wait_running(backend, sub.handle)
    backend.cancel(sub.handle)
    assert wait_end(backend, sub.handle).state is RunState.CANCELLED
    backend.cancel(sub.handle)  # again: nothing to stop, no error


def test_a_notice_sends_the_job_sigterm_and_leaves_it_running(
    backend: SlurmBackend, tmp_path: Path
) -> None:
    saved = tmp_path / "saved"
    script = f"trap 'echo saved > {saved}; exit 0' TERM; while :; do sleep 0.2; done"
    sub = backend.submit(launch("10", script))
    wait_running(backend, sub.handle)
    assert isinstance(backend, SupportsNotice)
    backend.notice(sub.handle)
    status = wait_end(backend, sub.handle)
    assert status.state is RunState.COMPLETED  # it saved and exited 0 by itself
    assert saved.read_text() == "saved\n"


def test_a_repeated_submit_is_a_duplicate_even_from_a_restarted_server(
    backend: SlurmBackend, slurm: SlurmCluster, tmp_path: Path
) -> None:
    first = backend.submit(launch("10", "sleep 2"))
    again = backend.submit(launch("10", "sleep 2"))
    assert again == type(again)(first.handle, duplicate=True)
    restarted = SlurmBackend(PARTITION, backend.output_dir, slurm_conf=str(slurm.conf))
    assert restarted.submit(launch("10", "sleep 2")).handle == first.handle
    # Another server (another output directory) has a key 10 of its own.
    other = SlurmBackend(PARTITION, tmp_path / "other", slurm_conf=str(slurm.conf))
    theirs = other.submit(launch("10", "true"))
    assert not theirs.duplicate and theirs.handle != first.handle
    wait_end(other, theirs.handle)
    wait_end(backend, first.handle)


def test_a_two_node_gang_gets_two_whole_nodes(backend: SlurmBackend) -> None:
    script = 'echo "$SLURM_NNODES $SLURM_JOB_NODELIST $CUDA_VISIBLE_DEVICES"'
    sub = backend.submit(launch("11", script, gpus=8, nodes=2))
    assert wait_end(backend, sub.handle).state is RunState.COMPLETED
    nnodes, nodelist, devices = (backend.logs(sub.handle, 1000) or "").split()
    assert nnodes == "2"
    assert nodelist.startswith("node")
    assert devices == "0,1,2,3,4,5,6,7"


def test_many_jobs_are_polled_in_one_call_and_scontrol_tells_the_same(
    backend: SlurmBackend, slurm: SlurmCluster
) -> None:
    subs = [backend.submit(launch(f"12-{i}", f"exit {i}")) for i in range(3)]
    for sub in subs:
        wait_end(backend, sub.handle)
    handles = [s.handle for s in subs]
    by_squeue = backend.poll_many(handles)
    assert [by_squeue[h].exit_code for h in handles] == [0, 1, 2]
    older = SlurmBackend(PARTITION, backend.output_dir, slurm_conf=str(slurm.conf))
    older._json = False  # as on a Slurm whose squeue has no --json
    assert older.poll_many(handles) == by_squeue


def test_a_job_slurm_has_forgotten_is_known_from_what_its_script_wrote(
    backend: SlurmBackend,
) -> None:
    ok = backend.submit(launch("13", "true"))
    bad = backend.submit(launch("14", "exit 5"))
    wait_end(backend, ok.handle)
    wait_end(backend, bad.handle)
    # As after MinJobAge, with no accounting: only the files are left.
    assert backend._gone(ok.handle) == RunStatus(RunState.COMPLETED, exit_code=0)
    assert backend._gone(bad.handle) == RunStatus(RunState.FAILED, exit_code=5)
    assert backend._gone("999999").state is RunState.LOST  # never started here
    assert backend.poll("999999").state is RunState.LOST


def test_slurmctld_away_and_back(backend: SlurmBackend, slurm: SlurmCluster) -> None:
    """Every call says the cluster is unreachable (a submit: certainly not sent) while
    slurmctld is down; the job that ran meanwhile is found when it is back."""
    sub = backend.submit(launch("15", "sleep 3"))
    wait_running(backend, sub.handle)
    slurm.stop_ctld()
    try:
        with pytest.raises(BackendUnreachable) as info:
            backend.poll(sub.handle)
        with pytest.raises(BackendUnreachable):
            backend.ping()
        with pytest.raises(BackendUnreachable) as refused:
            backend.submit(launch("16", "true"))
        assert not refused.value.sent
        assert "squeue" in str(info.value) or "controller" in str(info.value)
    finally:
        slurm.start_ctld()
    backend.ping()
    assert wait_end(backend, sub.handle).state is RunState.COMPLETED
    assert backend.logs(sub.handle, 10) == ""
    slurm.wait_idle()


def test_a_pool_bound_to_slurm_gets_a_slurm_backend(tmp_path: Path) -> None:
    binding = Binding(
        "slurm",
        "slurm:hpc/gpu",
        (("cluster", "hpc"), ("partition", "gpu"), ("slurm_conf", "/x.conf"), ("timeout_s", "7")),
    )
    made = make_backend(binding, BackendContext(tmp_path))
    assert isinstance(made, SlurmBackend)
    assert (made.name, made.partition, made.slurm_conf, made.timeout_s) == (
        "slurm:hpc/gpu",
        "gpu",
        "/x.conf",
        7.0,
    )
    assert made.output_dir == tmp_path / "slurm-hpc-gpu"
    elsewhere = replace(binding, options=(*binding.options, ("output_dir", "/shared/out")))
    made = make_backend(elsewhere, BackendContext(tmp_path))
    assert isinstance(made, SlurmBackend)
    assert made.output_dir == Path("/shared/out")


def _job(state: str, **more: Any) -> dict[str, Any]:
    return {"job_id": 1, "job_state": state, "start_time": 100, "end_time": 160, **more}


def _ended(state: RunState, code: int, detail: str = "") -> RunStatus:
    return RunStatus(state, code, 100.0, 160.0, detail)


NEWER = {  # Slurm 23.02 and newer: states as lists, numbers and exit codes as objects
    "job_state": ["TIMEOUT"],
    "exit_code": {
        "status": ["SIGNALED"],
        "return_code": {"set": True, "number": 0},
        "signal": {"id": {"set": True, "number": 15}},
    },
    "start_time": {"set": True, "number": 100},
    "end_time": {"set": True, "number": 160},
}


@pytest.mark.parametrize(
    ("job", "want"),
    [
        (
            _job("PENDING", state_reason="Resources"),
            RunStatus(RunState.STARTING, detail="waiting in Slurm (Resources)"),
        ),
        (_job("REQUEUED"), RunStatus(RunState.STARTING)),
        (_job("RUNNING"), RunStatus(RunState.RUNNING, started_s=100.0)),
        (_job("COMPLETING"), RunStatus(RunState.RUNNING, started_s=100.0, detail="completing")),
        (_job("COMPLETED", exit_code=0), _ended(RunState.COMPLETED, 0)),
        (_job("FAILED", exit_code=3 << 8), _ended(RunState.FAILED, 3)),
        (_job("FAILED", exit_code=9), _ended(RunState.FAILED, -9, "killed by signal 9")),
        (_job("TIMEOUT", exit_code=15), _ended(RunState.TIMED_OUT, -15)),
        (_job("CANCELLED", exit_code=15), _ended(RunState.CANCELLED, -15, "cancelled in Slurm")),
        (_job("NODE_FAIL", exit_code=0), _ended(RunState.FAILED, 0, "node failure")),
        (_job("OUT_OF_MEMORY", exit_code=0), _ended(RunState.FAILED, 0, "out of memory")),
        (_job("PREEMPTED", exit_code=0), _ended(RunState.CANCELLED, 0, "preempted in Slurm")),
        (NEWER, _ended(RunState.TIMED_OUT, -15)),
    ],
    ids=lambda v: str(v["job_state"]) if isinstance(v, dict) else "",
)
def test_slurm_states_in_squeue_json(job: dict[str, Any], want: RunStatus) -> None:
    assert _json_status(job) == want


def test_slurm_states_in_scontrol_fields() -> None:
    fields = {
        "JobState": "NODE_FAIL",
        "ExitCode": "0:0",
        "StartTime": "2026-11-23T10:00:00",
        "EndTime": "2026-11-23T10:01:00",
        "Reason": "NodeDown",
    }
    got = _fields_status(fields)
    assert (got.state, got.exit_code, got.detail) == (RunState.FAILED, 0, "node failure")
    assert got.ended_s is not None and got.started_s is not None
    assert got.ended_s - got.started_s == 60
    signalled = _fields_status({**fields, "JobState": "CANCELLED", "ExitCode": "0:15"})
    assert (signalled.state, signalled.exit_code) == (RunState.CANCELLED, -15)
