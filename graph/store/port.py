"""The store port: one interface, two adapters (Grafeo embedded, Neo4j 5), the same named queries.

Callers name a query from `queries/` and pass values as parameters; no caller builds Cypher from
values. Results are lists of plain dicts (queries return properties and maps, never raw nodes),
with dates as `datetime.date` and datetimes as timezone-aware UTC `datetime.datetime`, so the two
stores give identical answers (the differences are listed in `queries.dialect`).
"""

from __future__ import annotations

import datetime as dt
import re
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

    @abstractmethod
    def execute(self, text: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run one statement (text from `queries/` or from `graph.domain.schema`), values only as params."""

    def run(self, name: str, params: dict[str, Any] | None = None, /, **kw: Any) -> list[dict[str, Any]]:
        """Run a named query from `queries/`."""
        p = dict(params or {})
        p.update(kw)
        return self.execute(queries.get(name, self.backend), p)

    def run_frame(self, name: str, /, **params: Any) -> pd.DataFrame:
        """Run a named read query and return its rows as a DataFrame (bulk reads for the analytics).

        The default builds the frame from `run`; an adapter may override it with a columnar path
        (Grafeo: Arrow), which is what keeps `Frames.from_store` fast at a million rows.
        """
        import pandas as pd

        return pd.DataFrame(self.run(name, **params))

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
        text = queries.get(name, self.backend)
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= batch_size:
                yield self.execute(text, {**params, "rows": batch})
                batch = []
        if batch:
            yield self.execute(text, {**params, "rows": batch})

    def create_linked_nodes(self, name: str, label: str, rows: list[dict[str, Any]],
                            links: dict[str, tuple[str, str]]) -> None:
        """Create one `label` node per row (properties `row["props"]`) and, for each `field` of
        `links = {field: (rel_type, end_label)}` the row names, a relationship to the existing
        `end_label` node with that key. Here: the named `UNWIND $rows` query `name`, which must do
        exactly that; an adapter may do it natively (Grafeo's bulk calls, ~1.4x faster, measured).
        Used by the ingest for declaration items, the bulk of every load."""
        self.run(name, rows=rows)

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """A long write (the ingest) runs inside this block: an adapter may defer background work
        (Grafeo: automatic checkpoints) to its end. Here: nothing to defer."""
        yield

    def ensure_schema(self) -> None:
        """Create every constraint and index the schema declares (idempotent: `IF NOT EXISTS`)."""
        for stmt in schema.ddl_statements(self.backend):
            self.execute(stmt)

    def checkpoint(self) -> None:
        """Make everything written so far durable in the main file (no-op where the server does it)."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(settings: Settings | None = None, *, read_only: bool = False) -> GraphStore:
    """Open the configured store: the embedded Grafeo file under the data dir, or Neo4j.

    `read_only` opens Grafeo with a shared lock (several readers, no writer) and routes every Neo4j
    statement to a reader; writes then fail with `StoreError`.
    """
    s = settings or get_settings()
    if s.store == "neo4j":
        from graph.store.neo4j_adapter import Neo4jStore

        return Neo4jStore(s, read_only=read_only)
    from graph.store.grafeo_adapter import GrafeoStore

    return GrafeoStore(s.grafeo_path, read_only=read_only, settings=s)


# --------------------------------------------------------------------------- shared helpers

_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)
_STRING = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", re.DOTALL)
_WRITE = re.compile(r"\b(CREATE|MERGE|SET|DELETE|DETACH|REMOVE|DROP|LOAD\s+CSV|FOREACH)\b", re.IGNORECASE)
_CALL = re.compile(r"\bCALL\s+[A-Za-z_]", re.IGNORECASE)  # a procedure call (not a `CALL {` / `CALL (x) {` subquery)


def is_write(text: str) -> bool:
    """Whether a statement may write, judged from its words outside comments and string literals.

    Used to serialise writers on Grafeo and to route reads to Neo4j readers. Procedure calls count
    as writes (their mode is unknown here): erring on the writer's side is only slower, never wrong.
    """
    bare = _STRING.sub("''", _COMMENT.sub(" ", text))
    return bool(_WRITE.search(bare) or _CALL.search(bare))


def utc(value: dt.datetime) -> dt.datetime:
    """A datetime as aware UTC; a naive one is taken to be UTC already (Tamga stores UTC only)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)
