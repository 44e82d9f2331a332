"""`kill -9` in the middle of an ingest, then the same ingest again: the ledger holds the same rows
as after one uninterrupted run, and the frames from it equal the store's."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from graph.ledger import KINDS, Ledger
from graph.settings import Settings
from graph.store import open_store
from graph.store.frames import COLUMNS, Frames
from graph.store.ledger_frames import StoreState
from ingest.load import ingest_bundle
from tests.support.kill import kill_ingest_mid_run


def _ledger(data: Path) -> dict[str, pd.DataFrame]:
    led = Ledger(data / "ledger")
    return {k: led.current(k).drop_columns(["_seq"]).to_pandas() for k in KINDS}


def test_kill_9_then_rerun_gives_the_uninterrupted_ledger(tmp_path, small_world):
    ref = Settings(env="test", data_dir=tmp_path / "ref", batch_size=200)
    with open_store(ref) as store:
        ingest_bundle(store, small_world, settings=ref, progress=False)
    expected = _ledger(ref.data_dir)

    killed = Settings(env="test", data_dir=tmp_path / "killed", batch_size=200)
    # parts written all along the run (flush every 300 rows), so the kill lands among them
    kill_ingest_mid_run(killed.data_dir, small_world, batch=200, after_batches=6, flush_rows=300)
    partial = Ledger(killed.data_dir / "ledger").count("declarations")
    assert 0 < partial < len(expected["declarations"])  # really mid-run: some parts, not all

    with open_store(killed) as store:
        ingest_bundle(store, small_world, settings=killed, progress=False)
        got = _ledger(killed.data_dir)
        for k in KINDS:
            pd.testing.assert_frame_equal(got[k], expected[k], obj=k)
            # no row twice: the resumed run appended only what the killed one had not written
            assert Ledger.of(killed).count(k) == Ledger.of(ref).count(k) == len(expected[k]), k
        a = Frames.from_store(store)
        b = Frames.from_ledger(Ledger.of(killed), StoreState.from_store(store))
    for name in ("declarations", "parties", "offences"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)
    assert all(len(getattr(a, n)) == len(getattr(b, n)) for n in COLUMNS)
