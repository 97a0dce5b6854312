"""Alibaba's GPU cluster trace 2023 ("openb", the FGD paper at USENIX ATC'23).

Node lists (`openb_node_list_*.csv`): `sn`, `cpu_milli`, `memory_mib`, `gpu` (count), `model`
(empty for CPU-only nodes; G1-G3 are undisclosed models). Pod lists (`openb_pod_list_*.csv`):
`name`, `cpu_milli`, `memory_mib`, `num_gpu`, `gpu_milli` (share of one GPU in 1/1000 for a
GPU-sharing pod), and, in most lists, `gpu_spec` (allowed models, `|`-separated), `qos`,
`pod_phase`, `creation_time`, `deletion_time`, `scheduled_time` (s). Both are read into plain
records (`OpenbNode`, `OpenbPod`) for whoever needs them whole (GPU sharing, fragmentation).

Pods that ask GPUs also become jobs (`openb_jobs`), as they are: `num_gpu` whole GPUs, or for a
GPU-sharing pod (`gpu_milli` < 1000, one GPU) that share of one GPU (`Job.gpu_share_milli`),
which the scheduler places on a GPU with that much free, beside other shares; and the pod's
`cpu_milli` and `memory_mib` of its node. Submit = creation time, runtime = deletion minus
scheduled time, GPU models = `gpu_spec`, one program and org per QoS class (`qos-ls`, `qos-be`,
`qos-burstable`, `qos-guaranteed`), tenant class `enterprise` (a company's own cluster), job
class `inference` for latency-sensitive (LS) pods and `batch` for the others, walltime =
`OVERASK` x runtime. Excluded, by reason: CPU-only pods, pods that would share several GPUs
(`gpu_milli` < 1000 with `num_gpu` > 1: the trace's model has none), pods never scheduled
(`Pending`), pods without creation or deletion time (the `multigpu*` lists have none), and pods
of zero runtime.

The fleet (`openb_scenario`): one pool per (GPU model, GPUs per node, CPU, memory) of the node
list's GPU nodes, tracking its nodes' CPU and memory, so that a pod waits where the trace's
nodes would have made it wait; CPU-only nodes are left out. A pool is `openb-<model>-<g>g`,
with `-<cores>c<GiB>g` after it where one model and GPU count come in several node sizes. The
pod lists were made for placement experiments (the FGD paper places them one after another
until the cluster is full), not as a record of load over time: replayed by their times, the
GPU pods of the default list keep a small share of the node list's 6,212 GPUs busy.
Assumptions: the memory and power of each model (the trace gives only names; G1-G3 are taken
as 32 GB, 300 W cards).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from aigrid.model import GPU_MILLI, GpuModel, JobClass, Scenario, TenantClass
from aigrid.traces._common import (
    BAD_EXAMPLES,
    BadRowError,
    Row,
    Rows,
    Trace,
    TraceError,
    TraceFormat,
    parsed_csv,
    shown,
    whole,
)
from aigrid.traces._fleet import PoolShape, gpu_model, trace_scenario

NODE_COLUMNS = ("sn", "cpu_milli", "memory_mib", "gpu", "model")
POD_COLUMNS = ("name", "cpu_milli", "memory_mib", "num_gpu", "gpu_milli")
WHOLE_GPU_MILLI = GPU_MILLI

_MODELS: dict[str, GpuModel] = {
    "V100M16": gpu_model("V100M16", memory_gb=16, busy_w=300),
    "V100M32": gpu_model("V100M32", memory_gb=32, busy_w=300),
    "P100": gpu_model("P100", memory_gb=16, busy_w=250),
    "T4": gpu_model("T4", memory_gb=16, busy_w=70),
    "A10": gpu_model("A10", memory_gb=24, busy_w=150),
}


def _model(name: str) -> GpuModel:
    return _MODELS.get(name) or gpu_model(name, memory_gb=32, busy_w=300)


@dataclass(frozen=True, slots=True)
class OpenbNode:
    name: str
    cpu_milli: int
    memory_mib: int
    gpus: int
    gpu_model: str | None
    """None for a CPU-only node."""


@dataclass(frozen=True, slots=True)
class OpenbPod:
    name: str
    cpu_milli: int
    memory_mib: int
    num_gpu: int
    gpu_milli: int
    """Share of each GPU in 1/1000: 1000 for whole GPUs, less for a GPU-sharing pod."""
    gpu_spec: tuple[str, ...] = ()
    """GPU models the pod may run on; empty for any."""
    qos: str | None = None
    phase: str | None = None
    creation_time: int | None = None
    deletion_time: int | None = None
    scheduled_time: int | None = None

    @property
    def whole_gpus(self) -> bool:
        return self.num_gpu > 0 and self.gpu_milli >= WHOLE_GPU_MILLI


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Records(Generic[T]):
    """Records read from a file, and the rows that did not read (with `skip_bad_rows`)."""

    source: str
    records: tuple[T, ...]
    rows: int
    bad_rows: int = 0
    bad_examples: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.records)


def read_openb_nodes(path: str | Path, *, skip_bad_rows: bool = False) -> Records[OpenbNode]:
    """The nodes of an openb node list."""
    return _read(path, NODE_COLUMNS, _node, skip_bad_rows, None)


def read_openb_pods(
    path: str | Path, *, skip_bad_rows: bool = False, limit: int | None = None
) -> Records[OpenbPod]:
    """The pods of an openb pod list."""
    return _read(path, POD_COLUMNS, _pod, skip_bad_rows, limit)


def _read(
    path: str | Path,
    columns: Sequence[str],
    parse: Callable[[dict[str, str]], T],
    skip_bad_rows: bool,
    limit: int | None,
) -> Records[T]:
    path = Path(path)
    source = str(path)
    rows = Rows(source, skip_bad_rows=skip_bad_rows)
    out = list(parsed_csv(path, rows, parse, required=columns, limit=limit))
    return Records(source, tuple(out), rows.read, rows.bad, tuple(rows.examples[:BAD_EXAMPLES]))


def _count(row: dict[str, str], column: str) -> int:
    value = whole(row, column)
    if value < 0:
        raise BadRowError(f"{column}: expected a count >= 0, got {shown(row[column].strip())}")
    return value


def _node(row: dict[str, str]) -> OpenbNode:
    name = row["sn"].strip()
    if not name:
        raise BadRowError("sn: expected a node name, got nothing")
    gpus = _count(row, "gpu")
    model = row["model"].strip() or None
    if gpus > 0 and model is None:
        raise BadRowError(f"model: expected the GPU model of a node with {gpus} GPUs, got nothing")
    return OpenbNode(
        name=name,
        cpu_milli=_count(row, "cpu_milli"),
        memory_mib=_count(row, "memory_mib"),
        gpus=gpus,
        gpu_model=model if gpus > 0 else None,
    )


def _time(row: dict[str, str], column: str) -> int | None:
    if not row.get(column, "").strip():
        return None
    return _count(row, column)


def _pod(row: dict[str, str]) -> OpenbPod:
    name = row["name"].strip()
    if not name:
        raise BadRowError("name: expected a pod name, got nothing")
    num_gpu = _count(row, "num_gpu")
    milli = _count(row, "gpu_milli")
    if milli > WHOLE_GPU_MILLI:
        raise BadRowError(f"gpu_milli: expected 0..{WHOLE_GPU_MILLI}, got {milli}")
    if num_gpu == 0 and milli != 0:
        raise BadRowError(f"gpu_milli: {milli} for a pod of 0 GPUs")
    spec = row.get("gpu_spec", "").strip()
    created = _time(row, "creation_time")
    deleted = _time(row, "deletion_time")
    scheduled = _time(row, "scheduled_time")
    if created is not None and deleted is not None and deleted < created:
        raise BadRowError(f"deletion_time {deleted} is before creation_time {created}")
    if created is not None and scheduled is not None and scheduled < created:
        raise BadRowError(f"scheduled_time {scheduled} is before creation_time {created}")
    return OpenbPod(
        name=name,
        cpu_milli=_count(row, "cpu_milli"),
        memory_mib=_count(row, "memory_mib"),
        num_gpu=num_gpu,
        gpu_milli=milli,
        gpu_spec=tuple(s.strip() for s in spec.split("|") if s.strip()) if spec else (),
        qos=row.get("qos", "").strip() or None,
        phase=row.get("pod_phase", "").strip() or None,
        creation_time=created,
        deletion_time=deleted,
        scheduled_time=scheduled,
    )


def openb_jobs(pods: Records[OpenbPod]) -> Trace:
    """Jobs of the GPU pods that ran, shares of a GPU included (see the module docstring for
    what is excluded)."""
    rows = Rows(pods.source, skip_bad_rows=True)
    rows.read = pods.rows
    rows.bad = pods.bad_rows
    rows.examples = list(pods.bad_examples)
    for pod in pods.records:
        reason = _excluded(pod)
        if reason is not None:
            rows.exclude(reason)
            continue
        assert pod.creation_time is not None and pod.scheduled_time is not None
        assert pod.deletion_time is not None
        qos = (pod.qos or "unknown").lower()
        rows.keep(
            Row(
                submit_s=float(pod.creation_time),
                gpus=pod.num_gpu,
                runtime_s=float(pod.deletion_time - pod.scheduled_time),
                walltime_s=None,
                program=f"qos-{qos}",
                org=f"qos-{qos}",
                tenant_class=TenantClass.ENTERPRISE,
                job_class=JobClass.INFERENCE if qos == "ls" else JobClass.BATCH,
                gpu_models=pod.gpu_spec,
                gpu_share_milli=0 if pod.whole_gpus else pod.gpu_milli,
                cpu_milli=pod.cpu_milli,
                memory_mib=pod.memory_mib,
            )
        )
    return rows.trace(TraceFormat.OPENB)


def _excluded(pod: OpenbPod) -> str | None:
    if pod.num_gpu == 0:
        return "CPU-only pod"
    if not pod.whole_gpus and pod.num_gpu > 1:
        return "shares of several GPUs (gpu_milli < 1000, num_gpu > 1)"
    if pod.creation_time is None:
        return "no creation time"
    if pod.scheduled_time is None:
        return "never scheduled"
    if pod.deletion_time is None:
        return "no deletion time"
    if pod.deletion_time == pod.scheduled_time:
        return "zero runtime"
    return None


def openb_scenario(
    nodes: Records[OpenbNode] | Iterable[OpenbNode],
    *,
    programs: Sequence[str],
    name: str = "openb",
    shares: int = 0,
) -> Scenario:
    """The fleet of an openb node list: one pool per (GPU model, GPUs per node, CPU, memory),
    tracking its nodes' CPU and memory (see the module docstring). `shares`: the jobs to be
    replayed that share a GPU, so that quota never holds them up (`trace_scenario`)."""
    records = nodes.records if isinstance(nodes, Records) else tuple(nodes)
    shapes: Counter[tuple[str, int, int, int]] = Counter()
    for n in records:
        if n.gpus > 0 and n.gpu_model is not None:
            shapes[(n.gpu_model, n.gpus, n.cpu_milli, n.memory_mib)] += 1
    if not shapes:
        source = nodes.source if isinstance(nodes, Records) else name
        raise TraceError(source, "has no GPU node: no fleet to replay on")
    sizes = Counter((model, gpn) for model, gpn, _, _ in shapes)
    pools = tuple(
        PoolShape(
            _pool_id(model, gpn, cpu, memory, several=sizes[(model, gpn)] > 1),
            model,
            gpn,
            count,
            cpu_milli=cpu,
            memory_mib=memory,
        )
        for (model, gpn, cpu, memory), count in sorted(shapes.items())
    )
    models = tuple(_model(m) for m in sorted({shape[0] for shape in shapes}))
    return trace_scenario(
        name,
        f"openb node list: {sum(p.nodes for p in pools)} GPU nodes in {len(pools)} pools",
        models=models,
        pools=pools,
        programs=programs,
        shares=shares,
    )


def _pool_id(model: str, gpn: int, cpu_milli: int, memory_mib: int, *, several: bool) -> str:
    base = f"openb-{model.lower()}-{gpn}g"
    if not several:
        return base
    return f"{base}-{cpu_milli / 1000:g}c{memory_mib / 1024:g}g"
