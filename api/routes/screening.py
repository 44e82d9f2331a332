"""Watchlists and screening: load a list's new version, list the lists, read and decide the hits,
screen one party on demand.

A loaded version re-screens every party and officer against what it changed (its added and
changed entities; removed ones took their hits with them), as `tamga watchlist load` does. The
upload is the file itself as the request body (FtM JSON lines or the service's CSV), bounded by
the service's request-body limit (`Settings.max_body_bytes`); bigger lists load with the CLI.
Every read of hits and every decision is on the audit trail, the decision's intent first. Loading
and screening run under the bulk time budget: the first screening of a process loads rigour's name
tagger (3-20 s), and one party is screened against the whole list's index.
"""

from __future__ import annotations

import builtins
import tempfile
from pathlib import Path as FsPath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from api.deps import ApiError, Decide, EntityRead, ScreeningRun, WatchlistsWrite
from api.limits import PAGE_MAX
from api.models import Public, ScreeningHit
from api.routes.common import ERRORS
from graph.pipeline import results
from graph.pipeline import screening as scr

router = APIRouter(prefix="/api/v1", tags=["screening"], responses=ERRORS)

ListName = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="the list's name")]


class WatchlistVersionOut(Public):
    version: int
    loaded_at: str | None = None
    added: int
    changed: int
    removed: int


class WatchlistOut(Public):
    name: str
    format: str | None = None
    version: int = Field(description="the latest version loaded")
    loaded_at: str | None = None
    entities: int | None = None
    link_count: int | None = Field(default=None, description="links between its entities (ownership, ...)")
    versions: list[WatchlistVersionOut] = Field(description="newest first, with what each changed")


class Rejected(Public):
    line: int
    field: str
    message: str


class ScreeningCounts(Public):
    subjects: int = Field(description="parties and officers screened")
    listed_screened: int = Field(description="listed entities screened (only the changed ones after a load)")
    hits: int
    removed: int = Field(description="hits no longer found")
    decisions_kept: int = Field(description="confirmed / false-positive states kept (neither side changed)")
    new: int


class WatchlistLoaded(Public):
    list: str
    version: int
    format: str
    entities: int
    link_count: int = Field(description="links between its entities (ownership, directorship, family ...)")
    # `builtins.list`: the field `list` above shadows the builtin in this class's namespace
    added: builtins.list[str]
    changed: builtins.list[str]
    removed: builtins.list[str]
    rejected: builtins.list[Rejected] = Field(description="rows not loaded, with their line and field")
    screening: ScreeningCounts


class ScreeningPage(Public):
    items: list[ScreeningHit]
    skip: int
    limit: int


class HitStateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    state: Literal["new", "confirmed", "false_positive"]


@router.get("/watchlists", operation_id="list_watchlists", response_model=list[WatchlistOut],
            summary="The loaded sanctions lists and watchlists, with each version's added/changed/removed "
                    "counts")
async def list_watchlists(ctx: EntityRead) -> list[dict[str, Any]]:
    def work() -> list[dict[str, Any]]:
        out = scr.watchlists(ctx.store)
        ctx.audit("watchlist.read", "")
        return [{**w, "link_count": w.get("links"),
                 "loaded_at": str(w["loaded_at"]) if w.get("loaded_at") else None,
                 "versions": [{**v, "loaded_at": str(v["loaded_at"]) if v.get("loaded_at") else None}
                              for v in w["versions"]]} for w in out]

    return await ctx.limits.run(work)


@router.post("/watchlists/{name}/versions", operation_id="load_watchlist_version", status_code=201,
             response_model=WatchlistLoaded,
             summary="Load a new version of a list (the file as the body: FtM JSON lines or CSV) and "
                     "re-screen what it changed",
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/x-ndjson": {"schema": {"type": "string"}},
                 "text/csv": {"schema": {"type": "string"}}}}})
