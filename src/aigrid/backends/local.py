"""The local executor: each job a process on this machine, supervised by a small wrapper.

Every job has a directory `<root>/<key>/` holding `spec.json` (what to run), `started` (the
wrapper's claim, with its pid), `output.log` (stdout and stderr) and, once it ended, `exit.json`
(state, exit code, times). The files are the truth: a server that was restarted, or killed,
learns from them what its jobs did meanwhile, and a submit of a key whose directory holds a
claim is recognised as a duplicate and starts nothing.

GPUs are given to a job as `CUDA_VISIBLE_DEVICES` from its placement; on a machine without GPUs
they are simulated (the variable is set all the same).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from aigrid.backends import _runner
from aigrid.backends.base import BackendError, Launch, RunState, RunStatus, Submitted

RUNNER = Path(_runner.__file__)
CLAIM_TIMEOUT_S = 30.0
"""A wrapper that has not claimed its job this long after it was spawned is taken as lost."""


class LocalExecutor:
    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self._children: dict[str, list[subprocess.Popen[bytes]]] = {}

    def _dir(self, key: str) -> Path:
        if not key or "/" in key or key.startswith("."):
            raise BackendError(f"bad job key {key!r}")
        return self.root / key

    def submit(self, launch: Launch) -> Submitted:
        d = self._dir(launch.key)
        d.mkdir(exist_ok=True)
        if (d / "started").exists() or (d / "exit.json").exists():
            return Submitted(launch.key, duplicate=True)
        env = dict(launch.env)
        env["CUDA_VISIBLE_DEVICES"] = (
            ",".join(str(i) for i in launch.devices[0]) if launch.devices else ""
        )
        env["AIGRID_JOB_ID"] = launch.key
        if launch.nodes:
            env["AIGRID_NODES"] = ",".join(launch.nodes)
        spec = {
            "command": list(launch.command),
            "env": env,
            "walltime_s": launch.walltime_s,
            "workdir": launch.workdir,
        }
        _runner._write_json(d / "spec.json", spec)
        try:
            with open(d / "runner.err", "ab") as err:
                child = subprocess.Popen(
                    [sys.executable, str(RUNNER), str(d)],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=err,
                    start_new_session=True,
                    close_fds=True,
                )
        except OSError as exc:
            raise BackendError(f"cannot start the job wrapper: {exc}") from exc
        self._children.setdefault(launch.key, []).append(child)
        return Submitted(launch.key)

    def _reap(self, key: str) -> bool:
        """Whether a wrapper this process spawned for `key` is still alive (reaping any that
        ended)."""
        children = self._children.get(key)
        if not children:
            return False
        alive = [c for c in children if c.poll() is None]
        if alive:
            self._children[key] = alive
        else:
            del self._children[key]
        return bool(alive)

    def _finish(self, key: str) -> None:
        """The job's exit is recorded: its wrapper is exiting; reap it."""
        for child in self._children.pop(key, []):
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=5)

    def poll(self, handle: str) -> RunStatus:
        d = self._dir(handle)
        alive_here = self._reap(handle)
        status = _read_exit(d)
        if status is not None:
            self._finish(handle)
            return status
        claim = _read_json(d / "started")
        if claim is None:
            if not (d / "started").exists():
                spawned = (d / "spec.json").stat().st_mtime if (d / "spec.json").exists() else 0.0
                if alive_here or time.time() - spawned < CLAIM_TIMEOUT_S:
                    return RunStatus(RunState.STARTING)
                return RunStatus(RunState.LOST, detail="the job's wrapper never started")
            return RunStatus(RunState.STARTING)  # claimed, pid not yet written
        pid = int(claim["pid"])
        if alive_here or _alive(pid, d):
            return RunStatus(RunState.RUNNING, started_s=claim.get("started_s"))
        status = _read_exit(d)  # it may have ended between the two reads
        if status is not None:
            return status
        return RunStatus(
            RunState.FAILED,
            started_s=claim.get("started_s"),
            ended_s=time.time(),
            detail="the job's wrapper died without recording an exit status",
        )

    def cancel(self, handle: str) -> None:
        d = self._dir(handle)
        (d / "cancel").touch()
        claim = _read_json(d / "started")
        if claim is not None and _alive(int(claim["pid"]), d):
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(claim["pid"]), signal.SIGTERM)

    def notice(self, handle: str) -> None:
        """The job's wrapper sends SIGTERM to the job's processes (once) and lets them run on;
        the job then ends as cancelled, whatever its exit code."""
        (self._dir(handle) / "notice").touch()

    def logs(self, handle: str, max_bytes: int) -> str | None:
        path = self._dir(handle) / "output.log"
        try:
            with open(path, "rb") as f:
                size = f.seek(0, os.SEEK_END)
                f.seek(max(0, size - max_bytes))
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return None


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    if not text:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def _read_exit(d: Path) -> RunStatus | None:
    data = _read_json(d / "exit.json")
    if data is None:
        return None
    return RunStatus(
        RunState(data["state"]),
        exit_code=data.get("exit_code"),
        started_s=data.get("started_s"),
        ended_s=data.get("ended_s"),
    )


def _alive(pid: int, job_dir: Path) -> bool:
    """Whether `pid` is a live wrapper of this job (not a reused pid, not a zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            if f.read().rsplit(")", 1)[-1].split()[0] == "Z":
                return False
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return str(job_dir).encode() in f.read()
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
