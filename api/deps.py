"""Dependencies: the app's state, the caller (key → principal → scope), rate limit, audit.

Routes declare what they need with `Annotated` aliases (`EntityRead`, `GraphRead`, ...): the alias
checks the key (401), the rate limit (429) and the scope (403) before the route runs, and hands the
route a `Ctx` that knows who is asking, from where, under which request id, and records audit
events. A presented key that is not valid is recorded (`auth.failed`, with an 8-character hash
of the key, never the key) and counted per client address: past `auth_fail_limit` failures in
`auth_fail_window_s` the address gets 429 until the window has passed, whatever key it sends.
Why aliases: a route cannot forget its scope, and a test walks the app's routes to prove it.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from api import audit
from api.auth import Principal, hash_key, verify_key
from api.limits import Limits
from api.services.search import SearchIndex
from api.services.tickets import Tickets
from graph.settings import Settings
from graph.store import GraphStore


class ApiError(Exception):
    """An error answered as RFC 9457 problem+json."""

    def __init__(self, status: int, title: str, detail: str | None = None,
                 headers: dict[str, str] | None = None):
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


class AuthThrottle:
    """Failed authentications per client address in a sliding window (one process, one worker)."""

    def __init__(self, limit: int, window_s: float):
        self.limit, self.window = limit, float(window_s)
        self._lock = threading.Lock()
        self._fails: dict[str, deque[float]] = {}

    def _recent(self, who: str, now: float) -> deque[float]:
        q = self._fails.setdefault(who, deque())
        while q and now - q[0] > self.window:
            q.popleft()
        return q

    def blocked(self, who: str) -> float:
        """0 when the address may try, else the seconds until it may."""
        now = time.monotonic()
        with self._lock:
            q = self._recent(who, now)
            if len(q) < self.limit:
                if not q:
                    self._fails.pop(who, None)
                return 0.0
            return max(0.0, self.window - (now - q[0]))

    def fail(self, who: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._fails) > 100_000:
                self._fails.clear()
            self._recent(who, now).append(now)


@dataclass
class AppState:
    settings: Settings
    store: GraphStore
    limits: Limits
    search: SearchIndex
    rate: RateLimiter
    auth_fails: AuthThrottle = field(default_factory=lambda: AuthThrottle(20, 60))
    assessor: Any = None
    tickets: Tickets = field(default_factory=Tickets)
    jobs: Any = None  # api.services.jobs.JobRunner, when the app runs jobs
    # the CLI's local hand-off token (api.handoff), when served by `tamga serve`
    handoff_token: str | None = None
    # the thread computing the item summary ahead (graph.pipeline.item_summary.warm) after each job;
    # joined before the store closes
    summary_warming: Any = None


async def get_state(request: Request) -> AppState:
    """Async on purpose: FastAPI runs a plain `def` dependency in the thread pool (a hop per request)."""
    return request.app.state.tamga


State = Annotated[AppState, Depends(get_state)]

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False,
                              description="An API key from `tamga keys create` (or POST /api/v1/keys).")


def client_of(request: Request) -> str:
    """The client address the edge worked out (`api.app.forwarded_client`)."""
    return getattr(request.state, "client", None) or (request.client.host if request.client else "")


def peer_of(request: Request) -> str:
    """The address of the TCP peer itself (a proxy, when there is one)."""
    return getattr(request.state, "peer", None) or (request.client.host if request.client else "")


@dataclass
class Ctx:
    """Who is asking, from where, under which request id; records audit events."""

    principal: Principal
    state: AppState
    request_id: str
    client: str
    peer: str = ""
    client_request_id: str = ""

    @property
    def store(self) -> GraphStore:
        return self.state.store

    @property
    def limits(self) -> Limits:
        return self.state.limits

    def audit(self, action: str, target: str = "", status: int = 200) -> None:
        audit.record(self.store, user=self.principal.owner, action=action, target=target,
                     client=self.client, peer=self.peer, request_id=self.request_id,
                     client_request_id=self.client_request_id, status=status)


class Require:
    """Dependency: a valid key (401), under its rate limit (429), holding `scope` (403)."""

    def __init__(self, scope: str):
        self.scope = scope

    async def __call__(self, request: Request, state: State,
                       key: Annotated[str | None, Security(api_key_header)] = None) -> Ctx:
        client = client_of(request)
        wait = state.auth_fails.blocked(client)
        if wait > 0:
            raise ApiError(429, "Too Many Requests", "too many failed authentications from this address",
                           {"Retry-After": str(int(wait) + 1)})
        principal = verify_key(state.store, key)
        if principal is None:
            if key:  # a wrong key is an attempt; no key at all is just a caller who forgot it
                state.auth_fails.fail(client)
                audit.record(state.store, user="", action="auth.failed", target=f"key#{hash_key(key)[:8]}",
                             client=client, peer=peer_of(request),
                             request_id=getattr(request.state, "request_id", ""),
                             client_request_id=getattr(request.state, "client_request_id", ""), status=401)
            raise ApiError(401, "Unauthorized", "a valid API key is required in the X-API-Key header",
                           {"WWW-Authenticate": "APIKey header=X-API-Key"})
        wait = state.rate.take(principal.prefix)
        if wait > 0:
            raise ApiError(429, "Too Many Requests", f"rate limit of {state.settings.rate_limit_per_minute} "
                           "requests per minute reached for this key", {"Retry-After": str(int(wait) + 1)})
        ctx = Ctx(principal, state, getattr(request.state, "request_id", ""), client, peer_of(request),
                  getattr(request.state, "client_request_id", ""))
        if not self.allows(principal):
            ctx.audit("access.denied", f"{request.method} {request.url.path} needs {self.wanted()}", 403)
            raise ApiError(403, "Forbidden",
                           f"this key (role {principal.role}) lacks the scope {self.wanted()}")
        request.state.principal = principal
        return ctx

    def allows(self, principal: Principal) -> bool:
        return principal.has(self.scope)

    def wanted(self) -> str:
        return repr(self.scope)


HANDOFF_HEADER = "x-tamga-handoff"
CLI = Principal(owner="cli", role="cli", prefix="cli", scopes=frozenset({"ingest:write", "score:run"}))


class JobAccess(Require):
    """Dependency of the job routes: a key holding `scope` (or one of `also`), or the local hand-off
    token of `tamga ingest` / `tamga score` (header X-Tamga-Handoff, from 127.0.0.1/::1 only,
    compared in constant time; audited as the user and client `cli`). Only these routes accept
    the token: it starts and follows jobs, nothing else."""

    def __init__(self, scope: str, *also: str):
        super().__init__(scope)
        self.also = also

    def allows(self, principal: Principal) -> bool:
        return any(principal.has(s) for s in (self.scope, *self.also))

    def wanted(self) -> str:
        return " or ".join(repr(s) for s in (self.scope, *self.also))

    async def __call__(self, request: Request, state: State,
                       key: Annotated[str | None, Security(api_key_header)] = None) -> Ctx:
        token = request.headers.get(HANDOFF_HEADER)
        if token is None:
            return await super().__call__(request, state, key)
        client, peer = client_of(request), peer_of(request)
        wait = state.auth_fails.blocked(client)
        if wait > 0:
            raise ApiError(429, "Too Many Requests", "too many failed authentications from this address",
                           {"Retry-After": str(int(wait) + 1)})
        expected = state.handoff_token
        local = peer in ("127.0.0.1", "::1")
        if not (expected and local and hmac.compare_digest(token.encode(), expected.encode())):
            state.auth_fails.fail(client)
            audit.record(state.store, user="", action="auth.failed", target="handoff token", client=client,
                         peer=peer, request_id=getattr(request.state, "request_id", ""),
                         client_request_id=getattr(request.state, "client_request_id", ""), status=401)
            raise ApiError(401, "Unauthorized", "the hand-off token is not valid for this server",
                           {"WWW-Authenticate": "APIKey header=X-API-Key"})
        request.state.principal = CLI
        return Ctx(CLI, state, getattr(request.state, "request_id", ""), "cli", peer,
                   getattr(request.state, "client_request_id", ""))


EntityRead = Annotated[Ctx, Depends(Require("entity:read"))]
GraphRead = Annotated[Ctx, Depends(Require("graph:read"))]
Assess = Annotated[Ctx, Depends(Require("assess"))]
IngestWrite = Annotated[Ctx, Depends(Require("ingest:write"))]
Decide = Annotated[Ctx, Depends(Require("decide"))]
AuditRead = Annotated[Ctx, Depends(Require("audit:read"))]
ExportRead = Annotated[Ctx, Depends(Require("export:read"))]
KeysAdmin = Annotated[Ctx, Depends(Require("keys:admin"))]
CasesRead = Annotated[Ctx, Depends(Require("cases:read"))]
CasesWrite = Annotated[Ctx, Depends(Require("cases:write"))]
IngestJob = Annotated[Ctx, Depends(JobAccess("ingest:write"))]
ScoreJob = Annotated[Ctx, Depends(JobAccess("score:run"))]
# the route then checks the job's kind
AnyJob = Annotated[Ctx, Depends(JobAccess("ingest:write", "score:run"))]
WatchlistsWrite = Annotated[Ctx, Depends(Require("watchlists:write"))]
ScreeningRun = Annotated[Ctx, Depends(Require("screening:run"))]
