"""Files of the fragmentation experiment: `allocation.csv` and its plot, `allocation.html`.

The experiment itself lives in `aigrid.twin.fragmentation`; this module only writes what it
measured, the way `aigrid.report.output` does for a twin run.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from aigrid.twin.fragmentation import CSV_COLUMNS, RunResult, bands

__all__ = ["allocation_figure", "write_allocation_csv", "write_allocation_html"]


def write_allocation_csv(path: Path, results: Sequence[RunResult]) -> Path:
    """`policy,seed,arrived_pct,allocated_pct`, one row per run and step."""
    with path.open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(CSV_COLUMNS)
        for r in results:
            for a, v in zip(r.curve.arrived_pct, r.curve.allocated_pct, strict=True):
                w.writerow((r.policy, r.seed, a, f"{v:.4f}"))
    return path


_COLOURS = {
    "random": "#7f7f7f",
    "best-fit": "#1f77b4",
    "pack": "#2ca02c",
    "spread": "#ff7f0e",
    "frag-aware": "#d62728",
}


def _rgba(colour: str, alpha: float) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


ZOOM_FROM_PCT = 80
"""The right panel of the figure shows arrived load from here on, where the policies part."""


def allocation_figure(results: Sequence[RunResult], title: str) -> go.Figure:
    """A plotly figure: allocation against arrived load, a line per policy (mean over seeds)
    in a band from the lowest to the highest seed; left the whole run, right a zoom on the
    high load (from `ZOOM_FROM_PCT`), where the policies part."""
    policies = list(dict.fromkeys(r.policy for r in results))
    seeds = sorted({r.seed for r in results})
    top = max((s for r in results for s in r.curve.arrived_pct), default=100)
    zoom = ZOOM_FROM_PCT if top > ZOOM_FROM_PCT else 0
    fig = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.55, 0.45],
        subplot_titles=(
            f"whole run (mean over {len(seeds)} seed(s); band: lowest to highest seed)",
            f"from {zoom}% arrived",
        ),
    )
    lowest = 100.0
    for col in (1, 2):
        for policy in policies:
            b = bands(results, policy)
            x = [s for s in b if col == 1 or s >= zoom]
            if col == 2:
                lowest = min([lowest, *(b[s].low for s in x)])
            colour = _COLOURS.get(policy, "#9467bd")
            fig.add_trace(
                go.Scatter(
                    x=x + x[::-1],
                    y=[b[s].high for s in x] + [b[s].low for s in x[::-1]],
                    fill="toself",
                    fillcolor=_rgba(colour, 0.2),
                    line={"width": 0},
                    hoverinfo="skip",
                    showlegend=False,
                    legendgroup=policy,
                ),
                row=1,
                col=col,
            )
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=[b[s].mean for s in x],
                    name=policy,
                    mode="lines+markers" if col == 2 else "lines",
                    marker={"size": 4},
                    line={"color": colour, "width": 2},
                    legendgroup=policy,
                    showlegend=col == 1,
                    hovertemplate=f"{policy}<br>arrived %{{x}}%<br>allocated %{{y:.2f}}%"
                    "<extra></extra>",
                ),
                row=1,
                col=col,
            )
        ideal_x = [x for x in (0, zoom, min(top, 100), top) if col == 1 or x >= zoom]
        fig.add_trace(
            go.Scatter(
                x=ideal_x,
                y=[min(x, 100) for x in ideal_x],
                name="every pod placed",
                mode="lines",
                line={"color": "#bbbbbb", "dash": "dot", "width": 1},
                hoverinfo="skip",
                legendgroup="ideal",
                showlegend=col == 1,
            ),
            row=1,
            col=col,
        )
    axis_x = {"title": "arrived GPU load (% of the cluster's GPUs)", "ticksuffix": "%"}
    fig.update_xaxes(**axis_x)
    fig.update_yaxes(title="GPUs allocated (%)", ticksuffix="%", row=1, col=1)
    fig.update_yaxes(ticksuffix="%", range=[max(0.0, lowest - 2), 101], row=1, col=2)
    fig.update_layout(
        title=title,
        template="plotly_white",
        legend={"orientation": "h", "y": -0.2},
        height=560,
    )
    return fig


def write_allocation_html(path: Path, results: Sequence[RunResult], title: str) -> Path:
    """The figure as one HTML file with plotly.js inside (opens offline)."""
    fig = allocation_figure(results, title)
    fig.write_html(str(path), include_plotlyjs=True, full_html=True)
    return path
