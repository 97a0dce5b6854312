"""The compiled hot path (`aigrid.compiled`): used when it matches its sources, never when it
does not, and deciding exactly as the sources do.

These tests need the build that scripts/test.sh makes (`aigrid compile`); each runs aigrid in
a fresh interpreter, so they hold whether this process runs the build or the sources."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from aigrid import compiled

# Prints the build's status, where the scheduler's placement came from, and every job of a
# small twin run (arrival, start, end and where it ran) as JSON.
_RUN = """
import json, sys
import aigrid
from aigrid import compiled
from aigrid.scheduler import placement
from aigrid.scenario import load_scenario
from aigrid.scheduler import Policy
from aigrid.twin.run import run_twin
scenario, days, seed, policy = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
run = run_twin(load_scenario(scenario), days=days, warmup_days=0.5, seed=seed,
               policy=Policy.parse(policy))
jobs = [
    [j.id, j.state.value, j.submit_s, j.start_s, j.end_s, j.first_start_s, j.preemptions,
     None if j.placement is None else repr(j.placement)]
    for j in sorted(run.jobs, key=lambda j: j.id)
]
print(json.dumps({"status": aigrid.COMPILED, "compiled": compiled.is_compiled(placement),
                  "events": run.world.engine.events, "jobs": jobs}))
"""


def _python(
    code: str, *args: str, pure: bool, path: Path | None = None
) -> tuple[dict[str, Any], str]:
    env = {k: v for k, v in os.environ.items() if k != compiled.PURE_ENV}
    if pure:
        env[compiled.PURE_ENV] = "1"
    if path is not None:
        env["PYTHONPATH"] = str(path)
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


@pytest.fixture(scope="module")
def build() -> None:
    """The tests below need the build on disk, up to date."""
    env = {k: v for k, v in os.environ.items() if k != compiled.PURE_ENV}
    done = subprocess.run(
        [sys.executable, "-c", "from aigrid import compiled; print(compiled.status())"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    status = done.stdout.strip()
    if status != "compiled":
        pytest.fail(
            f"the compiled modules are {status}: run `aigrid compile` (scripts/test.sh does)"
        )


@pytest.mark.parametrize(
    ("scenario", "days", "seed", "policy"),
    [
        ("tiny", 6, 1, "fair"),
        ("tiny", 6, 7, "fifo"),
        ("tiny", 6, 3, "fair+reclaim+priority+fairshare+place=random"),
        ("tiny", 4, 5, "fair+powercap+defer+grace=5m"),
        ("korea-2026", 0.5, 42, "fair"),
    ],
)
def test_the_build_decides_exactly_as_the_sources(
    build: None, scenario: str, days: float, seed: int, policy: str
) -> None:
    native, _ = _python(_RUN, scenario, str(days), str(seed), policy, pure=False)
    source, _ = _python(_RUN, scenario, str(days), str(seed), policy, pure=True)
    assert (native["status"], native["compiled"]) == ("compiled", True)
    assert (source["status"], source["compiled"]) == ("disabled", False)
    assert native["events"] == source["events"]
    assert len(native["jobs"]) == len(source["jobs"]) > 0
    for a, b in zip(native["jobs"], source["jobs"], strict=True):
        assert a == b


def test_a_build_older_than_its_sources_is_never_loaded(build: None, tmp_path: Path) -> None:
    # A copy of the package and its build, with one compiled source edited after the build.
    shutil.copytree(compiled.PACKAGE, tmp_path / "aigrid")
    for runtime in compiled.SOURCE_ROOT.glob("*__mypyc*"):
        shutil.copy2(runtime, tmp_path / runtime.name)
    edited = tmp_path / "aigrid" / "scheduler" / "placement.py"
    edited.write_text(edited.read_text() + "\nEDITED_AFTER_THE_BUILD = True\n")
    code = _RUN.replace(
        'print(json.dumps({"status"',
        'assert placement.EDITED_AFTER_THE_BUILD\nprint(json.dumps({"status"',
    )
    out, _ = _python(code, "tiny", "2", "1", "fair", pure=False, path=tmp_path)
    assert (out["status"], out["compiled"]) == ("stale", False)
    # The command line says so (but `aigrid compile` itself, which is about to rebuild).
    cli = "import sys; from aigrid.cli import main; sys.argv[0] = 'aigrid'; main()"
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    env.pop(compiled.PURE_ENV, None)
    for args, note in ((["scenario", "list"], True), (["compile", "--status"], False)):
        done = subprocess.run(
            [sys.executable, "-c", cli, *args], check=False, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        assert ("older than their sources" in done.stderr) is note, (args, done.stderr)
    assert "stale" in done.stdout
    # The untouched copy loads its build.
    edited.write_text(edited.read_text().replace("\nEDITED_AFTER_THE_BUILD = True\n", ""))
    out, err = _python(_RUN, "tiny", "2", "1", "fair", pure=False, path=tmp_path)
    assert (out["status"], out["compiled"]) == ("compiled", True)
    assert err == ""


def test_without_a_build_the_sources_run_silently(tmp_path: Path) -> None:
    shutil.copytree(compiled.PACKAGE, tmp_path / "aigrid", ignore=shutil.ignore_patterns("*.so"))
    (tmp_path / "aigrid" / compiled.STAMP.name).unlink(missing_ok=True)
    out, err = _python(_RUN, "tiny", "2", "1", "fair", pure=False, path=tmp_path)
    assert (out["status"], out["compiled"]) == ("absent", False)
    assert err == ""
