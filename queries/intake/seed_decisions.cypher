// Provisional risk: the live decisions about the given parties (as analytics.frames_decisions filters them).
UNWIND $keys AS k
MATCH (x:Decision {subject: k})
WHERE x.deleted_at IS NULL AND coalesce(x.status, 'effective') <> 'pending'
RETURN x.kind AS kind, x.subject AS subject, x.at AS at
ORDER BY at
