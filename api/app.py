"""The FastAPI application: factory, lifespan, the edge middleware and the one problem+json error map.

The edge names every request itself (a client's own X-Request-ID, when well-formed, is kept beside
it, never in its place), works out who is calling (the peer, and the forwarded client only when the
peer is a trusted proxy), refuses API keys in query strings (400: URLs end up in logs), and bounds
how long a body may take to arrive (408).

`create_app(settings, store)` is what the CLI and the tests call. The app uses the store it is
given (the CLI owns and closes it) or opens the configured one for its lifetime. Every error —
401, 403, 404, 405, 413, 422, 429, 500, 503 — leaves as RFC 9457 `application/problem+json` with
the request id, and the OpenAPI schema says so for every route.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import time
import uuid
from collections.abc import Sequence
from contextlib import asynccontextmanager
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.auth import bootstrap
from api.deps import ApiError, AppState, AuthThrottle, RateLimiter
from api.limits import Limits, QueryTimeout
from api.routes import (
    admin,
    assess,
    decisions,
    effectiveness,
    entities,
    exports,
    groups,
    intake,
    jobs,
    ops,
    page,
    profiles,
    screening,
)
from api.routes.cases import router as cases_router
from api.routes.common import ERROR_CODES
from api.routes.risk_areas import router as risk_areas_router
from api.server import query_has_secret
from api.services.jobs import JobRunner
from api.services.search import SearchIndex
from graph.pipeline import item_summary
from graph.settings import Settings, get_settings
from graph.store import GraphStore, StoreError, open_store

log = logging.getLogger("tamga.api")

API_VERSION = "1.0.0"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
PROBLEM = "application/problem+json"
_TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           405: "Method Not Allowed", 408: "Request Timeout", 409: "Conflict", 413: "Content Too Large",
           422: "Unprocessable Content",
           429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}


def problem_body(status: int, title: str | None = None, detail: str | None = None, *,
                 instance: str | None = None, request_id: str | None = None,
                 errors: list[dict[str, Any]] | None = None) -> bytes:
    body: dict[str, Any] = {"type": "about:blank", "title": title or _TITLES.get(status, "Error"),
                            "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    if request_id:
        body["request_id"] = request_id
    if errors is not None:
        body["errors"] = errors
    return orjson.dumps(body)


def problem(request: Request, status: int, title: str | None = None, detail: str | None = None,
            headers: dict[str, str] | None = None, errors: list[dict[str, Any]] | None = None) -> Response:
    rid = getattr(request.state, "request_id", None)
    return Response(problem_body(status, title, detail, instance=request.url.path, request_id=rid,
                                 errors=errors),
                    status_code=status, media_type=PROBLEM, headers=headers)


class Metrics:
    """Per-app Prometheus registry (several apps in one process, as in the tests, do not collide)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("tamga_http_requests_total", "HTTP requests", ["method", "route", "status"],
                                registry=self.registry)
        self.latency = Histogram("tamga_http_request_duration_seconds", "HTTP request latency", ["route"],
                                 buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
                                 registry=self.registry)
        self.in_flight = Gauge("tamga_http_requests_in_flight", "requests being served",
                               registry=self.registry)


def forwarded_client(peer: str, forwarded_for: str | None, trusted: frozenset[str]) -> str:
    """The calling client: the peer, unless the peer is a trusted proxy; then the right-most
    X-Forwarded-For address that is not itself a trusted proxy (what a proxy appended)."""
    if not forwarded_for or peer not in trusted:
        return peer
    for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return peer  # a malformed chain is not believed
        if hop not in trusted:
            return hop
    return peer


