// Append audit events (the only statement that writes AuditEvent: the trail is append-only).
// mode: write
UNWIND $rows AS r
CREATE (e:AuditEvent {key: r.key, at: r.at, user: r.user, action: r.action, target: r.target,
                      client: r.client, peer: r.peer, request_id: r.request_id,
                      client_request_id: r.client_request_id, status: r.status})
