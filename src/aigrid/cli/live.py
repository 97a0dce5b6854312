"""The live commands: `aigrid serve`, `submit`, `jobs`, `job ...`, `usage`, `admin ...`.

Everything but `serve` and the bootstrap `admin token --db` talks to the REST API, at
`AIGRID_URL` with `AIGRID_TOKEN` (or the config file, see `aigrid.live.client`).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from aigrid.errors import UsageError
from aigrid.live.client import Client, load_config
from aigrid.model import JobClass, PriorityClass, TenantClass
from aigrid.model.job import GPU_MILLI

_out = Console(highlight=False, soft_wrap=True)

# -- helpers ------------------------------------------------------------------------------------

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhd])")


def parse_duration(text: str) -> float:
    """Seconds in '90s', '10m', '2h', '1d', '1h30m' (a bare number is seconds)."""
    t = text.strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", t):
        return float(t)
    parts = _DURATION.findall(t)
    if not parts or "".join(n + u for n, u in parts) != t:
        raise UsageError(f"not a duration: {text!r} (use e.g. 90s, 10m, 2h, 1d or 1h30m)")
    return sum(float(n) * _UNITS[u] for n, u in parts)


def parse_thousandths(text: str, what: str, example: str) -> int:
    """A decimal number as a whole number of thousandths, exactly ('0.25' -> 250): shares and
    cores are counted in milli-units, and a float would turn 0.29 into 289."""
    try:
        value = Decimal(text.strip()) * 1000
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value != value.to_integral_value():
        raise UsageError(f"{what} wants a number with at most 3 decimals, got {text!r} ({example})")
    return int(value)


def parse_gpu_share(text: str) -> int:
    """A share of one GPU, '0.25', as milli-GPUs (250): more than 0, less than 1."""
    milli = parse_thousandths(text, "--gpu-share", "e.g. 0.25 for a quarter of a GPU")
    if not 0 < milli < GPU_MILLI:
        raise UsageError(
            f"--gpu-share is a share of one GPU, more than 0 and below 1, got {text!r}"
        )
    return milli


_MEMORY_UNITS = {"": 1, "m": 1, "mi": 1, "mib": 1, "g": 1024, "gi": 1024, "gib": 1024}
_MEMORY_UNITS |= {"t": 1 << 20, "ti": 1 << 20, "tib": 1 << 20}


def parse_memory_mib(text: str) -> int:
    """Memory as MiB: '512' or '512M' (MiB), '16G' (GiB), '1T' (TiB), binary units as
    Slurm's `--mem` takes them."""
    m = re.fullmatch(r"(\d+)\s*([a-z]*)", text.strip().lower())
    unit = _MEMORY_UNITS.get(m.group(2)) if m else None
    if m is None or unit is None:
        raise UsageError(f"--memory wants MiB, or a size such as 512M, 16G or 1T; got {text!r}")
    return int(m.group(1)) * unit


def _pairs(items: Iterable[str], what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"{what} wants KEY=VALUE, got {item!r}")
        out[key] = value
    return out


def _gpus(items: Iterable[str] | None, option: str) -> dict[str, int]:
    """KEY=GPUS pairs of a repeatable option, as quota keys -> whole numbers of GPUs."""
    out: dict[str, int] = {}
    for key, value in _pairs(items or (), option).items():
        try:
            out[key] = int(value)
        except ValueError:
            raise UsageError(
                f"{option} wants KEY=GPUS with a whole number, got {value!r}"
            ) from None
    return out


def _amounts(amounts: dict[str, int]) -> str:
    return ", ".join(f"{k}={g}" for k, g in amounts.items()) or "-"


def _client() -> Client:
    return Client(load_config())


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def _backend(place: dict[str, Any] | None) -> str:
    """Where a placed job runs: its backend, and its id there once dispatched."""
    if place is None or not place.get("backend"):
        return "-"
    handle = place.get("backend_handle")
    return f"{place['backend']} (job {handle})" if handle else place["backend"]


def _when(iso: str | None) -> str:
    if not iso:
        return "-"
    return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _krw(value: int | None) -> str:
    return "unlimited" if value is None else f"{value:,}"


# -- serve --------------------------------------------------------------------------------------


