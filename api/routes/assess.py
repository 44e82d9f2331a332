"""Declaration assessment: another system posts a declaration item and gets a score, a lane and reasons.

Scoring is `graph.declarations.assessment.Assessor` (the declaration analytics' own model and tables, loaded
once per data version), never reimplemented here. Nothing is written unless `store=true`, which
also needs the `ingest:write` scope and goes through the ingest itself (a one-row bundle, so the
same validation, keys and quarantine apply as for any file).

Storing is audited intent first: `assess.store.intent` is appended before anything is written and
`assess.store` (with the outcome as its status) after, so a crash in between leaves an intent
without an outcome, never a stored item without an audit event. `"stored": true` means this
request wrote the item: an item already in the store is never overwritten by an assessment
(`stored_reason` says so), and a row the ingest quarantines is not stored either. A stored item
that risk profiles fired on carries their hits and raises its profile alert at once
(`graph.pipeline.profile_store.record_item_hits`), as the scoring run would.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import ApiError, AppState, Assess
from api.models import Assessment, DeclarationIn
from api.routes.common import ERRORS
from graph.pipeline.profile_store import assess_item, record_item_hits
from graph.pipeline.results import data_version, reasons

router = APIRouter(prefix="/api/v1", tags=["assessment"], responses=ERRORS)
_LOCK = threading.Lock()


def _default_source(state: AppState) -> str | None:
    from ingest.load import last_reports

    for rep in last_reports(state.store, limit=5):
        if rep.get("source"):
            return rep["source"]
    return None


def assessor_for(state: AppState):
    """The loaded assessor, reloaded when a new ingest or score run changed the data."""
    from graph.declarations.assessment import Assessor

    version = data_version(state.store)
    with _LOCK:
        cached = state.assessor
        if cached is None or cached[0] != version:
            try:
                a = Assessor.load(state.store, state.settings, source=_default_source(state))
            except FileNotFoundError as e:
                raise ApiError(503, "Service Unavailable", f"assessment is not available yet: {e}") from None
            state.assessor = (version, a)
        return state.assessor[1]


def _store_row(state: AppState, row: dict[str, Any], source: str) -> tuple[bool, str | None]:
    """Write one item through the ingest's own path for rows (`api.services.intake.store_rows`, with
    the stored records of its parties, which the ingest checks against the store); (stored, why not)."""
    from api.services import intake
    from ingest.validate import BundleError

    try:
        parties, _ = intake.party_records(state.store, source, intake.declaration_parties([row]))
    except intake.RowsRefused as e:
        raise ApiError(422, "Unprocessable Content", e.reason) from None
    try:
        rep = intake.store_rows(state.store, state.settings, source, {"declarations": [row]}, parties,
                                "api:assess", record=True)
    except BundleError as e:  # nothing of the row loaded (quarantined past the bounds), or no such column
        raise ApiError(422, "Unprocessable Content", str(e).splitlines()[0]) from e
    state.search.refresh(force=True)
    fr = getattr(rep, "files", {}).get("declarations")
    if fr is not None and fr.quarantined:
        reasons = ", ".join(sorted(getattr(rep, "quarantine_reasons", {}) or {})) or "see the ingest report"
        return False, f"the ingest quarantined the row ({reasons})"
    if fr is not None and fr.existing:
        return False, "the item is already in the store; an assessment never overwrites a stored item"
    return True, None


def _item_key(source: str, row: dict[str, Any]) -> str:
    from api.services.intake import item_key

    return item_key(source, row)


@router.post("/assess", operation_id="assess_declaration", response_model=Assessment,
             summary="Assess a declaration item against the stored network; written only with store=true")
async def assess_declaration(
    ctx: Assess,
    body: DeclarationIn,
    store: Annotated[bool,
                     Query(description="also write the item to the store (needs ingest:write)")] = False,
    source: Annotated[str | None, Query(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9_.-]+$",
                                        description="source whose party ids the row uses "
                                                    "(default: the latest ingest's)")] = None,
) -> dict[str, Any]:
    if store and not ctx.principal.has("ingest:write"):
        ctx.audit("access.denied", "POST /api/v1/assess?store=true needs ingest:write", 403)
        raise ApiError(403, "Forbidden", "storing the declaration needs the scope 'ingest:write'")
    row = body.model_dump()

    def work() -> dict[str, Any]:
        a = assessor_for(ctx.state)
        src = source or a.source
        item = {**row, "source": src} if src else row
        out = a.assess(item)
        # the live risk profiles beside the model, with the batch's valuation reference
        lane, fired = assess_item(ctx.store, a.with_party_keys(item), out["lane"], {6: a.model.norms})
        out = {**out, "lane": lane, "reasons": list(out.get("reasons") or []) + [x.as_dict() for x in fired]}
        target = f"{src or ''}:{row['declaration_id']}/{row.get('item_no') or 1}"
        stored, why = False, None
        if store:
            if not src:
                raise ApiError(422, "Unprocessable Content", "no source known: pass ?source=")
            ctx.audit("assess.store.intent", target, 202)
            if ctx.store.run("api.declaration_exists", key=_item_key(src, row))[0]["items"]:
                why = "the item is already in the store; an assessment never overwrites a stored item"
            else:
                try:
                    stored, why = _store_row(ctx.state, row, src)
                except ApiError as e:
                    ctx.audit("assess.store", target, e.status)
                    raise
            ctx.audit("assess.store", target, 201 if stored else 409)
            if stored and fired:  # the profiles that fired on the stored item: its alert, now
                raised = record_item_hits(ctx.store, _item_key(src, row), fired, ctx.state.settings)
                ctx.audit("assess.alert", f"{target}: {raised['alerts']} alert(s)")
        ctx.audit("assess", target)
        return {**out, "reasons": reasons(out.get("reasons")), "stored": stored, "stored_reason": why,
                "source": src}

    return await ctx.limits.run(work)
