"""Linked groups (shell-company networks), cover-item, unit-value and HS-switch alerts, audit targets and lanes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Path, Query

from api.deps import ApiError, EntityRead
from api.limits import PAGE_MAX
from api.models import (
    AuditTarget,
    CoverAlert,
    GroupDetail,
    GroupSummary,
    HsSwitchAlert,
    LaneCount,
    LaneItem,
    Page,
    UnitValueAlert,
)
from api.routes.common import ERRORS, parse_json

router = APIRouter(prefix="/api/v1", responses=ERRORS)

Limit = Annotated[int, Query(ge=1, le=PAGE_MAX, description="page size (capped by the settings)")]
Skip = Annotated[int, Query(ge=0, le=1_000_000)]
Score = Annotated[float, Query(ge=0.0, le=1.0)]


@router.get("/groups", operation_id="list_groups", response_model=Page[GroupSummary], tags=["groups"],
            summary="Linked groups, riskiest first")
async def list_groups(ctx: EntityRead, min_risk: Score = 0.0, skip: Skip = 0, limit: Limit = 50) -> dict[str, Any]:
    lim = ctx.limits.page(limit)

    def work() -> dict[str, Any]:
        rows = ctx.store.run("api.groups_page", min_risk=min_risk, skip=skip, limit=lim)
        total = ctx.store.run("api.groups_count", min_risk=min_risk)[0]["n"]
        ctx.audit("groups.list", f"min_risk={min_risk}")
        return {"items": [{**r, "reasons": parse_json(r["reasons"])} for r in rows], "skip": skip, "limit": lim,
                "total": total}

    return await ctx.limits.run(work)


@router.get("/groups/{group_id}", operation_id="get_group", response_model=GroupDetail, tags=["groups"],
            summary="A linked group: its members and the links that hold it together")
async def get_group(ctx: EntityRead, group_id: Annotated[str, Path(min_length=1, max_length=300)]) -> dict[str, Any]:
    def work() -> dict[str, Any]:
        rows = ctx.store.run("api.group_by_key", key=group_id)
        if not rows:
            raise ApiError(404, "Not Found", f"no group {group_id!r}")
        g = rows[0]["group"]
        members = ctx.store.run("api.group_members", key=group_id, limit=ctx.limits.settings.max_subgraph_nodes)
        ctx.audit("group.read", group_id)
        return {"key": g["key"], "risk": g.get("risk"), "size": g.get("size"), "reasons": parse_json(g.get("reasons")),
                "links": parse_json(g.get("links")), "members": members}

    return await ctx.limits.run(work)


@router.get("/alerts/cover", operation_id="list_cover_alerts", response_model=Page[CoverAlert], tags=["alerts"],
            summary="Cover-item alerts: declared codes that may cover other goods")
async def list_cover_alerts(ctx: EntityRead, min_score: Score = 0.5, skip: Skip = 0,
                            limit: Limit = 50) -> dict[str, Any]:
    lim = ctx.limits.page(limit)

    def work() -> dict[str, Any]:
        rows = ctx.store.run("api.cover_alerts", min_score=min_score, skip=skip, limit=lim)
        ctx.audit("alerts.cover", f"min_score={min_score}")
        return {"items": [{**r, "reasons": parse_json(r.pop("cover_reasons"))} for r in rows],
                "skip": skip, "limit": lim}

    return await ctx.limits.run(work)


@router.get("/alerts/unit-values", operation_id="list_unit_value_alerts", response_model=Page[UnitValueAlert],
            tags=["alerts"], summary="Unit-value alerts: items priced far from their HS code's usual value per kg")
async def list_unit_value_alerts(
        ctx: EntityRead,
        min_abs_z: Annotated[float, Query(ge=0.0, le=1000.0, description="smallest |robust z| listed")] = 3.5,
        direction: Annotated[Literal["under", "over"] | None,
                             Query(description="under (below the usual price) or over; both when absent")] = None,
        skip: Skip = 0, limit: Limit = 50) -> dict[str, Any]:
    lim = ctx.limits.page(limit)

    def work() -> dict[str, Any]:
        rows = ctx.store.run("api.unit_value_alerts", min_abs_z=min_abs_z, direction=direction, skip=skip,
                             limit=lim)
        ctx.audit("alerts.unit_values", f"min_abs_z={min_abs_z} direction={direction}")
        return {"items": [{**r, "direction": "under" if r["robust_z"] < 0 else "over",
                           "reasons": parse_json(r.pop("uv_reasons"))} for r in rows],
                "skip": skip, "limit": lim}

    return await ctx.limits.run(work)


@router.get("/alerts/hs-switches", operation_id="list_hs_switch_alerts", response_model=Page[HsSwitchAlert],
            tags=["alerts"], summary="HS-switch alerts: traders who suddenly declare their goods under another code")
async def list_hs_switch_alerts(ctx: EntityRead, min_score: Score = 0.5, skip: Skip = 0,
                                limit: Limit = 50) -> dict[str, Any]:
    """One item per party, highest switch score first, with its switches of at least `min_score`."""
    lim = ctx.limits.page(limit)

    def work() -> dict[str, Any]:
        rows = ctx.store.run("api.hs_switch_alerts", min_score=min_score, skip=skip, limit=lim)
        ctx.audit("alerts.hs_switches", f"min_score={min_score}")
        items = [{**r, "switches": [s for s in parse_json(r.pop("hs_switches")) or [] if s["score"] >= min_score]}
                 for r in rows]
        return {"items": items, "skip": skip, "limit": lim}

    return await ctx.limits.run(work)


@router.get("/audit-targets", operation_id="list_audit_targets", response_model=Page[AuditTarget], tags=["alerts"],
            summary="The post-clearance audit plan under a budget (ranked by duties expected to be recovered)")
async def list_audit_targets(ctx: EntityRead,
                             budget: Annotated[int, Query(ge=1, le=PAGE_MAX, description="audits the office can do")] = 20,
                             ) -> dict[str, Any]:
    """The plan the last scoring run stored (`graph.declarations.audit_plan`), sliced to the budget by `graph.pipeline.export`."""
    from graph.pipeline.export import export

    lim = ctx.limits.page(budget)

    def work() -> dict[str, Any]:
        try:
            plan = orjson.loads(export(ctx.store, "audit-targets", "json", None, budget=lim))
        except ValueError as e:
            raise ApiError(404, "Not Found", str(e)) from None
        ctx.audit("audit_targets.read", f"budget={lim}")
        return {"items": plan, "skip": 0, "limit": lim, "total": len(plan)}

    return await ctx.limits.run(work)


@router.get("/lanes", operation_id="get_lane_counts", response_model=list[LaneCount], tags=["alerts"],
            summary="Declaration items per proposed lane (and the lane assigned at the time)")
async def get_lane_counts(ctx: EntityRead) -> list[dict[str, Any]]:
    def work() -> list[dict[str, Any]]:
        rows = ctx.store.run("api.lane_counts")
        ctx.audit("lanes.read", "counts")
        return sorted(rows, key=lambda r: (r["lane"], r["channel"] or ""))

    return await ctx.limits.run(work)


@router.get("/lanes/{lane}", operation_id="list_lane_items", response_model=Page[LaneItem], tags=["alerts"],
            summary="Declaration items in one proposed lane, highest score first")
async def list_lane_items(ctx: EntityRead, lane: Literal["yellow", "red"], skip: Skip = 0,
                          limit: Limit = 50) -> dict[str, Any]:
    lim = ctx.limits.page(limit)

    def work() -> dict[str, Any]:
        rows = ctx.store.run("api.lane_items", lane=lane, skip=skip, limit=lim)
        ctx.audit("lanes.read", lane)
        return {"items": [{**r, "reasons": parse_json(r.pop("assessment_reasons"))} for r in rows],
                "skip": skip, "limit": lim}

    return await ctx.limits.run(work)
