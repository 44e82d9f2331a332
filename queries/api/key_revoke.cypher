// Revoke an active API key by prefix (the record stays, marked revoked).
// mode: write
MATCH (k:ApiKey {key: $prefix})
WHERE k.revoked_at IS NULL
SET k.revoked_at = $at
RETURN k.prefix AS prefix
