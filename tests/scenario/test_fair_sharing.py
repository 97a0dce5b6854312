"""What a scenario says of fair sharing: program weights and the priority class of streams."""

from __future__ import annotations

from aigrid.model import PriorityClass
from aigrid.scenario import parse_scenario
from aigrid.scenario.demand import generate
from aigrid.scheduler import ClusterState
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


def test_a_cohort_tree_with_limits_and_an_owner_lending_its_pools() -> None:
    """Acme lends up to 32 of its B200s, as `acme/B200`, to a national cohort above the
    programs' own cohorts; the research program may borrow at most 16 beyond its quota."""
    text = edit(
        builtin_text("tiny"),
        "    quota: {B200: 128}\n    owners: [acme]\n    cohort: acme\n",
        "    quota: {acme/B200: 128}\n    owners: [acme]\n    cohort: industry\n"
        "    lending_limit: {acme/B200: 32}\n",
    )
    text = edit(
        text,
        "    quota: {B200: 128, H200: 128}\n    owners: [gov]\n",
        "    quota: {B200: 128, H200: 128}\n    owners: [gov, acme]\n"
        "    borrowing_limit: {acme/B200: 16}\n",
    )
    text = edit(
        text,
        "\ndemand:\n",
        "\ncohorts:\n  - {id: all}\n  - {id: national, parent: all}\n"
        "  - {id: industry, parent: all, weight: 2}\n\ndemand:\n",
    )
    sc = parse_scenario(text, "tiny.yaml")
    ten = sc.tenancy
    assert ten.cohorts["industry"].parent == "all"
    assert ten.cohorts["industry"].weight == 2.0
    assert ten.programs["acme"].lending_limit == {"acme/B200": 32}
    state = ClusterState(sc.fleet, ten)
    acme_pools = {i for i, p in enumerate(sc.fleet.pools) if p.owner == "acme"}
    assert {state.pool_key[i] for i in acme_pools} == {"acme/B200"}
    assert state.tree.available("acme", "acme/B200") == 128
    # Research has no acme/B200 quota of its own: it may borrow 16 of the 32 lent.
    assert state.tree.available("research", "acme/B200") == 16
    assert state.tree.available("startup", "acme/B200") == 32
