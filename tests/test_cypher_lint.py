"""Every Cypher statement Tamga sends passes Neo4j's own front-end, and the lint really catches mistakes.

Skipped (with the reason) only where node or the pinned npm package is absent; install it with
`npm ci --prefix queries/lint`.
"""

from __future__ import annotations

import pytest

from queries import lint as cypher_lint

try:
    cypher_lint.node_executable()
    _UNAVAILABLE = None
except cypher_lint.LintUnavailable as e:
    _UNAVAILABLE = str(e)

pytestmark = pytest.mark.skipif(_UNAVAILABLE is not None, reason=f"Cypher lint not run: {_UNAVAILABLE}")


def _lint(*texts: str) -> dict[str, list[str]]:
    """Lint statements named s0, s1, ...; the messages per statement."""
    items = [{"name": f"s{i}", "text": t} for i, t in enumerate(texts)]
    out: dict[str, list[str]] = {it["name"]: [] for it in items}
    for d in cypher_lint.lint(items):
        out[d["name"]].append(d["message"])
    return out


def test_every_named_query_variant_and_ddl_statement_passes():
    diags = cypher_lint.lint_all()
    assert not diags, "Cypher lint failures:\n" + "\n".join(cypher_lint.format_diagnostic(d) for d in diags)


def test_the_lint_covers_named_queries_and_the_neo4j_ddl():
    names = [s["name"] for s in cypher_lint.statements()]
    assert "store.ping" in names
    assert sum(n.startswith("graph.schema.ddl_statements") for n in names) >= 20


CORRECT = (
    "MATCH (d:Declaration)-[:DECLARED_BY]->(p:Party {key: $key}) "
    "WHERE d.date >= date($since) "
    "RETURN p.name AS name, coalesce(sum(d.customs_value), 0) AS total, count(d) AS n, "
    "datetime() AS at ORDER BY total DESC"
)


def test_a_correct_statement_is_not_flagged():
    assert _lint(CORRECT) == {"s0": []}


def test_a_correct_write_statement_is_not_flagged():
    write = ("UNWIND $rows AS r MERGE (p:Party {key: r.key}) SET p += r.props, p.name = r.name "
             "MERGE (t:TaxId {key: r.tax}) MERGE (p)-[:HAS_TAX_ID]->(t)")
    assert _lint(write) == {"s0": []}


def test_syntax_error_is_flagged():
    [msgs] = _lint("MATCH (p:Party RETURN p.name AS name").values()
    assert any("Invalid input" in m for m in msgs), msgs


@pytest.mark.parametrize("text", [
    "MATCH (p:Partyy) RETURN p.name AS name",  # read
    "MERGE (p:Partyy {key: $key}) RETURN p.key AS key",  # write: the package alone does not check these
    "MATCH (p:Party) SET p:Partyy",
])
def test_misspelt_label_is_flagged(text):
    [msgs] = _lint(text).values()
    assert any("Partyy" in m for m in msgs), msgs


@pytest.mark.parametrize("text", [
    "MATCH (d:Declaration)-[:DECLARD_BY]->(p:Party) RETURN p.name AS name",
    "MATCH (d:Declaration {key: $d}), (p:Party {key: $p}) MERGE (d)-[:DECLARD_BY]->(p)",
])
def test_misspelt_relationship_type_is_flagged(text):
    [msgs] = _lint(text).values()
    assert any("DECLARD_BY" in m for m in msgs), msgs


@pytest.mark.parametrize("text", [
    "MATCH (p:Party) RETURN p.nmae AS name",
    "MATCH (p:Party) WHERE p.nmae = $x RETURN p.key AS key",
    "MATCH (p:Party {key: $k}) SET p.risk_scor = $s",
    "MERGE (p:Party {kee: $k})",
    "MATCH (p:Party) RETURN p {.name, .nmae} AS m",
    "CREATE INDEX x IF NOT EXISTS FOR (n:Party) ON (n.nmae)",
])
def test_misspelt_property_is_flagged(text):
    [msgs] = _lint(text).values()
    assert any("nmae" in m or "risk_scor" in m or "kee" in m for m in msgs), msgs


def test_map_literal_keys_and_row_fields_are_not_schema_properties():
    text = ("UNWIND $rows AS r MATCH (p:Party {key: r.party_key}) "
            "SET p.risk_reasons = r.reasons RETURN {anything: p.name, other: r.whatever} AS m")
    assert _lint(text) == {"s0": []}


def test_pattern_against_the_schema_direction_is_flagged():
    [msgs] = _lint("MATCH (p:Party)-[:DECLARED_BY]->(d:Declaration) RETURN d.key AS key").values()
    assert msgs, "a relationship drawn the wrong way round must fail"


def test_unknown_function_and_plugin_procedures_are_flagged():
    out = _lint("MATCH (p:Party) RETURN coalesec(p.name, '') AS n",
                "MATCH (p:Party) RETURN apoc.text.clean(p.name) AS n")
    assert any("coalesec" in m for m in out["s0"]), out
    # named queries run on Grafeo too, which has no APOC
    assert any("apoc.text.clean" in m for m in out["s1"]), out


def test_builtin_functions_and_subqueries_are_accepted():
    text = ("MATCH (p:Party) WHERE EXISTS { (p)<-[:DECLARED_BY]-(:Declaration) } "
            "CALL (p) { MATCH (p)-[:HAS_PHONE]->(ph:Phone) RETURN count(ph) AS phones } "
            "RETURN p.key AS key, phones, COUNT { (p)-[:HAS_ADDRESS]->() } AS addresses, "
            "toLower(trim(p.name)) AS n, date(p.registered_on) AS reg, duration.between(date(), date()) AS age")
    assert _lint(text) == {"s0": []}
