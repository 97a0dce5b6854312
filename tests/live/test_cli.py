"""The live commands in process, as a user runs them: against a server over HTTP, with
AIGRID_URL and AIGRID_TOKEN (or the config file); errors exit with their codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from aigrid.cli.live import parse_duration, parse_gpu_share, parse_memory_mib, parse_thousandths
from aigrid.errors import UsageError
from tests.cli import run_aigrid
from tests.live.server import LiveServer, wait_for


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    workdir = tmp_path_factory.mktemp("cli")
    s = LiveServer(f"sqlite:///{workdir / 'aigrid.db'}", workdir, gpus=2).start()
    yield s
    s.stop()


@pytest.fixture
def cli(
    server: LiveServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[object]:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("AIGRID_URL", raising=False)
    monkeypatch.delenv("AIGRID_TOKEN", raising=False)

    def run(*args: str) -> tuple[int, str, str]:
        r = run_aigrid(capsys, monkeypatch, *args)
        return r.exit_code, r.out, r.err

    yield run


@pytest.fixture
def as_admin(server: LiveServer, cli: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands that follow talk to `server` with a new admin token."""
    assert callable(cli)
    token = cli("admin", "token", "--db", server.db, "--role", "admin")[1].strip()
    monkeypatch.setenv("AIGRID_URL", server.url)
    monkeypatch.setenv("AIGRID_TOKEN", token)


