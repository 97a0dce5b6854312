"""The four questions answered in plain words, from a run's figures and explicit thresholds.

A verdict is a value: the question, a status (yes, partly, no, or no data), a headline and the
lines that back it, each line a catalogue key with the figures that fill it. The words come from
`aigrid.report.i18n` when a verdict is rendered, so one verdict reads in every language, and a
test can check the logic without reading any sentence.

Every number in a verdict comes from the run's `summary.json` (and, where given, the run's time
series); the only constants are the thresholds in `Thresholds`, each with why it is where it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from aigrid.report import fmt
from aigrid.report.i18n import Lang, t

__all__ = [
    "SMALLER_CLASSES",
    "Line",
    "Param",
    "Question",
    "Status",
    "Term",
    "Thresholds",
    "Verdict",
    "render_line",
    "thresholds_text",
    "verdicts",
    "worst",
]

Summary = Mapping[str, Any]

SMALLER_CLASSES = ("sme", "university")
"""The tenant classes the first question asks about: startups and SMEs, and universities."""
REFERENCE_CLASS = "enterprise"
"""The tenant class they are compared with: large enterprises."""
_EPS = 1e-9
"""Comparisons at a bar allow for float rounding: a figure exactly at its bar passes."""
DAYS_PER_YEAR = 365.0
"""Budgets are treated as yearly grants when a window's pace is extrapolated."""


class Question(StrEnum):
    SMALLER_FIRMS = "smaller_firms"
    MONEY = "money"
    POWER = "power"
    PUBLIC = "public"


class Status(StrEnum):
    YES = "yes"
    PARTLY = "partly"
    NO = "no"
    NO_DATA = "no_data"


_RANK = {Status.NO: 0, Status.PARTLY: 1, Status.YES: 2, Status.NO_DATA: 3}


def worst(statuses: Sequence[Status]) -> Status:
    """The worst of `statuses` (no < partly < yes); no data only when nothing else is known."""
    return min(statuses, key=_RANK.__getitem__, default=Status.NO_DATA)


@dataclass(frozen=True, slots=True)
class Term:
    """A word from the catalogue (a tenant class, say), translated when the line is rendered."""

    key: str


Param = str | Term | tuple[str | Term, ...]


@dataclass(frozen=True, slots=True)
class Line:
    """One sentence: a catalogue key and the figures, already written, that fill it.

    `ok` is False for a line that is why the answer is not yes, True for a check that passed, and
    None for a line that only informs.
    """

    key: str
    params: Mapping[str, Param] = field(default_factory=dict)
    ok: bool | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    question: Question
    status: Status
    headline: Line
    lines: tuple[Line, ...] = ()


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Where each answer turns. Pass another instance to judge a run by other bars."""

    wait_ratio_max: float = 2.0
    """A smaller class's p95 wait may be at most this many times large enterprises' p95 wait:
    twice as long is where a queue stops being the same queue for everyone."""
    wait_floor_h: float = 0.5
    """...or this many hours, whichever is more: half an hour is no barrier to training or
    batch work, so a few minutes against enterprises' zero do not count as unequal access."""
    share_ratio_min: float = 0.9
    """A class's share of the GPU-hours served must be at least this fraction of its share of
    demand: within 10% counts as its share, allowing for jobs still running at the end."""
    funded_use_good: float = 0.8
    """Programs together use at least this fraction of the GPU-hours their quotas fund for a
    yes: about the utilization a well-run shared HPC centre reaches."""
    funded_use_poor: float = 0.5
    """Below this fraction most of the money buys idle GPUs: no, and a program below it is
    named."""
    spend_pace_max: float = 1.0
    """A program whose settled spend in the window, kept up for a year, exceeds this fraction of
    its grant will run out of money before the year ends."""
    power_near_cap: float = 0.95
    """A site at or above this fraction of its grid connection has no headroom: new work there
    waits for power."""
    power_tolerance_mw: float = 1e-3
    """A peak counts as above the cap only by more than summary.json's rounding (0.001 MW)."""
    public_p95_good_h: float = 0.25
    """A public inference service should be admitted within a quarter of an hour at p95: the
    time in which an online service has to scale out to meet its load."""
    public_p95_max_h: float = 1.0
    """Beyond an hour at p95, a public service misses the hour it was needed in."""


def render_line(lang: Lang, line: Line) -> str:
    """The sentence of `line` in `lang`."""
    return t(lang, line.key, **{k: _param(lang, v) for k, v in line.params.items()})


def _param(lang: Lang, value: Param) -> str:
    if isinstance(value, Term):
        return t(lang, value.key)
    if isinstance(value, tuple):
        return ", ".join(_param(lang, v) for v in value)
    return value


