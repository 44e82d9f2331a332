// The store port's own round-trip probe (tests/test_store.py, both stores): parties by key, with
// the values exactly as stored.
UNWIND $keys AS k
MATCH (p:Party {key: k})
RETURN p.key AS key, p.name AS name, p.source AS source, p.registered_on AS registered_on,
       p.scored_at AS scored_at
ORDER BY key
