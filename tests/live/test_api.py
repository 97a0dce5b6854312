"""The REST API over real HTTP, against a server process, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from aigrid.live.client import Client
from aigrid.live.errors import (
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    UnauthorizedError,
)
from aigrid.live.store import Store
from aigrid.live.store.models import LedgerEntryRow, ProgramRow
from tests.live.server import LiveServer, admin_token, wait_for

OPERATIONS = [
    "cohorts_create", "cohorts_get", "cohorts_list", "grants_create", "grants_list",
    "health_get", "jobs_cancel", "jobs_get", "jobs_list", "jobs_logs", "jobs_submit",
    "metrics_get", "orgs_create", "orgs_get", "orgs_list", "programs_create", "programs_get",
    "programs_list", "tokens_create", "tokens_list", "tokens_revoke", "usage_get",
]  # fmt: skip


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, str]]:
    """A server with 4 local GPUs, an org `kaist` with a grant from program `research`."""
    workdir = tmp_path_factory.mktemp(f"api-{request.param}")
    if request.param == "sqlite":
        db = f"sqlite:///{workdir / 'aigrid.db'}"
    else:
        db = request.getfixturevalue("postgres_server").new_database()
    token = admin_token(db)
    server = LiveServer(db, workdir, gpus=4).start()
    with server.client(token) as c:
        c.post("/orgs", {"id": "kaist", "tenant_class": "university"})
        c.post("/programs", {"id": "research", "budget_krw": 1e6})
        c.post("/grants", {"program": "research", "org": "kaist"})
    yield server, token
    server.stop()


@pytest.fixture
def admin(live: tuple[LiveServer, str]) -> Iterator[Client]:
    server, token = live
    with server.client(token) as c:
        yield c


def job(c: Client, command: list[str], gpus: int = 1, walltime_s: float = 60) -> dict[str, Any]:
    return c.submit(
        {
            "org": "kaist",
            "program": "research",
            "gpus": gpus,
            "walltime_s": walltime_s,
            "command": command,
        }
    )


def ended(c: Client, job_id: int) -> dict[str, Any]:
    wait_for(lambda: c.job(job_id)["state"] not in ("pending", "running"))
    return c.job(job_id)


def test_health_metrics_and_openapi(live: tuple[LiveServer, str]) -> None:
    server, _ = live
    health = httpx.get(f"{server.url}/healthz").json()
    assert health["status"] == "ok"
    metrics = httpx.get(f"{server.url}/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    assert "aigrid_scheduler_cycles_total" in metrics.text
    assert 'aigrid_program_spent_krw_total{program="research"}' in metrics.text
    spec = httpx.get(f"{server.url}/openapi.json").json()
    ops = sorted(op["operationId"] for path in spec["paths"].values() for op in path.values())
    assert ops == OPERATIONS


def test_a_job_runs_with_its_gpus_and_logs(admin: Client) -> None:
    j = job(admin, ["sh", "-c", "echo gpus=$CUDA_VISIBLE_DEVICES; echo oops >&2"], gpus=2)
    assert j["state"] == "pending"
    done = ended(admin, j["id"])
    assert done["state"] == "completed", done
    assert done["exit_code"] == 0
    assert done["placement"]["pool"] == "local"
    devices = done["placement"]["devices"][0]
    assert len(devices) == 2
    logs = admin.logs(j["id"])
    assert f"gpus={','.join(map(str, devices))}" in logs
    assert "oops" in logs


def test_a_failing_job_keeps_its_exit_code(admin: Client) -> None:
    done = ended(admin, job(admin, ["sh", "-c", "exit 3"])["id"])
    assert (done["state"], done["exit_code"]) == ("failed", 3)


def test_walltime_is_enforced(admin: Client) -> None:
    done = ended(admin, job(admin, ["sleep", "30"], walltime_s=1)["id"])
    assert done["state"] == "timed_out"


def test_a_waiting_job_says_why_and_a_cancel_frees_its_gpus(admin: Client) -> None:
    big = job(admin, ["sleep", "30"], gpus=4)
    wait_for(lambda: admin.job(big["id"])["state"] == "running")
    second = job(admin, ["true"], gpus=4)
    wait_for(lambda: admin.job(second["id"])["pending_reason"] is not None)
    assert "quota" in admin.job(second["id"])["pending_reason"]
    admin.cancel(big["id"])
    assert ended(admin, big["id"])["state"] == "cancelled"
    assert ended(admin, second["id"])["state"] == "completed"
    with pytest.raises(ConflictError):
        admin.cancel(big["id"])


def test_a_pending_job_can_be_cancelled(admin: Client) -> None:
    blocker = job(admin, ["sleep", "30"], gpus=4)
    wait_for(lambda: admin.job(blocker["id"])["state"] == "running")
    waiting = job(admin, ["true"], gpus=1)
    admin.cancel(waiting["id"])
    assert ended(admin, waiting["id"])["state"] == "cancelled"
    assert ended(admin, waiting["id"])["started_at"] is None
    admin.cancel(blocker["id"])
    ended(admin, blocker["id"])


def test_too_large_is_rejected_with_a_reason(admin: Client) -> None:
    done = ended(admin, job(admin, ["true"], gpus=5)["id"])
    assert done["state"] == "rejected"
    assert "larger than" in done["pending_reason"]


def test_bad_requests_say_what_is_wrong(admin: Client) -> None:
    with pytest.raises(InvalidRequestError, match="gpus"):
        admin.submit({"org": "kaist", "program": "research", "gpus": 0, "walltime_s": 60,
                      "command": ["true"]})  # fmt: skip
    with pytest.raises(InvalidRequestError, match="command"):
        admin.submit({"org": "kaist", "program": "research", "gpus": 1, "walltime_s": 60,
                      "command": []})  # fmt: skip
    raw = httpx.post(
        f"{admin.config.url}/jobs",
        json={"org": "kaist"},
        headers={"Authorization": f"Bearer {admin.config.token}"},
    )
    assert raw.status_code == 422
    missing = {tuple(d["loc"]) for d in raw.json()["detail"]}
    assert ("body", "program") in missing


def test_a_share_of_a_gpu_runs_on_one_device_and_shows_what_it_asked(admin: Client) -> None:
    """Two halves of a GPU, each with CPU and memory asked (the local pool tracks neither, so
    they take none): both run on one device, and the job says what it asked."""
    ask = {"org": "kaist", "program": "research", "gpus": 1, "walltime_s": 60,
           "gpu_share_milli": 500, "cpu_milli": 1500, "memory_mib": 2048,
           "command": ["sh", "-c", "echo gpus=$CUDA_VISIBLE_DEVICES"]}  # fmt: skip
    halves = [admin.submit(ask) for _ in range(2)]
    assert [(j["gpu_share_milli"], j["cpu_milli"], j["memory_mib"]) for j in halves] == [
        (500, 1500, 2048)
    ] * 2
    done = [ended(admin, j["id"]) for j in halves]
    assert [d["state"] for d in done] == ["completed"] * 2, done
    for d in done:
        placement = d["placement"]
        assert (placement["gpus_per_node"], placement["gpu_share_milli"]) == ([1], 500)
        assert (placement["cpu_milli"], placement["memory_mib"]) == (0, 0)  # not tracked
        (device,) = placement["devices"][0]
        assert f"gpus={device}" in admin.logs(d["id"])


def test_bad_shares_cpu_and_memory_say_what_is_wrong(admin: Client) -> None:
    base = {"org": "kaist", "program": "research", "walltime_s": 60, "command": ["true"]}
    with pytest.raises(InvalidRequestError, match="only a job of one GPU may ask a share"):
        admin.submit({**base, "gpus": 2, "gpu_share_milli": 500})
    with pytest.raises(InvalidRequestError, match="gpu_share_milli"):
        admin.submit({**base, "gpus": 1, "gpu_share_milli": 1000})
    with pytest.raises(InvalidRequestError, match="cpu_milli"):
        admin.submit({**base, "gpus": 1, "cpu_milli": -1})
    with pytest.raises(InvalidRequestError, match="memory_mib"):
        admin.submit({**base, "gpus": 1, "memory_mib": 1 << 40})


def test_no_token_is_401(live: tuple[LiveServer, str]) -> None:
    server, _ = live
    with server.client(None) as c, pytest.raises(UnauthorizedError):
        c.jobs()
    with server.client("aig_nope_nope") as c, pytest.raises(UnauthorizedError):
        c.jobs()


def test_every_ledger_aggregate_is_the_sum_of_its_entries(
    live: tuple[LiveServer, str], admin: Client
) -> None:
    ended(admin, job(admin, ["sleep", "0.3"], gpus=2)["id"])
    wait_for(lambda: not admin.jobs(state="running") and not admin.jobs(state="pending"))
    assert_ledger_consistent(live[0].db)
    usage = admin.usage()
    research = next(p for p in usage["programs"] if p["program"] == "research")
    assert research["held_krw"] == 0
    kaist = next(o for o in usage["orgs"] if o["org"] == "kaist")
    assert kaist["gpu_hours"] > 0
    assert kaist["spent_krw"] == research["spent_krw"]


def assert_ledger_consistent(db: str) -> None:
    store = Store.open(db)
    try:
        with store.read() as s:
            for p in s.scalars(select(ProgramRow)):
                sums = dict(
                    s.execute(
                        select(LedgerEntryRow.kind, func.sum(LedgerEntryRow.krw))
                        .where(LedgerEntryRow.program == p.id)
                        .group_by(LedgerEntryRow.kind)
                    ).all()
                )
                held = int(sums.get("hold", 0) or 0) - int(sums.get("release", 0) or 0)
                assert p.held_krw == held, p.id
                assert p.spent_krw == int(sums.get("spend", 0) or 0), p.id
    finally:
        store.close()


def test_server_restart_keeps_the_store(live: tuple[LiveServer, str], admin: Client) -> None:
    server, _ = live
    before = {j["id"]: j["state"] for j in admin.jobs(limit=1000)}
    server.stop()
    server.start()
    after = {j["id"]: j["state"] for j in admin.jobs(limit=1000)}
    assert after == before


def test_a_pending_job_shows_its_place_in_the_order(admin: Client) -> None:
    blocker = job(admin, ["sleep", "30"], gpus=4)
    wait_for(lambda: admin.job(blocker["id"])["state"] == "running")
    waiting = admin.submit(
        {"org": "kaist", "program": "research", "gpus": 1, "walltime_s": 60,
         "command": ["true"], "priority_class": "high"}
    )  # fmt: skip
    wait_for(lambda: admin.job(waiting["id"])["order"] is not None)
    shown = admin.job(waiting["id"])
    assert shown["priority_class"] == "high"
    order = shown["order"]
    names = [f["name"] for f in order["factors"]]
    assert names == ["quota", "priority class", "cohort share", "program share", "submitted",
                     "job id"]  # fmt: skip
    assert order["total"] == [f["value"] for f in order["factors"]]
    assert order["factors"][0]["value"] == 1  # it would have to borrow: research holds all 4
    assert order["factors"][1]["value"] == -2
    assert order["program"]["terms"] == [
        {"gpu_model": "gpu", "decayed_gpus": 0.0, "held_gpus": 4, "nominal_gpus": 4, "share": 1.0}
    ]
    assert (order["policy"], order["weight"], order["half_life_s"]) == ("fair", 1.0, 0.0)
    assert order["cohorts"] == ([order["cohort"]] if order["cohort"] else [])
    assert admin.job(blocker["id"])["order"] is None  # it runs
    assert all(j["order"] is None for j in admin.jobs())  # lists leave it out
    admin.cancel(waiting["id"])
    admin.cancel(blocker["id"])
    ended(admin, blocker["id"])


def test_a_program_has_a_weight_in_fair_sharing(admin: Client) -> None:
    assert admin.post("/programs", {"id": "weighted", "weight": 2.5})["weight"] == 2.5
    assert admin.get("/programs/research")["weight"] == 1.0
    with pytest.raises(InvalidRequestError, match="weight"):
        admin.post("/programs", {"id": "weightless", "weight": 0})


def test_cohorts_are_created_listed_and_shown(admin: Client) -> None:
    grid = admin.post("/cohorts", {"id": "grid", "quota": {"gpu": 1}})
    assert (grid["parent"], grid["quota"], grid["weight"]) == (None, {"gpu": 1}, 1.0)
    body = {
        "id": "national",
        "parent": "grid",
        "borrowing_limit": {"local/gpu": 2},
        "lending_limit": {"gpu": 0},
        "weight": 2,
    }
    national = admin.post("/cohorts", body)
    assert {k: national[k] for k in body} == {**body, "weight": 2.0}
    assert national["quota"] == {}
    assert [c["id"] for c in admin.get("/cohorts")] == ["grid", "national"]
    assert admin.get("/cohorts/national") == national
    program = admin.post(
        "/programs",
        {"id": "limited", "quota": {"local/gpu": 2}, "cohort": "national",
         "borrowing_limit": {"local/gpu": 1}, "lending_limit": {"local/gpu": 1}},
    )  # fmt: skip
    assert program["quota"] == {"local/gpu": 2}
    assert (program["borrowing_limit"], program["lending_limit"]) == (
        {"local/gpu": 1},
        {"local/gpu": 1},
    )
    assert admin.get("/programs/limited")["borrowing_limit"] == {"local/gpu": 1}
    assert admin.get("/programs/research")["lending_limit"] == {}


def test_cohorts_and_limits_that_cannot_be_are_refused(admin: Client) -> None:
    admin.post("/cohorts", {"id": "root"})
    with pytest.raises(NotFoundError, match="no cohort 'nowhere' to be the parent"):
        admin.post("/cohorts", {"id": "orphan", "parent": "nowhere"})
    with pytest.raises(InvalidRequestError, match="owner 'acme' in key 'acme/gpu'"):
        admin.post("/cohorts", {"id": "foreign", "quota": {"acme/gpu": 1}})
    with pytest.raises(InvalidRequestError, match="GPU model 'H100'"):
        admin.post("/cohorts", {"id": "foreign", "lending_limit": {"local/H100": 1}})
    with pytest.raises(ConflictError, match="cohort 'root' exists already"):
        admin.post("/cohorts", {"id": "root"})
    with pytest.raises(InvalidRequestError, match="borrowing_limit"):
        admin.post("/cohorts", {"id": "negative", "borrowing_limit": {"gpu": -1}})
    with pytest.raises(InvalidRequestError, match="weight"):
        admin.post("/cohorts", {"id": "weightless", "weight": 0})
    with pytest.raises(InvalidRequestError, match="owner 'acme' in key 'acme/gpu'"):
        admin.post("/programs", {"id": "foreign", "borrowing_limit": {"acme/gpu": 1}})
    with pytest.raises(InvalidRequestError, match="lending_limit"):
        admin.post("/programs", {"id": "negative", "lending_limit": {"gpu": -1}})
    with pytest.raises(NotFoundError, match="no cohort 'nowhere'"):
        admin.get("/cohorts/nowhere")
    made = {c["id"] for c in admin.get("/cohorts")}
    assert "root" in made
    assert not made & {"orphan", "foreign", "negative", "weightless"}
