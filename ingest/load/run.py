"""The two entry points, `ingest_bundle` (a folder) and `ingest_rows` (rows in memory), and the one
run both are: plan, record the run as started, load the phases in order, record its end.

Its own module because the run's bookkeeping (the IngestRun node at the start and at the end, the
report, the quarantine's end) is the same for both inputs and independent of how rows load.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graph.settings import Settings, get_settings
from graph.store import GraphStore
from ingest.load.loader import Loader
from ingest.load.plan import FilePlan, plan_bundle, plan_rows
from ingest.load.report import IngestReport, write_report
from ingest.load.status import count_graph
from ingest.profiles import Profile, load_profile
from ingest.validate import BundleError, IngestStopped, Quarantine


def ingest_bundle(store: GraphStore, path: str | os.PathLike[str], *, profile: str = "contract",
                  source: str | None = None, settings: Settings | None = None,
                  progress: bool = True, on_batch: Callable[[str, int], int | None] | None = None,
                  on_written: Callable[[str], int | None] | None = None) -> IngestReport:
    """Load a bundle folder into the store through a mapping profile; return the report.

    Raises `BundleError` (naming the file and column) before writing anything when a required
    file or column is missing, a file is too big, or a file is a link out of the folder. Bad rows
    are quarantined, the rest loads; `IngestStopped` (a `BundleError`) ends the run part-way when
    a read limit or the quarantine's bounds are passed (the run is then recorded as failed).
    Loading the same bundle again changes no count. The report is written as JSON and text into
    `settings.reports_dir` and stored as an `IngestRun` node, at the start ("running") and the end.
    `on_batch(file, rows_read)` is called before each batch is written (a server's job shows it as
    progress); raising `IngestCancelled` there stops the run at that batch boundary ("cancelled").
    `on_written(file)` is called once a batch is written whole, on the thread that wrote it (the
    declarations' batches are written on a writer thread: a server lends its writer there). Both
    return how many other writers wrote to the store in between (a server's lent writer): from then
    on the run checks every item against the store, even on a store that was empty when it began.
    """
    s = settings or get_settings()
    prof = load_profile(profile)
    src = _source_name(source or prof.source)
    folder = Path(path).resolve()
    plans = plan_bundle(prof, folder, s.ingest_max_file_bytes)  # raises before anything is written
    return _run(store, prof, plans, src, str(folder), s, progress, on_batch, on_written)


def ingest_rows(store: GraphStore, rows: dict[str, list[dict[str, Any]]], *, source: str,
                settings: Settings | None = None, profile: str = "contract", label: str = "rows",
                record: bool = True, parties_stored: bool = False, ledger: Any = None) -> IngestReport:
    """Load rows handed over in memory, keyed by contract file ("parties", "declarations",
    "officers", "offences"; each row a dict of contract columns), as if they were a bundle: the
    same plan checks, validation, quarantine, bounds, idempotence and report (one code path, see
    `_run`). No file is written except the report and the quarantine.

    Values may be strings or Python values (numbers, dates: written as a CSV would hold them;
    None is empty). A row's "line" in the quarantine is its 1-based position in its list. As for a
    bundle, "parties" is required and every party a declaration names must be among the rows or
    already stored; to add items for stored parties, hand over their stored records (with the same
    name and country, or they are quarantined as conflicts). Raises `BundleError` before writing
    when a required file or column is missing, `IngestStopped` when nothing of a file loads or the
    quarantine's bounds are passed. `label` names the run's input in its report (its `path`).

    `record=False` is the lean path for a few rows per call (the API's streamed declarations; one
    row on a 100k store, measured: 1.8 s per call otherwise, of which 1.4 s counting the graph twice
    and 0.6 s two whole-file checkpoints, vs 3 ms lean): the same plan, validation,
    quarantine and loading, but no IngestRun node, no report files, no graph counts, no schema
    check (the caller opened the store and ensured it) and no bulk-load block with its whole-file
    checkpoint (the WAL has every statement; automatic checkpoints stay on). The report is only
    returned: the caller keeps the record (the API's audit trail).

    Two lighter steps for the API's calls, both only with `record=False`: `parties_stored=True`
    says the "parties" rows are the store's own records of the parties (read by the caller): they
    are known, not merged again (no write, no ledger row: they are in both already; measured 14 ms
    of a one-item call at 100k items); `ledger` (an object with the ledger's `append`) takes the
    run's ledger rows instead of the ledger, for the caller to append in batches (the API journals
    them first, `api.services.posted`: the ledger's digests cost about as much for one row as for
    a thousand, 28 ms of a one-item call on a busy machine).
    """
    s = settings or get_settings()
    prof = load_profile(profile)
    plans = plan_rows(prof, rows)
    if not record:
        known = [str(r["party_id"]) for r in rows["parties"] if r.get("party_id")] if parties_stored else None
        return _run_lean(store, prof, plans, _source_name(source), label, s, known, ledger)
    return _run(store, prof, plans, _source_name(source), label, s, progress=False)


class IngestCancelled(Exception):
    """Raised by an `on_batch` callback to stop a run at a batch boundary (a cancelled job): what
    was written is complete up to that batch, and a re-run of the bundle completes the rest.
    `report` is the run's report, set by the run before it re-raises."""

    report: IngestReport | None = None


def _source_name(src: str | None) -> str:
    if not src or ":" in src:
        raise BundleError(f"invalid source name {src!r} (no ':' allowed: it prefixes node keys)")
    return src


def _run(store: GraphStore, prof: Profile, plans: dict[str, FilePlan], src: str, path: str, s: Settings,
         progress: bool, on_batch: Callable[[str, int], int | None] | None = None,
         on_written: Callable[[str], int | None] | None = None) -> IngestReport:
    """One run over planned inputs. The IngestRun node is written before the first row ("running")
    and again at the end ("done" or "failed"), so that a run killed in between stays visible
    (`store_status`'s `interrupted_runs`); a run that completes closes the earlier interrupted
    runs of the same input and source."""
    started = datetime.now(UTC)
    run_id = started.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
    report = IngestReport(run_id, prof.name, src, path, started.isoformat(timespec="seconds"))
    quarantine = Quarantine(s.quarantine_dir / run_id)
    t0 = time.perf_counter()
    store.ensure_schema()
    report.nodes_before, report.rels_before = count_graph(store)
    write_report(store, s, report)  # status "running"
    loader = Loader(store, prof, src, s, report, quarantine, progress)
    loader.on_batch, loader.on_written = on_batch, on_written
    store_usable = True
    try:
        def phase(name: str, fn: Callable[..., None], *args: Any) -> None:
            t = time.perf_counter()
            fn(*args)
            report.phase_seconds[name] = round(time.perf_counter() - t, 2)
            loader.check_file(name)

        with store.bulk_load():
            _load_phases(loader, plans, phase)
            t_end = time.perf_counter()
        # the bulk load's one checkpoint
        report.phase_seconds["checkpoint"] = round(time.perf_counter() - t_end, 2)
        report.status = "done"
    except IngestCancelled as e:
        report.status, report.error = "cancelled", str(e) or "cancelled"
        e.report = report
        raise
    except IngestStopped as e:
        report.status, report.error = "failed", str(e)
        e.report = report
        raise
    except BaseException as e:
        report.status, report.error = "failed", f"{type(e).__name__}: {e}"
        store_usable = False  # the store itself may have failed
        raise
    finally:
        _close(loader, quarantine, report, t0)
        report.rows_per_s = round(report.rows_read / report.duration_s, 1) if report.duration_s else 0.0
        d = report.files.get("declarations")
        if d and loader.decl_seconds:
            report.declaration_rows_per_s = round(d.read / loader.decl_seconds, 1)
        _finish(store, s, report, store_usable)
    return report


def _run_lean(store: GraphStore, prof: Profile, plans: dict[str, FilePlan], src: str, path: str,
              s: Settings, known_parties: list[str] | None = None, ledger: Any = None) -> IngestReport:
    """`_run` without its bookkeeping (see `ingest_rows(record=False)`): the phases in the same
    order with the same checks and quarantine. The store is treated as holding items and parties
    already (so every key is looked up, as in any run on a non-empty store)."""
    started = datetime.now(UTC)
    run_id = started.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
    report = IngestReport(run_id, prof.name, src, path, started.isoformat(timespec="seconds"))
    report.nodes_before = {"Declaration": 1, "Party": 1}  # not a fresh store: look every key up
    quarantine = Quarantine(s.quarantine_dir / run_id)
    t0 = time.perf_counter()
    loader = Loader(store, prof, src, s, report, quarantine, False)
    loader.write_inline = True
    if ledger is not None:
        loader.ledger = ledger
    if known_parties is not None:
        loader.known_parties.update(loader.key(p) for p in known_parties)

    def phase(name: str, fn: Callable[..., None], *args: Any) -> None:
        if name == "parties" and known_parties is not None:
            return
        fn(*args)
        loader.check_file(name)

    try:
        # the ledger is flushed as the last phase: the rows are in it too before the caller is answered
        _load_phases(loader, plans, phase)
        report.status = "done"
    except BaseException as e:
        report.status, report.error = "failed", f"{type(e).__name__}: {e}"
        raise
    finally:
        _close(loader, quarantine, report, t0)
    return report


def _load_phases(loader: Loader, plans: dict[str, FilePlan], phase: Callable[..., None]) -> None:
    """The contract files in their one order (parties before the items and offences that name
    them), then the ledger's last buffered rows; `phase(name, fn, *args)` runs each (timed and
    checked by the full run, checked by the lean one)."""
    phase("parties", loader.load_parties, plans)
    if "officers" in plans:
        phase("officers", loader.load_officers, plans["officers"])
    phase("declarations", loader.load_declarations, plans["declarations"])
    if "offences" in plans:
        phase("offences", loader.load_offences, plans["offences"])
    phase("ledger", loader.flush_ledger)


def _close(loader: Loader, quarantine: Quarantine, report: IngestReport, t0: float) -> None:
    """A run's end, whatever its outcome: the quarantine written and closed, the time and the
    quarantine's summary in the report."""
    loader.flush_quarantine()
    quarantine.close()
    report.duration_s = round(time.perf_counter() - t0, 4)
    report.finished_at = datetime.now(UTC).isoformat(timespec="seconds")
    if quarantine.total:
        report.quarantine_path = str(quarantine.jsonl_path)
        report.quarantine_reasons = {f"{f}: {r}": n for (f, r), n in quarantine.reasons.items()}


def _finish(store: GraphStore, s: Settings, report: IngestReport, store_usable: bool) -> None:
    """Record the run's end: counts, report files, the IngestRun node. After a store failure the
    files are written first and the node is still attempted (a store that recovered shows the run
    as failed); if that fails too, the run stays "running" in the store: interrupted, as it was."""
    if store_usable:
        store.checkpoint()
        report.nodes_after, report.rels_after = count_graph(store)
        if report.status == "done":
            closed = store.run("ingest.close_interrupted_runs", key=report.run_id, source=report.source,
                               path=report.path, finished_at=report.finished_at)
            report.completes = [r["key"] for r in closed]
        write_report(store, s, report)
        return
    write_report(None, s, report)
    with contextlib.suppress(Exception):  # the store is failing: the files just written are the record
        write_report(store, s, report)
