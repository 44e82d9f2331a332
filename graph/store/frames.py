"""The tables the analytics read: the graph as a few pandas DataFrames with string keys.

Algorithms are pure functions on these frames and on the integer-id CSR built from them
(`graph.engine.csr`); only `Frames.from_store` touches a store, through named queries in
`queries/analytics/`. Keys are the store's node keys (`graph.domain.schema`): parties `source:party_id`,
declaration items `source:declaration_id/item_no`, identifiers their normalised value.

Columns (every frame has at least these; missing values are NaN / None):

- declarations: key, declaration_key, declaration_id, item_no, date (datetime64), hs_code (str,
  digits), customs_value, net_mass_kg, gross_mass_kg, duty_rate, duty_amount, origin_country,
  dispatch_country, transit_countries, border_post, transport_mode, inspection_result, lane
  (yellow / red proposed by the last scoring run, else None), route (Route key), vehicle (Vehicle key),
  declarant, consignee, consignor, carrier, broker (Party keys)
- parties: key, party_id, source, name, name_norm, kind, country, tax_id_norm, registered_on,
  deregistered_on (datetime64)
- officers: person (Person key), person_name, company (Party key), role, share_pct, since, until
- identifiers: party (Party key), label (TaxId, BankAccount, Phone, Email, Address), value (node key)
- offences: key, offence_id, date, party (Party key), declaration_key, offence_type,
  declared_hs_code, actual_hs_code, evaded_amount, status
- decisions: kind, subject, object, value, user, at — live human decisions only (soft-deleted dropped)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from graph.domain import schema
from graph.domain.vocabulary import PARTY_ROLE_NAMES

if TYPE_CHECKING:
    from graph.ledger import Ledger
    from graph.store import GraphStore
    from graph.store.ledger_frames import StoreState

ROLE_COLUMNS = PARTY_ROLE_NAMES  # the party roles, as frame columns

COLUMNS: dict[str, tuple[str, ...]] = {
    "declarations": (
        # only what the analytics read (regime, currency, quantity, destination country and channel
        # are shown by the API and read by no analysis): each property read costs time in the store
        "key", "declaration_key", "declaration_id", "item_no", "date", "hs_code", "customs_value",
        "net_mass_kg", "gross_mass_kg", "duty_rate", "duty_amount", "origin_country",
        "dispatch_country", "transit_countries", "border_post", "transport_mode",
        "inspection_result", "lane", "route", "vehicle", *ROLE_COLUMNS,
    ),
    "parties": ("key", "party_id", "source", "name", "name_norm", "kind", "country", "tax_id_norm",
                "registered_on", "deregistered_on"),
    "officers": ("person", "person_name", "company", "role", "share_pct", "since", "until"),
    "identifiers": ("party", "label", "value"),
    "offences": ("key", "offence_id", "date", "party", "declaration_key", "offence_type", "declared_hs_code",
                 "actual_hs_code", "evaded_amount", "status"),
    "decisions": ("kind", "subject", "object", "value", "user", "at"),
}


DATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "declarations": ("date",),
    "parties": ("registered_on", "deregistered_on"),
    "officers": ("since", "until"),
    "offences": ("date",),
}
FLOAT_COLUMNS: dict[str, tuple[str, ...]] = {
    "declarations": ("customs_value", "net_mass_kg", "gross_mass_kg", "duty_rate", "duty_amount",
                     "item_no"),
    "officers": ("share_pct",),
    "offences": ("evaded_amount",),
}
# relationship type -> identifier label (the frames carry labels, the graph carries relationships)
_LABEL_BY_REL = {i.rel: i.label for i in schema.IDENTIFIERS}

PAGE_SIZE = 200_000  # rows per page: a few pages at 1M items, ~100 MB per page in Arrow


def empty(name: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in COLUMNS[name]})


def frame(name: str, rows: list[dict[str, Any]] | pd.DataFrame, *, copy: bool = True) -> pd.DataFrame:
    """A frame with exactly the declared columns and types (dates as datetime64, numbers as float).

    Used by `Frames.from_store` and by tests and simulators that build frames in code, so both
    paths give the algorithms the same shapes. `copy=False` for a frame the caller built and hands
    over (the ledger's 1M-item declarations: a copy is ~0.5 GB of fresh memory, 3 s to fault in).
    """
    df = pd.DataFrame(rows) if not isinstance(rows, pd.DataFrame) else rows.copy() if copy else rows
    if df.empty and not len(df.columns):
        return empty(name)
    for c in COLUMNS[name]:
        if c not in df.columns:
            df[c] = None
    df = df[list(COLUMNS[name])]
    for c in DATE_COLUMNS.get(name, ()):
        df[c] = pd.to_datetime(df[c], errors="coerce")
    for c in FLOAT_COLUMNS.get(name, ()):
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    return df.reset_index(drop=True)


def _paged_frames(store: GraphStore, query: str, cursor: str, name: str, page: int,
                  progress: Callable[[str, int], None] | None,
                  post: Callable[[pd.DataFrame], pd.DataFrame] | None = None) -> pd.DataFrame:
    """All rows of a paged query as one typed frame."""
    parts: list[pd.DataFrame] = []
    n = 0
    for _after, df in store.pages(query, page=page, cursor=cursor, frame=True):
        if post is not None:
            df = post(df)
        parts.append(frame(name, df))
        n += len(df)
        if progress:
            progress(query, n)
    if not parts:
        return empty(name)
    return pd.concat(parts, ignore_index=True)


# relationship type -> declarations column filled from analytics.frames_declaration_links
_DECLARATION_LINKS = {**{t: c.removesuffix("_id") for c, t in schema.PARTY_ROLES.items()},
                      "ON_ROUTE": "route", "TRANSPORTED_BY": "vehicle"}


def date_pages(counts: pd.DataFrame, page: int) -> list[tuple[dt.date, dt.date]]:
    """[since, before) date ranges of consecutive dates holding at most `page` items each (a single
    date with more items is a page of its own), from a frame of (date, items)."""
    if counts.empty:
        return []
    c = counts.dropna(subset=["date"]).assign(date=lambda x: pd.to_datetime(x["date"]).dt.date)
    c = c.groupby("date")["items"].sum().sort_index()
    out: list[tuple[dt.date, dt.date]] = []
    start: dt.date | None = None
    n = 0
    for day, items in c.items():
        if start is not None and n + items > page:
            out.append((start, day))
            start, n = None, 0
        if start is None:
            start = day
        n += int(items)
    if start is not None:  # else no dated counts: no pages
        out.append((start, c.index[-1] + dt.timedelta(days=1)))
    return out


def _declarations(store: GraphStore, page: int, progress: Callable[[str, int], None] | None) -> pd.DataFrame:
    """Declaration items page by page (date ranges of at most `page` items): properties and, for the
    same page, their parties, route and vehicle; the route's columns joined from the (few) routes.
    The two queries of a page run side by side (reads run concurrently on both stores; measured
    ~1.3-1.5x on 2 cores). The frame is in key order, whatever the pages."""
    from concurrent.futures import ThreadPoolExecutor

    parts: list[pd.DataFrame] = []
    n = 0
    routes = store.run_frame("analytics.frames_routes")
    routes = routes.drop_duplicates("route").set_index("route") if not routes.empty else None
    pages = date_pages(store.run_frame("analytics.frames_declaration_dates"), page)
    with ThreadPoolExecutor(max_workers=1) as pool:
        for since, before in pages:
            links_f = pool.submit(store.run_frame, "analytics.frames_declaration_links", since=since,
                                  before=before)
            df = store.run_frame("analytics.frames_declarations", since=since, before=before)
            links = links_f.result()
            if df.empty:
                continue
            if not links.empty:
                links = links.assign(col=links["rel"].map(_DECLARATION_LINKS)).dropna(subset=["col"])
                wide = (links.drop_duplicates(["key", "col"])
                        .pivot(index="key", columns="col", values="target"))
                df = df.join(wide, on="key")
            if routes is not None and "route" in df.columns:
                df = df.join(routes, on="route")
            parts.append(frame("declarations", df))
            n += len(df)
            if progress:
                progress("analytics.frames_declarations", n)
    if not parts:
        return empty("declarations")
    return pd.concat(parts, ignore_index=True).sort_values("key", kind="stable", ignore_index=True)


def declarations_from_store(store: GraphStore, *, page: int = PAGE_SIZE) -> pd.DataFrame:
    """The declarations frame alone (readers that need the items but not the network, such as
    graph.pipeline.effectiveness)."""
    return _declarations(store, page, None)


def offences_from_store(store: GraphStore, *, page: int = PAGE_SIZE) -> pd.DataFrame:
    """The offences frame alone."""
    return _paged_frames(store, "analytics.frames_offences", "key", "offences", page, None)


@dataclass
class Frames:
    declarations: pd.DataFrame = field(default_factory=lambda: empty("declarations"))
    parties: pd.DataFrame = field(default_factory=lambda: empty("parties"))
    officers: pd.DataFrame = field(default_factory=lambda: empty("officers"))
    identifiers: pd.DataFrame = field(default_factory=lambda: empty("identifiers"))
    offences: pd.DataFrame = field(default_factory=lambda: empty("offences"))
    decisions: pd.DataFrame = field(default_factory=lambda: empty("decisions"))

    @classmethod
    def from_store(cls, store: GraphStore, *, page: int = PAGE_SIZE,
                   progress: Callable[[str, int], None] | None = None) -> Frames:
        """Read the graph into frames through the `analytics.frames_*` queries, page by page."""

        def identifiers(df: pd.DataFrame) -> pd.DataFrame:
            df = df[df["rel"].notna()]
            return pd.DataFrame({"party": df["party"], "label": df["rel"].map(_LABEL_BY_REL),
                                 "value": df["value"]})

        def officers(df: pd.DataFrame) -> pd.DataFrame:
            return df[df["company"].notna()]

        from concurrent.futures import ThreadPoolExecutor

        # the small tables load on a second thread while the declarations page through
        with ThreadPoolExecutor(max_workers=1) as pool:
            small = pool.submit(lambda: (
                _paged_frames(store, "analytics.frames_parties", "key", "parties", page, progress),
                _paged_frames(store, "analytics.frames_officers", "person", "officers", page, progress,
                              officers),
                _paged_frames(store, "analytics.frames_identifiers", "party", "identifiers", page, progress,
                              identifiers),
                _paged_frames(store, "analytics.frames_offences", "key", "offences", page, progress),
                store.run_frame("analytics.frames_decisions"),
            ))
            declarations = _declarations(store, page, progress)
            parties, officers_df, identifiers_df, offences, decisions = small.result()
        return cls(
            declarations=declarations, parties=parties, officers=officers_df, identifiers=identifiers_df,
            offences=offences, decisions=frame("decisions", decisions) if len(decisions)
            else empty("decisions"),
        )

    @classmethod
    def from_ledger(cls, ledger: Ledger, state: StoreState) -> Frames:
        """The same frames from the ledger plus the store's mutable state (`graph.store.ledger_frames`)."""
        from graph.store.ledger_frames import frames_from_ledger

        return frames_from_ledger(ledger, state)

    def summary(self) -> dict[str, int]:
        """Row counts per frame, for the score report."""
        return {name: len(getattr(self, name)) for name in COLUMNS}

