"""`report.html`: the national report of a twin run, one self-contained file that works offline.

It is built from a run's outputs alone (`summary.json`, `jobs.parquet`, `timeseries.parquet`), so
it can be made again for any run directory (`aigrid twin report DIR`). At its top, the four
questions are answered in plain words (`aigrid.report.verdicts`); below come the figures behind the
answers, drawn with plotly, whose JavaScript is embedded once so the file needs no network.
"""

from __future__ import annotations

import html
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import plotly.colors
import plotly.graph_objects as go
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from aigrid.errors import UsageError
from aigrid.report import fmt
from aigrid.report.i18n import CATALOGUE, Lang, t
from aigrid.report.verdicts import Status, Thresholds, Verdict, render_line, thresholds_text
from aigrid.report.verdicts import verdicts as judge

__all__ = ["Figure", "RunData", "build_figures", "load_run", "render_html", "write_report"]

REPORT_NAME = "report.html"
JOB_COLUMNS = ("tenant_class", "wait_s", "state", "measured")
"""The columns of jobs.parquet the report reads."""
ECDF_POINTS = 201
"""Points per wait curve: quantiles at every half percent, however many jobs there are."""
_FONT = (
    "system-ui, -apple-system, 'Segoe UI', 'Noto Sans KR', 'NanumGothic', 'Malgun Gothic', "
    "'Apple SD Gothic Neo', 'DejaVu Sans', sans-serif"
)
_STATUS_COLOUR = {
    Status.YES: "#1a7f37",
    Status.PARTLY: "#b26b00",
    Status.NO: "#c62828",
    Status.NO_DATA: "#6e7781",
}
_MARK = {True: "✓", False: "✗", None: "•"}
_CLASS_COLOUR = {
    "sme": "#636efa",
    "university": "#ef553b",
    "research": "#00cc96",
    "public": "#ab63fa",
    "enterprise": "#ffa15a",
}
"""One colour per tenant class, the same in every plot."""
PROGRAM_COLOURS = plotly.colors.qualitative.Dark24
"""Enough colours for a national grid's programs before one repeats."""


@dataclass(frozen=True, slots=True)
class RunData:
    """What a run wrote: the summary dict and the two tables."""

    summary: dict[str, Any]
    jobs: pa.Table
    timeseries: pa.Table


@dataclass(frozen=True, slots=True)
class Figure:
    """One plot of the report: its id (the HTML element's), title, caption and plotly figure."""

    id: str
    title: str
    caption: str
    figure: Any


def load_run(out: Path) -> RunData:
    """Read a run directory written by `aigrid twin run --out`."""
    paths = [out / n for n in ("summary.json", "jobs.parquet", "timeseries.parquet")]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise UsageError(f"{out}: not a twin run's output directory (no {', '.join(missing)})")
    summary: dict[str, Any] = json.loads(paths[0].read_text(encoding="utf-8"))
    jobs = pq.read_table(paths[1], columns=list(JOB_COLUMNS))
    return RunData(summary, jobs, pq.read_table(paths[2]))


def write_report(out: Path, lang: Lang = Lang.EN, thresholds: Thresholds | None = None) -> Path:
    """Write `out/report.html` from the outputs in `out`; return its path."""
    page = render_html(load_run(out), lang, thresholds)
    path = out / REPORT_NAME
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, path)
    return path


# -- figures ------------------------------------------------------------------------------------


def _series(ts: pa.Table, prefix: str) -> dict[str, np.ndarray[Any, np.dtype[np.float64]]]:
    """The columns `prefix.<name>` of the time series, by name, in the file's order."""
    return {
        name.removeprefix(prefix): ts.column(name).to_numpy().astype(np.float64)
        for name in ts.column_names
        if name.startswith(prefix)
    }


def _days(ts: pa.Table) -> list[float]:
    return [float(x) / 86400.0 for x in ts.column("t_s").to_numpy()]


