"""A scenario: fleet, tenancy, demand and electricity, validated and ready to simulate."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aigrid.model.demand import DemandStream
from aigrid.model.energy import Carbon, Tariff
from aigrid.model.fleet import Fleet
from aigrid.model.reliability import Reliability
from aigrid.model.tenancy import Tenancy


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    description: str
    as_of: str
    """The point in time the scenario models (a date or a phase of the build-out)."""
    fleet: Fleet
    tenancy: Tenancy
    demand: tuple[DemandStream, ...]
    tariffs: Mapping[str, Tariff]
    carbon: Carbon
    start: str = "2026-01-05T00:00:00"
    """Calendar time of simulated second 0 (sets season, weekday and hour for tariffs)."""
    reliability: Reliability | None = None
    """Node failures; None simulates a fleet that never fails."""
