"""Loading a bundle into the store: `ingest_bundle`, and the status views `store_status`,
`last_reports`.

The order is parties (and their identifier nodes), officers, declarations, offences, so that
every reference points at something already stored. Everything goes through named queries in
`queries/ingest/` in client-side batches of `settings.batch_size` rows; declaration items go
through `store.create_linked_nodes`, whose portable form is the query
`ingest.create_declarations` and which Grafeo runs with its bulk calls (~1.4x faster, measured); the whole
load runs inside `store.bulk_load()` (Grafeo: automatic checkpoints deferred to its end).

Speed (1M rows, 2 cores: 9.1k declaration rows/s, 0.70 of what Grafeo's own batch calls reach with
the items prepared beforehand, see bench/bench_ingest.py): rows are validated a batch at a time,
column by column (`BatchValidator`); big files are read in a reader process; a writer thread stores
one batch while the next is built.

Idempotency and `kill -9`: parties, identifiers, codes, routes, officers and offences are MERGEd.
Declaration items, the bulk, are CREATEd for speed, but only for keys the store does not hold yet
(one lookup per batch; none when the store held no item as the run began, since keys are unique
within a bundle). A batch's items and their relationships are written in at most two
transactions (nodes, then all relationships with CLASSIFIED_AS among them); an item found without
its CLASSIFIED_AS (a run killed in between) is completed through the MERGE path
(`ingest.merge_declarations`). Re-running any bundle thus converges on the counts of one
uninterrupted run. IngestRun nodes are the exception by design: one per run.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import orjson

from graph.domain import schema
from graph.ledger import Ledger
from graph.settings import Settings, get_settings
from graph.store import GraphStore
from ingest import ledger_rows, readers
from ingest import normalise as nz
from ingest.profiles import FileMapping, Profile, load_profile
from ingest.validate import BatchValidator, BundleError, Quarantine, QuarantineRecord

__all__ = ["BundleError", "IngestReport", "count_graph", "ingest_bundle", "last_reports", "store_status"]

LOAD_ORDER = ("parties", "officers", "declarations", "offences")
_IDENT_QUERY = {i.label: f"ingest.link_{i.party_column}" for i in schema.IDENTIFIERS}
_ROLE_FIELD = {c: c.removesuffix("_id") for c in schema.PARTY_ROLES}  # declarant_id -> declarant
# The relationships of a new declaration item: row field -> (type, end label). The query
# ingest.create_declarations writes the same ones (the portable path of create_linked_nodes).
# Declaration properties taken from the contract row unchanged (the rest are derived).
# The route's columns are not copied: they live on the Route node (see graph.domain.schema).
_DECLARATION_COPY = ("declaration_id", "date", "regime", "customs_office", "hs_code", "goods_description",
                     "net_mass_kg", "gross_mass_kg", "quantity", "quantity_unit", "customs_value", "currency",
                     "duty_rate", "duty_amount", "channel", "inspection_result")
DECLARATION_LINKS: dict[str, tuple[str, str]] = {
    **{_ROLE_FIELD[c]: (t, "Party") for c, t in schema.PARTY_ROLES.items()},
    "route": ("ON_ROUTE", "Route"), "vehicle": ("TRANSPORTED_BY", "Vehicle"), "hs": ("CLASSIFIED_AS", "HSCode"),
}


# --------------------------------------------------------------------------- the report


@dataclass
class FileReport:
    read: int = 0
    loaded: int = 0
    existing: int = 0  # valid rows whose item was already stored (re-run): left unchanged
    quarantined: int = 0
    paths: list[str] = field(default_factory=list)


@dataclass
class IngestReport:
    run_id: str
    profile: str
    source: str
    path: str
    started_at: str
    finished_at: str = ""
    duration_s: float = 0.0
    status: str = "running"
    files: dict[str, FileReport] = field(default_factory=dict)
    nodes_before: dict[str, int] = field(default_factory=dict)
    nodes_after: dict[str, int] = field(default_factory=dict)
    rels_before: dict[str, int] = field(default_factory=dict)
    rels_after: dict[str, int] = field(default_factory=dict)
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    quarantine_path: str | None = None
    report_path: str | None = None
    declaration_rows_per_s: float = 0.0
    rows_per_s: float = 0.0
    phase_seconds: dict[str, float] = field(default_factory=dict)  # parties, officers, ..., checkpoint
    reader_peak_rss_mb: float = 0.0  # of the reader process, when big files had one

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def rows_read(self) -> int:
        return sum(f.read for f in self.files.values())

    @property
    def rows_quarantined(self) -> int:
        return sum(f.quarantined for f in self.files.values())

    def summary(self) -> str:
        """The report for a human at a terminal."""
        lines = [f"Ingest {self.run_id}: {self.status}, profile {self.profile}, source {self.source!r}",
                 f"  bundle   {self.path}",
                 (f"  duration {self.duration_s:.1f} s, {self.rows_per_s:,.0f} rows/s "
                  f"(declarations {self.declaration_rows_per_s:,.0f} rows/s)"),
                 "  seconds  " + ", ".join(f"{k} {v:.1f}" for k, v in self.phase_seconds.items()),
                 f"  {'file':<14}{'read':>10}{'loaded':>10}{'existing':>10}{'quarantined':>13}"]
        for name, f in self.files.items():
            lines.append(f"  {name:<14}{f.read:>10,}{f.loaded:>10,}{f.existing:>10,}{f.quarantined:>13,}")
        lines.append("  nodes          " + _delta(self.nodes_before, self.nodes_after))
        lines.append("  relationships  " + _delta(self.rels_before, self.rels_after))
        if self.quarantine_path:
            lines.append(f"  quarantine     {self.quarantine_path}")
            for reason, n in sorted(self.quarantine_reasons.items(), key=lambda kv: -kv[1])[:10]:
                lines.append(f"    {n:>8,}  {reason}")
        if self.report_path:
            lines.append(f"  report         {self.report_path}")
        return "\n".join(lines)


def _delta(before: dict[str, int], after: dict[str, int]) -> str:
    parts = []
    for k in sorted(set(before) | set(after)):
        a, b = before.get(k, 0), after.get(k, 0)
        if a or b:
            parts.append(f"{k} {b:,}" + (f" (+{b - a:,})" if b != a else ""))
    return ", ".join(parts) or "none"


# --------------------------------------------------------------------------- counts and status


def count_graph(store: GraphStore) -> tuple[dict[str, int], dict[str, int]]:
    """Nodes per label and relationships per type, every kind of `graph.domain.schema` listed (0 if none)."""
    row = store.run("status.count_nodes")[0]
    nodes = {n.label: int(row.get(n.label) or 0) for n in schema.NODES}
    row = store.run("status.count_relationships")[0]
    rels = {r.type: int(row.get(r.type) or 0) for r in schema.RELS}
    return nodes, rels


def store_status(store: GraphStore) -> dict[str, Any]:
    """For `tamga status`: counts per node label and relationship type, and the last ingest report."""
    nodes, rels = count_graph(store)
    last = last_reports(store, limit=1)
    return {"backend": store.backend, "nodes": nodes, "relationships": rels,
            "total_nodes": sum(nodes.values()), "total_relationships": sum(rels.values()),
            "last_ingest": last[0] if last else None}


def last_reports(store: GraphStore, limit: int = 20) -> list[dict[str, Any]]:
    """The latest ingest reports, newest first (the stored JSON, parsed)."""
    out = []
    for r in store.run("status.ingest_runs", limit=int(limit)):
        try:
            rep = json.loads(r["report"]) if r.get("report") else {}
        except ValueError:
            rep = {"unreadable_report": r.get("report")}
        rep.setdefault("run_id", r.get("key"))
        rep.setdefault("status", r.get("status"))
        out.append(rep)
    return out


# --------------------------------------------------------------------------- the plan (checked before writing)


@dataclass
class _FilePlan:
    name: str
    mapping: FileMapping
    paths: list[Path]
    headers: dict[Path, list[str]]


def _plan(profile: Profile, folder: Path) -> dict[str, _FilePlan]:
    """Which physical files feed which contract file; raise `BundleError` for any missing required
    file or column. Reads headers only: nothing is written before this passes."""
    if not folder.is_dir():
        raise BundleError(f"bundle folder not found: {folder}", file=None)
    plans: dict[str, _FilePlan] = {}
    for bf in schema.FILES:
        mapping = profile.mapping(bf.name)
        synthesised = bf.name == "parties" and profile.synthesise_parties is not None
        paths = mapping.paths(folder) if mapping else []
        if not paths:
            if bf.required and not synthesised:
                want = ", ".join(mapping.sources) if mapping else f"{bf.name}.csv"
                raise BundleError(f"required file {bf.name!r} is missing from {folder} (looked for {want})",
                                  file=bf.name)
            continue
        headers = {}
        for p in paths:
            try:
                header = readers.read_header(p)
            except (OSError, UnicodeDecodeError, ValueError) as e:
                raise BundleError(f"cannot read the header of {p.name}: {e}", file=bf.name) from e
            missing = mapping.missing_required(header)
            if missing:
                raise BundleError(f"{p.name}: required column {missing[0]!r} of {bf.name!r} is missing",
                                  file=bf.name, column=missing[0].split(" ")[0])
            headers[p] = header
        plans[bf.name] = _FilePlan(bf.name, mapping, paths, headers)
    if profile.synthesise_parties is not None and profile.synthesise_parties.from_file not in plans:
        raise BundleError(f"profile {profile.name}: parties come from {profile.synthesise_parties.from_file!r}, "
                          "which is missing", file=profile.synthesise_parties.from_file)
    return plans


# --------------------------------------------------------------------------- the loader


@dataclass
class _Batch:
    """The valid rows of one batch of one physical file, column-wise (bad rows already quarantined)."""

    path: Path
    lines: list[int]
    raw: list[dict[str, str]]  # as read, for the quarantine
    cols: dict[str, list[Any]]  # clean contract values, None where empty
    extra: list[dict[str, str]] | None  # columns outside the contract, per row (None: the file has none)

    def __len__(self) -> int:
        return len(self.lines)

    def rows(self) -> Iterator[tuple[Path, int, dict[str, Any], dict[str, str], dict[str, str]]]:
        """(path, line, clean values, raw row, extra columns) per row, for the small files."""
        names = list(self.cols)
        for i, values in enumerate(zip(*self.cols.values())):
            yield self.path, self.lines[i], dict(zip(names, values)), self.raw[i], (self.extra[i] if self.extra else {})


# Files at least this big are read, mapped and validated in a reader process while this process
# builds items and the writer thread stores them: parsing and the store's write both need the GIL,
# so on one process they take turns (measured at 1M rows: the two threads overlapped little).
READER_PROCESS_MIN_BYTES = 16 * 2**20


def _valid_batches(file: str, mapping: FileMapping, paths: list[Path], headers: dict[Path, list[str]],
                   batch_size: int) -> Iterator[tuple[Path, list[tuple[int, str, str, Any]], int, _Batch | None]]:
    """Read, map and validate a contract file's physical files a batch at a time: per batch (path,
    the rows refused as (line, column, reason, raw), rows read, the valid rows or None). Touches no
    store and writes nothing, so it runs the same here or in a reader process."""
    validator = BatchValidator(file)
    for path in paths:
        apply = mapping.mapper(headers[path])
        yielded = False
        for raws in readers.read_batches(path, batch_size):
            problems = [(r.line, r.problem[0], r.problem[1], r.raw) for r in raws if r.problem is not None]
            good = [r for r in raws if r.problem is None] if problems else raws
            batch = None
            if good:
                cols, extra = apply([r.values for r in good])
                clean, errors = validator(cols, len(good))
                if any(e is not None for e in errors):
                    problems += [(r.line, e.column, e.reason, r.values) for r, e in zip(good, errors) if e is not None]
                    keep = [i for i, e in enumerate(errors) if e is None]
                    clean = {k: [v[i] for i in keep] for k, v in clean.items()}
                    extra = [extra[i] for i in keep] if extra is not None else None
                    good = [good[i] for i in keep]
                if good:
                    batch = _Batch(path, [r.line for r in good], [r.values for r in good], clean, extra)
            yielded = True
            yield path, problems, len(raws), batch
        if not yielded:
            yield path, [], 0, None  # an empty file is still a file of the bundle


def _in_reader_process(args: tuple, stats: dict[str, float]) -> Iterator[Any]:
    """`_valid_batches(*args)` run in a child Python process, its batches received here one at a time
    (pickled down a pipe of their own). The pipe holds about one batch, so the reader runs at most
    a batch or two ahead (bounded memory). A fresh interpreter (`python -c`), not multiprocessing:
    spawn would run the caller's main script again in the child, and fork is unsafe in a process
    with threads (the writer's, the store's). An error in the reader is raised here; leaving early
    stops the reader; if this process dies, the reader's next write fails and it exits."""
    import pickle
    import subprocess

    rfd, wfd = os.pipe()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    proc = subprocess.Popen([sys.executable, "-c", "from ingest.load import _reader_main; _reader_main()", str(wfd)],
                            stdin=subprocess.PIPE, pass_fds=(wfd,), env=env)
    os.close(wfd)
    try:
        with os.fdopen(rfd, "rb") as pipe:
            proc.stdin.write(pickle.dumps(args))
            proc.stdin.close()
            while True:
                try:
                    kind, value = pickle.load(pipe)
                except EOFError:
                    proc.wait(5)
                    raise RuntimeError("the ingest reader process stopped unexpectedly "
                                       f"(exit code {proc.returncode})") from None
                if kind == "batch":
                    yield value
                elif kind == "error":
                    raise value
                else:
                    stats["peak_rss_mb"] = value
                    return
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def _reader_main() -> None:
    """The reader process: the arguments of `_valid_batches` from stdin, every batch down the pipe
    (file descriptor in argv[1]), then its peak RSS (MB), or the error."""
    import pickle

    with os.fdopen(int(sys.argv[1]), "wb", buffering=1 << 20) as pipe:
        def send(msg: tuple) -> None:
            pickle.dump(msg, pipe, protocol=pickle.HIGHEST_PROTOCOL)
            pipe.flush()

        try:
            for item in _valid_batches(*pickle.load(sys.stdin.buffer)):
                send(("batch", item))
            send(("done", _peak_rss_mb()))
        except BrokenPipeError:
            pass  # the loader is gone
        except BaseException as e:  # noqa: BLE001 - every failure goes back to the loader, which raises it
            try:
                send(("error", e))
            except Exception:  # noqa: BLE001 - an exception that does not pickle
                send(("error", RuntimeError(f"{type(e).__name__}: {e}")))


