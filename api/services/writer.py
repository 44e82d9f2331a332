"""The store's one writer: a slot that a job holds while it writes and lends between its batches.

Why a slot and not the store's own write lock: the store serialises single statements, but an
ingest batch is several statements (items, then their links, then the ledger), and a score's
write-back is many batches that together are one run's results. A call that stores a declaration
between two statements of a batch would read half of it; so every write of the intake routes
takes the slot (`hold`), and a running job holds it from its first write to its end, lending it
(`lend`) at each batch boundary to the short writers waiting then. Reads never take it: they
answer from the last committed statement meanwhile.

Fairness: a writer that arrives while the job lends the slot waits for the job's next boundary
(tickets: the job lets in those that waited before it began to lend, then takes the slot back),
so a stream of calls cannot starve the job, and a call waits at most one batch.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

WAIT_S = 30.0  # a short writer gives up after this long (the API answers 503, Retry-After)


class WriterBusy(Exception):
    """The slot was not free within the wait (a job's batch or write-back took longer)."""


class WriterSlot:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._holder: dict[str, Any] | None = None
        self._issued = 0  # tickets given to short writers
        self._served = 0  # of them, those that have had the slot (or gave up)
        self._lend_upto = 0  # while a job lends: the short writers it lets in (tickets <= this)
        self._job: dict[str, Any] | None = None  # the job that holds (or lends) the slot
        self.lent = 0  # short writes let in between a job's batches since the start

    def holder(self) -> dict[str, Any] | None:
        """Who writes now: the job (kind, id) or a short writer (kind "intake"), with since when."""
        with self._cond:
            return dict(self._holder) if self._holder else None

    def waiting(self) -> int:
        with self._cond:
            return self._issued - self._served

    @contextmanager
    def hold(self, what: str, wait_s: float = WAIT_S) -> Iterator[None]:
        """A short write (an intake call): waits for a free slot or a job's lending, at most `wait_s`."""
        with self._cond:
            self._issued += 1
            ticket = self._issued
            try:
                ok = self._cond.wait_for(lambda: self._holder is None and (
                    self._job is None or ticket <= self._lend_upto), wait_s)
                if not ok:
                    raise WriterBusy(f"the store's writer is busy ({self._describe()}); try again shortly")
                self._holder = {"kind": "intake", "what": what, "since": _now()}
            finally:
                self._served += 1
        try:
            yield
        finally:
            with self._cond:
                self._holder = None
                self._cond.notify_all()

    def take(self, kind: str, job: str, phase: str | None = None) -> None:
        """A job takes the slot for its writes (waiting for a short write in progress to end)."""
        with self._cond:
            self._cond.wait_for(lambda: self._holder is None)
            self._job = {"kind": kind, "job": job, "phase": phase, "since": _now()}
            self._holder = self._job

    def lend(self, phase: str | None = None) -> int:
        """At a job's batch boundary: let in the short writers waiting now, then take the slot back.
        Returns how many were let in."""
        with self._cond:
            if self._job is None:
                return 0
            if phase is not None:
                self._job["phase"] = phase
            upto = self._issued
            if upto <= self._served:
                return 0
            before = self._served
            self._lend_upto, self._holder = upto, None
            self._cond.notify_all()
            self._cond.wait_for(lambda: self._served >= upto and self._holder is None)
            self._holder = self._job
            n = self._served - before
            self.lent += n
            return n

    def release(self) -> None:
        """The job's end: the slot is free."""
        with self._cond:
            self._job = None
            if self._holder is not None and self._holder.get("kind") != "intake":
                self._holder = None
            self._cond.notify_all()

    def _describe(self) -> str:
        h = self._holder or self._job or {}
        return f"{h.get('kind', '?')} {h.get('job') or h.get('what') or ''}".strip()


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
