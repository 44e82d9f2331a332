"""The embedded store: Grafeo (a real database on disk, a file plus its write-ahead log).

Durability, measured with grafeo 0.6.0 (tests/test_store_grafeo.py keeps the first part true):
- Process crash (`kill -9`, OOM killer): every statement that returned is there after reopening,
  with or without automatic checkpoints. Each statement is written to the WAL (`<file>.wal/`)
  with one write() before it returns and the next open replays it; a statement cut off mid-way
  leaves nothing (one `UNWIND` batch is one transaction).
- Power loss or OS crash: the WAL is not fsync'ed per statement (strace: no fsync between
  commits, and the Python binding exposes no WAL sync mode), so writes since the last checkpoint
  may be lost. A checkpoint fsyncs the WAL and the main file. Hence checkpoints are switched on
  here (off in Grafeo by default; `checkpoint_interval_s`, `checkpoint_wal_bytes` in settings),
  which bounds that window and keeps the WAL and reopen time small, and `checkpoint()` is there
  for the end of an ingest or a scoring run, and runs on `close`.

One process holds the file at a time (Grafeo takes an exclusive lock; read-only opens take a shared
one). Opening a held store raises `StoreBusyError` saying what to do.

Grafeo drops the time zone of a datetime: datetimes go in as UTC wall-clock time and come back as
aware UTC, like Neo4j's (see `queries.dialect.NOTES`).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grafeo

import queries
from graph.domain import schema
from graph.settings import Settings, get_settings
from graph.store import GraphStore, StoreBusyError, StoreError, utc

_LOCKED = ("cannot be locked", "locked by another process")


class GrafeoStore(GraphStore):
    backend = "grafeo"

    def __init__(self, path: Path | None, *, read_only: bool = False, settings: Settings | None = None):
        s = settings or get_settings()
        self.path = path
        self.read_only = read_only
        self._db: grafeo.GrafeoDB | None = None
        # Grafeo's binding is called from FastAPI's thread pool: one writer at a time, reads run freely.
        self._write_lock = threading.Lock()
        self._checkpoint_triggers = {"interval_secs": s.checkpoint_interval_s,
                                     "wal_bytes": s.checkpoint_wal_bytes}
        self._bulk_depth = 0
        self._bulk_ids: dict[tuple[str, str], int] | None = None  # (label, key) -> node id, in a bulk load
        try:
            if path is None:
                self._db = grafeo.GrafeoDB()
            elif read_only:
                self._db = grafeo.GrafeoDB.open_read_only(str(path))
            else:
                # Owner-only (0700 dirs, 0600 files): the store holds the source's raw records, and
                # Grafeo creates WAL files whenever it writes, so the process's umask gains 077 for
                # good (what a process holding this data writes is its owner's alone).
                os.umask(os.umask(0o077) | 0o077)
                path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                path.parent.chmod(0o700)
                self._db = grafeo.GrafeoDB(str(path))
                self._db.set_checkpoint_triggers(interval_secs=s.checkpoint_interval_s,
                                                 wal_bytes=s.checkpoint_wal_bytes)
        except grafeo.GrafeoError as e:
            if any(m in str(e) for m in _LOCKED):
                raise StoreBusyError(
                    f"The store at {path} is held by another Tamga process (for example `tamga serve` or a "
                    "running ingest). Stop that process or wait for it to finish, then run this command "
                    "again; or point TAMGA_DATA_DIR at another directory to use another store."
                ) from e
            if isinstance(e, grafeo.GrafeoCorruptionError):
                raise StoreError(f"the store at {path} is damaged ({e}); restore it from a backup") from e
            raise StoreError(f"cannot open the store at {path}: {e}") from e

    def _execute(self, text: str, params: dict[str, Any], mode: queries.Mode) -> list[dict[str, Any]]:
        """A write takes the write lock (one writer at a time); a read runs beside it. Grafeo 0.6.0
        has no read-only statement mode, so a read-marked statement that writes is caught by the
        lint over all queries (`queries.lint.mode_problems`), not here."""
        db = self._db
        if db is None:
            raise StoreError("the store is closed")
        p = _to_grafeo(params) if params else {}
        try:
            if mode == "write":
                with self._write_lock:
                    rows = db.execute_cypher(text, p).to_list()
            else:
                rows = db.execute_cypher(text, p).to_list()
        except grafeo.GrafeoError as e:
            raise StoreError(f"{e}\nin statement: {text[:300]}") from e
        return [_from_grafeo(r) for r in rows]

    def count_kinds(self) -> tuple[dict[str, int], dict[str, int]]:
        """From the counts Grafeo keeps per label and edge type (`GrafeoDB.schema()`, kept through
        deletes and a reopen): the Cypher counts scan the graph and passed Grafeo's 30 s query timeout
        at 3M items (24M relationships), failing the ingest at its last step."""
        db = self._db
        if db is None:
            raise StoreError("the store is closed")
        got = db.schema()
        labels = {x["name"]: int(x["count"]) for x in got.get("labels", [])}
        types = {x["name"]: int(x["count"]) for x in got.get("edge_types", [])}
        return ({n.label: labels.get(n.label, 0) for n in schema.NODES},
                {r.type: types.get(r.type, 0) for r in schema.RELS})

    def run_frame(self, name: str, /, **params: Any):
        """A named read query as a DataFrame through Grafeo's Arrow export (no per-row Python dicts:
        ~2x faster than `run` at 100k rows, measured). Read-only statements only."""
        import pandas as pd

        text = self._read_text(name)
        db = self._db
        if db is None:
            raise StoreError("the store is closed")
        try:
            res = db.execute_cypher(text, _to_grafeo(params) if params else {})
            cols = list(res.columns)
            df = res.to_arrow().to_pandas()
        except grafeo.GrafeoError as e:
            raise StoreError(f"{e}\nin statement: {text[:300]}") from e
        if df.empty and not len(df.columns):
            return pd.DataFrame(columns=cols)
        return df

    def create_linked_nodes(self, name: str, label: str, rows: list[dict[str, Any]],
                            links: dict[str, tuple[str, str]]) -> None:
        """Native bulk path: `batch_create_nodes_with_props` then one `batch_create_edges` (each one
        transaction), end nodes found by key through their index. Same result as the query `name`;
        a missing end node is skipped, as a MATCH would. Labels and types come from graph.domain.schema."""
        from graph.domain import schema
        from queries import generated

        self._allow_bulk(name, label)
        db = self._db
        if db is None:
            raise StoreError("the store is closed")
        schema.label(label)
        # end nodes' ids: remembered for the whole bulk load (ingest creates, never deletes), so
        # each party, route or code is looked up once per load rather than once per batch
        ids = self._bulk_ids if self._bulk_ids is not None else {}
        wanted: dict[str, set[str]] = {}
        for field, (rel, end) in links.items():
            schema.rel_type(rel)
            wanted.setdefault(schema.label(end), set()).update(
                r[field] for r in rows if r.get(field) and (end, r[field]) not in ids)
        for end, keys in wanted.items():
            if keys:
                for rec in self.execute(generated.grafeo_node_ids(end), {"keys": sorted(keys)}):
                    ids[(end, rec["key"])] = rec["id"]
        try:
            with self._write_lock:
                node_ids = db.batch_create_nodes_with_props(label, [_to_grafeo(r["props"]) for r in rows])
                edges = [(nid, ids[(end, r[field])], rel) for nid, r in zip(node_ids, rows, strict=True)
                         for field, (rel, end) in links.items() if r.get(field) and (end, r[field]) in ids]
                if edges:
                    db.batch_create_edges(edges)
        except grafeo.GrafeoError as e:
            raise StoreError(f"{e}\nin bulk create of {label}") from e

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """Automatic checkpoints rewrite the whole file, so during a bulk load they grow with it:
        they are off inside this block and one checkpoint is made at its end. Measured on simulated
        worlds: item phase 17-25% faster at 100k-300k rows, total time about equal at 300k-1M (the
        one final checkpoint folds the whole WAL), peak RSS lower (1M rows: 2,997 vs 3,058 MiB).
        The WAL still records every statement, so `kill -9` loses nothing that returned; recovery
        replays a longer WAL."""
        db = self._db
        if db is None or self.path is None or self.read_only or self._bulk_depth:
            self._bulk_depth += 1  # nested: the outermost block decides
            outer = self._bulk_ids is None
            if outer:
                self._bulk_ids = {}
            try:
                yield
            finally:
                self._bulk_depth -= 1
                if outer:
                    self._bulk_ids = None
            return
        db.set_checkpoint_triggers()  # no arguments: automatic checkpoints off
        self._bulk_depth = 1
        self._bulk_ids = {}
        try:
            yield
        finally:
            self._bulk_depth = 0
            self._bulk_ids = None
            if self._db is not None:
                self._db.set_checkpoint_triggers(**self._checkpoint_triggers)
                self.checkpoint()

    def checkpoint(self) -> None:
        """Fold the WAL into the main file now (also done by the triggers and on close)."""
        if self._db is not None and self.path is not None and not self.read_only:
            with self._write_lock:
                self._db.wal_checkpoint()

    def close(self) -> None:
        """Checkpoint and release the file lock; closing twice is harmless."""
        db = self._db
        if db is None:
            return
        try:
            self.checkpoint()
        finally:
            self._db = None
            db.close()


_PLAIN = frozenset((str, int, float, bool, dt.date, type(None)))


def _to_grafeo(v: Any) -> Any:
    """Parameters for Grafeo: datetimes as UTC wall-clock time (Grafeo keeps no zone), tuples as lists."""
    t = type(v)
    if t is dict:
        if _PLAIN.issuperset(map(type, v.values())):  # the common case (ingest rows): nothing to convert
            return v
        return {k: _to_grafeo(x) for k, x in v.items()}
    if t is list or t is tuple:
        return [_to_grafeo(x) for x in v]
    if t is dt.datetime:
        return utc(v).replace(tzinfo=None)
    return v


def _from_grafeo(v: Any) -> Any:
    """Results from Grafeo: datetimes back as aware UTC, as the Neo4j adapter returns them."""
    t = type(v)
    if t is dict:
        return {k: _from_grafeo(x) for k, x in v.items()}
    if t is list:
        return [_from_grafeo(x) for x in v]
    if t is dt.datetime:
        return v.replace(tzinfo=dt.UTC) if v.tzinfo is None else v.astimezone(dt.UTC)
    return v
