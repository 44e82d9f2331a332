"""`ledger_writes=False`: the graph-only path the ingest benchmark measures beside the full one. The
graph is the same, the ledger is left alone, the report says so, and scoring sees the ledger lag."""

from __future__ import annotations

from graph.ledger import Ledger
from graph.pipeline.analytics_process import ledger_gap
from graph.settings import Settings
from graph.store import open_store
from ingest.load import count_graph, ingest_bundle


def test_the_graph_only_path_loads_the_same_graph_and_no_ledger(tmp_path, small_world):
    full = Settings(env="test", data_dir=tmp_path / "full")
    with open_store(full) as store:
        rep = ingest_bundle(store, small_world, settings=full, progress=False)
        graph_full = count_graph(store)
        assert ledger_gap(store, full) is None
    assert set(rep.ledger_seconds) == {"in_ingest_threads", "writer_thread", "final_flush"}
    assert rep.ledger_seconds["in_ingest_threads"] > 0
    assert Ledger(full.data_dir / "ledger").count("declarations") == rep.files["declarations"].loaded

    off = Settings(env="test", data_dir=tmp_path / "off", ledger_writes=False)
    with open_store(off) as store:
        rep = ingest_bundle(store, small_world, settings=off, progress=False)
        assert count_graph(store) == graph_full
        assert "scored in this process" in (ledger_gap(store, off) or "")
    assert rep.ledger_seconds == {"off": 0.0}
    assert not (off.data_dir / "ledger").exists()
