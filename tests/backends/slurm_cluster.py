"""A real, private Slurm cluster on this machine, for tests: one slurmctld and four slurmd on
loopback, each slurmd a pretend node with 8 GPUs (gres backed by stand-in device files).

Everything lives under one directory (configuration, state, logs, PID files, the stand-in
devices); ports are free ones picked when the cluster starts. Daemons are stopped by the PIDs in
their PID files, never by name. Debian's `slurm-wlm` and `munge` must be installed
(`scripts/install-slurm.sh`, which `scripts/test.sh` runs). No accounting (no slurmdbd): an
ended job is known from `squeue` for `MinJobAge` seconds, then from what its script wrote.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

NODES = 4
GPUS_PER_NODE = 8
PARTITION = "gpu"
CLUSTER = "aigridtest"
SBIN = Path("/usr/sbin")
INSTALL_HINT = (
    "the Slurm tests need Debian's Slurm and munge: run scripts/install-slurm.sh "
    "(as root it installs them and starts munged)"
)


class SlurmMissingError(RuntimeError):
    """Slurm or munge is not installed or cannot run here."""


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port_range(n: int, start: int = 20000, stop: int = 60000) -> int:
    """The first of `n` consecutive free loopback ports (walking from a pid-dependent start, so
    two test sessions at once do not race for the same range)."""
    base = start + (os.getpid() * 7) % (stop - start - 1000)
    for first in range(base, stop - n, n):
        if all(_port_free(first + i) for i in range(n)):
            return first
    raise RuntimeError(f"no {n} consecutive free ports between {start} and {stop}")


def check_installed() -> None:
    """Raise `SlurmMissingError` with what to do when Slurm or munge is not usable."""
    for daemon in ("slurmctld", "slurmd"):
        if not (SBIN / daemon).exists():
            raise SlurmMissingError(f"{daemon} is missing; {INSTALL_HINT}")
    for command in ("sbatch", "squeue", "scontrol", "scancel", "sinfo", "munge"):
        if shutil.which(command) is None:
            raise SlurmMissingError(f"{command} is missing; {INSTALL_HINT}")
    if os.geteuid() != 0:
        raise SlurmMissingError(
            "the Slurm tests start slurmd, which runs as root: run them as root"
        )
    ok = subprocess.run(["munge", "-n"], capture_output=True, timeout=10, check=False)
    if ok.returncode != 0:
        raise SlurmMissingError(f"munged does not answer; {INSTALL_HINT}")


@dataclass
class SlurmCluster:
    """A private Slurm cluster under `root`. `start()` brings it up with 4 idle nodes."""

    root: Path
    ctld_port: int = 0
    slurmd_port: int = 0
    node_ports: int = 0
    """The first of the nodes' consecutive ports."""
    min_job_age_s: int = 300
    message_timeout_s: int = 4
    """How long Slurm's commands try to reach slurmctld (10 s is Slurm's default): what an
    outage costs each command that meets it."""
    extra: list[str] = field(default_factory=list)
    """More slurm.conf lines."""

    @property
    def conf(self) -> Path:
        return self.root / "etc" / "slurm.conf"

    @property
    def env(self) -> dict[str, str]:
        """The environment for Slurm's commands against this cluster."""
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    def node_names(self) -> list[str]:
        return [f"node{i}" for i in range(1, NODES + 1)]

    # -- configuration -------------------------------------------------------------------------

    def write_config(self) -> None:
        check_installed()
        if not self.ctld_port:
            first = free_port_range(NODES + 2)
            self.ctld_port, self.slurmd_port, self.node_ports = first, first + 1, first + 2
        r = self.root
        for sub in ("etc", "state", "log", "run", "dev", "out"):
            (r / sub).mkdir(parents=True, exist_ok=True)
        for name in self.node_names():
            (r / "spool" / name).mkdir(parents=True, exist_ok=True)
        for i in range(GPUS_PER_NODE):
            dev = r / "dev" / f"nvidia{i}"
            if not dev.exists():
                # Stand-ins, only for Slurm's bookkeeping: the same device as /dev/null.
                os.mknod(dev, 0o666 | 0o020000, os.makedev(1, 3))
        host = socket.gethostname()
        last = self.node_ports + NODES - 1
        lines = [
            f"ClusterName={CLUSTER}",
            f"SlurmctldHost={host}(127.0.0.1)",
            f"SlurmctldPort={self.ctld_port}",
            f"SlurmdPort={self.slurmd_port}",
            "AuthType=auth/munge",
            "CryptoType=crypto/munge",
            "CommunicationParameters=NoInAddrAny,NoCtldInAddrAny",
            "MailProg=/bin/true",
            "SlurmUser=root",
            "SlurmdUser=root",
            f"StateSaveLocation={r}/state",
            f"SlurmdSpoolDir={r}/spool/%n",
            f"SlurmctldPidFile={r}/run/slurmctld.pid",
            f"SlurmdPidFile={r}/run/slurmd-%n.pid",
            f"SlurmctldLogFile={r}/log/slurmctld.log",
            f"SlurmdLogFile={r}/log/slurmd-%n.log",
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "MpiDefault=none",
            "SwitchType=switch/none",
            "ReturnToService=2",
            "SchedulerType=sched/backfill",
            "SchedulerParameters=batch_sched_delay=0",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core",
            "GresTypes=gpu",
            "SlurmdParameters=config_overrides",
            "JobAcctGatherType=jobacct_gather/none",
            "AccountingStorageType=accounting_storage/none",
            "JobCompType=jobcomp/none",
            "MaxJobCount=20000",
            f"MinJobAge={self.min_job_age_s}",
            f"MessageTimeout={self.message_timeout_s}",
            *self.extra,
            f"NodeName=node[1-{NODES}] NodeHostname={host} NodeAddr=127.0.0.1 "
            f"Port=[{self.node_ports}-{last}] CPUs=16 Sockets=1 CoresPerSocket=16 "
            f"ThreadsPerCore=1 RealMemory=4000 Gres=gpu:{GPUS_PER_NODE} State=UNKNOWN",
            f"PartitionName={PARTITION} Nodes=node[1-{NODES}] Default=YES MaxTime=INFINITE "
            "DefaultTime=00:10:00 State=UP",
        ]
        self.conf.write_text("\n".join(lines) + "\n")
        (r / "etc" / "gres.conf").write_text(
            "AutoDetect=off\n"
            f"NodeName=node[1-{NODES}] Name=gpu File={r}/dev/nvidia[0-{GPUS_PER_NODE - 1}]\n"
        )

    # -- daemons -------------------------------------------------------------------------------

    def start(self, timeout_s: float = 30.0) -> SlurmCluster:
        """Write the configuration (first time), start slurmctld and the slurmd's, and wait until
        every node is idle."""
        if not self.conf.exists():
            self.write_config()
            self.start_ctld(clear=True)
        else:
            self.start_ctld()
        for name in self.node_names():
            self._run([str(SBIN / "slurmd"), "-f", str(self.conf), "-N", name])
        self.wait_idle(timeout_s)
        return self

    def start_ctld(self, *, clear: bool = False) -> None:
        """Start slurmctld (it daemonizes); `clear` forgets saved jobs (a fresh cluster)."""
        args = [str(SBIN / "slurmctld"), "-f", str(self.conf)]
        self._run([*args, "-c"] if clear else args)
        self._wait(self.ping, 20.0, "slurmctld to answer")

    def stop_ctld(self) -> None:
        _stop_pidfiles([self.root / "run" / "slurmctld.pid"])

    def stop(self) -> None:
        """Cancel every job, stop the slurmd's, then slurmctld (the order that does not hang)."""
        if self.ctld_running():
            subprocess.run(
                ["scancel", "--full", "--partition", PARTITION],
                env=self.env,
                capture_output=True,
                timeout=15,
                check=False,
            )
        _stop_pidfiles(sorted((self.root / "run").glob("slurmd-*.pid")))
        self.stop_ctld()

    def ctld_running(self) -> bool:
        return _alive(self.root / "run" / "slurmctld.pid")

    def ping(self) -> bool:
        out = subprocess.run(
            ["scontrol", "ping"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=15,
            check=False,
        )
        return " is UP" in out.stdout

    def idle_nodes(self) -> int:
        out = subprocess.run(
            ["sinfo", "-h", "-N", "-t", "idle", "-o", "%N"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=15,
            check=False,
        )
        return len(set(out.stdout.split()))

    def wait_idle(self, timeout_s: float = 30.0) -> None:
        self._wait(lambda: self.idle_nodes() >= NODES, timeout_s, f"{NODES} idle nodes")

    def log(self) -> str:
        """slurmctld's log, for a failing test's message."""
        path = self.root / "log" / "slurmctld.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else "(no log)"

    def _run(self, args: list[str]) -> None:
        done = subprocess.run(
            args, env=self.env, capture_output=True, text=True, timeout=30, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {done.stderr.strip()}\n{self.log()}")

    def _wait(self, ready: Callable[[], bool], timeout_s: float, what: str) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if ready():
                return
            time.sleep(0.2)
        raise RuntimeError(f"timed out after {timeout_s:g} s waiting for {what}\n{self.log()}")


def _stop_pidfiles(pidfiles: list[Path], grace_s: float = 5.0) -> None:
    """SIGTERM the processes in `pidfiles` (all at once), then SIGKILL those still there."""
    pids = []
    for pidfile in pidfiles:
        pid = _pid(pidfile)
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
                pids.append(pid)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and any(_exists(p) for p in pids):
        time.sleep(0.05)
    for pid in pids:
        if _exists(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    for pidfile in pidfiles:
        pidfile.unlink(missing_ok=True)


@contextlib.contextmanager
def slurm_cluster(root: Path) -> Iterator[SlurmCluster]:
    """A private cluster under `root`, up with 4 idle nodes, stopped when the block ends."""
    cluster = SlurmCluster(root)
    try:
        yield cluster.start()
    finally:
        cluster.stop()


def _pid(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours (never, for daemons) would count as alive; that is fine here.
    return True


def _alive(pidfile: Path) -> bool:
    pid = _pid(pidfile)
    return pid is not None and _exists(pid)
