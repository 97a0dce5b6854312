"""The Slurm backend: each job a Slurm batch job in one partition, through Slurm's own commands.

- **submit**: `sbatch --parsable` with the job's GPUs as gres per node (`--gres=gpu:N`, and
  `--nodes=K` for a gang of K whole nodes), its walltime as `--time` (whole minutes, rounded
  up), the aigrid key in `--job-name` (`aigrid-KEY`) and `--comment`, and its output in
  `OUTPUT_DIR/slurm-JOBID.out`. The batch script sets the job's environment, writes the key's
  marker (`key-KEY`, the Slurm job id) when it starts and the exit status
  (`slurm-JOBID.exit`) when the command ends. Before submitting, the key is looked up among the
  jobs `squeue` listed from this output directory (listed once, then kept up to date), then
  among the markers, so a submit repeated after a restart finds the job and starts nothing
  (`Submitted(duplicate=True)`).
- **poll**: `squeue --json` (Slurm 21.08 and newer; one call for every job polled, at most one
  a second), else `scontrol show job`. Slurm keeps an ended job for `MinJobAge` (300 s by
  default); after that `sacct` tells, where accounting runs, else the exit status the script
  wrote. Slurm's states map to aigrid's: PENDING and REQUEUED are starting, COMPLETED
  completed, FAILED and OUT_OF_MEMORY failed, TIMEOUT timed out, CANCELLED cancelled (with the
  cause "cancelled in Slurm", which the loop keeps when aigrid did not ask), NODE_FAIL failed
  with the cause "node failure".
- **cancel**: `scancel`. **logs**: the tail of the job's output file.

Every command has a timeout. A command that cannot reach slurmctld, or times out, raises
`BackendUnreachable`; the scheduling loop then leaves the cluster's jobs as they are and asks
again later (`ping`: `scontrol ping`, which says at once when slurmctld is down).

Slurm chooses the nodes and GPUs within the partition (and sets `CUDA_VISIBLE_DEVICES`); aigrid
keeps its own count of the pool's capacity, so the pool should describe the partition (nodes and
GPUs per node) and aigrid should be the partition's only user.
"""

from __future__ import annotations

import json
import math
import os
import re
import shlex
import subprocess
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from aigrid.backends.base import (
    BackendError,
    BackendUnreachable,
    Launch,
    RunState,
    RunStatus,
    Submitted,
)

POLL_S = 1.0
"""A `squeue` younger than this answers polls again (Slurm's own clock ticks in seconds)."""
TIMEOUT_S = 30.0
"""How long one Slurm command may take, by default (longer than Slurm's own wait for an absent
slurmctld, about 10 s, so that such a failure says so)."""
JOB_PREFIX = "aigrid-"
"""Slurm job names are this followed by the aigrid key."""

_UNREACHABLE = (
    "Unable to contact slurm controller",
    "Connection refused",
    "Unable to establish controller machine",
    "Could not establish a configuration source",
)
"""What Slurm's commands say when they could not talk to slurmctld at all (nothing was sent)."""
_TIMED_OUT = ("Socket timed out", "Zero Bytes were transmitted", "Transport endpoint")
"""What they say when slurmctld did not answer in time (the request may have arrived)."""

_STARTING = {
    "PENDING",
    "CONFIGURING",
    "REQUEUED",
    "REQUEUE_HOLD",
    "REQUEUE_FED",
    "RESV_DEL_HOLD",
    "RESIZING",
}
_RUNNING = {"RUNNING", "COMPLETING", "STAGE_OUT", "SIGNALING", "SUSPENDED", "STOPPED"}
_ENDED: dict[str, tuple[RunState, str]] = {
    "COMPLETED": (RunState.COMPLETED, ""),
    "FAILED": (RunState.FAILED, ""),
    "OUT_OF_MEMORY": (RunState.FAILED, "out of memory"),
    "BOOT_FAIL": (RunState.FAILED, "node boot failure"),
    "NODE_FAIL": (RunState.FAILED, "node failure"),
    "DEADLINE": (RunState.FAILED, "deadline passed in Slurm"),
    "SPECIAL_EXIT": (RunState.FAILED, "special exit in Slurm"),
    "REVOKED": (RunState.FAILED, "revoked in Slurm"),
    "TIMEOUT": (RunState.TIMED_OUT, ""),
    "CANCELLED": (RunState.CANCELLED, "cancelled in Slurm"),
    "PREEMPTED": (RunState.CANCELLED, "preempted in Slurm"),
}


