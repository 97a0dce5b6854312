"""Who may do what: every role × every endpoint × a thing of its own org (or program) and of
another. A thing in another org answers 404, as if it did not exist; a role that may not do
something at all answers 403; no token answers 401."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.live.server import LiveServer, admin_token

_ids = itertools.count()


@dataclass
class World:
    server: LiveServer
    tokens: dict[str, str]
    """role -> token: admin, manager (of program pa), member (of org a)."""
    jobs: dict[str, int]
    """own (org a, program pa) / other (org b, program pb) -> a pending job."""

    def call(self, role: str | None, method: str, path: str, body: Any = None) -> httpx.Response:
        headers = {} if role is None else {"Authorization": f"Bearer {self.tokens[role]}"}
        return httpx.request(method, self.server.url + path, json=body, headers=headers)

    def pending_job(self, side: str) -> int:
        org, program = SIDES[side]
        body = {"org": org, "program": program, "gpus": 1, "walltime_s": 60, "command": ["true"]}
        r = self.call("admin", "POST", "/jobs", body)
        assert r.status_code == 201, r.text
        job_id: int = r.json()["id"]
        return job_id


SIDES = {"own": ("a", "pa"), "other": ("b", "pb")}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    workdir = tmp_path_factory.mktemp(f"authz-{request.param}")
    if request.param == "sqlite":
        db = f"sqlite:///{workdir / 'aigrid.db'}"
    else:
        db = request.getfixturevalue("postgres_server").new_database()
    admin = admin_token(db)
    server = LiveServer(db, workdir, gpus=2).start()
    w = World(server, {"admin": admin}, {})

    def ok(method: str, path: str, body: Any) -> Any:
        r = w.call("admin", method, path, body)
        assert r.status_code in (200, 201), r.text
        return r.json()

    ok("POST", "/cohorts", {"id": "shared"})
    for org, program in SIDES.values():
        ok("POST", "/orgs", {"id": org, "tenant_class": "sme"})
        # No budget: jobs wait for money for ever, so they stay pending for the test.
        ok("POST", "/programs", {"id": program, "budget_krw": 0})
        ok("POST", "/grants", {"program": program, "org": org})
    w.tokens["manager"] = ok("POST", "/tokens", {"role": "manager", "program": "pa"})["token"]
    w.tokens["member"] = ok("POST", "/tokens", {"role": "member", "org": "a"})["token"]
    w.jobs = {side: w.pending_job(side) for side in SIDES}
    yield w
    server.stop()


Request = Callable[[World, str], tuple[str, str, Any]]
"""(world, side) -> (method, path, body)"""


def _job_body(_w: World, side: str) -> tuple[str, str, Any]:
    org, program = SIDES[side]
    return "POST", "/jobs", {
        "org": org, "program": program, "gpus": 1, "walltime_s": 60, "command": ["true"],
    }  # fmt: skip


def _grant(_w: World, side: str) -> tuple[str, str, Any]:
    org, program = SIDES[side]
    return "POST", "/grants", {"program": program, "org": org}


def _new_org(_w: World, _side: str) -> tuple[str, str, Any]:
    return "POST", "/orgs", {"id": f"org{next(_ids)}", "tenant_class": "sme"}


def _new_program(_w: World, _side: str) -> tuple[str, str, Any]:
    return "POST", "/programs", {"id": f"prog{next(_ids)}"}


def _new_cohort(_w: World, _side: str) -> tuple[str, str, Any]:
    return "POST", "/cohorts", {"id": f"cohort{next(_ids)}", "parent": "shared"}


def _new_token(_w: World, _side: str) -> tuple[str, str, Any]:
    return "POST", "/tokens", {"role": "member", "org": "a"}


def _revoke(w: World, _side: str) -> tuple[str, str, Any]:
    r = w.call("admin", "POST", "/tokens", {"role": "member", "org": "b"})
    return "POST", f"/tokens/{r.json()['id']}/revoke", None


# endpoint: (request, {role: (status for own, status for other)})
MATRIX: dict[str, tuple[Request, dict[str, tuple[int, int]]]] = {
    "jobs_get": (
        lambda w, side: ("GET", f"/jobs/{w.jobs[side]}", None),
        {"admin": (200, 200), "manager": (200, 404), "member": (200, 404)},
    ),
    "jobs_logs": (
        lambda w, side: ("GET", f"/jobs/{w.jobs[side]}/logs", None),
        {"admin": (200, 200), "manager": (200, 404), "member": (200, 404)},
    ),
    "jobs_cancel": (
        lambda w, side: ("POST", f"/jobs/{w.pending_job(side)}/cancel", None),
        {"admin": (202, 202), "manager": (202, 404), "member": (202, 404)},
    ),
    "jobs_submit": (
        _job_body,
        {"admin": (201, 201), "manager": (403, 403), "member": (201, 404)},
    ),
    "orgs_get": (
        lambda _w, side: ("GET", f"/orgs/{SIDES[side][0]}", None),
        {"admin": (200, 200), "manager": (200, 404), "member": (200, 404)},
    ),
    "orgs_create": (_new_org, {"admin": (201, 201), "manager": (403, 403), "member": (403, 403)}),
    "programs_get": (
        lambda _w, side: ("GET", f"/programs/{SIDES[side][1]}", None),
        {"admin": (200, 200), "manager": (200, 404), "member": (200, 404)},
    ),
    "programs_create": (
        _new_program,
        {"admin": (201, 201), "manager": (403, 403), "member": (403, 403)},
    ),
    "cohorts_create": (
        _new_cohort,
        {"admin": (201, 201), "manager": (403, 403), "member": (403, 403)},
    ),
    # Cohorts name no org and no program: anyone may see them.
    "cohorts_get": (
        lambda _w, _side: ("GET", "/cohorts/shared", None),
        {"admin": (200, 200), "manager": (200, 200), "member": (200, 200)},
    ),
    "grants_create": (_grant, {"admin": (201, 201), "manager": (201, 404), "member": (403, 403)}),
    "tokens_create": (
        _new_token,
        {"admin": (201, 201), "manager": (403, 403), "member": (403, 403)},
    ),
    "tokens_list": (
        lambda _w, _s: ("GET", "/tokens", None),
        {"admin": (200, 200), "manager": (403, 403), "member": (403, 403)},
    ),
    "tokens_revoke": (_revoke, {"admin": (200, 200), "manager": (403, 403), "member": (403, 403)}),
}


@pytest.mark.parametrize("side", ["own", "other"])
@pytest.mark.parametrize("role", ["admin", "manager", "member"])
@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_matrix(world: World, endpoint: str, role: str, side: str) -> None:
    make, want = MATRIX[endpoint]
    method, path, body = make(world, side)
    r = world.call(role, method, path, body)
    assert r.status_code == want[role][side == "other"], (endpoint, role, side, r.text)


@pytest.mark.parametrize(
    "endpoint", [*sorted(MATRIX), "jobs_list", "usage_get", "grants_list", "cohorts_list"]
)
def test_no_token_is_401_everywhere(world: World, endpoint: str) -> None:
    if endpoint in MATRIX:
        method, path, body = MATRIX[endpoint][0](world, "own")
    else:
        method, path, body = "GET", "/" + endpoint.split("_", maxsplit=1)[0], None
    assert world.call(None, method, path, body).status_code == 401


def _seen(world: World, role: str, path: str, key: str) -> set[str]:
    r = world.call(role, "GET", path)
    assert r.status_code == 200, r.text
    items = r.json()
    if isinstance(items, dict):  # /usage
        items = items["orgs"]
    return {str(x[key]) for x in items}


@pytest.mark.parametrize(
    ("role", "want_orgs"),
    [("admin", {"a", "b"}), ("manager", {"a"}), ("member", {"a"})],
)
def test_lists_show_only_what_the_role_may_see(
    world: World, role: str, want_orgs: set[str]
) -> None:
    assert _seen(world, role, "/jobs?limit=10000", "org") == want_orgs
    assert _seen(world, role, "/grants", "org") >= want_orgs
    assert _seen(world, role, "/grants", "org") <= want_orgs | (
        {"a", "b"} if role == "admin" else set()
    )
    orgs = _seen(world, role, "/orgs", "id")
    assert {"a", "b"} & orgs == want_orgs
    programs = _seen(world, role, "/programs", "id")
    assert {"pa", "pb"} & programs == {f"p{o}" for o in want_orgs}
    assert "shared" in _seen(world, role, "/cohorts", "id")
    assert _seen(world, role, "/usage", "org") == want_orgs
    r = world.call(role, "GET", "/usage").json()
    assert {p["program"] for p in r["programs"]} & {"pa", "pb"} == (
        set() if role == "member" else {f"p{o}" for o in want_orgs}
    )
