// The riskiest parties: the audit plan for a budget of `$limit` audits.
MATCH (p:Party)
WHERE p.risk_score >= $min_risk
RETURN p.key AS key, p.name AS name, p.risk_score AS risk_score, p.risk_rank AS risk_rank,
       p.group_id AS group_id, p.risk_reasons AS risk_reasons
ORDER BY risk_score DESC, key
LIMIT $limit
