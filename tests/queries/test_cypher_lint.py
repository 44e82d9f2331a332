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


CASES: dict[str, str] = {}  # name -> statement; every case is linted in the one node run below
PLUGINS: set[str] = set()  # cases linted as Neo4j-only variants (APOC and GDS allowed)


def case(text: str, *, plugins: bool = False) -> str:
    name = f"case-{len(CASES)}"
    CASES[name] = text
    if plugins:
        PLUGINS.add(name)
    return name


@pytest.fixture(scope="module")
def linted() -> dict[str, list[dict]]:
    """One node process for the whole module: the product's statements and every case below."""
    items = cypher_lint.statements() + [{"name": n, "text": t, "plugins": n in PLUGINS}
                                        for n, t in CASES.items()]
    out: dict[str, list[dict]] = {it["name"]: [] for it in items}
    for d in cypher_lint.lint(items):
        out[d["name"]].append(d)
    return out


def _messages(linted, name: str) -> list[str]:
    return [d["message"] for d in linted[name]]


def test_every_named_query_variant_and_ddl_statement_passes(linted):
    names = {st["name"] for st in cypher_lint.statements()}
    diags = [d for name in names for d in linted[name]]
    assert not diags, "Cypher lint failures:\n" + "\n".join(cypher_lint.format_diagnostic(d) for d in diags)


def test_the_lint_covers_named_queries_generated_statements_and_the_neo4j_ddl():
    names = [s["name"] for s in cypher_lint.statements()]
    assert "store.ping" in names
    # the statements generated from the schema are linted like the files
    assert {"ingest.link_tax_id", "ingest.link_address", "analytics.write_specificity_phone"} <= set(names)
    assert sum(n.startswith("graph.domain.schema.ddl_statements") for n in names) >= 20


CORRECT = [case(t) for t in (
    ("MATCH (d:Declaration)-[:DECLARED_BY]->(p:Party {key: $key}) WHERE d.date >= date($since) "
    "RETURN p.name AS name, coalesce(sum(d.customs_value), 0) AS total, count(d) AS n, "
    "datetime() AS at ORDER BY total DESC"),
    # writes
    ("UNWIND $rows AS r MERGE (p:Party {key: r.key}) SET p += r.props, p.name = r.name "
    "MERGE (t:TaxId {key: r.tax}) MERGE (p)-[:HAS_TAX_ID]->(t)"),
    # map literal keys and fields of a row are not schema properties
    ("UNWIND $rows AS r MATCH (p:Party {key: r.party_key}) "
    "SET p.risk_reasons = r.reasons RETURN {anything: p.name, other: r.whatever} AS m"),
    # built-in functions, EXISTS/COUNT subqueries, CALL (x) {}
    ("MATCH (p:Party) WHERE EXISTS { (p)<-[:DECLARED_BY]-(:Declaration) } "
    "CALL (p) { MATCH (p)-[:HAS_PHONE]->(ph:Phone) RETURN count(ph) AS phones } "
    "RETURN p.key AS key, phones, COUNT { (p)-[:HAS_ADDRESS]->() } AS addresses, "
    "toLower(trim(p.name)) AS n, date(p.registered_on) AS reg, duration.between(date(), date()) AS age"),
)]


@pytest.mark.parametrize("name", CORRECT)
def test_a_correct_statement_is_not_flagged(linted, name):
    assert linted[name] == [], CASES[name]


SYNTAX = case("MATCH (p:Party RETURN p.name AS name")


def test_syntax_error_is_flagged(linted):
    assert any("Invalid input" in m for m in _messages(linted, SYNTAX))
    assert all(d["severity"] == "error" for d in linted[SYNTAX])


@pytest.mark.parametrize("name", [case(t) for t in (
    "MATCH (p:Partyy) RETURN p.name AS name",  # read
    "MERGE (p:Partyy {key: $key}) RETURN p.key AS key",  # write: the package alone does not check these
    "MATCH (p:Party) SET p:Partyy",
)])
def test_misspelt_label_is_flagged(linted, name):
    assert any("Partyy" in m for m in _messages(linted, name)), CASES[name]


@pytest.mark.parametrize("name", [case(t) for t in (
    "MATCH (d:Declaration)-[:DECLARD_BY]->(p:Party) RETURN p.name AS name",
    "MATCH (d:Declaration {key: $d}), (p:Party {key: $p}) MERGE (d)-[:DECLARD_BY]->(p)",
)])
def test_misspelt_relationship_type_is_flagged(linted, name):
    assert any("DECLARD_BY" in m for m in _messages(linted, name)), CASES[name]


@pytest.mark.parametrize(("name", "word"), [(case(t), w) for t, w in (
    ("MATCH (p:Party) RETURN p.nmae AS name", "nmae"),
    ("MATCH (p:Party) WHERE p.nmae = $x RETURN p.key AS key", "nmae"),
    ("MATCH (p:Party {key: $k}) SET p.risk_scor = $s", "risk_scor"),
    ("MERGE (p:Party {kee: $k})", "kee"),
    ("MATCH (p:Party) RETURN p {.name, .nmae} AS m", "nmae"),
    ("MATCH (p:Party)-[o:OFFICER_OF]-(:Person) RETURN o.rol AS role", "rol"),
    ("CREATE INDEX x IF NOT EXISTS FOR (n:Party) ON (n.nmae)", "nmae"),
)])
def test_misspelt_property_is_flagged(linted, name, word):
    assert any(word in m for m in _messages(linted, name)), CASES[name]


WRONG_WAY = case("MATCH (p:Party)-[:DECLARED_BY]->(d:Declaration) RETURN d.key AS key")


def test_pattern_against_the_schema_direction_is_flagged(linted):
    assert linted[WRONG_WAY], "a relationship drawn the wrong way round must fail"


TYPO_FUNCTION = case("MATCH (p:Party) RETURN coalesec(p.name, '') AS n")
APOC = case("MATCH (p:Party) RETURN apoc.text.clean(p.name) AS n")
APOC_IN_NEO4J_VARIANT = case("MATCH (p:Party) RETURN apoc.text.clean(p.name) AS n", plugins=True)
GDS_TYPO_IN_NEO4J_VARIANT = case("CALL gds.pagerank.strem('g') YIELD nodeId RETURN nodeId", plugins=True)


def test_unknown_function_and_plugin_procedures_are_flagged(linted):
    assert any("coalesec" in m for m in _messages(linted, TYPO_FUNCTION))
    # named queries run on Grafeo too, which has no APOC
    assert any("apoc.text.clean" in m for m in _messages(linted, APOC))
    # a Neo4j-only variant may use the plugins, but a misspelt plugin procedure still fails
    assert linted[APOC_IN_NEO4J_VARIANT] == []
    assert any("gds.pagerank.strem" in m for m in _messages(linted, GDS_TYPO_IN_NEO4J_VARIANT))
