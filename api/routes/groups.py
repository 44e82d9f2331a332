"""Linked groups (shell-company networks), cover-item, unit-value and HS-switch alerts, audit
targets and lanes.

Every route reads through `graph.pipeline.results` (the read model the exports use too)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

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
from api.routes.common import ERRORS
from graph.pipeline import results

router = APIRouter(prefix="/api/v1", responses=ERRORS)

Limit = Annotated[int, Query(ge=1, le=PAGE_MAX, description="page size (capped by the settings)")]
Skip = Annotated[int, Query(ge=0, le=1_000_000)]
Score = Annotated[float, Query(ge=0.0, le=1.0)]


@router.get("/groups", operation_id="list_groups", response_model=Page[GroupSummary], tags=["groups"],
            summary="Linked groups, riskiest first")
async def list_groups(ctx: EntityRead, min_risk: Score = 0.0, skip: Skip = 0,
                      limit: Limit = 50) -> dict[str, Any]:
    lim = ctx.limits.page(limit)

    def work() -> dict[str, Any]:
        items, total = results.group_page(ctx.store, min_risk=min_risk, skip=skip, limit=lim)
        ctx.audit("groups.list", f"min_risk={min_risk}")
        return {"items": items, "skip": skip, "limit": lim, "total": total}

    return await ctx.limits.run(work)


@router.get("/groups/{group_id}", operation_id="get_group", response_model=GroupDetail, tags=["groups"],
            summary="A linked group: its members and the links that hold it together")
async def get_group(ctx: EntityRead,
                    group_id: Annotated[str, Path(min_length=1, max_length=300)]) -> dict[str, Any]:
    def work() -> dict[str, Any]:
        g = results.group(ctx.store, group_id, max_members=ctx.limits.settings.max_subgraph_nodes)
        if g is None:
            raise ApiError(404, "Not Found", f"no group {group_id!r}")
        ctx.audit("group.read", group_id)
        return g

    return await ctx.limits.run(work)


@router.get("/alerts/cover", operation_id="list_cover_alerts", response_model=Page[CoverAlert],
            tags=["alerts"],
            summary="Cover-item alerts: declared codes that may cover other goods")
async def list_cover_alerts(ctx: EntityRead, min_score: Score = 0.5, skip: Skip = 0,
                            limit: Limit = 50) -> dict[str, Any]:
    lim = ctx.limits.page(limit)

    def work() -> dict[str, Any]:
        items = results.cover_alerts(ctx.store, min_score=min_score, skip=skip, limit=lim)
        ctx.audit("alerts.cover", f"min_score={min_score}")
        return {"items": items, "skip": skip, "limit": lim}

    return await ctx.limits.run(work)


@router.get("/alerts/unit-values", operation_id="list_unit_value_alerts", response_model=Page[UnitValueAlert],
            tags=["alerts"],
            summary="Unit-value alerts: items priced far from their HS code's usual value per kg")
async def list_unit_value_alerts(
        ctx: EntityRead,
        min_abs_z: Annotated[float, Query(ge=0.0, le=1000.0, description="smallest |robust z| listed")] = 3.5,
        direction: Annotated[Literal["under", "over"] | None,
                             Query(description="under (below the usual price) or over; "
                                               "both when absent")] = None,
        skip: Skip = 0, limit: Limit = 50) -> dict[str, Any]:
    lim = ctx.limits.page(limit)

    def work() -> dict[str, Any]:
        items = results.unit_value_alerts(ctx.store, min_abs_z=min_abs_z, direction=direction, skip=skip,
                                          limit=lim)
        ctx.audit("alerts.unit_values", f"min_abs_z={min_abs_z} direction={direction}")
        return {"items": items, "skip": skip, "limit": lim}

    return await ctx.limits.run(work)


@router.get("/alerts/hs-switches", operation_id="list_hs_switch_alerts", response_model=Page[HsSwitchAlert],
            tags=["alerts"],
            summary="HS-switch alerts: traders who suddenly declare their goods under another code")
async def list_hs_switch_alerts(ctx: EntityRead, min_score: Score = 0.5, skip: Skip = 0,
                                limit: Limit = 50) -> dict[str, Any]:
    """One item per party, highest switch score first, with its switches of at least `min_score`."""
    lim = ctx.limits.page(limit)

    def work() -> dict[str, Any]:
        items = results.hs_switch_alerts(ctx.store, min_score=min_score, skip=skip, limit=lim)
        ctx.audit("alerts.hs_switches", f"min_score={min_score}")
        return {"items": items, "skip": skip, "limit": lim}

    return await ctx.limits.run(work)


@router.get("/audit-targets", operation_id="list_audit_targets", response_model=Page[AuditTarget],
            tags=["alerts"],
            summary="The post-clearance audit plan under a budget "
                    "(ranked by duties expected to be recovered)")
async def list_audit_targets(ctx: EntityRead,
                             budget: Annotated[int, Query(ge=1, le=PAGE_MAX,
                                                          description="audits the office can do")] = 20,
                             ) -> dict[str, Any]:
    """The plan the last scoring run stored (`graph.declarations.audit_plan`), sliced to the budget by the
    read model (`graph.pipeline.results.audit_targets`, which `tamga export audit-targets` uses too)."""
    lim = ctx.limits.page(budget)

    def work() -> dict[str, Any]:
        try:
            plan = results.audit_targets(ctx.store, lim)
        except results.NotScoredError as e:
            raise ApiError(404, "Not Found", str(e)) from None
        ctx.audit("audit_targets.read", f"budget={lim}")
        return {"items": plan, "skip": 0, "limit": lim, "total": len(plan)}

    return await ctx.limits.run(work)


@router.get("/lanes", operation_id="get_lane_counts", response_model=list[LaneCount], tags=["alerts"],
            summary="Declaration items per proposed lane (and the lane assigned at the time)")
async def get_lane_counts(ctx: EntityRead) -> list[dict[str, Any]]:
    def work() -> list[dict[str, Any]]:
        rows = results.lane_counts(ctx.store)
        ctx.audit("lanes.read", "counts")
        return rows

    return await ctx.limits.run(work)


@router.get("/lanes/{lane}", operation_id="list_lane_items", response_model=Page[LaneItem], tags=["alerts"],
            summary="Declaration items in one proposed lane, highest score first")
async def list_lane_items(ctx: EntityRead, lane: Literal["yellow", "red"], skip: Skip = 0,
                          limit: Limit = 50) -> dict[str, Any]:
    lim = ctx.limits.page(limit)

    def work() -> dict[str, Any]:
        items = results.lane_items(ctx.store, lane=lane, skip=skip, limit=lim)
        ctx.audit("lanes.read", lane)
        return {"items": items, "skip": skip, "limit": lim}

    return await ctx.limits.run(work)
