"""One-time tickets for the standalone network page.

Why: "Open as a standalone page" must load the pyvis page from its own URL (a blob page inherits
the app page's `script-src 'self'` and its inline scripts are blocked), but a new tab cannot send
the X-API-Key header, and a key never goes into a URL. So the page asks for a ticket with its key
(POST, audited), and the new tab opens `/ui/network/<ticket>`: random, valid once, for
`TTL_S` seconds, for that caller and that request only. Held in memory: one process serves the API.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

TTL_S = 60.0
MAX_OPEN = 10_000


@dataclass(frozen=True)
class Ticket:
    principal: Any
    entity_id: str
    params: dict[str, Any]
    expires: float


class Tickets:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[str, Ticket] = {}

    def issue(self, principal: Any, entity_id: str, params: dict[str, Any]) -> str:
        token = secrets.token_urlsafe(24)
        now = time.monotonic()
        with self._lock:
            if len(self._open) >= MAX_OPEN:
                self._open = {k: t for k, t in self._open.items() if t.expires > now}
                if len(self._open) >= MAX_OPEN:
                    self._open.clear()
            self._open[token] = Ticket(principal, entity_id, params, now + TTL_S)
        return token

    def redeem(self, token: str) -> Ticket | None:
        """The ticket, once; None when unknown, used or expired."""
        with self._lock:
            t = self._open.pop(token, None)
        return t if t is not None and t.expires > time.monotonic() else None
