// The history of one risk profile: all its versions, oldest first.
MATCH (p:RiskProfile)
WHERE p.profile_id = $profile_id
RETURN p {.*} AS profile, p.version AS version
ORDER BY version