def serve(
    db: Annotated[str, typer.Option("--db", help="SQLite file or database URL.")] = "aigrid.db",
    listen: Annotated[str, typer.Option("--listen", help="HOST:PORT to serve on.")] = (
        "127.0.0.1:8080"
    ),
    fleet: Annotated[
        str,
        typer.Option(
            "--fleet", help="'local' (this machine), a built-in scenario name or a YAML file."
        ),
    ] = "local",
    gpus: Annotated[
        int | None,
        typer.Option("--gpus", help="GPUs of the local fleet (default: detected, else 8).", min=1),
    ] = None,
    policy: Annotated[
        str,
        typer.Option(
            "--policy", help="fair or fifo, with options such as +reclaim, +decay or +decay=3d."
        ),
    ] = "fair",
    jobs_dir: Annotated[
        str | None,
        typer.Option("--jobs-dir", help="Where the local executor keeps job files and logs."),
    ] = None,
    interval: Annotated[
        float,
        typer.Option("--interval", help="Seconds between scheduling cycles when idle.", min=0.01),
    ] = 0.5,
) -> None:
    """Run the control plane: migrate the store, start the scheduler and the REST API."""
    # Imported here: the server's libraries take a second to load, which the client commands
    # (submit, jobs, ...) should not pay for.
    from aigrid.live.server import ServeOptions, parse_listen  # noqa: PLC0415
    from aigrid.live.server import serve as run_server  # noqa: PLC0415
    from aigrid.scheduler import Policy  # noqa: PLC0415

    host, port = parse_listen(listen)
    try:
        chosen = Policy.parse(policy)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    run_server(
        ServeOptions(
            db=db,
            host=host,
            port=port,
            fleet=fleet,
            gpus=gpus,
            policy=chosen,
            jobs_dir=Path(jobs_dir) if jobs_dir else None,
            interval_s=interval,
        )
    )


# -- jobs ---------------------------------------------------------------------------------------


def submit(
    command: Annotated[list[str], typer.Argument(help="The command and its arguments, after --.")],
    org: Annotated[str, typer.Option("--org", help="Your org.")],
    program: Annotated[str, typer.Option("--program", help="The program that pays.")],
    gpus: Annotated[int, typer.Option("--gpus", help="GPUs, all started together.", min=1)] = 1,
    walltime: Annotated[
        str, typer.Option("--walltime", help="Time limit: 90s, 10m, 2h, 1d.")
    ] = "1h",
    gpu_model: Annotated[
        list[str] | None, typer.Option("--gpu-model", help="Allowed GPU model (repeatable).")
    ] = None,
    name: Annotated[str, typer.Option("--name", help="A name for the job.")] = "",
    env: Annotated[
        list[str] | None, typer.Option("--env", help="KEY=VALUE for the job (repeatable).")
    ] = None,
    job_class: Annotated[JobClass, typer.Option("--class", help="Job class.")] = JobClass.BATCH,
    sovereign: Annotated[
        bool, typer.Option("--sovereign", help="Data that must stay in a sovereign zone.")
    ] = False,
    preemptible: Annotated[
        bool,
        typer.Option(
            "--preemptible", help="May be stopped and started again to give lent quota back."
        ),
    ] = False,
    priority: Annotated[
        PriorityClass,
        typer.Option("--priority", help="Priority class: fair sharing serves higher first."),
    ] = PriorityClass.NORMAL,
    gpu_share: Annotated[
        str | None,
        typer.Option(
            "--gpu-share",
            help="A share of one GPU, e.g. 0.25 (with --gpus 1); others may share the GPU.",
        ),
    ] = None,
    cpu: Annotated[
        str | None, typer.Option("--cpu", help="CPU cores on each node, e.g. 4 or 0.5.")
    ] = None,
    memory: Annotated[
        str | None, typer.Option("--memory", help="Memory on each node: MiB, or 512M, 16G.")
    ] = None,
) -> None:
    """Submit a job; prints its id alone."""
    body = {
        "org": org,
        "program": program,
        "gpus": gpus,
        "walltime_s": parse_duration(walltime),
        "command": command,
        "env": _pairs(env or (), "--env"),
        "gpu_models": gpu_model or [],
        "name": name,
        "job_class": job_class.value,
        "sovereign": sovereign,
        "preemptible": preemptible,
        "priority_class": priority.value,
        "workdir": os.getcwd(),
        "gpu_share_milli": 0 if gpu_share is None else parse_gpu_share(gpu_share),
        "cpu_milli": 0 if cpu is None else parse_thousandths(cpu, "--cpu", "cores, e.g. 4 or 0.5"),
        "memory_mib": 0 if memory is None else parse_memory_mib(memory),
    }
    with _client() as c:
        job = c.submit(body)
    print(job["id"])


