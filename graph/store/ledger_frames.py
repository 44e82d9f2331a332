"""`Frames.from_ledger`: the analytics' frames from the ledger plus the store's small mutable state.

The ledger (`graph.ledger`) holds every validated row ingest wrote to the graph, with the keys
and normalised values the loader derived; the store still owns what changes after ingest: the
live decisions, the lanes the last scoring run proposed and the inspection results recorded
through the API. `StoreState.from_store` reads those through three small queries (hundreds to
thousands of rows at a million items) and can be handed to a process that does not open the store.

The frames equal `Frames.from_store`'s on the same data (tests/graph/ledger/test_ledger_frames.py):
same columns and dtypes (both end in `frames.frame`), the same rows in key order. Where the two can
differ by design: re-ingesting an older bundle over a newer one leaves the ledger on the newest
*distinct* version of a party, the graph on the last one written; an offence whose declaration
arrived in a later run is linked to it here (the graph links it only when the offence is loaded again).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graph.domain import schema
from graph.store.frames import ROLE_COLUMNS, Frames, empty, frame

if TYPE_CHECKING:
    from graph.ledger import Ledger
    from graph.store import GraphStore


def _empty(*cols: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})


@dataclass
class StoreState:
    """What the store holds beyond the ledger and the analytics read."""

    decisions: pd.DataFrame = field(default_factory=lambda: empty("decisions"))
    lanes: pd.DataFrame = field(default_factory=lambda: _empty("key", "lane"))
    inspections: pd.DataFrame = field(default_factory=lambda: _empty("key", "inspection_result"))

    @classmethod
    def from_store(cls, store: GraphStore) -> StoreState:
        decisions = store.run_frame("analytics.frames_decisions")
        lanes = store.run_frame("analytics.frames_lanes")
        inspections = store.run_frame("analytics.frames_inspected_items")
        return cls(frame("decisions", decisions) if len(decisions) else empty("decisions"),
                   lanes if len(lanes) else _empty("key", "lane"),
                   inspections if len(inspections) else _empty("key", "inspection_result"))


def node_keys(source: pa.ChunkedArray, natural: pa.ChunkedArray) -> pa.ChunkedArray:
    """source:natural per row (`schema.node_key`, vectorised), null where natural is null."""
    return pc.binary_join_element_wise(source, natural, ":")


def _pandas(table: pa.Table) -> pd.DataFrame:
    return table.to_pandas(date_as_object=True)


_DECLARATION_COLUMNS = ["key", "declaration_id", "item_no", "date", "hs_code", "customs_value", "net_mass_kg",
                        "gross_mass_kg", "duty_rate", "duty_amount", "origin_country", "dispatch_country",
                        "transit_countries", "border_post", "transport_mode", "inspection_result", "route",
                        "vehicle"]


def declarations(ledger: Ledger, state: StoreState) -> pd.DataFrame:
    # only the columns the frame holds are read and reordered (all 38 cost 3x at 1M items)
    t = ledger.current("declarations", [*_DECLARATION_COLUMNS, "source", *(f"{r}_id" for r in ROLE_COLUMNS)])
    if not t.num_rows:
        return empty("declarations")
    src = t["source"]
    df = _pandas(t.select(_DECLARATION_COLUMNS))
    df["declaration_key"] = node_keys(src, t["declaration_id"]).to_pandas()
    for role in ROLE_COLUMNS:
        df[role] = node_keys(src, t[f"{role}_id"]).to_pandas()
    if len(state.lanes) or len(state.inspections):
        # the items' keys hashed once (one row per key), the store's rows looked up in them: a map,
        # an isin and a second map over 1M arrow strings cost ~3 s
        at = pd.Index(df["key"])
        if len(state.lanes):
            df["lane"] = overlay(at, state.lanes, "lane", None)
        if len(state.inspections):
            df["inspection_result"] = overlay(at, state.inspections, "inspection_result",
                                               df["inspection_result"])
    return frame("declarations", df, copy=False)


def overlay(at: pd.Index, rows: pd.DataFrame, column: str, base: pd.Series | None) -> pd.Series:
    """`rows[column]` by key (the first row per key) over `base` (missing where None), aligned
    to the keys `at`, in the dtype `rows[column]` (or `base`) has."""
    rows = rows.drop_duplicates("key")
    pos = at.get_indexer(rows["key"])
    ok = pos >= 0
    out = (np.full(len(at), np.nan, dtype=object) if base is None else base.to_numpy(dtype=object).copy())
    out[pos[ok]] = rows[column].to_numpy(dtype=object)[ok]
    return pd.Series(out, dtype=(rows[column] if base is None else base).dtype)


def parties(ledger: Ledger) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The parties (the version the graph holds) and their identifiers (every version's: the graph
    links a party to each identifier it was ever loaded with and never unlinks)."""
    t = ledger.current("parties")
    if not t.num_rows:
        return empty("parties"), empty("identifiers")
    df = _pandas(t.select(["key", "party_id", "source", "name", "name_norm", "kind", "country", "tax_id_norm",
                           "registered_on", "deregistered_on"]))
    cols = {f"{i.party_column}_key": i.label for i in schema.IDENTIFIERS}
    h = _pandas(ledger.history("parties", ["key", *cols]))
    ids = (h.melt(id_vars="key", value_vars=list(cols), var_name="label", value_name="value")
           .dropna(subset=["value"]).rename(columns={"key": "party"}))
    ids["label"] = ids["label"].map(cols)
    ids = (ids.drop_duplicates(["party", "label", "value"])
           .sort_values(["party", "label", "value"], kind="stable"))
    return frame("parties", df), frame("identifiers", ids)


def officers(ledger: Ledger) -> pd.DataFrame:
    t = ledger.current("officers")
    if not t.num_rows:
        return empty("officers")
    src = t["source"]
    df = _pandas(t.select(["role", "share_pct", "since", "until"]))
    df["person"] = node_keys(src, t["person_id"]).to_pandas()
    df["company"] = node_keys(src, t["company_id"]).to_pandas()
    # one Person node per person: its name is the last non-empty one loaded (ingest.merge_persons)
    h = ledger.history("officers", ["person_id", "person_name", "source"])
    names = pd.DataFrame({"person": node_keys(h["source"], h["person_id"]).to_pandas(),
                          "name": h["person_name"].to_pandas()})
    df["person_name"] = df["person"].map(names.groupby("person")["name"].last())
    return frame("officers", df.sort_values(["person", "company", "role"], kind="stable"))


def offences(ledger: Ledger, declaration_keys: pd.Series) -> pd.DataFrame:
    t = ledger.current("offences")
    if not t.num_rows:
        return empty("offences")
    src = t["source"]
    df = _pandas(t.select(["key", "offence_id", "date", "offence_type", "declared_hs_code", "actual_hs_code",
                           "evaded_amount", "status"]))
    df["party"] = node_keys(src, t["party_id"]).to_pandas()
    dk = node_keys(src, t["declaration_id"])
    # the graph links an offence to the stored items of its declaration (ingest.link_offence_declarations)
    stored = pa.array(declaration_keys.dropna().unique().to_numpy(dtype=object), pa.string())
    df["declaration_key"] = pc.if_else(pc.is_in(dk, value_set=stored), dk, None).to_pandas()
    return frame("offences", df)


def frames_from_ledger(ledger: Ledger, state: StoreState) -> Frames:
    decl = declarations(ledger, state)
    parties_df, identifiers = parties(ledger)
    return Frames(declarations=decl, parties=parties_df, officers=officers(ledger), identifiers=identifiers,
                  offences=offences(ledger, decl["declaration_key"]), decisions=state.decisions)
