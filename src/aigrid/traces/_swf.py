"""Logs of the Parallel Workloads Archive in the Standard Workload Format (SWF, v2.2).

A log is header comments (`; MaxProcs: 128`) then one job a line of 18 whitespace-separated
numbers; -1 means unknown. Fields read (1-based): 2 submit time (s from the log's start),
4 run time (s), 5 allocated processors, 8 requested processors, 9 requested time (s),
11 status, 12 user id, 15 queue number. Files ending in `.gz` are read gunzipped.

Mapping (HPC logs are CPU-only; they exercise the twin as GPU logs would):

* one SWF processor = one GPU slot: a job's GPUs are its allocated processors, or its requested
  processors where the allocation is unknown;
* one program per queue (`queue-<n>`, or `swf` where the queue is unknown); one org per user
  (`user-<n>`); tenant class `research`, job class `batch`;
* runtime = run time; walltime = requested time where known, else `OVERASK` x runtime. A job
  that ran past its requested time is cut at it in the twin (it times out), as the log's
  scheduler would have killed it;
* excluded, by reason: unknown or zero run time, unknown or zero processors, unknown submit
  time, and partial-execution lines (status 2, 3, 4: the job's summary line, which carries the
  whole job, is kept);
* failed (0) and cancelled (5) jobs that ran are kept: they held their processors.

The fleet (`swf_scenario`): `MaxProcs` slots from the header, on `MaxNodes` nodes of
`MaxProcs / MaxNodes` slots when that divides evenly. A log without `MaxProcs` gets a fleet as
large as the most processors its jobs held at once (start = submit + wait time, field 3, where
known), and at least its largest job: the least the machine can have been. Where the header
gives no even node shape, nodes get `g` slots, `g` the largest power of two up to 16 (and up to
`MaxProcs / MaxNodes`) for which rounding the jobs larger than a node up to whole nodes adds at
most 1% to their processor-seconds, and rounding the slots up to whole nodes adds at most 1% to
them (`MAX_ROUNDING`), else 1. (The twin places a gang larger than a node on whole nodes, and
its cost grows with the nodes a job spans, so one slot a node would be exact but slow on a
machine of 90,000 cores.)
Each fallback is noted in `Trace.notes`. The slot's GPU model (`swf-slot`, 300 W) is an
assumption: the log's processors have no GPU to describe.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aigrid.model import JobClass, Scenario, TenantClass
from aigrid.traces._common import (
    BadRowError,
    Row,
    Rows,
    Trace,
    TraceFormat,
    open_text,
    shown,
)
from aigrid.traces._fleet import PoolShape, gpu_model, trace_scenario

FIELDS = 18
MAX_ROUNDING = 1.01
NODE_SIZES = (16, 8, 4, 2)
_COUNTS = ("MaxProcs", "MaxNodes", "UnixStartTime")
_HEADER = re.compile(r"^;\s*([A-Za-z]+)\s*:\s*(.*?)\s*$")
_PARTIAL = {k: f"partial execution line (status {k})" for k in (2, 3, 4)}
SLOT_MODEL = gpu_model("swf-slot", memory_gb=80, busy_w=300)


@dataclass(frozen=True, slots=True)
class SwfHeader:
    """What an SWF header says about the machine (None where it says nothing)."""

    max_procs: int | None = None
    max_nodes: int | None = None
    unix_start_time: int | None = None
    computer: str | None = None


def read_swf(path: str | Path, *, skip_bad_rows: bool = False, limit: int | None = None) -> Trace:
    """The jobs of an SWF log, with the fleet its header describes as the scenario."""
    path = Path(path)
    source = str(path)
    rows = Rows(source, skip_bad_rows=skip_bad_rows)
    counts: dict[str, int | None] = {}
    computer: str | None = None
    max_job_procs = 0
    usage: list[tuple[float, int]] = []
    with open_text(path, source) as f:
        for line, text in f:
            stripped = text.strip()
            if not stripped:
                continue
            if stripped.startswith(";"):
                m = _HEADER.match(stripped)
                if m is None:
                    continue
                key, value = m.group(1), m.group(2)
                if key in _COUNTS and key not in counts:
                    counts[key] = _count(key, value, line, rows)
                elif key == "Computer" and computer is None:
                    computer = value
                continue
            if limit is not None and rows.read >= limit:
                break
            rows.read += 1
            try:
                parsed = _row(stripped.split())
            except BadRowError as exc:
                rows.bad_row(line, str(exc))
                continue
            if isinstance(parsed, str):
                rows.exclude(parsed)
                continue
            job, wait = parsed
            rows.keep(job)
            max_job_procs = max(max_job_procs, job.gpus)
            if wait >= 0:
                usage.append((job.submit_s + wait, job.gpus))
                usage.append((job.submit_s + wait + job.runtime_s, -job.gpus))
    head = SwfHeader(
        max_procs=counts.get("MaxProcs"),
        max_nodes=counts.get("MaxNodes"),
        unix_start_time=counts.get("UnixStartTime"),
        computer=computer,
    )
    notes: list[str] = []
    start = None
    if rows.kept and head.unix_start_time is not None:
        t0 = min(r.submit_s for r in rows.kept)
        when = datetime.fromtimestamp(head.unix_start_time + t0, tz=UTC)
        start = when.replace(tzinfo=None).isoformat(timespec="seconds")
    programs = sorted({r.program for r in rows.kept}) or ["swf"]
    scenario = swf_scenario(
        head,
        programs=programs,
        name=path.name,
        max_job_procs=max(max_job_procs, _peak(usage)),
        job_sizes=[(r.gpus, r.runtime_s) for r in rows.kept],
        notes=notes,
    )
    return rows.trace(TraceFormat.SWF, scenario=scenario, start=start, notes=notes)


def _count(key: str, text: str, line: int, rows: Rows) -> int | None:
    """A header count; None if it is not positive, or (when skipping bad rows) unreadable."""
    try:
        value = int(text.split(maxsplit=1)[0])
    except (ValueError, IndexError):
        rows.bad_row(line, f"header {key}: expected a whole number, got {shown(text)}")
        return None
    return value if value > 0 else None


def _peak(usage: list[tuple[float, int]]) -> int:
    """The most processors held at once, from (time, +procs at start / -procs at end); ends
    come before starts at the same instant."""
    peak = held = 0
    for _, delta in sorted(usage, key=lambda e: (e[0], e[1])):
        held += delta
        peak = max(peak, held)
    return peak


def _row(fields: list[str]) -> tuple[Row, float] | str:
    """A job and its wait time (-1 when unknown), the reason it is excluded, or
    `BadRowError`."""
    if len(fields) != FIELDS:
        raise BadRowError(f"expected {FIELDS} whitespace-separated fields, got {len(fields)}")
    values: list[float] = []
    for i, text in enumerate(fields, start=1):
        try:
            values.append(float(text))
        except ValueError:
            raise BadRowError(f"field {i}: expected a number, got {shown(text)}") from None
    submit, run, alloc, req_procs, req_time, status = (
        values[1],
        values[3],
        values[4],
        values[7],
        values[8],
        values[10],
    )
    user, queue = values[11], values[14]
    for i, v in ((2, submit), (4, run), (5, alloc), (8, req_procs), (9, req_time)):
        if v < 0 and v != -1:
            raise BadRowError(f"field {i}: expected a value >= 0 or -1 (unknown), got {v:g}")
    for i, v in ((5, alloc), (8, req_procs)):
        if v != int(v):
            raise BadRowError(f"field {i}: expected a whole number of processors, got {v:g}")
    if int(status) in _PARTIAL:
        return _PARTIAL[int(status)]
    if submit < 0:
        return "unknown submit time"
    if run < 0:
        return "unknown run time"
    if run == 0:
        return "zero run time"
    procs = int(alloc) if alloc > 0 else int(req_procs)
    if procs < 0:
        return "unknown processors"
    if procs == 0:
        return "zero processors"
    q = int(queue)
    row = Row(
        submit_s=submit,
        gpus=procs,
        runtime_s=run,
        walltime_s=req_time if req_time > 0 else None,
        program=f"queue-{q}" if q >= 0 else "swf",
        org=f"user-{int(user)}" if user >= 0 else "user-unknown",
        tenant_class=TenantClass.RESEARCH,
        job_class=JobClass.BATCH,
    )
    return row, values[2]


def swf_scenario(
    header: SwfHeader,
    *,
    programs: list[str],
    name: str = "swf",
    max_job_procs: int = 0,
    job_sizes: Sequence[tuple[int, float]] = (),
    notes: list[str] | None = None,
) -> Scenario:
    """The fleet an SWF header describes, sized and shaped from the jobs (processors, run time)
    where the header says too little (see the module docstring); `notes` gets a line for each
    fallback used."""
    notes = notes if notes is not None else []
    procs = header.max_procs
    if procs is None:
        procs = max(max_job_procs, 1)
        notes.append(
            f"no MaxProcs in the header: fleet of the most processors held at once, {procs}"
        )
    if header.max_nodes is not None and procs % header.max_nodes == 0:
        nodes, per_node = header.max_nodes, procs // header.max_nodes
    else:
        cap = procs // header.max_nodes if header.max_nodes else max(NODE_SIZES)
        per_node = _node_size(job_sizes, procs, max(cap, 1))
        nodes = -(-procs // per_node)
        why = (
            f"MaxProcs {procs} is not a multiple of MaxNodes {header.max_nodes}"
            if header.max_nodes
            else "no MaxNodes in the header"
        )
        notes.append(f"{why}: {nodes} nodes of {per_node} slot{'s' if per_node > 1 else ''}")
    return trace_scenario(
        name,
        f"SWF log {name}: {nodes} nodes x {per_node} slots"
        + (f" ({header.computer})" if header.computer else ""),
        models=(SLOT_MODEL,),
        pools=(PoolShape("swf", SLOT_MODEL.name, per_node, nodes),),
        programs=programs,
    )


def _node_size(job_sizes: Sequence[tuple[int, float]], procs: int, cap: int) -> int:
    """The largest node size of `NODE_SIZES` up to `cap` that rounds neither the jobs'
    processor-seconds nor the machine's `procs` up by more than `MAX_ROUNDING`, else 1."""
    work = sum(p * t for p, t in job_sizes)
    for g in NODE_SIZES:
        if g > cap or -(-procs // g) * g > MAX_ROUNDING * procs:
            continue
        rounded = sum((p if p <= g else -(-p // g) * g) * t for p, t in job_sizes)
        if rounded <= MAX_ROUNDING * work:
            return g
    return 1
