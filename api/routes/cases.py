"""The triage queue: cases opened by `graph.pipeline.alerts`, taken, worked and closed by investigators.

A case is open, in progress (taken by an assignee), confirmed or dismissed; closing it needs a
reason and is final. Only its assignee (or an admin) may change a taken case. Closing turns the
verdict into decisions through the one decision mechanism (`api.routes.decisions.record_decision`):
confirmed -> `confirmed_risk`, dismissed -> `cleared` on each party of the case, so the next scoring
run learns from it as from any decision, and the four-eyes rule holds (a `cleared` on a high-risk
party waits, pending, for a second approver). A case about an officer alone (a Person screening
hit) closes without a decision: decisions are about parties and items. Every read and change is
on the audit trail, its target starting with the case key.
"""

from __future__ import annotations

import secrets
import statistics
import time
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import Field

from api import audit
from api.deps import ApiError, CasesRead, CasesWrite
from api.limits import PAGE_MAX
from api.models import DecisionOut, Input, Public, Reason
from api.routes.common import ERRORS
from api.routes.decisions import record_decision
from graph.pipeline.results import reasons

router = APIRouter(prefix="/api/v1", tags=["cases"], responses=ERRORS)

STATES = ("open", "in_progress", "confirmed", "dismissed")
CLOSING = {"confirmed": "confirmed_risk", "dismissed": "cleared"}  # closing state -> decision kind
CaseKey = Annotated[str, Path(min_length=1, max_length=300)]


class CaseOut(Public):
    key: str
    subject: str = Field(description="the party, person or linked group the case is about")
    subject_kind: str | None = Field(default=None, description="party, person or group")
    name: str | None = None
    state: str
    assignee: str | None = None
    priority: float | None = Field(default=None, description="expected duties at stake over its alerts")
    alerts: int | None = None
    opened_at: str | None = None
    updated_at: str | None = None
    closed_at: str | None = None
    closed_by: str | None = None
    closing_reason: str | None = None


class CasePage(Public):
    items: list[CaseOut]


class AlertOut(Public):
    key: str
    kind: str = Field(description="cover_item, unit_value, hs_switch, profile, screening, entity_risk")
    subject: str
    party: str | None = None
    name: str | None = None
    score: float | None = None
    expected_duties: float | None = None
    reasons: list[Reason] = Field(default_factory=list)
    first_seen: str | None = None
    last_seen: str | None = None
    runs: int | None = None
    state: str | None = None


class NoteOut(Public):
    key: str
    user: str | None = None
    at: str | None = None
    text: str


class CaseDetail(CaseOut):
    alert_items: list[AlertOut] = Field(default_factory=list, description="the alerts of the case")
    parties: list[str] = Field(default_factory=list, description="the parties the alerts concern")
    network_root: str | None = Field(default=None, description="the party whose network shows the case")
    notes: list[NoteOut] = Field(default_factory=list)
    decisions: list[DecisionOut] = Field(default_factory=list)


class NoteIn(Input):
    text: str = Field(min_length=1, max_length=5000)


class StateIn(Input):
    state: Literal["open", "in_progress", "confirmed", "dismissed"]
    reason: str | None = Field(default=None, max_length=2000, description="required to confirm or dismiss")


class StateOut(Public):
    case: CaseOut
    decisions: list[DecisionOut] = Field(default_factory=list, description="the decisions the closing took")


def _case(ctx, key: str) -> dict[str, Any]:
    rows = ctx.store.run("cases.by_key", key=key)
    if not rows:
        raise ApiError(404, "Not Found", f"no case {key!r}")
    return rows[0]["cf"]


def _may_change(ctx, c: dict[str, Any], what: str) -> None:
    if c["state"] not in ("open", "in_progress"):
        raise ApiError(409, "Conflict", f"case {c['key']!r} is closed ({c['state']})")
    who = c.get("assignee")
    if who and who != ctx.principal.owner and not ctx.principal.has("keys:admin"):
        ctx.audit("access.denied", f"{c['key']} {what}: assigned to {who}", 403)
        raise ApiError(403, "Forbidden",
                       f"case {c['key']!r} is assigned to {who}: take it over through an admin")


