"""The store port: one interface, two adapters (Grafeo embedded, Neo4j 5), the same named queries.

Callers name a query from `queries/` and pass values as parameters; no caller builds Cypher from
values. Results are lists of plain dicts (queries return properties and maps, never raw nodes),
with dates as `datetime.date` and datetimes as timezone-aware UTC `datetime.datetime`, so the two
stores give identical answers (the differences are listed in `queries.dialect`).

Every statement runs in a stated mode, read or write: a named query states its own (`// mode:
write` in its file, see `queries`), so `store.run(name)` and `store.run_batches(name, rows)` need
no more at the call site; a direct `execute` says `mode="write"`. The mode, never the text, decides:
a read-only store refuses a write (`_allow`, the one check), Neo4j routes reads to readers, Grafeo
serialises writers.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Self

import queries
from graph.domain import schema
from graph.settings import Settings, get_settings

if TYPE_CHECKING:
    import pandas as pd


class StoreError(RuntimeError):
    """A store failure with a message meant for the user."""


class StoreBusyError(StoreError):
    """The embedded store is held by another process."""


class GraphStore(ABC):
    backend: str

    read_only: bool = False

    def execute(self, text: str, params: dict[str, Any] | None = None, *,
                mode: queries.Mode = "read") -> list[dict[str, Any]]:
        """Run one statement in the mode the caller states (text from `queries/` or from
        `graph.domain.schema`; values only as params). The named-query methods below state the
        query's own mode; a direct call (DDL, tests, benchmarks) says `mode="write"` when it writes."""
        self._allow(mode, text[:300])
        return self._execute(text, params or {}, mode)

    @abstractmethod
    def _execute(self, text: str, params: dict[str, Any], mode: queries.Mode) -> list[dict[str, Any]]:
        """The adapter's half of `execute`: the mode is already checked against `read_only`."""

    def _allow(self, mode: queries.Mode, what: str) -> None:
        """The one check of a stated mode: a read-only store refuses a write before it is sent."""
        if mode not in queries.MODES:
            raise ValueError(f"mode must be one of {queries.MODES}, not {mode!r}")
        if mode == "write" and self.read_only:
            raise StoreError(f"this store was opened read-only; refusing a write: {what}")

    def _read_text(self, name: str) -> str:
        """The text of a named query that must be a read (`run_frame`)."""
        if queries.mode(name) != "read":
            raise StoreError(f"{name} is a write (`// mode: write`); run_frame is for reads")
        return queries.get(name, self.backend)

    def run(self, name: str, params: dict[str, Any] | None = None, /, **kw: Any) -> list[dict[str, Any]]:
        """Run a named query from `queries/`, in the mode it states."""
        p = dict(params or {})
        p.update(kw)
        mode = queries.mode(name)
        self._allow(mode, name)
        return self._execute(queries.get(name, self.backend), p, mode)

    def run_frame(self, name: str, /, **params: Any) -> pd.DataFrame:
        """Run a named read query and return its rows as a DataFrame (bulk reads for the analytics).

        The default builds the frame from `run`; an adapter may override it with a columnar path
        (Grafeo: Arrow), which is what keeps `Frames.from_store` fast at a million rows.
        """
        import pandas as pd

        return pd.DataFrame(self.execute(self._read_text(name), params))

    def pages(self, name: str, /, *, page: int, cursor: str = "key", frame: bool = False,
              **params: Any) -> Iterator[tuple[str, Any]]:
        """Key-range pages of a named read query taking `$after` and `$limit`, ordered by `cursor`.

        Each page starts after the largest cursor value of the page before: unlike SKIP, a page costs
        the same at the end of the graph as at the start, and Neo4j and Grafeo page identically.
        Yields (after, page): a list of dicts, or with `frame=True` a DataFrame from `run_frame`
        (columnar on Grafeo), so memory holds one page at a time.
        """
        after = ""
        while True:
            if frame:
                rows = self.run_frame(name, after=after, limit=page, **params)
                if rows.empty:
                    return
                last = rows[cursor].dropna().max()
            else:
                rows = self.run(name, after=after, limit=page, **params)
                if not rows:
                    return
                last = max((r[cursor] for r in rows if r.get(cursor) is not None), default=None)
            yield after, rows
            if not isinstance(last, str) or last <= after:  # never loop on a store that ignores the range
                return
            after = last

    def run_batches(self, name: str, rows: Iterable[dict[str, Any]], batch_size: int = 5000,
                    **params: Any) -> Iterator[list[dict[str, Any]]]:
        """Run a named `UNWIND $rows ...` query over rows in client-side batches (both stores).

        Client-side because Grafeo has no `CALL ... IN TRANSACTIONS`; each batch is one statement,
        so it is committed whole or not at all. A generator: nothing runs until it is iterated.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        text, mode = queries.get(name, self.backend), queries.mode(name)
        self._allow(mode, name)
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= batch_size:
                yield self._execute(text, {**params, "rows": batch}, mode)
                batch = []
        if batch:
            yield self._execute(text, {**params, "rows": batch}, mode)

    def create_linked_nodes(self, name: str, label: str, rows: list[dict[str, Any]],
                            links: dict[str, tuple[str, str]]) -> None:
        """Create one `label` node per row (properties `row["props"]`) and, for each `field` of
        `links = {field: (rel_type, end_label)}` the row names, a relationship to the existing
        `end_label` node with that key. Here: the named `UNWIND $rows` query `name`, which must do
        exactly that; an adapter may do it natively (Grafeo's bulk calls, ~1.4x faster, measured).
        Used by the ingest for declaration items, the bulk of every load."""
        self._allow_bulk(name, label)
        self.run(name, rows=rows)

    def _allow_bulk(self, name: str, label: str) -> None:
        """`create_linked_nodes` writes: its portable query must say so, and the store must take writes."""
        if queries.mode(name) != "write":
            raise StoreError(f"{name} must be a write (`// mode: write`) to create {label} nodes")
        self._allow("write", f"bulk create of {label} ({name})")

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """A long write (the ingest) runs inside this block: an adapter may defer background work
        (Grafeo: automatic checkpoints) to its end. Here: nothing to defer."""
        yield

    def ensure_schema(self) -> None:
        """Create every constraint and index the schema declares (idempotent: `IF NOT EXISTS`)."""
        for stmt in schema.ddl_statements(self.backend):
            self.execute(stmt, mode="write")

    def count_kinds(self) -> tuple[dict[str, int], dict[str, int]]:
        """Nodes per label and relationships per type, every kind of `graph.domain.schema` listed (0 if
        none). By Cypher here (Neo4j answers these counts from its count store); an adapter with
        counts of its own answers from them."""
        row = self.run("status.count_nodes")[0]
        nodes = {n.label: int(row.get(n.label) or 0) for n in schema.NODES}
        row = self.run("status.count_relationships")[0]
        rels = {r.type: int(row.get(r.type) or 0) for r in schema.RELS}
        return nodes, rels

    def checkpoint(self) -> None:  # noqa: B027 (a no-op by default on purpose, not abstract)
        """Make everything written so far durable in the main file (no-op where the server does it)."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(settings: Settings | None = None, *, read_only: bool = False) -> GraphStore:
    """Open the configured store: the embedded Grafeo file under the data dir, or Neo4j.

    `read_only` opens Grafeo with a shared lock (several readers, no writer); on either store a
    statement in write mode is then refused with `StoreError` before it is sent.
    """
    s = settings or get_settings()
    if s.store == "neo4j":
        from graph.store.neo4j_adapter import Neo4jStore

        return Neo4jStore(s, read_only=read_only)
    from graph.store.grafeo_adapter import GrafeoStore

    return GrafeoStore(s.grafeo_path, read_only=read_only, settings=s)


# --------------------------------------------------------------------------- shared helpers

def utc(value: dt.datetime) -> dt.datetime:
    """A datetime as aware UTC; a naive one is taken to be UTC already (Tamga stores UTC only)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)
