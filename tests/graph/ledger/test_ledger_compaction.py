"""Compaction on real ledgers: the rows before and after are the same, re-ingest still adds nothing, a
kill -9 at any step leaves a readable ledger, a reader during compaction sees the whole row set, and
the posted-rows path (`ingest_rows`, one part per call) is compacted automatically."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds
import pytest

import graph.ledger.ledger as ledger_module
from graph.ledger import KINDS, Ledger
from graph.ledger.compaction import SUFFIX, partition_folders
from graph.settings import Settings
from graph.store import open_store
from graph.store.frames import Frames
from graph.store.ledger_frames import StoreState
from ingest.load import ingest_bundle, ingest_rows

ROOT = Path(__file__).resolve().parents[3]


def _rows(n: int, start: int = 0, months: int = 3, source: str = "s") -> dict[str, list]:
    ids = [f"D{i:05d}" for i in range(start, start + n)]
    return {"key": [f"{source}:{d}/1" for d in ids], "declaration_id": ids, "item_no": [1] * n,
            "date": [dt.date(2024, 1 + i % months, 1 + i % 28) for i in range(start, start + n)],
            "hs_code": ["85171300"] * n, "customs_value": [float(i) for i in range(start, start + n)],
            "declarant_id": [f"P{i % 7}" for i in range(start, start + n)]}


def _small_parts_ledger(root: Path, batches: int = 30, size: int = 7,
                        sources: tuple[str, ...] = ("s",)) -> Ledger:
    """`batches` flushes of `size` rows per source spread over 3 months: ~`batches` parts per folder."""
    led = Ledger(root, compact_parts=0)
    for src in sources:
        for b in range(batches):
            led.append("declarations", _rows(size, start=b * size, source=src), src)
            led.flush()
    return led


def _parts(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("part-*.parquet") if not any(s.startswith(".") for s in p.parts))


def _history(led: Ledger) -> pd.DataFrame:
    return led.history("declarations").to_pandas().reset_index(drop=True)


def test_compaction_keeps_every_row_and_digest_and_is_idempotent(tmp_path):
    led = _small_parts_ledger(tmp_path)
    before, parts = _history(led), _parts(tmp_path)
    assert len(parts) == 90  # 30 flushes x 3 months
    done = led.compact()
    assert sorted(c.folder for c in done) == [f"declarations/source=s/month=2024-0{m}" for m in (1, 2, 3)]
    assert all(c.parts_before == 30 and c.parts_after == 1 for c in done)
    assert len(_parts(tmp_path)) == 3
    pd.testing.assert_frame_equal(_history(Ledger(tmp_path)), before)  # the same rows, digests, sequence
    # idempotent: nothing more to merge, the files stay as they are
    after = {p: p.stat().st_mtime_ns for p in _parts(tmp_path)}
    assert led.compact() == []
    assert {p: p.stat().st_mtime_ns for p in _parts(tmp_path)} == after
    # re-ingest adds nothing: the digest index rebuilt from the compacted parts holds every row
    fresh = Ledger(tmp_path)
    for b in range(30):
        assert fresh.append("declarations", _rows(7, start=b * 7), "s") == 0
    fresh.flush()
    assert fresh.count("declarations") == len(before)
    assert not list(tmp_path.rglob("*" + SUFFIX))


def test_large_parts_stay_as_they_are(tmp_path):
    led = Ledger(tmp_path, compact_parts=0, small_part_bytes=20_000)
    led.append("declarations", _rows(3000, months=1), "s")  # one large part (~65 kB; the small ones ~9 kB)
    led.flush()
    (large,) = _parts(tmp_path)
    for b in range(5):
        led.append("declarations", _rows(2, start=10_000 + 2 * b, months=1), "s")
        led.flush()
    (c,) = led.compact()
    assert (c.parts_before, c.parts_after, c.rows) == (6, 2, 10)
    assert large in _parts(tmp_path) and large.stat().st_nlink == 1
    assert led.count("declarations") == 3010


def test_a_flush_past_the_setting_compacts_the_folder(tmp_path):
    led = Ledger(tmp_path, compact_parts=4)
    for b in range(20):
        led.append("declarations", _rows(3, start=3 * b, months=1), "s")
        led.flush()
        assert len(_parts(tmp_path)) <= 5
    assert led.count("declarations") == 60
    assert Ledger(tmp_path).append("declarations", _rows(60, months=1), "s") == 0


def test_ledger_compact_command_on_an_ingested_ledger(tmp_path, small_world, monkeypatch):
    """A real ingest with a flush every 300 rows (many parts), `tamga ledger compact` in its own process:
    the frames are the same, the re-ingest adds nothing to the ledger."""
    monkeypatch.setattr(ledger_module, "FLUSH_ROWS", 300)
    s = Settings(env="test", data_dir=tmp_path, batch_size=200, ledger_compact_parts=0)
    with open_store(s) as store:
        ingest_bundle(store, small_world, settings=s, progress=False)
        state = StoreState.from_store(store)
    led = Ledger(tmp_path / "ledger")
    before = Frames.from_ledger(led, state)
    counts = {k: led.count(k) for k in KINDS}
    n_parts = len(_parts(tmp_path / "ledger"))
    p = subprocess.run([sys.executable, "-c", "from api.cli import main; main()", "ledger", "compact"],
                       cwd=ROOT, capture_output=True, text=True, check=False,
                       env={**os.environ, "PYTHONPATH": str(ROOT), "TAMGA_DATA_DIR": str(tmp_path),
                            "TAMGA_ENV": "test"})
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["parts_removed"] == n_parts - len(_parts(tmp_path / "ledger")) > 0
    led = Ledger(tmp_path / "ledger")
    after = Frames.from_ledger(led, state)
    for name in ("declarations", "parties", "officers", "identifiers", "offences"):
        pd.testing.assert_frame_equal(getattr(after, name), getattr(before, name), obj=name)
    monkeypatch.setattr(ledger_module, "FLUSH_ROWS", 200_000)
    with open_store(s) as store:
        ingest_bundle(store, small_world, settings=s, progress=False)
    assert {k: Ledger(tmp_path / "ledger").count(k) for k in KINDS} == counts


def test_a_bad_kind_is_bad_input(tmp_path):
    p = subprocess.run([sys.executable, "-c", "from api.cli import main; main()", "ledger", "compact",
                        "--kind", "bogus"], cwd=ROOT, capture_output=True, text=True, check=False,
                       env={**os.environ, "PYTHONPATH": str(ROOT), "TAMGA_DATA_DIR": str(tmp_path)})
    assert p.returncode == 2 and "bogus" in p.stderr


CHILD = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    import graph.ledger.compaction as c
    from graph.ledger import Ledger

    stage = sys.argv[2]
    exchange, rmtree = c._exchange, c.shutil.rmtree

    def traced_exchange(a, b):
        if stage == "before-exchange":
            print("AT", flush=True); time.sleep(60)
        exchange(a, b)
        if stage == "after-exchange":
            print("AT", flush=True); time.sleep(60)

    c._exchange = traced_exchange  # observe the steps only; the compaction itself runs unchanged
    Ledger(Path(sys.argv[1])).compact()
    print("DONE", flush=True)
""")


