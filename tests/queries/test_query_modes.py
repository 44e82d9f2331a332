"""Each named query states its mode once (`// mode: write`), the stated mode agrees with the
statement's words (a lint, checked here over every query), and the per-label statements are
generated from the schema, not written by hand."""

from __future__ import annotations

import pytest

import queries
from graph.domain import schema
from queries import generated
from queries.lint import mode_problems


def test_every_query_states_the_mode_its_words_have():
    assert mode_problems() == []


@pytest.mark.parametrize(("mode", "text", "flagged"), [
    ("read", "MATCH (p:Party) RETURN p.name AS name", False),
    ("read", "MATCH (p:Party) WHERE p.name = 'CREATE SET DELETE' RETURN p.key AS k", False),
    ("read", "// MERGE in a comment\nMATCH (n) RETURN count(n) AS n", False),
    ("read", "MATCH (p:Party) CALL (p) { RETURN 1 AS one } RETURN one", False),
    ("read", "MATCH (p:Party) RETURN p.offset AS reset_value", False),
    ("read", "UNWIND $rows AS r MERGE (p:Party {key: r.key})", True),
    ("read", "MATCH (p:Party) SET p.x = 1", True),
    ("read", "MATCH (p) DETACH DELETE p", True),
    ("read", "match (p) remove p.x", True),
    ("read", "MATCH (p:Party) CALL (p) { CREATE (:Entity {key: p.key}) } RETURN 1 AS one", True),
    ("write", "MATCH (p:Party) SET p.x = 1", False),
    ("write", "CALL db.awaitIndexes(10)", False),  # a procedure may write: its stated mode stands
    ("write", "MATCH (p:Party) RETURN p.key AS key", True),
])
def test_the_mode_lint_catches_a_mode_that_disagrees(mode, text, flagged):
    assert bool(mode_problems({"q": (mode, text)})) is flagged


def test_the_mode_is_read_from_the_leading_comment_block():
    assert queries.parse_mode("// doc\n// mode: write\nMATCH (p) SET p.x = 1", "t") == "write"
    assert queries.parse_mode("// doc\n// mode: read\nMATCH (p) RETURN p.x AS x", "t") == "read"
    assert queries.parse_mode("// doc only\nMATCH (p) RETURN p.x AS x", "t") == "read"
    # a line after the statement has begun is not a header
    assert queries.parse_mode("MATCH (p) SET p.x = 1\n// mode: write", "t") == "read"
    with pytest.raises(ValueError, match="t: `// mode: wirte` is not one of read, write"):
        queries.parse_mode("// mode: wirte\nMATCH (p) SET p.x = 1", "t")
    with pytest.raises(ValueError, match="more than one"):
        queries.parse_mode("// mode: write\n// mode: read\nMATCH (p) SET p.x = 1", "t")


def test_writes_are_marked_in_their_files():
    assert queries.mode("ingest.merge_parties") == "write"
    assert queries.mode("api.audit_append") == "write"
    assert queries.mode("api.node_by_key") == "read"
    assert "mode:" not in queries.doc("ingest.merge_parties")


def test_per_label_statements_are_generated_from_the_schema():
    gen = generated.statements()
    assert len(gen) == 2 * len(schema.IDENTIFIERS) + 2  # and the two status counts
    assert queries.query("status.count_nodes").mode == "read"
    for i in schema.IDENTIFIERS:
        link, spec = f"ingest.link_{i.party_column}", f"analytics.write_specificity_{i.party_column}"
        for name in (link, spec):
            q = queries.query(name)
            assert q.origin == "queries.generated" and q.mode == "write"
            assert not (queries.HERE / (name.replace(".",
                                                     "/") + ".cypher")).exists(), "hand-written copy left"
        assert f"(i:{i.label} {{key: r.key}})" in queries.get(link) and f"[:{i.rel}]" in queries.get(link)
        assert f"(i:{i.label} {{key: r.key}})" in queries.get(spec)


def test_grafeo_node_id_lookup_takes_schema_labels_only():
    assert "(n:Party {key: k})" in generated.grafeo_node_ids("Party")
    with pytest.raises(ValueError, match="unknown node label"):
        generated.grafeo_node_ids("Party) DETACH DELETE (n")


def test_a_file_under_a_generated_name_is_an_error(monkeypatch):
    """A hand-written copy of a generated statement cannot creep back in beside the generator."""
    monkeypatch.setattr(generated, "statements", lambda: {"store.ping": "RETURN 1 AS ok"})
    queries.registry.cache_clear()
    try:
        with pytest.raises(ValueError,
                           match=r"store.ping is generated from the schema; delete .*ping\.cypher"):
            queries.registry()
    finally:
        monkeypatch.undo()
        queries.registry.cache_clear()
    assert queries.mode("store.ping") == "read"
