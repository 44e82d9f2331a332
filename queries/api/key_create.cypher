// Store a new API key: only its hash, prefix, owner, role, scopes and expiry.
// mode: write
CREATE (k:ApiKey {key: $prefix, prefix: $prefix, key_hash: $key_hash, owner: $owner, role: $role,
                  scopes: $scopes, created_at: $created_at, expires_at: $expires_at})
RETURN k.prefix AS prefix
