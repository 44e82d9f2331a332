// The store port's own round-trip probe (tests/test_store.py, both stores): upsert parties by key
// from `UNWIND $rows` batches. The ingest's full party load is ingest.merge_parties.
// mode: write
UNWIND $rows AS r
MERGE (p:Party {key: r.key})
SET p.name = r.name, p.source = r.source, p.registered_on = r.registered_on, p.scored_at = r.scored_at
RETURN count(p) AS n