class Edge:
    """Outermost ASGI middleware: request id, caller address, body-size cap (413) and read timeout
    (408), keys in query strings (400), metrics, and a 500 problem for anything unhandled (so even
    a crash answers problem+json with the request id)."""

    def __init__(self, app, settings: Settings, metrics: Metrics):
        self.app, self.limits, self.metrics = app, Limits(settings), metrics
        self.trusted = frozenset(settings.trusted_proxies)
        self.body_timeout = settings.body_timeout_s
        self.upload_bytes = max(settings.job_upload_max_bytes, self.limits.body_bytes)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        rid = uuid.uuid4().hex
        theirs = headers.get("x-request-id", "")
        state = scope.setdefault("state", {})
        state["request_id"] = rid
        state["client_request_id"] = theirs if _REQUEST_ID.match(theirs) else ""
        peer = scope["client"][0] if scope.get("client") else ""
        state["peer"] = peer
        state["client"] = forwarded_client(peer, headers.get("x-forwarded-for"), self.trusted)
        t0 = time.perf_counter()
        status_holder = {"status": 500, "started": False}
        path = scope.get("path", "")

        async def send_wrapped(message):
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = True
                h = list(message.get("headers", []))
                h.append((b"x-request-id", rid.encode()))
                h.append((b"x-content-type-options", b"nosniff"))
                h.append((b"referrer-policy", b"no-referrer"))
                message = {**message, "headers": h}
            await send(message)

        async def reply(status: int, detail: str, extra: Sequence[tuple[bytes, bytes]] = ()) -> None:
            body = problem_body(status, None, detail, instance=path, request_id=rid)
            await send_wrapped({"type": "http.response.start", "status": status,
                                "headers": [(b"content-type", PROBLEM.encode()),
                                            (b"content-length", str(len(body)).encode()), *extra]})
            await send_wrapped({"type": "http.response.body", "body": body})

        self.metrics.in_flight.inc()
        try:
            if query_has_secret(scope.get("query_string", b"").decode("latin-1")):
                await reply(400, "API keys go in the X-API-Key header, never in the URL (URLs are logged)")
                return
            limit = self.upload_bytes if path == UPLOAD_PATH else self.limits.body_bytes
            declared = headers.get("content-length")
            if declared is not None and (not declared.isdigit() or int(declared) > limit):
                await reply(413, f"request body exceeds the limit of {limit} bytes")
                return
            if scope["method"] in ("POST", "PUT", "PATCH"):
                body = await self._read_body(receive, limit, reply)
                if body is None:
                    return
                sent = False

                async def receive_replay():
                    nonlocal sent
                    if not sent:
                        sent = True
                        return {"type": "http.request", "body": body, "more_body": False}
                    return await receive()

                await self.app(scope, receive_replay, send_wrapped)
            else:
                await self.app(scope, receive, send_wrapped)
        except Exception:
            log.exception("unhandled error in request %s %s", rid, path)
            if not status_holder["started"]:
                await reply(500, "an unexpected error occurred; quote the request id when reporting it")
            else:
                raise
        finally:
            self.metrics.in_flight.dec()
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.requests.labels(scope["method"], template, str(status_holder["status"])).inc()
            self.metrics.latency.labels(template).observe(time.perf_counter() - t0)

    async def _read_body(self, receive, limit: int, reply) -> bytes | None:
        """The whole request body, or None once it has been answered (408, 413) or the client left."""
        chunks, size = [], 0
        while True:
            try:
                msg = await asyncio.wait_for(receive(), self.body_timeout)
            except TimeoutError:
                await reply(408, f"the request body did not arrive within {self.body_timeout:g} s",
                            [(b"connection", b"close")])
                return None
            if msg["type"] == "http.disconnect":
                return None
            chunk = msg.get("body", b"")
            size += len(chunk)
            if size > limit:
                await reply(413, f"request body exceeds the limit of {limit} bytes")
                return None
            chunks.append(chunk)
            if not msg.get("more_body"):
                return b"".join(chunks)


