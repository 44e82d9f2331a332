"""Bulk-import files for a first load of years of history into Neo4j, written from the ledger.

`write_import(ledger, folder, dims)` writes one node CSV per label and one relationship CSV per
type, with the header syntax of the Neo4j 5 operations manual (`neo4j-admin database import
full`): `key:ID(<Label>)` (one id space per label, the graph's own node keys), `:LABEL`,
`:START_ID(<Label>)`, `:END_ID(<Label>)`, `:TYPE`, typed properties (`date:date`,
`item_no:long`, `customs_value:double`: Neo4j's `float` is 32-bit and would round values the
store keeps as 64-bit). An empty field is an absent property, as the embedded store has it.
Labels, types and property names and types come from `graph.domain.schema`; values from the
ledger, in the version the graph holds (`Ledger.current`). The same nodes and relationships the
ingest writes: tests/graph/ledger/test_neo4j_import.py checks the counts against the graph's.

The command to run is written beside the files (`import.sh`); afterwards start Neo4j and let the
store adapter create the constraints (`GraphStore.ensure_schema`). Daily increments keep the
driver path (`tamga ingest`).

HS code levels and parents are ingest's rules (`ingest.normalise`): the caller passes them in
`Dimensions`, so this layer neither imports ingest nor copies them.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from graph.domain import schema
from graph.ledger import layout
from graph.ledger.ledger import Ledger

#: schema property type -> neo4j-admin import type (none: string)
NEO4J_TYPES = {"int": "long", "float": "double", "date": "date", "bool": "boolean", "datetime": "datetime"}


@dataclass(frozen=True)
class Dimensions:
    """Ingest's rules for the code hierarchy (`ingest.normalise.hs_ancestors`, `hs_level`)."""

    hs_ancestors: Callable[[str], list[str]]
    hs_level: Callable[[str], str]


@dataclass
class ImportFiles:
    folder: Path
    nodes: dict[str, int] = field(default_factory=dict)  # label -> rows
    relationships: dict[str, int] = field(default_factory=dict)  # type -> rows
    command: str = ""


def _header(name: str, t: str) -> str:
    n = NEO4J_TYPES.get(t)
    return f"{name}:{n}" if n else name


def _arrow(df: pd.DataFrame, types: dict[str, str]) -> pa.Table:
    cols = {}
    for c in df.columns:
        t = types.get(c, "str")
        typ = layout.ARROW_TYPES.get(t, pa.string())
        cols[c] = pa.array(df[c].astype(object).where(df[c].notna(), None).tolist(), typ)
    return pa.table(cols)


def _write(path: Path, df: pd.DataFrame, headers: list[str], types: dict[str, str]) -> int:
    """The header line as the manual writes it (unquoted), then the rows (quoted where needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.write((",".join(headers) + "\n").encode())
        pacsv.write_csv(_arrow(df, types), f,
                        pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    return len(df)


def _nodes(files: ImportFiles, label: str, df: pd.DataFrame) -> None:
    """A node file: the key, the label's schema properties found in `df`, the label."""
    kind = schema.NODE_BY_LABEL[label]
    props = [p for p in kind.props if p.name in df.columns and p.name != kind.key]
    df = df.drop_duplicates("key")
    out = df[["key", *(p.name for p in props)]].assign(**{":LABEL": label})
    headers = [f"key:ID({label})", *(_header(p.name, p.type) for p in props), ":LABEL"]
    files.nodes[label] = _write(files.folder / "nodes" / f"{label}.csv", out, headers,
                                {p.name: p.type for p in props})


def _rels(files: ImportFiles, rel: str, df: pd.DataFrame) -> None:
    """A relationship file from columns start, end and the type's schema properties."""
    kind = schema.REL_BY_TYPE[rel]
    props = [p for p in kind.props if p.name in df.columns]
    df = df.dropna(subset=["start", "end"]).drop_duplicates(["start", "end", *(p.name for p in props)])
    out = df[["start", "end", *(p.name for p in props)]].assign(**{":TYPE": rel})
    headers = [f":START_ID({kind.start})", f":END_ID({kind.end})", *(_header(p.name, p.type) for p in props),
               ":TYPE"]
    n = _write(files.folder / "relationships" / f"{rel}.csv", out, headers, {p.name: p.type for p in props})
    files.relationships[rel] = files.relationships.get(rel, 0) + n


def _pd(t: pa.Table) -> pd.DataFrame:
    return t.to_pandas(date_as_object=True)


def _key(source: pd.Series, natural: pd.Series) -> pd.Series:
    return (source.astype(object) + ":" + natural.astype(object)).where(natural.notna(), None)


def _route_countries(routes: pd.DataFrame) -> pd.DataFrame:
    """ROUTE_COUNTRY rows (route, code, role, order), the rule of `ingest.load` (_merge_dimensions):
    origin 0, dispatch 1, transit 2.., destination after the transits."""
    rows = []
    routes = routes.astype(object).where(routes.notna(), None)
    for r in routes.itertuples(index=False):
        transit = r.transit_countries.split(";") if r.transit_countries else []
        if r.origin_country:
            rows.append((r.route, r.origin_country, "origin", 0))
        if r.dispatch_country:
            rows.append((r.route, r.dispatch_country, "dispatch", 1))
        rows += [(r.route, t, "transit", 2 + n) for n, t in enumerate(transit)]
        if r.destination_country:
            rows.append((r.route, r.destination_country, "destination", 2 + len(transit)))
    return pd.DataFrame(rows, columns=["start", "end", "role", "order"])


