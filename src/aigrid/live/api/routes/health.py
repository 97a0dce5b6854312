"""/healthz and /metrics (Prometheus text format). Neither needs a token; neither names an org
(programs' budgets are shown, for the operators' dashboards)."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Request, Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from aigrid.live.api.deps import Context
from aigrid.live.api.schemas import Health
from aigrid.live.service.context import ServiceContext
from aigrid.live.service.usage import jobs_by_state, ping, program_balances

router = APIRouter(tags=["health"])

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@router.get("/healthz", operation_id="health_get")
def healthz(ctx: Context) -> Health:
    ping(ctx)  # the store answers
    figures = ctx.health() if ctx.health is not None else {}
    return Health(
        status="ok",
        database=ctx.store.dialect,
        pending=figures.get("pending", 0),
        running=figures.get("running", 0),
        cycles=figures.get("cycles_total", 0),
    )


@router.get("/metrics", operation_id="metrics_get", response_class=Response)
def metrics(request: Request) -> Response:
    registry: CollectorRegistry = request.app.state.metrics
    return Response(generate_latest(registry), media_type=CONTENT_TYPE)


class LiveCollector(Collector):
    """Jobs by state from the store; the scheduling loop's counters from the loop."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def collect(self) -> Iterator[Metric]:
        jobs = GaugeMetricFamily("aigrid_jobs", "Jobs in the store by state", labels=["state"])
        for state, n in sorted(jobs_by_state(self.ctx).items()):
            jobs.add_metric([state], n)
        yield jobs
        held = GaugeMetricFamily(
            "aigrid_program_held_krw", "KRW held for running jobs, by program", labels=["program"]
        )
        spent = CounterMetricFamily(
            "aigrid_program_spent_krw", "KRW spent, by program", labels=["program"]
        )
        for b in program_balances(self.ctx):
            held.add_metric([b.program], b.held_krw)
            spent.add_metric([b.program], b.spent_krw)
        yield held
        yield spent
        figures = self.ctx.health() if self.ctx.health is not None else {}
        for name, value in sorted(figures.items()):
            if name.endswith("_total"):
                yield CounterMetricFamily(
                    f"aigrid_scheduler_{name[: -len('_total')]}",
                    f"Scheduling loop: {name.replace('_', ' ')}",
                    value=value,
                )
            else:
                yield GaugeMetricFamily(
                    f"aigrid_scheduler_{name}", f"Scheduling loop: {name.replace('_', ' ')}", value
                )


def metrics_registry(ctx: ServiceContext) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(LiveCollector(ctx))
    return registry
