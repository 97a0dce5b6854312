"""What every trace reader shares: the result, the error, the bookkeeping of rows, the rules.

A reader turns a trace file into `Job`s, sorted by submission time and numbered 0..n-1, with
simulated second 0 at the first submission it keeps. Every data row of the file ends in exactly
one of three places, and nothing is dropped silently:

* a job;
* *excluded*: a well-formed row that cannot be replayed (no GPUs, no known runtime, a job that
  never ran), counted under a reason in `Trace.excluded`;
* *bad*: a row that does not read (a missing field, a word where a number belongs). A bad row
  raises `TraceError` naming the file, the line and what is wrong, or, with
  `skip_bad_rows=True`, is skipped and counted in `Trace.bad_rows`.

Rules shared by all formats (each reader documents its own mapping of columns):

* Walltime: the trace's requested time where it records one, else `OVERASK` times the runtime.
* Times: seconds; calendar stamps are read as the naive local time the trace gives.
"""

from __future__ import annotations

import csv
import gzip
import math
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple, TypeVar, cast

from aigrid.errors import UsageError
from aigrid.model import Job, JobClass, Scenario, TenantClass

OVERASK = 2.0
"""Walltime asked for when a trace records none, as a multiple of the true runtime: the median
over-ask of the scenarios' synthetic demand (`DemandStream.walltime_overask`)."""

BAD_EXAMPLES = 5
"""How many messages of skipped bad rows a `Trace` keeps to show."""


class TraceFormat(StrEnum):
    OPENB = "openb"
    PHILLY = "philly"
    SWF = "swf"
    TIRESIAS = "tiresias"
    GAVEL = "gavel"


class TraceError(UsageError):
    """A trace that cannot be read: a missing file, or a row that does not parse.

    The message is one line, `FILE:LINE: what is wrong`; the parts are kept as `source`, `line`
    and `detail`.
    """

    def __init__(self, source: str, detail: str, *, line: int | None = None) -> None:
        self.source = source
        self.line = line
        self.detail = detail
        where = source if line is None else f"{source}:{line}"
        super().__init__(f"{where}: {detail}")


class BadRowError(ValueError):
    """Raised inside a reader for a row that does not parse; the row loop adds file and line."""


@dataclass(frozen=True, slots=True)
class Trace:
    """Jobs read from a trace, and what became of every row.

    `jobs` are templates: the twin changes the jobs it runs, so `fresh_jobs()` gives copies for
    each run. `scenario` is the trace's own fleet where the trace defines one (or a fleet file
    was given), else None. `notes` say which documented fallbacks were used.
    """

    source: str
    format: TraceFormat
    jobs: tuple[Job, ...]
    rows: int
    excluded: Mapping[str, int] = field(default_factory=dict)
    bad_rows: int = 0
    bad_examples: tuple[str, ...] = ()
    scenario: Scenario | None = None
    start: str | None = None
    """Calendar time (naive ISO) of simulated second 0, where the trace gives one."""
    notes: tuple[str, ...] = ()

    def fresh_jobs(self) -> list[Job]:
        """Copies of the jobs, for one run."""
        return [copy_job(j) for j in self.jobs]

    def with_scenario(self, scenario: Scenario | None) -> Trace:
        return Trace(
            self.source,
            self.format,
            self.jobs,
            self.rows,
            self.excluded,
            self.bad_rows,
            self.bad_examples,
            scenario,
            self.start,
            self.notes,
        )

    def describe(self) -> dict[str, Any]:
        """The trace's account of its rows, JSON-ready (for `summary.json`)."""
        return {
            "source": self.source,
            "format": self.format.value,
            "rows": self.rows,
            "jobs": len(self.jobs),
            "excluded": dict(sorted(self.excluded.items())),
            "bad_rows_skipped": self.bad_rows,
            "start": self.start,
            "notes": list(self.notes),
        }


def copy_job(job: Job, *, id: int | None = None, submit_s: float | None = None) -> Job:
    """A copy of a job that has not run (a trace's template): every field, with a new id or
    submission time where given."""
    changes: dict[str, Any] = {}
    if id is not None:
        changes["id"] = id
    if submit_s is not None:
        changes["submit_s"] = submit_s
    return replace(job, **changes)


