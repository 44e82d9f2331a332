// One node of a given label by key, with its label (for subgraph roots and expansion).
MATCH (n {key: $key})
WHERE $label IN labels(n)
RETURN labels(n)[0] AS label, n {.*} AS props
LIMIT 1
