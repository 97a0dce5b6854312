"""The public surface of `aigrid.traces`, and the calibration helpers on small inputs."""

from __future__ import annotations

import types
from pathlib import Path

from aigrid import traces
from aigrid.traces import read_philly
from aigrid.traces.calibration import CASES, Case, published, run_case, table
from tests.traces.helpers import TRACES, needs_traces, write


def test_all_names_the_public_surface() -> None:
    public = {
        name
        for name, value in vars(traces).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert set(traces.__all__) == public
    assert traces.__all__ == sorted(traces.__all__, key=lambda n: (not n.isupper(), n))


@needs_traces
def test_published_figures_are_read_from_the_summaries() -> None:
    assert published(TRACES) == {"Philly": (3760.604, 189.0), "Helios": (862.047, 0.0)}


def test_a_calibration_case_on_a_small_list(tmp_path: Path) -> None:
    rows = "".join(f"2017-10-01 00:{m:02d}:00,600,8,4800,v{m % 2}\n" for m in range(30))
    trace = read_philly(
        write(tmp_path, "p.csv", "timestamp,duration,num_gpus,gpu_time,cluster\n" + rows)
    )
    # One 8-GPU machine in service of each pool: 30 jobs of 8 GPUs, one every minute, 10 min each.
    outcome = run_case(trace, Case("tiny", in_service=0.001))
    assert outcome.gpus == 8 + 2
    assert outcome.median_wait_s > 0 and outcome.mean_wait_s > outcome.median_wait_s / 2
    assert outcome.still_waiting == 0
    text = table([outcome], {"Philly": (3760.6, 189.0)})
    assert "| tiny | 10 |" in text and "| published: Philly | | 3,761 | 189 |" in text
    assert CASES[0].shape is traces.PhillyShape.MACHINE_LIST and not CASES[0].vc_quotas
