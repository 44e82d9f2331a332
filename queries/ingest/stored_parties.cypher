// Ingest: the stored name and country of these party keys (a re-ingested party that changes them
// is quarantined as a conflict, see ingest.load.loader).
UNWIND $keys AS k
MATCH (p:Party {key: k})
RETURN p.key AS key, p.name AS name, p.country AS country
