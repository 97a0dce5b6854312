"""A real aigrid server in a process of its own, on a free loopback port, for API tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from aigrid.live.client import Client, ClientConfig
from aigrid.live.service import Role
from aigrid.live.service.admin import issue_token
from aigrid.live.store import Store, upgrade

SERVE = "from aigrid.cli import main; main()"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def admin_token(db: str) -> str:
    """The first admin's token, made straight in the store (as `aigrid admin token --db`)."""
    store = Store.open(db)
    try:
        upgrade(store.engine)
        return issue_token(store, time.time(), Role.ADMIN)[1].text
    finally:
        store.close()


@dataclass
class LiveServer:
    db: str
    workdir: Path
    gpus: int = 4
    fleet: str = "local"
    interval_s: float = 0.05
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 30.0) -> LiveServer:
        self.port = self.port or free_port()
        args = [
            sys.executable, "-c", SERVE, "serve",
            "--db", self.db,
            "--listen", f"127.0.0.1:{self.port}",
            "--fleet", self.fleet,
            "--jobs-dir", str(self.workdir / "jobs"),
            "--interval", str(self.interval_s),
        ]  # fmt: skip
        if self.fleet == "local":
            args += ["--gpus", str(self.gpus)]
        log = open(self.workdir / "server.log", "ab")  # noqa: SIM115 - the server's to keep
        self.proc = subprocess.Popen(args, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {(self.workdir / 'server.log').read_text()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("server did not answer in time")

    def stop(self, *, kill: bool = False) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None

    def client(self, token: str | None) -> Client:
        return Client(ClientConfig(self.url, token), timeout=10.0)


def wait_for(predicate: object, timeout_s: float = 20.0, every_s: float = 0.05) -> None:
    """Wait until `predicate()` is true, or fail."""
    assert callable(predicate)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(every_s)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {predicate}")
