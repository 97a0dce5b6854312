"""kill -9 the server at random moments, again and again, while jobs are submitted and run.

Afterwards: every job the API accepted (answered 201) has run to completion exactly once (each
job appends its id to a file; no id may appear twice, accepted or not), and every ledger
aggregate equals the sum of its entries, with nothing left held. Loopback only; the number of
rounds and the time are bounded.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from aigrid.live.errors import LiveError
from aigrid.live.store import Store
from aigrid.live.store.models import DecisionRow, ProgramRow
from tests.live.server import LiveServer, admin_token, wait_for
from tests.live.test_api import assert_ledger_consistent

ROUNDS = 4
PER_ROUND = 12
SEED = 20261123


@pytest.fixture(params=["sqlite", "postgresql"])
def crash_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'aigrid.db'}"
    else:
        yield request.getfixturevalue("postgres_server").new_database()


def test_kill_9_loses_no_accepted_job_and_runs_none_twice(crash_db: str, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    token = admin_token(crash_db)
    server = LiveServer(crash_db, tmp_path, gpus=4, interval_s=0.02).start()
    marks = tmp_path / "marks"
    with server.client(token) as c:
        c.post("/orgs", {"id": "o", "tenant_class": "sme"})
        c.post("/programs", {"id": "p", "budget_krw": 1e9, "price_fraction": {"sme": 50}})
        c.post("/grants", {"program": "p", "org": "o"})
    accepted: set[int] = set()
    started = time.monotonic()
    try:
        for _ in range(ROUNDS):
            proc = server.proc
            assert proc is not None
            killer = threading.Timer(rng.uniform(0.1, 1.0), proc.kill)
            killer.start()
            with server.client(token) as c:
                for _ in range(PER_ROUND):
                    if proc.poll() is not None or time.monotonic() - started > 60:
                        break
                    time.sleep(rng.uniform(0.0, 0.05))
                    body = {
                        "org": "o",
                        "program": "p",
                        "gpus": rng.choice([1, 2]),
                        "walltime_s": 60,
                        "command": ["sh", "-c", f'echo "$AIGRID_JOB_ID" >> {marks}; sleep 0.1'],
                    }
                    try:
                        accepted.add(c.submit(body)["id"])
                    except LiveError:
                        break  # the server died under this request: not accepted
            killer.join()
            server.stop(kill=True)
            server.start()
        assert accepted
        with server.client(token) as c:

            def all_ended() -> bool:
                live = c.jobs(state="pending", limit=10_000) + c.jobs(state="running", limit=10_000)
                return not live

            wait_for(all_ended, timeout_s=60, every_s=0.2)
            states = {j["id"]: j["state"] for j in c.jobs(limit=10_000)}
    finally:
        server.stop()
    assert {states[i] for i in accepted} == {"completed"}
    runs = Counter(int(line) for line in marks.read_text().split())
    assert {i for i, n in runs.items() if n > 1} == set(), "a job ran twice"
    assert accepted <= set(runs)
    assert_ledger_consistent(crash_db)
    store = Store.open(crash_db)
    try:
        with store.read() as s:
            assert s.scalar(select(func.sum(ProgramRow.held_krw))) == 0
            admits = Counter(
                s.scalars(select(DecisionRow.job_id).where(DecisionRow.kind == "admit"))
            )
            assert max(admits.values()) == 1, "a job was admitted twice"
            assert set(admits) == set(runs)
    finally:
        store.close()
