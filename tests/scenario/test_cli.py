"""`aigrid scenario validate | show | list`, run through the `aigrid` entry point."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scenario.helpers import builtin_text, edit, run_aigrid


def test_validate_prints_ok_with_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(builtin_text("tiny"), encoding="utf-8")
    run = run_aigrid(capsys, monkeypatch, "scenario", "validate", str(path))
    assert (run.exit_code, run.err) == (0, "")
    assert run.out == f"ok: {path} (2 sites, 3 pools, 448 GPUs)\n"


def test_validate_takes_a_builtin_name(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run = run_aigrid(capsys, monkeypatch, "scenario", "validate", "korea-2026")
    assert run.exit_code == 0
    assert run.out == "ok: korea-2026 (15 sites, 26 pools, 260,000 GPUs)\n"


def test_show_prints_totals_power_programs_and_demand(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run = run_aigrid(capsys, monkeypatch, "scenario", "show", "korea-2026")
    assert (run.exit_code, run.err) == (0, "")
    out = run.out
    for owner, gpus in [
        ("gov", "50,000"),
        ("samsung", "50,000"),
        ("sk", "50,000"),
        ("hyundai", "50,000"),
        ("naver", "60,000"),
    ]:
        assert f"{owner} total" in out
        assert gpus in out
    assert "260,000" in out
    for title in ("GPUs by owner, site and model", "Sites:", "Programs:", "Demand streams:"):
        assert title in out
    assert "nacc-haenam" in out and "binds" in out
    assert "gov-gpu-pool" in out and "1.46 T" in out
    assert "gov26-public-inference" in out and "jobs/day" in out


def test_show_reads_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(builtin_text("tiny"), encoding="utf-8")
    run = run_aigrid(capsys, monkeypatch, "scenario", "show", str(path))
    assert run.exit_code == 0
    assert "448" in run.out and "daejeon" in run.out and "-0.1 binds" in run.out


def test_list_names_the_builtins(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run = run_aigrid(capsys, monkeypatch, "scenario", "list")
    assert run.exit_code == 0
    assert "korea-2026" in run.out and "260,000" in run.out
    assert "tiny" in run.out and "448" in run.out


def test_user_text_is_printed_as_is_never_as_markup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Brackets in a file (a key, a description) are not console markup: no crash, no loss."""
    text = edit(
        builtin_text("tiny"),
        "description: Two sites, three pools",
        "description: '[/bold] [red]x[/red]'\nx-description: Two sites, three pools",
    ).replace("x-description:", "#")
    path = tmp_path / "brackets.yaml"
    path.write_text(text, encoding="utf-8")
    run = run_aigrid(capsys, monkeypatch, "scenario", "show", str(path))
    assert run.exit_code == 0
    assert "[/bold] [red]x[/red]" in run.out
    bad = edit(text, "    pue: 1.3\n", "    pue: 1.3\n    '[/x]': 1\n")
    path.write_text(bad, encoding="utf-8")
    run = run_aigrid(capsys, monkeypatch, "scenario", "validate", str(path))
    assert run.exit_code == 2
    assert "unknown key '[/x]'" in run.err