async def load_version(ctx: WatchlistsWrite, name: ListName, request: Request,
                       format: Annotated[Literal["ftm", "csv"] | None, Query(
                           description="ftm or csv (default: from the Content-Type, else ftm)")] = None,
                       ) -> dict[str, Any]:
    from ingest.watchlists import WatchlistError, load_watchlist

    body = await request.body()
    if not body.strip():
        raise ApiError(422, "Unprocessable Content", "the request body (the list file) is empty")
    fmt = format or ("csv" if "csv" in request.headers.get("content-type", "") else "ftm")

    def work() -> dict[str, Any]:
        ctx.audit("watchlist.load.intent", f"{name} ({fmt}, {len(body)} bytes)", 202)
        with tempfile.TemporaryDirectory() as d:
            path = FsPath(d) / f"{name}.{'csv' if fmt == 'csv' else 'json'}"
            path.write_bytes(body)
            try:
                rep = load_watchlist(ctx.store, path, name=name, fmt=fmt)
            except (WatchlistError, UnicodeDecodeError) as e:
                msg = str(e).replace(str(path), "the uploaded file")
                ctx.audit("watchlist.load", f"{name}: refused: {msg}", 422)
                raise ApiError(422, "Unprocessable Content", msg) from None
        counts = scr.rescreen_list(ctx.store, name, rep.added + rep.changed)
        ctx.audit("watchlist.load", f"{name} v{rep.version}: +{len(rep.added)} ~{len(rep.changed)} "
                                    f"-{len(rep.removed)}, {counts['hits']} hits", 201)
        return {"list": name, "version": rep.version, "format": fmt, "entities": rep.entities,
                "link_count": rep.links,
                "added": rep.added, "changed": rep.changed, "removed": rep.removed, "rejected": rep.rejected,
                "screening": counts}

    return await ctx.limits.run(work, bulk=True)  # the first screening of a process loads rigour's tagger


def _hit_out(h: dict[str, Any]) -> dict[str, Any]:
    return {**h, **{k: str(h[k]) if h.get(k) is not None else None for k in ("screened_at", "decided_at")}}


@router.get("/screening-hits", operation_id="list_screening_hits", response_model=ScreeningPage,
            summary="Screening hits, best first (one page; filter by state or subject)")
async def list_hits(ctx: EntityRead,
                    state: Annotated[Literal["new", "confirmed", "false_positive"] | None, Query()] = None,
                    subject: Annotated[str | None, Query(min_length=1, max_length=300,
                                                         description="a party's or officer's key")] = None,
                    skip: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
                    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 100) -> dict[str, Any]:
    lim = ctx.limits.page(limit)

    def work() -> dict[str, Any]:
        items = results.screening_hits(ctx.store, state=state, subject=subject, skip=skip, limit=lim)
        ctx.audit("screening.read", f"state={state or '*'} subject={subject or '*'} skip={skip}")
        return {"items": [_hit_out(h) for h in items], "skip": skip, "limit": lim}

    return await ctx.limits.run(work)


@router.patch("/screening-hits/{hit_id}", operation_id="decide_screening_hit", response_model=ScreeningHit,
              summary="Decide a hit: confirmed or false_positive (kept until the listed entity or the party "
                      "changes)")
async def decide_hit(ctx: Decide, hit_id: Annotated[str, Path(pattern=r"^[0-9a-f]{24}$")],
                     body: HitStateIn) -> dict[str, Any]:
    def work() -> dict[str, Any]:
        found = ctx.store.run("watchlist.hit_by_id", hit_id=hit_id)
        if not found:
            ctx.audit("screening.decide", hit_id, 404)
            raise ApiError(404, "Not Found", f"no screening hit {hit_id!r}")
        f = found[0]
        what = f"{hit_id} {f['subject']} -> {f['listed']}: {f['state']} -> {body.state}"
        ctx.audit("screening.decide.intent", what, 202)
        scr.set_hit_state(ctx.store, f["subject"], f["listed"], body.state, user=ctx.principal.owner)
        ctx.audit("screening.decide", what)
        hit = next(h for h in results.screening_hits(ctx.store, subject=f["subject"])
                   if h["hit_id"] == hit_id)
        return _hit_out(hit)

    return await ctx.limits.run(work)


@router.post("/parties/{key}/screen", operation_id="screen_party", response_model=list[ScreeningHit],
             summary="Screen one party and its officers against every list now; their hits")
async def screen_party(ctx: ScreeningRun,
                       key: Annotated[str, Path(min_length=1, max_length=300)]) -> list[dict[str, Any]]:
    from api.routes.entities import screening_of

    def work() -> list[dict[str, Any]]:
        if not ctx.store.run("api.party_by_key", key=key):
            ctx.audit("screening.run", key, 404)
            raise ApiError(404, "Not Found", f"no party {key!r}")
        counts = scr.screen_party(ctx.store, key)
        ctx.audit("screening.run", f"{key}: {counts['hits']} hits")
        return [_hit_out(h) for h in screening_of(ctx.store, key)]

    return await ctx.limits.run(work, bulk=True)

