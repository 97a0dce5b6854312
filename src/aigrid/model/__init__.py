"""Domain types of aigrid: pure data and the job state machine, no I/O."""

from aigrid.errors import InvalidTransitionError
from aigrid.model.demand import Arrivals, Choice, DemandStream, LogNormal, PowerLaw
from aigrid.model.energy import Carbon, LoadPeriod, Season, Tariff
from aigrid.model.fleet import Binding, Fleet, GpuModel, NodeRef, Owner, Pool, Site, Zone
from aigrid.model.job import (
    GPU_MILLI,
    TRANSITIONS,
    Job,
    JobClass,
    JobState,
    Placement,
    PriorityClass,
)
from aigrid.model.reliability import Reliability
from aigrid.model.scenario import Scenario
from aigrid.model.tenancy import Cohort, Grant, Org, Program, Tenancy, TenantClass

__all__ = [
    "GPU_MILLI",
    "TRANSITIONS",
    "Arrivals",
    "Binding",
    "Carbon",
    "Choice",
    "Cohort",
    "DemandStream",
    "Fleet",
    "GpuModel",
    "Grant",
    "InvalidTransitionError",
    "Job",
    "JobClass",
    "JobState",
    "LoadPeriod",
    "LogNormal",
    "NodeRef",
    "Org",
    "Owner",
    "Placement",
    "Pool",
    "PowerLaw",
    "PriorityClass",
    "Program",
    "Reliability",
    "Scenario",
    "Season",
    "Site",
    "Tariff",
    "Tenancy",
    "TenantClass",
    "Zone",
]
