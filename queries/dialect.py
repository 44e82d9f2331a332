"""The one table of differences between Neo4j 5 and Grafeo, each with its reason.

Everything not listed here runs unchanged on both stores. A variant is keyed by query name and
backend; keep the table small: prefer a statement both stores run.
"""

from __future__ import annotations

# name -> backend -> (replacement text, reason)
VARIANTS: dict[str, dict[str, tuple[str, str]]] = {}

# Differences handled outside query texts (documented here so there is one list):
NOTES: dict[str, str] = {
    "key index": "Grafeo's uniqueness constraint builds no index; graph.schema.ddl_statements adds "
                 "CREATE INDEX on the key for Grafeo only (Neo4j backs the constraint itself).",
    "sum of no rows": "Grafeo returns null for sum() over no rows: queries write coalesce(sum(x), 0).",
    "in transactions": "Grafeo has no CALL ... IN TRANSACTIONS: batching is done by the client "
                       "(graph.store.GraphStore.run_batches).",
    "order by": "Grafeo orders only by projected aliases: queries ORDER BY a returned alias.",
}


def variant(name: str, backend: str) -> str | None:
    entry = VARIANTS.get(name, {}).get(backend)
    return entry[0] if entry else None
