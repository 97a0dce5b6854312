"""/tokens: API tokens (admin only). A new token's secret is in the answer to its creation."""

from __future__ import annotations

from fastapi import APIRouter, status

from aigrid.live.api import convert
from aigrid.live.api.deps import Caller, Context
from aigrid.live.api.schemas import TokenCreate, TokenCreated, TokenPublic
from aigrid.live.service import admin

router = APIRouter(prefix="/tokens", tags=["tokens"])


@router.post("", operation_id="tokens_create", status_code=status.HTTP_201_CREATED)
def create(body: TokenCreate, ctx: Context, who: Caller) -> TokenCreated:
    row, new = admin.create_token(
        ctx, who, body.role, org=body.org, program=body.program, name=body.name
    )
    return TokenCreated(**convert.token(row).model_dump(), token=new.text)


@router.get("", operation_id="tokens_list")
def list_tokens(ctx: Context, who: Caller) -> list[TokenPublic]:
    return [convert.token(r) for r in admin.list_tokens(ctx, who)]


@router.post("/{token_id}/revoke", operation_id="tokens_revoke")
def revoke(token_id: str, ctx: Context, who: Caller) -> TokenPublic:
    return convert.token(admin.revoke_token(ctx, who, token_id))
