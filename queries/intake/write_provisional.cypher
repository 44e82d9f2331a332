// Provisional risk between full runs: new score and reasons of parties the new data touched, flagged
// provisional (the next full run's analytics.write_parties clears the flag).
// mode: write
UNWIND $rows AS r
MATCH (p:Party {key: r.key})
SET p.risk_score = r.risk_score, p.risk_reasons = r.risk_reasons, p.risk_provisional = true,
    p.provisional_at = r.provisional_at
RETURN count(p) AS n
