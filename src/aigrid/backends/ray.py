"""The Ray backend: each job a Ray job, through the Jobs API of a cluster's dashboard over HTTP.

It speaks to the REST endpoints (`POST /api/jobs/`, `GET /api/jobs/{id}`,
`POST /api/jobs/{id}/stop`, `GET /api/jobs/{id}/logs`) with httpx, so the server needs no `ray`
package. A job's key is its Ray `submission_id`: Ray refuses a second job with the same id, which
makes a repeated submit a duplicate that starts nothing. The job's GPU count is reserved for its
entrypoint (`entrypoint_num_gpus`), and Ray sets `CUDA_VISIBLE_DEVICES` to the GPUs it chose.

Ray knows no walltime. The backend enforces it when it polls: a job that has run its walltime is
stopped (`POST .../stop`) and reported `TIMED_OUT` once Ray says it stopped. The walltime rides
along in the job's metadata, so a restarted server enforces it too. A job's start is the latest
moment it was known not yet to run (Ray records only when a job was submitted): a job is never
given more than its walltime, and may be given up to one poll interval less.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from aigrid.backends.base import (
    BackendError,
    BackendUnreachable,
    Launch,
    RunState,
    RunStatus,
    Submitted,
)

TIMEOUT_S = 10.0
"""How long one call to the Jobs API may take, by default."""
RESTOP_S = 2.0
"""How often a stop is asked again while a job asked to stop has not (a job still pending when
first asked has no supervisor yet to receive it)."""
ENDED_KEPT = 4096
"""How many ended jobs' statuses are remembered (Ray's terminal states are final)."""
WALLTIME_KEY = "aigrid_walltime_s"
"""The metadata entry that holds a job's walltime on Ray."""

AGENT_BUSY = "No available agent to submit job, please try again later."
"""What Ray's head answers (HTTP 500) when its job agent cannot take a submission yet."""
_TRANSIENT = {502, 503, 504}


