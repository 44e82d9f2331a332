// Provisional risk: the identifiers the given parties carry (degree and specificity as the last full run
// stored them) and the other parties that carry them, for identifiers of at most $max_degree sharers.
UNWIND $keys AS k
MATCH (p:Party {key: k})-[r:HAS_TAX_ID|HAS_PHONE|HAS_EMAIL|HAS_ADDRESS|HAS_BANK_ACCOUNT]->(i)
WHERE coalesce(i.degree, 0) <= $max_degree
OPTIONAL MATCH (i)<-[:HAS_TAX_ID|HAS_PHONE|HAS_EMAIL|HAS_ADDRESS|HAS_BANK_ACCOUNT]-(q:Party)
RETURN k AS party, type(r) AS rel, i.key AS node, i.degree AS degree, i.specificity AS specificity,
       collect(q.key) AS sharers