def _peak_rss_mb() -> float:
    """This process's peak resident memory in MB: VmHWM, which starts afresh at exec (ru_maxrss keeps
    the high-water mark of the parent's pages this process was forked with, 0.6 GB at 1M rows)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _mapped(col: list[str | None], fn) -> list[Any]:
    """`fn` over a column, called once per distinct value (normalisers of codes and plates)."""
    memo: dict[str, Any] = {}
    out = []
    for v in col:
        if v is None:
            out.append(None)
            continue
        x = memo.get(v, memo)
        if x is memo:
            x = memo[v] = fn(v)
        out.append(x)
    return out


class _Loader:
    def __init__(self, store: GraphStore, profile: Profile, source: str, settings: Settings,
                 report: IngestReport, quarantine: Quarantine, progress: bool):
        self.store = store
        self.profile = profile
        self.source = source
        self.s = settings
        self.bs = max(1, int(settings.batch_size))
        self.report = report
        self.q = quarantine
        self.progress = progress and sys.stderr.isatty()
        self.known_parties: set[str] = set()  # party keys known to exist (bundle or store)
        self.absent_parties: set[str] = set()  # party keys looked up and not found
        self.hs_done: set[str] = set()
        self.routes_done: set[str] = set()
        self.vehicles_done: set[str] = set()
        self.countries_done: set[str] = set()
        self.seen_items: set[str] = set()
        self.seen_ids: dict[str, dict[str, int]] = defaultdict(dict)
        self.decl_seconds = 0.0
        self.fresh_store = not report.nodes_before.get("Declaration")  # no item stored before this run
        self._quarantined: list[QuarantineRecord] = []  # records of the current batch, written in line order

    # ---------------------------------------------------------------- helpers

    def key(self, natural: str) -> str:
        return schema.node_key(self.source, natural)

    def _batches(self, plan: _FilePlan, *, record: bool = True) -> Iterator[_Batch]:
        """The valid rows of a contract file, a batch (column-wise) at a time, through the profile's
        mapping (`_valid_batches`; for big files in a reader process beside this one, see
        `READER_PROCESS_MIN_BYTES`). Every row is counted as read and bad ones are quarantined here
        (with `record=False`, a second pass over a file, neither). The quarantine records of a batch,
        including those its consumer adds, are written in line order when the next batch is read."""
        fr = self.report.files.setdefault(plan.name, FileReport())
        args = (plan.name, plan.mapping, plan.paths, plan.headers, self.bs)
        big = sum(p.stat().st_size for p in plan.paths) >= READER_PROCESS_MIN_BYTES
        bar = None
        stats: dict[str, float] = {}
        for path, problems, n_read, batch in (_in_reader_process(args, stats) if big else _valid_batches(*args)):
            self._flush_quarantine()
            if record:
                if path.name not in fr.paths:
                    fr.paths.append(path.name)
                    if bar is not None:
                        bar.close()
                    bar = _bar(self.progress, f"{plan.name} ({path.name})")
                fr.read += n_read
                if bar is not None:
                    bar.update(n_read)
                for line, column, reason, raw in problems:
                    self.quarantine(plan.name, path, line, column, reason, raw)
            if batch is not None:
                yield batch
        if bar is not None:
            bar.close()
        self._flush_quarantine()
        self.report.reader_peak_rss_mb = max(self.report.reader_peak_rss_mb, stats.get("peak_rss_mb", 0.0))

    def quarantine(self, file: str, path: Path, line: int, column: str, reason: str, raw: Any) -> None:
        self._quarantined.append(QuarantineRecord(file, path.name, line, column, reason, raw))
        self.report.files.setdefault(file, FileReport()).quarantined += 1

    def _flush_quarantine(self) -> None:
        for rec in sorted(self._quarantined, key=lambda r: (r.file, r.path, r.line)):
            self.q.add(rec)
        self._quarantined.clear()

    def _duplicate(self, file: str, natural: str, line: int) -> int | None:
        """The line where this natural key was first seen in the bundle (None if first)."""
        first = self.seen_ids[file].get(natural)
        if first is None:
            self.seen_ids[file][natural] = line
        return first

    def resolve_parties(self, keys: set[str]) -> None:
        """Look up party keys not yet known, in the store (one query per chunk)."""
        todo = [k for k in keys if k not in self.known_parties and k not in self.absent_parties]
        for i in range(0, len(todo), self.bs):
            chunk = todo[i:i + self.bs]
            found = {r["key"] for r in self.store.run("ingest.existing_parties", keys=chunk)}
            self.known_parties |= found
            self.absent_parties |= set(chunk) - found

    def _batched(self, it, n: int | None = None):
        n = n or self.bs
        batch = []
        for x in it:
            batch.append(x)
            if len(batch) >= n:
                yield batch
                batch = []
        if batch:
            yield batch

    def _run_batches(self, name: str, rows: list[dict[str, Any]], **params: Any) -> None:
        for _ in self.store.run_batches(name, rows, self.bs, **params):
            pass

    # ---------------------------------------------------------------- parties

    def load_parties(self, plans: dict[str, _FilePlan]) -> None:
        if "parties" in plans:
            rows = self._party_rows_from_file(plans["parties"])
        else:
            rows = self._party_rows_synthesised(plans[self.profile.synthesise_parties.from_file])
        fr = self.report.files.setdefault("parties", FileReport())
        for batch in self._batched(rows):
            self.store.run("ingest.merge_parties", rows=[{"key": b["key"], "props": b["props"]} for b in batch])
            for ident in schema.IDENTIFIERS:
                links = [{"party": b["key"], "key": b["idents"][ident.label][0], "value": b["idents"][ident.label][1]}
                         for b in batch if ident.label in b["idents"]]
                if links:
                    self.store.run(_IDENT_QUERY[ident.label], rows=links)
            self.known_parties.update(b["key"] for b in batch)
            self.ledger.append("parties", ledger_rows.parties(batch), self.source)  # ledger hook
            fr.loaded += len(batch)

    def _party_rows_from_file(self, plan: _FilePlan) -> Iterator[dict[str, Any]]:
        for batch in self._batches(plan):
            for path, line, c, raw, extra in batch.rows():
                first = self._duplicate("parties", c["party_id"], line)
                if first is not None:
                    self.quarantine("parties", path, line, "party_id", f"duplicate party_id (first at line {first})",
                                    raw)
                    continue
                yield self._party_row(c, extra)

    def _party_row(self, c: dict[str, Any], extra: dict[str, str]) -> dict[str, Any]:
        key = self.key(c["party_id"])
        tax_norm = nz.normalise_tax_id(c.get("tax_id"))
        props = {
            "party_id": c["party_id"], "source": self.source, "name": c["name"],
            "name_norm": nz.normalise_name(c["name"]), "kind": c.get("kind") or "company",
            "country": c.get("country"), "tax_id": c.get("tax_id"), "tax_id_norm": tax_norm,
            "registered_on": c.get("registered_on"), "deregistered_on": c.get("deregistered_on"),
            "address": c.get("address"), "phone": c.get("phone"), "email": c.get("email"),
            "bank_account": c.get("bank_account"),
            "extra": orjson.dumps(extra).decode() if extra else None,
        }
        idents = {}
        for ident in schema.IDENTIFIERS:
            raw = c.get(ident.party_column)
            if raw:
                k = nz.normalise_identifier(ident.label, raw, c.get("country"))
                if k:
                    idents[ident.label] = (k, raw)
        return {"key": key, "props": props, "idents": idents}

    def _party_rows_synthesised(self, plan: _FilePlan) -> Iterator[dict[str, Any]]:
        """Parties of a source without a parties file: one per id seen in the role columns
        (read from the declaration files; rows are counted and quarantined in the declarations pass)."""
        synth = self.profile.synthesise_parties
        seen: set[str] = set()
        fr = self.report.files.setdefault("parties", FileReport())
        for batch in self._batches(plan, record=False):  # a row that will be quarantined makes no party
            for pids in zip(*(batch.cols[col] for col in synth.columns)):
                for col, pid in zip(synth.columns, pids):
                    if pid and pid not in seen:
                        seen.add(pid)
                        fr.read += 1
                        c = {"party_id": pid, "name": synth.name.format(party_id=pid, role=col.removesuffix("_id")),
                             "kind": synth.kind}
                        yield self._party_row(c, {"synthesised_from": col})

    # ---------------------------------------------------------------- officers

    def load_officers(self, plan: _FilePlan) -> None:
        for batch in self._batches(plan):
            self.resolve_parties({self.key(pid) for pid in batch.cols["company_id"]})
            out = []
            for path, line, c, raw, extra in batch.rows():
                company = self.key(c["company_id"])
                if company not in self.known_parties:
                    self.quarantine("officers", path, line, "company_id", f"unknown party id {c['company_id']!r}", raw)
                    continue
                name = c.get("person_name")
                out.append({
                    "person": self.key(c["person_id"]), "person_id": c["person_id"], "source": self.source,
                    "name": name, "name_norm": nz.normalise_name(name) if name else None,
                    "company": company, "role": c.get("role") or "officer", "share_pct": c.get("share_pct"),
                    "since": c.get("since"), "until": c.get("until"),
                })
            if out:
                self.store.run("ingest.merge_persons", rows=out)
                self.store.run("ingest.merge_officers", rows=out)
                self.ledger.append("officers", ledger_rows.officers(out), self.source)  # ledger hook
            fr = self.report.files["officers"]
            fr.loaded += len(out)

    # ---------------------------------------------------------------- declarations

    def load_declarations(self, plan: _FilePlan) -> None:
        """Items in batches, as a pipeline: the rows are read and validated (in a reader process for
        big files, see `_batches`), this thread builds a batch's items and checks them against the
        parties, and one writer thread stores the batch before (the store releases the GIL for part
        of its write). One writer keeps the batches in file order, so dimensions are merged before
        the items that point at them, and at most two batches wait for it (bounded memory). A
        writer failure stops the load at the next batch."""
        from concurrent.futures import Future, ThreadPoolExecutor

        t0 = time.perf_counter()
        fr = self.report.files.setdefault("declarations", FileReport())
        pending: list[Future[None]] = []
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="tamga-ingest-writer") as writer:
            try:
                for batch in self._batches(plan):
                    items = self._declaration_items(batch)
                    if not items:
                        continue
                    self.ledger.append("declarations", ledger_rows.declarations(items), self.source)  # ledger hook
                    while len(pending) >= 2:
                        pending.pop(0).result()  # raises the writer's error here
                    pending.append(writer.submit(self._store_declarations, items, fr))
                for f in pending:
                    f.result()
            finally:
                for f in pending:
                    f.cancel()
        self.decl_seconds = time.perf_counter() - t0

    def _store_declarations(self, items: list[dict[str, Any]], fr: FileReport) -> None:
        """The writer's part for one batch: dimensions, then the items new to the store (created
        with their relationships) and those a killed run left incomplete (merged)."""
        self._merge_dimensions(items)
        # A store that held no item when the run began holds only this run's items, and the bundle's
        # keys are unique (seen_items): nothing to look up. A re-run, or a run after a killed one, looks.
        existing = {} if self.fresh_store else {
            r["key"]: r["complete"] for r in
            self.store.run("ingest.existing_declarations", keys=[i["key"] for i in items])}
        new = [i for i in items if i["key"] not in existing]
        partial = [i for i in items if existing.get(i["key"]) is False]
        if new:
            self.store.create_linked_nodes("ingest.create_declarations", "Declaration", new, DECLARATION_LINKS)
        if partial:
            self.store.run("ingest.merge_declarations", rows=partial)
        fr.loaded += len(new) + len(partial)
        fr.existing += len(items) - len(new) - len(partial)

    def _declaration_items(self, b: _Batch) -> list[dict[str, Any]]:
        """The items of a batch to store, column-wise; quarantines the rows that break a rule only
        the loader can check: an item seen before in the bundle, an import without a consignee, a
        party id neither in the bundle nor in the store."""
        c = b.cols
        pre = self.key("")
        roles = [(col, fld, c[col], [pre + v if v else None for v in c[col]]) for col, fld in _ROLE_FIELD.items()]
        self.resolve_parties({k for *_, keys in roles for k in keys if k is not None})
        known, seen = self.known_parties, self.seen_items
        item_nos = [int(x) if x is not None else 1 for x in c["item_no"]]
        naturals = [f"{d}/{i}" for d, i in zip(c["declaration_id"], item_nos)]
        regimes, consignees = c["regime"], c["consignee_id"]
        ok = []
        for i, natural in enumerate(naturals):
            if natural in seen:
                self.quarantine("declarations", b.path, b.lines[i], "item_no",
                                f"duplicate item {natural} in the bundle", b.raw[i])
                continue
            if consignees[i] is None and (regimes[i] or "").upper().startswith("IM"):
                self.quarantine("declarations", b.path, b.lines[i], "consignee_id",
                                "required value missing (import)", b.raw[i])
                continue
            unknown = next((col for col, _, _, keys in roles if keys[i] is not None and keys[i] not in known), None)
            if unknown is not None:
                self.quarantine("declarations", b.path, b.lines[i], unknown, f"unknown party id {c[unknown][i]!r}",
                                b.raw[i])
                continue
            seen.add(natural)
            ok.append(i)
        if not ok:
            return []
        modes = _mapped(c["transport_mode"], nz.normalise_transport_mode)
        plates = _mapped(c["vehicle_id"], nz.normalise_plate)
        route_cols = (c["origin_country"], c["dispatch_country"], c["transit_countries"], c["destination_country"],
                      c["border_post"], modes)
        copy = [(k, c[k]) for k in _DECLARATION_COPY]
        items = []
        for i in ok:
            parts = tuple(col[i] for col in route_cols)
            key = pre + naturals[i]
            # contract columns copied as they are (None dropped: Grafeo stores no nulls, Neo4j neither)
            props = {k: col[i] for k, col in copy if col[i] is not None}
            props.update(key=key, declaration_key=pre + c["declaration_id"][i], item_no=item_nos[i])
            if b.extra and b.extra[i]:
                props["extra"] = orjson.dumps(b.extra[i]).decode()
            item = {"key": key, "props": props, "hs": c["hs_code"][i],
                    "route": "|".join(p or "" for p in parts) if any(parts) else None, "route_parts": parts,
                    "vehicle": plates[i], "vehicle_raw": c["vehicle_id"][i]}
            for _, fld, _, keys in roles:
                if keys[i] is not None:
                    item[fld] = keys[i]
            items.append(item)
        return items

    def _merge_dimensions(self, items: list[dict[str, Any]]) -> None:
        """HS codes (with their hierarchy), countries, routes and vehicles new to this run."""
        self.merge_hs({i["hs"] for i in items})
        routes = {}
        for i in items:
            if i["route"] and i["route"] not in self.routes_done and i["route"] not in routes:
                routes[i["route"]] = i["route_parts"]
        if routes:
            countries = set()
            rows = []
            for key, (origin, dispatch, transit, dest, post, mode) in routes.items():
                cs = []
                if origin:
                    cs.append({"code": origin, "role": "origin", "order": 0})
                if dispatch:
                    cs.append({"code": dispatch, "role": "dispatch", "order": 1})
                for n, t in enumerate((transit or "").split(";") if transit else []):
                    cs.append({"code": t, "role": "transit", "order": 2 + n})
                if dest:
                    cs.append({"code": dest, "role": "destination", "order": 2 + len(transit.split(";") if transit else [])})
                countries |= {x["code"] for x in cs}
                props = {"origin_country": origin, "dispatch_country": dispatch, "transit_countries": transit,
                         "destination_country": dest, "border_post": post, "transport_mode": mode}
                rows.append({"key": key, "props": {k: v for k, v in props.items() if v is not None},
                             "countries": cs})
            self.merge_countries(countries)
            self._run_batches("ingest.merge_routes", rows)
            self._run_batches("ingest.link_route_countries",
                              [{"route": r["key"], **c} for r in rows for c in r["countries"]])
            self.routes_done |= set(routes)
        vehicles = {}
        for i in items:
            v = i["vehicle"]
            if v and v not in self.vehicles_done and v not in vehicles:
                vehicles[v] = i["vehicle_raw"]
        if vehicles:
            self._run_batches("ingest.merge_vehicles", [{"key": k, "value": v} for k, v in vehicles.items()])
            self.vehicles_done |= set(vehicles)
        for i in items:
            del i["route_parts"], i["vehicle_raw"]

    def merge_countries(self, codes: set[str]) -> None:
        new = sorted(codes - self.countries_done)
        if new:
            self.store.run("ingest.merge_countries", codes=new)
            self.countries_done |= set(new)

    def merge_hs(self, codes: set[str]) -> None:
        new = {c for c in codes if c and c not in self.hs_done}
        if not new:
            return
        nodes, links = set(), set()
        for c in new:
            chain = [c, *nz.hs_ancestors(c)]
            nodes.update(chain)
            links.update(pairwise(chain))
        self._run_batches("ingest.merge_hs_codes", [{"code": c, "level": nz.hs_level(c)} for c in sorted(nodes)])
        self._run_batches("ingest.link_hs_parents", [{"child": a, "parent": b} for a, b in sorted(links)])
        self.hs_done |= nodes

    # ---------------------------------------------------------------- offences

    def load_offences(self, plan: _FilePlan) -> None:
        fr = self.report.files.setdefault("offences", FileReport())
        for batch in self._batches(plan):
            self.resolve_parties({self.key(pid) for pid in batch.cols["party_id"]})
            rows = []
            for path, line, c, raw, extra in batch.rows():
                party = self.key(c["party_id"])
                if party not in self.known_parties:
                    self.quarantine("offences", path, line, "party_id", f"unknown party id {c['party_id']!r}", raw)
                    continue
                first = self._duplicate("offences", c["offence_id"], line)
                if first is not None:
                    self.quarantine("offences", path, line, "offence_id",
                                    f"duplicate offence_id (first at line {first})", raw)
                    continue
                props = {
                    "offence_id": c["offence_id"], "source": self.source, "date": c["date"],
                    "party_id": c["party_id"], "declaration_id": c.get("declaration_id"),
                    "offence_type": c.get("offence_type"), "declared_hs_code": c.get("declared_hs_code"),
                    "actual_hs_code": c.get("actual_hs_code"), "evaded_amount": c.get("evaded_amount"),
                    "status": c.get("status") or "confirmed",
                    "extra": orjson.dumps(extra).decode() if extra else None,
                }
                rows.append({"key": self.key(c["offence_id"]), "party": party, "props": props,
                             "declaration_key": self.key(c["declaration_id"]) if c.get("declaration_id") else None,
                             "declared": c.get("declared_hs_code"), "actual": c.get("actual_hs_code")})
            if not rows:
                continue
            self.store.run("ingest.merge_offences", rows=rows)
            self.store.run("ingest.link_offence_parties", rows=rows)
            concerns = [{"key": r["key"], "declaration_key": r["declaration_key"]} for r in rows if r["declaration_key"]]
            if concerns:
                self.store.run("ingest.link_offence_declarations", rows=concerns)
            self.merge_hs({r["declared"] for r in rows if r["declared"]} | {r["actual"] for r in rows if r["actual"]})
            for fld, q in (("declared", "ingest.link_offence_declared_hs"), ("actual", "ingest.link_offence_found_hs")):
                links = [{"key": r["key"], "code": r[fld]} for r in rows if r[fld]]
                if links:
                    self.store.run(q, rows=links)
            self.ledger.append("offences", ledger_rows.offences(rows), self.source)  # ledger hook
            fr.loaded += len(rows)


def _bar(enabled: bool, desc: str):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(desc=desc, unit=" rows", unit_scale=True, file=sys.stderr, leave=False)


# --------------------------------------------------------------------------- entry point


def ingest_bundle(store: GraphStore, path: str | os.PathLike[str], *, profile: str = "contract",
                  source: str | None = None, settings: Settings | None = None,
                  progress: bool = True) -> IngestReport:
    """Load a bundle folder into the store through a mapping profile; return the report.

    Raises `BundleError` (naming the file and column) before writing anything when a required
    file or column is missing. Bad rows are quarantined, the rest loads. Loading the same bundle
    again changes no count. The report is written as JSON and text into `settings.reports_dir`
    and stored as an `IngestRun` node.
    """
    s = settings or get_settings()
    prof = load_profile(profile)
    src = source or prof.source
    if not src or ":" in src:
        raise BundleError(f"invalid source name {src!r} (no ':' allowed: it prefixes node keys)")
    folder = Path(path).resolve()
    plans = _plan(prof, folder)  # raises before anything is written

    started = datetime.now(UTC)
    run_id = started.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
    report = IngestReport(run_id, prof.name, src, str(folder), started.isoformat(timespec="seconds"))
    quarantine = Quarantine(s.quarantine_dir / run_id)
    t0 = time.perf_counter()
    store.ensure_schema()
    report.nodes_before, report.rels_before = count_graph(store)
    loader = _Loader(store, prof, src, s, report, quarantine, progress)
    loader.ledger = Ledger.of(s)  # ledger hook: every validated batch also goes to the ledger
    try:
        def phase(name: str, fn, *args) -> None:
            t = time.perf_counter()
            fn(*args)
            report.phase_seconds[name] = round(time.perf_counter() - t, 2)

        with store.bulk_load():
            phase("parties", loader.load_parties, plans)
            if "officers" in plans:
                phase("officers", loader.load_officers, plans["officers"])
            phase("declarations", loader.load_declarations, plans["declarations"])
            if "offences" in plans:
                phase("offences", loader.load_offences, plans["offences"])
            phase("ledger", loader.ledger.flush)  # ledger hook: the last buffered rows
            t_end = time.perf_counter()
        report.phase_seconds["checkpoint"] = round(time.perf_counter() - t_end, 2)  # the bulk load's one checkpoint
        report.status = "ok" if quarantine.total == 0 else "ok_with_quarantine"
    except BaseException:
        report.status = "failed"
        raise
    finally:
        quarantine.close()
        report.duration_s = round(time.perf_counter() - t0, 3)
        report.finished_at = datetime.now(UTC).isoformat(timespec="seconds")
        if quarantine.total:
            report.quarantine_path = str(quarantine.jsonl_path)
            report.quarantine_reasons = {f"{f}: {r}": n for (f, r), n in quarantine.reasons.items()}
        report.rows_per_s = round(report.rows_read / report.duration_s, 1) if report.duration_s else 0.0
        d = report.files.get("declarations")
        if d and loader.decl_seconds:
            report.declaration_rows_per_s = round(d.read / loader.decl_seconds, 1)
        if report.status != "failed":
            store.checkpoint()
            report.nodes_after, report.rels_after = count_graph(store)
            _write_report(store, s, report)
        else:
            # what was done before the failure, for the operator; the store may be unusable
            _write_report(None, s, report)
    return report


def _write_report(store: GraphStore | None, s: Settings, report: IngestReport) -> None:
    """The report as JSON and text in the reports folder, and as an IngestRun node (if a store)."""
    s.reports_dir.mkdir(parents=True, exist_ok=True)
    base = s.reports_dir / f"ingest-{report.run_id}"
    report.report_path = str(base.with_suffix(".json"))
    data = report.to_dict()
    text = json.dumps(data, indent=2, default=_json_default)
    base.with_suffix(".json").write_text(text, encoding="utf-8")
    base.with_suffix(".txt").write_text(report.summary() + "\n", encoding="utf-8")
    if store is None:
        return
    store.run("ingest.record_run", key=report.run_id, started_at=report.started_at,
              finished_at=report.finished_at, source=report.source, path=report.path,
              status=report.status, report=json.dumps(data, default=_json_default))


def _json_default(o: Any) -> Any:
    if isinstance(o, (date, datetime)):
        return o.isoformat()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(type(o).__name__)

