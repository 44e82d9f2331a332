"""The per-label statements, generated from `graph.domain.schema` as its DDL is (`ddl_statements`).

One identifier kind (TaxId, BankAccount, Phone, Email, Address) needs the same statement with its
own label and relationship type; writing five files by hand let them drift, so they are made here
from `schema.IDENTIFIERS`, under the names the callers use (`ingest.link_<party column>`,
`analytics.write_specificity_<party column>`); likewise the status counts, one column per label and
relationship type (`status.count_nodes`, `status.count_relationships`), which every new kind had
to be added to by hand. Labels and types enter the text only from the
schema (checked by `schema.label` / `schema.rel_type`), values only as `$parameters`. The lint
(`queries.lint`) checks these texts like the files.
"""

from __future__ import annotations

from functools import lru_cache

from graph.domain import schema


def _link(i: schema.IdentifierKind) -> str:
    lab, rel = schema.label(i.label), schema.rel_type(i.rel)
    return (f"// Ingest: link parties to their {lab} node (keyed by the normalised value; "
            "value = first form seen).\n"
            "// mode: write\n"
            "UNWIND $rows AS r\n"
            "MATCH (p:Party {key: r.party})\n"
            f"MERGE (i:{lab} {{key: r.key}})\n"
            "  ON CREATE SET i.value = r.value\n"
            f"MERGE (p)-[:{rel}]->(i)")


def _write_specificity(i: schema.IdentifierKind) -> str:
    lab = schema.label(i.label)
    return (f"// Degree (entities sharing it) and specificity of {lab} identifiers, one batch of $rows.\n"
            "// mode: write\n"
            "UNWIND $rows AS r\n"
            f"MATCH (i:{lab} {{key: r.key}})\n"
            "SET i.degree = r.degree, i.specificity = r.specificity\n"
            "RETURN count(i) AS n")


def _count_nodes() -> str:
    counts = ",\n       ".join(f"COUNT {{ MATCH (:{schema.label(n.label)}) }} AS {n.label}"
                               for n in schema.NODES)
    return ("// Status: number of nodes per label, one column per label of the schema. COUNT {} per label\n"
            "// uses the label index: a whole-graph scan timed out at 1.5M nodes.\n"
            f"RETURN {counts}")


def _count_relationships() -> str:
    counts = ",\n       ".join(f"COUNT {{ MATCH ()-[:{schema.rel_type(r.type)}]->() }} AS {r.type}"
                               for r in schema.RELS)
    return ("// Status: number of relationships per type, one column per type of the schema. COUNT {}\n"
            "// per type: a whole-graph scan timed out at 8M relationships.\n"
            f"RETURN {counts}")


@lru_cache
def statements() -> dict[str, str]:
    """Name -> text of every generated named query."""
    out: dict[str, str] = {}
    for i in schema.IDENTIFIERS:
        out[f"ingest.link_{i.party_column}"] = _link(i)
        out[f"analytics.write_specificity_{i.party_column}"] = _write_specificity(i)
    out["status.count_nodes"] = _count_nodes()  # every label and type of the schema, none forgotten
    out["status.count_relationships"] = _count_relationships()
    return out


@lru_cache
def grafeo_node_ids(label: str) -> str:
    """Grafeo only: the internal ids of the `label` nodes with the keys `$keys` (for its bulk edge
    call). Grafeo's dialect (`id()`, deprecated in Neo4j 5), so not a named query and not linted."""
    return f"UNWIND $keys AS k MATCH (n:{schema.label(label)} {{key: k}}) RETURN k AS key, id(n) AS id"
