"""SWF logs of the Parallel Workloads Archive: real rows, handmade logs, broken rows, fleets."""

from __future__ import annotations

from pathlib import Path

import pytest

from aigrid.model import JobClass, TenantClass
from aigrid.traces import OVERASK, TraceError, read_swf
from tests.traces.helpers import TRACES, needs_traces, write

SWF = TRACES / "pwa-swf"

HEADER = """; Version: 2.2
; Computer: Test machine
; UnixStartTime: 1000000000
; MaxNodes: 4
; MaxProcs: 16
"""


def line(
    job: int = 1,
    submit: float = 0,
    wait: float = 0,
    run: float = 100,
    alloc: float = 4,
    req_procs: float = 4,
    req_time: float = 600,
    status: int = 1,
    user: int = 7,
    queue: int = 2,
) -> str:
    fields = [job, submit, wait, run, alloc, -1, -1, req_procs, req_time, -1, status, user]
    fields += [-1, -1, queue, -1, -1, -1]
    return " ".join(f"{f:g}" if isinstance(f, float) else str(f) for f in fields) + "\n"


@needs_traces
def test_real_rows_of_kth() -> None:
    trace = read_swf(SWF / "KTH-SP2-1996-2.1-cln.swf.gz", limit=5)
    assert (trace.rows, len(trace.jobs), trace.bad_rows) == (5, 5, 0)
    # Job 15: submitted at 599850 s, ran 3477 s on 4 processors, asked for 53940 s.
    first = trace.jobs[0]
    assert (first.submit_s, first.gpus, first.runtime_s, first.walltime_s) == (0, 4, 3477, 53940)
    assert (first.program, first.org) == ("swf", "user-12")
    assert (first.tenant_class, first.job_class) == (TenantClass.RESEARCH, JobClass.BATCH)
    assert [j.submit_s for j in trace.jobs] == [0, 172, 626, 986, 4080]
    # Header: MaxProcs 100 on MaxNodes 100, UnixStartTime 843480031 (+ 599850 s), in UTC.
    assert trace.scenario is not None
    assert [(p.nodes, p.gpus_per_node) for p in trace.scenario.fleet.pools] == [(100, 1)]
    assert trace.start == "1996-09-30T10:38:01"
    assert trace.notes == ()


@needs_traces
def test_header_node_shape_of_sdsc_blue_and_exclusions_of_llnl() -> None:
    blue = read_swf(SWF / "SDSC-BLUE-2000-4.1-cln.swf.gz", limit=20)
    assert blue.scenario is not None
    assert [(p.nodes, p.gpus_per_node) for p in blue.scenario.fleet.pools] == [(144, 8)]
    thunder = read_swf(SWF / "LLNL-Thunder-2007-1.1-cln.swf.gz", limit=3000)
    assert thunder.rows == 3000
    assert len(thunder.jobs) + sum(thunder.excluded.values()) == 3000
    assert set(thunder.excluded) <= {"zero run time", "unknown submit time"}


@needs_traces
def test_a_log_without_header_gets_the_most_processors_held_at_once() -> None:
    trace = read_swf(SWF / "METACENTRUM-2009-2.swf.gz", limit=2000)
    assert trace.scenario is not None
    assert trace.scenario.fleet.gpus >= max(j.gpus for j in trace.jobs)
    assert trace.notes and trace.notes[0].startswith("no MaxProcs in the header")
    assert trace.start is None


