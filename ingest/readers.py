"""Readers for bundle files: CSV, CSV.gz and Parquet, in batches, every value as a string.

Why hand-rolled on the standard `csv` module rather than pandas: the quarantine needs the 1-based
file line of each row (header = line 1, quoted newlines counted), a broken UTF-8 byte must cost
one row and not the file, and a 1 MB field must be refused per row; pandas gives none of these.
The file is decoded with `surrogateescape`, so undecodable bytes survive as lone surrogates and
are detected per row. Memory is bounded by the batch size and `ReadLimits`: lines are read with a
bound, so a gzip bomb of one endless field or of endless rows stops with a clear error and not
with the machine's memory. A quote left open does not swallow the rest of the file: the reader
resynchronises at the next line (see `_csv_rows`).
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from graph.settings import Settings
from ingest.validate import IngestStopped

SUFFIXES = (".csv", ".csv.gz", ".parquet")
# A quoted value may span this many physical lines; past it the record is taken for a quote left
# open, and the reader resynchronises (see `_csv_rows`).
MAX_RECORD_LINES = 100
# The ratio of expanded to compressed bytes is checked once this much text was read from a file.
RATIO_FLOOR_CHARS = 16 * 2**20

# A backstop only: records are bounded before the csv module sees them (`_LineFeed`).
csv.field_size_limit(64 * 2**20)


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """What one file may hold (from the `ingest_max_*` settings, the one place of their values). A
    field over `field_chars` costs its row (quarantined); a record, a file or an expansion over the
    others stops the run (`IngestStopped`): the rest of such a file cannot be trusted to be rows."""

    field_chars: int
    row_chars: int
    rows: int
    expanded_chars: int
    expansion_ratio: float

    @classmethod
    def of(cls, s: Settings) -> ReadLimits:
        return cls(field_chars=s.ingest_max_field_chars, row_chars=s.ingest_max_row_chars,
                   rows=s.ingest_max_rows_per_file, expanded_chars=s.ingest_max_file_chars,
                   expansion_ratio=s.ingest_max_expansion_ratio)


DEFAULT_LIMITS = ReadLimits.of(Settings.model_construct())  # the settings' defaults, read from no environment
FIELD_CAP = DEFAULT_LIMITS.field_chars


@dataclass(slots=True)
class RawRow:
    """One record as read: its file line (CSV) or row number (Parquet), values as strings."""

    line: int
    values: dict[str, str]
    problem: tuple[str, str] | None = None  # (column, reason) found while reading
    raw: str | None = None  # the record as text, for the quarantine, when a problem was found


def _open_text(path: Path) -> tuple[io.TextIOWrapper, io.BufferedReader]:
    """The file as text: UTF-8 (BOM dropped), undecodable bytes kept as lone surrogates; and the
    file on disk, whose position is the compressed bytes read so far."""
    disk = open(path, "rb")  # noqa: SIM115 - closed with the text wrapper
    raw = gzip.GzipFile(fileobj=disk, mode="rb") if path.name.lower().endswith(".gz") else disk
    return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline=""), disk


def read_header(path: Path) -> list[str]:
    """The column names of a file, without reading its rows."""
    if path.name.lower().endswith(".parquet"):
        import pyarrow.parquet as pq

        return list(pq.ParquetFile(path).schema_arrow.names)
    f, disk = _open_text(path)
    with f, disk:
        row = next(csv.reader(_LineFeed(f, disk, path, DEFAULT_LIMITS)), [])
    return [h.strip() for h in row]


# Bytes that are not UTF-8 come out of the `surrogateescape` decoder as lone low surrogates.
_SURROGATE = re.compile("[\udc80-\udcff\x00]")  # and NUL, which no text field holds


class _Resync(Exception):
    """The current record ran over `MAX_RECORD_LINES` lines or the record cap: a quote left open."""


class _LineFeed:
    """The lines of a text file for `csv.reader`, each read with a bound, with a push-back for
    resynchronising. Keeps the lines of the record being parsed (`record`, as (line, text)), and
    enforces the file's `ReadLimits` on the text as it is read."""

    def __init__(self, f: io.TextIOWrapper, disk: io.BufferedReader, path: Path, limits: ReadLimits):
        self.f, self.disk, self.path, self.limits = f, disk, path, limits
        self.compressed = path.name.lower().endswith(".gz")
        self.pending: deque[tuple[int, str]] = deque()
        self.record: list[tuple[int, str]] = []
        self.record_chars = 0
        self.next_line = 1
        self.total = 0

    def __iter__(self) -> _LineFeed:
        return self

    def __next__(self) -> str:
        if self.pending:
            no, line = self.pending.popleft()
        else:
            line = self.f.readline(self.limits.row_chars + 1)
            if not line:
                raise StopIteration
            no = self.next_line
            self.next_line += 1
            self._count(len(line), no)
        self.record.append((no, line))
        self.record_chars += len(line)
        if self.record_chars > self.limits.row_chars or len(self.record) > MAX_RECORD_LINES:
            if len(self.record) == 1:
                raise self.stop(no, f"a record of over {self.limits.row_chars:,} characters "
                                    "(setting ingest_max_row_chars)")
            raise _Resync
        return line

    def _count(self, n: int, no: int) -> None:
        self.total += n
        lim = self.limits
        if self.total > lim.expanded_chars:
            raise self.stop(no,
                            f"more than {lim.expanded_chars:,} characters of text "
                            "(setting ingest_max_file_chars)")
        if self.compressed and self.total > RATIO_FLOOR_CHARS and self.total > lim.expansion_ratio * max(
                1, self.disk.tell()):
            raise self.stop(no, f"expands more than {lim.expansion_ratio:g} times its compressed size "
                                "(setting ingest_max_expansion_ratio): a compression bomb?")

    def stop(self, line: int, what: str) -> IngestStopped:
        return IngestStopped(f"{self.path.name}, line {line}: {what}; the file is not read further",
                             line=line)

    def start_record(self) -> None:
        self.record = []
        self.record_chars = 0

    def push_back(self, lines: list[tuple[int, str]]) -> None:
        self.pending.extendleft(reversed(lines))


