"""Builders for the fragmentation tests: node states by hand, pods, small openb files."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aigrid.scheduler.fragmentation import GPU_MILLI, GpuNodes, Pod, PodPlacement

ROOT = Path(__file__).resolve().parents[2]
OPENB = ROOT / ".." / "shared" / "traces" / "alibaba-openb-2023" / "csv"
"""The openb trace, beside the project (never copied into it)."""

BIG = 1_000_000
"""CPU (milli) and memory (MiB) of a node where only the GPUs matter."""


@dataclass(frozen=True)
class NodeSpec:
    """One node by hand: each GPU's free share, free and total CPU and memory, GPU model."""

    gpu_free: Sequence[int]
    cpu_free: int = BIG
    cpu: int = BIG
    memory_free: int = BIG
    memory: int = BIG
    model: str = "T4"


def state(*specs: NodeSpec) -> GpuNodes:
    """Nodes in the given state, reached through `allocate` (so every derived array is right):
    a pod per partly used GPU, and one CPU-only pod for the CPU and memory in use."""
    nodes = GpuNodes(
        cpu_milli=[s.cpu for s in specs],
        memory_mib=[s.memory for s in specs],
        gpus=[len(s.gpu_free) for s in specs],
        models=[s.model for s in specs],
    )
    for n, s in enumerate(specs):
        for g, free in enumerate(s.gpu_free):
            used = GPU_MILLI - free
            if used:
                nodes.allocate(Pod(0, 0, 1, used), PodPlacement(n, (g,), used))
        busy = Pod(s.cpu - s.cpu_free, s.memory - s.memory_free)
        if busy.cpu_milli or busy.memory_mib:
            nodes.allocate(busy, PodPlacement(n, (), 0))
    return nodes


def gpu_pod(milli: int, *, gpus: int = 1, cpu: int = 0, memory: int = 0) -> Pod:
    """A pod of `gpus` GPUs of `milli` each (a share when milli < 1000)."""
    return Pod(cpu, memory, gpus, milli)


def write_nodes(path: Path, rows: Sequence[tuple[int, int, int, str]]) -> Path:
    """An openb node list of (cpu_milli, memory_mib, gpus, model) rows."""
    lines = ["sn,cpu_milli,memory_mib,gpu,model"]
    lines += [f"node-{i},{c},{m},{g},{model}" for i, (c, m, g, model) in enumerate(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


def write_pods(path: Path, rows: Sequence[tuple[int, int, int, int]]) -> Path:
    """An openb pod list of (cpu_milli, memory_mib, num_gpu, gpu_milli) rows."""
    lines = ["name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec"]
    lines += [f"pod-{i},{c},{m},{n},{g}," for i, (c, m, n, g) in enumerate(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path
