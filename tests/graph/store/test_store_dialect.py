"""The dialect table stays small and true: variants name real queries and backends, and the DDL
differs between the stores exactly as `queries.dialect.NOTES['key index']` says."""

from __future__ import annotations

import re

import queries
from graph.domain import schema
from queries.dialect import NOTES, VARIANTS, variant


def test_variants_name_existing_queries_and_known_backends():
    for name, by_backend in VARIANTS.items():
        assert name in queries.all_queries(), f"variant for unknown query {name!r}"
        for backend, (text, reason) in by_backend.items():
            assert backend in ("grafeo", "neo4j")
            assert text.strip() and len(reason) > 10, f"{name}/{backend} needs a text and a reason"
            assert queries.get(name, backend) == text


def test_no_variant_means_the_same_text_on_both_stores():
    for name in queries.all_queries():
        if name not in VARIANTS:
            assert variant(name, "grafeo") is None
            assert queries.get(name, "grafeo") == queries.get(name, "neo4j")


def _key_indexes(stmts: list[str]) -> set[str]:
    out = set()
    for s in stmts:
        m = re.match(r"CREATE INDEX \w+ IF NOT EXISTS FOR \(n:(\w+)\) ON \(n\.(\w+)\)", s)
        if m and schema.NODE_BY_LABEL[m[1]].key == m[2]:
            out.add(m[1])
    return out


def test_key_index_only_on_grafeo():
    labels = {n.label for n in schema.NODES}
    neo, gra = schema.ddl_statements("neo4j"), schema.ddl_statements("grafeo")
    assert _key_indexes(gra) == labels, "Grafeo's constraint builds no index: each key needs one"
    assert _key_indexes(neo) == set(), "Neo4j refuses a range index beside the constraint's own"
    for stmts in (neo, gra):
        uniques = [s for s in stmts if "IS UNIQUE" in s]
        assert len(uniques) == len(labels)
    assert "key index" in NOTES and "Neo4j" in NOTES["key index"]
