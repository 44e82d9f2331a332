// Frames: the linking identifiers of one page of parties (key range after $after, $limit parties).
// Every party of the page comes back at least once (rel null when it has none) so paging can advance.
MATCH (p:Party)
WHERE p.key > $after
WITH p ORDER BY p.key LIMIT $limit
OPTIONAL MATCH (p)-[r:HAS_TAX_ID|HAS_BANK_ACCOUNT|HAS_PHONE|HAS_EMAIL|HAS_ADDRESS]->(i)
RETURN p.key AS party, type(r) AS rel, i.key AS value
