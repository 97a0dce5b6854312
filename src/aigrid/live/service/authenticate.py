"""From a bearer token's text to the principal it stands for."""

from __future__ import annotations

from aigrid.live.errors import UnauthorizedError
from aigrid.live.service.auth import Principal, Role, secret_matches, split_token
from aigrid.live.service.context import ServiceContext
from aigrid.live.store.models import TokenRow


def authenticate(ctx: ServiceContext, text: str | None) -> Principal:
    if not text:
        raise UnauthorizedError("no token: send 'Authorization: Bearer <token>'")
    token_id, secret = split_token(text)
    with ctx.store.read() as s:
        row = s.get(TokenRow, token_id)
    if row is None or not secret_matches(secret, row.secret_sha256):
        raise UnauthorizedError("unknown token")
    if row.revoked_s is not None:
        raise UnauthorizedError("this token was revoked")
    return Principal(row.id, Role(row.role), row.org, row.program)
