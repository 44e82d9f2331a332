"""Data arriving one call at a time: declaration items (answered with their assessment), inspection
results and offences, all part of the next scoring run and of the provisional risk at once.

Every call is all-or-nothing: all items are checked first (the request model, then the ingest's
own row rules and the parties they name, `api.services.intake`), a bad one is a 422 problem
naming its index and field (`errors[].loc` = body, items, index, field), and then the whole
batch is stored through the ingest's path for rows. An item already stored is never overwritten
(`stored: false`). The audit trail has the intent before the write and the outcome after
(`_audited`). Every write takes the store's one writer (`_writer`, `api.services.writer`): free,
or lent by a running job between two of its batches; busy past its wait, the call is a 503.

After the write, the parties the new data touched get a provisional risk
(`api.services.intake.refresh_provisional`): by default after the response (`provisional=background`,
so the declaration processing system's call does not wait for it), in the call with `sync`, not
at all with `off` (the next full run scores them).
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import time
from collections.abc import Callable, Iterator
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Query
from fastapi.exceptions import RequestValidationError

from api import audit
from api.deps import ApiError, AppState, IngestWrite
from api.models import DeclarationsIn, DeclarationsOut, InspectionsIn, IntakeOut, OffencesIn
from api.routes.assess import _default_source as default_source
from api.routes.assess import assessor_for
from api.routes.common import ERRORS
from api.services import intake
from api.services.writer import WriterBusy
from graph.domain import schema
from graph.pipeline.results import reasons

router = APIRouter(prefix="/api/v1", tags=["intake"], responses=ERRORS)
log = logging.getLogger("tamga.api.intake")

Provisional = Annotated[Literal["background", "sync", "off"], Query(
    description="provisional risk of the touched parties: after the response (background), in the call "
                "(sync), or not until the next full run (off)")]


def _hold(state: AppState, what: str):
    """The store's one writer for an intake write (`api.services.writer`): free, or lent by a running
    job at its next batch boundary."""
    return state.jobs.slot.hold(what) if state.jobs is not None else contextlib.nullcontext()


@contextlib.contextmanager
def _writer(state: AppState, what: str) -> Iterator[None]:
    try:
        with _hold(state, what):
            yield
    except WriterBusy as e:
        raise ApiError(503, "Service Unavailable", str(e), {"Retry-After": "5"}) from None


def _audited(ctx: IngestWrite, action: str, target: str, write: Callable[[], Any],
             outcome: Callable[[Any], tuple[int, str]] = lambda _: (201, "")) -> Any:
    """The intake's one write pattern: `<action>.intent` audited, the write, `<action>` audited with
    its outcome (`outcome(result)` -> status, note; a bundle refused by the loader 422, a failure 500)."""
    from ingest.validate import BundleError

    ctx.audit(f"{action}.intent", target, 202)
    try:
        result = write()
    except BundleError as e:
        ctx.audit(action, target, 422)
        raise ApiError(422, "Unprocessable Content", str(e).splitlines()[0]) from e
    except Exception:
        ctx.audit(action, target, 500)
        raise
    status, note = outcome(result)
    ctx.audit(action, f"{target}; {note}" if note else target, status)
    return result


def _journal(state: AppState) -> Any:
    """Where posted rows wait for the ledger (`api.services.posted`; none without a job runner: each
    call flushes its own)."""
    return state.jobs.posted if state.jobs is not None else None


def _drain_quietly(state: AppState) -> None:
    """Background form: touched parties gather in `intake.pending_for(store)` and one drain at a time
    updates them; a failure is logged (the next full run scores the parties anyway)."""
    try:
        intake.pending_for(state.store).drain(state.store, hold=lambda: _hold(state, "provisional"))
    except Exception:  # after the response there is nobody to answer: log it
        log.exception("provisional risk update failed")


def _after(mode: str, state: AppState, keys: set[str], tasks: BackgroundTasks) -> dict[str, Any] | None:
    if mode == "sync":
        if not keys:
            return {"touched": 0, "neighbourhood": 0, "updated": 0, "seconds": 0.0}
        return intake.pending_for(state.store).now(state.store, keys,
                                                   hold=lambda: _writer(state, "provisional"))
    if mode == "background" and keys:
        intake.pending_for(state.store).add(keys)
        tasks.add_task(_drain_quietly, state)
    return None


def _quarantined(rep: Any) -> tuple[int, str]:
    """A row `check_rows` passed but the loader quarantined (a rule only the loader sees): 207."""
    fr = rep.files.get("declarations")
    return (207, f"{fr.quarantined} quarantined") if fr is not None and fr.quarantined else (201, "")


def _source(state: AppState, given: str | None) -> str:
    src = given or default_source(state)
    if not src:
        raise ApiError(422, "Unprocessable Content", "no source known: pass a source")
    return src


@router.post("/declarations", operation_id="post_declarations", response_model=DeclarationsOut,
             status_code=201,
             summary="Store declaration items (a batch, all or nothing) and answer each one's assessment")
async def post_declarations(ctx: IngestWrite, body: DeclarationsIn, tasks: BackgroundTasks,
                            provisional: Provisional = "background") -> dict[str, Any]:
    rows = [it.model_dump() for it in body.items]

    def work() -> dict[str, Any]:
        src = _source(ctx.state, body.source)
        try:
            intake.check_rows("declarations", rows)
            parties, by_key = intake.party_records(ctx.store, src, intake.declaration_parties(rows))
        except intake.RowsRefused as e:
            raise e.as_validation_error() from None
        keys = [intake.item_key(src, r) for r in rows]
        if len(set(keys)) < len(keys):
            dup = next(i for i, k in enumerate(keys) if keys.index(k) != i)
            raise RequestValidationError([{"loc": ("body", "items", dup, "declaration_id"),
                                           "msg": "the same item (declaration_id, item_no) twice in one call",
                                           "type": "value_error"}])
        a = assessor_for(ctx.state)  # 503 before the model is fitted: nothing is stored without an answer
        out = [a.assess({**r, "source": src}) for r in rows]
        with _writer(ctx.state, "declarations"):  # checked and stored with no other writer between
            existing = {r["key"] for r in ctx.store.run("intake.items_exist", keys=keys)}
            new = [r for r, k in zip(rows, keys, strict=True) if k not in existing]
            target = f"{src}: {len(new)} of {len(rows)} items ({keys[0]}{' ...' if len(keys) > 1 else ''})"
            if new:
                _audited(ctx, "declarations.store", target,
                         lambda: intake.store_rows(ctx.store, ctx.state.settings, src, {"declarations": new},
                                                   parties, "api:declarations", journal=_journal(ctx.state)),
                         _quarantined)
        ctx.audit("assess", target)
        items = [{**o, "reasons": reasons(o.get("reasons")), "key": k, "stored": k not in existing}
                 for o, k in zip(out, keys, strict=True)]
        return {"source": src, "items": items,
                "provisional": _after(provisional, ctx.state, intake.touched_by_items(src, new, by_key),
                                      tasks)}

    return await ctx.limits.run(work)


@router.post("/inspections", operation_id="post_inspections", response_model=IntakeOut, status_code=201,
             summary="Record inspection results of stored declaration items (part of the next scoring run)")
async def post_inspections(ctx: IngestWrite, body: InspectionsIn, tasks: BackgroundTasks,
                           provisional: Provisional = "background") -> dict[str, Any]:
    def work() -> dict[str, Any]:
        keys = [it.item for it in body.items]
        found = {r["key"] for r in ctx.store.run("intake.items_exist", keys=list(dict.fromkeys(keys)))}
        liable = intake.liable_parties(ctx.store, keys)
        for i, k in enumerate(keys):
            if k not in found:
                raise RequestValidationError([{"loc": ("body", "items", i, "item"),
                                               "msg": f"no declaration item {k!r} in the store",
                                               "type": "value_error"}])
        out, touched = [], set()
        with _writer(ctx.state, "inspections"):  # the whole call in one turn of the writer
            for it in body.items:
                key = f"{time.time_ns():020d}-{secrets.token_hex(4)}"
                _audited(ctx, "inspection.create", f"{key} inspection {it.item} {it.result}",
                         partial(ctx.store.run, "intake.record_inspection", key=key, subject=it.item,
                                 value=it.result, note=it.note, user=ctx.principal.owner, at=audit.now_iso(),
                                 inspected_on=it.date, officer=it.officer))
                out.append(key)
                if it.item in liable:
                    touched.add(liable[it.item])
        return {"stored": len(out), "keys": out,
                "provisional": _after(provisional, ctx.state, touched, tasks)}

    return await ctx.limits.run(work)


@router.post("/offences", operation_id="post_offences", response_model=IntakeOut, status_code=201,
             summary="Record offences (the contract's offences columns; part of the next scoring run)")
async def post_offences(ctx: IngestWrite, body: OffencesIn, tasks: BackgroundTasks,
                        provisional: Provisional = "background") -> dict[str, Any]:
    rows = [it.model_dump() for it in body.items]

    def work() -> dict[str, Any]:
        src = _source(ctx.state, body.source)
        try:
            intake.check_rows("offences", rows)
            parties, _ = intake.party_records(ctx.store, src,
                                              [(i, "party_id", r["party_id"]) for i, r in enumerate(rows)],
                                              file="offences")
        except intake.RowsRefused as e:
            raise e.as_validation_error() from None
        keys = [schema.node_key(src, r["offence_id"]) for r in rows]
        target = f"{src}: {len(rows)} offences ({keys[0]}{' ...' if len(keys) > 1 else ''})"
        with _writer(ctx.state, "offences"):
            _audited(ctx, "offences.store", target,
                     lambda: intake.store_rows(ctx.store, ctx.state.settings, src, {"offences": rows},
                                               parties, "api:offences", journal=_journal(ctx.state)))
        touched = {schema.node_key(src, r["party_id"]) for r in rows}
        return {"stored": len(rows), "keys": keys,
                "provisional": _after(provisional, ctx.state, touched, tasks)}

    return await ctx.limits.run(work)