class RayBackend:
    """Jobs on a Ray cluster, addressed by its dashboard's URL (`http://127.0.0.1:8265`, or
    `127.0.0.1:8265` for short)."""

    def __init__(
        self,
        address: str,
        *,
        name: str = "ray",
        timeout_s: float = TIMEOUT_S,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.name = name
        """The backend's name in the store (a fleet's binding names it `ray:ADDRESS`)."""
        if "://" not in address:
            address = f"http://{address}"  # host:port, as `ray job submit --address` takes it
        self.address = address.rstrip("/")
        self._http = httpx.Client(
            base_url=self.address, timeout=timeout_s, transport=transport, trust_env=False
        )
        self._not_running_at: dict[str, float] = {}
        """When each job was last known not yet to run (submitted, or seen pending)."""
        self._started: dict[str, float] = {}
        self._stopping: dict[str, tuple[RunState, float]] = {}
        """Jobs asked to stop: why (CANCELLED or TIMED_OUT) and when a stop was last sent."""
        self._ended: dict[str, RunStatus] = {}

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RayBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the protocol ----------------------------------------------------------------------------

    def submit(self, launch: Launch) -> Submitted:
        gpus: float = len(launch.devices[0]) if launch.devices else 0
        if launch.gpu_share_milli:
            gpus = launch.gpu_share_milli / 1000  # Ray shares a GPU by fractions of one
        env = dict(launch.env)
        env["AIGRID_JOB_ID"] = launch.key
        env["AIGRID_GPUS"] = str(sum(len(d) for d in launch.devices))
        if launch.nodes:
            env["AIGRID_NODES"] = ",".join(launch.nodes)
        body = {
            "entrypoint": entrypoint(launch.command, launch.workdir),
            "submission_id": launch.key,
            "entrypoint_num_gpus": gpus,
            "runtime_env": {"env_vars": env},
            "metadata": {WALLTIME_KEY: f"{launch.walltime_s:g}", "aigrid_key": launch.key},
        }
        submitted_at = time.time()
        resp = self._call("POST", "/api/jobs/", json=body)
        if resp.status_code == httpx.codes.OK:
            self._not_running_at[launch.key] = submitted_at
            return Submitted(launch.key)
        # Ray answers a known submission_id with an error (400 or 500, the text saying it
        # "already exists"); whatever the error, a job that exists under the key is a duplicate.
        if self._job(launch.key) is not None:
            return Submitted(launch.key, duplicate=True)
        if AGENT_BUSY in resp.text:  # the head's job agent is not up (yet): nothing was made
            raise BackendUnreachable(f"Ray at {self.address} says: {AGENT_BUSY}", sent=False)
        raise _error(resp, f"Ray refused job {launch.key}")

    def poll(self, handle: str) -> RunStatus:
        ended = self._ended.get(handle)
        if ended is not None:
            return ended
        now = time.time()
        info = self._job(handle)
        if info is None:
            if handle in self._started:
                return self._end(
                    handle,
                    RunStatus(
                        RunState.FAILED,
                        started_s=self._started[handle],
                        ended_s=now,
                        detail="Ray has no record of the job any more (was the cluster restarted?)",
                    ),
                )
            return RunStatus(RunState.LOST, detail="Ray has no job under this key")
        status = str(info.get("status"))
        if status == "PENDING":
            self._not_running_at[handle] = now
            self._restop(handle, now)
            return RunStatus(RunState.STARTING, detail=str(info.get("message") or ""))
        started = self._start_of(handle, info)
        if status == "RUNNING":
            self._started[handle] = started
            walltime = _walltime(info)
            if walltime is not None and now - started >= walltime and handle not in self._stopping:
                self._stop(handle, RunState.TIMED_OUT, now)
            else:
                self._restop(handle, now)
            return RunStatus(RunState.RUNNING, started_s=started)
        ended_s = _seconds(info.get("end_time")) or now
        exit_code = info.get("driver_exit_code")
        if status == "SUCCEEDED":
            return self._end(handle, RunStatus(RunState.COMPLETED, 0, started, ended_s))
        if status == "FAILED":
            detail = str(info.get("message") or "Ray says the job failed").split("\n", 1)[0]
            code = exit_code if isinstance(exit_code, int) else None
            return self._end(handle, RunStatus(RunState.FAILED, code, started, ended_s, detail))
        if status == "STOPPED":
            state, detail = self._why_stopped(handle, info, started, ended_s)
            return self._end(handle, RunStatus(state, None, started, ended_s, detail))
        raise BackendError(f"Ray reports job {handle} in an unknown status {status!r}")

    def cancel(self, handle: str) -> None:
        if handle in self._ended:
            return
        self._stop(handle, RunState.CANCELLED, time.time())

    def ping(self) -> None:
        """Raise `BackendUnreachable` unless the Jobs API answers."""
        resp = self._call("GET", "/api/version")
        if resp.status_code != httpx.codes.OK:
            raise BackendUnreachable(
                f"Ray at {self.address} answered {resp.status_code} to GET /api/version"
            )

    def logs(self, handle: str, max_bytes: int) -> str | None:
        resp = self._call("GET", f"/api/jobs/{_quoted(handle)}/logs")
        if resp.status_code == httpx.codes.NOT_FOUND:
            return None
        if resp.status_code != httpx.codes.OK:
            raise _error(resp, f"Ray could not give the logs of job {handle}")
        text = str(_object(resp).get("logs", ""))
        data = text.encode()
        if len(data) <= max_bytes:
            return text
        return data[len(data) - max_bytes :].decode(errors="replace")

    # -- helpers ---------------------------------------------------------------------------------

    def _call(
        self, method: str, path: str, json: Mapping[str, Any] | None = None
    ) -> httpx.Response:
        try:
            resp = self._http.request(method, path, json=json)
        except httpx.TransportError as exc:
            why = str(exc) or type(exc).__name__
            raise BackendUnreachable(
                f"Ray at {self.address} did not answer {method} {path}: {why}",
                sent=not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout),
            ) from exc
        if resp.status_code in _TRANSIENT:
            raise BackendUnreachable(
                f"Ray at {self.address} answered {resp.status_code} to {method} {path}"
            )
        return resp

    def _job(self, handle: str) -> dict[str, Any] | None:
        resp = self._call("GET", f"/api/jobs/{_quoted(handle)}")
        if resp.status_code == httpx.codes.NOT_FOUND:
            return None
        if resp.status_code != httpx.codes.OK:
            raise _error(resp, f"Ray could not report job {handle}")
        return _object(resp)

    def _stop(self, handle: str, why: RunState, now: float) -> None:
        earlier = self._stopping.get(handle)
        self._stopping[handle] = (earlier[0] if earlier else why, now)
        resp = self._call("POST", f"/api/jobs/{_quoted(handle)}/stop")
        if resp.status_code not in (httpx.codes.OK, httpx.codes.NOT_FOUND):
            raise _error(resp, f"Ray could not stop job {handle}")

    def _restop(self, handle: str, now: float) -> None:
        """Ask again to stop a job asked to stop that has not yet."""
        asked = self._stopping.get(handle)
        if asked is not None and now - asked[1] >= RESTOP_S:
            self._stop(handle, asked[0], now)

    def _start_of(self, handle: str, info: Mapping[str, Any]) -> float:
        """When the job started: when this backend saw it run, or else the latest moment it was
        known not yet to run, or else when it was submitted to Ray."""
        if handle in self._started:
            return self._started[handle]
        if handle in self._not_running_at:
            return self._not_running_at[handle]
        return _seconds(info.get("start_time")) or time.time()

    def _why_stopped(
        self, handle: str, info: Mapping[str, Any], started: float, ended: float
    ) -> tuple[RunState, str]:
        asked = self._stopping.get(handle)
        walltime = _walltime(info)
        if asked is None:  # stopped by someone else, or by this backend before a restart
            submitted = _seconds(info.get("start_time")) or started
            timed_out = walltime is not None and ended - submitted >= walltime
            if not timed_out:
                return RunState.CANCELLED, "stopped on Ray, not by aigrid"
            asked = (RunState.TIMED_OUT, ended)
        if asked[0] is RunState.TIMED_OUT:
            return RunState.TIMED_OUT, f"walltime of {walltime or 0:g} s ran out; stopped on Ray"
        return RunState.CANCELLED, ""

    def _end(self, handle: str, status: RunStatus) -> RunStatus:
        for memo in (self._not_running_at, self._started, self._stopping):
            memo.pop(handle, None)
        if len(self._ended) >= ENDED_KEPT:
            del self._ended[next(iter(self._ended))]
        self._ended[handle] = status
        return status


