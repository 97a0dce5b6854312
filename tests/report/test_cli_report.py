"""`--lang` on `aigrid twin run`, `compare` and `report`, and `aigrid twin report DIR`."""

from __future__ import annotations

from pathlib import Path

import pytest

from aigrid.report.i18n import Lang, t
from aigrid.report.verdicts import Question
from tests.cli import run_aigrid

SHORT = ("--days", "1", "--warmup-days", "0.5")


def _questions(lang: Lang) -> list[str]:
    return [t(lang, f"q.{q.value}") for q in Question]


def test_run_in_korean_writes_a_korean_report_and_report_rewrites_it_in_english(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    r = run_aigrid(
        capsys, monkeypatch, "twin", "run", "tiny", *SHORT, "--out", str(tmp_path), "--lang", "ko"
    )
    assert r.exit_code == 0, r.err
    for question in _questions(Lang.KO):
        assert question in r.out
    assert t(Lang.EN, "q.money") not in r.out
    report = tmp_path / "report.html"
    assert '<html lang="ko">' in report.read_text(encoding="utf-8")
    assert str(report) in r.out.replace("\n", "")

    r = run_aigrid(capsys, monkeypatch, "twin", "report", str(tmp_path), "--lang", "en")
    assert r.exit_code == 0, r.err
    page = report.read_text(encoding="utf-8")
    assert '<html lang="en">' in page
    for question in _questions(Lang.EN):
        assert question in page


def test_compare_speaks_korean(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    r = run_aigrid(
        capsys,
        monkeypatch,
        "twin",
        "compare",
        "tiny",
        "--policies",
        "fifo,fair",
        *SHORT,
        "--lang",
        "ko",
    )
    assert r.exit_code == 0, r.err
    for question in _questions(Lang.KO):
        assert question in r.out
    assert "fifo (시드 42)" in r.out and "fair (시드 42)" in r.out


def test_report_of_a_directory_without_a_run_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    r = run_aigrid(capsys, monkeypatch, "twin", "report", str(tmp_path))
    assert r.exit_code == 2
    assert "not a twin run's output directory" in r.err
    assert not (tmp_path / "report.html").exists()


def test_an_unknown_language_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    r = run_aigrid(capsys, monkeypatch, "twin", "report", str(tmp_path), "--lang", "fr")
    assert r.exit_code == 2
    assert "fr" in r.err
