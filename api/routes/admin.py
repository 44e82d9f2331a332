"""Ingest runs, the audit trail (read-only) and API keys."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from api import audit
from api.auth import create_key, list_keys, revoke_key
from api.deps import ApiError, AuditRead, IngestWrite, KeysAdmin
from api.limits import PAGE_MAX
from api.models import AuditEventOut, IngestRunOut, KeyCreated, KeyIn, KeyOut
from api.routes.common import ERRORS

router = APIRouter(prefix="/api/v1", responses=ERRORS)

Limit = Annotated[int, Query(ge=1, le=PAGE_MAX)]


@router.get("/ingest-runs", operation_id="list_ingest_runs", response_model=list[IngestRunOut],
            tags=["ingest"],
            summary="The latest ingest runs and their reports, newest first")
async def list_ingest_runs(ctx: IngestWrite, limit: Limit = 20) -> list[dict[str, Any]]:
    from ingest.load import last_reports

    lim = ctx.limits.page(limit)

    def work() -> list[dict[str, Any]]:
        rows = last_reports(ctx.store, limit=lim)
        ctx.audit("ingest_runs.read", f"limit={lim}")
        return rows

    return await ctx.limits.run(work)


@router.get("/audit", operation_id="list_audit_events", response_model=list[AuditEventOut], tags=["audit"],
            summary="The audit trail, newest first (read-only: no route edits or deletes it)")
async def list_audit_events(
    ctx: AuditRead,
    user: Annotated[str | None, Query(max_length=200)] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    target: Annotated[str | None, Query(max_length=500)] = None,
    since: Annotated[str | None, Query(max_length=40,
                                       description="ISO-8601 UTC, e.g. 2026-01-31T00:00:00Z")] = None,
    until: Annotated[str | None, Query(max_length=40)] = None,
    skip: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Limit = 100,
) -> list[dict[str, Any]]:
    lim = ctx.limits.page(limit)

    def work() -> list[dict[str, Any]]:
        rows = audit.query(ctx.store, user=user, action=action, target=target, since=since, until=until,
                           skip=skip, limit=lim)
        ctx.audit("audit.read", f"user={user or '*'} action={action or '*'}")
        return rows

    return await ctx.limits.run(work)


@router.post("/keys", operation_id="create_api_key", response_model=KeyCreated, status_code=201,
             tags=["keys"],
             summary="Create an API key (shown once; stored hashed)")
async def create_api_key(ctx: KeysAdmin, body: KeyIn) -> dict[str, Any]:
    def work() -> dict[str, Any]:
        try:
            key = create_key(ctx.store, body.owner, body.role,
                             expires_days=body.expires_days, scopes=body.scopes)
        except ValueError as e:
            raise ApiError(422, "Unprocessable Content", str(e)) from None
        prefix = key.split("_")[1]
        ctx.audit("keys.create", f"{prefix} {body.owner} {body.role}", 201)
        return {"key": key, "prefix": prefix, "owner": body.owner, "role": body.role,
                "expires_days": body.expires_days}

    return await ctx.limits.run(work)


@router.get("/keys", operation_id="list_api_keys", response_model=list[KeyOut], tags=["keys"],
            summary="API keys: prefix, owner, role, scopes, expiry and state (never the key)")
async def list_api_keys(ctx: KeysAdmin) -> list[dict[str, Any]]:
    def work() -> list[dict[str, Any]]:
        rows = list_keys(ctx.store)
        ctx.audit("keys.list")
        return rows

    return await ctx.limits.run(work)


@router.delete("/keys/{prefix}", operation_id="revoke_api_key", status_code=204, tags=["keys"],
               summary="Revoke an API key by its prefix")
async def revoke_api_key(ctx: KeysAdmin, prefix: Annotated[str, Path(min_length=1, max_length=64)]) -> None:
    def work() -> None:
        if not revoke_key(ctx.store, prefix):
            raise ApiError(404, "Not Found", f"no active key with prefix {prefix!r}")
        ctx.audit("keys.revoke", prefix)

    await ctx.limits.run(work)
