"""Decisions, runs, the audit trail and keys."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.models.common import (
    Input,
    Public,
)

# --------------------------------------------------------------------------- decisions

DecisionKind = Literal["same_entity", "not_same_entity", "confirmed_risk", "cleared", "inspection"]


class DecisionIn(Input):
    kind: DecisionKind
    subject: Annotated[str, Field(min_length=1, max_length=300, description="party or declaration key")]
    object: Annotated[str | None, Field(max_length=300,
                                        description="the other party (same / not same entity)")] = None
    value: Annotated[str | None, Field(max_length=100, description="inspection: clear or violation")] = None
    note: Annotated[str | None, Field(max_length=2000)] = None


# --------------------------------------------------------------------------- runs, audit, keys

class IngestRunOut(BaseModel):
    """An ingest run's stored report (as `ingest.load.last_reports` parses it); extra fields pass through."""

    model_config = ConfigDict(extra="allow")
    run_id: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    source: str | None = None
    path: str | None = None
    status: str | None = None


class AuditEventOut(Public):
    id: str
    at: str
    user: str
    action: str
    target: str | None = None
    client: str | None = Field(default=None,
                               description="the caller: the peer, or the address a trusted proxy forwarded")
    peer: str | None = Field(default=None, description="the TCP peer (a proxy, when there is one)")
    request_id: str | None = Field(default=None, description="the server's id of the request")
    client_request_id: str | None = Field(default=None,
                                          description="the X-Request-ID the caller sent, if well-formed")
    status: int | None = None


Role = Literal["investigator", "auditor", "analyst", "system", "admin"]


class KeyIn(Input):
    owner: Annotated[str, Field(min_length=1, max_length=200)]
    role: Role = "investigator"
    expires_days: Annotated[int, Field(ge=1, le=3660)] = 90
    scopes: list[str] | None = Field(default=None, description="a subset of the role's scopes")


class KeyOut(Public):
    prefix: str
    owner: str
    role: str
    scopes: list[str]
    created_at: str | None = None
    expires_at: str | None = None
    revoked_at: str | None = None
    state: Literal["active", "expired", "revoked"]


class KeyCreated(Public):
    key: str = Field(description="the API key, shown once; only its hash is stored")
    prefix: str
    owner: str
    role: str
    expires_days: int
