"""The built-in scenarios: they load, and korea-2026 holds the numbers the facts give."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest
import yaml

from aigrid.energy.tariff import check_tariff
from aigrid.model import JobClass, PowerLaw, Scenario, TenantClass, Zone
from aigrid.scenario import builtin_scenarios, load_scenario
from aigrid.scenario.demand import expected_jobs_per_day, size_pmf
from aigrid.scenario.source import _Loader
from tests.scenario.helpers import builtin_text

GOVERNMENT_PROGRAMS = {
    "gov-gpu-pool",
    "sovereign-fm",
    "csp-share",
    "kisti-sc6",
    "gov-2026-purchase",
    "nacc",
    "nipa-hpc-support",
}
OVERSUBSCRIBED = {"gov-gpu-pool", "nipa-hpc-support"}


@pytest.fixture(scope="module")
def korea() -> Scenario:
    return load_scenario("korea-2026")


def test_builtins_are_listed_and_load() -> None:
    assert builtin_scenarios() == ["korea-2026", "tiny"]
    for name in builtin_scenarios():
        scenario = load_scenario(name)
        assert scenario.name == name
        for tariff in scenario.tariffs.values():
            check_tariff(tariff)


def test_tiny_is_small() -> None:
    tiny = load_scenario("tiny")
    assert (len(tiny.fleet.sites), len(tiny.fleet.pools), tiny.fleet.gpus) == (2, 3, 448)
    assert tiny.tenancy.cohort_members("national") == ("research", "startup")


def test_korea_has_260k_gpus_split_as_announced(korea: Scenario) -> None:
    """facts §1.1: government ~50k, Samsung 50k, SK 50k, Hyundai 50k, NAVER ~60k."""
    want = {"gov": 50_000, "samsung": 50_000, "sk": 50_000, "hyundai": 50_000, "naver": 60_000}
    assert korea.fleet.gpus == pytest.approx(260_000, rel=0.03)
    got = korea.fleet.gpus_by_owner()
    assert set(got) == set(want)
    for owner, gpus in want.items():
        assert got[owner] == pytest.approx(gpus, rel=0.03), owner


def test_korea_government_programs_hold_the_facts(korea: Scenario) -> None:
    programs = korea.tenancy.programs
    assert programs["gov-gpu-pool"].budget_krw == 1.46e12
    assert programs["gov-gpu-pool"].quota_gpus + programs["sovereign-fm"].quota_gpus == 10_456
    assert programs["sovereign-fm"].quota_gpus == 4 * 1024
    assert programs["gov-2026-purchase"].quota_gpus == 9_704
    assert programs["kisti-sc6"].quota_gpus == 8_496
    assert set(korea.tenancy.cohort_members("national")) == GOVERNMENT_PROGRAMS
    pool = programs["gov-gpu-pool"]
    assert pool.price_fraction_for(TenantClass.UNIVERSITY) == 0
    assert pool.price_fraction_for(TenantClass.RESEARCH) == 0
    assert 0.05 <= pool.price_fraction_for(TenantClass.SME) <= 0.10


def test_korea_each_owner_has_its_own_cohort(korea: Scenario) -> None:
    for owner in ("samsung", "sk", "hyundai", "naver"):
        members = korea.tenancy.cohort_members(owner)
        assert members, owner
        assert all(korea.tenancy.programs[m].owners == (owner,) for m in members)


def test_korea_quotas_add_up_to_the_hardware(korea: Scenario) -> None:
    hardware: dict[tuple[str, str], int] = defaultdict(int)
    for pool in korea.fleet.pools:
        hardware[pool.owner, pool.gpu_model] += pool.gpus
    quota: dict[tuple[str, str], int] = defaultdict(int)
    for program in korea.tenancy.programs.values():
        assert len(program.owners) == 1, program.id
        for model, count in program.quota.items():
            quota[program.owners[0], model] += count
    assert quota == hardware


def test_korea_sites_idle_under_their_caps_and_some_caps_bind(korea: Scenario) -> None:
    fleet = korea.fleet
    binding = set()
    for site in fleet.sites.values():
        assert fleet.site_power_mw(site.id, busy=False) < site.grid_cap_mw, site.id
        if fleet.site_power_mw(site.id, busy=True) > site.grid_cap_mw:
            binding.add(site.id)
    assert binding == {
        "nhn-gwangju",
        "gov-2026-csp",
        "nacc-haenam",
        "sk-industrial-cloud",
        "hyundai-capital",
    }
    header = builtin_text("korea-2026").split("\nname:")[0]
    for site_id in binding:
        assert re.search(rf"#\s+{site_id}\s+[\d.]+ MW busy vs", header), site_id


def test_korea_offers_near_full_load(korea: Scenario) -> None:
    offered: dict[str, float] = defaultdict(float)
    for stream in korea.demand:
        offered[stream.program] += stream.gpus
    for program in korea.tenancy.programs.values():
        ratio = offered[program.id] / program.quota_gpus
        if program.id in OVERSUBSCRIBED:
            assert 1.1 <= ratio <= 1.3, program.id
        else:
            assert 0.85 <= ratio <= 0.95, program.id


def test_korea_job_count_fits_the_simulator(korea: Scenario) -> None:
    """100,000-300,000 jobs in a 7-day run of the whole fleet."""
    per_day = sum(expected_jobs_per_day(s) for s in korea.demand)
    assert 100_000 <= 7 * per_day <= 300_000


def test_korea_multi_node_jobs_are_whole_servers(korea: Scenario) -> None:
    for stream in korea.demand:
        values, _ = size_pmf(stream.size)
        for size in values.tolist():
            assert size <= 4 or size % 8 == 0, (stream.id, size)
        if isinstance(stream.size, PowerLaw):
            assert stream.size.min <= 8


def test_korea_demand_covers_every_tenant_class(korea: Scenario) -> None:
    assert {s.tenant_class for s in korea.demand} == set(TenantClass)
    public_inference = [
        s
        for s in korea.demand
        if s.tenant_class is TenantClass.PUBLIC and s.job_class is JobClass.INFERENCE
    ]
    assert public_inference
    sovereign_pools = {
        p.owner for p in korea.fleet.pools if korea.fleet.sites[p.site].zone is Zone.SOVEREIGN
    }
    for stream in public_inference:
        assert stream.program in GOVERNMENT_PROGRAMS
        assert set(korea.tenancy.programs[stream.program].owners) <= sovereign_pools


def _numeric_lines(text: str) -> set[int]:
    """Lines (1-based) holding a number in the YAML document."""
    lines: set[int] = set()
    number_tags = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}

    def walk(node: yaml.Node) -> None:
        if isinstance(node, yaml.ScalarNode):
            if node.tag in number_tags or re.match(r"^[-+]?\d[\d,._]*\s*[A-Za-z]", node.value):
                lines.add(node.start_mark.line + 1)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                walk(item)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                walk(key)
                walk(value)

    root = yaml.compose(text, Loader=_Loader)
    assert root is not None
    walk(root)
    return lines


def test_every_number_in_korea_cites_the_facts_or_says_assumption() -> None:
    text = builtin_text("korea-2026")
    raw = text.splitlines()
    numeric = _numeric_lines(text)
    assert len(numeric) > 300
    missing = []
    for line in sorted(numeric):
        content = raw[line - 1]
        comment = content[content.index(" #") :] if " #" in content else ""
        if "facts §" not in comment and "assumption" not in comment:
            missing.append(f"{line}: {content.strip()}")
    assert not missing, "numbers without a citation:\n" + "\n".join(missing)


def test_korea_says_which_point_in_time_it_models(korea: Scenario) -> None:
    assert "full build-out" in korea.as_of
    assert korea.start == "2026-07-06T00:00:00"
    assert "POINT IN TIME" in builtin_text("korea-2026").split("\nname:")[0]
