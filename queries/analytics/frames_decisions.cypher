// Frames: the live human decisions (soft-deleted ones and ones pending a second approver dropped),
// oldest first, so later ones win.
MATCH (d:Decision)
WHERE d.deleted_at IS NULL AND coalesce(d.status, 'effective') <> 'pending'
RETURN d.kind AS kind, d.subject AS subject, d.object AS object, d.value AS value, d.user AS user, d.at AS at,
       d.key AS key
ORDER BY at, key