def _install_errors(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return problem(request, exc.status, exc.title, exc.detail, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else None
        return problem(request, exc.status_code, None, detail, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = [{"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg", "")),
                   "type": str(e.get("type", ""))} for e in exc.errors()]
        return problem(request, 422, "Unprocessable Content", "the request does not validate", errors=errors)

    @app.exception_handler(QueryTimeout)
    async def _timeout(request: Request, exc: QueryTimeout) -> Response:
        return problem(request, 503, "Service Unavailable", str(exc), {"Retry-After": "5"})

    @app.exception_handler(StoreError)
    async def _store(request: Request, exc: StoreError) -> Response:
        log.error("store error in %s: %s", request.url.path, exc)
        return problem(request, 503, "Service Unavailable", "the store could not answer; try again shortly",
                       {"Retry-After": "5"})


def _custom_openapi(app: FastAPI):
    """The schema with every error response as application/problem+json (one `Problem` schema)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = get_openapi(title=app.title, version=app.version, description=app.description,
                           routes=app.routes)
        ref = {"$ref": "#/components/schemas/Problem"}
        for path_item in spec.get("paths", {}).values():
            for op in path_item.values():
                if op.get("operationId") == "readyz":  # its 503 is a Health body, by design
                    continue
                for code, resp in op.get("responses", {}).items():
                    if code.isdigit() and int(code) >= 400:
                        resp["content"] = {PROBLEM: {"schema": ref}}
        schemas = spec.get("components", {}).get("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        app.openapi_schema = spec
        return spec

    return openapi


UPLOAD_PATH = "/api/v1/ingest-runs"  # the one route whose body may be a whole bundle (job_upload_max_bytes)


def create_app(settings: Settings | None = None, store: GraphStore | None = None, *,
               handoff_token: str | None = None) -> FastAPI:
    """The Tamga API and the investigator's page, on `store` (or the configured store, opened here).
    The app runs ingest and scoring jobs on it (`api.services.jobs`); `handoff_token` is the CLI's
    local hand-off token when `tamga serve` publishes one (`api.handoff`)."""
    s = settings or get_settings()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        owned = store is None
        st = store if store is not None else open_store(s)
        try:
            st.ensure_schema()
            log.warning("%s", bootstrap(st, s))
            app.state.tamga = AppState(settings=s, store=st, limits=Limits(s), search=SearchIndex(st),
                                       rate=RateLimiter(s.rate_limit_per_minute),
                                       auth_fails=AuthThrottle(s.auth_fail_limit, s.auth_fail_window_s))
            app.state.tamga.search.refresh(force=True)
            state = app.state.tamga
            state.handoff_token = handoff_token
            def after_write() -> None:  # a job changed the store: the search index, then the item summary
                state.search.refresh(force=True)
                state.summary_warming = item_summary.warm(st, s)

            state.jobs = JobRunner(s, st, metrics.registry, after_write=after_write)
            state.jobs.start()
            yield
        finally:
            runner = getattr(getattr(app.state, "tamga", None), "jobs", None)
            if runner is not None:
                runner.stop()
            warming = getattr(getattr(app.state, "tamga", None), "summary_warming", None)
            if warming is not None:  # it reads the store: done before the store closes
                warming.join(120)
            if handoff_token:  # here, not after uvicorn's run(): uvicorn re-raises SIGTERM once it returns
                from api.handoff import withdraw

                withdraw(s, handoff_token)
            if owned:
                st.close()

    app = FastAPI(
        title="Tamga API", version=API_VERSION, lifespan=lifespan,
        description="Customs fraud networks: entity risk with reasons, subgraphs, groups, cover-item, "
                    "unit-value and HS-switch alerts, audit targets, declaration assessment, decisions, "
                    "audit trail. Send your key in X-API-Key.",
        docs_url=None, redoc_url=None, openapi_url="/openapi.json",
    )
    app.state.metrics = metrics
    _install_errors(app)
    for r in (entities.router, groups.router, assess.router, decisions.router, admin.router, exports.router,
              jobs.router, ops.router, page.router, profiles.router, intake.router, effectiveness.router):
        app.include_router(r)
    app.include_router(cases_router)
    app.include_router(screening.router)
    app.include_router(risk_areas_router)
    app.openapi = _custom_openapi(app)  # type: ignore[method-assign]
    if s.cors_origins:  # closed by default: no CORS headers at all unless origins are configured
        app.add_middleware(CORSMiddleware, allow_origins=s.cors_origins,
                           allow_methods=["GET", "POST", "DELETE"],
                           allow_headers=["X-API-Key", "Content-Type", "X-Request-ID"],
                           expose_headers=["X-Request-ID"])
    app.add_middleware(Edge, settings=s, metrics=metrics)
    return app


__all__ = ["ERROR_CODES", "create_app", "problem_body"]