def thresholds_text(lang: Lang, th: Thresholds) -> list[str]:
    """The thresholds in words, for the report's "how the answers are made"."""
    return [
        t(
            lang,
            "how.sf",
            wait_ratio=f"{th.wait_ratio_max:g}",
            wait_floor=fmt.hours(th.wait_floor_h),
            share_ratio=fmt.pct(th.share_ratio_min),
        ),
        t(lang, "how.money", good=fmt.pct(th.funded_use_good), poor=fmt.pct(th.funded_use_poor)),
        t(
            lang,
            "how.power",
            tolerance=f"{th.power_tolerance_mw:g} MW",
            near=fmt.pct(th.power_near_cap),
        ),
        t(
            lang,
            "how.public",
            good=fmt.hours(th.public_p95_good_h),
            limit=fmt.hours(th.public_p95_max_h),
        ),
        t(lang, "how.waits"),
    ]


def verdicts(
    summary: Summary, th: Thresholds = Thresholds(), *, power_waits_peak: int | None = None
) -> list[Verdict]:
    """The four verdicts of a run, in the order of the questions.

    `power_waits_peak`: the most jobs waiting for power at one sample, from the time series,
    when the caller has it.
    """
    return [
        smaller_firms(summary, th),
        money(summary, th),
        power(summary, th, power_waits_peak=power_waits_peak),
        public_services(summary, th),
    ]


# -- can smaller firms get GPUs? --------------------------------------------------------------


def smaller_firms(summary: Summary, th: Thresholds) -> Verdict:
    """Per smaller class, two checks: its p95 wait against large enterprises' (with a floor),
    and its share of GPU-hours served against its share of demand. A class passing both is a
    yes, one a partly, none a no; the worst class decides."""
    waits = summary["wait_hours"]["by_tenant_class"]
    shares = summary["gpu_hours"]["by_tenant_class"]
    ref = waits.get(REFERENCE_CLASS, {"jobs": 0, "p50": 0.0, "p95": 0.0})
    ref_p95 = float(ref["p95"]) if ref["jobs"] else 0.0
    bar_h = max(th.wait_floor_h, th.wait_ratio_max * ref_p95)
    lines: list[Line] = []
    statuses: list[Status] = []
    failed_both: list[str | Term] = []
    for cls in SMALLER_CLASSES:
        w = waits.get(cls)
        if not w or not w["jobs"]:
            continue
        label = Term(f"class.{cls}")
        wait_ok = float(w["p95"]) <= bar_h + _EPS
        s = shares[cls]
        share_ok = (
            float(s["share_served"]) >= th.share_ratio_min * float(s["share_demanded"]) - _EPS
        )
        wait_params: dict[str, Param] = {
            "cls": label,
            "p50": fmt.hours(float(w["p50"])),
            "p95": fmt.hours(float(w["p95"])),
            "bar": fmt.hours(bar_h),
            "ref_p95": fmt.hours(ref_p95) if ref["jobs"] else "-",
        }
        lines.append(Line("sf.wait_ok" if wait_ok else "sf.wait_long", wait_params, wait_ok))
        share_params: dict[str, Param] = {
            "cls": label,
            "served": fmt.pct(float(s["share_served"])),
            "demanded": fmt.pct(float(s["share_demanded"])),
            "min_ratio": fmt.pct(th.share_ratio_min),
        }
        lines.append(Line("sf.share_ok" if share_ok else "sf.share_short", share_params, share_ok))
        if w.get("still_waiting"):
            lines.append(Line("sf.still_waiting", {"cls": label, "n": f"{w['still_waiting']:,}"}))
        passed = wait_ok + share_ok
        statuses.append((Status.NO, Status.PARTLY, Status.YES)[passed])
        if not passed:
            failed_both.append(label)
    status = worst(statuses)
    params: dict[str, Param] = {"classes": tuple(failed_both)} if status is Status.NO else {}
    return Verdict(Question.SMALLER_FIRMS, status, Line(f"sf.{status.value}", params), tuple(lines))


# -- does the money reach projects? -----------------------------------------------------------


