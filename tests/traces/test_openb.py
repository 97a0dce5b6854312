"""Alibaba openb: node and pod lists as records, whole-GPU pods as jobs, the node list as fleet."""

from __future__ import annotations

from pathlib import Path

import pytest

from aigrid.model import JobClass, TenantClass
from aigrid.report.output import jobs_table
from aigrid.scheduler import Policy
from aigrid.traces import (
    OpenbNode,
    OpenbPod,
    TraceError,
    load_trace,
    openb_jobs,
    openb_scenario,
    read_openb_nodes,
    read_openb_pods,
    replay,
)
from aigrid.twin.run import TwinRun
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
    assert (g2.cpu_milli, g2.memory_mib) == (96000, 393216)  # each node's, tracked
    # one pool per node size: P100 nodes of 2 GPUs come in three
    assert len(scenario.fleet.pools) == 15
    p100 = [p for p in scenario.fleet.pools if p.id.startswith("openb-p100-2g")]
    assert [(p.id, p.nodes) for p in p100] == [
        ("openb-p100-2g-8c60g", 2),
        ("openb-p100-2g-16c120g", 107),
        ("openb-p100-2g-64c256g", 22),
    ]


@needs_traces
def test_pod_list_records_and_jobs() -> None:
    pods = read_openb_pods(CSV / "openb_pod_list_default.csv")
    assert len(pods) == 8152
    assert pods.records[0] == OpenbPod(
        "openb-pod-0000", 12000, 16384, 1, 1000, (), "LS", "Running", 0, 12537496, 0
    )
    assert pods.records[1].gpu_milli == 460 and not pods.records[1].whole_gpus
    trace = openb_jobs(pods)
    assert len(trace.jobs) == 6203
    assert dict(trace.excluded) == {"CPU-only pod": 1088, "never scheduled": 861}
    first = trace.jobs[0]
    assert (first.submit_s, first.runtime_s, first.gpus) == (0, 12537496, 1)
    assert (first.gpu_share_milli, first.cpu_milli, first.memory_mib) == (0, 12000, 16384)
    assert (first.program, first.job_class) == ("qos-ls", JobClass.INFERENCE)
    assert first.tenant_class is TenantClass.ENTERPRISE
    shares = [j for j in trace.jobs if j.gpu_share_milli]
    assert len(shares) == 2573  # of the 3078 GPU-sharing pods, those that ran
    assert all(j.gpus == 1 and 0 < j.gpu_share_milli < 1000 for j in shares)
    assert trace.jobs[1].gpu_share_milli == 460  # pods.records[1], as the trace has it


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
        + "p2,1000,10,1,1000,,BE,Running,70,70,70\n"
        + "p3,500,20,1,250,,BE,Running,60,80,60\n"
        + "p4,500,20,2,250,,BE,Running,60,80,60\n"
        + "p5,500,20,0,0,,BE,Running,60,80,60\n",
    )
    trace = openb_jobs(read_openb_pods(path))
    assert [
        (j.submit_s, j.gpus, j.gpu_share_milli, j.cpu_milli, j.runtime_s, j.program)
        for j in trace.jobs
    ] == [
        (0, 1, 0, 1000, 30, "qos-ls"),
        (10, 1, 250, 500, 20, "qos-be"),
        (50, 2, 0, 1000, 250, "qos-be"),
    ]
    assert trace.jobs[2].gpu_models == ("A", "B")
    assert trace.jobs[2].job_class is JobClass.BATCH
    assert dict(trace.excluded) == {
        "zero runtime": 1,
        "shares of several GPUs (gpu_milli < 1000, num_gpu > 1)": 1,
        "CPU-only pod": 1,
    }


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


NODE_HEADER = "sn,cpu_milli,memory_mib,gpu,model\n"


def _replay_openb(tmp_path: Path, pods: str, nodes: str) -> TwinRun:
    write(tmp_path, "openb_node_list_gpu_node.csv", NODE_HEADER + nodes)
    trace = load_trace(write(tmp_path, "pods.csv", POD_HEADER + pods), "openb")
    return replay(trace, policy=Policy.parse("fifo")).run


def test_replay_shares_gpus_cpu_and_memory_as_worked_out_by_hand(tmp_path: Path) -> None:
    """One node: one GPU, 4 cores, 8 GiB. a and b share the GPU half and half from 0; c (a
    tenth) waits for room on the GPU until b ends at 50; d (a tenth, 2.5 cores) then finds the
    GPU room but not the cores (a and c hold 2 of 4) until c ends at 90; e (the whole GPU)
    waits until the last share leaves at 100."""
    pods = (
        "a,1000,1024,1,500,,BE,Running,0,100,0\n"
        "b,1000,1024,1,500,,BE,Running,0,50,0\n"
        "c,1000,1024,1,100,,BE,Running,10,50,10\n"  # runs 40
        "d,2500,1024,1,100,,BE,Running,20,30,20\n"  # runs 10
        "e,1000,1024,1,1000,,BE,Running,30,35,30\n"  # runs 5
    )
    run = _replay_openb(tmp_path, pods, "n0,4000,8192,1,G1\n")
    assert [j.first_start_s for j in run.jobs] == [0, 0, 50, 90, 100]
    assert [j.state.value for j in run.jobs] == ["completed"] * 5
    # d waited 30 s for room on the GPU, then 40 s for cores
    assert run.world.waits.main_reason == {2: "no_capacity", 3: "cpu_memory", 4: "no_capacity"}
    table = jobs_table(run)
    assert table.column("gpu_share_milli").to_pylist() == [500, 500, 100, 100, 0]
    assert table.column("cpu_milli").to_pylist() == [1000, 1000, 1000, 2500, 1000]
    assert table.column("memory_mib").to_pylist() == [1024] * 5


def test_replay_never_holds_shares_up_for_quota(tmp_path: Path) -> None:
    """Twenty shares of 50 milli-GPUs fill one GPU at once: each is charged quota of the whole
    GPU, and the trace's program has quota enough for them all."""
    pods = "".join(f"p{i},0,0,1,50,,BE,Running,0,10,0\n" for i in range(20))
    run = _replay_openb(tmp_path, pods, "n0,1000,1024,1,G1\n")
    assert [j.first_start_s for j in run.jobs] == [0] * 20
    assert dict(run.scenario.tenancy.programs["qos-be"].quota) == {"G1": 1 + 20}
    # metered by share: 20 x 0.05 GPU x 10 s is 10 GPU-seconds, one GPU's worth
    assert sum(run.world.busy_gpu_s.values()) == pytest.approx(10.0)