def _csv_rows(path: Path, limits: ReadLimits) -> Iterator[RawRow]:
    """The records of a CSV file. A record that does not fit the header and spans several lines
    (a quote left open swallowed the lines after it), or runs over `MAX_RECORD_LINES` lines, costs
    its first line only: that line is quarantined and parsing starts again at the next one."""
    f, disk = _open_text(path)
    with f, disk:
        feed = _LineFeed(f, disk, path, limits)
        try:
            header = [h.strip() for h in next(csv.reader(feed))]
        except StopIteration:
            return
        n = len(header)
        reader = csv.reader(feed)
        rows = 0
        while True:
            feed.start_record()
            try:
                rec: list[str] | None = next(reader)
            except StopIteration:
                return
            except (_Resync, csv.Error):
                rec = None
                reader = csv.reader(feed)  # a fresh parser: the old one is mid-field
            lines = feed.record
            if not lines:
                return
            line = lines[0][0]
            if rec is not None and (not rec or (len(rec) == 1 and rec[0] == "")):
                continue  # blank line
            rows += 1
            if rows > limits.rows:
                raise feed.stop(line, f"more than {limits.rows:,} rows (setting ingest_max_rows_per_file)")
            if (rec is None or len(rec) != n) and len(lines) > 1:
                feed.push_back(lines[1:])
                reason = ("a quote is not closed on this line (the lines after it are read as rows of "
                          "their own)")
                yield RawRow(line, {}, ("", reason), _raw_text([lines[0][1].rstrip("\r\n")]))
                continue
            problem = None
            if rec is None:
                problem = ("", "not a CSV record")
                rec = [lines[0][1]]
            elif len(rec) != n:
                problem = ("", f"{len(rec)} fields where the header has {n}")
            else:
                problem = _field_problem(header, rec, limits)
            if problem:
                yield RawRow(line, {}, problem, _raw_text(rec))
            else:
                yield RawRow(line, dict(zip(header, rec, strict=True)))