def test_handmade_log_mapping_and_exclusions(tmp_path: Path) -> None:
    text = (
        HEADER
        + line(1, submit=50, run=100, alloc=4, req_time=600, queue=2)
        + line(2, submit=10, run=30, alloc=-1, req_procs=2, req_time=-1, queue=-1, user=-1)
        + line(3, submit=20, run=-1)
        + line(4, submit=20, run=0)
        + line(5, submit=20, alloc=0, req_procs=0)
        + line(6, submit=20, alloc=-1, req_procs=-1)
        + line(7, submit=20, status=2)
        + line(8, submit=-1)
        + "; a comment between jobs\n\n"
        + line(9, submit=60, run=5000, alloc=16, req_time=1000, status=5)
    )
    trace = read_swf(write(tmp_path, "t.swf", text))
    got = [(j.submit_s, j.gpus, j.runtime_s, j.walltime_s, j.program, j.org) for j in trace.jobs]
    assert got == [
        (0, 2, 30, OVERASK * 30, "swf", "user-unknown"),
        (40, 4, 100, 600, "queue-2", "user-7"),
        (50, 16, 5000, 1000, "queue-2", "user-7"),
    ]
    assert dict(trace.excluded) == {
        "unknown run time": 1,
        "zero run time": 1,
        "zero processors": 1,
        "unknown processors": 1,
        "partial execution line (status 2)": 1,
        "unknown submit time": 1,
    }
    assert trace.rows == 9
    assert trace.scenario is not None
    assert [(p.nodes, p.gpus_per_node) for p in trace.scenario.fleet.pools] == [(4, 4)]
    assert sorted(trace.scenario.tenancy.programs) == ["queue-2", "swf"]
    assert trace.start == "2001-09-09T01:46:50"  # 1000000000 + 10 s, UTC


def test_gzipped_log_and_uneven_header(tmp_path: Path) -> None:
    text = "; MaxNodes: 3\n; MaxProcs: 16\n" + line(1)
    trace = read_swf(write(tmp_path, "t.swf.gz", text))
    assert trace.scenario is not None
    # Nodes of at most 16 // 3 slots: 4 rounds neither the 4-processor job nor the 16 slots.
    assert [(p.nodes, p.gpus_per_node) for p in trace.scenario.fleet.pools] == [(4, 4)]
    assert trace.notes == ("MaxProcs 16 is not a multiple of MaxNodes 3: 4 nodes of 4 slots",)


def test_headerless_log_fleet_from_concurrency(tmp_path: Path) -> None:
    # Jobs 1 and 2 overlap (6 processors at once); job 3 starts as job 1 ends.
    text = (
        line(1, submit=0, wait=0, run=100, alloc=4)
        + line(2, submit=0, wait=50, run=100, alloc=2)
        + line(3, submit=0, wait=100, run=10, alloc=3)
    )
    trace = read_swf(write(tmp_path, "t.swf", text))
    assert trace.scenario is not None
    assert trace.scenario.fleet.gpus == 6
    assert trace.notes == (
        "no MaxProcs in the header: fleet of the most processors held at once, 6",
        "no MaxNodes in the header: 6 nodes of 1 slot",
    )


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("1 0 0 100 4\n", "expected 18 whitespace-separated fields, got 5"),
        (line().replace(" 100 ", " ten ", 1), "field 4: expected a number, got 'ten'"),
        (line(run=-5), "field 4: expected a value >= 0 or -1 (unknown), got -5"),
        (line(alloc=2.5), "field 5: expected a whole number of processors, got 2.5"),
    ],
)
def test_a_broken_row_names_file_line_and_problem(tmp_path: Path, row: str, message: str) -> None:
    path = write(tmp_path, "t.swf", HEADER + line() + row)
    with pytest.raises(TraceError) as info:
        read_swf(path)
    assert str(info.value) == f"{path}:7: {message}"
    assert info.value.exit_code == 2


def test_skip_bad_rows_and_bad_header(tmp_path: Path) -> None:
    text = "; MaxProcs: many\n" + line(1) + "1 2 3\n" + line(2, submit=5)
    path = write(tmp_path, "t.swf", text)
    with pytest.raises(TraceError, match=r"t\.swf:1: header MaxProcs: expected a whole number"):
        read_swf(path)
    trace = read_swf(path, skip_bad_rows=True)
    assert (len(trace.jobs), trace.bad_rows, trace.rows) == (2, 2, 3)
    assert trace.bad_examples[1] == f"{path}:3: expected 18 whitespace-separated fields, got 3"


def test_broken_gzip_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "t.swf.gz"
    path.write_bytes(b"not gzip at all\n")
    with pytest.raises(TraceError, match=r"t\.swf\.gz:1: is not a readable gzip file"):
        read_swf(path)
