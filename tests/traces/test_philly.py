"""The Philly job list: real rows, a handmade file, broken rows, and the Philly-like fleet."""

from __future__ import annotations

from pathlib import Path

import pytest

from aigrid.errors import UsageError
from aigrid.model import JobClass, TenantClass
from aigrid.traces import OVERASK, PhillyShape, TraceError, philly_scenario, read_philly
from tests.traces.helpers import TRACES, needs_traces, write

PHILLY = TRACES / "philly-derived" / "philly.csv"
HEADER = "timestamp,duration,num_gpus,gpu_time,cluster\n"


@needs_traces
def test_real_rows_become_jobs_sorted_by_submission() -> None:
    trace = read_philly(PHILLY, limit=5)
    assert (trace.rows, len(trace.jobs), trace.bad_rows, dict(trace.excluded)) == (5, 5, 0, {})
    # The third row (2017-09-29 07:58:32, 860662 s, vc 6c71a0) is the earliest of the five.
    first = trace.jobs[0]
    assert (first.id, first.submit_s, first.runtime_s, first.gpus) == (0, 0.0, 860662.0, 1)
    assert first.program == first.org == "vc-6c71a0"
    assert first.walltime_s == OVERASK * 860662.0
    assert (first.tenant_class, first.job_class) == (TenantClass.RESEARCH, JobClass.TRAINING)
    assert trace.start == "2017-09-29T07:58:32"
    assert [j.id for j in trace.jobs] == list(range(5))
    submits = [j.submit_s for j in trace.jobs]
    assert submits == sorted(submits)
    # 2017-10-09 06:13:03 is 9 days 22:14:31 after the first submission.
    assert submits[1] == 9 * 86400 + 22 * 3600 + 14 * 60 + 31


@needs_traces
def test_whole_list_reads_every_row_and_carries_the_machine_list_fleet() -> None:
    trace = read_philly(PHILLY)
    assert (trace.rows, len(trace.jobs), trace.bad_rows) == (82_247, 82_247, 0)
    assert trace.scenario is not None
    assert trace.scenario.fleet.gpus == 231 * 8 + 321 * 2 == 2_490
    assert len(trace.scenario.tenancy.programs) == 15


def test_handmade_file_sorted_numbered_and_shifted(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "p.csv",
        HEADER
        + "2017-10-01 00:10:00,100.0,2,200.0,aaa\n"
        + "2017-10-01 00:00:00,50,1,50,bbb\n"
        + "2017-10-01 00:05:00,10,8,80,aaa\n",
    )
    trace = read_philly(path)
    assert [(j.id, j.submit_s, j.gpus, j.runtime_s, j.program) for j in trace.jobs] == [
        (0, 0.0, 1, 50.0, "vc-bbb"),
        (1, 300.0, 8, 10.0, "vc-aaa"),
        (2, 600.0, 2, 100.0, "vc-aaa"),
    ]
    assert trace.start == "2017-10-01T00:00:00"
    assert trace.scenario is not None
    assert sorted(trace.scenario.tenancy.programs) == ["vc-aaa", "vc-bbb"]


