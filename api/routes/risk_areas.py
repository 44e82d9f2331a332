"""Risk areas at a glance (issue 13): offences, hit rates and duties at stake by HS chapter, origin,
border post, route and month; lane shares per month against their expected rates; the profiles that
fire most and least. Read by `graph.pipeline.risk_areas` (named queries over stored state), plotted
by `graph.pipeline.plots` (SVG drawn here, every label escaped), so the page works offline and under
its CSP. The items come aggregated from the item summary (`graph.pipeline.item_summary`, shared with
the effectiveness figures); the view adds the offences and profiles (small queries): run as bulk
work (`Limits.run(bulk=True)`), like the exports, and kept for `CACHE_TTL_S` while the summary's
version (latest ingest and score, the items, the inspections) stays the same, so the page and its
plots do not read twice; an inspection shows at once, an offence posted meanwhile within that time.
"""

from __future__ import annotations

import threading
import time
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from fastapi.responses import Response

from api.deps import ApiError, EntityRead
from api.models.risk_areas import RiskAreas
from api.routes.common import ERRORS
from graph.pipeline import item_summary, plots, risk_areas
from graph.pipeline.results import NotScoredError

router = APIRouter(prefix="/api/v1", tags=["risk areas"], responses=ERRORS)
CACHE_TTL_S = 30.0
_CACHE: dict[int, tuple[Any, float, dict[str, Any]]] = {}  # id(store) -> (data version, at, view)
_LOCK = threading.Lock()


def _overview(ctx) -> dict[str, Any]:
    version = item_summary.version(ctx.store)
    with _LOCK:
        hit = _CACHE.get(id(ctx.store))
    if hit and hit[0] == version and time.monotonic() - hit[1] < CACHE_TTL_S:
        return hit[2]
    try:
        view = risk_areas.overview(ctx.store, ctx.state.settings)
    except NotScoredError as e:
        raise ApiError(404, "Not Found", str(e)) from None
    with _LOCK:
        _CACHE.clear()  # one store per server: the latest view only
        _CACHE[id(ctx.store)] = (version, time.monotonic(), view)
    return view


@router.get("/risk-areas", operation_id="get_risk_areas", response_model=RiskAreas,
            summary="Risk areas: offences, hit rates and duties by area; lane shares; profile hits")
async def get_risk_areas(
    ctx: EntityRead,
    with_plots: Annotated[bool, Query(alias="plots", description="include every plot as SVG text")] = False,
) -> dict[str, Any]:
    def work() -> dict[str, Any]:
        view = _overview(ctx)
        ctx.audit("risk_areas.read", "overview" + (" plots" if with_plots else ""))
        return {**view, "plot_titles": plots.names(), "plots": plots.all_plots(view) if with_plots else {}}

    return await ctx.limits.run(work, bulk=True)


@router.get("/risk-areas/plots/{name}.svg", operation_id="get_risk_area_plot", response_class=Response,
            summary="One risk-area plot as SVG",
            responses={200: {"content": {"image/svg+xml": {"schema": {"type": "string"}}}}})
async def get_risk_area_plot(
    ctx: EntityRead,
    name: Annotated[str, PathParam(pattern=r"^[a-z-]{1,40}$", description="a name from plot_titles")],
) -> Response:
    if name not in plots.names():
        raise ApiError(404, "Not Found", f"no plot {name!r}: choose one of {', '.join(plots.names())}")

    def work() -> str:
        svg = plots.plot(_overview(ctx), name)
        ctx.audit("risk_areas.read", f"plot {name}")
        return svg

    svg = await ctx.limits.run(work, bulk=True)
    return Response(svg.encode("utf-8"), media_type="image/svg+xml",
                    headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})
