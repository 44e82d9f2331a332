// Ingest: upsert one batch of parties by key (source:party_id); properties from the latest bundle.
// mode: write
UNWIND $rows AS r
MERGE (p:Party {key: r.key})
SET p += r.props
