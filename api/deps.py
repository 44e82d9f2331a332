"""Dependencies: the app's state, the caller (key → principal → scope), rate limit, audit.

Routes declare what they need with `Annotated` aliases (`EntityRead`, `GraphRead`, ...): the alias
checks the key (401), the rate limit (429) and the scope (403) before the route runs, and hands the
route a `Ctx` that knows who is asking, from where, under which request id, and records audit
events. Why aliases: a route cannot forget its scope, and a test walks the app's routes to prove it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from api import audit
from api.auth import Principal, verify_key
from api.limits import Limits
from api.services.search import SearchIndex
from graph.settings import Settings
from graph.store import GraphStore


class ApiError(Exception):
    """An error answered as RFC 9457 problem+json."""

    def __init__(self, status: int, title: str, detail: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.headers = status, title, detail, headers or {}


class RateLimiter:
    """A token bucket per key: `per_minute` requests, refilled continuously (one process, one worker)."""

    def __init__(self, per_minute: int):
        self.rate = per_minute / 60.0
        self.capacity = float(per_minute)
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, who: str) -> float:
        """0 when allowed, else the seconds to wait."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(who, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[who] = (tokens - 1.0, now)
                return 0.0
            self._buckets[who] = (tokens, now)
            return (1.0 - tokens) / self.rate if self.rate > 0 else 60.0


@dataclass
class AppState:
    settings: Settings
    store: GraphStore
    limits: Limits
    search: SearchIndex
    rate: RateLimiter
    assessor: Any = None


async def get_state(request: Request) -> AppState:
    """Async on purpose: FastAPI runs a plain `def` dependency in the thread pool (a hop per request)."""
    return request.app.state.tamga


State = Annotated[AppState, Depends(get_state)]

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False,
                              description="An API key from `tamga keys create` (or POST /api/v1/keys).")


def client_of(request: Request) -> str:
    return request.client.host if request.client else ""


@dataclass
class Ctx:
    """Who is asking, from where, under which request id; records audit events."""

    principal: Principal
    state: AppState
    request_id: str
    client: str

    @property
    def store(self) -> GraphStore:
        return self.state.store

    @property
    def limits(self) -> Limits:
        return self.state.limits

    def audit(self, action: str, target: str = "", status: int = 200) -> None:
        audit.record(self.store, user=self.principal.owner, action=action, target=target,
                     client=self.client, request_id=self.request_id, status=status)


class Require:
    """Dependency: a valid key (401), under its rate limit (429), holding `scope` (403)."""

    def __init__(self, scope: str):
        self.scope = scope

    async def __call__(self, request: Request, state: State,
                       key: Annotated[str | None, Security(api_key_header)] = None) -> Ctx:
        principal = verify_key(state.store, key)
        if principal is None:
            raise ApiError(401, "Unauthorized", "a valid API key is required in the X-API-Key header",
                           {"WWW-Authenticate": "APIKey header=X-API-Key"})
        wait = state.rate.take(principal.prefix)
        if wait > 0:
            raise ApiError(429, "Too Many Requests", f"rate limit of {state.settings.rate_limit_per_minute} "
                           "requests per minute reached for this key", {"Retry-After": str(int(wait) + 1)})
        ctx = Ctx(principal, state, getattr(request.state, "request_id", ""), client_of(request))
        if not principal.has(self.scope):
            ctx.audit("access.denied", f"{request.method} {request.url.path} needs {self.scope}", 403)
            raise ApiError(403, "Forbidden", f"this key (role {principal.role}) lacks the scope {self.scope!r}")
        request.state.principal = principal
        return ctx


EntityRead = Annotated[Ctx, Depends(Require("entity:read"))]
GraphRead = Annotated[Ctx, Depends(Require("graph:read"))]
Assess = Annotated[Ctx, Depends(Require("assess"))]
IngestWrite = Annotated[Ctx, Depends(Require("ingest:write"))]
Decide = Annotated[Ctx, Depends(Require("decide"))]
AuditRead = Annotated[Ctx, Depends(Require("audit:read"))]
ExportRead = Annotated[Ctx, Depends(Require("export:read"))]
KeysAdmin = Annotated[Ctx, Depends(Require("keys:admin"))]
