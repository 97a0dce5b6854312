"""`aigrid twin replay` in process, and the replay service under it: fleets, scale, mapping."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from aigrid.errors import UsageError
from aigrid.model import Job, JobClass, TenantClass
from aigrid.scenario import load_scenario
from aigrid.scheduler import Policy
from aigrid.traces import (
    horizon_days,
    load_trace,
    map_jobs,
    read_philly,
    replay,
    scale_jobs,
    scale_scenario,
)
from tests.cli import run_aigrid
from tests.traces.helpers import TRACES, needs_traces, write

PHILLY = TRACES / "philly-derived" / "philly.csv"
SLICE = "3000"


def _summary(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((path / "summary.json").read_text())
    return data


def _philly_file(tmp_path: Path, rows: int = 40) -> Path:
    lines = ["timestamp,duration,num_gpus,gpu_time,cluster"]
    for i in range(rows):
        gpus = (1, 2, 4, 8, 16)[i % 5]
        lines.append(f"2017-10-01 {i // 60:02d}:{i % 60:02d}:00,{600 + i},{gpus},")
        lines[-1] += f"{(600 + i) * gpus},{'abc'[i % 3]}"
    return write(tmp_path, "p.csv", "\n".join(lines) + "\n")


@needs_traces
def test_replay_prints_the_scorecard_and_writes_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["twin", "replay", str(PHILLY), "--format", "philly", "--policy", "fifo"]
    r = run_aigrid(capsys, monkeypatch, *args, "--limit", SLICE, "--out", str(tmp_path))
    assert r.exit_code == 0, r.err
    assert f"{PHILLY}: 3,000 rows, 3,000 jobs" in r.out
    assert "Can smaller firms get GPUs?" in r.out
    assert "bounds: utilization" in r.out
    s = _summary(tmp_path)
    assert s["policy"] == "fifo" and s["seed"] == 0
    assert s["jobs"]["submitted"] == 3000
    assert s["fleet"]["gpus"] == 2490
    assert s["trace"]["format"] == "philly" and s["trace"]["rows"] == 3000
    assert s["trace"]["fleet"] == "trace" and not s["trace"]["mapped_onto_scenario"]
    assert s["bounds"]["utilization"]["upper"] >= s["bounds"]["utilization"]["realised"]
    assert pq.read_table(tmp_path / "jobs.parquet").num_rows == 3000
    assert (tmp_path / "report.html").is_file()


def test_replay_of_a_broken_file_exits_2_naming_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _philly_file(tmp_path)
    text = path.read_text().replace(",603,", ",six hundred,", 1)
    path.write_text(text)
    args = ["twin", "replay", str(path), "--format", "philly", "--out", str(tmp_path / "o")]
    r = run_aigrid(capsys, monkeypatch, *args)
    assert r.exit_code == 2
    assert r.err.strip() == f"error: {path}:5: duration: expected a number, got 'six hundred'"
    r = run_aigrid(capsys, monkeypatch, *args, "--skip-bad-rows")
    assert r.exit_code == 0, r.err
    assert "39 jobs, 1 bad rows skipped" in r.out
    assert f"skipped {path}:5: duration" in r.out
    assert _summary(tmp_path / "o")["trace"]["bad_rows_skipped"] == 1


def test_replay_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _philly_file(tmp_path)
    r = run_aigrid(capsys, monkeypatch, "twin", "replay", str(path), "--format", "csv")
    assert r.exit_code == 2 and "unknown trace format 'csv'" in r.err
    r = run_aigrid(
        capsys, monkeypatch, "twin", "replay", str(tmp_path / "none.csv"), "--format", "philly"
    )
    assert r.exit_code == 2 and "none.csv: no such file" in r.err
    jobs = write(tmp_path, "jobs.csv", "job_id,num_gpu,submit_time,duration\n0,1,0,10\n")
    r = run_aigrid(capsys, monkeypatch, "twin", "replay", str(jobs), "--format", "tiresias")
    assert r.exit_code == 2 and "has no fleet of its own here" in r.err
    r = run_aigrid(capsys, monkeypatch, "twin", "replay", str(path), "--format", "philly",
                   "--fleet", "atlantis")  # fmt: skip
    assert r.exit_code == 2 and "no built-in scenario of that name" in r.err


def test_replay_onto_a_scenario_maps_jobs_to_its_programs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _philly_file(tmp_path)
    out = tmp_path / "o"
    args = ["twin", "replay", str(path), "--format", "philly", "--fleet", "tiny"]
    r = run_aigrid(capsys, monkeypatch, *args, "--seed", "3", "--out", str(out))
    assert r.exit_code == 0, r.err
    s = _summary(out)
    assert s["scenario"] == "tiny" and s["seed"] == 3 and s["fleet"]["gpus"] == 448
    assert s["trace"]["mapped_onto_scenario"]
    programs = set(pq.read_table(out / "jobs.parquet").column("program").to_pylist())
    assert programs <= {"research", "startup", "acme"}


def test_tiresias_cluster_spec_given_as_fleet(tmp_path: Path) -> None:
    jobs = write(tmp_path, "jobs.csv", "job_id,num_gpu,submit_time,duration\n0,8,0,10\n1,8,0,10\n")
    spec = write(tmp_path, "n2g4.csv", "num_switch,num_node_p_switch,num_gpu_p_node\n1,2,4\n")
    result = replay(load_trace(jobs, "tiresias"), policy=Policy.parse("fifo"), fleet=str(spec))
    assert result.run.scenario.fleet.gpus == 8
    waits = [j.wait_s for j in result.run.jobs]
    assert waits == [0.0, 10.0]  # the second 8-GPU gang waits for the first
    assert result.describe()["fleet"] == str(spec)


def test_scale_gives_k_times_the_jobs_and_gpus_reproducibly(tmp_path: Path) -> None:
    trace = read_philly(_philly_file(tmp_path))
    fifo = Policy.parse("fifo")
    one = replay(trace, policy=fifo)
    three = replay(trace, policy=fifo, scale=3, seed=11)
    assert len(three.run.jobs) == 3 * len(one.run.jobs) == 120
    assert three.run.scenario.fleet.gpus == 3 * one.run.scenario.fleet.gpus
    quota = three.run.scenario.tenancy.programs["vc-a"].quota
    assert dict(quota) == {
        m: 3 * q for m, q in one.run.scenario.tenancy.programs["vc-a"].quota.items()
    }
    again = replay(trace, policy=fifo, scale=3, seed=11)
    other = replay(trace, policy=fifo, scale=3, seed=12)

    def submits(r: Any) -> list[float]:
        return [j.submit_s for j in r.run.jobs]

    assert submits(again) == submits(three)
    assert submits(other) != submits(three)
    assert [j.state for j in again.run.jobs] == [j.state for j in three.run.jobs]
    assert three.describe()["scale"] == 3
    # The trace's own jobs are never changed by a run.
    assert all(j.first_start_s is None for j in trace.jobs)


def _job(i: int, submit: float, gpus: int = 1, org: str = "o") -> Job:
    return Job(
        id=i,
        org=org,
        program="p",
        tenant_class=TenantClass.RESEARCH,
        job_class=JobClass.TRAINING,
        gpus=gpus,
        walltime_s=200.0,
        submit_s=submit,
        runtime_s=100.0,
    )


def test_scale_jobs_copies_jitter_within_bounds() -> None:
    jobs = [_job(0, 0.0), _job(1, 5000.0), _job(2, 9000.0)]
    scaled = scale_jobs(jobs, 4, seed=1, jitter_s=600.0)
    assert [j.id for j in scaled] == list(range(12))
    assert [j.submit_s for j in scaled] == sorted(j.submit_s for j in scaled)
    originals = [j for j in scaled if j.org == "o"]
    assert [j.submit_s for j in originals] == [0.0, 5000.0, 9000.0]
    for copy in (1, 2, 3):
        mine = [j.submit_s for j in scaled if j.org == f"o.{copy}"]
        assert len(mine) == 3
        for got, base in zip(mine, (0.0, 5000.0, 9000.0), strict=True):
            assert max(0.0, base - 600) <= got <= base + 600
    assert scale_jobs(jobs, 1, seed=1)[1].submit_s == 5000.0
    with pytest.raises(UsageError, match="--scale must be"):
        scale_jobs(jobs, 0, seed=1)


def test_map_jobs_follows_the_streams_offered_load() -> None:
    korea = load_scenario("tiny")
    jobs = [_job(i, float(i)) for i in range(4000)]
    mapped = map_jobs(jobs, korea, seed=5)
    share = sum(j.program == "acme" for j in mapped) / len(mapped)
    acme = sum(s.gpus for s in korea.demand if s.program == "acme")
    assert share == pytest.approx(acme / sum(s.gpus for s in korea.demand), abs=0.03)
    classes = {(j.program, j.tenant_class) for j in mapped}
    assert ("startup", TenantClass.SME) in classes
    assert [j.program for j in map_jobs(jobs, korea, seed=5)] == [j.program for j in mapped]


def test_scale_scenario_and_horizon() -> None:
    tiny = load_scenario("tiny")
    big = scale_scenario(tiny, 4)
    assert big.fleet.gpus == 4 * tiny.fleet.gpus
    assert big.fleet.sites["daejeon"].grid_cap_mw == 4 * tiny.fleet.sites["daejeon"].grid_cap_mw
    assert big.tenancy.programs["acme"].budget_krw == 4 * tiny.tenancy.programs["acme"].budget_krw
    assert scale_scenario(tiny, 1) is tiny
    assert horizon_days([_job(0, 0.0), _job(1, 86400.0)]) == 2.0
