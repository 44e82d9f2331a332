// Every API key's public fields; the hash is never returned.
MATCH (k:ApiKey)
RETURN k.prefix AS prefix, k.owner AS owner, k.role AS role, k.scopes AS scopes,
       k.created_at AS created_at, k.expires_at AS expires_at, k.revoked_at AS revoked_at
ORDER BY created_at, prefix
