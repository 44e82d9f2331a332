"""The loader's rows as ledger columns (`graph.ledger.layout.TABLES`): what the graph got, per batch.

One function per bundle file kind, each taking the structures `ingest.load` has just written to
the graph, so the ledger receives exactly the rows the graph holds (quarantined rows never), with
the values the loader derived with `ingest.normalise` (keys, normalised names, identifier keys,
transport mode, route and vehicle keys): the analytics read them from the ledger and need not
normalise anything again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from graph.domain import schema
from graph.ledger import TABLES

Columns = dict[str, list[Any]]
Getter = Callable[[dict[str, Any]], Any]  # a ledger column's value from one of the loader's rows

_ROUTE_PARTS = ("origin_country", "dispatch_country", "transit_countries", "destination_country",
                "border_post", "transport_mode")  # the order of the loader's route_parts
_ROLES = {c: c.removesuffix("_id") for c in schema.PARTY_ROLES}


def _natural(key: str | None) -> str | None:
    """`source:natural` -> natural (the contract's id)."""
    return None if key is None else key.split(":", 1)[1]


def _columns(kind: str, rows: Sequence[dict[str, Any]], get: dict[str, Getter]) -> Columns:
    missing = set(TABLES[kind].columns) - set(get)
    if missing:  # a ledger column this module does not fill: a schema change to follow here
        raise KeyError(f"ledger {kind}: no value for {sorted(missing)}")
    return {name: [g(r) for r in rows] for name, g in get.items()}


def _prop(name: str) -> Getter:
    return lambda r: r["props"].get(name)


def _aside(name: str) -> Getter:
    return lambda r: r["ledger_only"].get(name)


def _ident(label: str) -> Getter:
    return lambda r: (r["idents"].get(label) or (None,))[0]


def _route_part(n: int) -> Getter:
    return lambda r: r["route_parts"][n]


def _party(role: str) -> Getter:
    return lambda r: _natural(r.get(role))


def parties(batch: Sequence[dict[str, Any]]) -> Columns:
    """From `_Loader._party_row` rows: key, props, idents {label: (node key, raw)}."""
    get = {c: _prop(c) for c in TABLES["parties"].columns}
    get["key"] = lambda r: r["key"]
    for i in schema.IDENTIFIERS:
        get[f"{i.party_column}_key"] = _ident(i.label)
    return _columns("parties", batch, get)


def officers(rows: Sequence[dict[str, Any]]) -> Columns:
    """From the rows of `ingest.merge_persons` / `ingest.merge_officers`."""
    return _columns("officers", rows, {
        "key": lambda r: f"{r['person']}>{r['company']}/{r['role']}",
        "company_id": lambda r: _natural(r["company"]),
        "person_id": lambda r: r["person_id"], "person_name": lambda r: r["name"],
        "person_name_norm": lambda r: r["name_norm"], "role": lambda r: r["role"],
        "share_pct": lambda r: r["share_pct"], "since": lambda r: r["since"], "until": lambda r: r["until"],
    })


def declarations(items: Sequence[dict[str, Any]]) -> Columns:
    """From `_Loader._declaration_items` (before the writer takes them: it drops route_parts and the
    columns only the ledger holds, `ledger_only`)."""
    get = {c: _prop(c) for c in TABLES["declarations"].columns}
    for c, (on_graph, _) in schema.DECLARATION_ON_GRAPH.items():
        if not on_graph:  # the ledger's alone (graph.domain.schema): beside the item's props
            get[c] = _aside(c)
    get.update({
        "key": lambda r: r["key"], "route": lambda r: r["route"], "vehicle": lambda r: r["vehicle"],
        "vehicle_id": lambda r: r["vehicle_raw"],
        **{col: _route_part(n) for n, col in enumerate(_ROUTE_PARTS)},
        **{col: _party(f) for col, f in _ROLES.items()},
    })
    return _columns("declarations", items, get)


def offences(rows: Sequence[dict[str, Any]]) -> Columns:
    """From the rows of `ingest.merge_offences`."""
    get = {c: _prop(c) for c in TABLES["offences"].columns}
    get["key"] = lambda r: r["key"]
    return _columns("offences", rows, get)


def neo4j_import(ledger, folder, *, database: str = "neo4j"):
    """`graph.ledger.neo4j_import.write_import` with ingest's own code-hierarchy rules."""
    from graph.ledger.neo4j_import import Dimensions, write_import
    from ingest import normalise as nz

    return write_import(ledger, folder, Dimensions(nz.hs_ancestors, nz.hs_level), database=database)
