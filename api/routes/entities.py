"""Entities: search, the entity card, the risk lookup, and the network around an entity."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse

from api.deps import ApiError, EntityRead, GraphRead
from api.limits import DEPTH_MAX, NODES_MAX, PAGE_MAX
from api.models import EntityCard, PageTicket, Risk, SearchResult, Subgraph
from api.routes.common import ERRORS
from api.services import subgraph
from api.services.runs import interrupted_runs
from api.services.tickets import TTL_S as TICKET_TTL_S
from graph.domain import schema
from graph.pipeline import results
from graph.store import GraphStore

router = APIRouter(prefix="/api/v1", tags=["entities"], responses=ERRORS)

EntityId = Annotated[str, Path(min_length=1, max_length=300,
                               description="a party key (source:party_id), a source party id, or a "
                                           "resolved entity id")]
RelKind = Literal[tuple(r.type for r in schema.RELS)]  # type: ignore[valid-type]
Rels = Annotated[list[RelKind] | None,  # type: ignore[valid-type]
                 Query(description="relationship kinds to follow (default: parties, "
                                   "identifiers, officers, offences, groups, entities)")]
Depth = Annotated[int, Query(ge=1, le=DEPTH_MAX, description="hops from the entity (capped by the settings)")]
MaxNodes = Annotated[int | None, Query(ge=1, le=NODES_MAX, description="node cap (capped by the settings)")]
DateFrom = Annotated[date | None, Query(description="only declarations and offences on or after this date")]
DateTo = Annotated[date | None, Query(description="only declarations and offences on or before this date")]


def resolve_party(store: GraphStore, ident: str) -> dict[str, Any] | None:
    """The party a card or network is built around: by party key, entity id, or source party id."""
    rows = store.run("api.party_by_key", key=ident)
    if rows:
        return rows[0]["party"]
    members = store.run("api.parties_by_entity", entity_id=ident, limit=500)
    if members:
        best = max(members, key=lambda m: (m["risk_score"] or 0.0, m["key"]))
        return store.run("api.party_by_key", key=best["key"])[0]["party"]
    rows = store.run("api.parties_by_party_id", party_id=ident, limit=1)
    return rows[0]["party"] if rows else None


def _missing(ctx, action: str, ident: str) -> ApiError:
    """A read of something that is not there is still a read: audited with status 404."""
    ctx.audit(action, ident, 404)
    return ApiError(404, "Not Found", f"no party or entity {ident!r}")


def _decision(d: dict[str, Any]) -> dict[str, Any]:
    return {**{k: (str(v) if v is not None and k in ("at", "deleted_at") else v) for k, v in d.items()},
            "id": d["key"]}


def screening_of(store: GraphStore, key: str) -> list[dict[str, Any]]:
    """The party's screening hits and its officers' (a sanctioned director shows on the company)."""
    return results.party_screening_hits(store, key)


def build_card(store: GraphStore, p: dict[str, Any], top: int = 10) -> dict[str, Any]:
    key = p["key"]
    roles = {r["role"]: r["n"] for r in store.run("api.party_roles", key=key)}
    role_names = {t: c.removesuffix("_id") for c, t in schema.PARTY_ROLES.items()}
    trade_rows = store.run("api.party_trade", key=key)
    trade = dict(trade_rows[0]) if trade_rows else {}
    trade = {k: v for k, v in trade.items() if v is not None}
    trade["top_hs"] = store.run("api.party_top_hs", key=key, limit=top)
    trade["top_counterparties"] = store.run("api.party_counterparties", key=key, limit=top)
    aliases = (store.run("api.parties_by_entity", entity_id=p["entity_id"], limit=200)
               if p.get("entity_id") else [])
    group = results.group(store, p["group_id"]) if p.get("group_id") else None
    decisions = [_decision(r["decision"])
                 for r in store.run("api.decisions_for_subject", subject=key, limit=100)]
    return {
        "key": key, "entity_id": p.get("entity_id"),
        "identity": p,
        "aliases": [a for a in aliases if a["key"] != key],
        "identifiers": store.run("api.party_identifiers", key=key),
        "officers": store.run("api.party_officers", key=key, limit=100),
        "roles": {role_names.get(k, k): v for k, v in roles.items()},
        "trade": trade,
        "risk": results.party_risk(p),
        "group": group,
        "offences": store.run("api.party_offences", key=key, limit=100),
        "offence_paths": subgraph.paths_to_offences(store, key),
        "decisions": decisions,
        "screening": screening_of(store, key),
        "interrupted_runs": interrupted_runs(store),
    }


@router.get("/entities/search", operation_id="search_entities", response_model=SearchResult,
            summary="Search parties by name (any script, fuzzy), tax id, phone or party id")
async def search_entities(
    ctx: EntityRead,
    q: Annotated[str, Query(min_length=1, max_length=200, description="name, tax id, phone or party id")],
    limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = 20,
) -> dict[str, Any]:
    lim = ctx.limits.page(limit)

    def work() -> dict[str, Any]:
        norm, items = ctx.state.search.search(q, lim)
        ctx.audit("entity.search", q)
        return {"query": q, "normalised": norm, "items": items, "limit": lim}

    return await ctx.limits.run(work)


@router.get("/entities/{entity_id}", operation_id="get_entity", response_model=EntityCard,
            summary="An entity's card: identity, aliases, roles, trade, risk with reasons, group, offences")
async def get_entity(ctx: EntityRead, entity_id: EntityId) -> dict[str, Any]:
    def work() -> dict[str, Any]:
        p = resolve_party(ctx.store, entity_id)
        if p is None:
            raise _missing(ctx, "entity.read", entity_id)
        card = build_card(ctx.store, p)
        ctx.audit("entity.read", p["key"])
        return card

    return await ctx.limits.run(work)


@router.get("/entities/{entity_id}/risk", operation_id="get_entity_risk", response_model=Risk,
            summary="The risk lookup: score, rank, reasons, group (fast, for other systems)")
async def get_entity_risk(ctx: EntityRead, entity_id: EntityId) -> dict[str, Any]:
    def work() -> dict[str, Any]:
        rows = ctx.store.run("api.party_risk", key=entity_id)
        if rows:
            r = dict(rows[0])
        else:
            p = resolve_party(ctx.store, entity_id)
            if p is None:
                raise _missing(ctx, "entity.risk", entity_id)
            r = {**p}
        out = results.party_risk(r)
        ctx.audit("entity.risk", out["key"])
        return out

    return await ctx.limits.run(work, point=True, backend=ctx.store.backend)


def _network(ctx, root_label: str, root_key: str, depth: int, max_nodes: int | None, rel, date_from, date_to,
             root_props: dict[str, Any] | None = None):
    if date_from and date_to and date_from > date_to:
        raise ApiError(422, "Unprocessable Content", "date_from is after date_to")
    return subgraph.extract(ctx.store, root_label, root_key, depth=ctx.limits.depth(depth),
                            max_nodes=ctx.limits.nodes(max_nodes),
                            rel_types=tuple(dict.fromkeys(rel)) if rel else subgraph.DEFAULT_RELS,
                            date_from=date_from, date_to=date_to, root_props=root_props)


@router.get("/entities/{entity_id}/network", operation_id="get_entity_network", response_model=Subgraph,
            summary="The subgraph around an entity (depth ≤ 3, capped), with why each node is there")
async def get_entity_network(ctx: GraphRead, entity_id: EntityId, depth: Depth = 2,
                             max_nodes: MaxNodes = None, rel: Rels = None, date_from: DateFrom = None,
                             date_to: DateTo = None) -> dict[str, Any]:
    def work() -> dict[str, Any]:
        p = resolve_party(ctx.store, entity_id)
        if p is None:
            raise _missing(ctx, "graph.read", entity_id)
        sub = _network(ctx, "Party", p["key"], depth, max_nodes, rel, date_from, date_to, root_props=p)
        ctx.audit("graph.read", p["key"])
        return sub

    return await ctx.limits.run(work)


@router.get("/entities/{entity_id}/network.html", operation_id="get_entity_network_page",
            response_class=HTMLResponse, summary="The subgraph as an interactive, self-contained pyvis page",
            responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}})
async def get_entity_network_page(ctx: GraphRead, entity_id: EntityId, depth: Depth = 2,
                                  max_nodes: MaxNodes = None, rel: Rels = None, date_from: DateFrom = None,
                                  date_to: DateTo = None) -> HTMLResponse:
    page, csp = await ctx.limits.run(network_page, ctx, entity_id, depth, max_nodes, rel, date_from, date_to)
    return HTMLResponse(page, headers={"Content-Security-Policy": csp})


def network_page(ctx, entity_id: str, depth: int, max_nodes: int | None, rel, date_from,
                 date_to) -> tuple[str, str]:
    """The pyvis page of an entity's network and its hash-based CSP (audited as graph.page)."""
    p = resolve_party(ctx.store, entity_id)
    if p is None:
        raise _missing(ctx, "graph.page", entity_id)
    sub = _network(ctx, "Party", p["key"], depth, max_nodes, rel, date_from, date_to, root_props=p)
    page = subgraph.render_html(sub, f"Network of {p.get('name') or p['key']} ({p['key']})")
    ctx.audit("graph.page", p["key"])
    return page


