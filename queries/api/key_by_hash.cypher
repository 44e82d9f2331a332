// The API key record for a presented key's hash.
MATCH (k:ApiKey {key_hash: $key_hash})
RETURN k.prefix AS prefix, k.owner AS owner, k.role AS role, k.scopes AS scopes,
       k.expires_at AS expires_at, k.revoked_at AS revoked_at
