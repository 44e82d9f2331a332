// How many real (not bootstrap) admin keys are active: while there is one, no bootstrap key is valid.
MATCH (k:ApiKey)
WHERE k.role = 'admin' AND k.revoked_at IS NULL AND k.expires_at > $now AND NOT k.prefix STARTS WITH 'boot'
RETURN count(k) AS n
