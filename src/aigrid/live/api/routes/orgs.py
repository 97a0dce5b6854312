"""/orgs: tenant organisations."""

from __future__ import annotations

from fastapi import APIRouter, status

from aigrid.live.api import convert
from aigrid.live.api.deps import Caller, Context
from aigrid.live.api.schemas import OrgCreate, OrgPublic
from aigrid.live.service import admin

router = APIRouter(prefix="/orgs", tags=["orgs"])


@router.post("", operation_id="orgs_create", status_code=status.HTTP_201_CREATED)
def create(body: OrgCreate, ctx: Context, who: Caller) -> OrgPublic:
    return convert.org(admin.create_org(ctx, who, body.id, body.name, body.tenant_class))


@router.get("", operation_id="orgs_list")
def list_orgs(ctx: Context, who: Caller) -> list[OrgPublic]:
    return [convert.org(r) for r in admin.list_orgs(ctx, who)]


@router.get("/{org_id}", operation_id="orgs_get")
def get(org_id: str, ctx: Context, who: Caller) -> OrgPublic:
    return convert.org(admin.get_org(ctx, who, org_id))
