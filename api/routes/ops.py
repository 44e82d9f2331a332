"""Operations: liveness, readiness (the store answers), Prometheus metrics. Public on purpose: they
carry no data, and orchestrators and scrapers call them without a key."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.models import Health, Readiness
from api.services.runs import interrupted_runs

router = APIRouter(tags=["operations"])


@router.get("/healthz", operation_id="healthz", response_model=Health,
            summary="Liveness: the process answers")
async def healthz() -> dict[str, Any]:
    return {"status": "ok"}


@router.get("/readyz", operation_id="readyz", response_model=Readiness,
            responses={503: {"model": Health, "description": "the store does not answer"}},
            summary="Readiness: the store answers a query; the job holding the writer, if any; runs that "
                    "were interrupted (the data may be partial)")
async def readyz(request: Request) -> Any:
    state = request.app.state.tamga
    try:
        rows = await state.limits.run(state.store.run, "store.ping")
        ok = bool(rows and rows[0].get("ok") == 1)
    except Exception as e:  # noqa: BLE001 — any store failure means not ready
        return JSONResponse({"status": "unavailable", "store": state.store.backend,
                             "detail": str(e)[:200]}, 503)
    if not ok:
        return JSONResponse({"status": "unavailable", "store": state.store.backend}, 503)
    runs = await state.limits.run(interrupted_runs, state.store)
    jobs = state.jobs
    schedule = jobs.schedule if jobs else None
    nxt = await state.limits.run(schedule.next_run_at) if schedule else None  # reads the store's runs
    return {"status": "ok", "store": state.store.backend, "interrupted_runs": runs,
            "writer": jobs.writer() if jobs else None, "writers_waiting": jobs.slot.waiting() if jobs else 0,
            "queue_length": jobs.queued() if jobs else 0, "next_score_at": nxt}


@router.get("/metrics", operation_id="metrics", response_class=Response,
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
            summary="Prometheus metrics")
async def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
