"""`aigrid twin run` and `aigrid twin compare`, run in process the way a user runs them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from tests.cli import run_aigrid


def _summary(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((path / "summary.json").read_text())
    return data


def test_run_prints_the_scorecard_and_writes_the_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    r = run_aigrid(
        capsys, monkeypatch, "twin", "run", "tiny", "--days", "2", "--out", str(tmp_path)
    )
    assert r.exit_code == 0, r.err
    for question in (
        "Can smaller firms get GPUs?",
        "Does the money reach projects?",
        "Can the power limits be kept?",
        "Do public services get their GPUs?",
    ):
        assert question in r.out
    s = _summary(tmp_path)
    for dotted in (
        "scenario",
        "seed",
        "policy",
        "sim_days",
        "fleet.gpus",
        "fleet.sites",
        "jobs.submitted",
        "jobs.completed",
        "jobs.pending_at_end",
        "utilization.fleet",
        "utilization.by_owner",
        "wait_hours.by_tenant_class.university.p50",
        "wait_hours.by_tenant_class.university.p95",
        "gpu_hours.by_tenant_class",
        "energy.mwh",
        "energy.peak_mw_by_site",
        "energy.cap_mw_by_site",
        "energy.cost_krw",
        "energy.tco2",
        "budget.by_program",
        "runtime.wall_seconds",
        "runtime.events",
    ):
        node: Any = s
        for part in dotted.split("."):
            assert part in node, f"summary.json lacks {dotted}"
            node = node[part]
    for program in s["budget"]["by_program"].values():
        assert {"granted_krw", "spent_krw"} <= set(program)
    assert s["seed"] == 42 and s["policy"] == "fair" and s["scenario"] == "tiny"
    jobs = pq.read_table(tmp_path / "jobs.parquet")
    assert sum(jobs.column("measured").to_pylist()) == s["jobs"]["submitted"]
    want = {"id", "tenant_class", "program", "gpus", "gpu_model", "site", "submit_s", "start_s"}
    assert want | {"end_s", "wait_s", "state", "priority_class"} <= set(jobs.column_names)
    assert set(jobs.column("priority_class").to_pylist()) <= {"high", "normal", "low"}
    assert not any(jobs.column("paid_by_grant").to_pylist())  # tiny has no grants
    assert (tmp_path / "timeseries.parquet").exists()


def test_same_scenario_and_seed_give_a_byte_identical_summary_apart_from_runtime(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = []
    for k, seed in enumerate(("7", "7", "8")):
        out = tmp_path / str(k)
        r = run_aigrid(
            capsys,
            monkeypatch,
            "twin",
            "run",
            "tiny",
            "--days",
            "2",
            "--seed",
            seed,
            "--out",
            str(out),
        )
        assert r.exit_code == 0, r.err
        s = _summary(out)
        del s["runtime"]
        texts.append(json.dumps(s, indent=2))
    assert texts[0] == texts[1]
    assert texts[0] != texts[2]


def test_compare_prints_the_policies_side_by_side(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    r = run_aigrid(
        capsys, monkeypatch, "twin", "compare", "tiny", "--policies", "fifo,fair", "--days", "1"
    )
    assert r.exit_code == 0, r.err
    assert "fifo (seed 42)" in r.out and "fair (seed 42)" in r.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["twin", "run", "tiny", "--policy", "lottery"], "unknown policy 'lottery'"),
        (["twin", "compare", "tiny", "--policies", "fifo,nope"], "unknown policy 'nope'"),
        (["twin", "run", "no-such-scenario"], "no-such-scenario"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(
    args: list[str],
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    r = run_aigrid(capsys, monkeypatch, *args, *(["--out", str(tmp_path)] if "run" in args else []))
    assert r.exit_code == 2
    assert message in r.err
    assert "Traceback" not in r.err
    assert len(r.err.strip().splitlines()) == 1