@pytest.mark.parametrize("stage", ["before-exchange", "after-exchange"])
def test_kill_9_during_compaction_leaves_a_readable_ledger(tmp_path, stage):
    led = _small_parts_ledger(tmp_path, batches=12)
    before = _history(led)
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path), stage], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "AT"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert list(tmp_path.rglob("*" + SUFFIX))  # really mid-compaction: its staging folder is there
    pd.testing.assert_frame_equal(_history(Ledger(tmp_path)), before)  # readable, every row once
    # a writer's open clears the leftover; re-ingest adds nothing; compaction then completes
    again = Ledger(tmp_path)
    assert again.append("declarations", _rows(7), "s") == 0
    assert not list(tmp_path.rglob("*" + SUFFIX))
    again.compact()
    assert len(_parts(tmp_path)) == 3
    pd.testing.assert_frame_equal(_history(Ledger(tmp_path)), before)


def test_a_reader_during_compaction_sees_the_whole_row_set(tmp_path):
    led = _small_parts_ledger(tmp_path, batches=25, size=5, sources=("a", "b", "c", "d"))
    expected = set(led.history("declarations")["_digest"].to_pylist())
    seen: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        reader = Ledger(tmp_path)
        while not stop.is_set():
            try:
                got = reader.history("declarations", ["_digest"])["_digest"].to_pylist()
                assert len(got) == len(expected) and set(got) == expected  # never both sets, never neither
                seen.append(len(got))
            except BaseException as e:  # noqa: BLE001 (the reader thread's failure, raised below)
                errors.append(e)
                return

    t = threading.Thread(target=read)
    t.start()
    try:
        done = led.compact()
    finally:
        stop.set()
        t.join()
    assert not errors, errors[0]
    assert len(done) == 12 and seen  # every folder swapped while the reader was reading