def entrypoint(command: tuple[str, ...], workdir: str | None) -> str:
    """The shell line Ray runs: the command, quoted, from `workdir` where the node has it."""
    if not command:
        raise BackendError("a job needs a command")
    line = "exec " + shlex.join(command)
    if workdir:
        line = f"if [ -d {shlex.quote(workdir)} ]; then cd {shlex.quote(workdir)}; fi; {line}"
    return line


def _quoted(handle: str) -> str:
    if not handle:
        raise BackendError("an empty job key")
    return quote(handle, safe="")


def _seconds(ms: object) -> float | None:
    return ms / 1000.0 if isinstance(ms, int | float) and ms > 0 else None


def _walltime(info: Mapping[str, Any]) -> float | None:
    metadata = info.get("metadata") or {}
    try:
        return float(metadata[WALLTIME_KEY])
    except (KeyError, TypeError, ValueError):
        return None


def _object(resp: httpx.Response) -> dict[str, Any]:
    """The answer's JSON object."""
    try:
        data = resp.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise BackendError(
            f"{resp.request.method} {resp.request.url} did not answer as a Ray Jobs API does: "
            f"{resp.text[:200]!r}"
        )
    return data


def _error(resp: httpx.Response, what: str) -> BackendError:
    text = resp.text.strip().splitlines()
    last = text[-1] if text else ""
    return BackendError(f"{what}: HTTP {resp.status_code} {last[:300]}")
