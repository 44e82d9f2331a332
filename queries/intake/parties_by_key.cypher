// Stored party records by key (the ingest checks rows for stored parties against them).
UNWIND $keys AS k
MATCH (p:Party {key: k})
RETURN k AS key, p {.*} AS party
