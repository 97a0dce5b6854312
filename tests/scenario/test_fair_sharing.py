"""What a scenario says of fair sharing: program weights and the priority class of streams."""

from __future__ import annotations

from aigrid.model import PriorityClass
from aigrid.scenario import parse_scenario
from aigrid.scenario.demand import generate
from tests.scenario.helpers import builtin_text, edit


def test_weights_reach_programs_and_priority_classes_reach_jobs() -> None:
    text = edit(
        builtin_text("tiny"), "    name: Startup GPU vouchers\n", "    name: S\n    weight: 2.5\n"
    )
    text = edit(text, "    orgs: 10\n", "    orgs: 10\n    priority_class: high\n")
    sc = parse_scenario(text, "tiny.yaml")
    assert sc.tenancy.programs["startup"].weight == 2.5
    assert sc.tenancy.programs["research"].weight == 1.0
    jobs = generate(sc, 1, seed=1)
    high = {j.priority_class for j in jobs if j.org.startswith("uni-training-")}
    others = {j.priority_class for j in jobs if not j.org.startswith("uni-training-")}
    assert high == {PriorityClass.HIGH}
    assert others == {PriorityClass.NORMAL}
