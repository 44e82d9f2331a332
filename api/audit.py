"""The audit trail: every read of an entity, subgraph, export or assessment, and every decision.

Stored as `AuditEvent` nodes in the same store as the data. Why there and not a separate log:
the store is already durable (write-ahead log, survives `kill -9`), an admin can query the trail
with the same filters and backups take it along; one `CREATE` costs ~0.02 ms on Grafeo, so each
event is written synchronously before the response leaves (nothing is lost in a buffer).
Append-only by construction: the only statement that writes `AuditEvent` is `api.audit_append`
(a `CREATE`); no route updates or deletes events, and a test checks that no named query does.
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime
from typing import Any

from graph.store import GraphStore

ACTIONS = (
    "entity.search", "entity.read", "entity.risk", "graph.read", "graph.page", "group.read",
    "groups.list", "alerts.cover", "alerts.unit_values", "alerts.hs_switches", "audit_targets.read",
    "lanes.read", "assess", "assess.store",
    "decision.create", "decision.delete", "decision.read", "ingest_runs.read", "audit.read",
    "export.read", "keys.create", "keys.revoke", "keys.list", "access.denied",
    "assess.store.intent", "assess.alert", "decision.create.intent", "decision.approve", "auth.failed",
    "profile.list", "profile.read", "profile.create", "profile.change", "profile.retire",
    "effectiveness.read",
    "cases.list", "case.read", "case.take", "case.note", "case.state", "cases.export",
    # api.routes.intake: data posted one call at a time (intent before the write, outcome after)
    "declarations.store.intent", "declarations.store", "inspection.create.intent", "inspection.create",
    "offences.store.intent", "offences.store",
    "job.submit", "job.read", "job.list", "job.cancel", "job.rerun", "job.start", "job.finish",
    "job.interrupted",
    # watchlists and screening (issue 14)
    "watchlist.read", "watchlist.load.intent", "watchlist.load", "screening.read", "screening.run",
    "screening.decide.intent", "screening.decide",
    # risk areas at a glance (issue 13)
    "risk_areas.read",
)


def now_iso() -> str:
    """UTC timestamp with microseconds, ISO-8601 with `Z` (sorts as text)."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _event_id() -> str:
    """Time-ordered id: nanoseconds since the epoch plus randomness, so ids sort like events."""
    return f"{time.time_ns():020d}-{secrets.token_hex(4)}"


def record(store: GraphStore, *, user: str, action: str, target: str = "", client: str = "",
           request_id: str = "", status: int = 200, peer: str = "", client_request_id: str = "") -> str:
    """Append one event; return its id. `client` is who called (forwarded through a trusted proxy),
    `peer` the TCP peer; `request_id` is the server's, `client_request_id` what the caller sent."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    eid = _event_id()
    store.run("api.audit_append", rows=[{
        "key": eid, "at": now_iso(), "user": user, "action": action, "target": target[:500],
        "client": client[:200], "peer": peer[:200], "request_id": request_id[:100],
        "client_request_id": client_request_id[:100], "status": int(status),
    }])
    return eid


def query(store: GraphStore, *, user: str | None = None, action: str | None = None,
          target: str | None = None, since: str | None = None, until: str | None = None,
          skip: int = 0, limit: int = 100) -> list[dict[str, Any]]:
    """Events newest first, filtered; timestamps compare as ISO text."""
    return store.run("api.audit_query", user=user, action=action, target=target, since=since,
                     until=until, skip=int(skip), limit=int(limit))
