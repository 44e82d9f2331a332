"""How the app is served: the uvicorn configuration, in one place for `tamga serve`, `demo` and the tests.

Why not uvicorn's defaults:
- uvicorn believes `X-Forwarded-For` from 127.0.0.1 by default; here it believes none (the app
  reads forwarded headers itself, only from `Settings.trusted_proxies`, see `api.deps.client_of`).
- uvicorn has no timeout for a request's headers: a client that sends one byte every few seconds
  holds a connection forever (slow-loris). `HeaderTimeoutH11` closes a connection whose request
  headers are not complete `header_timeout_s` after it opened or after its previous response;
  the body has its own timeout in `api.app.Edge`. `max_connections` bounds the rest.
- the access log prints the full URL: `ScrubQuery` removes API keys and any query value that looks
  like one before a line is written (a key in a query string is also refused with 400 by the app).
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from graph.settings import Settings

#: query parameters that carry credentials; any value shaped like a Tamga key counts too
SECRET_PARAMS = frozenset({"api_key", "apikey", "api-key", "x-api-key", "x_api_key", "key", "token",
                           "access_token", "secret"})
KEY_SHAPE = re.compile(r"tmg_[0-9a-f]{12}_[A-Za-z0-9_-]+")
_PARAM = re.compile(r"(?P<name>[^&=]*)=(?P<value>[^&]*)")


def scrub_query(url: str) -> str:
    """The URL with credential-looking query values replaced by `***`."""
    path, sep, query = url.partition("?")
    if not sep:
        return KEY_SHAPE.sub("***", url)

    def one(m: re.Match) -> str:
        name = m.group("name")
        from urllib.parse import unquote_plus

        if unquote_plus(name).lower() in SECRET_PARAMS:
            return f"{name}=***"
        return f"{name}={KEY_SHAPE.sub('***', m.group('value'))}"

    return KEY_SHAPE.sub("***", path) + "?" + _PARAM.sub(one, query)


def query_has_secret(query: str) -> bool:
    """True when a query string names a credential parameter or holds a key-shaped value."""
    from urllib.parse import parse_qsl

    if KEY_SHAPE.search(query):
        return True
    try:
        pairs = parse_qsl(query, keep_blank_values=True)
    except ValueError:
        return False
    return any(k.lower() in SECRET_PARAMS for k, _ in pairs) or any(KEY_SHAPE.search(v) for _, v in pairs)


class ScrubQuery(logging.Filter):
    """Access-log filter: uvicorn's record args are (client, method, full_path, http_version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], scrub_query(args[2]), *args[3:])
        return True


def install_log_scrubbing() -> None:
    """Add the access-log filter once (idempotent)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, ScrubQuery) for f in access.filters):
        access.addFilter(ScrubQuery())


class HeaderTimeoutH11(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request's headers (see the module docstring)."""

    header_timeout_s = 10.0

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._header_task: asyncio.TimerHandle | None = None
        self._arm()

    def _arm(self) -> None:
        self._disarm()
        self._armed_for = self.cycle
        self._header_task = self.loop.call_later(self.header_timeout_s, self._headers_late)

    def _disarm(self) -> None:
        task = getattr(self, "_header_task", None)
        if task is not None:
            task.cancel()
            self._header_task = None

    def _headers_late(self) -> None:
        self._header_task = None
        if self.cycle is self._armed_for and not self.transport.is_closing():
            self.logger.info("closing a connection whose request headers took over %.0f s",
                             self.header_timeout_s)
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.cycle is not getattr(self, "_armed_for", None):
            self._disarm()  # a new request's headers are complete

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


def uvicorn_config(app: Any, settings: Settings, host: str, port: int, *,
                   log_level: str = "info") -> uvicorn.Config:
    """The one uvicorn configuration of the product."""
    protocol = type("TamgaH11", (HeaderTimeoutH11,), {"header_timeout_s": settings.header_timeout_s})
    install_log_scrubbing()
    return uvicorn.Config(app, host=host, port=port, log_level=log_level, http=protocol, lifespan="on",
                          proxy_headers=False, forwarded_allow_ips="", server_header=False,
                          timeout_keep_alive=settings.keep_alive_s,
                          limit_concurrency=settings.max_connections)
