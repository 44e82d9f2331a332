// Every version of every risk profile, in id and version order (the service keeps the latest per id).
MATCH (p:RiskProfile)
RETURN p {.*} AS profile, p.profile_id AS profile_id, p.version AS version
ORDER BY profile_id, version
