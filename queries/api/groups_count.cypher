// How many linked groups reach the given risk.
MATCH (g:Group)
WHERE coalesce(g.risk, 0.0) >= $min_risk
RETURN count(g) AS n
