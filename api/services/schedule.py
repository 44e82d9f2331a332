"""The full run's schedule: `tamga serve` queues a scoring job at a daily UTC time (setting
`score_schedule`, "HH:MM"; off by default), so provisional scores give way to full ones nightly.

When the next run is due is computed, never stored: the first HH:MM after the later of the last
scoring run that ended done (the store's ScoreRun nodes: a run of the CLI without a server counts
too) and the time the last job this schedule queued was due (`scheduled_for` in its record: a
run that failed is not retried until the next day). So a restart keeps the schedule, and a server
that was down at the hour runs it as soon as it is back. Nothing is queued while a score job is
queued or running already.

`clock` is a parameter (tests pass their own time); `tick()` is one look at it, which the thread
makes every `EVERY_S` seconds.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from api.services.jobs import Job, JobRunner

log = logging.getLogger("tamga.jobs")

EVERY_S = 30.0
USER = "schedule"  # the submitter of scheduled jobs (in their records and the audit trail)


def _utc(v: Any) -> datetime | None:
    if v is None or v == "":
        return None
    d = v if isinstance(v, datetime) else datetime.fromisoformat(str(v).replace("Z", "+00:00"))
    return d.replace(tzinfo=UTC) if d.tzinfo is None else d.astimezone(UTC)


def next_after(base: datetime, at: time) -> datetime:
    """The first `at` (UTC) strictly after `base`."""
    day = datetime.combine(base.astimezone(UTC).date(), at, tzinfo=UTC)
    return day if day > base else day + timedelta(days=1)


class ScoreSchedule:
    def __init__(self, runner: JobRunner, at: str, clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        hh, mm = (int(x) for x in at.split(":"))
        self.runner, self.at, self.clock = runner, time(hh, mm), clock
        self.started = clock()  # with no run and no attempt yet: the first HH:MM after the start
        self._thread: threading.Thread | None = None

    def last_done(self) -> datetime | None:
        """When the last scoring run that ended done finished (from the store)."""
        runs = self.runner.store.run("analytics.latest_score_runs", limit=20)
        ends = [_utc(r["finished_at"]) for r in runs]
        return max((e for e in ends if e is not None), default=None)

    def last_attempt(self) -> datetime | None:
        """The latest time a job of this schedule was queued for (its record's `scheduled_for`)."""
        tried = [_utc(j.params.get("scheduled_for")) for j in self.runner.list(limit=10_000)
                 if j.kind == "score" and j.user == USER]
        return max((t for t in tried if t is not None), default=None)

    def next_run(self) -> datetime:
        known = [t for t in (self.last_done(), self.last_attempt()) if t is not None]
        base = max(known, default=self.started)
        return next_after(base, self.at)

    def next_run_at(self) -> str:
        return self.next_run().isoformat(timespec="seconds").replace("+00:00", "Z")

    def tick(self) -> Job | None:
        """Queue the scoring job if it is due and none is queued or running; returns it, or None."""
        due = self.next_run()
        if self.clock() < due:
            return None
        jobs = self.runner.list(limit=10_000)
        if any(j.kind == "score" and j.state in ("queued", "running") for j in jobs):
            return None  # the run that is due is that one; its end moves the schedule on
        job = self.runner.submit("score", {"communities": True, "scheduled_for": due.isoformat()},
                                 user=USER, client=USER)
        log.warning("scheduled scoring run %s queued (schedule %s UTC)", job.id, self.at.strftime("%H:%M"))
        return job

    def start(self, stopping: threading.Event) -> None:
        def loop() -> None:
            while not stopping.wait(EVERY_S):
                try:
                    self.tick()
                except Exception:  # the schedule must outlive a failing look (a queue full, a store error)
                    log.exception("the score schedule could not queue its run")

        self._thread = threading.Thread(target=loop, name="tamga-schedule", daemon=True)
        self._thread.start()
