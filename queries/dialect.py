"""The one table of differences between Neo4j 5 and Grafeo 0.6.0, each with its reason.

Everything not listed here runs unchanged on both stores. A variant is keyed by query name and
backend; keep the table small: prefer a statement both stores run. Neo4j variants are linted with
APOC and GDS allowed (`queries.lint`); Grafeo variants are Grafeo's dialect and are not linted.
"""

from __future__ import annotations

# name -> backend -> (replacement text, reason)
VARIANTS: dict[str, dict[str, tuple[str, str]]] = {}

# Differences handled outside query texts (documented here so there is one list), with what does it.
NOTES: dict[str, str] = {
    "key index": (
        "Grafeo 0.6.0's uniqueness constraint builds no index (MERGE on the key then scans: ~500 rows/s "
        "instead of 70-115k rows/s with an index), so graph.domain.schema.ddl_statements('grafeo') adds "
        "CREATE INDEX on each key. Neo4j 5 backs a uniqueness constraint with a range index of its own "
        "and refuses a second range index on the same label and property even with IF NOT EXISTS "
        "(Cypher manual, 'Create indexes': 'It may still throw an error if conflicting constraints "
        "exist, such as constraints with the same name or schema and backing index type'), so the "
        "Neo4j DDL has the constraint only."
    ),
    "index build": (
        "Neo4j populates new indexes in the background; Neo4jStore.ensure_schema waits for them "
        "(store.await_indexes, db.awaitIndexes) so the first load uses them. Grafeo builds at once."
    ),
    "sum of no rows": "Grafeo returns null for sum() over no rows: queries write coalesce(sum(x), 0).",
    "in transactions": (
        "Grafeo has no CALL ... IN TRANSACTIONS: batching is done by the client "
        "(graph.store.GraphStore.run_batches), one statement per batch on both stores."
    ),
    "order by": "Grafeo orders only by projected aliases: queries ORDER BY a returned alias.",
    "show": "Grafeo has no SHOW ...: status figures come from MATCH queries (queries/status/).",
    "datetimes": (
        "Grafeo drops the zone of a datetime. Both adapters send datetimes as UTC (a naive one is "
        "taken as UTC) and return aware UTC datetimes; Neo4j's Date/DateTime become datetime.date / "
        "datetime.datetime (graph.store.grafeo_adapter, graph.store.neo4j_adapter)."
    ),
    "toString of floats": "toString(1.0) differs ('1' vs '1.0'): format numbers in Python, not in Cypher.",
    "raw nodes": (
        "Grafeo returns a node as a dict with _id and _labels, Neo4j as a Node: queries return "
        "properties or maps (p {.*}, properties(p)), never raw nodes."
    ),
    "procedures": (
        "Grafeo has neither APOC nor GDS nor db.* procedures: named queries use built-in functions only "
        "(the lint flags apoc.*/gds.* outside Neo4j variants); whole-graph algorithms run in graph/ "
        "on the CSR projection."
    ),
    "node ids": (
        "Grafeo's bulk edge call takes internal node ids: its adapter looks them up with id(n) "
        "(queries.generated.grafeo_node_ids), which Neo4j 5 deprecates; Grafeo-only, so not linted."
    ),
    "one writer": (
        "The Grafeo file is held by one process (exclusive lock; read-only opens share a lock): a "
        "second opener gets StoreBusyError. Neo4j is a server and takes many clients."
    ),
}


def variant(name: str, backend: str) -> str | None:
    entry = VARIANTS.get(name, {}).get(backend)
    return entry[0] if entry else None
