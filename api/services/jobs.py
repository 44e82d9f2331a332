"""Jobs: ingest and scoring runs inside `tamga serve`, one writer at a time, while reads go on.

Why a queue and one worker thread: the embedded store has one writer (its write lock), and an
ingest beside a scoring run would score half a bundle. Read routes keep answering beside the job:
Grafeo reads run beside the write lock, and every ingest batch (every write-back batch of a score)
commits on its own, so a reader sees the last committed batch. The writer itself is a slot
(`api.services.writer`) that the running job holds while it writes and lends between its batches
to the intake routes; what each kind of job does is `api.services.job_runs`, the nightly full run
`api.services.schedule`.

Records: one JSON file per job, `<data_dir>/jobs/<id>.json` (0600 in a 0700 folder), replaced
atomically (temporary file, fsync, rename). Why files and not `Job` nodes in the store: a job's
record has to outlive the failures it reports (a store that will not open, a `kill -9` in the
middle of a bulk load whose WAL replays at the next start), and progress is written about once a
second, which in the store would be writes between the job's own batches. The run's own report is
in the store as well (IngestRun, ScoreRun). At start-up a record left `running` is marked
`interrupted` (the process died under it) and one left `queued` is queued again.

Cancelling: a queued job is dropped; a running ingest stops before its next batch is written
(`ingest_bundle(on_batch=...)` raising `IngestCancelled`); a running score stops between steps
up to its write-back (`score(on_step=...)`), after which it runs to the end, so that no run is
left with some parties scored anew and others not. A re-run (`rerun`) submits the same input
again: the ingest is idempotent and the score recomputes, so both reach the uninterrupted end state.
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import os
import queue
import secrets
import shutil
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Gauge, Histogram

from api import audit
from api.services.job_runs import JobCancelled, run_ingest, run_score
from api.services.posted import PostedLog
from api.services.schedule import ScoreSchedule
from api.services.writer import WriterSlot
from graph.settings import Settings
from graph.store import GraphStore

log = logging.getLogger("tamga.jobs")

KINDS = ("ingest", "score")
STATES = ("queued", "running", "done", "failed", "cancelled", "interrupted")
FINAL = frozenset({"done", "failed", "cancelled", "interrupted"})
JOB_NICE = 10  # the worker thread's niceness (see `_work`)
SWITCH_INTERVAL_S = 0.001
PROGRESS_EVERY_S = 1.0  # at most one progress write per second (phase changes are written at once)


class QueueFull(Exception):
    """More than `settings.job_queue_max` jobs are waiting."""


@dataclass
class Job:
    id: str
    kind: str
    params: dict[str, Any]
    user: str
    client: str
    state: str = "queued"
    submitted_at: str = ""
    started_at: str | None = None
    finished_at: str | None = None
    phase: str | None = None
    phases: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> rows, started_at, seconds
    report: dict[str, Any] | None = None
    summary: str | None = None
    error: str | None = None
    error_kind: str | None = None  # "bad_input" or "failure"
    cancel_requested: bool = False
    rerun_of: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _write_private(path: Path, data: bytes) -> None:
    """Write `path` atomically, readable by its owner only."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


class JobMetrics:
    """The jobs' Prometheus figures, in the app's registry."""

    def __init__(self, registry: CollectorRegistry):
        self.duration = Histogram("tamga_job_duration_seconds", "job run time, by kind and outcome",
                                  ["kind", "outcome"],
                                  buckets=(1, 5, 15, 30, 60, 120, 300, 900, 1800, 3600, 7200),
                                  registry=registry)
        self.rows_per_s = Gauge("tamga_ingest_rows_per_second", "rows per second of the last ingest job",
                                registry=registry)
        self.queue_length = Gauge("tamga_job_queue_length", "jobs waiting for the writer", registry=registry)
        self.running = Gauge("tamga_job_running", "1 while a job of this kind holds the writer", ["kind"],
                             registry=registry)
        self.data_version = Gauge("tamga_data_version", "ingest and scoring runs ended in the store "
                                  "(grows whenever a writer finishes)", registry=registry)