def test_from_bootstrap_to_a_finished_job(
    server: LiveServer, cli: object, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert callable(cli)
    code, token, _ = cli("admin", "token", "--db", server.db, "--role", "admin")
    assert code == 0
    # The config file, as a user would write it.
    (tmp_path / "aigrid").mkdir()
    (tmp_path / "aigrid" / "config.toml").write_text(
        f'url = "{server.url}"\ntoken = "{token.strip()}"\n'
    )
    assert cli("admin", "org", "create", "kaist", "--class", "university")[0] == 0
    assert cli("admin", "program", "create", "research", "--budget", "1e6")[0] == 0
    assert cli("admin", "grant", "--program", "research", "--org", "kaist")[0] == 0
    code, out, err = cli(
        "submit", "--org", "kaist", "--program", "research", "--gpus", "1", "--walltime", "1m",
        "--", "sh", "-c", "echo hi from $CUDA_VISIBLE_DEVICES",
    )  # fmt: skip
    assert code == 0, err
    job_id = int(out)  # the id alone
    wait_for(
        lambda: json.loads(cli("job", "show", str(job_id), "--json")[1])["state"] == "completed"
    )
    code, out, _ = cli("job", "logs", str(job_id))
    assert out.startswith("hi from ")
    code, out, _ = cli("jobs", "--json")
    assert [j["id"] for j in json.loads(out)] == [job_id]
    assert "completed" in cli("jobs")[1]
    assert "research" in cli("usage")[1]
    code, _, err = cli("job", "cancel", str(job_id))
    assert code == 6 and "already ended" in err
    # A member token, made through the API, sees its own org only.
    code, member, _ = cli("admin", "token", "--role", "member", "--org", "kaist")
    member_id = member.split("_")[1]
    assert member_id in cli("admin", "tokens")[1]
    monkeypatch.setenv("AIGRID_TOKEN", member.strip())
    assert cli("job", "show", str(job_id))[0] == 0
    code, _, err = cli("admin", "org", "create", "x", "--class", "sme")
    assert code == 5, err
    assert cli("job", "show", "999999")[0] == 4
    # Revoked, it is refused.
    monkeypatch.delenv("AIGRID_TOKEN")
    assert cli("admin", "revoke", member_id)[0] == 0
    monkeypatch.setenv("AIGRID_TOKEN", member.strip())
    code, _, err = cli("jobs")
    assert code == 3 and "revoked" in err


def test_job_show_gives_a_pending_jobs_place_in_the_order(cli: object, as_admin: None) -> None:
    assert callable(cli)
    assert cli("admin", "org", "create", "snu", "--class", "university")[0] == 0
    code, _, err = cli("admin", "program", "create", "lab", "--quota", "gpu=2", "--weight", "2")
    assert code == 0, err
    assert cli("admin", "grant", "--program", "lab", "--org", "snu")[0] == 0
    submit = ("submit", "--org", "snu", "--program", "lab", "--walltime", "1m")
    blocker = cli(*submit, "--gpus", "2", "--", "sleep", "30")[1].strip()
    wait_for(lambda: json.loads(cli("job", "show", blocker, "--json")[1])["state"] == "running")
    waiting = cli(*submit, "--priority", "low", "--", "true")[1].strip()
    wait_for(lambda: json.loads(cli("job", "show", waiting, "--json")[1])["order"] is not None)
    code, out, _ = cli("job", "show", waiting)
    assert code == 0
    assert "priority  low" in out
    assert "low (priority 0)" in out
    assert "program lab: 0.5 = (0 decayed + 2 held) / (2 x 2 gpu)" in out
    assert "program weight 2; usage half-life none" in out
    assert "total  (1, 0, 0.5, 0.5, " in out
    assert "order" not in cli("job", "show", blocker)[1]
    for job_id in (waiting, blocker):
        assert cli("job", "cancel", job_id)[0] == 0


def test_a_share_of_a_gpu_with_cpu_and_memory_is_submitted_and_shown(
    cli: object, as_admin: None
) -> None:
    assert callable(cli)
    assert cli("admin", "org", "create", "kist", "--class", "research")[0] == 0
    assert cli("admin", "program", "create", "shares")[0] == 0
    assert cli("admin", "grant", "--program", "shares", "--org", "kist")[0] == 0
    code, out, err = cli(
        "submit", "--org", "kist", "--program", "shares", "--walltime", "1m",
        "--gpu-share", "0.29", "--cpu", "1.5", "--memory", "2G", "--", "true",
    )  # fmt: skip
    assert code == 0, err
    j = json.loads(cli("job", "show", out.strip(), "--json")[1])
    assert (j["gpus"], j["gpu_share_milli"], j["cpu_milli"], j["memory_mib"]) == (
        1,
        290,
        1500,
        2048,
    )
    shown = cli("job", "show", out.strip())[1]
    assert "0.29" in shown and "1.5 cores, 2048 MiB per node" in shown
    code, _, err = cli(
        "submit", "--org", "kist", "--program", "shares", "--gpus", "2", "--gpu-share", "0.5",
        "--", "true",
    )  # fmt: skip
    assert code != 0 and "only a job of one GPU may ask a share" in err


@pytest.mark.parametrize(
    ("text", "milli"), [("0.25", 250), ("0.29", 290), (".001", 1), ("0.999", 999)]
)
def test_gpu_shares_are_exact_milli_gpus(text: str, milli: int) -> None:
    assert parse_gpu_share(text) == milli


@pytest.mark.parametrize("text", ["0", "1", "1.5", "0.0005", "-0.25", "quarter", "nan", ""])
def test_bad_gpu_shares(text: str) -> None:
    with pytest.raises(UsageError, match="--gpu-share"):
        parse_gpu_share(text)


def test_cores_and_memory() -> None:
    assert parse_thousandths("4", "--cpu", "") == 4000
    assert parse_thousandths("0.5", "--cpu", "") == 500
    assert [parse_memory_mib(t) for t in ("512", "512M", "16G", "16GiB", "1T")] == [
        512, 512, 16384, 16384, 1 << 20
    ]  # fmt: skip
    for bad in ("1.5G", "16 GB", "-1", "lots"):
        with pytest.raises(UsageError, match="--memory"):
            parse_memory_mib(bad)


def test_cohorts_and_limits_are_set_up_from_the_command_line(cli: object, as_admin: None) -> None:
    assert callable(cli)
    assert cli("admin", "cohort", "create", "grid", "--quota", "gpu=1")[0] == 0
    code, out, err = cli(
        "admin", "cohort", "create", "national", "--parent", "grid",
        "--borrowing-limit", "local/gpu=1", "--lending-limit", "gpu=0", "--weight", "2",
    )  # fmt: skip
    assert code == 0, err
    assert out.strip() == (
        "cohort national (parent grid): quota -, borrowing limit local/gpu=1, "
        "lending limit gpu=0, weight 2"
    )
    code, out, err = cli(
        "admin", "program", "create", "kept", "--quota", "local/gpu=1", "--cohort", "national",
        "--lending-limit", "local/gpu=0", "--borrowing-limit", "local/gpu=1",
    )  # fmt: skip
    assert code == 0, err
    assert "borrowing limit local/gpu=1, lending limit local/gpu=0" in out
    listed = {c["id"]: c for c in json.loads(cli("admin", "cohort", "list", "--json")[1])}
    assert listed["national"]["parent"] == "grid"
    assert listed["grid"]["quota"] == {"gpu": 1}
    assert "national  grid" in cli("admin", "cohort", "list")[1]
    code, _, err = cli("admin", "cohort", "create", "x", "--parent", "nowhere")
    assert code == 4 and "no cohort 'nowhere'" in err
    code, _, err = cli("admin", "cohort", "create", "x", "--quota", "gpu=many")
    assert code != 0 and "whole number" in err
    code, _, err = cli("admin", "program", "create", "y", "--lending-limit", "acme/gpu=1")
    assert code != 0 and "owner 'acme'" in err


def test_no_server_and_bad_tokens_exit_with_their_codes(
    server: LiveServer, cli: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert callable(cli)
    monkeypatch.setenv("AIGRID_URL", server.url)
    monkeypatch.setenv("AIGRID_TOKEN", "aig_nope_nope")
    code, _, err = cli("jobs")
    assert code == 3 and "unknown token" in err
    monkeypatch.setenv("AIGRID_URL", "http://127.0.0.1:9")
    code, _, err = cli("jobs")
    assert code == 7 and "cannot reach" in err


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("10m", 600), ("2h", 7200), ("1d", 86400), ("1h30m", 5400), ("45", 45)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "10x", "m", "1h 30m", "-5m"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(UsageError):
        parse_duration(text)
