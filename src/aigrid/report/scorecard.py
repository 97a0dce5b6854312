"""The scorecard: the four questions of a national grid, answered with a run's figures.

Works on `summary.json` dicts, so a scorecard can be printed for a run long after it ended, and
several runs (policies) can be shown side by side. Its words come from `aigrid.report.i18n`, in
English or Korean; under each question stands the verdict of `aigrid.report.verdicts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.cells import cell_len
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from aigrid.report import fmt
from aigrid.report.i18n import Lang, t
from aigrid.report.verdicts import Question, Thresholds, Verdict, render_line, verdicts

Summary = dict[str, Any]

_THRESHOLDS = Thresholds()
_STATUS_STYLE = {"yes": "green", "partly": "yellow", "no": "bold red", "no_data": "dim"}


def _table(question: str) -> Table:
    """A question's table, at least as wide as the question, so the question never wraps."""
    return Table(title=question, title_justify="left", min_width=cell_len(question))


def _title(s: Summary, lang: Lang) -> str:
    return t(lang, "sc.run_title", policy=s["policy"], seed=s["seed"])


def _verdict_text(
    runs: Sequence[Summary], judged: Sequence[dict[Question, Verdict]], q: Question, lang: Lang
) -> Text:
    """Under a question's table: one run's verdict in words, with the lines that make it less
    than a yes; or, for several runs, the answer of each in one word."""
    text = Text()
    for k, (s, vs) in enumerate(zip(runs, judged, strict=True)):
        v = vs[q]
        style = _STATUS_STYLE[v.status.value]
        if len(runs) == 1:
            text.append(render_line(lang, v.headline), style)
            for line in v.lines:
                if line.ok is False:
                    text.append("\n  ✗ " + render_line(lang, line))
        else:
            text.append(" · " if k else "")
            text.append(f"{_title(s, lang)}: ")
            text.append(t(lang, f"status.{v.status.value}"), style)
    return text


def smaller_firms(runs: Sequence[Summary], lang: Lang = Lang.EN) -> Table:
    t_ = _table(t(lang, "q.smaller_firms"))
    t_.add_column(t(lang, "sc.tenant_class"))
    for s in runs:
        t_.add_column(f"{_title(s, lang)}\n{t(lang, 'sc.wait_p50_p95')}", justify="right")
        t_.add_column(t(lang, "sc.served_demanded"), justify="right")
    classes = list(runs[0]["wait_hours"]["by_tenant_class"])
    for c in classes:
        row = [c]
        for s in runs:
            w = s["wait_hours"]["by_tenant_class"][c]
            g = s["gpu_hours"]["by_tenant_class"][c]
            if not w["jobs"]:
                row += ["-", "-"]
                continue
            waiting = (
                " " + t(lang, "sc.still_waiting", n=f"{w['still_waiting']:,}")
                if w["still_waiting"]
                else ""
            )
            row.append(f"{fmt.hours(w['p50'])} / {fmt.hours(w['p95'])}{waiting}")
            row.append(f"{fmt.pct(g['share_served'])} / {fmt.pct(g['share_demanded'])}")
        t_.add_row(*row)
    return t_


def money(runs: Sequence[Summary], lang: Lang = Lang.EN) -> Table:
    t_ = _table(t(lang, "q.money"))
    t_.add_column(t(lang, "sc.program"))
    t_.add_column(t(lang, "sc.budget"), justify="right")
    for s in runs:
        t_.add_column(f"{_title(s, lang)}\n{t(lang, 'sc.spent_held')}", justify="right")
        t_.add_column(t(lang, "sc.funded_used"), justify="right")
    for pid, b0 in runs[0]["budget"]["by_program"].items():
        row = [pid, fmt.krw(b0["granted_krw"])]
        for s in runs:
            b = s["budget"]["by_program"][pid]
            row.append(f"{fmt.krw(b['spent_krw'])} (+{fmt.krw(b['held_krw'])})")
            quota = b["quota_gpu_hours"]
            used = b["gpu_hours"]
            row.append(
                fmt.pct(used / quota) if quota else t(lang, "sc.no_quota", gpu_h=fmt.gpu_h(used))
            )
        t_.add_row(*row)
    return t_


