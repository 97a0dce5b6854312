"""Placements as the store records them (`JobRow.placement`, `DecisionRow.placement`): what
the scheduler's `Placement` took of its pool, with the devices the loop gave the job, so that
a restarted loop (and a replay of the store in the twin) takes exactly the same again."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aigrid.model import Placement


def placement_json(
    placement: Placement, devices: Sequence[tuple[int, ...]], power_fraction: float
) -> dict[str, Any]:
    """A placement as the store records it (`JobRow.placement`): enough for a restarted loop to
    take exactly the same of its pool again (`placement_of`). What a whole-GPU job asking no
    CPU or memory takes is recorded as before shares existed."""
    out: dict[str, Any] = {
        "nodes": list(placement.nodes),
        "gpus_per_node": list(placement.gpus_per_node),
        "devices": [list(x) for x in devices],
        "power_fraction": power_fraction,
    }
    if placement.gpu_share_milli:
        out["gpu_share_milli"] = placement.gpu_share_milli
        out["shared_gpu"] = placement.shared_gpu
    if placement.cpu_milli or placement.memory_mib:
        out["cpu_milli"] = placement.cpu_milli
        out["memory_mib"] = placement.memory_mib
    return out


def placement_of(pool: int, recorded: Mapping[str, Any]) -> Placement:
    """The scheduler's placement a recorded one stands for (`placement_json`)."""
    return Placement(
        pool,
        tuple(recorded["nodes"]),
        tuple(recorded["gpus_per_node"]),
        gpu_share_milli=int(recorded.get("gpu_share_milli", 0)),
        shared_gpu=int(recorded.get("shared_gpu", -1)),
        cpu_milli=int(recorded.get("cpu_milli", 0)),
        memory_mib=int(recorded.get("memory_mib", 0)),
    )


def is_share(recorded: Mapping[str, Any] | None) -> bool:
    """Whether a recorded placement holds a share of a GPU."""
    return bool(recorded and recorded.get("gpu_share_milli"))
