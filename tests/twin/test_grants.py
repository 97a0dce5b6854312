"""Grants in the twin: a stream's orgs each get a grant, jobs start only on their org's credit."""

from __future__ import annotations

from pathlib import Path

from aigrid.model import JobState
from aigrid.report.output import jobs_table
from aigrid.report.summary import summarize
from aigrid.scenario import load_scenario
from aigrid.scheduler import Policy, Reason, ReasonCode
from aigrid.twin.run import run_twin
from tests.scenario.helpers import builtin_text, edit

GRANT_WAIT = Reason(ReasonCode.GRANT).message


def test_each_org_of_a_stream_spends_its_own_grant_and_no_more(tmp_path: Path) -> None:
    # 12 startups, 40 GPU-hours each: far less than the stream asks for in three days.
    text = edit(
        builtin_text("tiny"), "    orgs: 12\n", "    orgs: 12\n    grant: {gpu_hours: 40}\n"
    )
    path = tmp_path / "granted.yaml"
    path.write_text(text, encoding="utf-8")
    sc = load_scenario(str(path))
    assert len(sc.tenancy.grants) == 12
    assert {g.org for g in sc.tenancy.grants} == {f"sme-training-{k:03d}" for k in range(12)}

    run = run_twin(sc, days=3, seed=1, policy=Policy())
    summary = summarize(run)
    grants = summary["grants"]["gpu_hours"]
    assert grants["grants"] == 12 and grants["credit"] == 480.0
    assert 0 < grants["spent"] + grants["held"] <= 480.0
    assert summary["pending_reasons"]["grant"] > 0

    table = jobs_table(run)
    ids, paid_by_grant = table.column("id").to_pylist(), table.column("paid_by_grant").to_pylist()
    paid = dict(zip(ids, paid_by_grant, strict=True))
    assert paid == {j.id: j.program == "startup" for j in run.jobs}
    startup = [j for j in run.jobs if j.program == "startup"]
    assert startup and all(j.account == j.org for j in startup)
    assert all(j.account is None for j in run.jobs if j.program != "startup")
    # Per org, the GPU-hours its jobs ran never exceed its grant.
    used: dict[str, float] = {}
    for j in startup:
        if j.first_start_s is not None and j.placement is not None:
            end = j.end_s if j.end_s is not None else run.world.horizon_s
            used[j.org] = used.get(j.org, 0.0) + j.placement.gpus * (end - j.first_start_s)
    assert used and max(used.values()) <= 40 * 3600 + 1e-6
    waiting = [j for j in startup if j.state is JobState.PENDING]
    assert any(j.pending_reason == GRANT_WAIT for j in waiting)
