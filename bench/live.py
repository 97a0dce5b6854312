"""Benchmarks of the live control plane, on SQLite and PostgreSQL.

* submit: jobs submitted per second over the REST API to a running server (one client, keep-
  alive), with the scheduling loop running; the jobs' program has no budget, so they wait and
  the figure is the API and the store, not the executor.
* cycle: the scheduling loop with 100,000 jobs pending behind a full fleet (mock backend):
  the time to rebuild from the store, and the latency of a cycle in which one running job ends
  and the next is admitted, recorded and dispatched (and of `decide` alone within it).

Prints one JSON line per run and a final line with the medians.

    .venv/bin/python -m bench.live --db sqlite --runs 3
    .venv/bin/python -m bench.live --db postgresql --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, insert, text
from tests.live.server import LiveServer, admin_token

from aigrid.backends import MockBackend, MockCall, RunState, RunStatus
from aigrid.live.fleet import local_fleet
from aigrid.live.loop import SchedulingLoop
from aigrid.live.service import Role, ServiceContext, authenticate
from aigrid.live.service.admin import create_grant, create_org, create_program, issue_token
from aigrid.live.service.jobs import queue_key, to_model
from aigrid.live.store import Store, upgrade
from aigrid.live.store.fleet import save_fleet
from aigrid.live.store.models import JobRow
from aigrid.model import JobState, TenantClass
from aigrid.scheduler import Policy

PG_ADMIN = os.environ.get(
    "AIGRID_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def database(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as d:
            yield f"sqlite:///{d}/bench.db"
        return
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"aigrid_bench_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def bench_submit(kind: str, n: int) -> dict[str, Any]:
    with database(kind) as db, tempfile.TemporaryDirectory() as work:
        token = admin_token(db)
        server = LiveServer(db, Path(work), gpus=8, interval_s=0.5).start()
        try:
            with httpx.Client(
                base_url=server.url, headers={"Authorization": f"Bearer {token}"}
            ) as c:
                c.post("/orgs", json={"id": "o", "tenant_class": "sme"}).raise_for_status()
                c.post("/programs", json={"id": "p", "budget_krw": 0}).raise_for_status()
                c.post("/grants", json={"program": "p", "org": "o"}).raise_for_status()
                body = {"org": "o", "program": "p", "gpus": 1, "walltime_s": 600,
                        "command": ["true"]}  # fmt: skip
                t0 = time.perf_counter()
                for _ in range(n):
                    c.post("/jobs", json=body).raise_for_status()
                seconds = time.perf_counter() - t0
        finally:
            server.stop()
    return {"bench": "submit", "db": kind, "jobs": n, "seconds": seconds, "per_s": n / seconds}


def bench_cycle(kind: str, pending: int, cycles: int) -> dict[str, Any]:
    ending: set[str] = set()

    def handler(call: MockCall) -> RunStatus:
        if call.launch.key in ending:
            return RunStatus(RunState.COMPLETED, 0, started_s=0.0, ended_s=60.0)
        return RunStatus(RunState.RUNNING, started_s=0.0)

    with database(kind) as db:
        store = Store.open(db)
        upgrade(store.engine)
        with store.write() as s:
            save_fleet(s, local_fleet(8), "mock")
        ctx = ServiceContext(store)
        admin = authenticate(ctx, issue_token(store, 0.0, Role.ADMIN)[1].text)
        create_org(ctx, admin, "o", "O", TenantClass.SME)
        create_program(ctx, admin, "p")
        create_grant(ctx, admin, "p", "o")
        rows = []
        for i in range(pending + 8):
            gpus = 1 if i < 8 else (1, 2, 4, 8)[i % 4]
            row = {
                "org": "o", "program": "p", "tenant_class": "sme", "job_class": "batch",
                "gpus": gpus, "gpu_models": [], "sovereign": False, "preemptible": False,
                "walltime_s": 3600.0, "name": "bench", "command": ["true"], "env": {},
                "state": JobState.PENDING.value, "submitted_by": "bench",
                "submit_s": float(i), "attempt": 0, "queue_key": "",
            }  # fmt: skip
            rows.append(row)
        with store.write() as s:
            for start in range(0, len(rows), 20_000):
                s.execute(insert(JobRow), rows[start : start + 20_000])
        with store.write() as s:
            for r in s.query(JobRow).filter(JobRow.queue_key == ""):
                r.queue_key = queue_key(to_model(r))
        backend = MockBackend(handler)
        loop = SchedulingLoop(store, backend, Policy(), clock=time.time)
        t0 = time.perf_counter()
        loop.rebuild()
        rebuild_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        loop.cycle()  # intake is done by rebuild; this one admits the first 8 one-GPU jobs
        first_s = time.perf_counter() - t0
        assert len(loop.running) == 8, len(loop.running)
        latencies: list[float] = []
        decides: list[float] = []
        for _ in range(cycles):
            ending.add(str(min(loop.running)))
            t0 = time.perf_counter()
            loop.cycle()
            latencies.append(time.perf_counter() - t0)
            decides.append(loop.stats.last_decide_s)
        assert loop.figures()["pending"] >= pending - cycles * 8
        store.close()
    return {
        "bench": "cycle",
        "db": kind,
        "pending": pending,
        "rebuild_s": rebuild_s,
        "first_cycle_s": first_s,
        "cycle_ms_median": 1e3 * statistics.median(latencies),
        "cycle_ms_max": 1e3 * max(latencies),
        "decide_ms_median": 1e3 * statistics.median(decides),
    }


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--submits", type=int, default=2000)
    ap.add_argument("--pending", type=int, default=100_000)
    ap.add_argument("--cycles", type=int, default=20)
    args = ap.parse_args(argv)
    submits, cycles = [], []
    for _ in range(args.runs):
        s = bench_submit(args.db, args.submits)
        print(json.dumps(s))
        submits.append(s)
        c = bench_cycle(args.db, args.pending, args.cycles)
        print(json.dumps(c))
        cycles.append(c)
    print(
        json.dumps(
            {
                "median": True,
                "db": args.db,
                "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
                f"{platform.python_version()}",
                "submits_per_s": statistics.median(x["per_s"] for x in submits),
                "rebuild_s": statistics.median(x["rebuild_s"] for x in cycles),
                "cycle_ms": statistics.median(x["cycle_ms_median"] for x in cycles),
                "decide_ms": statistics.median(x["decide_ms_median"] for x in cycles),
            }
        )
    )


if __name__ == "__main__":
    main()