def jobs(
    state: Annotated[str | None, typer.Option("--state", help="Only jobs in this state.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """List your jobs, newest first."""
    with _client() as c:
        rows = c.jobs(state=state, limit=limit)
    if as_json:
        _print_json(rows)
        return
    table = Table(box=None, pad_edge=False)
    for col in ("ID", "NAME", "ORG", "PROGRAM", "GPUS", "STATE", "SUBMITTED", "WHY / EXIT"):
        table.add_column(col, no_wrap=col != "WHY / EXIT")
    for j in rows:
        why = j["pending_reason"] or ("" if j["exit_code"] is None else f"exit {j['exit_code']}")
        table.add_row(
            str(j["id"]),
            j["name"],
            j["org"],
            j["program"],
            _gpus_text(j),
            j["state"],
            _when(j["submitted_at"]),
            why,
        )
    _out.print(table)


job_app = typer.Typer(help="One job: show, cancel, logs.", no_args_is_help=True)


@job_app.command("show")
def job_show(
    job_id: Annotated[int, typer.Argument(help="Job id.")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON.")] = False,
) -> None:
    """A job's state, placement, pending reason and charges; for a pending job, its place in
    the scheduler's order, factor by factor (like Slurm's sprio)."""
    with _client() as c:
        j = c.job(job_id)
    if as_json:
        _print_json(j)
        return
    place = j["placement"]
    lines = [
        ("id", j["id"]),
        ("name", j["name"]),
        ("org / program", f"{j['org']} / {j['program']}"),
        ("state", j["state"]),
        ("why", j["pending_reason"] or "-"),
        ("gpus", _gpus_text(j)),
        ("cpu / memory", _cpu_memory_text(j)),
        ("walltime", f"{j['walltime_s']:g} s"),
        ("command", " ".join(j["command"])),
        ("submitted", _when(j["submitted_at"])),
        ("started", _when(j["started_at"])),
        ("ended", _when(j["ended_at"])),
        ("exit code", "-" if j["exit_code"] is None else j["exit_code"]),
        (
            "placement",
            "-"
            if place is None
            else f"{place['pool']}: {', '.join(place['nodes'])}; GPUs {place['devices']}",
        ),
        ("backend", _backend(place)),
        (
            "price",
            "-" if j["price_krw_per_gpu_h"] is None else f"{j['price_krw_per_gpu_h']:g} KRW/GPU-h",
        ),
        ("hold", "-" if j["hold_krw"] is None else f"{j['hold_krw']:,} KRW"),
        ("priority", j.get("priority_class", "normal")),
    ]
    order = j.get("order")
    if order is not None:
        lines.extend(_order_lines(order))
    for key, value in lines:
        _out.print(f"{key:>14}  {value}")


def _gpus_text(j: dict[str, Any]) -> str:
    """Whole GPUs, or a share of one as a decimal ('0.25'), exactly."""
    milli = j.get("gpu_share_milli", 0)
    return str(j["gpus"]) if not milli else str(Decimal(milli) / 1000)


def _cpu_memory_text(j: dict[str, Any]) -> str:
    """What the job asks of each node: cores and MiB ('-' for nothing asked)."""
    cpu, memory = j.get("cpu_milli", 0), j.get("memory_mib", 0)
    if not cpu and not memory:
        return "-"
    cores = f"{Decimal(cpu) / 1000} cores" if cpu else "no CPU asked"
    return f"{cores}, {f'{memory} MiB' if memory else 'no memory asked'} per node"


def _number(x: float | None) -> str:
    return "inf" if x is None else f"{x:.10g}"


def _order_lines(order: dict[str, Any]) -> list[tuple[str, str]]:
    """A pending job's order key as `job show` prints it: the factors in the order they are
    compared (the first that differs decides), then the weights and the total."""
    lines = [("order", f"{order['policy']}: the first factor that differs decides")]
    width = max(len(f["name"]) for f in order["factors"])
    for f in order["factors"]:
        lines.append(("", f"{f['name']:<{width}}  {_number(f['value']):>12}  {f['detail']}"))
    half_life = order["half_life_s"]
    lines.append(
        (
            "weights",
            f"program weight {order['weight']:g}; usage half-life "
            + (f"{half_life / 3600:g} h" if half_life else "none (no history)"),
        )
    )
    lines.append(("total", "(" + ", ".join(_number(v) for v in order["total"]) + ")"))
    return lines


@job_app.command("cancel")
def job_cancel(
    job_id: Annotated[int, typer.Argument(help="Job id.")],
    wait: Annotated[float, typer.Option("--wait", help="Seconds to wait for it to end.")] = 15.0,
) -> None:
    """Cancel a job (stopping it if it runs) and wait until it has ended."""
    with _client() as c:
        j = c.cancel(job_id)
        deadline = time.monotonic() + wait
        while j["state"] in ("pending", "running") and time.monotonic() < deadline:
            time.sleep(0.2)
            j = c.job(job_id)
    if j["state"] in ("pending", "running"):
        _out.print(f"job {job_id}: cancel requested; still {j['state']}")
    else:
        _out.print(f"job {job_id}: {j['state']}")


@job_app.command("logs")
def job_logs(
    job_id: Annotated[int, typer.Argument(help="Job id.")],
    max_bytes: Annotated[int, typer.Option("--bytes", help="The last this many bytes.")] = 65536,
) -> None:
    """A job's output (stdout and stderr)."""
    with _client() as c:
        text = c.logs(job_id, max_bytes)
    print(text, end="")


def usage(
    as_json: Annotated[bool, typer.Option("--json", help="JSON.")] = False,
) -> None:
    """Budgets of programs and what orgs used, as far as your token may see."""
    with _client() as c:
        u = c.usage()
    if as_json:
        _print_json(u)
        return
    if u["programs"]:
        t = Table(title="programs", box=None, pad_edge=False)
        for col in ("PROGRAM", "BUDGET KRW", "HELD KRW", "SPENT KRW", "AVAILABLE KRW"):
            t.add_column(col, justify="left" if col == "PROGRAM" else "right")
        for p in u["programs"]:
            t.add_row(
                p["program"],
                _krw(p["budget_krw"]),
                f"{p['held_krw']:,}",
                f"{p['spent_krw']:,}",
                _krw(p["available_krw"]),
            )
        _out.print(t)
    t = Table(title="orgs", box=None, pad_edge=False)
    for col in ("ORG", "PROGRAM", "GRANTED KRW", "SPENT KRW", "GPU-HOURS"):
        t.add_column(col, justify="left" if col in ("ORG", "PROGRAM") else "right")
    for o in u["orgs"]:
        t.add_row(
            o["org"],
            o["program"],
            _krw(o["granted_krw"]),
            f"{o['spent_krw']:,}",
            f"{o['gpu_hours']:.3f}",
        )
    _out.print(t)


# -- admin --------------------------------------------------------------------------------------

KEY_HELP = "KEY is a GPU model, or OWNER/MODEL for that model in one owner's pools"
BorrowingLimit = Annotated[
    list[str] | None,
    typer.Option(
        "--borrowing-limit",
        help="KEY=GPUS: borrow at most this many beyond its own quota (repeatable; a key not "
        "named: no limit).",
    ),
]
LendingLimit = Annotated[
    list[str] | None,
    typer.Option(
        "--lending-limit",
        help="KEY=GPUS: lend others at most this many of its quota; the rest stays its own, "
        "free for its jobs at once (repeatable; a key not named: no limit).",
    ),
]

admin_app = typer.Typer(
    help="Tenancy and tokens: orgs, programs, cohorts, grants.", no_args_is_help=True
)
org_app = typer.Typer(help="Tenant organisations.", no_args_is_help=True)
program_app = typer.Typer(help="Funded access programs.", no_args_is_help=True)
cohort_app = typer.Typer(
    help="Cohorts: the quota tree above programs, whose members borrow each other's idle quota.",
    no_args_is_help=True,
)
admin_app.add_typer(org_app, name="org")
admin_app.add_typer(program_app, name="program")
admin_app.add_typer(cohort_app, name="cohort")


@admin_app.command("token")
def admin_token(
    role: Annotated[str, typer.Option("--role", help="admin, manager or member.")] = "member",
    org: Annotated[str | None, typer.Option("--org", help="A member's org.")] = None,
    program: Annotated[str | None, typer.Option("--program", help="A manager's program.")] = None,
    name: Annotated[str, typer.Option("--name", help="What the token is for.")] = "",
    db: Annotated[
        str | None,
        typer.Option("--db", help="Make it straight in this store (the first admin's token)."),
    ] = None,
) -> None:
    """Make a token and print it (it is shown only this once)."""
    if role not in ("admin", "manager", "member"):
        raise UsageError(f"--role must be admin, manager or member; got {role!r}")
    if db is not None:
        from aigrid.live.service import Role  # noqa: PLC0415 - as in serve
        from aigrid.live.service.admin import issue_token  # noqa: PLC0415
        from aigrid.live.store import Store, upgrade  # noqa: PLC0415

        store = Store.open(db)
        try:
            upgrade(store.engine)
            _, token = issue_token(
                store, time.time(), Role(role), org=org, program=program, name=name
            )
        finally:
            store.close()
        print(token.text)
        return
    body = {"role": role, "org": org, "program": program, "name": name}
    with _client() as c:
        print(c.post("/tokens", body)["token"])


@admin_app.command("tokens")
def admin_tokens() -> None:
    """The tokens there are (their ids and roles; never their secrets)."""
    with _client() as c:
        for tok in c.get("/tokens"):
            bound = tok["org"] or tok["program"] or "-"
            state = "revoked" if tok["revoked_at"] else "active"
            _out.print(f"{tok['id']}\t{tok['role']}\t{bound}\t{state}\t{tok['name']}")


@admin_app.command("revoke")
def admin_revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id (see `aigrid admin tokens`).")],
) -> None:
    """Revoke a token: it is refused from now on."""
    with _client() as c:
        tok = c.post(f"/tokens/{token_id}/revoke")
    _out.print(f"token {tok['id']} revoked")


@org_app.command("create")
def org_create(
    org_id: Annotated[str, typer.Argument(help="Short id, e.g. kaist.")],
    tenant_class: Annotated[TenantClass, typer.Option("--class", help="Tenant class.")],
    name: Annotated[str, typer.Option("--name", help="Full name.")] = "",
) -> None:
    """Create an org."""
    with _client() as c:
        o = c.post("/orgs", {"id": org_id, "name": name, "tenant_class": tenant_class.value})
    _out.print(f"org {o['id']} ({o['tenant_class']})")


@org_app.command("list")
def org_list() -> None:
    """The orgs you may see."""
    with _client() as c:
        for o in c.get("/orgs"):
            _out.print(f"{o['id']}\t{o['tenant_class']}\t{o['name']}")


@program_app.command("create")
def program_create(
    program_id: Annotated[str, typer.Argument(help="Short id, e.g. research.")],
    name: Annotated[str, typer.Option("--name", help="Full name.")] = "",
    budget: Annotated[
        float | None, typer.Option("--budget", help="KRW (default: unlimited).", min=0)
    ] = None,
    quota: Annotated[
        list[str] | None,
        typer.Option(
            "--quota", help=f"KEY=GPUS; {KEY_HELP} (repeatable; default: the whole fleet)."
        ),
    ] = None,
    owner: Annotated[
        list[str] | None, typer.Option("--owner", help="Owner whose pools it uses (repeatable).")
    ] = None,
    cohort: Annotated[
        str | None,
        typer.Option("--cohort", help="Cohort whose members borrow each other's idle quota."),
    ] = None,
    price_fraction: Annotated[
        list[str] | None,
        typer.Option("--price-fraction", help="CLASS=FRACTION of list price (repeatable)."),
    ] = None,
    weight: Annotated[
        float, typer.Option("--weight", help="Weight in fair sharing (default 1).", min=0)
    ] = 1.0,
    borrowing_limit: BorrowingLimit = None,
    lending_limit: LendingLimit = None,
) -> None:
    """Create a program."""
    quotas = _gpus(quota, "--quota") if quota else None
    try:
        fractions = {
            k: float(v) for k, v in _pairs(price_fraction or (), "--price-fraction").items()
        }
    except ValueError:
        raise UsageError("--price-fraction wants CLASS=FRACTION with a number") from None
    body = {
        "id": program_id,
        "name": name,
        "budget_krw": budget,
        "quota": quotas,
        "owners": owner or [],
        "cohort": cohort,
        "price_fraction": fractions,
        "weight": weight,
        "borrowing_limit": _gpus(borrowing_limit, "--borrowing-limit"),
        "lending_limit": _gpus(lending_limit, "--lending-limit"),
    }
    with _client() as c:
        p = c.post("/programs", body)
    text = f"program {p['id']}: budget {_krw(p['budget_krw'])} KRW, quota {_amounts(p['quota'])}"
    for field in ("borrowing_limit", "lending_limit"):
        if p.get(field):
            text += f", {field.replace('_', ' ')} {_amounts(p[field])}"
    _out.print(text)


@program_app.command("list")
def program_list() -> None:
    """The programs you may see."""
    with _client() as c:
        for p in c.get("/programs"):
            _out.print(f"{p['id']}\t{_krw(p['budget_krw'])} KRW\t{p['name']}")


@cohort_app.command("create")
def cohort_create(
    cohort_id: Annotated[str, typer.Argument(help="Short id, e.g. national.")],
    parent: Annotated[
        str | None,
        typer.Option("--parent", help="The cohort above it, created before (default: a root)."),
    ] = None,
    quota: Annotated[
        list[str] | None,
        typer.Option(
            "--quota",
            help=f"KEY=GPUS of its own, given to the cohort as a whole; {KEY_HELP} (repeatable).",
        ),
    ] = None,
    borrowing_limit: BorrowingLimit = None,
    lending_limit: LendingLimit = None,
    weight: Annotated[
        float,
        typer.Option("--weight", help="Weight in fair sharing among its siblings (default 1)."),
    ] = 1.0,
) -> None:
    """Create a cohort. Programs join it with `program create --cohort ID`, cohorts with
    `--parent ID`; its limits bound what the whole cohort borrows from, and lends to, its
    parent's other members."""
    body = {
        "id": cohort_id,
        "parent": parent,
        "quota": _gpus(quota, "--quota"),
        "borrowing_limit": _gpus(borrowing_limit, "--borrowing-limit"),
        "lending_limit": _gpus(lending_limit, "--lending-limit"),
        "weight": weight,
    }
    with _client() as c:
        co = c.post("/cohorts", body)
    _out.print(
        f"cohort {co['id']} (parent {co['parent'] or '-'}): quota {_amounts(co['quota'])}, "
        f"borrowing limit {_amounts(co['borrowing_limit'])}, "
        f"lending limit {_amounts(co['lending_limit'])}, weight {co['weight']:g}"
    )


@cohort_app.command("list")
def cohort_list(
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """The cohorts, with their quota and limits per quota key ('-': none, no limit)."""
    with _client() as c:
        rows = c.get("/cohorts")
    if as_json:
        _print_json(rows)
        return
    table = Table(box=None, pad_edge=False)
    for col in ("ID", "PARENT", "QUOTA", "BORROWING LIMIT", "LENDING LIMIT", "WEIGHT"):
        table.add_column(col)
    for co in rows:
        table.add_row(
            co["id"],
            co["parent"] or "-",
            _amounts(co["quota"]),
            _amounts(co["borrowing_limit"]),
            _amounts(co["lending_limit"]),
            f"{co['weight']:g}",
        )
    _out.print(table)


@admin_app.command("grant")
def admin_grant(
    program: Annotated[str, typer.Option("--program", help="The program that grants.")],
    org: Annotated[str, typer.Option("--org", help="The org it grants to.")],
    krw: Annotated[float | None, typer.Option("--krw", help="Credit in KRW.", min=0)] = None,
    gpu_hours: Annotated[
        float | None, typer.Option("--gpu-hours", help="Credit in GPU-hours.", min=0)
    ] = None,
    gpu_model: Annotated[
        list[str] | None, typer.Option("--gpu-model", help="Allowed GPU model (repeatable).")
    ] = None,
) -> None:
    """Grant an org access through a program."""
    body = {
        "program": program,
        "org": org,
        "krw": krw,
        "gpu_hours": gpu_hours,
        "gpu_models": gpu_model or [],
    }
    with _client() as c:
        g = c.post("/grants", body)
    _out.print(f"grant {g['id']}: program {g['program']} -> org {g['org']}")


def register(app: typer.Typer) -> None:
    """Add the live commands to the `aigrid` app."""
    app.command("serve")(serve)
    app.command("submit", context_settings={"allow_interspersed_args": False})(submit)
    app.command("jobs")(jobs)
    app.add_typer(job_app, name="job")
    app.command("usage")(usage)
    app.add_typer(admin_app, name="admin")