def _detail(ctx, c: dict[str, Any]) -> dict[str, Any]:
    key = c["key"]
    alerts = [{**a, "reasons": reasons(a.get("reasons"))} for a in
              (r["alert"] for r in ctx.store.run("cases.alerts_of", key=key))]
    parties = list(dict.fromkeys(a["party"] for a in alerts if a.get("party")))
    return {**c, "alert_items": alerts, "parties": parties, "network_root": parties[0] if parties else None,
            "notes": [r["note"] for r in ctx.store.run("cases.notes_of", key=key)],
            "decisions": [{**r["decision"], "id": r["decision"]["key"]}
                          for r in ctx.store.run("cases.decisions_of", key=key)]}


@router.get("/cases", operation_id="list_cases", response_model=CasePage,
            summary="The work queue, highest priority (expected duties at stake) first")
async def list_cases(
    ctx: CasesRead,
    who: Annotated[Literal["all", "mine", "unassigned"], Query(description="mine: assigned to me")] = "all",
    state: Annotated[Literal["open", "in_progress", "confirmed", "dismissed"] | None, Query()] = None,
    skip: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 50,
) -> dict[str, Any]:
    lim = ctx.limits.page(limit)

    def work() -> dict[str, Any]:
        rows = ctx.store.run("cases.page", state=state,
                             assignee=ctx.principal.owner if who == "mine" else None,
                             unassigned=who == "unassigned", skip=skip, limit=lim)
        ctx.audit("cases.list", f"who={who} state={state or '*'}")
        return {"items": [r["cf"] for r in rows]}

    return await ctx.limits.run(work)


