"""The REST API: one router per resource, errors as JSON with the status the service chose."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from aigrid.live.api.routes import (
    cohorts,
    grants,
    health,
    jobs,
    orgs,
    programs,
    tokens,
    usage,
)
from aigrid.live.errors import LiveError, UnauthorizedError
from aigrid.live.service import ServiceContext

API_VERSION = "1"


def create_app(ctx: ServiceContext) -> FastAPI:
    app = FastAPI(
        title="aigrid",
        version=API_VERSION,
        summary="Control plane of a national AI compute grid: jobs, tenancy, usage.",
    )
    app.state.context = ctx
    app.state.metrics = health.metrics_registry(ctx)
    for module in (jobs, orgs, programs, cohorts, grants, tokens, usage, health):
        app.include_router(module.router)

    @app.exception_handler(LiveError)
    def on_live_error(_request: Request, exc: LiveError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, UnauthorizedError) else None
        return JSONResponse({"detail": str(exc)}, status_code=exc.http_status, headers=headers)

    return app
