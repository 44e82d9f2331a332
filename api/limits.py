"""The one place where the API's caps (from `Settings`) are enforced.

Why one helper: every route that pages, walks the graph or reads a body asks `Limits`, so a cap
changed in the settings applies everywhere, and the OpenAPI schema stays independent of the
settings (routes accept a generous static range; the helper clamps to the configured cap and
says so in the response, as yente's `limit_window` does).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

from graph.settings import Settings

T = TypeVar("T")

# Static bounds used in the route signatures (and so in the OpenAPI schema); the settings may lower them.
PAGE_MAX = 1000
DEPTH_MAX = 3
NODES_MAX = 2000
BULK_FACTOR = 12  # exports and the audit plan read every item: they get this many query timeouts


class QueryTimeout(Exception):
    """A store call ran longer than `query_timeout_s`: the request is answered 503, not left hanging."""


@dataclass(frozen=True)
class Limits:
    settings: Settings

    def page(self, limit: int) -> int:
        """Clamp a requested page size to the configured maximum."""
        return max(1, min(int(limit), self.settings.max_page_size, PAGE_MAX))

    def depth(self, depth: int) -> int:
        """Clamp a subgraph depth to the configured maximum (never more than 3)."""
        return max(1, min(int(depth), self.settings.max_depth, DEPTH_MAX))

    def nodes(self, nodes: int | None) -> int:
        """Clamp a subgraph node cap to the configured maximum."""
        cap = min(self.settings.max_subgraph_nodes, NODES_MAX)
        return cap if nodes is None else max(1, min(int(nodes), cap))

    @property
    def body_bytes(self) -> int:
        """Request bodies above this are refused with 413 (by `api.app.Edge`, before parsing)."""
        return self.settings.max_body_bytes

    def timeout(self, bulk: bool = False) -> float:
        """The query timeout; bulk work (exports, the audit plan over all items) gets BULK_FACTOR times it."""
        return self.settings.query_timeout_s * (BULK_FACTOR if bulk else 1)

    async def run(self, fn: Callable[..., T], *args: Any, bulk: bool = False, point: bool = False,
                  backend: str = "", **kw: Any) -> T:
        """Run blocking store work in the thread pool, bounded by the query timeout.

        The embedded store cannot cancel a running statement; on timeout the client gets a 503
        problem at once and the statement finishes in the background. `point=True` marks work that
        is a handful of index lookups (the risk lookup): on the embedded store it runs on the event
        loop directly (~0.1 ms, less than the thread hop it saves); on Neo4j (network) it never does.
        """
        if point and backend == "grafeo":
            return fn(*args, **kw)
        limit = self.timeout(bulk)
        try:
            return await asyncio.wait_for(run_in_threadpool(fn, *args, **kw), limit)
        except TimeoutError:
            raise QueryTimeout(f"the query took longer than {limit:g} s"
                               + ("; use `tamga export` for large tables" if bulk else "")) from None
