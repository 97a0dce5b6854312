"""Alibaba openb: node and pod lists as records, whole-GPU pods as jobs, the node list as fleet."""

from __future__ import annotations

from pathlib import Path

import pytest

from aigrid.model import JobClass, TenantClass
from aigrid.traces import (
    OpenbNode,
    OpenbPod,
    TraceError,
    load_trace,
    openb_jobs,
    openb_scenario,
    read_openb_nodes,
    read_openb_pods,
)
from tests.traces.helpers import TRACES, needs_traces, write

CSV = TRACES / "alibaba-openb-2023" / "csv"
POD_HEADER = (
    "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,"
    "creation_time,deletion_time,scheduled_time\n"
)


@needs_traces
def test_node_lists() -> None:
    nodes = read_openb_nodes(CSV / "openb_node_list_all_node.csv")
    assert len(nodes) == 1523 and nodes.rows == 1523
    assert nodes.records[0] == OpenbNode("openb-node-0000", 32000, 262144, 0, None)
    assert sum(n.gpus for n in nodes.records) == 6212
    gpu_nodes = read_openb_nodes(CSV / "openb_node_list_gpu_node.csv")
    assert len(gpu_nodes) == 1213
    scenario = openb_scenario(nodes, programs=["qos-ls"])
    assert scenario.fleet.gpus == 6212
    assert scenario.fleet.nodes == 1213  # the 310 CPU-only nodes are left out
    g2 = scenario.fleet.pools[scenario.fleet.pool_index("openb-g2-8g")]
    assert (g2.nodes, g2.gpus_per_node, g2.gpu_model) == (549, 8, "G2")


@needs_traces
def test_pod_list_records_and_jobs() -> None:
    pods = read_openb_pods(CSV / "openb_pod_list_default.csv")
    assert len(pods) == 8152
    assert pods.records[0] == OpenbPod(
        "openb-pod-0000", 12000, 16384, 1, 1000, (), "LS", "Running", 0, 12537496, 0
    )
    assert pods.records[1].gpu_milli == 460 and not pods.records[1].whole_gpus
    trace = openb_jobs(pods)
    assert len(trace.jobs) == 3630
    assert dict(trace.excluded) == {
        "CPU-only pod": 1088,
        "GPU-sharing pod (gpu_milli < 1000)": 3078,
        "never scheduled": 356,
    }
    first = trace.jobs[0]
    assert (first.submit_s, first.runtime_s, first.gpus) == (0, 12537496, 1)
    assert (first.program, first.job_class) == ("qos-ls", JobClass.INFERENCE)
    assert first.tenant_class is TenantClass.ENTERPRISE


@needs_traces
def test_gpu_spec_and_lists_without_times() -> None:
    spec = read_openb_pods(CSV / "openb_pod_list_gpuspec33.csv", limit=100)
    constrained = [p for p in spec.records if p.gpu_spec]
    assert constrained and constrained[0].gpu_spec == ("V100M16", "V100M32")
    multi = load_trace(CSV / "openb_pod_list_multigpu50.csv", "openb")
    assert multi.jobs == ()
    assert multi.excluded["no creation time"] > 0
    assert multi.scenario is not None  # the node list beside it


def test_handmade_pods(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "pods.csv",
        POD_HEADER
        + "p0,1000,10,2,1000,A|B,BE,Succeeded,100,400,150\n"
        + "p1,1000,10,1,1000,,LS,Running,50,90,60\n"
        + "p2,1000,10,1,1000,,BE,Running,70,70,70\n",
    )
    trace = openb_jobs(read_openb_pods(path))
    assert [(j.submit_s, j.gpus, j.runtime_s, j.gpu_models, j.program) for j in trace.jobs] == [
        (0, 1, 30, (), "qos-ls"),
        (50, 2, 250, ("A", "B"), "qos-be"),
    ]
    assert trace.jobs[1].job_class is JobClass.BATCH
    assert dict(trace.excluded) == {"zero runtime": 1}


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("p,1,1,1,1200,,LS,Running,0,10,0", "gpu_milli: expected 0..1000, got 1200"),
        ("p,1,1,0,500,,LS,Running,0,10,0", "gpu_milli: 500 for a pod of 0 GPUs"),
        ("p,1,1,1,1000,,LS,Running,50,10,50", "deletion_time 10 is before creation_time 50"),
        ("p,1,1,-1,1000,,LS,Running,0,10,0", "num_gpu: expected a count >= 0, got '-1'"),
        (",1,1,1,1000,,LS,Running,0,10,0", "name: expected a pod name, got nothing"),
    ],
)
def test_broken_pod_rows(tmp_path: Path, row: str, message: str) -> None:
    path = write(tmp_path, "pods.csv", POD_HEADER + row + "\n")
    with pytest.raises(TraceError) as info:
        read_openb_pods(path)
    assert str(info.value) == f"{path}:2: {message}"
    skipped = read_openb_pods(path, skip_bad_rows=True)
    assert (len(skipped), skipped.bad_rows) == (0, 1)


def test_broken_node_rows(tmp_path: Path) -> None:
    header = "sn,cpu_milli,memory_mib,gpu,model\n"
    path = write(tmp_path, "nodes.csv", header + "n0,1,1,8,\n")
    with pytest.raises(TraceError, match=r"nodes\.csv:2: model: expected the GPU model"):
        read_openb_nodes(path)
    cpu_only = write(tmp_path, "cpu.csv", header + "n0,1,1,0,\n")
    with pytest.raises(TraceError, match="has no GPU node"):
        openb_scenario(read_openb_nodes(cpu_only), programs=["x"])