@router.get("/cases/export", operation_id="export_cases", response_class=Response,
            summary="The queue or the team figures (opened, closed, median hours to close, "
                    "share confirmed) as CSV",
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}})
async def export_cases(ctx: CasesRead,
                       table: Annotated[Literal["queue", "team"], Query()] = "queue") -> Response:
    from graph.pipeline.export import CSV_BOM, csv_text

    def work() -> str:
        cases = [r["cf"] for r in ctx.store.run("cases.all", limit=1_000_000)]
        ctx.audit("cases.export", table)
        if table == "queue":
            return csv_text(cases, QUEUE_COLUMNS)
        return csv_text(team_figures(cases), TEAM_COLUMNS)

    text = await ctx.limits.run(work, bulk=True)
    return Response((CSV_BOM + text).encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="tamga-cases-{table}.csv"'})


QUEUE_COLUMNS = {"key": "case", "subject": "subject", "subject_kind": "subject kind", "name": "name",
                 "state": "state", "assignee": "assignee", "priority": "expected duties at stake",
                 "alerts": "alerts", "opened_at": "opened", "closed_at": "closed",
                 "closing_reason": "closing reason"}
TEAM_COLUMNS = {"assignee": "assignee", "opened": "opened", "in_progress": "in progress", "closed": "closed",
                "confirmed": "confirmed", "dismissed": "dismissed",
                "median_hours_to_close": "median hours to close",
                "share_confirmed": "share confirmed"}


def team_figures(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per assignee and for the whole team ("all"): cases opened, closed, median time to close, share
    confirmed."""
    groups: dict[str, list[dict]] = {"all": cases}
    for c in cases:
        groups.setdefault(c.get("assignee") or "(unassigned)", []).append(c)
    out = []
    for who, cs in groups.items():
        closed = [c for c in cs if c["state"] in CLOSING]
        hours = [(datetime.fromisoformat(c["closed_at"])
                  - datetime.fromisoformat(c["opened_at"])).total_seconds() / 3600
                 for c in closed if c.get("closed_at") and c.get("opened_at")]
        confirmed = sum(c["state"] == "confirmed" for c in closed)
        out.append({"assignee": who, "opened": len(cs),
                    "in_progress": sum(c["state"] == "in_progress" for c in cs),
                    "closed": len(closed), "confirmed": confirmed, "dismissed": len(closed) - confirmed,
                    "median_hours_to_close": round(statistics.median(hours), 3) if hours else None,
                    "share_confirmed": round(confirmed / len(closed), 4) if closed else None})
    return out


@router.get("/cases/{case_id}", operation_id="get_case", response_model=CaseDetail,
            summary="A case with its alerts (and their reasons), notes, decisions and subject")
async def get_case(ctx: CasesRead, case_id: CaseKey) -> dict[str, Any]:
    key = case_id
    def work() -> dict[str, Any]:
        out = _detail(ctx, _case(ctx, key))
        ctx.audit("case.read", key)
        return out

    return await ctx.limits.run(work)


@router.post("/cases/{case_id}/take", operation_id="take_case", response_model=CaseOut,
             summary="Assign the case to me (it is then in progress)")
async def take_case(ctx: CasesWrite, case_id: CaseKey) -> dict[str, Any]:
    key = case_id
    def work() -> dict[str, Any]:
        c = _case(ctx, key)
        _may_change(ctx, c, "take")
        rows = ctx.store.run("cases.take", key=key, user=ctx.principal.owner, at=audit.now_iso())
        if not rows:
            raise ApiError(409, "Conflict", f"case {key!r} was closed meanwhile")
        ctx.audit("case.take", f"{case_id} by {ctx.principal.owner}")
        return rows[0]["cf"]

    return await ctx.limits.run(work)


@router.post("/cases/{case_id}/notes", operation_id="add_case_note", response_model=NoteOut, status_code=201,
             summary="Add a note to the case (append-only)")
async def add_note(ctx: CasesWrite, case_id: CaseKey, body: NoteIn) -> dict[str, Any]:
    key = case_id
    def work() -> dict[str, Any]:
        c = _case(ctx, key)
        _may_change(ctx, c, "note")
        note_key = f"note:{time.time_ns():020d}-{secrets.token_hex(4)}"
        rows = ctx.store.run("cases.add_note", key=key, note_key=note_key, user=ctx.principal.owner,
                             at=audit.now_iso(), text=body.text)
        ctx.audit("case.note", f"{case_id} {note_key}", 201)
        return rows[0]["note"]

    return await ctx.limits.run(work)


@router.post("/cases/{case_id}/state", operation_id="set_case_state", response_model=StateOut,
             summary="Move the case on; confirming or dismissing it needs a reason and records the decisions")
async def set_state(ctx: CasesWrite, case_id: CaseKey, body: StateIn) -> dict[str, Any]:
    key = case_id
    closing = body.state in CLOSING
    if closing and not (body.reason or "").strip():
        raise ApiError(422, "Unprocessable Content", f"a case is {body.state} only with a closing reason")

    def work() -> dict[str, Any]:
        c = _case(ctx, key)
        _may_change(ctx, c, body.state)
        decisions = []
        if closing:
            ctx.audit("case.state", f"{case_id} -> {body.state} (intent)", 202)
            parties = _detail(ctx, c)["parties"]
            for party in parties:
                d = record_decision(ctx, CLOSING[body.state], party, note=f"case {case_id}: {body.reason}")
                ctx.store.run("cases.link_decision", decision=d["key"], key=key)
                decisions.append(d)
        at = audit.now_iso()
        rows = ctx.store.run("cases.set_state", key=key, state=body.state, at=at, user=ctx.principal.owner,
                             closed_at=at if closing else None,
                             closed_by=ctx.principal.owner if closing else None,
                             reason=body.reason if closing else None)
        if not rows:
            raise ApiError(409, "Conflict", f"case {key!r} was closed meanwhile")
        if closing:
            ctx.store.run("cases.close_alerts", key=key)
        pending = sum(d.get("status") == "pending" for d in decisions)
        ctx.audit("case.state", f"{case_id} -> {body.state}"
                  + (f", {len(decisions)} decision(s)" if closing else "")
                  + (f", {pending} pending a second approver" if pending else ""))
        return {"case": rows[0]["cf"], "decisions": decisions}

    return await ctx.limits.run(work)
