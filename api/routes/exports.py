"""Exports for auditors: the same tables as `tamga export` (one implementation: `graph.pipeline.export`,
which also renders the CSV and neutralises formula-like cells), as CSV (UTF-8 with BOM, plain-word
headers, for a spreadsheet) or JSON."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import ApiError, ExportRead
from api.limits import PAGE_MAX
from api.routes.common import ERRORS

router = APIRouter(prefix="/api/v1", tags=["exports"], responses=ERRORS)

ExportKind = Literal["entities", "groups", "cover-items", "unit-value-anomalies", "hs-switches",
                     "resolved-entities", "audit-targets", "screening-hits", "risk-areas", "effectiveness",
                     "compliance", "trader-categories"]


@router.get("/exports/{kind}", operation_id="export_table", summary="Download a result table as CSV or JSON",
            response_class=Response,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}},
                                         "application/json": {"schema": {"type": "array",
                                                                         "items": {"type": "object"}}}}}})
async def export_table(
    ctx: ExportRead,
    kind: ExportKind,
    format: Annotated[Literal["csv", "json"], Query()] = "csv",
    budget: Annotated[int, Query(ge=1, le=PAGE_MAX, description="audit-targets: how many audits")] = 50,
) -> Response:
    from graph.pipeline.export import CSV_BOM, NotScoredError, export

    def work() -> str:
        try:
            text = export(ctx.store, kind, format, None, budget=budget if kind == "audit-targets" else None)
        except NotScoredError as e:
            raise ApiError(404, "Not Found", str(e)) from None
        except ValueError as e:
            raise ApiError(422, "Unprocessable Content", str(e)) from None
        ctx.audit("export.read",
                  f"{kind} {format}" + (f" budget={budget}" if kind == "audit-targets" else ""))
        return str(text)

    text = await ctx.limits.run(work, bulk=True)
    if format == "json":
        return Response(text.encode("utf-8"), media_type="application/json")
    return Response((CSV_BOM + text).encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="tamga-{kind}.csv"'})
