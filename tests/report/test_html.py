"""report.html: one self-contained page built from a run's outputs, opened in headless Chromium,
where every plot must render with no console error."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs

from aigrid.errors import UsageError
from aigrid.report.html import REPORT_NAME, build_figures, load_run, write_report
from aigrid.report.i18n import Lang, t
from aigrid.report.output import write_outputs
from aigrid.report.summary import summarize
from aigrid.report.verdicts import Question
from aigrid.scenario import load_scenario
from aigrid.scheduler import Policy
from aigrid.twin.run import run_twin
from tests.report.chromium import INSTALL_HINT, find_chromium, open_page

OUTPUTS = ("summary.json", "jobs.parquet", "timeseries.parquet")
PAGE_WIDTH = 1280
RENDER_TIMEOUT_S = 30.0

# Every plotly div on the page, and those that plotly has drawn (an svg.main-svg inside, and at
# least one trace in its data).
PLOTS_JS = """(() => {
  const divs = [...document.querySelectorAll('.plotly-graph-div')];
  return {
    ids: divs.map(d => d.id),
    drawn: divs.filter(d => d.querySelector('svg.main-svg') && (d.data || []).length > 0)
               .map(d => d.id),
    cards: [...document.querySelectorAll('.card')].map(c => c.id + ':' + c.dataset.status),
    lang: document.documentElement.lang,
    title: document.title,
  };
})()"""
ALL_DRAWN_JS = """(() => {
  const divs = [...document.querySelectorAll('.plotly-graph-div')];
  return divs.length > 0 && divs.every(d => d.querySelector('svg.main-svg'));
})()"""


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The outputs of a short run of the built-in tiny grid, whose queues do wait."""
    out = tmp_path_factory.mktemp("run")
    run = run_twin(
        load_scenario("tiny"), days=1.5, warmup_days=1.0, seed=42, policy=Policy.parse("fair")
    )
    write_outputs(out, run, summarize(run))
    yield out


def _copy_run(run_dir: Path, to: Path) -> Path:
    for name in OUTPUTS:
        shutil.copy(run_dir / name, to / name)
    return to


@pytest.mark.parametrize("lang", list(Lang))
def test_report_is_one_self_contained_file(run_dir: Path, tmp_path: Path, lang: Lang) -> None:
    path = write_report(_copy_run(run_dir, tmp_path), lang)
    assert path == tmp_path / REPORT_NAME
    page = path.read_text(encoding="utf-8")
    # Nothing is fetched: no external script, style sheet or image; plotly.js inlined once.
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=", page)
    assert page.count(get_plotlyjs()[:300]) == 1
    figures = build_figures(load_run(tmp_path), lang)
    assert page.count("Plotly.newPlot(") == len(figures)
    assert f'<html lang="{lang.value}">' in page
    for q in Question:
        assert t(lang, f"q.{q.value}") in page


def test_report_rejects_a_directory_without_a_run(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"not a twin run's output directory \(no summary.json"):
        write_report(tmp_path)


@pytest.mark.parametrize("lang", list(Lang))
def test_every_plot_renders_in_chromium(run_dir: Path, tmp_path: Path, lang: Lang) -> None:
    chromium = find_chromium()
    if chromium is None:
        pytest.fail(INSTALL_HINT, pytrace=False)
    out = _copy_run(run_dir, tmp_path)
    path = write_report(out, lang)
    want_ids = [f.id for f in build_figures(load_run(out), lang)]

    with open_page(chromium, tmp_path / "browser", path.resolve().as_uri(), width=PAGE_WIDTH) as p:
        p.wait_until(ALL_DRAWN_JS, RENDER_TIMEOUT_S)
        got = p.evaluate(PLOTS_JS)
        shot = tmp_path / f"report-{lang.value}.png"
        width, height = p.screenshot(shot, PAGE_WIDTH)
        errors = p.console_errors()

    assert got["ids"] == want_ids
    assert got["drawn"] == want_ids, f"not drawn: {set(want_ids) - set(got['drawn'])}"
    assert errors == []
    assert got["lang"] == lang.value
    assert got["title"] == t(lang, "report.title", scenario="tiny")
    assert [c.split(":")[0] for c in got["cards"]] == [f"q-{q.value}" for q in Question]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert width == PAGE_WIDTH and height > 2000
