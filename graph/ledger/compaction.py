"""Compaction: the small parts of one partition folder merged into one part, swapped in atomically.

Why: every flush writes one part per partition folder, so the API's posted rows (a few rows per
`ingest_rows` call) leave thousands of tiny files in the current month; each costs a reader a file
open and a footer read. Compaction rewrites the rows as they are (the same `_digest` and `_seq`
values, so the digest index, re-ingest idempotency and kill-resume are untouched; `current` and
`history` return the same rows) and keeps the folder's large parts as they are.

How a reader sees it (the swap):
1. the merged part is written into a dot-named sibling folder, `.month=2024-05.compact/` (readers
   skip dot-named files and folders: pyarrow's and Spark's discovery ignore them), next to hard
   links to the folder's large parts, each file fsynced;
2. the two folders are exchanged in one `renameat2(RENAME_EXCHANGE)`: a reader listing the partition
   sees the old parts or the new set, never both, never neither;
3. the old parts, now in the dot-named folder, are removed.
A reader that listed the old parts just before step 3 finds a file gone when it opens it; the
ledger's own reads (`Ledger._read`: `Frames.from_ledger`, the analytics child) then list again and
read the new set. An outside reader (DuckDB, Spark) re-runs its query in that case.

A kill at any point leaves a readable ledger: before the exchange the live folder is untouched,
after it the live folder is complete; the dot-named leftover is removed when the ledger is next
written to (`remove_leftovers`) or compacted. Writers and compaction of one ledger take its lock
file (`<root>/.lock`, flock), so a flush never lands in a folder being swapped.
Linux only (RENAME_EXCHANGE on ext4, xfs, btrfs, tmpfs); elsewhere `CompactionUnsupported`.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from graph.ledger.layout import DIGEST

SUFFIX = ".compact"
ROW_GROUP_ROWS = 128_000
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


class CompactionUnsupported(OSError):
    """The platform or file system cannot exchange two folders atomically."""


@dataclass(frozen=True)
class Compacted:
    folder: str  # relative to the ledger's root
    parts_before: int
    parts_after: int
    rows: int

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def small_parts(folder: Path, small_bytes: int) -> list[Path]:
    """The folder's parts under `small_bytes`, by name (the order they are merged in)."""
    out = []
    with os.scandir(folder) as it:
        for e in it:
            if e.name.startswith("part-") and e.name.endswith(".parquet") and e.stat().st_size < small_bytes:
                out.append(Path(e.path))
    return sorted(out)


def partition_folders(kind_root: Path) -> list[Path]:
    """Every live leaf folder holding parts (dot-named folders excluded)."""
    if not kind_root.is_dir():
        return []
    return sorted({p.parent for p in kind_root.rglob("part-*.parquet")
                   if not any(s.startswith(".") for s in p.relative_to(kind_root).parts)})


def compact_folder(folder: Path, small_bytes: int, root: Path) -> Compacted | None:
    """Merge the folder's small parts into one (the caller holds the ledger's lock). None when there
    is nothing to merge (at most one small part): compaction is idempotent."""
    small = small_parts(folder, small_bytes)
    if len(small) < 2:
        return None
    parts = sorted(p for p in folder.iterdir() if p.name.startswith("part-") and p.suffix == ".parquet")
    staging = folder.with_name("." + folder.name + SUFFIX)
    if staging.exists():
        shutil.rmtree(staging)  # a killed compaction's leftover
    staging.mkdir()
    rows = _merge(small, staging)
    merged = set(small)
    for p in parts:
        if p not in merged:
            os.link(p, staging / p.name)  # large parts carried over as they are
    _fsync(staging)
    _exchange(staging, folder)
    _fsync(folder.parent)
    shutil.rmtree(staging)  # the old parts
    return Compacted(str(folder.relative_to(root)), len(parts), len(parts) - len(small) + 1, rows)


def remove_leftovers(kind_root: Path) -> None:
    """Dot-named staging folders of a killed compaction (the caller holds the lock)."""
    if kind_root.is_dir():
        for p in sorted(kind_root.rglob("." + "*" + SUFFIX), key=lambda p: -len(p.parts)):
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)


def _merge(parts: list[Path], staging: Path) -> int:
    """Stream the parts into one file in row groups of ~ROW_GROUP_ROWS rows; name it by the hash of its
    digests, as a flushed part is named (the same rows give the same name)."""
    tmp = staging / ".part-merging.parquet.tmp"
    h = hashlib.sha256()
    rows = 0
    pending: list[pa.Table] = []
    waiting = 0  # rows in pending
    schema = pq.read_schema(parts[0])
    with pq.ParquetWriter(tmp, schema, compression="zstd") as w:
        def write() -> None:
            nonlocal waiting
            t = pa.concat_tables(pending)
            pending.clear()
            waiting = 0
            w.write_table(t, row_group_size=ROW_GROUP_ROWS)

        for p in parts:
            t = pq.read_table(p, schema=schema)
            h.update(t[DIGEST].to_numpy().tobytes())
            rows += t.num_rows
            pending.append(t)
            waiting += t.num_rows
            if waiting >= ROW_GROUP_ROWS:
                write()
        if pending:
            write()
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(tmp, staging / f"part-{h.hexdigest()[:24]}.parquet")
    return rows


def _exchange(a: Path, b: Path) -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError) as e:
        raise CompactionUnsupported("ledger compaction needs renameat2 (Linux, glibc >= 2.28)") from e
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) != 0:
        err = ctypes.get_errno()
        if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
            raise CompactionUnsupported(err, f"cannot exchange folders atomically here: {os.strerror(err)}")
        raise OSError(err, os.strerror(err), str(b))


def _fsync(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
