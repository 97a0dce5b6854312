"""The fleet the live service runs: a scenario's, or `local` (this machine as one pool)."""

from __future__ import annotations

import shutil
import subprocess

from aigrid.errors import UsageError
from aigrid.model import Fleet, GpuModel, Owner, Pool, Site, Zone
from aigrid.scenario import load_scenario

LOCAL = "local"
LOCAL_GPU_MODEL = "gpu"
LOCAL_PRICE_KRW_PER_GPU_H = 1000.0
"""A nominal list price for the local fleet's GPUs, so that metering shows something."""


def detect_gpus() -> int:
    """How many NVIDIA GPUs this machine has (0 when none, or no `nvidia-smi`)."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return 0
    try:
        out = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return 0
    return sum(1 for line in out.stdout.splitlines() if line.startswith("GPU "))


def local_fleet(gpus: int) -> Fleet:
    """One site, one pool of one node with `gpus` GPUs: this machine."""
    if gpus < 1:
        raise UsageError(f"--gpus must be at least 1, got {gpus}")
    model = GpuModel(LOCAL_GPU_MODEL, 0, 0, 0, 0, LOCAL_PRICE_KRW_PER_GPU_H)
    return Fleet(
        gpu_models={model.name: model},
        owners={LOCAL: Owner(LOCAL, "this machine", "local")},
        sites={LOCAL: Site(LOCAL, LOCAL, 1e6, 1.0, Zone.SOVEREIGN, "none", "this machine")},
        pools=(Pool(LOCAL, LOCAL, LOCAL_GPU_MODEL, gpus, 1, gpus, LOCAL),),
    )


def fleet_for(name: str, gpus: int | None = None) -> Fleet:
    """`local` (with `gpus` GPUs, default: those detected, else 8 simulated) or a scenario's
    fleet, by built-in name or YAML file."""
    if name == LOCAL:
        return local_fleet(gpus if gpus is not None else (detect_gpus() or 8))
    if gpus is not None:
        raise UsageError("--gpus applies only to the local fleet")
    fleet = load_scenario(name).fleet
    priced = sorted(m.name for m in fleet.gpu_models.values() if m.price_by_site)
    if priced:
        # The store keeps one list price per model; serving would charge other prices than
        # the scenario says.
        raise UsageError(
            f"{name}: the live service keeps one list price per GPU model, but "
            f"{', '.join(priced)} {'has' if len(priced) == 1 else 'have'} prices by site"
        )
    return fleet
