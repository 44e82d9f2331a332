// Ingest: upsert persons and their OFFICER_OF relationship to a company, one per (person, company, role).
UNWIND $rows AS r
MERGE (pe:Person {key: r.person})
SET pe.person_id = r.person_id, pe.source = r.source,
    pe.name = coalesce(r.name, pe.name), pe.name_norm = coalesce(r.name_norm, pe.name_norm)
WITH pe, r
MATCH (c:Party {key: r.company})
MERGE (pe)-[o:OFFICER_OF {role: r.role}]->(c)
SET o.share_pct = r.share_pct, o.since = r.since, o.until = r.until, o.source = r.source
