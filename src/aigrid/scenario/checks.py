"""Checks that relate one part of a scenario document to another.

Each check returns `Problem`s located at the value to fix: a name that refers to nothing
defined, an id used twice, a site whose idle power is above its grid connection, a quota on
hardware the program cannot reach. `check_scenario` runs them all in document order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

from aigrid.model import Zone
from aigrid.model.demand import stream_org
from aigrid.scenario.errors import Loc, Problem, format_loc
from aigrid.scenario.schema import (
    PoolSpec,
    ScenarioSpec,
    SiteSpec,
    StreamSpec,
    TariffSpec,
)


def check_scenario(spec: ScenarioSpec) -> list[Problem]:
    """Every problem of `spec` that the schema alone cannot see, in document order."""
    checks = (
        _gpu_model_prices,
        _tariffs,
        _sites,
        _programs,
        _orgs_and_grants,
        _demand,
    )
    return [problem for check in checks for problem in check(spec)]


def _defined(kind: str, names: Iterable[str]) -> str:
    listed = sorted(names)
    shown = ", ".join(listed[:12]) + (", ..." if len(listed) > 12 else "")
    return f"no {kind} of that name is defined (defined: {shown or 'none'})"


def _unknown(loc: Loc, kind: str, name: str, names: Iterable[str]) -> Problem:
    return Problem(loc, f"unknown {kind} {name!r}: {_defined(kind, names)}")


def _duplicates(items: Iterable[tuple[Loc, str]], kind: str) -> Iterator[Problem]:
    first: dict[str, Loc] = {}
    for loc, name in items:
        if name in first:
            yield Problem(
                loc, f"duplicate {kind} id {name!r} (first used at {format_loc(first[name])})"
            )
        else:
            first[name] = loc


def _gpu_model_prices(spec: ScenarioSpec) -> Iterator[Problem]:
    sites = [s.id for s in spec.sites]
    for name, model in spec.gpu_models.items():
        for site in model.price_by_site_krw_per_gpu_h:
            if site not in sites:
                at: Loc = ("gpu_models", name, "price_by_site_krw_per_gpu_h", site)
                yield _unknown(at, "site", site, sites)


# --- tariffs ---------------------------------------------------------------------------


def _tariffs(spec: ScenarioSpec) -> Iterator[Problem]:
    for tariff_id, tariff in spec.tariffs.items():
        yield from _tariff(("tariffs", tariff_id), tariff)


def _tariff(at: Loc, tariff: TariffSpec) -> Iterator[Problem]:
    for season in tariff.seasons:
        if not tariff.seasons[season]:
            continue
        if season not in tariff.hours:
            yield Problem((*at, "hours"), f"no hours for season {season}, which has months")
        if season not in tariff.energy_krw_per_kwh:
            yield Problem(
                (*at, "energy_krw_per_kwh"),
                f"no energy charges for season {season}, which has months",
            )
    tables = [((*at, "hours", season), season, day) for season, day in tariff.hours.items()]
    for weekday, by_season in tariff.weekday_hours.items():
        tables += [
            ((*at, "weekday_hours", weekday, season), season, day)
            for season, day in by_season.items()
        ]
    for loc, season, day in tables:
        charges = tariff.energy_krw_per_kwh.get(season, {})
        for period, hours in day.items():
            if hours and period not in charges:
                yield Problem(
                    (*loc, period),
                    f"no energy charge for {season}/{period} in energy_krw_per_kwh",
                )


# --- sites and pools -------------------------------------------------------------------


def _sites(spec: ScenarioSpec) -> Iterator[Problem]:
    yield from _duplicates(((("sites", i, "id"), s.id) for i, s in enumerate(spec.sites)), "site")
    yield from _duplicates(
        (
            (("sites", i, "pools", j, "id"), p.id)
            for i, s in enumerate(spec.sites)
            for j, p in enumerate(s.pools)
        ),
        "pool",
    )
    for i, site in enumerate(spec.sites):
        at: Loc = ("sites", i)
        if site.tariff not in spec.tariffs:
            yield _unknown((*at, "tariff"), "tariff", site.tariff, spec.tariffs)
        shapes_ok = True
        for j, pool in enumerate(site.pools):
            pat: Loc = (*at, "pools", j)
            if pool.gpu_model not in spec.gpu_models:
                shapes_ok = False
                yield _unknown((*pat, "gpu_model"), "gpu model", pool.gpu_model, spec.gpu_models)
            if pool.owner not in spec.owners:
                yield _unknown((*pat, "owner"), "owner", pool.owner, spec.owners)
            yield from _nvlink(pat, pool)
            yield from _racks(pat, pool)
        if shapes_ok:
            yield from _idle_power(spec, at, site)


def _nvlink(at: Loc, pool: PoolSpec) -> Iterator[Problem]:
    """An NVLink domain is part of one node, or a whole number of nodes (an NVL72 rack is 18
    nodes of 4 GPUs), and a pool holds whole domains."""
    domain, per_node = pool.nvlink_domain, pool.gpus_per_node
    if domain <= per_node:
        if per_node % domain:
            yield Problem(
                (*at, "nvlink_domain"),
                f"an NVLink domain of {domain} GPUs does not divide a node of {per_node} GPUs",
            )
    elif domain % per_node:
        yield Problem(
            (*at, "nvlink_domain"),
            f"an NVLink domain of {domain} GPUs is not a whole number of {per_node}-GPU nodes",
        )
    elif pool.nodes % (domain // per_node):
        yield Problem(
            (*at, "nodes"),
            f"{pool.nodes} nodes are not a whole number of NVLink domains "
            f"({domain // per_node} nodes of {per_node} GPUs each)",
        )


def _racks(at: Loc, pool: PoolSpec) -> Iterator[Problem]:
    """A rack is a whole number of NVLink domains, a pool a whole number of racks, and the racks
    a whole number of blocks; blocks are of racks, so they need racks."""
    rack, blocks = pool.rack_nodes, pool.block_racks
    if rack is None:
        if blocks is not None:
            yield Problem((*at, "block_racks"), "blocks are made of racks: give rack_nodes too")
        return
    domain = max(pool.nvlink_domain // pool.gpus_per_node, 1)
    if rack % domain:
        yield Problem(
            (*at, "rack_nodes"),
            f"a rack of {rack} nodes is not a whole number of NVLink domains"
            f" ({domain} nodes of {pool.gpus_per_node} GPUs each)",
        )
    elif pool.nodes % rack:
        yield Problem(
            (*at, "rack_nodes"), f"{pool.nodes} nodes are not a whole number of {rack}-node racks"
        )
    elif blocks is not None and (pool.nodes // rack) % blocks:
        yield Problem(
            (*at, "block_racks"),
            f"{pool.nodes // rack} racks (of {rack} nodes) are not a whole number of"
            f" {blocks}-rack blocks",
        )


def site_power_w(spec: ScenarioSpec, site: SiteSpec, *, busy: bool) -> float:
    """Facility power of `site` with all its GPUs idle or busy, PUE included, in watts."""
    watts = 0.0
    for pool in site.pools:
        model = spec.gpu_models[pool.gpu_model]
        per_gpu = (model.busy_w if busy else model.idle_w) + model.host_w
        watts += pool.gpus_per_node * pool.nodes * per_gpu
    return watts * site.pue


def _idle_power(spec: ScenarioSpec, at: Loc, site: SiteSpec) -> Iterator[Problem]:
    idle_mw = site_power_w(spec, site, busy=False) / 1e6
    if idle_mw > site.grid_cap_mw:
        yield Problem(
            (*at, "grid_cap_mw"),
            f"site {site.id!r} draws {idle_mw:.3g} MW with every GPU idle "
            f"(sum of GPUs x (idle_w + host_w) x PUE {site.pue:g}), above its grid cap of "
            f"{site.grid_cap_mw:g} MW",
        )


# --- programs --------------------------------------------------------------------------


def _capacity(spec: ScenarioSpec) -> dict[tuple[str, str], int]:
    """GPUs per (owner, gpu model) over the whole fleet."""
    out: dict[tuple[str, str], int] = defaultdict(int)
    for site in spec.sites:
        for pool in site.pools:
            out[pool.owner, pool.gpu_model] += pool.gpus_per_node * pool.nodes
    return out


def _programs(spec: ScenarioSpec) -> Iterator[Problem]:
    yield from _duplicates(
        ((("programs", i, "id"), p.id) for i, p in enumerate(spec.programs)), "program"
    )
    capacity = _capacity(spec)
    for i, program in enumerate(spec.programs):
        at: Loc = ("programs", i)
        known_owners = True
        for j, owner in enumerate(program.owners):
            if owner not in spec.owners:
                known_owners = False
                yield _unknown((*at, "owners", j), "owner", owner, spec.owners)
        for key, count in program.quota.items():
            problems = _key_problems(spec, (*at, "quota", key), key)
            if problems:
                yield from problems
                continue
            if not known_owners:
                continue
            owner, _, model = key.rpartition("/")
            owners = [o for o in program.owners if not owner or o == owner]
            reachable = sum(capacity.get((o, model), 0) for o in owners)
            if count > reachable:
                yield Problem(
                    (*at, "quota", key),
                    f"quota of {count} {key} GPUs, but the pools of its owners "
                    f"({', '.join(program.owners)}) have {reachable}",
                )
        for field in ("borrowing_limit", "lending_limit"):
            for key in getattr(program, field):
                yield from _key_problems(spec, (*at, field, key), key)
    yield from _cohorts(spec)


def _key_problems(spec: ScenarioSpec, at: Loc, key: str) -> list[Problem]:
    """What is wrong with quota key `key`: an unknown GPU model, or owner (none: it is fine)."""
    owner, slash, model = key.rpartition("/")
    problems = []
    if slash and owner not in spec.owners:
        problems.append(_unknown(at, "owner", owner, spec.owners))
    if model not in spec.gpu_models:
        problems.append(_unknown(at, "gpu model", model, spec.gpu_models))
    return problems


def _cohorts(spec: ScenarioSpec) -> Iterator[Problem]:
    """Cohorts: ids used once, parents declared, no cycles, known quota keys."""
    yield from _duplicates(
        ((("cohorts", i, "id"), c.id) for i, c in enumerate(spec.cohorts)), "cohort"
    )
    parents = {c.id: c.parent for c in spec.cohorts}
    for i, c in enumerate(spec.cohorts):
        at: Loc = ("cohorts", i)
        if c.parent is not None and c.parent not in parents:
            yield _unknown((*at, "parent"), "cohort", c.parent, parents)
            continue
        seen = {c.id}
        up = c.parent
        while up is not None:
            if up in seen:
                yield Problem((*at, "parent"), f"cohort {c.id!r}: its parents form a cycle")
                break
            seen.add(up)
            up = parents.get(up)
        for field in ("quota", "borrowing_limit", "lending_limit"):
            for key in getattr(c, field):
                yield from _key_problems(spec, (*at, field, key), key)


def _orgs_and_grants(spec: ScenarioSpec) -> Iterator[Problem]:
    yield from _duplicates(((("orgs", i, "id"), o.id) for i, o in enumerate(spec.orgs)), "org")
    yield from _duplicates(
        ((("grants", i, "id"), g.id) for i, g in enumerate(spec.grants)), "grant"
    )
    programs = {p.id for p in spec.programs}
    orgs = {o.id for o in spec.orgs}
    for i, grant in enumerate(spec.grants):
        at: Loc = ("grants", i)
        if grant.program not in programs:
            yield _unknown((*at, "program"), "program", grant.program, programs)
        if grant.org not in orgs:
            yield _unknown((*at, "org"), "org", grant.org, orgs)
        for j, model in enumerate(grant.gpu_models):
            if model not in spec.gpu_models:
                yield _unknown((*at, "gpu_models", j), "gpu model", model, spec.gpu_models)
    named = {g.id for g in spec.grants}
    for i, stream in enumerate(spec.demand):
        if stream.grant is None:
            continue
        at = ("demand", i, "grant")
        for j, model in enumerate(stream.grant.gpu_models):
            if model not in spec.gpu_models:
                yield _unknown((*at, "gpu_models", j), "gpu model", model, spec.gpu_models)
        clash = sorted(named & {stream_org(stream.id, k) for k in range(stream.orgs)})
        if clash:
            yield Problem(
                at,
                f"the stream's grants are named after its orgs ({stream_org(stream.id, 0)}, "
                f"...), and grant {clash[0]!r} is already named in grants",
            )


# --- demand ----------------------------------------------------------------------------


def _demand(spec: ScenarioSpec) -> Iterator[Problem]:
    yield from _duplicates(
        ((("demand", i, "id"), s.id) for i, s in enumerate(spec.demand)), "demand stream"
    )
    programs = {p.id: p for p in spec.programs}
    for i, stream in enumerate(spec.demand):
        at: Loc = ("demand", i)
        program = programs.get(stream.program)
        if program is None:
            yield _unknown((*at, "program"), "program", stream.program, programs)
            continue
        bad_model = False
        for j, model in enumerate(stream.gpu_models):
            if model not in spec.gpu_models:
                bad_model = True
                yield _unknown((*at, "gpu_models", j), "gpu model", model, spec.gpu_models)
            elif model not in {key.rpartition("/")[2] for key in program.quota}:
                bad_model = True
                yield Problem(
                    (*at, "gpu_models", j),
                    f"program {program.id!r} has no quota of {model} "
                    f"(its quota covers {', '.join(sorted(program.quota)) or 'nothing'})",
                )
        if not bad_model:
            models = set(stream.gpu_models) or {key.rpartition("/")[2] for key in program.quota}
            yield from _reachable(spec, at, stream, set(program.owners), models)


def _reachable(
    spec: ScenarioSpec, at: Loc, stream: StreamSpec, owners: set[str], models: set[str]
) -> Iterator[Problem]:
    """The stream's largest job fits one pool it may use, and a sovereign job has somewhere to
    run."""
    pools = [
        (site, pool)
        for site in spec.sites
        for pool in site.pools
        if pool.owner in owners and pool.gpu_model in models
    ]
    largest = max((p.gpus_per_node * p.nodes for _, p in pools), default=0)
    if stream.size.largest > largest:
        size_loc: Loc = (
            (*at, "size", "choice", "values")
            if stream.size.choice is not None
            else (*at, "size", "powerlaw", "max")
        )
        yield Problem(
            size_loc,
            f"jobs of up to {stream.size.largest} GPUs, but the largest pool this stream may "
            f"use has {largest} GPUs (a job runs in one pool)",
        )
    if stream.sovereign_fraction > 0 and not any(s.zone is Zone.SOVEREIGN for s, _ in pools):
        yield Problem(
            (*at, "sovereign_fraction"),
            "sovereign jobs, but none of the pools this stream may use is at a sovereign site",
        )
