"""The scorecard: the four questions of a national grid, answered with a run's figures.

Works on `summary.json` dicts, so a scorecard can be printed for a run long after it ended, and
several runs (policies) can be shown side by side.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

Summary = dict[str, Any]


def _h(x: float) -> str:
    if x < 1:
        return f"{x * 60:.0f} min"
    return f"{x:.1f} h"


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def _krw(x: float) -> str:
    for unit, div in (("T", 1e12), ("bn", 1e9), ("M", 1e6)):
        if abs(x) >= div:
            return f"{x / div:,.2f} {unit} KRW"
    return f"{x:,.0f} KRW"


def _title(s: Summary) -> str:
    return f"{s['policy']} (seed {s['seed']})"


def smaller_firms(runs: Sequence[Summary]) -> Table:
    t = Table(title="Can smaller firms get GPUs?", title_justify="left", expand=False)
    t.add_column("tenant class")
    for s in runs:
        t.add_column(f"{_title(s)}\nwait p50 / p95", justify="right")
        t.add_column("GPU-h served / demanded\n(share of fleet)", justify="right")
    classes = list(runs[0]["wait_hours"]["by_tenant_class"])
    for c in classes:
        row = [c]
        for s in runs:
            w = s["wait_hours"]["by_tenant_class"][c]
            g = s["gpu_hours"]["by_tenant_class"][c]
            if not w["jobs"]:
                row += ["-", "-"]
                continue
            waiting = f" ({w['still_waiting']:,} waiting)" if w["still_waiting"] else ""
            row.append(f"{_h(w['p50'])} / {_h(w['p95'])}{waiting}")
            row.append(f"{_pct(g['share_served'])} / {_pct(g['share_demanded'])}")
        t.add_row(*row)
    return t


def money(runs: Sequence[Summary]) -> Table:
    t = Table(title="Does the money reach projects?", title_justify="left")
    t.add_column("program")
    t.add_column("budget", justify="right")
    for s in runs:
        t.add_column(f"{_title(s)}\nspent (+held)", justify="right")
        t.add_column("funded GPU-h used", justify="right")
    for pid, b0 in runs[0]["budget"]["by_program"].items():
        row = [pid, _krw(b0["granted_krw"])]
        for s in runs:
            b = s["budget"]["by_program"][pid]
            row.append(f"{_krw(b['spent_krw'])} (+{_krw(b['held_krw'])})")
            quota = b["quota_gpu_hours"]
            used = b["gpu_hours"]
            row.append(f"{_pct(used / quota)}" if quota else f"{used:,.0f} GPU-h (no quota)")
        t.add_row(*row)
    return t


def power(runs: Sequence[Summary]) -> Table:
    t = Table(title="Can the power limits be kept?", title_justify="left")
    t.add_column("site")
    t.add_column("grid cap", justify="right")
    for s in runs:
        t.add_column(f"{_title(s)}\npeak MW (of cap)", justify="right")
    for site, cap in runs[0]["energy"]["cap_mw_by_site"].items():
        row = [site, f"{cap:,.1f} MW"]
        for s in runs:
            peak = s["energy"]["peak_mw_by_site"][site]
            style = "bold red" if peak > cap else ("yellow" if peak > 0.95 * cap else "")
            cell = f"{peak:,.1f} ({_pct(peak / cap)})"
            row.append(f"[{style}]{cell}[/]" if style else cell)
        t.add_row(*row)
    totals = ["total energy", ""]
    for s in runs:
        e = s["energy"]
        totals.append(f"{e['mwh']:,.0f} MWh · {_krw(e['cost_krw'])} · {e['tco2']:,.0f} tCO2")
    t.add_row(*totals, end_section=True)
    return t


def public_services(runs: Sequence[Summary]) -> Table:
    t = Table(title="Do public services get their GPUs?", title_justify="left")
    t.add_column("")
    for s in runs:
        t.add_column(_title(s), justify="right")
    waits = [s["wait_hours"]["public_inference"] for s in runs]
    t.add_row("public inference jobs", *[f"{w['jobs']:,}" for w in waits])
    t.add_row("wait p50", *[_h(w["p50"]) for w in waits])
    t.add_row("wait p95", *[_h(w["p95"]) for w in waits])
    return t


def headline(s: Summary) -> Text:
    j = s["jobs"]
    rt = s["runtime"]
    return Text.assemble(
        (f"{s['scenario']}", "bold"),
        f" · {s['sim_days']:g} days (after {s['warmup_days']:g} of warm-up)",
        f" · {s['fleet']['gpus']:,} GPUs in {s['fleet']['sites']} sites",
        f" · policy {s['policy']} · seed {s['seed']}\n",
        f"jobs submitted in the window: {j['submitted']:,}; {j['completed']:,} completed, "
        f"{j['running_at_end']:,} running, {j['pending_at_end']:,} pending, "
        f"{j['rejected']:,} rejected · utilization {_pct(s['utilization']['fleet'])}\n",
        (
            f"simulated in {rt['wall_seconds']:.1f} s "
            f"({rt['events']:,} events, {rt['events_per_second']:,.0f} events/s)",
            "dim",
        ),
    )


def render(runs: Sequence[Summary]) -> RenderableType:
    """The scorecard of one run, or of several side by side."""
    parts: list[RenderableType] = []
    if len(runs) == 1:
        parts.append(headline(runs[0]))
    else:
        for s in runs:
            parts.append(headline(s))
    parts += [smaller_firms(runs), money(runs), power(runs), public_services(runs)]
    return Group(*parts)
