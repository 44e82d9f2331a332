"""`kill -9` in the middle of an ingest, then the same ingest again: the counts equal those of one
uninterrupted run. Also the repair path: an item left without its relationships is completed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from graph.settings import Settings
from graph.store import open_store
from ingest.load import count_graph, ingest_bundle, last_reports, store_status
from tests.support.kill import kill_ingest_mid_run

ROOT = Path(__file__).resolve().parents[2]

def _counts(settings: Settings):
    with open_store(settings) as store:
        nodes, rels = count_graph(store)
    nodes.pop("IngestRun")
    return nodes, rels


def _gone(pid: int, within_s: float = 15.0) -> bool:
    import time

    end = time.monotonic() + within_s
    while time.monotonic() < end:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return True
        if stat.rsplit(")", 1)[1].split()[0] in ("Z", "X"):  # exited, not yet reaped by its new parent
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("reader_process", [False, True], ids=["in-process", "reader-process"])
def test_kill_9_then_rerun_gives_uninterrupted_counts(tmp_path, small_world, reader_process):
    """With a reader process too: killing the loader leaves no reader behind (its next write fails)."""
    batch = 200
    ref = Settings(env="test", data_dir=tmp_path / "ref", batch_size=batch)
    with open_store(ref) as store:
        ingest_bundle(store, small_world, settings=ref, progress=False)
    expected = _counts(ref)
    assert expected[0]["Declaration"] > 5 * batch

    killed = Settings(env="test", data_dir=tmp_path / "killed", batch_size=batch)
    readers = kill_ingest_mid_run(killed.data_dir, small_world, batch=batch, after_batches=4,
                                  reader_min_bytes=0 if reader_process else 2**60)
    assert len(readers) == (1 if reader_process else 0)
    assert all(_gone(pid) for pid in readers), "the reader process outlived the loader"

    partial = _counts(killed)
    print("declarations after the kill:", partial[0]["Declaration"], "of", expected[0]["Declaration"])
    assert 0 < partial[0]["Declaration"] < expected[0]["Declaration"]  # really mid-run
    assert partial[0]["Party"] == expected[0]["Party"]  # parties come first and were complete

    # the kill is visible: the run recorded at its start was never ended
    with open_store(killed) as store:
        st = store_status(store)
    (run,) = st["interrupted_runs"]
    assert run["kind"] == "ingest" and run["source"] == "customs"
    assert run["path"] == str(small_world.resolve())
    assert set(run) == {"kind", "key", "source", "path", "started_at"} and run["started_at"]
    assert run["key"] in st["interrupted_note"]
    assert "re-running the same bundle completes it; loaded rows are not duplicated" in st["interrupted_note"]
    assert st["last_ingest"]["status"] == "running"

    with open_store(killed) as store:
        rep = ingest_bundle(store, small_world, settings=killed, progress=False)
        st = store_status(store)
        runs = {r["run_id"]: r["status"] for r in last_reports(store)}
    assert rep.files["declarations"].existing == partial[0]["Declaration"]
    assert _counts(killed) == expected
    assert st["interrupted_runs"] == [] and st["interrupted_note"] is None  # the re-run completed it
    assert runs == {run["key"]: "failed", rep.run_id: "done"} and rep.completes == [run["key"]]


def test_tamga_status_reports_an_interrupted_run(tmp_path, small_world):
    """The CLI shows it too: a run left "running" in the store (as a kill leaves it)."""
    s = Settings(env="test", data_dir=tmp_path / "data")
    with open_store(s) as store:
        store.ensure_schema()
        store.run("ingest.record_run", key="r-killed", started_at="2026-01-01T00:00:00+00:00", finished_at="",
                  source="sim", path=str(small_world), status="running", report="{}")
    out = subprocess.run([sys.executable, "-c", "from api.cli import main; main()", "status"], cwd=ROOT,
                         check=False,
                         capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": str(ROOT), "TAMGA_DATA_DIR": str(s.data_dir)})
    assert out.returncode == 0, out.stderr
    st = json.loads(out.stdout)
    assert [{k: r[k] for k in ("kind", "key", "source", "path", "started_at")}
            for r in st["interrupted_runs"]] == [
        {"kind": "ingest", "key": "r-killed", "source": "sim", "path": str(small_world),
         "started_at": "2026-01-01T00:00:00+00:00"}]
    assert "completes the missing items" in st["interrupted_runs"][0]["rerun"]
    assert "was interrupted: re-running the same bundle completes it" in st["interrupted_note"]


def test_incomplete_item_is_repaired(tmp_path, small_world, settings, grafeo_store):
    ingest_bundle(grafeo_store, small_world, settings=settings, progress=False)
    before = count_graph(grafeo_store)
    key = grafeo_store.execute("MATCH (d:Declaration)-[:DECLARED_BY]->() "
                               "RETURN d.key AS k ORDER BY k LIMIT 1")[0]["k"]
    gone = grafeo_store.execute("MATCH (d:Declaration {key: $k})-[r]->() DELETE r RETURN count(r) AS n",
                                {"k": key}, mode="write")
    assert gone[0]["n"] >= 3
    rep = ingest_bundle(grafeo_store, small_world, settings=settings, progress=False)
    assert rep.files["declarations"].loaded == 1
    after = count_graph(grafeo_store)
    before[0]["IngestRun"] += 1
    assert after == before
