"""The item's columns the graph does not hold (`schema.DECLARATION_ON_GRAPH`): the decision is kept
in one place, the Declaration node follows it, no query reads what it dropped, and an ingest puts
those columns in the ledger and not on the node."""

from __future__ import annotations

import re
from pathlib import Path

from graph.domain import schema
from graph.ledger import TABLES, Ledger
from graph.settings import Settings
from graph.store import open_store
from ingest.load import ingest_bundle
from ingest.load.declarations import _DECLARATION_COPY

ROOT = Path(__file__).resolve().parents[3]
LEDGER_ONLY = {c for c, (on, _) in schema.DECLARATION_ON_GRAPH.items() if not on}


def test_one_decision_per_column_with_a_reason():
    contract = {c.name for c in schema.FILE_BY_NAME["declarations"].columns}
    assert set(schema.DECLARATION_ON_GRAPH) <= contract
    assert all(why.strip() for _, why in schema.DECLARATION_ON_GRAPH.values())
    node = {p.name for p in schema.NODE_BY_LABEL["Declaration"].props}
    assert set(_DECLARATION_COPY) == set(schema.DECLARATION_GRAPH_COLUMNS) <= node
    assert LEDGER_ONLY and not LEDGER_ONLY & node  # the node does not declare what it does not hold
    assert set(TABLES["declarations"].columns) >= LEDGER_ONLY  # the ledger does


def test_no_query_reads_a_column_the_graph_dropped():
    """Every Cypher statement that matches items: none reads d.<a ledger-only column>. A query that
    needs one must move it back to the graph in graph.domain.schema (with its reason)."""
    hits = []
    for f in sorted((ROOT / "queries").rglob("*.cypher")):
        if "lint" in f.parts:
            continue
        text = f.read_text(encoding="utf-8")
        for var in set(re.findall(r"\((\w+):Declaration\b", text)):
            hits += [f"{f.relative_to(ROOT)}: {var}.{c}" for c in LEDGER_ONLY
                     if re.search(rf"\b{var}\.{c}\b", text)]
    assert not hits


def test_an_ingest_puts_them_in_the_ledger_not_on_the_node(tmp_path, small_world):
    s = Settings(env="test", data_dir=tmp_path)
    with open_store(s) as store:
        ingest_bundle(store, small_world, settings=s, progress=False)
        stored = store.execute("MATCH (d:Declaration) RETURN d {.*} AS d LIMIT 200")
    held = set().union(*(r["d"] for r in stored))
    assert not held & LEDGER_ONLY
    assert {"declaration_id", "date", "hs_code", "customs_value", "net_mass_kg"} <= held
    led = Ledger(tmp_path / "ledger").current("declarations").to_pandas()
    for c in LEDGER_ONLY:
        assert led[c].notna().any(), c  # the simulated world fills every one of them
