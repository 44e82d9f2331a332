"""The ledger on its own: schema from the contract, idempotent appends, versions, kill -9 and resume,
and a layout that plain readers (pyarrow's hive dataset, DuckDB when installed) read as it is."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
import time
from itertools import pairwise
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.domain import schema
from graph.ledger import TABLES, Ledger
from graph.ledger.layout import ARROW_TYPES, DERIVED

ROOT = Path(__file__).resolve().parents[3]


def _rows(n: int, *, start: int = 0, value: float = 1.0) -> dict[str, list]:
    ids = [f"D{i:05d}" for i in range(start, start + n)]
    return {"key": [f"s:{d}/1" for d in ids], "declaration_id": ids, "item_no": [1] * n,
            "date": [dt.date(2024, 1 + i % 12, 1 + i % 28) for i in range(start, start + n)],
            "hs_code": ["85171300"] * n, "customs_value": [value * (i + 1) for i in range(start, start + n)],
            "declarant_id": [f"P{i % 7}" for i in range(start, start + n)]}


def test_the_schema_is_the_contracts_plus_the_derived_columns():
    for bf in schema.FILES:
        t = TABLES[bf.name].schema
        for c in bf.columns:
            assert t.field(c.name).type == ARROW_TYPES[c.type], (bf.name, c.name)
        assert [c.name for c in DERIVED[bf.name]] == t.names[len(bf.columns):-2]
        assert "source" not in t.names and "month" not in t.names  # partition columns live in folder names


def test_unknown_columns_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown columns"):
        Ledger(tmp_path).append("declarations", {"key": ["s:1/1"], "bogus": [1]}, "s")


@settings(max_examples=25, deadline=None)
@given(cuts=st.lists(st.integers(0, 60), max_size=6), repeat=st.integers(1, 3), flush=st.integers(1, 80))
def test_reappending_adds_nothing_whatever_the_batches(tmp_path_factory, cuts, repeat, flush):
    root = tmp_path_factory.mktemp("l")
    rows = _rows(60)
    bounds = [0, *sorted(cuts), 60]
    ledger = Ledger(root, flush_rows=flush)
    for _ in range(repeat):
        for a, b in pairwise(bounds):
            ledger.append("declarations", {k: v[a:b] for k, v in rows.items()}, "s")
    ledger.flush()
    again = Ledger(root)  # a new process: the index comes from the parts
    assert again.append("declarations", rows, "s") == 0
    cur = again.current("declarations")
    assert cur.num_rows == again.count("declarations") == 60
    assert cur["key"].to_pylist() == sorted(rows["key"])


def test_versions_first_for_items_last_for_parties(tmp_path):
    ledger = Ledger(tmp_path)
    ledger.append("declarations", _rows(3), "s")
    ledger.append("declarations", _rows(3, value=9.0), "s")  # changed values, same keys
    party = {"key": ["s:P1"], "party_id": ["P1"], "name": ["Old"]}
    ledger.append("parties", party, "s")
    ledger.append("parties", {**party, "name": ["New"]}, "s")
    ledger.flush()
    assert ledger.count("declarations") == 6  # both versions kept (append-only)
    # the graph keeps the first
    assert ledger.current("declarations")["customs_value"].to_pylist() == [1.0, 2.0, 3.0]
    assert ledger.current("parties")["name"].to_pylist() == ["New"]  # the graph takes the latest
    assert ledger.history("parties")["name"].to_pylist() == ["Old", "New"]


CHILD = textwrap.dedent("""
    import sys
    from graph.ledger import Ledger
    sys.path.insert(0, sys.argv[3])
    from test_ledger import _rows
    ledger = Ledger(sys.argv[1], flush_rows=int(sys.argv[2]))
    for b in range(200):
        ledger.append("declarations", _rows(500, start=b * 500), "s")
        print("BATCH", b, flush=True)
    ledger.flush()
    print("DONE", flush=True)
""")


def test_a_killed_append_resumes_to_the_same_ledger(tmp_path):
    ref = Ledger(tmp_path / "ref", flush_rows=1500)
    for b in range(200):
        ref.append("declarations", _rows(500, start=b * 500), "s")
    ref.flush()
    killed = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(killed), "1500", str(Path(__file__).parent)],
                            stdout=subprocess.PIPE, text=True, env=env)
    for line in proc.stdout:  # kill in the middle: some parts written, more buffered or being written
        if line.startswith("BATCH 37"):
            break
    time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = Ledger(killed).count("declarations")
    assert 0 < done < 100_000
    resumed = Ledger(killed, flush_rows=1500)
    for b in range(200):
        resumed.append("declarations", _rows(500, start=b * 500), "s")
    resumed.flush()
    assert not list(killed.rglob(".*.tmp"))
    a = ref.current("declarations").drop_columns(["_seq"])
    b = resumed.current("declarations").drop_columns(["_seq"])
    assert a.equals(b)
    assert resumed.count("declarations") == 100_000


def test_plain_readers_read_the_layout_as_it_is(tmp_path):
    ledger = Ledger(tmp_path)
    ledger.append("declarations", _rows(50), "kcs")
    ledger.flush()
    files = [p for p in tmp_path.rglob("*") if p.is_file() and p != tmp_path / ".lock"]  # + the writer lock
    assert files and all(p.name.startswith("part-") and p.suffix == ".parquet" for p in files)
    assert {p.parent.parent.name for p in files} == {"source=kcs"}
    # pyarrow's own hive reader, told nothing about the ledger
    t = ds.dataset(tmp_path / "declarations", format="parquet", partitioning="hive").to_table()
    assert t.num_rows == 50 and set(t["source"].to_pylist()) == {"kcs"}
    assert sorted(set(t["month"].to_pylist())) == [f"2024-{m:02d}" for m in range(1, 13)]
    assert pa.ipc.read_schema(pa.py_buffer(t.schema.serialize())).metadata in (None, {})


def test_duckdb_reads_the_layout_as_it_is(tmp_path):
    duckdb = pytest.importorskip("duckdb", reason="duckdb is not installed here (not pinned in the project)")
    ledger = Ledger(tmp_path)
    ledger.append("declarations", _rows(50), "kcs")
    ledger.flush()
    n = duckdb.sql(f"SELECT count(*) FROM read_parquet('{tmp_path}/declarations/**/*.parquet', "
                   "hive_partitioning = true) WHERE source = 'kcs'").fetchone()[0]
    assert n == 50


@settings(max_examples=50, deadline=None)
@given(batches=st.lists(st.lists(st.integers(0, 300), max_size=40), max_size=30))
def test_the_digest_index_is_a_set(batches):
    import numpy as np

    from graph.ledger.ledger import DigestIndex

    index, held = DigestIndex(), set()
    for b in batches:
        d = np.array(sorted(set(b)), dtype=np.uint64)
        assert index.contains(d).tolist() == [int(x) in held for x in d]
        index.add(d[~index.contains(d)])
        held |= set(b)
        assert len(index) == len(held)
        assert all(len(a) > 2 * len(b) for a, b in pairwise(index.runs))  # runs stay logarithmic


def test_a_failed_write_is_raised_by_flush(tmp_path):
    (tmp_path / "declarations").write_text("not a folder")  # the writer thread cannot make its partitions
    ledger = Ledger(tmp_path)
    ledger.append("declarations", _rows(5), "s")
    with pytest.raises(OSError):
        ledger.flush()