def test_a_part_listed_then_compacted_away_is_read_again(tmp_path, monkeypatch):
    """The race the retry is for, made certain: the compaction runs between the read's listing of the
    parts and its opening of them. A plain pyarrow read then fails; the ledger's read lists again."""
    led = _small_parts_ledger(tmp_path, batches=5)
    plain = ds.dataset(tmp_path / "declarations", format="parquet")
    led.compact()
    with pytest.raises(FileNotFoundError):
        plain.to_table()

    expected = _history(_small_parts_ledger(tmp_path / "again", batches=5))
    listing = ds.dataset
    calls = []

    def listed_then_compacted(*args, **kw):
        d = listing(*args, **kw)
        if not calls:
            Ledger(tmp_path / "again").compact()
        calls.append(1)
        return d

    monkeypatch.setattr(ledger_module.ds, "dataset", listed_then_compacted)
    got = Ledger(tmp_path / "again").history("declarations").to_pandas().reset_index(drop=True)
    assert len(calls) == 2
    pd.testing.assert_frame_equal(got, expected)


def _posted(bundle: Path, i: int) -> dict[str, list[dict]]:
    """One declaration item (its parties as stored) as the API posts it, with a new id per call."""
    with (bundle / "declarations.csv").open(encoding="utf-8", newline="") as f:
        item = next(csv.DictReader(f))
    with (bundle / "parties.csv").open(encoding="utf-8", newline="") as f:
        ids = {item[c] for c in ("declarant_id", "consignee_id", "consignor_id", "carrier_id", "broker_id")
               if item.get(c)}
        parties = [r for r in csv.DictReader(f) if r["party_id"] in ids]
    return {"parties": parties, "declarations": [{**item, "declaration_id": f"POST-{i}", "item_no": "1"}]}


def test_posted_rows_are_compacted_as_they_arrive(tmp_path, small_world):
    s = Settings(env="test", data_dir=tmp_path, ledger_compact_parts=3)
    with open_store(s) as store:
        store.ensure_schema()
        for i in range(12):
            rep = ingest_rows(store, _posted(small_world, i), source="api", settings=s, record=False)
            assert rep.files["declarations"].loaded == 1
            folder, = partition_folders(tmp_path / "ledger" / "declarations")
            assert len(list(folder.glob("part-*.parquet"))) <= 4
        state = StoreState.from_store(store)
        frames = Frames.from_ledger(Ledger.of(s), state)
        assert sorted(frames.declarations["declaration_id"]) == sorted(f"POST-{i}" for i in range(12))
        again = ingest_rows(store, _posted(small_world, 3), source="api", settings=s, record=False)
        assert again.files["declarations"].loaded == 0
    assert Ledger(tmp_path / "ledger").count("declarations") == 12
