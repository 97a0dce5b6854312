"""The figures of a twin run, as one JSON-ready dict (`summary.json`).

Figures cover the measured window: from the end of the warm-up to the end of the horizon. Jobs
are counted if they were submitted in the window; GPU-hours, energy, money and utilization count
what happened in the window, including work of jobs carried in from the warm-up.

Waits count every job submitted in the window: a job still waiting at the end counts with the
wait it has so far, a lower bound, so that a class whose jobs never start shows up as waiting
long rather than vanishing from the statistics. Utilization is busy GPU-hours over available
GPU-hours in the window.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from aigrid.model import JobClass, JobState, TenantClass
from aigrid.report.bounds import bounds
from aigrid.twin.run import TwinRun

SCHEMA_VERSION = 1


def _r(x: float, nd: int = 4) -> float:
    return float(round(float(x), nd))


def _quantiles(values: list[float]) -> dict[str, float | int]:
    if not values:
        return {"jobs": 0, "p50": 0.0, "p95": 0.0, "mean": 0.0}
    a = np.asarray(values, dtype=np.float64)
    return {
        "jobs": len(values),
        "p50": _r(np.percentile(a, 50)),
        "p95": _r(np.percentile(a, 95)),
        "mean": _r(a.mean()),
    }


LARGE_TRAINING_GPUS = 256
"""Training jobs of at least this many GPUs count as large for the effective training time."""


def _reliability(run: TwinRun) -> dict[str, Any]:
    """Node failures and what they cost, over the whole run (warm-up included).

    The effective training time ratio (ETTR) of large training jobs is their useful runtime over
    the time from their first start to their end, for those that completed: every interruption
    lowers it by the work lost since the last checkpoint, the restart, and the wait to start
    again.
    """
    world = run.world
    useful = elapsed = 0.0
    large = 0
    interrupted_jobs = 0
    for job in world.jobs:
        interrupted_jobs += job.interruptions - job.preemptions > 0
        if (
            job.job_class is JobClass.TRAINING
            and job.gpus >= LARGE_TRAINING_GPUS
            and job.state is JobState.COMPLETED
            and job.first_start_s is not None
            and job.end_s is not None
            and job.runtime_s is not None
        ):
            large += 1
            useful += job.runtime_s
            elapsed += job.end_s - job.first_start_s
    return {
        "enabled": run.scenario.reliability is not None,
        "node_failures": world.node_failures,
        "interrupted_jobs": interrupted_jobs,
        "lost_gpu_hours": _r(world.lost_gpu_s / 3600.0, 1),
        "large_training_jobs_completed": large,
        "ettr_large_training": _r(useful / elapsed) if elapsed > 0 else None,
    }


def _grants(run: TwinRun) -> dict[str, Any]:
    """Grants of programs to orgs, by unit: credit, spent and held at the end of the run, and
    how many are used up (less than 1% of their credit left)."""
    book = run.world.grants
    out: dict[str, Any] = {"count": len(book.grants)}
    for unit, in_gpu_hours, scale in (("krw", False, 1.0), ("gpu_hours", True, 3600.0)):
        grants = [g for g in book.grants.values() if g.in_gpu_hours is in_gpu_hours]
        balances = [book.balance(g.id) for g in grants]
        out[unit] = {
            "grants": len(grants),
            "credit": _r(sum(g.amount for g in grants) / scale, 1),
            "spent": _r(sum(b.spent_krw for b in balances) / scale, 1),
            "held": _r(sum(b.held_krw for b in balances) / scale, 1),
            "used_up": sum(
                1
                for g, b in zip(grants, balances, strict=True)
                if b.available_krw < 0.01 * g.amount
            ),
        }
    return out


def summarize(run: TwinRun) -> dict[str, Any]:
    world = run.world
    scenario = run.scenario
    fleet = scenario.fleet
    horizon = world.horizon_s
    t0 = world.measure_from_s
    hours = (horizon - t0) / 3600.0
    pools = fleet.pools

    counts: dict[str, int] = defaultdict(int)
    wait_by_class: dict[str, list[float]] = {c.value: [] for c in TenantClass}
    still_waiting: dict[str, int] = dict.fromkeys(wait_by_class, 0)
    public_inference_wait: list[float] = []
    batch_waits: list[float] = []
    served_by_class: dict[str, float] = dict.fromkeys(wait_by_class, 0.0)
    demand_by_class: dict[str, float] = dict.fromkeys(wait_by_class, 0.0)
    busy_by_owner: dict[str, float] = dict.fromkeys(fleet.owners, 0.0)
    gpu_h_by_program: dict[str, float] = dict.fromkeys(scenario.tenancy.programs, 0.0)
    reasons: dict[str, int] = defaultdict(int)

    submitted = started = 0
    for job in world.jobs:
        if job.submit_s < t0:
            continue
        submitted += 1
        started += job.first_start_s is not None
        counts[job.state.value] += 1
        cls = job.tenant_class.value
        runtime = job.runtime_s if job.runtime_s is not None else job.walltime_s
        demand_by_class[cls] += job.gpus * min(runtime, job.walltime_s) / 3600.0
        if job.first_start_s is None:
            wait_h = (horizon - job.submit_s) / 3600.0
            if job.state is JobState.PENDING:
                still_waiting[cls] += 1
                reasons[job.pending_reason or "not yet considered"] += 1
        else:
            wait_h = (job.first_start_s - job.submit_s) / 3600.0
        if job.state is not JobState.REJECTED:
            wait_by_class[cls].append(wait_h)
            if job.job_class is JobClass.BATCH:
                batch_waits.append(wait_h)
            if job.tenant_class is TenantClass.PUBLIC and job.job_class is JobClass.INFERENCE:
                public_inference_wait.append(wait_h)

    for (owner, cls, program), gpu_s in world.busy_gpu_s.items():
        busy_h = gpu_s / 3600.0
        served_by_class[cls] += busy_h
        busy_by_owner[owner] += busy_h
        gpu_h_by_program[program] += busy_h

    owner_gpus = fleet.gpus_by_owner()
    total_busy = sum(busy_by_owner.values())
    total_served = sum(served_by_class.values()) or 1.0
    total_demand = sum(demand_by_class.values()) or 1.0

    meters = world.meters
    site_ids = meters.site_ids
    mwh, krw, tco2 = meters.window()
    sites = fleet.sites

    budget: dict[str, Any] = {}
    for pid, prog in scenario.tenancy.programs.items():
        quota_h = prog.quota_gpus * hours
        used_h = gpu_h_by_program[pid]
        idle_h = max(0.0, quota_h - used_h)
        list_prices = [fleet.gpu_models[m].list_price_krw_per_gpu_h for m in prog.quota]
        mean_list = float(np.mean(list_prices)) if list_prices else 0.0
        budget[pid] = {
            "granted_krw": _r(prog.budget_krw, 0),
            "spent_krw": _r(
                world.accounts.balance(pid).spent_krw - world.spent_at_measure.get(pid, 0), 0
            ),
            "held_krw": _r(world.accounts.balance(pid).held_krw, 0),
            "gpu_hours": _r(used_h, 1),
            "quota_gpu_hours": _r(quota_h, 1),
            "idle_funded_gpu_hours": _r(idle_h, 1),
            "idle_funded_krw_at_list": _r(idle_h * mean_list, 0),
        }

    return {
        "schema": SCHEMA_VERSION,
        "scenario": scenario.name,
        "as_of": scenario.as_of,
        "seed": run.seed,
        "policy": run.policy.label,
        "sim_days": run.days,
        "warmup_days": run.warmup_days,
        "fleet": {
            "gpus": fleet.gpus,
            "nodes": fleet.nodes,
            "sites": len(fleet.sites),
            "pools": len(pools),
            "gpus_by_owner": owner_gpus,
        },
        "jobs": {
            "submitted": submitted,
            "started": started,
            "completed": counts[JobState.COMPLETED.value],
            "timed_out": counts[JobState.TIMED_OUT.value],
            "rejected": counts[JobState.REJECTED.value],
            "running_at_end": counts[JobState.RUNNING.value],
            "pending_at_end": counts[JobState.PENDING.value],
            "pending_at_end_by_reason": dict(sorted(reasons.items())),
        },
        "pending_reasons": {
            slug: _r(world.waits.job_seconds[slug] / 3600.0, 2)
            for slug in sorted(world.waits.job_seconds)
        },
        "utilization": {
            "fleet": _r(total_busy / (fleet.gpus * hours)),
            "by_owner": {
                o: _r(busy_by_owner[o] / (owner_gpus[o] * hours)) if owner_gpus[o] else 0.0
                for o in fleet.owners
            },
        },
        "wait_hours": {
            "by_tenant_class": {
                c: {**_quantiles(v), "still_waiting": still_waiting[c]}
                for c, v in wait_by_class.items()
            },
            "public_inference": _quantiles(public_inference_wait),
        },
        "gpu_hours": {
            "by_tenant_class": {
                c: {
                    "served": _r(served_by_class[c], 1),
                    "demanded": _r(demand_by_class[c], 1),
                    "share_served": _r(served_by_class[c] / total_served),
                    "share_demanded": _r(demand_by_class[c] / total_demand),
                }
                for c in wait_by_class
            },
        },
        "energy": {
            "mwh": _r(sum(mwh), 2),
            "cost_krw": _r(sum(krw), 0),
            "tco2": _r(sum(tco2), 2),
            "peak_mw_by_site": {s: _r(meters.peak_mw[i], 3) for i, s in enumerate(site_ids)},
            "cap_mw_by_site": {s: _r(sites[s].grid_cap_mw, 3) for s in site_ids},
            "mwh_by_site": {s: _r(mwh[i], 2) for i, s in enumerate(site_ids)},
            "cost_krw_by_site": {s: _r(krw[i], 0) for i, s in enumerate(site_ids)},
            "tco2_by_site": {s: _r(tco2[i], 2) for i, s in enumerate(site_ids)},
            "busy_cost_krw_by_job_class": {
                c: _r(v, 0) for c, v in sorted(world.busy_krw_by_class.items())
            },
            "busy_tco2_by_job_class": {
                c: _r(v, 2) for c, v in sorted(world.busy_tco2_by_class.items())
            },
        },
        "budget": {"by_program": budget},
        "grants": _grants(run),
        "reliability": _reliability(run),
        "preemptions": {
            "count": sum(world.preemptions.values()),
            "by_cause": dict(sorted(world.preemptions.items())),
        },
        "deferral": {
            "enabled": run.policy.defer_batch,
            "batch_wait_hours": _quantiles(batch_waits),
        },
        "power_capping": {
            "enabled": run.policy.min_power_fraction is not None,
            "min_power_fraction": run.policy.min_power_fraction,
            "capped_starts": world.capped_jobs,
            "capped_gpu_hours": _r(world.capped_gpu_s / 3600.0, 1),
            "throughput_lost_gpu_hours": _r(world.capped_lost_gpu_s / 3600.0, 1),
        },
        "bounds": bounds(run),
        "runtime": {
            "wall_seconds": _r(run.wall_seconds, 3),
            "generate_seconds": _r(run.generate_seconds, 3),
            "events": world.engine.events,
            "passes": world.passes,
            "events_per_second": _r(world.engine.events / max(run.wall_seconds, 1e-9), 0),
        },
    }
