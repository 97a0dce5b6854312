"""The verdicts: each question's answer turns where its threshold says, on the run's figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from aigrid.report.i18n import Lang
from aigrid.report.verdicts import (
    Question,
    Status,
    Term,
    Thresholds,
    Verdict,
    render_line,
    thresholds_text,
    verdicts,
    worst,
)
from tests.report import builders as b


@dataclass(frozen=True)
class Case:
    name: str
    summary: dict[str, Any]
    question: Question
    want_status: Status
    want_failed_keys: tuple[str, ...] = ()
    """Keys of the lines marked as why the answer is not yes, in order."""
    want_text: tuple[str, ...] = ()
    """Figures that must appear in the English sentences (headline and lines)."""
    thresholds: Thresholds = field(default_factory=Thresholds)
    power_waits_peak: int | None = None


def _sf(
    sme: dict[str, Any] | None = None,
    university: dict[str, Any] | None = None,
    enterprise: dict[str, Any] | None = None,
    shares: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    w = {
        k: v
        for k, v in (("sme", sme), ("university", university), ("enterprise", enterprise))
        if v is not None
    }
    return b.summary(wait_by_class=w, share_by_class=shares)


CASES = [
    # -- can smaller firms get GPUs? --------------------------------------------------------
    Case(
        "smaller firms: same waits, fair shares",
        _sf(b.waits(p95=1.0), b.waits(p95=1.5), b.waits(p95=1.0)),
        Question.SMALLER_FIRMS,
        Status.YES,
        want_text=("1.0 h", "1.5 h", "2.0 h"),
    ),
    Case(
        "smaller firms: a wait under the half-hour floor is no barrier",
        _sf(b.waits(p95=0.45), enterprise=b.waits(p95=0.0)),
        Question.SMALLER_FIRMS,
        Status.YES,
        want_text=("27 min", "30 min"),
    ),
    Case(
        "smaller firms: exactly at the bar (twice enterprise p95) passes",
        _sf(b.waits(p95=4.0), enterprise=b.waits(p95=2.0)),
        Question.SMALLER_FIRMS,
        Status.YES,
    ),
    Case(
        "smaller firms: SMEs wait more than twice as long",
        _sf(b.waits(p50=1.0, p95=6.0), enterprise=b.waits(p95=2.0)),
        Question.SMALLER_FIRMS,
        Status.PARTLY,
        want_failed_keys=("sf.wait_long",),
        want_text=("6.0 h", "4.0 h"),
    ),
    Case(
        "smaller firms: universities get less than 90% of their share",
        _sf(shares={"university": b.shares(0.08, 0.1)}),
        Question.SMALLER_FIRMS,
        Status.PARTLY,
        want_failed_keys=("sf.share_short",),
        want_text=("8.0%", "10.0%"),
    ),
    Case(
        "smaller firms: 90% of the share exactly passes",
        _sf(shares={"university": b.shares(0.09, 0.1)}),
        Question.SMALLER_FIRMS,
        Status.YES,
    ),
    Case(
        "smaller firms: SMEs fail both checks",
        _sf(
            b.waits(p95=10.0, still_waiting=7),
            enterprise=b.waits(p95=1.0),
            shares={"sme": b.shares(0.02, 0.1)},
        ),
        Question.SMALLER_FIRMS,
        Status.NO,
        want_failed_keys=("sf.wait_long", "sf.share_short"),
        want_text=("startups and SMEs", "10.0 h", "7 jobs"),
    ),
    Case(
        "smaller firms: no jobs of either class",
        _sf(b.waits(jobs=0), b.waits(jobs=0)),
        Question.SMALLER_FIRMS,
        Status.NO_DATA,
    ),
    # -- does the money reach projects? -----------------------------------------------------
    Case(
        "money: programs use 90% of funded hours",
        b.summary(programs={"a": b.program(used_h=900.0), "b": b.program(used_h=900.0)}),
        Question.MONEY,
        Status.YES,
        want_text=("90.0%", "1,800 GPU-h", "2,000 GPU-h"),
    ),
    Case(
        "money: 60% used is partly",
        b.summary(programs={"a": b.program(used_h=600.0)}),
        Question.MONEY,
        Status.PARTLY,
        want_failed_keys=("money.use",),
        want_text=("60.0%",),
    ),
    Case(
        "money: one program's borrowing does not hide another's idle quota",
        b.summary(programs={"a": b.program(used_h=2000.0), "b": b.program(used_h=100.0)}),
        Question.MONEY,
        Status.PARTLY,
        want_failed_keys=("money.use", "money.low"),
        want_text=("55.0%", "b"),
    ),
    Case(
        "money: 30% used is a no, and the idle programs are named",
        b.summary(programs={"idle": b.program(used_h=300.0)}),
        Question.MONEY,
        Status.NO,
        want_failed_keys=("money.use", "money.low"),
        want_text=("30.0%", "idle", "3.50 M KRW"),
    ),
    Case(
        "money: a program that would overspend within a year caps the answer at partly",
        b.summary(
            programs={"hungry": b.program(granted=1e9, spent=1e8, used_h=950.0)}, sim_days=7.0
        ),
        Question.MONEY,
        Status.PARTLY,
        want_failed_keys=("money.over",),
        want_text=("hungry", "521.4%"),
    ),
    Case(
        "money: no program has a quota",
        b.summary(programs={"free": b.program(quota_h=0.0, used_h=10.0)}),
        Question.MONEY,
        Status.NO_DATA,
    ),
    # -- can the power limits be kept? ------------------------------------------------------
    Case(
        "power: every site below 95%",
        b.summary(peak_mw={"north": 9.4}),
        Question.POWER,
        Status.YES,
        want_text=("north", "9.4 MW", "10.0 MW", "94.0%"),
    ),
    Case(
        "power: a site at its cap has no headroom",
        b.summary(peak_mw={"north": 10.0}),
        Question.POWER,
        Status.PARTLY,
        want_failed_keys=("power.near",),
        want_text=("1 of 2 sites", "north (100.0%)"),
    ),
    Case(
        "power: a site over its cap",
        b.summary(peak_mw={"north": 10.5, "south": 19.5}),
        Question.POWER,
        Status.NO,
        want_failed_keys=("power.over", "power.near"),
        want_text=("north (105.0%)", "south (97.5%)"),
    ),
    Case(
        "power: jobs that waited for power are counted",
        b.summary(peak_mw={"north": 9.9}),
        Question.POWER,
        Status.PARTLY,
        want_failed_keys=("power.near",),
        want_text=("Up to 42 jobs",),
        power_waits_peak=42,
    ),
    # -- do public services get their GPUs? -------------------------------------------------
    Case(
        "public: p95 within a quarter of an hour",
        b.summary(public_inference=b.waits(20, 0.0, 0.25)),
        Question.PUBLIC,
        Status.YES,
        want_text=("15 min", "20 public"),
    ),
    Case(
        "public: p95 of an hour is the limit",
        b.summary(public_inference=b.waits(20, 0.1, 1.0)),
        Question.PUBLIC,
        Status.PARTLY,
        want_failed_keys=("public.wait",),
        want_text=("1.0 h", "15 min", "6 min"),
    ),
    Case(
        "public: p95 over an hour",
        b.summary(public_inference=b.waits(20, 0.5, 2.5)),
        Question.PUBLIC,
        Status.NO,
        want_failed_keys=("public.wait",),
        want_text=("2.5 h",),
    ),
    Case(
        "public: no public inference jobs",
        b.summary(public_inference=b.waits(0)),
        Question.PUBLIC,
        Status.NO_DATA,
    ),
    Case(
        "public: another instance of Thresholds moves the bar",
        b.summary(public_inference=b.waits(20, 0.1, 0.5)),
        Question.PUBLIC,
        Status.YES,
        thresholds=Thresholds(public_p95_good_h=1.0),
    ),
]


def _verdict(case: Case) -> Verdict:
    judged = verdicts(case.summary, case.thresholds, power_waits_peak=case.power_waits_peak)
    assert [v.question for v in judged] == list(Question)
    return next(v for v in judged if v.question is case.question)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_verdict(case: Case) -> None:
    v = _verdict(case)
    assert v.status is case.want_status
    assert v.headline.key.endswith(f".{case.want_status.value}")
    failed = tuple(line.key for line in v.lines if line.ok is False)
    assert failed == case.want_failed_keys
    english = " ".join(render_line(Lang.EN, line) for line in (v.headline, *v.lines))
    for figure in case.want_text:
        assert figure in english, f"{figure!r} not in {english!r}"
    korean = " ".join(render_line(Lang.KO, line) for line in (v.headline, *v.lines))
    assert korean and "{" not in korean and "{" not in english


def test_a_no_names_the_classes_that_fail_both_checks() -> None:
    s = _sf(b.waits(p95=9.0), b.waits(p95=9.0), b.waits(p95=1.0))
    s["gpu_hours"]["by_tenant_class"]["sme"] = b.shares(0.01, 0.2)
    s["gpu_hours"]["by_tenant_class"]["university"] = b.shares(0.01, 0.2)
    v = verdicts(s)[0]
    assert v.status is Status.NO
    assert v.headline.params["classes"] == (Term("class.sme"), Term("class.university"))
    assert render_line(Lang.EN, v.headline).startswith("No. startups and SMEs, universities")
    assert "중소기업·스타트업, 대학" in render_line(Lang.KO, v.headline)


def test_worst_orders_no_below_partly_below_yes_and_no_data_last() -> None:
    assert worst([Status.YES, Status.NO, Status.PARTLY]) is Status.NO
    assert worst([Status.YES, Status.PARTLY]) is Status.PARTLY
    assert worst([Status.YES, Status.NO_DATA]) is Status.YES
    assert worst([]) is Status.NO_DATA


def test_thresholds_are_written_out_from_the_instance_in_both_languages() -> None:
    th = Thresholds(wait_ratio_max=3.0, power_near_cap=0.9, public_p95_max_h=2.0)
    for lang in Lang:
        text = " ".join(thresholds_text(lang, th))
        assert "3" in text and "90.0%" in text and "2.0 h" in text
        assert "{" not in text