def _layout(fig: Any, *, height: int = 420, **kw: Any) -> Any:
    layout: dict[str, Any] = {
        "template": "plotly_white",
        "font": {"family": _FONT, "size": 13},
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 30, "b": 50},
        "legend": {"orientation": "h", "y": -0.18},
        "hovermode": "x unified",
    }
    fig.update_layout(**(layout | kw))
    return fig


def _utilization(data: RunData, lang: Lang) -> Any:
    x = _days(data.timeseries)
    busy = _series(data.timeseries, "busy_gpus.")
    fig = go.Figure()
    for owner, gpus in data.summary["fleet"]["gpus_by_owner"].items():
        if owner not in busy or not gpus:
            continue
        fig.add_trace(
            go.Scatter(
                x=x,
                y=(busy[owner] / gpus * 100.0).round(2),
                name=owner,
                mode="lines",
                hovertemplate="%{y:.1f}%",
            )
        )
    fig.update_yaxes(title=t(lang, "axis.util_pct"), rangemode="tozero", ticksuffix="%")
    fig.update_xaxes(title=t(lang, "axis.day"))
    return _layout(fig)


def _waits(data: RunData, lang: Lang) -> Any:
    jobs = data.jobs
    keep = pc.and_(jobs.column("measured"), pc.not_equal(jobs.column("state"), "rejected"))
    jobs = jobs.filter(keep)
    classes = np.asarray(jobs.column("tenant_class").to_pylist(), dtype=object)
    waits_h = jobs.column("wait_s").to_numpy().astype(np.float64) / 3600.0
    p = np.linspace(0.0, 1.0, ECDF_POINTS)
    fig = go.Figure()
    top = 0.25
    for cls in data.summary["wait_hours"]["by_tenant_class"]:
        w = waits_h[classes == cls]
        if w.size == 0:
            continue
        q = np.quantile(w, p)
        top = max(top, float(q[-1]))
        fig.add_trace(
            go.Scatter(
                x=q.round(4),
                y=(p * 100.0).round(2),
                name=cls,
                mode="lines",
                line={"color": _CLASS_COLOUR.get(cls)},
                hovertemplate="%{y:.1f}% ≤ %{x:.2f} h",
            )
        )
    fig.update_xaxes(title=t(lang, "axis.wait_h"), range=[-0.02 * top, 1.02 * top])
    fig.update_yaxes(title=t(lang, "axis.jobs_started"), range=[0, 101], ticksuffix="%")
    return _layout(fig, hovermode="closest")


def _shares(data: RunData, lang: Lang) -> Any:
    by_class = data.summary["gpu_hours"]["by_tenant_class"]
    classes = list(by_class)
    fig = go.Figure()
    for key, field in (("legend.served", "share_served"), ("legend.demanded", "share_demanded")):
        fig.add_trace(
            go.Bar(
                x=classes,
                y=[round(by_class[c][field] * 100.0, 2) for c in classes],
                name=t(lang, key),
                hovertemplate="%{y:.1f}%",
            )
        )
    fig.update_yaxes(title=t(lang, "axis.share_pct"), ticksuffix="%")
    return _layout(fig, barmode="group")


