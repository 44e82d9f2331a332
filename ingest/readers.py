"""Readers for bundle files: CSV, CSV.gz and Parquet, in batches, every value as a string.

Why hand-rolled on the standard `csv` module rather than pandas: the quarantine needs the 1-based
file line of each row (header = line 1, quoted newlines counted), a broken UTF-8 byte must cost
one row and not the file, and a 1 MB field must be refused per row; pandas gives none of these.
The file is decoded with `surrogateescape`, so undecodable bytes survive as lone surrogates and
are detected per row. Memory is bounded by the batch size (and the field cap).
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

FIELD_CAP = 64 * 1024  # bytes-ish (characters) per field; larger fields are quarantined
SUFFIXES = (".csv", ".csv.gz", ".parquet")

# The csv module refuses fields over its limit with an error that ends the file; raise it so that
# an oversized field reaches our per-row check instead.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


@dataclass(slots=True)
class RawRow:
    """One record as read: its file line (CSV) or row number (Parquet), values as strings."""

    line: int
    values: dict[str, str]
    problem: tuple[str, str] | None = None  # (column, reason) found while reading
    raw: str | None = None  # the record as text, for the quarantine, when a problem was found


def find_file(folder: Path, stem: str) -> Path | None:
    """`<stem>.csv`, `<stem>.csv.gz` or `<stem>.parquet` in a bundle folder (first found)."""
    for suf in SUFFIXES:
        p = folder / f"{stem}{suf}"
        if p.exists():
            return p
    return None


def _open_text(path: Path) -> io.TextIOBase:
    """The file as text: UTF-8 (BOM dropped), undecodable bytes kept as lone surrogates."""
    raw = gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")  # noqa: SIM115
    return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")


def read_header(path: Path) -> list[str]:
    """The column names of a file, without reading its rows."""
    if path.name.lower().endswith(".parquet"):
        import pyarrow.parquet as pq

        return list(pq.ParquetFile(path).schema_arrow.names)
    with _open_text(path) as f:
        row = next(csv.reader(f), [])
    return [h.strip() for h in row]


# Bytes that are not UTF-8 come out of the `surrogateescape` decoder as lone low surrogates.
_SURROGATE = re.compile("[\udc80-\udcff\x00]")  # and NUL, which no text field holds


def _csv_rows(path: Path) -> Iterator[RawRow]:
    with _open_text(path) as f:
        reader = csv.reader(f)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            return
        n = len(header)
        prev_end = reader.line_num
        for rec in reader:
            line = prev_end + 1
            prev_end = reader.line_num
            if not rec or (len(rec) == 1 and rec[0] == ""):
                continue  # blank line
            problem = None
            if len(rec) != n:
                problem = ("", f"{len(rec)} fields where the header has {n}")
            else:
                joined = "\x01".join(rec)  # one scan per record; fields only looked at on a hit
                if len(joined) > FIELD_CAP or _SURROGATE.search(joined):
                    for col, v in zip(header, rec):
                        if len(v) > FIELD_CAP:
                            problem = (col, f"field of {len(v)} characters exceeds the cap of {FIELD_CAP}")
                            break
                        m = _SURROGATE.search(v)
                        if m:
                            problem = (col, "NUL byte in the field" if m.group() == "\x00" else "invalid UTF-8")
                            break
            if problem:
                yield RawRow(line, {}, problem, _raw_text(rec))
            else:
                yield RawRow(line, dict(zip(header, rec)))


def _raw_text(rec: list[str]) -> str:
    """The record for the quarantine: broken bytes shown as \\xNN, huge fields truncated."""
    out = []
    for v in rec:
        v = v.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        if len(v) > 1000:
            v = v[:1000] + f"…[{len(v)} chars]"
        out.append(v)
    return ",".join(out)


def _parquet_rows(path: Path, batch_size: int) -> Iterator[RawRow]:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    rownum = 0
    for batch in pf.iter_batches(batch_size=batch_size):
        cols = {}
        for name, col in zip(batch.schema.names, batch.columns):
            if pa.types.is_floating(col.type):
                # 12.0 -> "12.0" is fine for floats; dates and ints cast as ISO / digits
                cols[name] = pc.cast(col, pa.string()).to_pylist()
            elif pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
                cols[name] = col.to_pylist()
            else:
                cols[name] = pc.cast(col, pa.string()).to_pylist()
        names = list(cols)
        for i in range(batch.num_rows):
            rownum += 1
            values = {k: (cols[k][i] if cols[k][i] is not None else "") for k in names}
            big = next((k for k, v in values.items() if len(v) > FIELD_CAP), None)
            if big:
                reason = f"field of {len(values[big])} characters exceeds the cap of {FIELD_CAP}"
                yield RawRow(rownum, {}, (big, reason), _raw_text(list(values.values())))
            else:
                yield RawRow(rownum, values)


def read_rows(path: Path, batch_size: int = 5000) -> Iterator[RawRow]:
    """Every record of a file, one `RawRow` each. CSV lines are file lines (header = 1);
    Parquet rows are numbered from 1 (no header line)."""
    if path.name.lower().endswith(".parquet"):
        yield from _parquet_rows(path, batch_size)
    else:
        yield from _csv_rows(path)


def read_batches(path: Path, batch_size: int = 5000) -> Iterator[list[RawRow]]:
    """`read_rows` in lists of at most `batch_size` (bounded memory)."""
    batch: list[RawRow] = []
    for row in read_rows(path, batch_size):
        batch.append(row)
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch
