// Export: one page of parties with sudden HS-code switches (key range after $after); events as stored JSON.
MATCH (p:Party)
WHERE p.key > $after AND p.hs_switches IS NOT NULL
WITH p ORDER BY p.key LIMIT $limit
RETURN p.key AS key, p.party_id AS party_id, p.name AS name, p.hs_switches AS hs_switches
ORDER BY key
