"""The append-only columnar ledger: the analytics' source of record, beside the graph.

`<root>/<kind>/<partition folders>/part-<content hash>.parquet`, one Parquet dataset per bundle
file kind (`graph.ledger.layout`). Plain hive layout, no custom footer or side index: DuckDB
(`read_parquet('<root>/declarations/**/*.parquet', hive_partitioning=true)`), Spark or pyarrow
read it as it is.

Idempotent like the graph: every row carries `_digest`, a 64-bit hash of its key and values; an
append drops rows whose digest the ledger already holds, so re-appending the same rows adds
nothing, and a changed row (a party with a new phone) is a new version of its key. Which version
the graph shows (`layout.KEEP`) is what `current` returns. The digest index is rebuilt from the
parts' `_digest` column when a kind is first appended to (measured in bench/bench_ledger.py),
so there is nothing beside the data that could disagree with it.

Crash safety: rows are buffered and written every `flush_rows` rows per kind (a part per batch
would be thousands of small files at a million rows spread over months), by a writer thread beside
the caller, one part per partition folder per flush. A part is written to a
dot-named temporary file, fsynced and renamed into place, so a reader sees whole parts or none;
a `kill -9` loses at most the buffer, which the resumed ingest appends again (its digests are not
in the index), and leftover temporary files are removed when the ledger is next opened for
writing. Part names are the hash of their rows' digests: the same rows give the same name.

Small parts (one per flush: the API's posted rows) are merged per partition folder by
`graph.ledger.compaction`, automatically after a flush leaves more than `compact_parts` small parts
in a folder, or on demand (`compact`, `tamga ledger compact`); the rows and digests stay as they are.
Writers and compaction take the ledger's lock file, one at a time across processes.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Self
from urllib.parse import quote

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from graph.ledger import compaction, layout
from graph.ledger.layout import DIGEST, SEQ, TABLES

FLUSH_ROWS = 200_000
COMPACT_PARTS = 64  # a folder with more small parts than this is compacted after a flush (0: never)
SMALL_PART_BYTES = 8 * 2**20  # a part under this is small (a bulk flush writes ~0.3-2 MB per month)
READ_ATTEMPTS = 5  # a read that finds a listed part gone (compacted away meanwhile) lists again
log = logging.getLogger(__name__)
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"  # the hive (and Spark) name of a null partition value


class DigestIndex:
    """The set of digests a kind holds, ~8 bytes a key: sorted uint64 runs, each at least twice the
    size of the next (a log-structured merge), so a batch's look-up is a few binary searches and
    adding costs O(log n) amortised per digest (measured in bench/bench_ledger.py)."""

    def __init__(self, digests: np.ndarray | None = None):
        self.runs: list[np.ndarray] = []
        if digests is not None and len(digests):
            self.runs.append(np.sort(digests))  # the parts hold each digest once (np.unique: 60x slower)

    def __len__(self) -> int:
        return sum(len(r) for r in self.runs)

    def contains(self, d: np.ndarray) -> np.ndarray:
        hit = np.zeros(len(d), dtype=bool)
        for r in self.runs:
            i = np.searchsorted(r, d)
            i[i == len(r)] = 0
            hit |= r[i] == d
        return hit

    def add(self, d: np.ndarray) -> None:
        """Add digests not yet held (the caller filtered them with `contains`)."""
        if len(d):
            self.runs.append(np.sort(d))
        while len(self.runs) > 1 and len(self.runs[-2]) <= 2 * len(self.runs[-1]):
            b, a = self.runs.pop(), self.runs.pop()
            self.runs.append(np.sort(np.concatenate([a, b]), kind="stable"))  # timsort: a merge of two runs


def row_digests(table: pa.Table) -> np.ndarray:
    """A 64-bit hash per row of the key and every value (pandas' stable, seeded hash, column-wise)."""
    df = table.drop_columns([c for c in (DIGEST, SEQ) if c in table.column_names]).to_pandas(
        date_as_object=False, types_mapper=None)
    return pd.util.hash_pandas_object(df, index=False).to_numpy(dtype=np.uint64)


_OPEN: dict[Path, Ledger] = {}
_OPEN_LOCK = threading.Lock()


class Ledger:
    """Append validated rows per kind (`append`), write them out (`flush`), read them (`current`,
    `history`). Appends from one process at a time (the ingest); reads from anywhere."""

    def __init__(self, root: str | os.PathLike[str], *, flush_rows: int | None = None,
                 compact_parts: int | None = None, small_part_bytes: int | None = None):
        self.root = Path(root)
        self.flush_rows = flush_rows or FLUSH_ROWS
        self.compact_parts = COMPACT_PARTS if compact_parts is None else compact_parts
        self.small_part_bytes = small_part_bytes or SMALL_PART_BYTES
        self._buffers: dict[tuple[str, str], list[pa.Table]] = {}  # (kind, source) -> batches
        self._buffered: dict[str, int] = {}
        self._writer: ThreadPoolExecutor | None = None  # parts are written beside the caller
        self._pending: list[Future[None]] = []
        self._index: dict[str, DigestIndex] = {}
        self._last_seq = 0
        self._lock = threading.Lock()  # ingest appends from its reading thread and its writer thread
        self.write_seconds = 0.0  # spent writing parts (and compacting) in the writer thread

    @classmethod
    def of(cls, settings: Any) -> Ledger:
        """The ledger of a data directory, `<data_dir>/ledger`: one object per directory and process,
        so its digest index is built once, not on every small ingest (the API's posted rows)."""
        root = (Path(settings.data_dir) / "ledger").resolve()
        with _OPEN_LOCK:
            if root not in _OPEN:
                _OPEN[root] = cls(root, compact_parts=settings.ledger_compact_parts,
                                  small_part_bytes=settings.ledger_small_part_bytes)
            return _OPEN[root]

    def path(self, kind: str) -> Path:
        return self.root / TABLES[kind].kind

    # ---------------------------------------------------------------- writing

    def append(self, kind: str, rows: Mapping[str, Sequence[Any]] | pa.Table, source: str) -> int:
        """Buffer one batch of a kind's validated rows of one source (columns by name: those of
        `layout.TABLES[kind]`, any missing ones null; an unknown column is an error). Returns the
        number of rows new to the ledger. Writes a part when `flush_rows` rows of the kind wait."""
        t = TABLES[kind]
        table = self._as_table(kind, rows)
        if not table.num_rows:
            return 0
        with self._lock:
            index = self._index_of(kind)
            digests = row_digests(table)
            _, first = np.unique(digests, return_index=True)  # a row twice in the batch counts once
            keep = np.zeros(len(digests), dtype=bool)
            keep[first] = True
            keep &= ~index.contains(digests)
            if not keep.any():
                return 0
            table = table.filter(pa.array(keep))
            digests = digests[keep]
            index.add(digests)
            seq = self._next_seq(table.num_rows)
            table = table.append_column(DIGEST, pa.array(digests, pa.uint64())).append_column(
                SEQ, pa.array(seq, pa.int64()))
            table = table.select(t.schema.names)
            self._buffers.setdefault((kind, source), []).append(table)
            self._buffered[kind] = self._buffered.get(kind, 0) + table.num_rows
            if self._buffered[kind] >= self.flush_rows:
                self._flush_kind(kind)
            return table.num_rows

    def flush(self) -> None:
        """Write every buffered row (the ingest's last call)."""
        with self._lock:
            for kind in {k for k, _ in self._buffers}:
                self._flush_kind(kind)
            pending, self._pending = self._pending, []
            writer, self._writer = self._writer, None
        try:
            for f in pending:
                f.result()  # raises the writer's error here
        finally:
            if writer is not None:
                writer.shutdown()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type, *exc: object) -> None:
        if exc_type is None:
            self.flush()

    def _as_table(self, kind: str, rows: Mapping[str, Sequence[Any]] | pa.Table) -> pa.Table:
        t = TABLES[kind]
        names = rows.column_names if isinstance(rows, pa.Table) else list(rows)
        unknown = sorted(set(names) - set(t.columns))
        if unknown:
            raise ValueError(f"ledger {kind}: unknown columns {unknown}")
        n = rows.num_rows if isinstance(rows, pa.Table) else (len(next(iter(rows.values()))) if rows else 0)
        arrays = []
        for f in t.schema:
            if f.name in (DIGEST, SEQ):
                continue
            if f.name not in names:
                arrays.append(pa.nulls(n, f.type))
            elif isinstance(rows, pa.Table):
                arrays.append(rows[f.name].cast(f.type))
            else:
                arrays.append(pa.array(rows[f.name], f.type))
        return pa.Table.from_arrays(arrays,
                                    schema=pa.schema([f for f in t.schema if f.name not in (DIGEST, SEQ)]))

    def _next_seq(self, n: int) -> np.ndarray:
        base = max(time.time_ns(), self._last_seq + 1)
        self._last_seq = base + n - 1
        return np.arange(base, base + n, dtype=np.int64)

    def _index_of(self, kind: str) -> DigestIndex:
        if kind not in self._index:
            self._remove_temporaries(kind)
            d = self._read(kind, columns=[DIGEST])
            self._index[kind] = DigestIndex(d[DIGEST].to_numpy() if d.num_rows else None)
        return self._index[kind]

    def _remove_temporaries(self, kind: str) -> None:
        """A killed writer's temporary parts and a killed compaction's staging folders."""
        with self.writing():
            for p in self.path(kind).rglob(".*.tmp"):
                p.unlink(missing_ok=True)
            compaction.remove_leftovers(self.path(kind))

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """The ledger's writer lock (flock on `<root>/.lock`), held while parts are written or swapped,
        so that a flush never lands in a folder being compacted by another process."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a+b") as f:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f.fileno(), fcntl.LOCK_UN)

    def compact(self, kinds: Sequence[str] | None = None) -> list[compaction.Compacted]:
        """Merge the small parts of every partition folder of `kinds` (default: all), after writing
        what is buffered. Idempotent: a folder with at most one small part is left as it is."""
        self.flush()
        done = []
        for kind in kinds or layout.KINDS:
            with self.writing():
                compaction.remove_leftovers(self.path(kind))
                for folder in compaction.partition_folders(self.path(kind)):
                    c = compaction.compact_folder(folder, self.small_part_bytes, self.root)
                    if c is not None:
                        done.append(c)
        return done

    def _compact_if_due(self, folder: Path) -> None:
        """After a flush (the caller holds the lock): compact a folder past `compact_parts` small parts.
        A platform without an atomic folder exchange keeps its small parts (logged once)."""
        if not self.compact_parts or len(compaction.small_parts(folder, self.small_part_bytes)) \
                <= self.compact_parts:
            return
        try:
            compaction.compact_folder(folder, self.small_part_bytes, self.root)
        except compaction.CompactionUnsupported as e:
            log.warning("ledger compaction off: %s", e)
            self.compact_parts = 0

    def _flush_kind(self, kind: str) -> None:
        """Hand the kind's buffered rows to the writer thread (parquet encoding and fsync release the
        GIL: measured 1.1 of 1.9 s per 100k rows, now beside the ingest). At most two flushes wait,
        so memory stays at a few buffers; a writer error is raised by the next append or flush."""
        if self._writer is None:
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tamga-ledger-writer")
        for key in [k for k in self._buffers if k[0] == kind]:
            part = pa.concat_tables(self._buffers.pop(key))
            while len(self._pending) >= 2:
                self._pending.pop(0).result()
            for f in [f for f in self._pending if f.done()]:
                self._pending.remove(f)
                f.result()
            self._pending.append(self._writer.submit(self._write_parts, kind, part, key[1]))
        self._buffered[kind] = 0

    def _write_parts(self, kind: str, table: pa.Table, source: str) -> None:
        """One part per partition folder: temporary name, fsync, atomic rename."""
        t0 = time.perf_counter()
        with self.writing():
            for folder in self._write_folders(kind, table, source):
                self._compact_if_due(folder)
        self.write_seconds += time.perf_counter() - t0

    def _write_folders(self, kind: str, table: pa.Table, source: str) -> list[Path]:
        t = TABLES[kind]
        values = layout.partition_values(kind, table, source)
        folders = []
        for value in pc.unique(values).to_pylist():
            part = table.filter(pc.equal(values, value) if value is not None else pc.is_null(values))
            folder = self.path(kind).joinpath(
                *(f"{c}={_segment(v)}"
                  for c, v in zip(t.partitions, (source, value)[: len(t.partitions)], strict=True)))
            folder.mkdir(parents=True, exist_ok=True)
            name = hashlib.sha256(part[DIGEST].to_numpy().tobytes()).hexdigest()[:24]
            final = folder / f"part-{name}.parquet"
            tmp = folder / f".part-{name}.parquet.tmp"
            pq.write_table(part, tmp, compression="zstd")
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
            os.replace(tmp, final)
            _fsync_dir(folder)
            folders.append(folder)
        return folders

    # ---------------------------------------------------------------- reading

    def _read(self, kind: str, columns: list[str] | None = None, filter: Any = None) -> pa.Table:
        t = TABLES[kind]
        root = self.path(kind)
        if not root.is_dir() or not any(root.rglob("part-*.parquet")):
            s = t.dataset_schema
            if columns is None:
                return s.empty_table()
            return pa.schema([s.field(c) for c in columns]).empty_table()
        part = ds.partitioning(pa.schema([pa.field(p, pa.string()) for p in t.partitions]), flavor="hive")
        for attempt in range(READ_ATTEMPTS):
            try:
                d = ds.dataset(root, format="parquet", partitioning=part, schema=t.dataset_schema)
                return d.to_table(columns=columns, filter=filter)
            except FileNotFoundError:
                if attempt == READ_ATTEMPTS - 1:  # a listed part compacted away meanwhile: list again
                    raise
        raise AssertionError("unreachable")

    def history(self, kind: str, columns: list[str] | None = None, filter: Any = None) -> pa.Table:
        """Every version of every row, in append order."""
        cols = None if columns is None else list(dict.fromkeys([*columns, SEQ]))
        table = self._read(kind, cols, filter)
        return table.sort_by(SEQ) if table.num_rows else table

    def current(self, kind: str, columns: list[str] | None = None, filter: Any = None) -> pa.Table:
        """One row per key, the version the graph holds (`layout.KEEP`), in key order. The row order
        is worked out on the key and sequence columns and applied in one take (two sorts of the whole
        table cost 1 s of 1.5 at 100k rows)."""
        cols = None if columns is None else list(dict.fromkeys([*columns, "key", SEQ]))
        table = self._read(kind, cols, filter)
        if not table.num_rows:
            return table
        order = np.argsort(table[SEQ].to_numpy(), kind="stable")
        keys = table["key"].take(order)
        order = order[~keys.to_pandas().duplicated(keep=layout.KEEP[kind]).to_numpy()]
        order = order[pc.sort_indices(table["key"].take(order)).to_numpy()]
        return table.take(order)

    def count(self, kind: str) -> int:
        return self._read(kind, columns=[DIGEST]).num_rows


def _segment(value: str | None) -> str:
    """A partition value as a folder name: URI-escaped (pyarrow's hive reader unescapes it)."""
    return NULL_PARTITION if value is None else quote(str(value), safe="")


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
