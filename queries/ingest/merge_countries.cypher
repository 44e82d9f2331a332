// Ingest: upsert Country nodes keyed by ISO 3166-1 alpha-2 code.
// mode: write
UNWIND $codes AS c
MERGE (k:Country {key: c})
  ON CREATE SET k.code = c
