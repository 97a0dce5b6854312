"""The report's figures draw the run's own numbers: built here from a summary and two small
tables whose every value is known."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from aigrid.report.html import RunData, build_figures
from aigrid.report.i18n import Lang, t
from tests.report import builders as b

WANT_IDS = [
    "fig-utilization",
    "fig-waits",
    "fig-shares",
    "fig-power",
    "fig-energy",
    "fig-burn",
    "fig-budget",
    "fig-pending",
]


def _data(summary: dict[str, Any] | None = None) -> RunData:
    s = summary or b.summary()
    jobs = pa.table(
        {
            "tenant_class": ["sme", "sme", "sme", "enterprise", "sme"],
            "wait_s": [0.0, 3600.0, 7200.0, 0.0, 360000.0],
            "state": ["completed", "completed", "running", "completed", "completed"],
            # The last job was submitted in the warm-up: its long wait must not be drawn.
            "measured": [True, True, True, True, False],
        }
    )
    ts = pa.table(
        {
            "t_s": [86400.0, 90000.0],
            "pending": [3, 5],
            "busy_gpus.gov": [300, 600],
            "busy_gpus.acme": [100, 0],
            "mw.north": [4.0, 9.5],
            "mw.south": [10.0, 10.0],
            "pending_by_reason.power_cap": [1, 4],
            "pending_by_reason.quota": [0, 0],
            "pending_by_reason.some_new_reason": [2, 1],
            "spent_krw.open": [0.0, 5e6],
            "spent_krw.sme": [0.0, 0.0],
        }
    )
    return RunData(s, jobs, ts)


def _traces(fig: Any) -> dict[str, Any]:
    return {tr.name: tr for tr in fig.data}


def test_the_figures_and_their_order() -> None:
    figures = build_figures(_data(), Lang.EN)
    assert [f.id for f in figures] == WANT_IDS
    for f in figures:
        assert f.title == t(Lang.EN, f"fig.{f.id.removeprefix('fig-')}.title")
        assert "{" not in f.caption


def test_utilization_is_busy_over_the_owners_gpus_by_simulated_day() -> None:
    fig = build_figures(_data(), Lang.EN)[0].figure
    traces = _traces(fig)
    assert list(traces["gov"].y) == [50.0, 100.0]
    assert list(traces["acme"].y) == [25.0, 0.0]
    assert list(traces["gov"].x) == [1.0, pytest.approx(90000.0 / 86400.0)]


def test_waits_draw_measured_jobs_that_were_not_rejected() -> None:
    fig = build_figures(_data(), Lang.EN)[1].figure
    sme = _traces(fig)["sme"]
    assert sme.x[0] == 0.0 and sme.x[-1] == 2.0  # hours; the warm-up job's 100 h is left out
    assert sme.y[0] == 0.0 and sme.y[-1] == 100.0
    assert set(_traces(fig)) == {"sme", "enterprise"}


def test_power_panels_show_draw_and_cap_per_site() -> None:
    fig = build_figures(_data(), Lang.EN)[3].figure
    draws = [tr for tr in fig.data if tr.legendgroup == "draw"]
    caps = [tr for tr in fig.data if tr.legendgroup == "cap"]
    assert [list(tr.y) for tr in draws] == [[4.0, 9.5], [10.0, 10.0]]
    assert [list(tr.y) for tr in caps] == [[10.0, 10.0], [20.0, 20.0]]


def test_energy_shows_cost_and_carbon_by_site_where_the_run_has_them() -> None:
    s = b.summary()
    assert len(build_figures(_data(s), Lang.EN)[4].figure.data) == 1
    s["energy"]["cost_krw_by_site"] = {"north": 1e7, "south": 2e7}
    s["energy"]["tco2_by_site"] = {"north": 5.0, "south": 6.0}
    energy = build_figures(_data(s), Lang.EN)[4]
    assert [list(tr.y) for tr in energy.figure.data] == [
        [100.0, 100.0],
        [1e7, 2e7],
        [5.0, 6.0],
    ]
    assert "1,234 MWh" in energy.caption and "250.00 M KRW" in energy.caption


def test_pending_reasons_have_words_and_unknown_codes_keep_their_slug() -> None:
    fig = build_figures(_data(), Lang.KO)[7].figure
    names = [tr.name for tr in fig.data]
    assert names == [t(Lang.KO, "reason.power_cap"), t(Lang.KO, "reason.quota"), "some_new_reason"]
    quota = fig.data[1]
    assert quota.visible == "legendonly"


def test_budget_figure_shows_funded_use_against_the_thresholds() -> None:
    s = b.summary(programs={"open": b.program(used_h=500.0), "free": b.program(quota_h=0.0)})
    fig = build_figures(_data(s), Lang.EN)[6].figure
    used = fig.data[-1]
    assert list(used.y) == ["free", "open"] and list(used.x) == [None, 50.0]
    assert sorted(shape.x0 for shape in fig.layout.shapes) == [50.0, 80.0]
