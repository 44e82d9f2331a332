// Revoke every active bootstrap admin key (prefix `boot…`): it is one-time, see api.auth.bootstrap.
// mode: write
MATCH (k:ApiKey)
WHERE k.prefix STARTS WITH 'boot' AND k.revoked_at IS NULL
SET k.revoked_at = $at
RETURN count(k) AS n