@router.post("/entities/{entity_id}/network-page", operation_id="create_network_page_ticket",
             response_model=PageTicket, status_code=201,
             summary="A one-time URL (valid 60 s) that opens the network page standalone, without "
                     "the key in it")
async def create_network_page_ticket(ctx: GraphRead, entity_id: EntityId, depth: Depth = 2,
                                     max_nodes: MaxNodes = None, rel: Rels = None, date_from: DateFrom = None,
                                     date_to: DateTo = None) -> dict[str, Any]:
    def work() -> dict[str, Any]:
        p = resolve_party(ctx.store, entity_id)
        if p is None:
            raise _missing(ctx, "graph.page", entity_id)
        if date_from and date_to and date_from > date_to:
            raise ApiError(422, "Unprocessable Content", "date_from is after date_to")
        token = ctx.state.tickets.issue(ctx.principal, p["key"], {
            "depth": depth, "max_nodes": max_nodes, "rel": rel, "date_from": date_from, "date_to": date_to})
        return {"url": f"/ui/network/{token}", "expires_in_s": int(TICKET_TTL_S)}

    return await ctx.limits.run(work)


@router.get("/graph/expand", operation_id="expand_node", response_model=Subgraph, tags=["graph"],
            summary="Expand one node of a subgraph: its neighbours (depth 1), for the page's click-to-expand")
async def expand_node(
    ctx: GraphRead,
    node: Annotated[str, Query(min_length=3, max_length=400, description="node id as `Label:key`")],
    max_nodes: MaxNodes = None, rel: Rels = None, date_from: DateFrom = None, date_to: DateTo = None,
) -> dict[str, Any]:
    label, _, key = node.partition(":")
    if label not in schema.NODE_BY_LABEL or not key:
        raise ApiError(422, "Unprocessable Content", "node must be `Label:key` with a label from the legend")

    def work() -> dict[str, Any]:
        # internal kinds (keys, decisions, runs, audit events) answer exactly as a missing node does
        sub = _network(ctx, label, key, 1, max_nodes, rel, date_from, date_to) \
            if label in subgraph.GRAPH_LABELS else None
        if sub is None:
            raise ApiError(404, "Not Found", f"no node {node!r}")
        ctx.audit("graph.read", node)
        return sub

    return await ctx.limits.run(work)