def _power(data: RunData, lang: Lang) -> Any:
    x = _days(data.timeseries)
    mw = _series(data.timeseries, "mw.")
    caps: dict[str, float] = data.summary["energy"]["cap_mw_by_site"]
    sites = [s for s in caps if s in mw] or list(caps)
    cols = 3
    rows = max(1, -(-len(sites) // cols))
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=sites,
        vertical_spacing=min(0.3 / rows + 0.02, 0.12),
        horizontal_spacing=0.07,
    )
    x_ends = [x[0], x[-1]] if x else [0.0, 1.0]
    for k, site in enumerate(sites):
        r, c = k // cols + 1, k % cols + 1
        cap = caps[site]
        draw = mw.get(site, np.zeros(len(x)))
        fig.add_trace(
            go.Scatter(
                x=x,
                y=draw.round(3),
                name=t(lang, "legend.draw"),
                legendgroup="draw",
                showlegend=k == 0,
                line={"color": "#1f77b4"},
                hovertemplate=f"{site}: %{{y:.2f}} MW",
            ),
            row=r,
            col=c,
        )
        fig.add_trace(
            go.Scatter(
                x=x_ends,
                y=[cap, cap],
                name=t(lang, "legend.cap"),
                legendgroup="cap",
                showlegend=k == 0,
                mode="lines",
                line={"color": "#c62828", "dash": "dash"},
                hovertemplate=f"{site}: {fmt.mw(cap)}",
            ),
            row=r,
            col=c,
        )
        fig.update_yaxes(range=[0, cap * 1.12], row=r, col=c)
    fig.update_yaxes(title=t(lang, "axis.mw"), col=1)
    fig.update_xaxes(title=t(lang, "axis.day"), row=rows)
    fig.update_annotations(font_size=12)
    return _layout(
        fig,
        height=max(320, 190 * rows + 100),
        hovermode="closest",
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
    )


def _energy(data: RunData, lang: Lang) -> Any:
    e = data.summary["energy"]
    panels = [("legend.mwh", "axis.mwh", e.get("mwh_by_site", {}))]
    for legend, axis, key in (
        ("legend.cost", "axis.krw", "cost_krw_by_site"),
        ("legend.tco2", "axis.tco2", "tco2_by_site"),
    ):
        if key in e:
            panels.append((legend, axis, e[key]))
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=[t(lang, p[0]) for p in panels])
    for k, (legend, axis, by_site) in enumerate(panels, start=1):
        sites = list(by_site)
        fig.add_trace(
            go.Bar(
                x=sites,
                y=[by_site[s] for s in sites],
                name=t(lang, legend),
                showlegend=False,
                hovertemplate="%{x}: %{y:,.1f} " + t(lang, axis),
            ),
            row=1,
            col=k,
        )
        fig.update_yaxes(title=t(lang, axis), row=1, col=k)
    fig.update_xaxes(tickangle=-45, automargin=True)
    return _layout(
        fig, height=440, hovermode="closest", margin={"l": 60, "r": 20, "t": 40, "b": 40}
    )


def _burn(data: RunData, lang: Lang) -> Any:
    x = _days(data.timeseries)
    fig = go.Figure()
    for program, spent in _series(data.timeseries, "spent_krw.").items():
        fig.add_trace(
            go.Scatter(
                x=x,
                y=spent.round(0),
                name=program,
                mode="lines",
                visible=True if spent.any() else "legendonly",
                hovertemplate="%{y:,.0f} KRW",
            )
        )
    fig.update_yaxes(title=t(lang, "axis.krw"), rangemode="tozero")
    fig.update_xaxes(title=t(lang, "axis.day"))
    return _layout(fig, height=460, colorway=PROGRAM_COLOURS)


def _budget(data: RunData, lang: Lang, th: Thresholds) -> Any:
    programs: dict[str, dict[str, float]] = data.summary["budget"]["by_program"]
    names = list(programs)[::-1]
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.04)
    for key, field, colour in (
        ("legend.granted", "granted_krw", "#9e9e9e"),
        ("legend.spent", "spent_krw", "#1f77b4"),
        ("legend.held", "held_krw", "#aec7e8"),
    ):
        fig.add_trace(
            go.Bar(
                y=names,
                x=[programs[p][field] or None for p in names],
                name=t(lang, key),
                orientation="h",
                marker_color=colour,
                hovertemplate="%{x:,.0f} KRW",
            ),
            row=1,
            col=1,
        )
    used = [
        round(100.0 * b["gpu_hours"] / b["quota_gpu_hours"], 2) if b["quota_gpu_hours"] else None
        for b in (programs[p] for p in names)
    ]
    fig.add_trace(
        go.Bar(
            y=names,
            x=used,
            name=t(lang, "axis.funded_used_pct"),
            orientation="h",
            marker_color="#2ca02c",
            hovertemplate="%{x:.1f}%",
        ),
        row=1,
        col=2,
    )
    for bar in (th.funded_use_poor, th.funded_use_good):
        fig.add_vline(x=bar * 100.0, line_dash="dot", line_color="#6e7781", row=1, col=2)
    fig.update_xaxes(type="log", title=t(lang, "axis.krw_log"), row=1, col=1)
    fig.update_xaxes(title=t(lang, "axis.funded_used_pct"), ticksuffix="%", row=1, col=2)
    return _layout(
        fig,
        height=max(380, 34 * len(names) + 160),
        barmode="group",
        hovermode="y unified",
        margin={"l": 150, "r": 20, "t": 30, "b": 60},
    )