class Row(NamedTuple):
    """A job as a reader found it, before sorting and numbering."""

    submit_s: float
    gpus: int
    runtime_s: float
    walltime_s: float | None
    program: str
    org: str
    tenant_class: TenantClass
    job_class: JobClass
    gpu_models: tuple[str, ...] = ()
    gpu_share_milli: int = 0
    """A share of one GPU (`Job.gpu_share_milli`); 0 for whole GPUs."""
    cpu_milli: int = 0
    memory_mib: int = 0


class Rows:
    """Bookkeeping of one file's rows: bad ones raise or are counted; excluded ones counted."""

    def __init__(self, source: str, *, skip_bad_rows: bool) -> None:
        self.source = source
        self.skip_bad_rows = skip_bad_rows
        self.read = 0
        self.bad = 0
        self.examples: list[str] = []
        self.excluded: Counter[str] = Counter()
        self.kept: list[Row] = []

    def bad_row(self, line: int, detail: str) -> None:
        """A row that does not parse: raise, or count it when skipping bad rows."""
        if not self.skip_bad_rows:
            raise TraceError(self.source, detail, line=line)
        self.bad += 1
        if len(self.examples) < BAD_EXAMPLES:
            self.examples.append(f"{self.source}:{line}: {detail}")

    def exclude(self, reason: str) -> None:
        self.excluded[reason] += 1

    def keep(self, row: Row) -> None:
        self.kept.append(row)

    def keep_runnable(self, row: Row) -> None:
        """Keep `row` unless it asks for no GPUs or ran for no time (counted as excluded)."""
        if row.gpus == 0:
            self.exclude("zero GPUs")
        elif row.runtime_s == 0:
            self.exclude("zero duration")
        else:
            self.keep(row)

    def trace(
        self,
        fmt: TraceFormat,
        *,
        scenario: Scenario | None = None,
        start: str | None = None,
        notes: Sequence[str] = (),
    ) -> Trace:
        return Trace(
            source=self.source,
            format=fmt,
            jobs=tuple(make_jobs(self.kept)),
            rows=self.read,
            excluded=dict(self.excluded),
            bad_rows=self.bad,
            bad_examples=tuple(self.examples),
            scenario=scenario,
            start=start,
            notes=tuple(notes),
        )


def make_jobs(rows: Sequence[Row]) -> list[Job]:
    """Jobs from rows: sorted by submission (ties keep file order), numbered 0..n-1, shifted so
    that the first submission is second 0, walltime by `OVERASK` where the row has none."""
    order = sorted(range(len(rows)), key=lambda i: rows[i].submit_s)
    t0 = rows[order[0]].submit_s if rows else 0.0
    jobs: list[Job] = []
    for new_id, i in enumerate(order):
        r = rows[i]
        walltime = r.walltime_s if r.walltime_s is not None else OVERASK * r.runtime_s
        jobs.append(
            Job(
                id=new_id,
                org=r.org,
                program=r.program,
                tenant_class=r.tenant_class,
                job_class=r.job_class,
                gpus=r.gpus,
                walltime_s=walltime,
                submit_s=r.submit_s - t0,
                runtime_s=r.runtime_s,
                gpu_models=r.gpu_models,
                gpu_share_milli=r.gpu_share_milli,
                cpu_milli=r.cpu_milli,
                memory_mib=r.memory_mib,
            )
        )
    return jobs


def first_submit(rows: Sequence[Row]) -> float | None:
    return min((r.submit_s for r in rows), default=None)


@contextmanager
def open_text(path: Path, source: str) -> Iterator[Lines]:
    """The file's lines as UTF-8 text, gunzipped on the fly when its name ends in `.gz`; a file
    that cannot be opened raises `TraceError`."""
    try:
        raw = _open(path)
    except FileNotFoundError:
        raise TraceError(source, "no such file") from None
    except IsADirectoryError:
        raise TraceError(source, "is a directory, not a trace file") from None
    except OSError as exc:
        raise TraceError(source, f"cannot be read: {exc.strerror or exc}") from None
    with raw as f:
        yield Lines(f, source)


