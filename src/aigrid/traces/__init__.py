"""Real workload traces: readers that turn them into jobs and fleets, and their replay in the twin.

    trace = load_trace("../shared/traces/philly-derived/philly.csv", "philly")
    result = replay(trace, policy=Policy.parse("fifo"))       # on the trace's own fleet
    summarize(result.run)

Each reader documents, in its module, its columns and how they map to jobs, programs and a
fleet, and which numbers of the fleet are assumptions. A malformed row raises `TraceError`
(exit code 2) naming file and line; with `skip_bad_rows=True` it is counted instead. Rows that
read but cannot be replayed are counted by reason in `Trace.excluded`.
"""

from aigrid.traces._common import OVERASK, Trace, TraceError, TraceFormat, copy_job
from aigrid.traces._fleet import PoolShape, scale_scenario, trace_scenario
from aigrid.traces._gavel import gavel_scenario, load_throughputs, read_gavel
from aigrid.traces._openb import (
    OpenbNode,
    OpenbPod,
    Records,
    openb_jobs,
    openb_scenario,
    read_openb_nodes,
    read_openb_pods,
)
from aigrid.traces._philly import PhillyShape, philly_scenario, read_philly
from aigrid.traces._replay import (
    DEFAULT_JITTER_S,
    DEFAULT_TAIL_DAYS,
    FLEET_TRACE,
    Replay,
    ReplayPlan,
    horizon_days,
    load_trace,
    map_jobs,
    plan_replay,
    replay,
    resolve_fleet,
    scale_jobs,
)
from aigrid.traces._swf import SwfHeader, read_swf, swf_scenario
from aigrid.traces._tiresias import read_tiresias, tiresias_scenario

__all__ = [
    "DEFAULT_JITTER_S",
    "DEFAULT_TAIL_DAYS",
    "FLEET_TRACE",
    "OVERASK",
    "OpenbNode",
    "OpenbPod",
    "PhillyShape",
    "PoolShape",
    "Records",
    "Replay",
    "ReplayPlan",
    "SwfHeader",
    "Trace",
    "TraceError",
    "TraceFormat",
    "copy_job",
    "gavel_scenario",
    "horizon_days",
    "load_throughputs",
    "load_trace",
    "map_jobs",
    "openb_jobs",
    "openb_scenario",
    "philly_scenario",
    "plan_replay",
    "read_gavel",
    "read_openb_nodes",
    "read_openb_pods",
    "read_philly",
    "read_swf",
    "read_tiresias",
    "replay",
    "resolve_fleet",
    "scale_jobs",
    "scale_scenario",
    "swf_scenario",
    "tiresias_scenario",
    "trace_scenario",
]
