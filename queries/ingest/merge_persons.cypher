// Ingest: upsert persons (officers.csv), keyed source:person_id.
// mode: write
UNWIND $rows AS r
MERGE (pe:Person {key: r.person})
SET pe.person_id = r.person_id, pe.source = r.source,
    pe.name = coalesce(r.name, pe.name), pe.name_norm = coalesce(r.name_norm, pe.name_norm)
