"""What an ingest job and a score job do inside the runner (`api.services.jobs`): the run itself,
its writer slot (`api.services.writer`) and, after an ingest, the provisional risk of what it touched.

The slot: an ingest job takes it before its first write and lends it at every batch boundary
(`on_batch`, called before a batch is read, for the files written on the job's thread; for the
declarations, written on the ingest's writer thread, `on_written` after each batch), so an intake
call lands between two batches, never inside one; a score job takes it at its write-back
(`on_step("write")`: before it the run only reads the ledger, and intake calls go on) and holds it
to the end, so that one run's results are never mixed with a write of another writer. The runner
releases it when the job ends.

Provisional risk after an ingest (`provisional_after_ingest`): the bundle is read a second time
(its key columns only, through the ingest's own plan and validation, `reader.valid_batches`) and
its rows give the touched parties (`intake.touched_by_rows`), kept to what is new: parties not in
the store before the job, the offenders of its offences, the companies of its officers, and the
traders of its items that link a party with a record (an item among parties without one moves no
seed mass; its trade weight counts at the next full run). They get `refresh_provisional` in rounds
of `ROUND` parties, still holding the slot, marked provisional until the next full run.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from api.services import intake

if TYPE_CHECKING:
    from api.services.jobs import Job, JobRunner

log = logging.getLogger("tamga.jobs")

ROUND = 200  # touched parties per provisional round (a neighbourhood is capped at intake.MAX_PARTIES)
_TOUCH_COLUMNS = {"parties": ("party_id",), "offences": ("party_id",), "officers": ("company_id",),
                  "declarations": intake.TOUCHING_ROLES}


class JobCancelled(Exception):
    """A scoring job stopped between steps, before its write-back."""


def run_ingest(runner: JobRunner, job: Job) -> None:
    from ingest.load import IngestCancelled, ingest_bundle

    p = job.params
    slot = runner.slot

    def lend(file: str) -> int:
        """Lend the slot; the count tells the ingest that others wrote (it then checks every item)."""
        n = slot.lend(file)
        if n:  # in the job's record: how many short writes went in between its batches
            ph = job.phases.get(file)
            if ph is not None:
                ph["let_in"] = (ph.get("let_in") or 0) + n
        return n

    def on_batch(file: str, rows: int) -> int:
        runner.phase(job, file, rows=rows)
        if runner.stop_wanted(job):
            raise IngestCancelled(f"cancelled at a batch boundary of {file} (row {rows:,}); a re-run "
                                  "of the bundle completes it")
        if file != "declarations":  # written on this thread: the batch before is whole
            return lend(file)
        return 0

    def on_written(file: str) -> int:  # the declarations' writer thread, after a batch
        return lend(file)

    before = _touch_rows(runner, p)
    known = _stored_parties(runner, *before) if before is not None else set()
    slot.take("ingest", job.id, "start")
    report = ingest_bundle(runner.store, p["path"], profile=p.get("profile") or "contract",
                           source=p.get("source"), settings=runner.s, progress=False, on_batch=on_batch,
                           on_written=on_written)
    job.report = report.to_dict()
    job.summary = report.summary()
    runner.metrics.rows_per_s.set(report.rows_per_s)
    if before is not None:
        runner.phase(job, "provisional")
        try:
            job.report["provisional"] = provisional_after_ingest(runner, job, *before, known)
        except Exception as e:  # recorded in the report
            log.exception("provisional update after job %s failed", job.id)
            job.report["provisional"] = {"error": f"{type(e).__name__}: {e}"}


def run_score(runner: JobRunner, job: Job) -> None:
    from graph.pipeline.run import score

    writing = False

    def on_step(name: str) -> None:
        nonlocal writing
        if runner.stop_wanted(job) and not writing:
            raise JobCancelled(f"cancelled before step {name!r}; the store is as it was before the run")
        if name == "write" and not writing:
            runner.slot.take("score", job.id, "write")
        writing = writing or name == "write"
        runner.phase(job, name)

    runner.posted.flush()  # the rows posted so far are part of this run (the analytics read the ledger)
    communities = bool(job.params.get("communities", True))
    retrain = bool(job.params.get("retrain", False))
    job.report = json.loads(json.dumps(score(runner.store, runner.s, communities=communities,
                                             progress=False, on_step=on_step, retrain=retrain),
                                       default=str))
    job.summary = json.dumps(job.report, indent=2, default=str)


# --------------------------------------------------------------------------- provisional after ingest

def _source(p: dict[str, Any]) -> str:
    from ingest.profiles import load_profile

    return str(p.get("source") or load_profile(p.get("profile") or "contract").source)


Rows = dict[str, list[dict[str, Any]]]


def _touch_rows(runner: JobRunner, p: dict[str, Any]) -> tuple[str, Rows] | None:
    """The source and the key columns of the bundle's valid rows, by file (None when the bundle
    cannot be planned: the ingest then fails on it and reports why)."""
    from ingest.load.plan import plan_bundle
    from ingest.load.reader import valid_batches
    from ingest.profiles import load_profile
    from ingest.readers import ReadLimits
    from ingest.validate import BundleError

    try:
        plans = plan_bundle(load_profile(p.get("profile") or "contract"), Path(p["path"]).resolve(),
                            runner.s.ingest_max_file_bytes)
        out: dict[str, list[dict[str, Any]]] = {}
        limits = ReadLimits.of(runner.s)
        for name, cols in _TOUCH_COLUMNS.items():
            if name not in plans:
                continue
            rows = out.setdefault(name, [])
            for _, _, _, batch in valid_batches(plans[name], max(1, runner.s.batch_size), limits):
                if batch is not None:
                    got = [batch.cols.get(c) or [None] * len(batch.lines) for c in cols]
                    rows.extend(dict(zip(cols, vals, strict=True)) for vals in zip(*got, strict=True))
        return _source(p), out
    except (BundleError, OSError) as e:
        log.info("no provisional update for this bundle: %s", e)
        return None


def _stored_parties(runner: JobRunner, src: str, rows: Rows) -> set[str]:
    keys = sorted(intake.touched_by_rows(src, {"parties": rows.get("parties", [])}))
    found: set[str] = set()
    for i in range(0, len(keys), 5000):
        found |= {r["key"] for r in runner.store.run("ingest.existing_parties", keys=keys[i:i + 5000])}
    return found


def touched_after_ingest(runner: JobRunner, src: str, rows: Rows, known_before: set[str]) -> set[str]:
    """The parties an ingest's rows touched (module docstring), read after the ingest."""
    new_parties = intake.touched_by_rows(src, {"parties": rows.get("parties", [])}) - known_before
    out = new_parties | intake.touched_by_rows(src, {"offences": rows.get("offences", []),
                                                     "officers": rows.get("officers", [])})
    decl = rows.get("declarations", [])
    traders = sorted(intake.touched_by_rows(src, {"declarations": decl}))
    state: dict[str, dict[str, Any]] = {}
    for i in range(0, len(traders), 5000):
        state |= {r["key"]: r for r in runner.store.run("intake.party_state", keys=traders[i:i + 5000])}
    return out | intake.touched_by_items(src, decl, state)


def provisional_after_ingest(runner: JobRunner, job: Job, src: str, rows: Rows,
                             known_before: set[str]) -> dict[str, Any]:
    """`refresh_provisional` of the touched parties in rounds; a failure is reported, not raised
    (the ingest is done, and the next full run scores the parties anyway)."""
    touched = sorted(touched_after_ingest(runner, src, rows, known_before))
    total: dict[str, Any] = {"touched": len(touched), "rounds": 0, "neighbourhood": 0, "updated": 0,
                             "seconds": 0.0}
    for i in range(0, len(touched), ROUND):
        if runner.stop_wanted(job):
            total["stopped"] = "the server stopped: the rest wait for the next full run"
            break
        runner.slot.lend("provisional")  # between rounds, as between batches
        r = intake.refresh_provisional(runner.store, touched[i:i + ROUND])
        total["rounds"] += 1
        for k in ("neighbourhood", "updated", "seconds"):
            total[k] = round(total[k] + r[k], 4)
    return total
