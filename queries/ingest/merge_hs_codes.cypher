// Ingest: upsert HS code nodes (any level), keyed by their digits.
// mode: write
UNWIND $rows AS r
MERGE (h:HSCode {key: r.code})
  ON CREATE SET h.code = r.code, h.level = r.level
