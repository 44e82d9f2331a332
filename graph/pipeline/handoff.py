"""The files a scoring run's two processes hand each other: the store's small mutable state one way
(`write_state` / `read_state`), the write-back rows the other (`write_parts` / `read_parts`), all
Parquet in one private folder (`graph.pipeline.analytics_process` makes it and removes it).

Why the write-back rows and not the Results themselves: the rows (`writeback.network_rows`,
`writeback.declaration_rows`) are plain columns of numbers and text (the reasons already JSON), so
they cross as Parquet without a type of their own to rebuild, float64 and int64 bit for bit; and
building them (a Python loop per party) runs in the analytics process, not in the store's owner.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from graph.store.frames import frame
from graph.store.ledger_frames import StoreState

STATE_PARTS = ("decisions", "lanes", "inspections")


def _size(paths: Iterable[Path]) -> int:
    return sum(p.stat().st_size for p in paths)


def write_state(state: StoreState, folder: Path) -> dict:
    """The store's mutable state as one Parquet file per part; returns {bytes, seconds}."""
    t = time.perf_counter()
    paths = []
    for name in STATE_PARTS:
        path = folder / f"state.{name}.parquet"
        pq.write_table(pa.Table.from_pandas(getattr(state, name), preserve_index=False), path)
        paths.append(path)
    return {"bytes": _size(paths), "seconds": round(time.perf_counter() - t, 3)}


def read_state(folder: Path) -> StoreState:
    parts = {name: pq.read_table(folder / f"state.{name}.parquet").to_pandas() for name in STATE_PARTS}
    parts["decisions"] = frame("decisions", parts["decisions"])  # the declared dtypes, as from the store
    return StoreState(**parts)


def write_parts(parts: dict[str, list[dict]], folder: Path, prefix: str) -> dict:
    """Each part's rows as one Parquet file; returns the manifest {part: file name} with bytes and
    seconds. An empty part is listed without a file: it reads back as no rows."""
    t = time.perf_counter()
    files: dict[str, str | None] = {}
    for name, rows in parts.items():
        if not rows:
            files[name] = None
            continue
        file = files[name] = f"{prefix}.{name}.parquet"
        pq.write_table(pa.Table.from_pylist(rows), folder / file)
    return {"files": files, "bytes": _size(folder / f for f in files.values() if f),
            "seconds": round(time.perf_counter() - t, 3)}


class PartReader:
    """The parts of a manifest as iterators of row dicts, read a batch at a time (the store's
    write-back consumes them in its own batches); `seconds` adds up the time spent reading."""

    def __init__(self, folder: Path, manifest: dict, batch_size: int):
        self.folder, self.files, self.batch_size = folder, manifest["files"], batch_size
        self.seconds = 0.0

    def _rows(self, name: str) -> Iterator[dict]:
        file = self.files.get(name)
        if file is None:
            return
        t = time.perf_counter()
        f = pq.ParquetFile(self.folder / file)
        batches = f.iter_batches(batch_size=self.batch_size)
        while True:
            try:
                rows = next(batches).to_pylist()
            except StopIteration:
                self.seconds += time.perf_counter() - t
                return
            self.seconds += time.perf_counter() - t
            yield from rows
            t = time.perf_counter()

    def parts(self) -> dict[str, Iterator[dict]]:
        return {name: self._rows(name) for name in self.files}

