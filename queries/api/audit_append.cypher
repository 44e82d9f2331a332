// Append audit events (the only statement that writes AuditEvent: the trail is append-only).
// mode: write
UNWIND $rows AS r
CREATE (e:AuditEvent {key: r.key, at: r.at, user: r.user, action: r.action, target: r.target,
                      client: r.client, request_id: r.request_id, status: r.status})
