"""Builders of `summary.json` dicts for report tests: every field the report reads, with plain
defaults (everyone starts at once, every program uses its quota, every site is half loaded),
and keyword overrides for the figure a case is about."""

from __future__ import annotations

import copy
from typing import Any

CLASSES = ("sme", "university", "research", "public", "enterprise")


def waits(
    jobs: int = 100, p50: float = 0.0, p95: float = 0.0, still_waiting: int = 0
) -> dict[str, Any]:
    return {"jobs": jobs, "p50": p50, "p95": p95, "mean": p50, "still_waiting": still_waiting}


def shares(served: float, demanded: float) -> dict[str, Any]:
    return {
        "served": served * 1000.0,
        "demanded": demanded * 1000.0,
        "share_served": served,
        "share_demanded": demanded,
    }


def program(
    *,
    granted: float = 1e12,
    spent: float = 1e9,
    held: float = 1e8,
    quota_h: float = 1000.0,
    used_h: float = 1000.0,
) -> dict[str, Any]:
    idle = max(0.0, quota_h - used_h)
    return {
        "granted_krw": granted,
        "spent_krw": spent,
        "held_krw": held,
        "gpu_hours": used_h,
        "quota_gpu_hours": quota_h,
        "idle_funded_gpu_hours": idle,
        "idle_funded_krw_at_list": idle * 5000.0,
    }


def summary(
    *,
    wait_by_class: dict[str, dict[str, Any]] | None = None,
    share_by_class: dict[str, dict[str, Any]] | None = None,
    programs: dict[str, dict[str, Any]] | None = None,
    peak_mw: dict[str, float] | None = None,
    cap_mw: dict[str, float] | None = None,
    public_inference: dict[str, Any] | None = None,
    sim_days: float = 7.0,
) -> dict[str, Any]:
    """A summary like `aigrid.report.summary.summarize` makes, with the given parts replaced."""
    w = {c: waits() for c in CLASSES}
    w.update(copy.deepcopy(wait_by_class or {}))
    g = {c: shares(0.2, 0.2) for c in CLASSES}
    g.update(copy.deepcopy(share_by_class or {}))
    caps = cap_mw if cap_mw is not None else {"north": 10.0, "south": 20.0}
    peaks = {s: caps[s] * 0.5 for s in caps}
    peaks.update(peak_mw or {})
    public = public_inference if public_inference is not None else waits(50, 0.0, 0.05)
    return {
        "schema": 1,
        "scenario": "test",
        "as_of": "a test",
        "seed": 1,
        "policy": "fair",
        "sim_days": sim_days,
        "warmup_days": 1.0,
        "fleet": {
            "gpus": 1000,
            "nodes": 125,
            "sites": len(caps),
            "pools": len(caps),
            "gpus_by_owner": {"gov": 600, "acme": 400},
        },
        "jobs": {
            "submitted": 500,
            "started": 490,
            "completed": 450,
            "timed_out": 0,
            "rejected": 0,
            "running_at_end": 40,
            "pending_at_end": 10,
            "pending_at_end_by_reason": {},
        },
        "utilization": {"fleet": 0.7, "by_owner": {"gov": 0.8, "acme": 0.55}},
        "wait_hours": {"by_tenant_class": w, "public_inference": public},
        "gpu_hours": {"by_tenant_class": g},
        "energy": {
            "mwh": 1234.5,
            "cost_krw": 2.5e8,
            "tco2": 456.0,
            "peak_mw_by_site": peaks,
            "cap_mw_by_site": dict(caps),
            "mwh_by_site": {s: 100.0 for s in caps},
        },
        "budget": {"by_program": copy.deepcopy(programs or {"open": program(), "sme": program()})},
        "runtime": {
            "wall_seconds": 1.0,
            "generate_seconds": 0.1,
            "events": 1000,
            "passes": 100,
            "events_per_second": 1000.0,
        },
    }