def test_gzipped_file_is_read_as_it_is(tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv.gz", HEADER + "2017-10-01 00:00:00,50,1,50,bbb\n")
    assert len(read_philly(path).jobs) == 1


def test_zero_gpus_and_zero_duration_are_excluded_and_counted(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "p.csv",
        HEADER
        + "2017-10-01 00:00:00,50,0,0,a\n"
        + "2017-10-01 00:00:01,0,4,0,a\n"
        + "2017-10-01 00:00:02,5,1,5,a\n",
    )
    trace = read_philly(path)
    assert len(trace.jobs) == 1
    assert dict(trace.excluded) == {"zero GPUs": 1, "zero duration": 1}


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            "yesterday,50,1,50,a",
            "timestamp: expected a date and time like '2017-10-09 07:01:55', got 'yesterday'",
        ),
        ("2017-10-01 00:00:00,fifty,1,50,a", "duration: expected a number, got 'fifty'"),
        ("2017-10-01 00:00:00,50,1.5,75,a", "num_gpus: expected a whole number, got '1.5'"),
        ("2017-10-01 00:00:00,-5,1,-5,a", "duration: expected seconds >= 0, got '-5'"),
        ("2017-10-01 00:00:00,50,-1,-50,a", "num_gpus: expected a count >= 0, got '-1'"),
        ("2017-10-01 00:00:00,50,2,50,a", "gpu_time: 50 is not duration x num_gpus (50 x 2 = 100)"),
        ("2017-10-01 00:00:00,50,1,50,", "cluster: expected a virtual cluster id, got nothing"),
        ("2017-10-01 00:00:00,50,1,50", "expected 5 fields"),
        ("2017-10-01 00:00:00,nan,1,nan,a", "duration: expected a finite number, got 'nan'"),
    ],
)
def test_a_broken_row_names_file_line_and_problem(tmp_path: Path, row: str, message: str) -> None:
    path = write(tmp_path, "p.csv", HEADER + "2017-10-01 00:00:00,5,1,5,a\n" + row + "\n")
    with pytest.raises(TraceError) as info:
        read_philly(path)
    assert str(info.value).startswith(f"{path}:3: ")
    assert message in str(info.value)
    assert (info.value.line, info.value.source) == (3, str(path))
    assert isinstance(info.value, UsageError) and info.value.exit_code == 2


def test_skip_bad_rows_counts_them_and_keeps_the_rest(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "p.csv",
        HEADER
        + "2017-10-01 00:00:00,5,1,5,a\n"
        + "2017-10-01 00:00:00,x,1,5,a\n"
        + "\n"
        + "2017-10-01 00:00:09,5,1,5\n"
        + "2017-10-01 00:00:10,5,1,5,a\n",
    )
    trace = read_philly(path, skip_bad_rows=True)
    assert (len(trace.jobs), trace.bad_rows, trace.rows) == (2, 2, 4)
    assert trace.bad_examples[0] == f"{path}:3: duration: expected a number, got 'x'"
    assert trace.bad_examples[1].startswith(f"{path}:5: expected 5 fields")
    assert trace.describe()["bad_rows_skipped"] == 2


def test_header_and_file_problems(tmp_path: Path) -> None:
    bad = write(tmp_path, "p.csv", "when,duration,num_gpus\n")
    with pytest.raises(TraceError, match=r"p\.csv:1: header lacks column\(s\) timestamp"):
        read_philly(bad)
    with pytest.raises(TraceError, match=r"p\.csv:1: is empty"):
        read_philly(write(tmp_path, "p.csv", ""))
    with pytest.raises(TraceError, match="no such file"):
        read_philly(tmp_path / "missing.csv")
    (tmp_path / "latin.csv").write_bytes(HEADER.encode() + b"2017-10-01 00:00:00,5,1,5,\xe9\n")
    with pytest.raises(TraceError, match=r"latin\.csv:2: is not UTF-8"):
        read_philly(tmp_path / "latin.csv")


def test_fleet_shapes_quotas_and_machines_in_service(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "p.csv",
        HEADER + "2017-10-01 00:00:00,3600,16,57600,a\n" + "2017-10-01 00:00:00,3600,1,3600,b\n",
    )
    jobs = read_philly(path).jobs
    assert philly_scenario(jobs, shape=PhillyShape.GPU_UTIL).fleet.gpus == 3_205
    half = philly_scenario(jobs, in_service=0.5)
    assert [p.nodes for p in half.fleet.pools] == [116, 160]
    quotas = philly_scenario(jobs, vc_quotas=True).tenancy.programs
    # a: 16 of 17 GPU-hours: 16/17 of each model, at least its 16-GPU job in whole nodes.
    assert dict(quotas["vc-a"].quota) == {"philly-24g": 1740, "philly-12g": 605}
    # b: 1/17 of each model's GPUs, rounded up.
    assert dict(quotas["vc-b"].quota) == {"philly-24g": 109, "philly-12g": 38}
    assert not quotas["vc-a"].borrowing and quotas["vc-a"].cohort is None
    with pytest.raises(ValueError, match="in_service"):
        philly_scenario(jobs, in_service=0)
