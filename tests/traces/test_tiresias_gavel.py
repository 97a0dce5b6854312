"""Tiresias job lists and cluster specs; Gavel job lists with their throughputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aigrid.model import JobClass
from aigrid.traces import (
    OVERASK,
    TraceError,
    gavel_scenario,
    load_throughputs,
    load_trace,
    read_gavel,
    read_tiresias,
    tiresias_scenario,
)
from tests.traces.helpers import TRACES, needs_traces, write

TIRESIAS = TRACES / "tiresias"
GAVEL = TRACES / "gavel"
JOBS_HEADER = "job_id,num_gpu,submit_time,iterations,model_name,duration,interval\n"
SPEC_HEADER = "num_switch,num_node_p_switch,num_gpu_p_node,num_cpu_p_node,mem_p_node\n"


@needs_traces
def test_tiresias_60_jobs_on_its_cluster_spec() -> None:
    trace = load_trace(TIRESIAS / "60_job.csv", "tiresias")
    assert (trace.rows, len(trace.jobs)) == (60, 60)
    first = trace.jobs[0]  # 0,1,0,606,vgg19,164,30
    assert (first.gpus, first.submit_s, first.runtime_s, first.org) == (1, 0, 164, "vgg19")
    assert first.walltime_s == OVERASK * 164
    assert trace.jobs[1].gpus == 8 and trace.jobs[1].submit_s == 30
    assert sorted({j.gpus for j in trace.jobs}) == [1, 2, 4, 8]
    assert trace.scenario is not None  # cluster_spec.csv: 1 switch x 16 nodes x 4 GPUs
    pools = trace.scenario.fleet.pools
    assert [(p.nodes, p.gpus_per_node) for p in pools] == [(16, 4)]
    assert tiresias_scenario(TIRESIAS / "n256g8.csv").fleet.gpus == 8 * 32 * 8


@needs_traces
def test_tiresias_example_with_other_columns() -> None:
    trace = read_tiresias(TIRESIAS / "tf_job.csv")
    assert [(j.gpus, j.runtime_s, j.org) for j in trace.jobs] == [(12, 20, "vgg19")] * 2
    assert [j.id for j in trace.jobs] == [0, 1]


def test_tiresias_handmade_rows_and_errors(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "jobs.csv",
        JOBS_HEADER + "0,2,10,1,m,50,1\n" + "1,0,20,1,m,50,1\n" + "2,1,5,1,,0,1\n",
    )
    trace = read_tiresias(path)
    assert [(j.submit_s, j.gpus, j.org) for j in trace.jobs] == [(0, 2, "m")]
    assert dict(trace.excluded) == {"zero GPUs": 1, "zero duration": 1}
    bad = write(tmp_path, "bad.csv", JOBS_HEADER + "0,2,10,1,m,50,1\n" + "1,2,-3,1,m,50,1\n")
    with pytest.raises(TraceError) as info:
        read_tiresias(bad)
    assert str(info.value) == f"{bad}:3: submit_time: expected a value >= 0, got '-3'"
    assert len(read_tiresias(bad, skip_bad_rows=True).jobs) == 1


def test_tiresias_cluster_spec_errors(tmp_path: Path) -> None:
    spec = write(tmp_path, "spec.csv", SPEC_HEADER + "2,0,4,40,256\n")
    with pytest.raises(TraceError, match=r"spec\.csv:2: num_node_p_switch: expected a count > 0"):
        tiresias_scenario(spec)
    with pytest.raises(TraceError, match=r"spec\.csv:2: has no data row"):
        tiresias_scenario(write(tmp_path, "spec.csv", SPEC_HEADER))
    with pytest.raises(TraceError, match=r"spec\.csv:1: header lacks column\(s\) num_gpu_p_node"):
        tiresias_scenario(write(tmp_path, "spec.csv", "num_switch,num_node_p_switch\n1,2\n"))


@needs_traces
def test_gavel_runtime_is_steps_over_throughput_on_the_reference_type() -> None:
    trace = load_trace(GAVEL / "physical_cluster" / "artifact_evaluation.trace", "gavel")
    assert (trace.rows, len(trace.jobs)) == (15, 15)
    table = load_throughputs(GAVEL / "physical_cluster_throughputs.json")
    first = trace.jobs[0]  # ResNet-50 (batch size 64), 2931 steps, 1 GPU, arrives at 0
    rate = table["v100"]["('ResNet-50 (batch size 64)', 1)"]["null"]
    assert isinstance(rate, float)
    assert first.runtime_s == pytest.approx(2931 / rate)
    assert (first.gpus, first.org, first.job_class) == (1, "ResNet-50", JobClass.TRAINING)
    assert trace.jobs[1].gpus == 2  # Transformer (batch size 16), scale factor 2
    assert all(j.submit_s == 0 for j in trace.jobs)
    assert trace.scenario is not None and trace.scenario.fleet.gpus == 36
    k80 = read_gavel(
        GAVEL / "physical_cluster" / "artifact_evaluation.trace",
        throughputs=GAVEL / "physical_cluster_throughputs.json",
        worker_type="k80",
    )
    assert (k80.jobs[0].runtime_s or 0) > (first.runtime_s or 0) > 0
    assert gavel_scenario("k80").fleet.pools[0].gpu_model == "k80"


def _gavel_line(
    job: str = "ResNet-18 (batch size 64)", steps: str = "100", scale: str = "1"
) -> str:
    return "\t".join(
        [job, "python3 main.py", "dir", "--num_steps", "1", steps, scale, "1", "-1", "7"]
    )


def test_gavel_handmade_list_and_errors(tmp_path: Path) -> None:
    throughputs = write(
        tmp_path,
        "t.json",
        json.dumps(
            {
                "v100": {
                    "('ResNet-18 (batch size 64)', 1)": {"null": 4.0},
                    "('ResNet-18 (batch size 64)', 2)": {"null": 8.0},
                    "('Big', 1)": {"null": 0.0},
                }
            }
        ),
    )
    path = write(
        tmp_path,
        "a.trace",
        _gavel_line() + "\n" + _gavel_line(scale="2") + "\n" + _gavel_line("Big") + "\n",
    )
    trace = read_gavel(path, throughputs=throughputs)
    assert [(j.gpus, j.runtime_s, j.submit_s) for j in trace.jobs] == [(1, 25.0, 0), (2, 12.5, 0)]
    assert dict(trace.excluded) == {"no throughput on v100 (does not fit)": 1}
    bad = write(tmp_path, "b.trace", _gavel_line() + "\n" + _gavel_line(scale="4") + "\n")
    with pytest.raises(TraceError) as info:
        read_gavel(bad, throughputs=throughputs)
    assert str(info.value) == (
        f"{bad}:2: no throughput for ('ResNet-18 (batch size 64)', 4) on v100"
    )
    short = write(tmp_path, "c.trace", "ResNet\t1\t2\n")
    with pytest.raises(TraceError, match=r"c\.trace:1: expected 10 tab-separated fields, got 3"):
        read_gavel(short, throughputs=throughputs)
    steps = write(tmp_path, "d.trace", _gavel_line(steps="many") + "\n")
    with pytest.raises(TraceError, match=r"d\.trace:1: total_steps: expected a number"):
        read_gavel(steps, throughputs=throughputs)
    with pytest.raises(TraceError, match="no worker type 'a100'"):
        read_gavel(path, throughputs=throughputs, worker_type="a100")
    with pytest.raises(TraceError, match=r"x\.json:1: is not JSON"):
        read_gavel(path, throughputs=write(tmp_path, "x.json", "{nope"))


def test_gavel_without_throughputs_beside_it(tmp_path: Path) -> None:
    path = write(tmp_path, "a.trace", _gavel_line() + "\n")
    with pytest.raises(TraceError, match="no throughputs file"):
        load_trace(path, "gavel")
