"""The ledger's tables: one Arrow schema per bundle file, declared from `graph.domain.schema.FILES`.

A ledger row is the contract row as validated, plus what ingest derived from it with its own
normalisers (node keys, normalised names and identifiers, the route and vehicle keys), plus two
bookkeeping columns. The contract's columns and types come from `schema.FILES` (no second copy);
only the derived columns are named here, each once.

Partitioning (hive, `<column>=<value>` folders, readable as is by DuckDB, Spark or pyarrow):
- declarations and offences: `source=<source>/month=<YYYY-MM>` of the row's own date (required by
  the contract for both). Reads by time range prune whole folders, and a month once past is never
  written again, so old folders stay closed (compaction, archiving and copying work per month).
- parties and officers: `source=<source>` only. They carry no date every row has (registered_on
  is optional) and the analytics read them whole; an ingest-month folder would scatter the
  versions of one party across folders for no read that prunes on it.
The partition columns live in the folder names only, not inside the files (the hive convention:
Spark refuses a column that is both).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from graph.domain import schema

#: contract / property type -> Arrow type. Codes and lists stay text, as validated.
ARROW_TYPES: dict[str, pa.DataType] = {
    "str": pa.string(), "country": pa.string(), "currency": pa.string(), "hs": pa.string(),
    "json": pa.string(), "hs_list": pa.string(), "country_list": pa.string(),
    "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(), "date": pa.date32(),
    "datetime": pa.timestamp("us", tz="UTC"),
}

DIGEST = "_digest"  # uint64 hash of the row's key and values: the idempotency key
SEQ = "_seq"  # int64, increasing in append order: which version of a key came last

#: the partition columns, in folder order, per kind (their values: `partition_values`)
PARTITIONS: dict[str, tuple[str, ...]] = {
    "declarations": ("source", "month"), "offences": ("source", "month"),
    "parties": ("source",), "officers": ("source",),
}

_IDENTIFIER_KEYS = tuple(schema.Column(f"{i.party_column}_key", doc=f"{i.label} node key (normalised)")
                         for i in schema.IDENTIFIERS)

#: columns ingest derives from the contract row (with ingest.normalise), per kind
DERIVED: dict[str, tuple[schema.Column, ...]] = {
    "parties": (schema.Column("key", doc="Party node key source:party_id"),
                schema.Column("name_norm"), schema.Column("tax_id_norm"), *_IDENTIFIER_KEYS,
                schema.Column("extra", "json")),
    "declarations": (schema.Column("key", doc="Declaration node key source:declaration_id/item_no"),
                     schema.Column("route", doc="Route node key"),
                     schema.Column("vehicle", doc="Vehicle node key"), schema.Column("extra", "json")),
    "officers": (schema.Column("key", doc="person key > company key / role: one OFFICER_OF"),
                 schema.Column("person_name_norm")),
    "offences": (schema.Column("key", doc="Offence node key source:offence_id"),
                 schema.Column("extra", "json")),
}

#: which version of a key the graph keeps: items are created once (a re-ingest leaves them as
#: they are), parties, officers and offences are MERGEd with the latest bundle's values
KEEP: dict[str, str] = {"declarations": "first", "parties": "last", "officers": "last", "offences": "last"}

KINDS: tuple[str, ...] = tuple(f.name for f in schema.FILES)


@dataclass(frozen=True)
class Table:
    kind: str
    schema: pa.Schema  # the file's columns (partition columns excluded)
    partitions: tuple[str, ...]

    @property
    def columns(self) -> list[str]:
        return [n for n in self.schema.names if n not in (DIGEST, SEQ)]

    @property
    def dataset_schema(self) -> pa.Schema:
        """The columns a reader sees: the file's and the partition columns."""
        return pa.schema([*self.schema, *(pa.field(p, pa.string()) for p in self.partitions)])


def _table(bf: schema.BundleFile) -> Table:
    fields, seen = [], set()
    for c in (*bf.columns, *DERIVED[bf.name]):
        if c.name in seen:
            raise ValueError(f"ledger {bf.name}: column {c.name!r} declared twice")
        seen.add(c.name)
        fields.append(pa.field(c.name, ARROW_TYPES[c.type]))
    fields += [pa.field(DIGEST, pa.uint64()), pa.field(SEQ, pa.int64())]
    return Table(bf.name, pa.schema(fields), PARTITIONS[bf.name])


TABLES: dict[str, Table] = {bf.name: _table(bf) for bf in schema.FILES}


def partition_values(kind: str, table: pa.Table, source: str) -> pa.ChunkedArray | pa.Array:
    """Per row of `table` (a batch of one source), the value of its partition below `source`:
    the month (YYYY-MM) of its date, or the source itself for the kinds partitioned by source only."""
    import pyarrow.compute as pc

    if "month" not in PARTITIONS[kind]:
        return pa.array([source] * table.num_rows, pa.string())
    return pc.strftime(table["date"].cast(pa.timestamp("s")), format="%Y-%m")