def _field_problem(header: list[str], rec: list[str], limits: ReadLimits) -> tuple[str, str] | None:
    """(column, reason) of a record's first field over the cap or holding a NUL or broken byte."""
    joined = "\x01".join(rec)  # one scan per record; fields only looked at on a hit
    if len(joined) <= limits.field_chars and not _SURROGATE.search(joined):
        return None
    for col, v in zip(header, rec, strict=True):
        if len(v) > limits.field_chars:
            return (col, f"field of {len(v)} characters exceeds the cap of {limits.field_chars}")
        m = _SURROGATE.search(v)
        if m:
            return (col, "NUL byte in the field" if m.group() == "\x00" else "invalid UTF-8")
    return None


def _raw_text(rec: list[str]) -> str:
    """The record for the quarantine: broken bytes shown as \\xNN, huge fields truncated."""
    out = []
    for v in rec:
        v = v.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        if len(v) > 1000:
            v = v[:1000] + f"…[{len(v)} chars]"
        out.append(v)
    return ",".join(out)


def _parquet_rows(path: Path, batch_size: int, limits: ReadLimits) -> Iterator[RawRow]:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    if pf.metadata.num_rows > limits.rows:
        raise IngestStopped(f"{path.name}: {pf.metadata.num_rows:,} rows, more than {limits.rows:,} "
                            "(setting ingest_max_rows_per_file); the file is not read")
    rownum = 0
    for batch in pf.iter_batches(batch_size=batch_size):
        cols = {}
        for name, col in zip(batch.schema.names, batch.columns, strict=True):
            if pa.types.is_floating(col.type):
                # 12.0 -> "12.0" is fine for floats; dates and ints cast as ISO / digits
                cols[name] = pc.cast(col, pa.string()).to_pylist()
            elif pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
                cols[name] = col.to_pylist()
            else:
                cols[name] = pc.cast(col, pa.string()).to_pylist()
        for i in range(batch.num_rows):
            rownum += 1
            yield checked_row(rownum, {k: (c[i] if c[i] is not None else "") for k, c in cols.items()},
                              limits)


def checked_row(number: int, values: dict[str, str], limits: ReadLimits) -> RawRow:
    """A row that arrived split already (Parquet, rows in memory): only its field sizes to check."""
    big = next((k for k, v in values.items() if len(v) > limits.field_chars), None)
    if big:
        reason = f"field of {len(values[big])} characters exceeds the cap of {limits.field_chars}"
        return RawRow(number, {}, (big, reason), _raw_text(list(values.values())))
    return RawRow(number, values)


def read_rows(path: Path, batch_size: int = 5000, limits: ReadLimits | None = None) -> Iterator[RawRow]:
    """Every record of a file, one `RawRow` each. CSV lines are file lines (header = 1);
    Parquet rows are numbered from 1 (no header line). Raises `IngestStopped` past `limits`."""
    limits = limits or DEFAULT_LIMITS
    if path.name.lower().endswith(".parquet"):
        yield from _parquet_rows(path, batch_size, limits)
    else:
        yield from _csv_rows(path, limits)


def in_batches(rows: Iterator[RawRow], batch_size: int) -> Iterator[list[RawRow]]:
    """Rows in lists of at most `batch_size` (bounded memory)."""
    batch: list[RawRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def read_batches(path: Path, batch_size: int = 5000,
                 limits: ReadLimits | None = None) -> Iterator[list[RawRow]]:
    """`read_rows` in lists of at most `batch_size`."""
    return in_batches(read_rows(path, batch_size, limits), batch_size)
