// Ingest: which of these party keys are already in the store (ids used by declarations, officers
// and offences must name a known party).
UNWIND $keys AS k
MATCH (p:Party {key: k})
RETURN p.key AS key