def _pending(data: RunData, lang: Lang) -> Any:
    x = _days(data.timeseries)
    fig = go.Figure()
    for slug, counts in _series(data.timeseries, "pending_by_reason.").items():
        key = f"reason.{slug}"
        label = t(lang, key) if key in CATALOGUE[lang] else slug
        fig.add_trace(
            go.Scatter(
                x=x,
                y=counts,
                name=label,
                mode="lines",
                stackgroup="reasons",
                visible=True if counts.any() else "legendonly",
                hovertemplate=f"{slug}: %{{y:,.0f}}",
            )
        )
    fig.update_yaxes(title=t(lang, "axis.pending_jobs"), rangemode="tozero")
    fig.update_xaxes(title=t(lang, "axis.day"))
    return _layout(fig)


def build_figures(
    data: RunData, lang: Lang = Lang.EN, th: Thresholds | None = None
) -> list[Figure]:
    """The report's figures, in the order they appear."""
    th = th or Thresholds()
    e = data.summary["energy"]
    energy_totals = {
        "mwh": f"{e['mwh']:,.0f} MWh",
        "cost": fmt.krw(e["cost_krw"]),
        "tco2": f"{e['tco2']:,.0f} tCO2",
    }
    made = [
        ("utilization", _utilization(data, lang), {}),
        ("waits", _waits(data, lang), {}),
        ("shares", _shares(data, lang), {}),
        ("power", _power(data, lang), {}),
        ("energy", _energy(data, lang), energy_totals),
        ("burn", _burn(data, lang), {}),
        ("budget", _budget(data, lang, th), {}),
        ("pending", _pending(data, lang), {}),
    ]
    return [
        Figure(
            id=f"fig-{name}",
            title=t(lang, f"fig.{name}.title"),
            caption=t(lang, f"fig.{name}.caption", **params),
            figure=fig,
        )
        for name, fig, params in made
    ]


# -- the page -----------------------------------------------------------------------------------

_CSS = """
:root { --ink: #1f2328; --muted: #59636e; --line: #d0d7de; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font-family: FONT; color: var(--ink); background: #fff; line-height: 1.5; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 1.6rem; margin: 0 0 4px; }
h2 { font-size: 1.25rem; margin: 36px 0 8px; padding-bottom: 4px;
     border-bottom: 1px solid var(--line); }
.run { color: var(--muted); margin: 2px 0; }
.cards { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 16px;
         margin-top: 16px; }
.card { border: 1px solid var(--line); border-left: 6px solid var(--status); border-radius: 8px;
        padding: 12px 16px; background: var(--bg); }
.card h3 { margin: 0 0 6px; font-size: 1.05rem; display: flex; justify-content: space-between;
           gap: 12px; align-items: baseline; }
.badge { color: #fff; background: var(--status); border-radius: 999px; padding: 1px 12px;
         font-size: .85rem; white-space: nowrap; }
.headline { font-weight: 600; margin: 4px 0 6px; }
.card ul { margin: 0; padding-left: 0; list-style: none; font-size: .92rem; }
.card li { margin: 3px 0; padding-left: 1.3em; text-indent: -1.3em; }
.card li.bad { color: #8a1c1c; }
.mark { display: inline-block; width: 1.3em; text-indent: 0; }
figure { margin: 0 0 8px; }
figcaption { color: var(--muted); font-size: .92rem; margin: 0 0 4px; }
.how li { margin: 4px 0; }
footer { color: var(--muted); font-size: .85rem; margin-top: 32px; }
@media (max-width: 800px) { .cards { grid-template-columns: 1fr; } }
""".replace("FONT", _FONT)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _card(lang: Lang, v: Verdict) -> str:
    items = "".join(
        f'<li class="{"bad" if line.ok is False else "ok"}">'
        f'<span class="mark">{_MARK[line.ok]}</span>{_e(render_line(lang, line))}</li>'
        for line in v.lines
    )
    return (
        f'<section class="card" id="q-{v.question.value}" data-status="{v.status.value}" '
        f'style="--status: {_STATUS_COLOUR[v.status]}">'
        f"<h3><span>{_e(t(lang, f'q.{v.question.value}'))}</span>"
        f'<span class="badge">{_e(t(lang, f"status.{v.status.value}"))}</span></h3>'
        f'<p class="headline">{_e(render_line(lang, v.headline))}</p>'
        f"<ul>{items}</ul></section>"
    )


