// Provisional risk: the identifiers the given parties carry (degree and specificity as the last full run
// stored them) and the parties that carry them (the party itself among them), for identifiers of at most
// $max_degree sharers. (The filter sits in a WITH: in a WHERE of the first MATCH Grafeo scanned, ~250 ms.)
UNWIND $keys AS k
MATCH (p:Party {key: k})-[r:HAS_TAX_ID|HAS_PHONE|HAS_EMAIL|HAS_ADDRESS|HAS_BANK_ACCOUNT]->(i)
WITH k, r, i
WHERE coalesce(i.degree, 0) <= $max_degree
MATCH (i)<-[:HAS_TAX_ID|HAS_PHONE|HAS_EMAIL|HAS_ADDRESS|HAS_BANK_ACCOUNT]-(q:Party)
RETURN k AS party, type(r) AS rel, i.key AS node, i.degree AS degree, i.specificity AS specificity,
       collect(q.key) AS sharers
