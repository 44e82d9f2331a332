// Audit events, newest first, filtered by user, action, target and time (empty filter = any).
MATCH (e:AuditEvent)
WHERE ($user IS NULL OR e.user = $user) AND ($action IS NULL OR e.action = $action)
  AND ($target IS NULL OR e.target = $target) AND ($since IS NULL OR e.at >= $since)
  AND ($until IS NULL OR e.at < $until)
RETURN e.key AS id, e.at AS at, e.user AS user, e.action AS action, e.target AS target,
       e.client AS client, e.peer AS peer, e.request_id AS request_id,
       e.client_request_id AS client_request_id, e.status AS status
ORDER BY at DESC, id DESC
SKIP $skip
LIMIT $limit