def money(summary: Summary, th: Thresholds) -> Verdict:
    """Funded GPU-hours used by all programs together (each counted up to its quota, so one
    program's borrowing does not hide another's idle quota) against the two bars; a program
    whose settled spend would exceed its grant within a year caps the answer at partly."""
    programs: Mapping[str, Mapping[str, float]] = summary["budget"]["by_program"]
    days = float(summary["sim_days"])
    funded = {p: b for p, b in programs.items() if b["quota_gpu_hours"] > 0}
    if not funded:
        return Verdict(Question.MONEY, Status.NO_DATA, Line("money.no_data"))
    quota = sum(b["quota_gpu_hours"] for b in funded.values())
    used = sum(min(b["gpu_hours"], b["quota_gpu_hours"]) for b in funded.values())
    share = used / quota
    low = tuple(
        p for p, b in funded.items() if b["gpu_hours"] < th.funded_use_poor * b["quota_gpu_hours"]
    )
    per_year = DAYS_PER_YEAR / days if days > 0 else 0.0
    over = tuple(
        p
        for p, b in programs.items()
        if b["granted_krw"] > 0 and b["spent_krw"] * per_year > th.spend_pace_max * b["granted_krw"]
    )
    spent = sum(b["spent_krw"] for b in programs.values())
    held = sum(b["held_krw"] for b in programs.values())
    granted = sum(b["granted_krw"] for b in programs.values())
    idle_krw = sum(b.get("idle_funded_krw_at_list", 0.0) for b in programs.values())

    if share >= th.funded_use_good - _EPS:
        status = Status.YES
    elif share >= th.funded_use_poor - _EPS:
        status = Status.PARTLY
    else:
        status = Status.NO
    if over:
        status = worst([status, Status.PARTLY])
    used_pct = fmt.pct(share)
    lines = [
        Line(
            "money.use",
            {"used": used_pct, "hours": fmt.gpu_h(used), "quota": fmt.gpu_h(quota)},
            share >= th.funded_use_good - _EPS,
        )
    ]
    if low:
        lines.append(
            Line("money.low", {"bar": fmt.pct(th.funded_use_poor), "programs": low}, False)
        )
    lines.append(Line("money.idle", {"idle_krw": fmt.krw(idle_krw)}))
    if granted > 0:
        lines.append(
            Line(
                "money.spend",
                {
                    "spent": fmt.krw(spent),
                    "held": fmt.krw(held),
                    "pace_lo": fmt.pct(spent * per_year / granted),
                    "pace_hi": fmt.pct((spent + held) * per_year / granted),
                    "granted": fmt.krw(granted),
                },
            )
        )
    if over:
        lines.append(Line("money.over", {"programs": over}, False))
    return Verdict(
        Question.MONEY, status, Line(f"money.{status.value}", {"used": used_pct}), tuple(lines)
    )


# -- can the power limits be kept? ------------------------------------------------------------


def power(summary: Summary, th: Thresholds, *, power_waits_peak: int | None = None) -> Verdict:
    """A site above its grid connection is a no; one at `power_near_cap` of it or more, partly."""
    e = summary["energy"]
    caps: Mapping[str, float] = e["cap_mw_by_site"]
    peaks: Mapping[str, float] = e["peak_mw_by_site"]
    sites = [s for s in caps if caps[s] > 0]
    if not sites:
        return Verdict(Question.POWER, Status.NO_DATA, Line("power.no_data"))
    ratio = {s: peaks.get(s, 0.0) / caps[s] for s in sites}
    over = [s for s in sites if peaks.get(s, 0.0) > caps[s] + th.power_tolerance_mw]
    near = [s for s in sites if s not in over and ratio[s] >= th.power_near_cap - _EPS]
    if over:
        status, n = Status.NO, len(over)
    elif near:
        status, n = Status.PARTLY, len(near)
    else:
        status, n = Status.YES, 0
    bar = fmt.pct(th.power_near_cap)
    top = max(sites, key=lambda s: ratio[s])
    lines = [
        Line(
            "power.max",
            {
                "site": top,
                "peak": fmt.mw(peaks.get(top, 0.0)),
                "cap": fmt.mw(caps[top]),
                "share": fmt.pct(ratio[top]),
            },
        )
    ]

    def named(group: list[str]) -> tuple[str, ...]:
        return tuple(f"{s} ({fmt.pct(ratio[s])})" for s in sorted(group, key=lambda s: -ratio[s]))

    if over:
        lines.append(Line("power.over", {"sites": named(over)}, False))
    if near:
        lines.append(Line("power.near", {"bar": bar, "sites": named(near)}, False))
    if power_waits_peak:
        lines.append(Line("power.waits", {"n": f"{power_waits_peak:,}"}))
    lines.append(
        Line(
            "power.energy",
            {
                "mwh": f"{float(e['mwh']):,.0f} MWh",
                "cost": fmt.krw(float(e["cost_krw"])),
                "tco2": f"{float(e['tco2']):,.0f} tCO2",
            },
        )
    )
    headline = Line(f"power.{status.value}", {"n": f"{n}", "total": f"{len(sites)}", "bar": bar})
    return Verdict(Question.POWER, status, headline, tuple(lines))


# -- do public services get their GPUs? -------------------------------------------------------


def public_services(summary: Summary, th: Thresholds) -> Verdict:
    """The p95 wait of public inference jobs against the target and the limit."""
    w = summary["wait_hours"]["public_inference"]
    if not w["jobs"]:
        return Verdict(Question.PUBLIC, Status.NO_DATA, Line("public.no_data"))
    p95 = float(w["p95"])
    if p95 <= th.public_p95_good_h + _EPS:
        status = Status.YES
    elif p95 <= th.public_p95_max_h + _EPS:
        status = Status.PARTLY
    else:
        status = Status.NO
    figures: dict[str, Param] = {
        "jobs": f"{w['jobs']:,}",
        "p50": fmt.hours(float(w["p50"])),
        "p95": fmt.hours(p95),
        "good": fmt.hours(th.public_p95_good_h),
        "limit": fmt.hours(th.public_p95_max_h),
    }
    return Verdict(
        Question.PUBLIC,
        status,
        Line(f"public.{status.value}", figures),
        (Line("public.wait", figures, status is Status.YES),),
    )
