"""The local executor's wrapper process: runs one job and writes down what became of it.

Started as `python _runner.py JOBDIR`, detached from the server. It claims the job by creating
`started` exclusively (so a second wrapper for the same job exits at once), runs the command in a
session of its own with its output in `output.log`, kills it when its walltime runs out or when
asked to stop (SIGTERM), passes a preemption notice on (a `notice` file: SIGTERM to the job,
which runs on to save its work until it is stopped), and writes `exit.json` (atomically) when
it ends. A server that restarts reads these files to learn what happened while it was away.

Standard library only, so that it starts fast and depends on nothing the server imports.
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

GRACE_S = 5.0
"""How long a job has to stop after SIGTERM before it is killed."""


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w") as f:
        json.dump(data, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the job's whole process group, then SIGKILL after a grace period."""
    for sig, wait in ((signal.SIGTERM, GRACE_S), (signal.SIGKILL, None)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def run(job_dir: Path) -> int:
    spec = json.loads((job_dir / "spec.json").read_text())
    try:
        fd = os.open(job_dir / "started", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return 0  # another wrapper has this job
    started = time.time()
    stop_asked = False

    def on_term(_sig: int, _frame: object) -> None:
        nonlocal stop_asked
        stop_asked = True

    signal.signal(signal.SIGTERM, on_term)
    ended: dict[str, Any] = {"started_s": started}
    if (job_dir / "cancel").exists():
        os.close(fd)
        _write_json(job_dir / "exit.json", {**ended, "state": "cancelled", "ended_s": started})
        return 0
    env = {**os.environ, **spec["env"]}
    log = open(job_dir / "output.log", "ab")  # noqa: SIM115 - stays open while the job runs
    try:
        proc = subprocess.Popen(
            spec["command"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=spec.get("workdir") or None,
            env=env,
            start_new_session=True,
        )
    except OSError as exc:
        log.write(f"aigrid: cannot start {spec['command'][0]!r}: {exc}\n".encode())
        log.close()
        os.write(fd, json.dumps({"pid": os.getpid(), "started_s": started}).encode())
        os.close(fd)
        _write_json(
            job_dir / "exit.json",
            {**ended, "state": "failed", "exit_code": 127, "ended_s": time.time()},
        )
        return 0
    os.write(fd, json.dumps({"pid": os.getpid(), "child": proc.pid, "started_s": started}).encode())
    os.fsync(fd)
    os.close(fd)
    deadline = started + float(spec["walltime_s"])
    state = ""
    noticed = False
    while True:
        try:
            proc.wait(timeout=max(0.0, min(0.2, deadline - time.time())))
            break
        except subprocess.TimeoutExpired:
            pass
        if not noticed and (job_dir / "notice").exists():
            noticed = True
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        if stop_asked or (job_dir / "cancel").exists():
            state = "cancelled"
            _stop(proc)
            break
        if time.time() >= deadline:
            state = "timed_out"
            log.write(
                f"\naigrid: walltime of {spec['walltime_s']:g} s ran out; job stopped\n".encode()
            )
            log.flush()
            _stop(proc)
            break
    code = proc.returncode
    if not noticed and (job_dir / "notice").exists():
        noticed = True  # told as it ended
    if not state:
        # A job told it is preempted has stopped for that, however it exited.
        state = "cancelled" if noticed else "completed" if code == 0 else "failed"
    log.close()
    _write_json(
        job_dir / "exit.json", {**ended, "state": state, "exit_code": code, "ended_s": time.time()}
    )
    return 0


if __name__ == "__main__":
    sys.exit(run(Path(sys.argv[1])))