class JobRunner:
    """The queue, its worker thread and the job records of one server."""

    def __init__(self, settings: Settings, store: GraphStore, registry: CollectorRegistry,
                 after_write: Callable[[], None] | None = None):
        self.s, self.store = settings, store
        self.dir = private_dir(settings.data_dir / "jobs")
        self.uploads = self.dir / "uploads"
        self.metrics = JobMetrics(registry)
        self.after_write = after_write
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._current: Job | None = None
        self._thread: threading.Thread | None = None
        self._last_saved: dict[str, float] = {}
        self._stopping = threading.Event()  # shutdown: the running job stops as interrupted, not cancelled
        self.slot = WriterSlot()  # the store's one writer: jobs and the intake routes (api.services.writer)
        self.posted = PostedLog(settings, self.slot.hold)  # posted rows on their way to the ledger
        self.schedule = ScoreSchedule(self, settings.score_schedule) if settings.score_schedule else None

    # ------------------------------------------------------------------ life cycle

    def start(self) -> None:
        """Load the records (a running one is now interrupted, a queued one queued again), start the
        worker."""
        for path in sorted(self.dir.glob("*.json")):
            try:
                job = Job(**json.loads(path.read_text(encoding="utf-8")))
            except (ValueError, TypeError) as e:
                log.error("job record %s unreadable (%s): left as it is", path.name, e)
                continue
            self._jobs[job.id] = job
            if job.state == "running":
                job.state, job.finished_at = "interrupted", audit.now_iso()
                job.error = "the server stopped while the job ran; re-run it to complete the run"
                self._save(job)
                self._audit(job, "job.interrupted", "system", 503)
            elif job.state == "queued":
                self._queue.put(job.id)
        self._update_gauges()
        self._refresh_data_version()
        self.posted.replay(self.store)
        self.posted.start(self._stopping)
        # what the server loaded so far (search index, settings, modules) lives as long as it does:
        # out of the collector's sight, a full collection no longer walks it (measured at 100k items:
        # a 185 ms gen-2 pause in 300 one-item calls, the tail of POST /declarations)
        gc.freeze()
        # the job, the ledger flush and the provisional update are CPU-bound threads beside the
        # requests: a request thread that waits for the GIL gets it after 1 ms, not Python's 5 ms
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        self._thread = threading.Thread(target=self._work, name="tamga-jobs", daemon=True)
        self._thread.start()
        if self.schedule is not None:
            self.schedule.start(self._stopping)

    def stop(self) -> None:
        """Stop taking jobs; a running job is asked to stop and waited for (`job_shutdown_timeout_s`)."""
        self._stopping.set()
        current = self._current
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(self.s.job_shutdown_timeout_s)
            if self._thread.is_alive():
                log.error("job %s did not stop within %.0f s; it will be reported interrupted at the "
                          "next start",
                          current.id if current else "?", self.s.job_shutdown_timeout_s)
        try:
            self.posted.close()
        except Exception:  # the journal keeps the rows: the next start replays them
            log.exception("posted rows not flushed to the ledger at shutdown")

    # ------------------------------------------------------------------ requests

    def submit(self, kind: str, params: dict[str, Any], *, user: str, client: str,
               rerun_of: str | None = None, job_id: str | None = None) -> Job:
        if kind not in KINDS:
            raise ValueError(f"unknown job kind {kind!r}")
        with self._lock:
            if self._queue.qsize() >= self.s.job_queue_max:
                raise QueueFull(f"{self.s.job_queue_max} jobs are waiting already; try again later")
            job = Job(id=job_id or new_job_id(), kind=kind, params=params, user=user, client=client,
                      submitted_at=audit.now_iso(), rerun_of=rerun_of)
            self._jobs[job.id] = job
            self._save(job)
            self._queue.put(job.id)
        self._update_gauges()
        return job

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def list(self, limit: int = 50) -> list[Job]:
        return sorted(self._jobs.values(), key=lambda j: j.submitted_at, reverse=True)[:limit]

    def cancel(self, job: Job) -> Job:
        """Drop a queued job at once; ask a running one to stop at its next boundary."""
        with self._lock:
            if job.state == "queued":
                job.state, job.finished_at, job.error = "cancelled", audit.now_iso(), "cancelled while queued"
                self._save(job)
            elif job.state == "running":
                job.cancel_requested = True
                self._save(job)
        self._update_gauges()
        return job

    def rerun(self, job: Job, *, user: str, client: str) -> Job:
        if job.params.get("upload") and not Path(job.params["path"]).is_dir():
            raise ValueError(f"the bundle uploaded for job {job.id} was removed when it was done: "
                             "upload it again")
        return self.submit(job.kind, dict(job.params), user=user, client=client, rerun_of=job.id)

    def writer(self) -> dict[str, Any] | None:
        """Who holds the store's writer now (for /readyz): a job (kind, id, phase) or an intake
        call; None while nobody writes (a score job reading the ledger before its write-back)."""
        h = self.slot.holder()
        if h is None:
            return None
        j = self._current
        if h.get("job") and j is not None and j.id == h["job"]:
            return {**h, "phase": j.phase, "started_at": j.started_at}
        return h

    def queued(self) -> int:
        return sum(1 for j in self._jobs.values() if j.state == "queued")

    # ------------------------------------------------------------------ the worker

    def _work(self) -> None:
        # Linux schedules threads on their own: the worker (and the threads and reader process it
        # starts, which inherit it) yields the cores to the threads answering requests
        with contextlib.suppress(AttributeError, OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), JOB_NICE)
        while True:
            job_id = self._queue.get()
            if job_id is None or self._stopping.is_set():
                return  # jobs still queued stay queued: the next start queues them again
            job = self._jobs.get(job_id)
            if job is None or job.state != "queued":
                continue
            with self._lock:
                self._current = job
                job.state, job.started_at = "running", audit.now_iso()
                self._save(job)
            self._update_gauges()
            self._audit(job, "job.start", job.user, 202)
            t0 = time.perf_counter()
            try:
                self._run(job)
            except BaseException:  # the worker must outlive any job
                log.exception("job %s failed", job.id)
            finally:
                self.metrics.duration.labels(job.kind, job.state).observe(time.perf_counter() - t0)
                self.slot.release()
                with self._lock:
                    self._current = None
                    self._save(job)
                self._update_gauges()
                self._refresh_data_version()
                self._audit(job, "job.finish", job.user, _AUDIT_STATUS.get(job.state, 500))
                if self.after_write is not None:
                    with contextlib.suppress(Exception):
                        self.after_write()

    def _run(self, job: Job) -> None:
        try:
            (run_ingest if job.kind == "ingest" else run_score)(self, job)
            if job.phase in job.phases:  # before the state: a reader of a done job sees every phase ended
                self._end_phase(job)
            job.finished_at = audit.now_iso()
            job.state = "done"
            self._drop_upload(job)
        except JobCancelled as e:
            self._stopped(job, str(e))
        except Exception as e:  # noqa: BLE001 — recorded on the job, with its kind
            from ingest.load import BundleError, IngestCancelled

            if isinstance(e, IngestCancelled):
                self._stopped(job, str(e))
                report = getattr(e, "report", None)
            elif isinstance(e, BundleError):
                job.state, job.error, job.error_kind = "failed", str(e), "bad_input"
                report = getattr(e, "report", None)
            else:
                job.state, job.error, job.error_kind = "failed", f"{type(e).__name__}: {e}", "failure"
                report = None
            if report is not None:
                job.report = report.to_dict()
        finally:
            job.finished_at = audit.now_iso()
            if job.phase and job.phase in job.phases:
                self._end_phase(job)

    def stop_wanted(self, job: Job) -> bool:
        return job.cancel_requested or self._stopping.is_set()

    def _stopped(self, job: Job, why: str) -> None:
        if job.cancel_requested:
            job.state, job.error = "cancelled", why
        else:  # the server is shutting down: nobody cancelled it, it is to be re-run
            job.state, job.error = "interrupted", f"the server stopped: {why}"

    def _drop_upload(self, job: Job) -> None:
        """An uploaded bundle is kept until its job is done (a failed or stopped job may be re-run)."""
        if job.params.get("upload"):
            shutil.rmtree(job.params["path"], ignore_errors=True)

    # ------------------------------------------------------------------ progress and records

    def phase(self, job: Job, name: str, rows: int | None = None) -> None:
        changed = job.phase != name
        if changed:
            if job.phase in job.phases:
                self._end_phase(job)
            job.phase = name
            job.phases[name] = {"started_at": audit.now_iso(), "t0": time.perf_counter(), "seconds": None}
        if rows is not None:
            job.phases[name]["rows"] = rows
        if changed or time.monotonic() - self._last_saved.get(job.id, 0.0) >= PROGRESS_EVERY_S:
            with self._lock:
                self._save(job)

    @staticmethod
    def _end_phase(job: Job) -> None:
        assert job.phase is not None  # both callers check that it is in job.phases
        ph = job.phases[job.phase]
        if ph.get("seconds") is None and "t0" in ph:
            ph["seconds"] = round(time.perf_counter() - ph.pop("t0"), 3)

    def _save(self, job: Job) -> None:
        d = job.to_dict()
        d["phases"] = {k: {kk: vv for kk, vv in v.items() if kk != "t0"} for k, v in job.phases.items()}
        _write_private(self.dir / f"{job.id}.json", json.dumps(d, default=str).encode())
        self._last_saved[job.id] = time.monotonic()

    def _audit(self, job: Job, action: str, user: str, status: int) -> None:
        try:
            audit.record(self.store, user=user, action=action, target=f"{job.kind} job {job.id} {job.state}",
                         client=job.client, status=status)
        except Exception:  # a failing store must not stop the worker; the record file stays
            log.exception("could not audit %s of job %s", action, job.id)

    def _update_gauges(self) -> None:
        self.metrics.queue_length.set(self.queued())
        cur = self._current
        for k in KINDS:
            self.metrics.running.labels(k).set(1 if cur is not None and cur.kind == k else 0)

    def _refresh_data_version(self) -> None:
        try:
            n = sum(r["n"] for q in ("jobs.ended_ingest_runs", "jobs.ended_score_runs")
                    for r in self.store.run(q))
            self.metrics.data_version.set(n)
        except Exception:  # a metric, not a reason to fail
            log.exception("could not read the data version")

    def upload_dir(self, job_id: str) -> Path:
        """Where an uploaded bundle of `job_id` is unpacked (kept, so that the job can be re-run)."""
        d = private_dir(self.uploads) / job_id
        if d.exists():
            shutil.rmtree(d)
        return private_dir(d)


_AUDIT_STATUS = {"done": 200, "failed": 500, "cancelled": 409, "interrupted": 503}


def new_job_id() -> str:
    """Time-ordered and unguessable: `j` + UTC time + random hex."""
    return "j" + time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + secrets.token_hex(5)
