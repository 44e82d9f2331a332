// What profile criteria read about the parties of one posted item: stored risk, group, phoenix, registration.
MATCH (p:Party)
WHERE p.key IN $keys
RETURN p.key AS key, p.risk_score AS risk_score, p.group_id AS group_id, p.phoenix_of AS phoenix_of,
       p.registered_on AS registered_on, p.offender_hops AS offender_hops
