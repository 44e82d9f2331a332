// Linked groups, riskiest first, one page.
MATCH (g:Group)
WHERE coalesce(g.risk, 0.0) >= $min_risk
RETURN g.key AS key, g.risk AS risk, g.size AS size, g.reasons AS reasons
ORDER BY risk DESC, key
SKIP $skip
LIMIT $limit
