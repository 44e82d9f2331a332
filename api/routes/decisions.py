"""Investigators' decisions and inspection results: append-only, withdrawn by a soft delete.

Later scoring runs read them: same / not-same entity decisions steer entity resolution, confirmed
risk / cleared set a party's risk seed, and an inspection result is also written to the item's
`inspection_result`, the label the declaration assessment learns from.

Owners and four eyes: only the author of a decision or an admin may withdraw it; a `same_entity`
decision needs two different parties; a decision that lowers risk (`cleared`, `not_same_entity`)
about a party scored at or above `Settings.four_eyes_risk` is stored `pending` and has no effect on
scoring (`analytics.frames_decisions` skips it) until another key approves it. Each step is on the
audit trail, the intent before the write.
"""

from __future__ import annotations

import secrets
import time
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from api import audit
from api.deps import ApiError, Decide, EntityRead
from api.limits import PAGE_MAX
from api.models import DecisionIn, DecisionOut
from api.routes.common import ERRORS

router = APIRouter(prefix="/api/v1", tags=["decisions"], responses=ERRORS)

PAIR_KINDS = ("same_entity", "not_same_entity")
RISK_LOWERING = ("cleared", "not_same_entity")


def _risk_of(ctx, key: str | None) -> float:
    if not key:
        return 0.0
    rows = ctx.store.run("api.party_by_key", key=key)
    r = rows[0]["party"].get("risk_score") if rows else None
    return float(r) if isinstance(r, (int, float)) else 0.0


def _out(d: dict[str, Any]) -> dict[str, Any]:
    return {**d, "id": d["key"]}


def _exists(ctx, key: str) -> bool:
    if ctx.store.run("api.party_by_key", key=key):
        return True
    r = ctx.store.run("api.declaration_exists", key=key)[0]
    return bool(r["items"] or r["declaration_items"])


def record_decision(ctx, kind: str, subject: str, object: str | None = None, value: str | None = None,
                    note: str | None = None) -> dict[str, Any]:
    """Store one decision with the four-eyes rule, audited intent first (also what closing a case
    calls: api/routes/cases.py). Runs on the worker thread (`ctx.limits.run`)."""
    for k in (subject, object):
        if k and not _exists(ctx, k):
            raise ApiError(404, "Not Found", f"no party or declaration item {k!r}")
    key = f"{time.time_ns():020d}-{secrets.token_hex(4)}"
    threshold = ctx.state.settings.four_eyes_risk
    pending = kind in RISK_LOWERING and max(_risk_of(ctx, subject), _risk_of(ctx, object)) >= threshold
    status = "pending" if pending else "effective"
    what = f"{kind} {subject}" + (f" {object}" if object else "")
    ctx.audit("decision.create.intent", f"{key} {what}", 202)
    rows = ctx.store.run("api.decision_create", key=key, kind=kind, subject=subject,
                         object=object, value=value, note=note, user=ctx.principal.owner,
                         at=audit.now_iso(), status=status)
    if kind == "inspection":
        # the result also becomes the item's inspection result, which the next scoring run learns from
        n = ctx.store.run("api.inspection_by_item", subject=subject, value=value)[0]["items"]
        if not n:
            ctx.store.run("api.inspection_by_declaration", subject=subject, value=value)
    ctx.audit("decision.create", f"{key} {what}" + (" (pending a second approver)" if pending else ""), 201)
    return _out(rows[0]["decision"])


@router.post("/decisions", operation_id="create_decision", response_model=DecisionOut, status_code=201,
             summary="Record a decision (same entity / not the same, confirmed risk / cleared) "
                     "or an inspection")
async def create_decision(ctx: Decide, body: DecisionIn) -> dict[str, Any]:
    if body.kind in PAIR_KINDS and not body.object:
        raise ApiError(422, "Unprocessable Content",
                       f"a {body.kind} decision needs an object (the other party)")
    if body.kind in PAIR_KINDS and body.object == body.subject:
        raise ApiError(422, "Unprocessable Content", f"a {body.kind} decision needs two different parties")
    if body.kind == "inspection" and body.value not in ("clear", "violation"):
        raise ApiError(422, "Unprocessable Content", "an inspection result's value is clear or violation")

    def work() -> dict[str, Any]:
        return record_decision(ctx, body.kind, body.subject, body.object, body.value, body.note)

    return await ctx.limits.run(work)


@router.get("/decisions", operation_id="list_decisions", response_model=list[DecisionOut],
            summary="Decisions about a party or declaration item, newest first (withdrawn ones included)")
async def list_decisions(ctx: EntityRead, subject: Annotated[str, Query(min_length=1, max_length=300)],
                         limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 100) -> list[dict[str, Any]]:
    lim = ctx.limits.page(limit)

    def work() -> list[dict[str, Any]]:
        rows = ctx.store.run("api.decisions_for_subject", subject=subject, limit=lim)
        ctx.audit("decision.read", subject)
        return [_out(r["decision"]) for r in rows]

    return await ctx.limits.run(work)


@router.delete("/decisions/{decision_id}", operation_id="withdraw_decision", response_model=DecisionOut,
               summary="Withdraw a decision: it stays on record, marked deleted with who and when")
async def withdraw_decision(ctx: Decide,
                            decision_id: Annotated[str, Path(min_length=1, max_length=100)],
                            ) -> dict[str, Any]:
    def work() -> dict[str, Any]:
        found = ctx.store.run("api.decision_by_key", key=decision_id)
        if not found:
            raise ApiError(404, "Not Found", f"no decision {decision_id!r}")
        author = found[0]["decision"].get("user")
        if author != ctx.principal.owner and not ctx.principal.has("keys:admin"):
            ctx.audit("access.denied", f"withdraw {decision_id} of {author}", 403)
            raise ApiError(403, "Forbidden", "only the decision's author or an admin may withdraw it")
        rows = ctx.store.run("api.decision_soft_delete", key=decision_id, at=audit.now_iso(),
                             user=ctx.principal.owner)
        if not rows:
            raise ApiError(404, "Not Found", f"decision {decision_id!r} was already withdrawn")
        ctx.audit("decision.delete", decision_id)
        return _out(rows[0]["decision"])

    return await ctx.limits.run(work)


@router.post("/decisions/{decision_id}/approve", operation_id="approve_decision", response_model=DecisionOut,
             summary="Approve a pending (risk-lowering) decision as the second pair of eyes; not its author")
async def approve_decision(ctx: Decide,
                           decision_id: Annotated[str, Path(min_length=1, max_length=100)]) -> dict[str, Any]:
    def work() -> dict[str, Any]:
        found = ctx.store.run("api.decision_by_key", key=decision_id)
        if not found:
            raise ApiError(404, "Not Found", f"no decision {decision_id!r}")
        d = found[0]["decision"]
        if d.get("user") == ctx.principal.owner:
            ctx.audit("access.denied", f"approve {decision_id}: own decision", 403)
            raise ApiError(403, "Forbidden",
                           "a decision needs a second approver: its author cannot approve it")
        rows = ctx.store.run("api.decision_approve", key=decision_id, user=ctx.principal.owner,
                             at=audit.now_iso())
        if not rows:
            raise ApiError(409, "Conflict",
                           f"decision {decision_id!r} is not pending (withdrawn or effective)")
        ctx.audit("decision.approve", f"{decision_id} {d.get('kind')} {d.get('subject')}", 200)
        return _out(rows[0]["decision"])

    return await ctx.limits.run(work)
