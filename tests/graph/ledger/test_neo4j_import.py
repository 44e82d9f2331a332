"""neo4j-admin import files from the ledger: the Neo4j 5 header syntax, typed properties from the
schema, and the same node and relationship counts as the graph the same ingest wrote."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from graph.domain import schema
from graph.ledger import Ledger
from graph.ledger.neo4j_import import NEO4J_TYPES
from graph.settings import Settings
from graph.store import open_store
from ingest.ledger_rows import neo4j_import
from ingest.load import count_graph, ingest_bundle


@pytest.fixture(scope="module")
def imported(small_world: Path, tmp_path_factory):
    s = Settings(env="test", data_dir=tmp_path_factory.mktemp("neo4j_import") / "data")
    with open_store(s) as store:
        store.ensure_schema()
        ingest_bundle(store, small_world, settings=s, progress=False)
        nodes, rels = count_graph(store)
        item = store.execute("MATCH (d:Declaration) RETURN d.key AS key, d.customs_value AS v, "
                             "d.date AS date ORDER BY key LIMIT 1")[0]
    files = neo4j_import(Ledger.of(s), s.data_dir / "neo4j-import")
    return files, nodes, rels, item


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def _typed(name: str, t: str) -> str:
    return f"{name}:{NEO4J_TYPES[t]}" if t in NEO4J_TYPES else name


def test_counts_equal_the_graphs(imported):
    files, nodes, rels, _ = imported
    nodes.pop("IngestRun")  # one per run, by design: not history
    assert {k: v for k, v in nodes.items() if v} == {k: v for k, v in files.nodes.items() if v}
    assert {k: v for k, v in rels.items() if v} == {k: v for k, v in files.relationships.items() if v}
    assert nodes["Declaration"] > 2500 and rels["ROUTE_COUNTRY"] and rels["PART_OF"] and rels["CONCERNS"]
    for label, n in files.nodes.items():
        assert len(_read(files.folder / "nodes" / f"{label}.csv")[1]) == n, label


def test_headers_follow_the_neo4j_5_syntax_and_the_schema(imported):
    files, *_ = imported
    for label in files.nodes:
        header, rows = _read(files.folder / "nodes" / f"{label}.csv")
        kind = schema.NODE_BY_LABEL[label]
        assert header[0] == f"key:ID({label})" and header[-1] == ":LABEL"
        assert header[1:-1] == [_typed(p.name, p.type) for p in kind.props
                                 if _typed(p.name, p.type) in header]
        assert {r[-1] for r in rows} == {label}
    for rel in files.relationships:
        header, rows = _read(files.folder / "relationships" / f"{rel}.csv")
        kind = schema.REL_BY_TYPE[rel]
        assert header[:2] == [f":START_ID({kind.start})", f":END_ID({kind.end})"] and header[-1] == ":TYPE"
        assert header[2:-1] == [_typed(p.name, p.type) for p in kind.props
                                 if _typed(p.name, p.type) in header]
        assert {r[-1] for r in rows} == {rel}
    decl = _read(files.folder / "nodes" / "Declaration.csv")[0]
    assert {"date:date", "customs_value:double", "item_no:long"} <= set(decl)
    officer_of = _read(files.folder / "relationships" / "OFFICER_OF.csv")[0]
    assert {"since:date", "share_pct:double"} <= set(officer_of)


def test_values_and_the_command(imported):
    files, _, _, item = imported
    header, rows = _read(files.folder / "nodes" / "Declaration.csv")
    row = dict(zip(header, next(r for r in rows if r[0] == item["key"]), strict=True))
    assert float(row["customs_value:double"]) == item["v"] and row["date:date"] == str(item["date"])[:10]
    assert files.command.startswith("neo4j-admin database import full neo4j ")
    for label in files.nodes:
        assert f"--nodes=nodes/{label}.csv" in files.command
    for rel in files.relationships:
        assert f"--relationships=relationships/{rel}.csv" in files.command
    assert files.command in (files.folder / "import.sh").read_text()
