"""How effective each control measure is, over HTTP: `GET /api/v1/effectiveness`.

Per lane, risk profile and trader category: selections, inspections, hits, the hit rate with its
interval, duties recovered, and the random picks as the baseline; and the compliance per risk area from
the random picks against the tolerance level (`graph.pipeline.effectiveness`). A reader's view: scope
`entity:read`, which every role has. Read from the store as it is now (inspection results recorded since
the last scoring run count), as a bulk request (it reads every item). The models live here, as no other
route uses them.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import EntityRead
from api.models import Public
from api.routes.common import ERRORS

router = APIRouter(prefix="/api/v1", tags=["risk management"], responses=ERRORS)


class Measure(Public):
    measure: str  # random, lane, profile or category
    value: str
    label: str
    selections: int
    inspections: int
    hits: int
    hit_rate: float | None
    low: float
    high: float
    duties_recovered: float
    baseline_hit_rate: float | None
    lift: float | None
    random_inspections: int  # random picks within this measure's selection, inspected
    random_hits: int
    random_hit_rate: float | None


class Compliance(Public):
    area: str  # all, hs_chapter, origin_country, border_post, category
    value: str
    random_inspected: int
    violations: int
    compliance: float | None
    low: float
    high: float
    tolerance: float
    status: str


class EffectivenessOut(Public):
    items: int
    random_picks: int
    tolerance_level: float
    confidence: float
    random_share: dict[str, float]
    measures: list[Measure]
    compliance: list[Compliance]


@router.get("/effectiveness", operation_id="get_effectiveness", response_model=EffectivenessOut,
            summary="Effectiveness of lanes, profiles and trader categories, with the random baseline and "
                    "compliance per risk area")
async def get_effectiveness(ctx: EntityRead) -> dict[str, Any]:
    from graph.pipeline.effectiveness import effectiveness

    def work() -> dict[str, Any]:
        out = effectiveness(ctx.store, ctx.state.settings)
        ctx.audit("effectiveness.read", "")
        return out

    return await ctx.limits.run(work, bulk=True)
