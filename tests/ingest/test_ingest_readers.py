"""Readers: file lines, broken bytes and oversized fields per record, formats agree."""

from __future__ import annotations

import gzip
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq

from ingest import readers


def test_lines_quoted_newlines_crlf_bom_and_bad_records(tmp_path):
    p = tmp_path / "x.csv"
    p.write_bytes(b"\xef\xbb\xbfa,b\r\n"            # line 1: header with a BOM
                  b"1,\"two\r\nlines\"\r\n"         # lines 2-3
                  b"\r\n"                           # line 4: blank, skipped
                  b"3,bad \xc3\x28 byte\r\n"        # line 5: invalid UTF-8
                  b"4,5,6\r\n"                      # line 6: too many fields
                  b"7,\x00\r\n"                     # line 7: NUL
                  b"8," + b"y" * (readers.FIELD_CAP + 1) + b"\r\n"   # line 8: over the cap
                  b"9,ok\r\n")                      # line 9
    assert readers.read_header(p) == ["a", "b"]
    rows = list(readers.read_rows(p))
    assert [(r.line, r.problem[0] if r.problem else None) for r in rows] == [
        (2, None), (5, "b"), (6, ""), (7, "b"), (8, "b"), (9, None)]
    assert rows[0].values == {"a": "1", "b": "two\r\nlines"}
    assert rows[1].problem[1] == "invalid UTF-8" and "\\xc3" in rows[1].raw
    assert "3 fields" in rows[2].problem[1]
    assert "exceeds the cap" in rows[4].problem[1] and len(rows[4].raw) < 2000
    assert rows[5].values == {"a": "9", "b": "ok"}


def test_gzip_and_parquet_read_the_same_values(tmp_path):
    data = [["id", "n", "d"], ["a", "1.5", "2025-01-02"], ["b", "", "2025-01-03"]]
    text = "\n".join(",".join(r) for r in data) + "\n"
    (tmp_path / "f.csv").write_text(text)
    with gzip.open(tmp_path / "g.csv.gz", "wt") as f:
        f.write(text)
    pq.write_table(pa.table({"id": ["a", "b"], "n": [1.5, None],
                             "d": [date(2025, 1, 2), date(2025, 1, 3)]}), tmp_path / "h.parquet")
    csv_rows = [r.values for r in readers.read_rows(tmp_path / "f.csv")]
    assert csv_rows == [r.values for r in readers.read_rows(tmp_path / "g.csv.gz")]
    assert csv_rows == [r.values for r in readers.read_rows(tmp_path / "h.parquet")]
    assert [r.line for r in readers.read_rows(tmp_path / "h.parquet")] == [1, 2]
    assert [len(b) for b in readers.read_batches(tmp_path / "f.csv", batch_size=1)] == [1, 1]


def test_validate_doctests():
    import doctest

    import ingest.validate

    res = doctest.testmod(ingest.validate)
    assert res.attempted >= 1 and res.failed == 0
