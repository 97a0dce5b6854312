"""Bad scenario files: each kind of mistake gives one line naming the file, the line, the place in
the document and what was expected, and `aigrid scenario validate` exits with 2.

Each case edits the built-in `tiny` scenario in one place. `want_loc` is the place as the message
prints it; `want_line` is found from a marker in the edited text, so the cases say which line they
expect without hard-coding numbers that move when tiny.yaml changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from aigrid.errors import UsageError
from aigrid.scenario import ScenarioError, load_scenario, parse_scenario
from tests.scenario.helpers import builtin_text, edit, line_of, run_aigrid

TINY = builtin_text("tiny")


@dataclass(frozen=True)
class Case:
    name: str
    old: str
    new: str
    want_loc: str
    want_line_at: str
    """A string on the line the error should name (in the edited text)."""
    want_detail: str
    """A part of the message after the place."""

    @property
    def text(self) -> str:
        return edit(TINY, self.old, self.new)


_POOL0 = "{id: dj-b200, gpu_model: B200, gpus_per_node: 8, nodes: 24, nvlink_domain: 8, owner: gov}"
_POOL_US = (
    "{id: us-b200, gpu_model: B200, gpus_per_node: 8, nodes: 16, nvlink_domain: 8, owner: acme}"
)

CASES = [
    # --- YAML itself
    Case(
        "yaml syntax error",
        "description: Two sites, three pools,",
        "description: Two sites: three pools,",
        want_loc="",
        want_line_at="description: Two sites: three pools,",
        want_detail="invalid YAML: mapping values are not allowed here",
    ),
    Case(
        "duplicate key in a mapping",
        "  acme: {name: Acme Industries, kind: industrial}",
        "  acme: {name: Acme Industries, kind: industrial}\n  gov: {name: Again}",
        want_loc="owners.gov",
        want_line_at="gov: {name: Again}",
        want_detail="duplicate key 'gov' (first at line",
    ),
    # --- shape: unknown keys, types, missing keys
    Case(
        "unknown key",
        "    pue: 1.3\n",
        "    pue: 1.3\n    cooling: liquid\n",
        want_loc="sites[0].cooling",
        want_line_at="cooling: liquid",
        want_detail="unknown key 'cooling'; expected one of: id, region, grid_cap_mw,",
    ),
    Case(
        "misspelt key gets a suggestion",
        "    grid_cap_mw: 0.5\n",
        "    grid_cap_mw: 0.5\n    tarif: kepco\n",
        want_loc="sites[1].tarif",
        want_line_at="tarif: kepco",
        want_detail="unknown key 'tarif'; did you mean 'tariff'?",
    ),
    Case(
        "string for a whole number",
        _POOL0,
        _POOL0.replace("nodes: 24", 'nodes: "24"'),
        want_loc="sites[0].pools[0].nodes",
        want_line_at="id: dj-b200",
        want_detail="expected a whole number, got the string '24'",
    ),
    Case(
        "fraction for a whole number",
        _POOL0,
        _POOL0.replace("nodes: 24", "nodes: 2.5"),
        want_loc="sites[0].pools[0].nodes",
        want_line_at="id: dj-b200",
        want_detail="expected a whole number, got 2.5",
    ),
    Case(
        "word for a number",
        "    pue: 1.25\n",
        "    pue: low\n",
        want_loc="sites[1].pue",
        want_line_at="pue: low",
        want_detail="expected a number, got the string 'low'",
    ),
    Case(
        "quoted number without a unit",
        "    grid_cap_mw: 0.5\n",
        '    grid_cap_mw: "0.5"\n',
        want_loc="sites[1].grid_cap_mw",
        want_line_at='grid_cap_mw: "0.5"',
        want_detail="expected a power in MW: a number, or a string with one of the units W, kW, "
        "MW, GW; got the string '0.5' without a unit",
    ),
    Case(
        "unknown zone",
        "    zone: commercial\n",
        "    zone: private\n",
        want_loc="sites[1].zone",
        want_line_at="zone: private",
        want_detail="expected one of 'sovereign' or 'commercial', got the string 'private'",
    ),
    Case(
        "unknown priority class",
        "    orgs: 10\n",
        "    orgs: 10\n    priority_class: urgent\n",
        want_loc="demand[0].priority_class",
        want_line_at="priority_class: urgent",
        want_detail="expected one of 'high', 'normal' or 'low', got the string 'urgent'",
    ),
    Case(
        "missing key",
        'as_of: "2026-07"\n',
        "",
        want_loc="as_of",
        want_line_at="name: tiny",
        want_detail="required key is missing",
    ),
    # --- units
    Case(
        "count of GPUs for a MW key",
        "    grid_cap_mw: 0.6\n",
        "    grid_cap_mw: 41 GPUs\n",
        want_loc="sites[0].grid_cap_mw",
        want_line_at="grid_cap_mw: 41 GPUs",
        want_detail="expected a power in MW: a number, or a string with one of the units W, kW, "
        "MW, GW; got '41 GPUs'",
    ),
    Case(
        "energy for a MW key",
        "    grid_cap_mw: 0.6\n",
        "    grid_cap_mw: 5 kWh\n",
        want_loc="sites[0].grid_cap_mw",
        want_line_at="grid_cap_mw: 5 kWh",
        want_detail="expected a power in MW",
    ),
    Case(
        "power for a KRW key",
        "    budget_krw: 5 bn KRW\n",
        "    budget_krw: 5 MW\n",
        want_loc="programs[1].budget_krw",
        want_line_at="budget_krw: 5 MW",
        want_detail="expected an amount of money in KRW: a number, or a string with one of the "
        "units KRW, k KRW, M KRW, bn KRW, T KRW; got '5 MW'",
    ),
    Case(
        "money for an hours key",
        "runtime: {median_h: 2, p90_h: 24,",
        "runtime: {median_h: 2 KRW, p90_h: 24,",
        want_loc="demand[0].runtime.median_h",
        want_line_at="median_h: 2 KRW",
        want_detail="expected a duration in h",
    ),
    # --- counts and ranges
    Case(
        "zero nodes",
        _POOL0,
        _POOL0.replace("nodes: 24", "nodes: 0"),
        want_loc="sites[0].pools[0].nodes",
        want_line_at="id: dj-b200",
        want_detail="expected a number > 0, got 0",
    ),
    Case(
        "negative GPUs per node",
        _POOL_US,
        _POOL_US.replace("gpus_per_node: 8", "gpus_per_node: -8"),
        want_loc="sites[1].pools[0].gpus_per_node",
        want_line_at="id: us-b200",
        want_detail="expected a number > 0, got -8",
    ),
    Case(
        "racks that do not divide the pool",
        _POOL0,
        _POOL0.replace("owner: gov", "rack_nodes: 5, owner: gov"),
        want_loc="sites[0].pools[0].rack_nodes",
        want_line_at="id: dj-b200",
        want_detail="24 nodes are not a whole number of 5-node racks",
    ),
    Case(
        "racks that split an NVLink domain",
        _POOL0,
        _POOL0.replace("nvlink_domain: 8", "nvlink_domain: 32").replace(
            "owner: gov", "rack_nodes: 6, owner: gov"
        ),
        want_loc="sites[0].pools[0].rack_nodes",
        want_line_at="id: dj-b200",
        want_detail="a rack of 6 nodes is not a whole number of NVLink domains (4 nodes of 8 GPUs",
    ),
    Case(
        "blocks that do not divide the racks",
        _POOL0,
        _POOL0.replace("owner: gov", "rack_nodes: 4, block_racks: 4, owner: gov"),
        want_loc="sites[0].pools[0].block_racks",
        want_line_at="id: dj-b200",
        want_detail="6 racks (of 4 nodes) are not a whole number of 4-rack blocks",
    ),
    Case(
        "blocks without racks",
        _POOL0,
        _POOL0.replace("owner: gov", "block_racks: 2, owner: gov"),
        want_loc="sites[0].pools[0].block_racks",
        want_line_at="id: dj-b200",
        want_detail="blocks are made of racks: give rack_nodes too",
    ),
    Case(
        "zero nodes per rack",
        _POOL0,
        _POOL0.replace("owner: gov", "rack_nodes: 0, owner: gov"),
        want_loc="sites[0].pools[0].rack_nodes",
        want_line_at="id: dj-b200",
        want_detail="expected a number > 0, got 0",
    ),
    Case(
        "PUE below 1",
        "    pue: 1.3\n",
        "    pue: 0.9\n",
        want_loc="sites[0].pue",
        want_line_at="pue: 0.9",
        want_detail="expected a number >= 1, got 0.9",
    ),
    Case(
        "zero grid cap",
        "    grid_cap_mw: 0.5\n",
        "    grid_cap_mw: 0\n",
        want_loc="sites[1].grid_cap_mw",
        want_line_at="grid_cap_mw: 0\n",
        want_detail="expected a number > 0, got 0",
    ),
    Case(
        "negative budget",
        "    budget_krw: 1.0e10\n",
        "    budget_krw: -1.0e10\n",
        want_loc="programs[2].budget_krw",
        want_line_at="budget_krw: -1.0e10",
        want_detail="expected a number >= 0, got -10000000000.0",
    ),
    # --- references
    Case(
        "undefined gpu model of a pool",
        _POOL0,
        _POOL0.replace("gpu_model: B200", "gpu_model: B201"),
        want_loc="sites[0].pools[0].gpu_model",
        want_line_at="id: dj-b200",
        want_detail="unknown gpu model 'B201': no gpu model of that name is defined "
        "(defined: B200, H200)",
    ),
    Case(
        "undefined owner of a pool",
        _POOL_US,
        _POOL_US.replace("owner: acme", "owner: acne"),
        want_loc="sites[1].pools[0].owner",
        want_line_at="id: us-b200",
        want_detail="unknown owner 'acne': no owner of that name is defined (defined: acme, gov)",
    ),
    Case(
        "undefined tariff of a site",
        "    tariff: kepco\n    operator: Acme",
        "    tariff: kepco-2\n    operator: Acme",
        want_loc="sites[1].tariff",
        want_line_at="tariff: kepco-2",
        want_detail="unknown tariff 'kepco-2'",
    ),
    Case(
        "undefined gpu model in a program's quota",
        "    quota: {B200: 128, H200: 128}",
        "    quota: {B200: 128, H100: 128}",
        want_loc="programs[0].quota.H100",
        want_line_at="quota: {B200: 128, H100: 128}",
        want_detail="unknown gpu model 'H100'",
    ),
    Case(
        "undefined owner in an owner/model quota key",
        "    quota: {B200: 128}\n    owners: [acme]",
        "    quota: {acne/B200: 128}\n    owners: [acme]",
        want_loc="programs[2].quota['acne/B200']",
        want_line_at="quota: {acne/B200: 128}",
        want_detail="unknown owner 'acne'",
    ),
    Case(
        "an owner/model quota beyond that owner's pools",
        "    quota: {B200: 128}\n    owners: [acme]",
        "    quota: {acme/B200: 129}\n    owners: [acme]",
        want_loc="programs[2].quota['acme/B200']",
        want_line_at="quota: {acme/B200: 129}",
        want_detail="quota of 129 acme/B200 GPUs, but the pools of its owners (acme) have 128",
    ),
    Case(
        "undefined gpu model in a lending limit",
        "    cohort: acme\n",
        "    cohort: acme\n    lending_limit: {B300: 8}\n",
        want_loc="programs[2].lending_limit.B300",
        want_line_at="lending_limit: {B300: 8}",
        want_detail="unknown gpu model 'B300'",
    ),
    Case(
        "a cohort's undefined parent",
        "\ndemand:\n",
        "\ncohorts:\n  - {id: national, parent: nation}\n\ndemand:\n",
        want_loc="cohorts[0].parent",
        want_line_at="id: national, parent: nation",
        want_detail="unknown cohort 'nation': no cohort of that name is defined",
    ),
    Case(
        "cohorts whose parents form a cycle",
        "\ndemand:\n",
        "\ncohorts:\n  - {id: national, parent: all}\n  - {id: all, parent: national}\n\ndemand:\n",
        want_loc="cohorts[0].parent",
        want_line_at="id: national, parent: all",
        want_detail="cohort 'national': its parents form a cycle",
    ),
    Case(
        "a negative borrowing limit",
        "    cohort: acme\n",
        "    cohort: acme\n    borrowing_limit: {B200: -1}\n",
        want_loc="programs[2].borrowing_limit.B200",
        want_line_at="borrowing_limit: {B200: -1}",
        want_detail="expected a number >= 0, got -1",
    ),
    Case(
        "undefined owner of a program",
        "    owners: [acme]",
        "    owners: [acme-corp]",
        want_loc="programs[2].owners[0]",
        want_line_at="owners: [acme-corp]",
        want_detail="unknown owner 'acme-corp'",
    ),
    Case(
        "undefined program of a demand stream",
        "    program: startup\n",
        "    program: startups\n",
        want_loc="demand[2].program",
        want_line_at="program: startups",
        want_detail="unknown program 'startups': no program of that name is defined "
        "(defined: acme, research, startup)",
    ),
    Case(
        "undefined gpu model of a demand stream",
        "    gpu_models: [H200]",
        "    gpu_models: [H20]",
        want_loc="demand[1].gpu_models[0]",
        want_line_at="gpu_models: [H20]",
        want_detail="unknown gpu model 'H20'",
    ),
    Case(
        "demand stream on a model its program has no quota of",
        "    program: acme\n    job_class: inference\n",
        "    program: acme\n    job_class: inference\n    gpu_models: [H200]  # added\n",
        want_loc="demand[4].gpu_models[0]",
        want_line_at="# added",
        want_detail="program 'acme' has no quota of H200 (its quota covers B200)",
    ),
    Case(
        "quota above the owners' hardware",
        "    quota: {B200: 64}",
        "    quota: {B200: 640}",
        want_loc="programs[1].quota.B200",
        want_line_at="quota: {B200: 640}",
        want_detail="quota of 640 B200 GPUs, but the pools of its owners (gov) have 192",
    ),
    # --- duplicate ids
    Case(
        "duplicate site id",
        "  - id: ulsan\n",
        "  - id: daejeon\n",
        want_loc="sites[1].id",
        want_line_at="  - id: daejeon\n    region: ulsan",
        want_detail="duplicate site id 'daejeon' (first used at sites[0].id)",
    ),
    Case(
        "duplicate pool id across sites",
        "{id: us-b200,",
        "{id: dj-h200,",
        want_loc="sites[1].pools[0].id",
        want_line_at="{id: dj-h200, gpu_model: B200",
        want_detail="duplicate pool id 'dj-h200' (first used at sites[0].pools[1].id)",
    ),
    Case(
        "duplicate program id",
        "  - id: startup\n",
        "  - id: research\n",
        want_loc="programs[1].id",
        want_line_at="  - id: research\n    name: Startup",
        want_detail="duplicate program id 'research'",
    ),
    Case(
        "duplicate demand stream id",
        "  - id: acme-inference\n",
        "  - id: acme-training\n",
        want_loc="demand[4].id",
        want_line_at="  - id: acme-training\n    tenant_class: enterprise\n    program: acme\n"
        "    job_class: inference",
        want_detail="duplicate demand stream id 'acme-training'",
    ),
    # --- distributions
    Case(
        "probabilities that do not sum to 1",
        "p: [0.4, 0.3, 0.2, 0.1]}}\n    runtime: {median_h: 2",
        "p: [0.4, 0.3, 0.2, 0.2]}}\n    runtime: {median_h: 2",
        want_loc="demand[0].size.choice",
        want_line_at="p: [0.4, 0.3, 0.2, 0.2]",
        want_detail="the probabilities p sum to 1.1, expected 1",
    ),
    Case(
        "fewer probabilities than values",
        "p: [0.3, 0.2, 0.2, 0.2, 0.1]}}",
        "p: [0.3, 0.2, 0.2, 0.3]}}  # four",
        want_loc="demand[2].size.choice",
        want_line_at="# four",
        want_detail="p has 4 probabilities for 5 values",
    ),
    Case(
        "both choice and powerlaw",
        "size: {powerlaw: {min: 4, max: 64, alpha: 1.8}}",
        "size: {powerlaw: {min: 4, max: 64, alpha: 1.8}, choice: {values: [8], p: [1]}}",
        want_loc="demand[1].size",
        want_line_at="size: {powerlaw:",
        want_detail="expected exactly one of 'choice' or 'powerlaw'",
    ),
    Case(
        "job larger than any pool the stream may use",
        "values: [8, 16, 32, 64], p:",
        "values: [8, 16, 32, 256], p:",
        want_loc="demand[3].size.choice.values",
        want_line_at="values: [8, 16, 32, 256]",
        want_detail="jobs of up to 256 GPUs, but the largest pool this stream may use has 128 GPUs",
    ),
    # --- power
    Case(
        "idle power above the grid cap",
        "    grid_cap_mw: 0.6\n",
        "    grid_cap_mw: 0.3\n",
        want_loc="sites[0].grid_cap_mw",
        want_line_at="grid_cap_mw: 0.3",
        want_detail="site 'daejeon' draws 0.354 MW with every GPU idle (sum of GPUs x "
        "(idle_w + host_w) x PUE 1.3), above its grid cap of 0.3 MW",
    ),
    # --- prices
    Case(
        "a list price for a site that does not exist",
        "list_price_krw_per_gpu_h: 9000}",
        "list_price_krw_per_gpu_h: 9000, price_by_site_krw_per_gpu_h: {busan: 9500}}",
        want_loc="gpu_models.B200.price_by_site_krw_per_gpu_h.busan",
        want_line_at="price_by_site_krw_per_gpu_h: {busan",
        want_detail="unknown site 'busan'",
    ),
    # --- grants
    Case(
        "a stream's grant for an unknown GPU model",
        "    orgs: 12\n",
        "    orgs: 12\n    grant: {krw: 1000000, gpu_models: [A100]}\n",
        want_loc="demand[2].grant.gpu_models[0]",
        want_line_at="grant: {krw: 1000000",
        want_detail="unknown gpu model 'A100'",
    ),
    Case(
        "a stream's grant in both KRW and GPU-hours",
        "    orgs: 12\n",
        "    orgs: 12\n    grant: {krw: 1000000, gpu_hours: 100}\n",
        want_loc="demand[2].grant",
        want_line_at="grant: {krw: 1000000",
        want_detail="a grant needs krw or gpu_hours (one of them)",
    ),
    # --- tariffs
    Case(
        "hours of a day left out of every load period",
        'light: "22-08", mid: ["08-09", "12-16", "19-22"]',
        'light: "23-08", mid: ["08-09", "12-16", "19-22"]',
        want_loc="tariffs.kepco.hours.winter",
        want_line_at='light: "23-08"',
        want_detail="hours 22 are in no load period",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_one_located_line(case: Case) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(case.text, "tiny.yaml")
    err = info.value
    line = line_of(case.text, case.want_line_at)
    place = f"{case.want_loc}: " if case.want_loc else ""
    assert str(err).startswith(f"tiny.yaml:{line}: {place}{case.want_detail}")
    assert "\n" not in str(err)
    assert err.line == line
    assert err.exit_code == 2
    assert isinstance(err, UsageError)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_validate_command_prints_one_line_and_exits_2(
    case: Case,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(case.text, encoding="utf-8")
    run = run_aigrid(capsys, monkeypatch, "scenario", "validate", str(path))
    line = line_of(case.text, case.want_line_at)
    place = f"{case.want_loc}: " if case.want_loc else ""
    assert run.exit_code == 2
    assert run.out == ""
    assert len(run.err.strip().splitlines()) == 1, run.err
    assert run.err.startswith(f"error: {path}:{line}: {place}{case.want_detail}")
    assert "Traceback" not in run.err


def test_several_problems_are_counted_after_the_first() -> None:
    text = edit(TINY, "    pue: 1.3\n", "    pue: 0.5\n    colour: red\n")
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, "tiny.yaml")
    assert str(info.value).endswith("(and 1 more problem)")


def test_missing_file_names_the_builtins(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(ScenarioError, match=r"nowhere\.yaml: no such file \(built-in scenarios: "):
        load_scenario(path)
    run = run_aigrid(capsys, monkeypatch, "scenario", "validate", str(path))
    assert run.exit_code == 2
    assert run.err.strip() == (
        f"error: {path}: no such file (built-in scenarios: korea-2026, tiny)"
    )


def test_unknown_builtin_names_the_builtins(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    want = (
        "korea-2027: no such file, and no built-in scenario of that name "
        "(built-ins: korea-2026, tiny)"
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario("korea-2027")
    assert str(info.value) == want
    run = run_aigrid(capsys, monkeypatch, "scenario", "show", "korea-2027")
    assert (run.exit_code, run.out, run.err.strip()) == (2, "", f"error: {want}")


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("", "empty.yaml: expected a mapping of scenario keys"),
        ("# only a comment\n", "empty.yaml: expected a mapping of scenario keys"),
        ("- a\n- b\n", "empty.yaml:1: expected a mapping of scenario keys"),
        ("just words\n", "empty.yaml:1: expected a mapping of scenario keys"),
        ("a: !!python/object:os.system x\n", "empty.yaml:1: invalid YAML:"),
        ("[" * 5000, "empty.yaml"),
    ],
    ids=["empty", "comment only", "a list", "a string", "unsafe tag", "deep nesting"],
)
def test_documents_that_are_not_scenarios(text: str, want: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, "empty.yaml")
    assert str(info.value).startswith(want)


def test_directory_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="is a directory"):
        load_scenario(tmp_path)
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ScenarioError, match=r"latin1\.yaml: is not UTF-8 text"):
        load_scenario(latin1)
