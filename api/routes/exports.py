"""Exports for auditors: the tables behind the lists, as CSV (for a spreadsheet) or JSON."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import ExportRead
from api.routes.common import ERRORS

router = APIRouter(prefix="/api/v1", tags=["exports"], responses=ERRORS)

EXPORT_MAX_ROWS = 10_000

_QUERIES: dict[str, tuple[str, dict[str, Any]]] = {
    "audit-targets": ("api.audit_targets", {"min_risk": 0.0}),
    "groups": ("api.groups_page", {"min_risk": 0.0, "skip": 0}),
    "cover-alerts": ("api.cover_alerts", {"min_score": 0.5, "skip": 0}),
}


def _cell(v: Any) -> Any:
    """Spreadsheet-safe cell: text that a spreadsheet would run as a formula is quoted."""
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + v
    return "" if v is None else v


@router.get("/exports/{kind}", operation_id="export_table", summary="Download a result table as CSV or JSON",
            response_class=Response,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}},
                                         "application/json": {"schema": {"type": "array", "items": {"type": "object"}}}}}})
async def export_table(
    ctx: ExportRead,
    kind: Literal["audit-targets", "groups", "cover-alerts"],
    format: Annotated[Literal["csv", "json"], Query()] = "csv",
    limit: Annotated[int, Query(ge=1, le=EXPORT_MAX_ROWS)] = 1000,
) -> Response:
    name, params = _QUERIES[kind]

    def work() -> list[dict[str, Any]]:
        rows = ctx.store.run(name, **params, limit=limit)
        ctx.audit("export.read", f"{kind} {format} rows={len(rows)}")
        return rows

    rows = await ctx.limits.run(work)
    if format == "json":
        return Response(orjson.dumps(rows, default=str), media_type="application/json")
    buf = io.StringIO()
    cols = list(rows[0]) if rows else []
    w = csv.writer(buf)
    w.writerow(cols)
    for r in rows:
        w.writerow([_cell(r[c]) for c in cols])
    return Response(buf.getvalue(), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="tamga-{kind}.csv"'})
