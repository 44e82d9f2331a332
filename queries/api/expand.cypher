// One hop of subgraph extraction: neighbours of the frontier over the allowed relationship types,
// inside the date window (nodes without a date always pass). Capped by $limit rows.
UNWIND $frontier AS f
MATCH (n {key: f.key})-[r]-(m)
WHERE f.label IN labels(n) AND type(r) IN $types
  AND (m.date IS NULL OR (m.date >= $date_from AND m.date <= $date_to))
RETURN f.key AS src, f.label AS src_label, type(r) AS rel, startNode(r) = n AS outgoing,
       labels(m)[0] AS label, m {.*} AS props
LIMIT $limit
