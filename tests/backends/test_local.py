"""The local executor end to end: real processes, GPUs in CUDA_VISIBLE_DEVICES, walltime,
logs, cancel, duplicates, and a second executor (a restarted server) finding out what became of
jobs the first one started."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from aigrid.backends import (
    Backend,
    BackendError,
    Launch,
    LocalExecutor,
    MockBackend,
    MockCall,
    RunState,
    RunStatus,
    SupportsLogs,
    SupportsNotice,
)


def wait_end(backend: Backend, handle: str, timeout_s: float = 20.0) -> RunStatus:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = backend.poll(handle)
        if status.state.ended:
            return status
        time.sleep(0.05)
    raise AssertionError(f"{handle} did not end")


def launch(
    key: str, *command: str, walltime_s: float = 30, devices: tuple[int, ...] = (0,)
) -> Launch:
    return Launch(key, command, walltime_s, env={"GREETING": "hi"}, devices=(devices,))


def test_runs_with_its_gpus_and_keeps_output(tmp_path: Path) -> None:
    ex = LocalExecutor(tmp_path)
    sub = ex.submit(
        launch("1", "sh", "-c", "echo $GREETING $CUDA_VISIBLE_DEVICES; echo e >&2", devices=(2, 3))
    )
    assert not sub.duplicate
    status = wait_end(ex, sub.handle)
    assert (status.state, status.exit_code) == (RunState.COMPLETED, 0)
    assert status.started_s is not None and status.ended_s is not None
    assert isinstance(ex, SupportsLogs)
    assert ex.logs(sub.handle, 1000) == "hi 2,3\ne\n"
    assert ex.logs(sub.handle, 2) == "e\n"[-2:]


def test_exit_codes_and_missing_commands_fail(tmp_path: Path) -> None:
    ex = LocalExecutor(tmp_path)
    status = wait_end(ex, ex.submit(launch("1", "sh", "-c", "exit 7")).handle)
    assert (status.state, status.exit_code) == (RunState.FAILED, 7)
    status = wait_end(ex, ex.submit(launch("2", "/no/such/program")).handle)
    assert (status.state, status.exit_code) == (RunState.FAILED, 127)
    assert "cannot start" in (ex.logs("2", 1000) or "")


def test_walltime_kills_the_job(tmp_path: Path) -> None:
    ex = LocalExecutor(tmp_path)
    t0 = time.monotonic()
    status = wait_end(ex, ex.submit(launch("1", "sleep", "30", walltime_s=0.5)).handle)
    assert status.state is RunState.TIMED_OUT
    assert time.monotonic() - t0 < 10
    assert "walltime" in (ex.logs("1", 1000) or "")


def test_cancel_stops_a_running_job(tmp_path: Path) -> None:
    ex = LocalExecutor(tmp_path)
    handle = ex.submit(launch("1", "sleep", "30")).handle
    deadline = time.monotonic() + 10
    while ex.poll(handle).state is not RunState.RUNNING and time.monotonic() < deadline:
        time.sleep(0.02)
    ex.cancel(handle)
    assert wait_end(ex, handle).state is RunState.CANCELLED


def test_a_notice_lets_the_job_save_its_work_and_it_ends_as_cancelled(tmp_path: Path) -> None:
    """A preemption notice: SIGTERM to the job, which saves and exits 0; having been told, it
    ends as cancelled (stopped for the preemption), not completed."""
    ex = LocalExecutor(tmp_path / "jobs")
    saved = tmp_path / "saved"
    script = f"trap 'echo saved > {saved}; exit 0' TERM; while :; do sleep 0.1; done"
    handle = ex.submit(launch("1", "sh", "-c", script)).handle
    deadline = time.monotonic() + 10
    while ex.poll(handle).state is not RunState.RUNNING and time.monotonic() < deadline:
        time.sleep(0.02)
    assert isinstance(ex, SupportsNotice)
    ex.notice(handle)
    status = wait_end(ex, handle)
    assert (status.state, status.exit_code) == (RunState.CANCELLED, 0)
    assert saved.read_text() == "saved\n"


def test_a_duplicate_submit_starts_nothing(tmp_path: Path) -> None:
    ex = LocalExecutor(tmp_path / "jobs")
    marks = tmp_path / "marks"
    job = launch("1", "sh", "-c", f"echo ran >> {marks}")
    first = ex.submit(job)
    wait_end(ex, first.handle)
    again = LocalExecutor(tmp_path / "jobs").submit(job)
    assert again.duplicate
    time.sleep(0.3)
    assert marks.read_text() == "ran\n"


def test_two_racing_submits_run_the_job_once(tmp_path: Path) -> None:
    ex = LocalExecutor(tmp_path / "jobs")
    marks = tmp_path / "marks"
    job = launch("1", "sh", "-c", f"echo ran >> {marks}; sleep 0.2")
    ex.submit(job)
    (tmp_path / "jobs" / "1" / "started").unlink(missing_ok=True)  # as if not yet claimed
    ex.submit(job)
    wait_end(ex, "1")
    time.sleep(0.5)
    assert marks.read_text() == "ran\n"


def test_a_new_executor_sees_jobs_the_old_one_started(tmp_path: Path) -> None:
    old = LocalExecutor(tmp_path)
    handle = old.submit(launch("1", "sleep", "0.5")).handle
    new = LocalExecutor(tmp_path)
    deadline = time.monotonic() + 10
    while new.poll(handle).state is RunState.STARTING and time.monotonic() < deadline:
        time.sleep(0.02)
    assert new.poll(handle).state in (RunState.RUNNING, RunState.COMPLETED)
    assert wait_end(new, handle).state is RunState.COMPLETED
    wait_end(old, handle)  # reaps the wrapper this process started


def test_bad_keys_are_refused(tmp_path: Path) -> None:
    with pytest.raises(BackendError):
        LocalExecutor(tmp_path).submit(launch("../x", "true"))


def test_mock_backend_takes_a_handler() -> None:
    def handler(call: MockCall) -> RunStatus:
        if call.cancelled:
            return RunStatus(RunState.CANCELLED)
        return RunStatus(RunState.RUNNING if call.polls < 2 else RunState.COMPLETED, 0)

    mock = MockBackend(handler)
    h = mock.submit(launch("9", "true")).handle
    assert [mock.poll(h).state for _ in range(3)] == [
        RunState.RUNNING,
        RunState.RUNNING,
        RunState.COMPLETED,
    ]
    assert mock.submit(launch("9", "true")).duplicate
    mock.cancel(h)
    assert mock.poll(h).state is RunState.CANCELLED
