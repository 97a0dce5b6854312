"""`aigrid twin fragmentation`, run in process the way a user runs it."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.cli import run_aigrid
from tests.fragmentation.builders import write_nodes, write_pods


def _files(tmp_path: Path) -> tuple[Path, Path]:
    nodes = write_nodes(
        tmp_path / "nodes.csv",
        [(32000, 65536, 2, "T4"), (32000, 65536, 2, "T4"), (8000, 16384, 0, "")],
    )
    pods = write_pods(
        tmp_path / "pods.csv",
        [(1000, 1024, 1, 500), (1000, 1024, 1, 500), (2000, 2048, 1, 1000), (500, 512, 0, 0)],
    )
    return nodes, pods


def test_writes_the_curve_the_plot_and_prints_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    nodes, pods = _files(tmp_path)
    out = tmp_path / "out"
    r = run_aigrid(
        capsys,
        monkeypatch,
        "twin",
        "fragmentation",
        str(pods),
        "--nodes",
        str(nodes),
        "--policies",
        "pack,frag-aware",
        "--seeds",
        "1..3",
        "--out",
        str(out),
    )
    assert r.exit_code == 0, r.err
    assert "2 GPU nodes, 4 GPUs (1 CPU-only nodes left out)" in r.out
    assert "4 pods (3 with GPUs, 1 CPU-only), asking 2.0 GPUs = 50.0% of the cluster" in r.out
    for text in ("policy", "at 100% arrived", "at 130% arrived", "pack", "frag-aware"):
        assert text in r.out
    with (out / "allocation.csv").open() as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["policy", "seed", "arrived_pct", "allocated_pct"]
    assert len(rows) == 1 + 2 * 3 * 27  # 0, 5, ..., 130 for each policy and seed
    assert {(p, s) for p, s, _, _ in rows[1:]} == {
        (p, str(s)) for p in ("pack", "frag-aware") for s in (1, 2, 3)
    }
    html = (out / "allocation.html").read_text()
    assert "plotly" in html and "frag-aware" in html
    assert '<script src="https://cdn.plot.ly' not in html  # plotly.js inside: opens offline


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--policies", "pack,tetris"), "unknown policy 'tetris'; known: random, best-fit"),
        (("--seeds", "9..3"), "seed range '9..3' runs backwards"),
        (("--seeds", "x"), "bad seeds 'x': expected a range like 42..51"),
        (("--step", "50", "--until", "20"), "--step 50 is larger than --until 20"),
    ],
)
def test_bad_options(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    message: str,
) -> None:
    nodes, pods = _files(tmp_path)
    r = run_aigrid(
        capsys, monkeypatch, "twin", "fragmentation", str(pods), "--nodes", str(nodes), *args
    )
    assert r.exit_code == 2
    assert message in r.err
    assert r.err.startswith("error: ")


def test_bad_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    nodes, pods = _files(tmp_path)

    def run(*args: str) -> str:
        r = run_aigrid(capsys, monkeypatch, "twin", "fragmentation", *args)
        assert r.exit_code == 2
        return r.err

    assert "missing.csv: no such file" in run(str(tmp_path / "missing.csv"), "--nodes", str(nodes))
    # the node list given as the pod list: its header lacks the pod columns
    assert "header lacks column(s) name" in run(str(nodes), "--nodes", str(nodes))
    cpu_only = write_nodes(tmp_path / "cpu.csv", [(8000, 16384, 0, "")])
    assert "no node with GPUs" in run(str(pods), "--nodes", str(cpu_only))
    bad = tmp_path / "bad.csv"
    bad.write_text(pods.read_text().replace("pod-1,1000,1024,1,500", "pod-1,1000,1024,1,lots"))
    assert "bad.csv:3: gpu_milli" in run(str(bad), "--nodes", str(nodes))
    out_file = tmp_path / "taken"
    out_file.write_text("")
    assert "cannot make the output directory" in run(
        str(pods), "--nodes", str(nodes), "--seeds", "1", "--out", str(out_file)
    )