def power(runs: Sequence[Summary], lang: Lang = Lang.EN) -> Table:
    t_ = _table(t(lang, "q.power"))
    t_.add_column(t(lang, "sc.site"))
    t_.add_column(t(lang, "sc.grid_cap"), justify="right")
    for s in runs:
        t_.add_column(f"{_title(s, lang)}\n{t(lang, 'sc.peak_of_cap')}", justify="right")
    for site, cap in runs[0]["energy"]["cap_mw_by_site"].items():
        row = [site, fmt.mw(cap)]
        for s in runs:
            peak = s["energy"]["peak_mw_by_site"][site]
            near = peak >= _THRESHOLDS.power_near_cap * cap
            style = "bold red" if peak > cap else ("yellow" if near else "")
            cell = f"{peak:,.1f} ({fmt.pct(peak / cap)})"
            row.append(f"[{style}]{cell}[/]" if style else cell)
        t_.add_row(*row)
    totals = [t(lang, "sc.total_energy"), ""]
    for s in runs:
        e = s["energy"]
        totals.append(f"{e['mwh']:,.0f} MWh · {fmt.krw(e['cost_krw'])} · {e['tco2']:,.0f} tCO2")
    t_.add_row(*totals, end_section=True)
    return t_


def public_services(runs: Sequence[Summary], lang: Lang = Lang.EN) -> Table:
    t_ = _table(t(lang, "q.public"))
    t_.add_column("")
    for s in runs:
        t_.add_column(_title(s, lang), justify="right")
    waits = [s["wait_hours"]["public_inference"] for s in runs]
    t_.add_row(t(lang, "sc.public_jobs"), *[f"{w['jobs']:,}" for w in waits])
    t_.add_row(t(lang, "sc.wait_p50"), *[fmt.hours(w["p50"]) for w in waits])
    t_.add_row(t(lang, "sc.wait_p95"), *[fmt.hours(w["p95"]) for w in waits])
    return t_


def headline(s: Summary, lang: Lang = Lang.EN) -> Text:
    j = s["jobs"]
    rt = s["runtime"]
    return Text.assemble(
        (f"{s['scenario']}", "bold"),
        " · " + t(lang, "sc.days", days=f"{s['sim_days']:g}", warmup=f"{s['warmup_days']:g}"),
        " · " + t(lang, "sc.fleet", gpus=f"{s['fleet']['gpus']:,}", sites=s["fleet"]["sites"]),
        " · " + t(lang, "sc.policy_seed", policy=s["policy"], seed=s["seed"]) + "\n",
        t(
            lang,
            "sc.jobs",
            submitted=f"{j['submitted']:,}",
            completed=f"{j['completed']:,}",
            running=f"{j['running_at_end']:,}",
            pending=f"{j['pending_at_end']:,}",
            rejected=f"{j['rejected']:,}",
            util=fmt.pct(s["utilization"]["fleet"]),
        )
        + "\n",
        (
            t(
                lang,
                "sc.runtime",
                seconds=f"{rt['wall_seconds']:.1f}",
                events=f"{rt['events']:,}",
                rate=f"{rt['events_per_second']:,.0f}",
            ),
            "dim",
        ),
    )


def render(runs: Sequence[Summary], lang: Lang = Lang.EN) -> RenderableType:
    """The scorecard of one run, or of several side by side, each question with its verdict."""
    parts: list[RenderableType] = [headline(s, lang) for s in runs]
    judged = [{v.question: v for v in verdicts(s)} for s in runs]
    for q, table in (
        (Question.SMALLER_FIRMS, smaller_firms(runs, lang)),
        (Question.MONEY, money(runs, lang)),
        (Question.POWER, power(runs, lang)),
        (Question.PUBLIC, public_services(runs, lang)),
    ):
        parts += [table, _verdict_text(runs, judged, q, lang)]
    return Group(*parts)
