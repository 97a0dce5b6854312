"""Dependencies of the routes: the service context and the caller (from its bearer token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from aigrid.live.service import Principal, ServiceContext, authenticate

_bearer = HTTPBearer(auto_error=False, description="a token from `aigrid admin token`")


def get_context(request: Request) -> ServiceContext:
    ctx: ServiceContext = request.app.state.context
    return ctx


Context = Annotated[ServiceContext, Depends(get_context)]


def get_principal(
    ctx: Context,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    return authenticate(ctx, None if credentials is None else credentials.credentials)


Caller = Annotated[Principal, Depends(get_principal)]