def write_import(ledger: Ledger, folder: str | Path, dims: Dimensions, *,
                 database: str = "neo4j") -> ImportFiles:
    """Write the node and relationship CSVs and `import.sh` into `folder`; return counts and command."""
    files = ImportFiles(Path(folder))
    files.folder.mkdir(parents=True, exist_ok=True)

    # parties and the identifiers they were ever loaded with (value: the first form seen)
    parties = _pd(ledger.current("parties"))
    _nodes(files, "Party", parties)
    ph = _pd(ledger.history("parties"))
    for i in schema.IDENTIFIERS:
        col = f"{i.party_column}_key"
        x = ph[["key", col, i.party_column]].dropna(subset=[col])
        _nodes(files, i.label, x.rename(columns={"key": "party", col: "key", i.party_column: "value"}))
        _rels(files, i.rel, x.rename(columns={"key": "start", col: "end"}))

    # people (name: the last one given, as ingest.merge_persons keeps it) and their companies
    oh = _pd(ledger.history("officers"))
    if len(oh):
        oh["person"] = _key(oh["source"], oh["person_id"])
        last = oh.groupby("person")[["person_name", "person_name_norm"]].last()
        people = oh.drop_duplicates("person")[["person", "person_id", "source"]].join(last, on="person")
        _nodes(files, "Person", people.rename(columns={"person": "key", "person_name": "name",
                                                        "person_name_norm": "name_norm"}))
        oc = _pd(ledger.current("officers"))
        _rels(files, "OFFICER_OF", oc.assign(start=_key(oc["source"], oc["person_id"]),
                                             end=_key(oc["source"], oc["company_id"])))

    # declaration items, their codes, routes, countries and vehicles
    d = _pd(ledger.current("declarations"))
    dh = _pd(ledger.history("declarations", ["route", "vehicle", "vehicle_id", "origin_country",
                                             "dispatch_country", "transit_countries", "destination_country",
                                             "border_post", "transport_mode"]))
    d["declaration_key"] = _key(d["source"], d["declaration_id"])
    _nodes(files, "Declaration", d)
    for col, rel in schema.PARTY_ROLES.items():
        _rels(files, rel, pd.DataFrame({"start": d["key"], "end": _key(d["source"], d[col])}))
    routes = dh.dropna(subset=["route"]).drop_duplicates("route")
    _nodes(files, "Route", routes.rename(columns={"route": "key"}))
    _rels(files, "ON_ROUTE", pd.DataFrame({"start": d["key"], "end": d["route"]}))
    rc = _route_countries(routes)
    _nodes(files, "Country", pd.DataFrame({"key": rc["end"].unique(), "code": rc["end"].unique()}))
    _rels(files, "ROUTE_COUNTRY", rc)
    vehicles = dh.dropna(subset=["vehicle"]).drop_duplicates("vehicle")
    _nodes(files, "Vehicle", vehicles.rename(columns={"vehicle": "key", "vehicle_id": "value"}))
    _rels(files, "TRANSPORTED_BY", pd.DataFrame({"start": d["key"], "end": d["vehicle"]}))
    _rels(files, "CLASSIFIED_AS", pd.DataFrame({"start": d["key"], "end": d["hs_code"]}))

    # offences, with their offender, items and codes
    o = _pd(ledger.current("offences"))
    codes = set(d["hs_code"].dropna())
    if len(o):
        _nodes(files, "Offence", o)
        _rels(files, "COMMITTED_BY",
              pd.DataFrame({"start": o["key"], "end": _key(o["source"], o["party_id"])}))
        ok = pd.DataFrame({"start": o["key"], "declaration_key": _key(o["source"], o["declaration_id"])})
        items = d[["key", "declaration_key"]].rename(columns={"key": "end"})
        _rels(files, "CONCERNS", ok.merge(items, on="declaration_key"))
        for col, rel in (("declared_hs_code", "DECLARED_AS"), ("actual_hs_code", "FOUND_AS")):
            _rels(files, rel, pd.DataFrame({"start": o["key"], "end": o[col]}))
            codes |= set(o[col].dropna())
    chains = {c: [c, *dims.hs_ancestors(c)] for c in codes}
    every = sorted({x for chain in chains.values() for x in chain})
    _nodes(files, "HSCode",
           pd.DataFrame({"key": every, "code": every, "level": [dims.hs_level(c) for c in every]}))
    _rels(files, "PART_OF", pd.DataFrame([(a, b) for chain in chains.values() for a, b in pairwise(chain)],
                                         columns=["start", "end"]))

    args = ["neo4j-admin", "database", "import", "full", database, "--overwrite-destination=true",
            "--multiline-fields=true", "--id-type=string"]
    args += [f"--nodes=nodes/{label}.csv" for label, n in files.nodes.items() if n]
    args += [f"--relationships=relationships/{rel}.csv" for rel, n in files.relationships.items() if n]
    files.command = " ".join(shlex.quote(a) for a in args)
    (files.folder / "import.sh").write_text(
        "#!/bin/sh\n"
        "# First load of the ledger into an empty, stopped Neo4j 5 database; then start Neo4j and\n"
        "# open the store once (GraphStore.ensure_schema creates the constraints and indexes).\n"
        f"cd \"$(dirname \"$0\")\" && {files.command}\n", encoding="utf-8")
    return files