class SlurmBackend:
    """Jobs in one partition of a Slurm cluster, through `sbatch`, `squeue`, `scontrol`,
    `scancel` (and `sacct` where the cluster keeps accounting)."""

    def __init__(
        self,
        partition: str,
        output_dir: Path,
        *,
        name: str = "slurm",
        cluster: str | None = None,
        slurm_conf: str | None = None,
        timeout_s: float = TIMEOUT_S,
        poll_s: float = POLL_S,
    ) -> None:
        self.name = name
        self.partition = partition
        self.cluster = cluster
        self.output_dir = output_dir
        self.slurm_conf = slurm_conf
        self.timeout_s = timeout_s
        self.poll_s = poll_s
        self._keys: dict[str, str] | None = None
        """Key -> Slurm job id of the jobs from this output directory: those `squeue` listed
        when the first submit came, and those submitted since (None: not listed yet)."""
        self._queued: dict[str, RunStatus] = {}
        self._queued_at = -math.inf
        """The last `squeue`'s statuses, and when it ran (monotonic)."""
        self._env = {**os.environ, "SLURM_CONF": slurm_conf} if slurm_conf else None
        self._json: bool | None = None
        """Whether `squeue --json` works here (None: not tried yet)."""
        self._sacct: bool | None = None
        """Whether `sacct` answers (accounting runs) here."""

    # -- the protocol ----------------------------------------------------------------------------

    def submit(self, launch: Launch) -> Submitted:
        found = self._find(launch.key)
        if found is not None:
            return Submitted(found, duplicate=True)
        self.output_dir.mkdir(parents=True, exist_ok=True)
        args = ["sbatch", "--parsable", *self._options(launch)]
        out = self._run(args, stdin=self._script(launch), sent=True)
        job_id = out.strip().split(";")[0]
        if not job_id.isdigit():
            raise BackendError(f"sbatch said {out.strip()!r}, not a job id")
        assert self._keys is not None  # listed by `_find`
        self._keys[launch.key] = job_id
        return Submitted(job_id)

    def poll(self, handle: str) -> RunStatus:
        return self.poll_many([handle])[handle]

    def poll_many(self, handles: Sequence[str]) -> dict[str, RunStatus]:
        """The status of each job: one `squeue` for all, then for each job Slurm no longer
        lists, accounting or what its batch script wrote."""
        wanted = set(handles)
        now = time.monotonic()
        if now - self._queued_at >= self.poll_s or not wanted <= self._queued.keys():
            self._queued, self._queued_at = self._queue(wanted), now
        out = {h: s for h, s in self._queued.items() if h in wanted}
        for handle in wanted - out.keys():
            out[handle] = self._gone(handle)
        return out

    def cancel(self, handle: str) -> None:
        self._run(["scancel", handle])

    def notice(self, handle: str) -> None:
        """SIGTERM to the job's batch script and steps, leaving the job running."""
        self._run(["scancel", "--signal=TERM", "--full", handle])

    def logs(self, handle: str, max_bytes: int) -> str | None:
        path = self._output(handle)
        try:
            with path.open("rb") as f:
                size = f.seek(0, os.SEEK_END)
                f.seek(max(0, size - max_bytes))
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return None

    def ping(self) -> None:
        """Raise `BackendUnreachable` unless slurmctld answers `scontrol ping` (which says DOWN
        at once when it is not there)."""
        done = self._call(["scontrol", "ping"], sent=False)
        if " is UP" not in done.stdout:
            said = done.stdout.strip().splitlines()[:1] or [done.stderr.strip()]
            raise BackendUnreachable(f"scontrol ping: {said[0]}", sent=False)

    # -- submitting ------------------------------------------------------------------------------

    def _options(self, launch: Launch) -> list[str]:
        per_node = [len(d) for d in launch.devices] or [0]
        nodes = max(1, len(launch.devices), len(launch.nodes))
        if len(set(per_node)) == 1 and per_node[0] > 0:
            gpus = [f"--gres=gpu:{per_node[0]}"]
        else:
            gpus = [f"--gpus={sum(per_node)}"] if sum(per_node) else []
        minutes = max(1, math.ceil(launch.walltime_s / 60))
        workdir = launch.workdir or str(self.output_dir)
        return [
            f"--partition={self.partition}",
            f"--job-name={JOB_PREFIX}{launch.key}",
            f"--comment=aigrid job {launch.key}",
            f"--nodes={nodes}",
            *gpus,
            f"--time={minutes}",
            f"--output={self.output_dir / 'slurm-%j.out'}",
            f"--chdir={workdir}",
        ]

    def _script(self, launch: Launch) -> str:
        """The batch script: the job's environment, the key's marker, the command, its exit
        status."""
        env = {**launch.env, "AIGRID_JOB_ID": launch.key}
        if launch.nodes:  # aigrid's names of the nodes; Slurm's are in SLURM_JOB_NODELIST
            env["AIGRID_NODES"] = ",".join(launch.nodes)
        lines = ["#!/bin/sh", f"# aigrid job {launch.key}"]
        for key, value in env.items():
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
                raise BackendError(f"environment variable {key!r} is not a valid name")
            lines.append(f"export {key}={shlex.quote(value)}")
        out = shlex.quote(str(self.output_dir))
        lines += [
            f'echo "$SLURM_JOB_ID" > {out}/key-{shlex.quote(launch.key)}',
            # A preemption notice (SIGTERM to every process of the job) is the command's to
            # act on: this shell waits for it to end, then writes its status as ever.
            "trap : TERM",
            shlex.join(launch.command),
            "status=$?",
            f'echo "$status" > {out}/slurm-"$SLURM_JOB_ID".exit',
            'exit "$status"',
        ]
        return "\n".join(lines) + "\n"

    def _find(self, key: str) -> str | None:
        """The Slurm job already submitted from this output directory under `key`, if any."""
        if self._keys is None:
            self._keys = self._listed()
        if key in self._keys:
            return self._keys[key]
        marker = self.output_dir / f"key-{key}"
        try:
            job_id = marker.read_text().strip()
        except FileNotFoundError:
            return None
        return job_id if job_id.isdigit() else None

    def _listed(self) -> dict[str, str]:
        """Key -> Slurm job id of every job `squeue` lists from this output directory."""
        out = self._run(
            ["squeue", "--noheader", "--states=all", "--Format=JobID:|,Name:|,StdOut:"],
            sent=False,
        )
        keys = {}
        for line in out.splitlines():
            job_id, name, stdout = (f.strip() for f in [*line.split("|"), "", ""][:3])
            if (
                job_id.isdigit()
                and name.startswith(JOB_PREFIX)
                and Path(stdout).parent == self.output_dir
            ):
                keys[name[len(JOB_PREFIX) :]] = job_id
        return keys

    # -- polling ---------------------------------------------------------------------------------

    def _queue(self, handles: set[str]) -> dict[str, RunStatus]:
        """What `squeue` (or `scontrol`, where it has no JSON) says of the jobs it still lists."""
        if self._json is not False:
            try:
                text = self._run(["squeue", "--json", "--states=all"], sent=False)
            except BackendError as exc:
                if "json" not in str(exc).lower() and "unrecognized" not in str(exc):
                    raise
                self._json = False
            else:
                self._json = True
                return {str(j.get("job_id")): _json_status(j) for j in _squeue_jobs(text)}
        out = {}
        for handle in handles:
            fields = self._scontrol(handle)
            if fields is not None:
                out[handle] = _fields_status(fields)
        return out

    def _scontrol(self, handle: str) -> dict[str, str] | None:
        try:
            text = self._run(["scontrol", "--oneliner", "show", "job", handle], sent=False)
        except BackendError as exc:
            if "Invalid job id" in str(exc):
                return None
            raise
        return dict(re.findall(r"(\w+(?:/\w+)?)=(\S*)", text))

    def _gone(self, handle: str) -> RunStatus:
        """A job `squeue` no longer lists: what accounting says, else what its script wrote."""
        if self._sacct is not False:
            status = self._accounted(handle)
            if status is not None:
                return status
        try:
            code = int((self.output_dir / f"slurm-{handle}.exit").read_text().strip())
        except (FileNotFoundError, ValueError):
            pass
        else:
            state = RunState.COMPLETED if code == 0 else RunState.FAILED
            return RunStatus(state, exit_code=code)
        if self._output(handle).exists():
            return RunStatus(
                RunState.FAILED,
                detail="ended while aigrid did not see it, and Slurm no longer knows how",
            )
        return RunStatus(RunState.LOST)

    def _accounted(self, handle: str) -> RunStatus | None:
        try:
            text = self._run(
                [
                    "sacct",
                    "--noheader",
                    "--parsable2",
                    "--jobs",
                    handle,
                    "--format=JobID,State,ExitCode,Start,End",
                ],
                sent=False,
            )
        except BackendUnreachable:
            raise
        except BackendError:
            self._sacct = False  # no accounting here: "accounting storage is disabled"
            return None
        self._sacct = True
        for line in text.splitlines():
            parts = line.split("|")
            if len(parts) == 5 and parts[0] == handle:
                return _fields_status(
                    {
                        "JobState": parts[1].split()[0],
                        "ExitCode": parts[2],
                        "StartTime": parts[3],
                        "EndTime": parts[4],
                        "Reason": " ".join(parts[1].split()[1:]),
                    }
                )
        return None

    # -- helpers ---------------------------------------------------------------------------------

    def _output(self, handle: str) -> Path:
        return self.output_dir / f"slurm-{handle}.out"

    def _run(self, args: list[str], stdin: str | None = None, *, sent: bool = True) -> str:
        """Run a Slurm command; its stdout, or `BackendError` if it failed."""
        done = self._call(args, stdin, sent=sent)
        if done.returncode != 0:
            raise BackendError(f"{args[0]} failed: {_last_line(done.stderr) or done.returncode}")
        return done.stdout

    def _call(
        self, args: list[str], stdin: str | None = None, *, sent: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run a Slurm command, with a timeout; `BackendUnreachable` when it could not reach
        slurmctld. `sent`: whether a request that timed out may have changed something (a
        submit, a cancel)."""
        try:
            done = subprocess.run(
                args,
                input=stdin,
                capture_output=True,
                text=True,
                timeout=self.timeout_s,
                env=self._env,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise BackendUnreachable(
                f"{args[0]} did not answer within {self.timeout_s:g} s", sent=sent
            ) from exc
        except FileNotFoundError as exc:
            raise BackendError(f"{args[0]} is not installed here (Slurm's commands)") from exc
        err = done.stderr.strip()
        if any(s in err for s in _UNREACHABLE):
            raise BackendUnreachable(_last_line(err), sent=False)
        if any(s in err for s in _TIMED_OUT):
            raise BackendUnreachable(_last_line(err), sent=sent)
        return done


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def _squeue_jobs(text: str) -> list[Mapping[str, Any]]:
    data = json.loads(text)
    errors = data.get("errors") or []
    if errors:
        # 22.05 says no more than "Failed while looking for jobs" when slurmctld is away: a
        # read that failed is taken for an absent controller, which `ping` then checks.
        first = errors[0]
        message = "; ".join(str(first.get(k)) for k in ("description", "error") if first.get(k))
        raise BackendUnreachable(f"squeue: {message or first}", sent=False)
    jobs: list[Mapping[str, Any]] = data.get("jobs") or []
    return jobs


def _number(value: Any) -> int | None:
    """A number of `squeue --json`: a plain one (22.05), or {"set": ..., "number": ...}."""
    if isinstance(value, Mapping):
        if not value.get("set", True) or value.get("infinite"):
            return None
        value = value.get("number")
    return int(value) if isinstance(value, int | float) else None


def _json_status(job: Mapping[str, Any]) -> RunStatus:
    state = job.get("job_state")
    if isinstance(state, list):  # 23.02 and newer: the state and its flags
        state = state[0] if state else "PENDING"
    code = job.get("exit_code")
    exit_code: int | None
    if isinstance(code, Mapping):  # 23.02 and newer
        signal = _number((code.get("signal") or {}).get("id"))
        number = _number(code.get("return_code"))
        exit_code = -signal if signal else number
    else:
        raw = _number(code)
        exit_code = None if raw is None else _wait_status(raw)
    return _status(
        str(state),
        exit_code,
        _number(job.get("start_time")),
        _number(job.get("end_time")),
        str(job.get("state_reason") or ""),
    )


def _fields_status(fields: Mapping[str, str]) -> RunStatus:
    """A status from `scontrol show job` (or `sacct`) fields."""
    code, _, signal = fields.get("ExitCode", "").partition(":")
    exit_code = -int(signal) if signal.isdigit() and int(signal) else None
    if exit_code is None and code.isdigit():
        exit_code = int(code)
    return _status(
        fields.get("JobState", "PENDING"),
        exit_code,
        _time(fields.get("StartTime", "")),
        _time(fields.get("EndTime", "")),
        fields.get("Reason", ""),
    )


def _time(text: str) -> int | None:
    try:
        return int(datetime.fromisoformat(text).timestamp())
    except ValueError:
        return None


def _wait_status(raw: int) -> int:
    """A wait status as Slurm keeps it (22.05's JSON): the exit code, or minus the signal."""
    signal = raw & 0x7F
    return -signal if signal else (raw >> 8) & 0xFF


def _status(
    state: str, exit_code: int | None, start: int | None, end: int | None, reason: str
) -> RunStatus:
    state = state.split(maxsplit=1)[0].rstrip("+") if state else "PENDING"
    started = float(start) if start else None
    if state in _STARTING:
        detail = f"waiting in Slurm ({reason})" if reason and reason != "None" else ""
        return RunStatus(RunState.STARTING, detail=detail)
    if state in _RUNNING:
        detail = "" if state == "RUNNING" else state.lower()
        return RunStatus(RunState.RUNNING, started_s=started, detail=detail)
    ended = _ENDED.get(state)
    if ended is None:
        return RunStatus(RunState.RUNNING, started_s=started, detail=f"Slurm state {state}")
    run_state, cause = ended
    if run_state is RunState.FAILED and not cause and exit_code is not None and exit_code < 0:
        cause = f"killed by signal {-exit_code}"
    if run_state is RunState.COMPLETED:
        exit_code = 0 if exit_code is None else exit_code
    return RunStatus(
        run_state,
        exit_code=exit_code,
        started_s=started,
        ended_s=float(end) if end else None,
        detail=cause,
    )