def _figure_html(f: Figure) -> str:
    div = f.figure.to_html(
        full_html=False,
        include_plotlyjs=False,
        div_id=f.id,
        config={"displaylogo": False, "responsive": True},
    )
    return f"<figure><h2>{_e(f.title)}</h2><figcaption>{_e(f.caption)}</figcaption>{div}</figure>"


def _power_waits_peak(ts: pa.Table) -> int | None:
    name = "pending_by_reason.power_cap"
    if name not in ts.column_names or ts.num_rows == 0:
        return None
    return int(pc.max(ts.column(name)).as_py())


def render_html(data: RunData, lang: Lang = Lang.EN, th: Thresholds | None = None) -> str:
    """The whole page: scorecard, figures, how the answers are made; plotly.js inlined once."""
    th = th or Thresholds()
    s = data.summary
    j = s["jobs"]
    judged = judge(s, th, power_waits_peak=_power_waits_peak(data.timeseries))
    figures = build_figures(data, lang, th)
    run_line = " · ".join(
        (
            t(lang, "sc.days", days=f"{s['sim_days']:g}", warmup=f"{s['warmup_days']:g}"),
            t(lang, "sc.fleet", gpus=f"{s['fleet']['gpus']:,}", sites=s["fleet"]["sites"]),
            t(lang, "sc.policy_seed", policy=s["policy"], seed=s["seed"]),
        )
    )
    jobs_line = t(
        lang,
        "sc.jobs",
        submitted=f"{j['submitted']:,}",
        completed=f"{j['completed']:,}",
        running=f"{j['running_at_end']:,}",
        pending=f"{j['pending_at_end']:,}",
        rejected=f"{j['rejected']:,}",
        util=fmt.pct(s["utilization"]["fleet"]),
    )
    title = t(lang, "report.title", scenario=s["scenario"])
    how = "".join(f"<li>{_e(x)}</li>" for x in thresholds_text(lang, th))
    as_of = (
        f'<p class="run">{_e(t(lang, "report.as_of", as_of=s["as_of"]))}</p>'
        if s.get("as_of")
        else ""
    )
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{lang.value}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="aigrid-figures" content="{len(figures)}">',
        f"<title>{_e(title)}</title><style>{_CSS}</style>",
        f'<script type="text/javascript">{get_plotlyjs()}</script>',
        "</head><body><main>",
        f"<header><h1>{_e(title)}</h1>",
        f'<p class="run">{_e(run_line)}</p><p class="run">{_e(jobs_line)}</p>{as_of}</header>',
        f"<h2>{_e(t(lang, 'report.scorecard'))}</h2>",
        '<div class="cards">' + "".join(_card(lang, v) for v in judged) + "</div>",
        *(_figure_html(f) for f in figures),
        f'<h2>{_e(t(lang, "report.how"))}</h2><ul class="how">{how}</ul>',
        f"<footer>{_e(t(lang, 'report.made_from'))}</footer>",
        "</main></body></html>",
    ]
    return "\n".join(parts)
