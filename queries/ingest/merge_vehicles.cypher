// Ingest: upsert vehicles keyed by the normalised plate / wagon / flight number.
// mode: write
UNWIND $rows AS r
MERGE (v:Vehicle {key: r.key})
  ON CREATE SET v.value = r.value