def _open(path: Path) -> BinaryIO:
    if path.name.endswith(".gz"):
        return cast(BinaryIO, gzip.open(path, "rb"))
    return path.open("rb")


class Lines:
    """The numbered lines of a file, decoded one by one so that a byte that is not UTF-8, or a
    broken gzip stream, raises `TraceError` naming its line."""

    def __init__(self, f: BinaryIO, source: str) -> None:
        self._f = f
        self._source = source
        self.line = 0

    def __iter__(self) -> Iterator[tuple[int, str]]:
        while True:
            try:
                raw = self._f.readline()
            except (gzip.BadGzipFile, EOFError, OSError, zlib.error) as exc:
                raise TraceError(
                    self._source, f"is not a readable gzip file ({exc})", line=self.line + 1
                ) from None
            if not raw:
                return
            self.line += 1
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise TraceError(
                    self._source, f"is not UTF-8 text ({exc.reason})", line=self.line
                ) from None
            yield self.line, text

    def read(self) -> str:
        """The rest of the file as one string."""
        return "".join(text for _, text in self)


def csv_rows(
    lines: Lines, source: str, *, required: Sequence[str], delimiter: str = ","
) -> Iterator[tuple[int, dict[str, str] | str]]:
    """The data rows of a CSV file with a header: (line number, column -> text), or (line
    number, what is wrong) for a row that is not CSV or has the wrong number of fields.

    The header must name every column in `required`, else `TraceError` on line 1. Blank lines
    are passed over.
    """
    reader = csv.reader((text for _, text in lines), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise TraceError(source, "is empty: expected a header line", line=1) from None
    except csv.Error as exc:
        raise TraceError(source, f"header is not CSV: {exc}", line=1) from None
    header = [h.strip() for h in header]
    missing = [c for c in required if c not in header]
    if missing:
        raise TraceError(
            source,
            f"header lacks column(s) {', '.join(missing)}; found: {', '.join(header)}",
            line=1,
        )
    width = len(header)
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield lines.line, f"not CSV: {exc}"
            continue
        if not values or (len(values) == 1 and not values[0].strip()):
            continue
        if len(values) != width:
            yield lines.line, f"expected {width} fields ({', '.join(header)}), got {len(values)}"
            continue
        yield lines.line, dict(zip(header, values, strict=True))


P = TypeVar("P")


def parsed_csv(
    path: Path,
    rows: Rows,
    parse: Callable[[dict[str, str]], P],
    *,
    required: Sequence[str],
    limit: int | None = None,
) -> Iterator[P]:
    """The data rows of a CSV file, each parsed by `parse`, counted in `rows.read`; a row that is
    not CSV or that `parse` refuses (`BadRowError`) goes to `rows.bad_row`. Reading stops after
    `limit` rows."""
    with open_text(path, rows.source) as f:
        for line, row in csv_rows(f, rows.source, required=required):
            if limit is not None and rows.read >= limit:
                break
            rows.read += 1
            if isinstance(row, str):
                rows.bad_row(line, row)
                continue
            try:
                parsed = parse(row)
            except BadRowError as exc:
                rows.bad_row(line, str(exc))
                continue
            yield parsed


def number(row: Mapping[str, str], column: str) -> float:
    """The column as a finite number, or `BadRowError` naming the column and what it held."""
    text = row[column].strip()
    try:
        value = float(text)
    except ValueError:
        raise BadRowError(f"{column}: expected a number, got {_shown(text)}") from None
    if not math.isfinite(value):
        raise BadRowError(f"{column}: expected a finite number, got {_shown(text)}")
    return value


def whole(row: Mapping[str, str], column: str) -> int:
    """The column as a whole number (`8` or `8.0`), or `BadRowError`."""
    value = number(row, column)
    if value != int(value):
        raise BadRowError(f"{column}: expected a whole number, got {_shown(row[column].strip())}")
    return int(value)


def _shown(text: str) -> str:
    if not text:
        return "nothing"
    return repr(text if len(text) <= 40 else text[:37] + "...")


def shown(text: str) -> str:
    """A field's text as an error message shows it."""
    return _shown(text)
