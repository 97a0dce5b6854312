"""How nodes fail: the hazard, the "lemon" nodes that fail more, and what a failure costs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Reliability:
    """Node failures of a fleet.

    Interruptions arrive at `interruptions_per_gpu_day` per GPU (a node of g GPUs fails g times
    as often as one GPU); `lemon_fault_share` of them fall on the `lemon_node_fraction` of nodes
    that are "lemons". After a failure, the node is back after the restart overhead if an
    automatic retry succeeds (probability `auto_retry_success`), else after `repair_h` hours.
    Every job interrupted spends `restart_overhead_min` minutes restarting from its last
    checkpoint.
    """

    interruptions_per_gpu_day: float = 4.5e-4
    lemon_node_fraction: float = 0.05
    lemon_fault_share: float = 0.5
    restart_overhead_min: float = 15.0
    auto_retry_success: float = 1 / 3
    repair_h: float = 4.0
