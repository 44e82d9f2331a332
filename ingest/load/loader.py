"""The loader: one run's state (what is known, seen and done) and its phases in order: parties
(and their identifier nodes), officers, declarations (`ingest.load.declarations`), offences, so
that every reference points at something already stored.

It also holds the run's guards: every refused row goes through `quarantine`, which stops the run
past `settings.ingest_max_quarantined`; `check_file` fails a file of which too much (or nothing)
loaded; a stored party whose name or country a new row changes is quarantined (`load_parties`).

Length: a little over 400 lines, on purpose: the phases share the run's state (what is known, the
quarantine, the ledger, the timings), and splitting them would pass that state between modules.
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from itertools import pairwise
from typing import Any

import orjson

from graph.domain import schema
from graph.ledger import Ledger
from graph.settings import Settings
from graph.store import GraphStore
from ingest import ledger_rows, readers
from ingest import normalise as nz
from ingest.load import reader
from ingest.load.declarations import DeclarationLoading
from ingest.load.plan import FilePlan
from ingest.load.reader import Batch
from ingest.load.report import FileReport, IngestReport
from ingest.profiles import PartySynthesis, Profile
from ingest.validate import IngestStopped, Quarantine, QuarantineRecord

# The quarantine share of a file is judged from this many rows on: in a handful it says little.
SHARE_MIN_ROWS = 1000
_IDENT_QUERY = {i.label: f"ingest.link_{i.party_column}" for i in schema.IDENTIFIERS}


class Loader(DeclarationLoading):
    """One run's loading, phase by phase (`load_parties`, `load_officers`, `load_declarations`,
    `load_offences`); `run._run` calls them in that order."""

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
        # every validated batch also goes to the ledger (graph.ledger), unless measuring the graph alone
        self.ledger = Ledger.of(settings) if settings.ledger_writes else None
        self.ledger_seconds = 0.0  # in this run's threads: building the ledger's rows and appending them
        self._ledger_written0 = self.ledger.write_seconds if self.ledger else 0.0
        self.known_parties: set[str] = set()  # party keys known to exist (bundle or store)
        self.absent_parties: set[str] = set()  # party keys looked up and not found
        self.hs_done: set[str] = set()
        self.routes_done: set[str] = set()
        self.vehicles_done: set[str] = set()
        self.countries_done: set[str] = set()
        self.seen_items: set[str] = set()
        self.seen_ids: dict[str, dict[str, int]] = defaultdict(dict)
        self.decl_seconds = 0.0
        # no item stored before this run: its items are created unchecked (declarations), until another
        # writer writes between two batches (`others_wrote`)
        self.fresh_store = not report.nodes_before.get("Declaration")
        self._quarantined: list[QuarantineRecord] = []  # records of the current batch, written in line order
        self.n_quarantined = 0
        self.fresh_parties = not report.nodes_before.get("Party")  # no party stored before: no conflicts
        self.limits = readers.ReadLimits.of(settings)
        # called as on_batch(file, rows_read) before a batch is written (ingest.load.run); it returns how
        # many other writers wrote to the store meanwhile (a server lends its writer there), or None
        self.on_batch: Callable[[str, int], int | None] | None = None
        # called as on_written(file) on the thread that wrote a batch, once it is written whole: the
        # declarations' batches are written on a writer thread while the next one is read and built;
        # it returns as on_batch does
        self.on_written: Callable[[str], int | None] | None = None
        self.write_inline = False  # the lean run: batches written on this thread (declarations._Inline)

    # ---------------------------------------------------------------- helpers

    def key(self, natural: str) -> str:
        return schema.node_key(self.source, natural)

    def _batches(self, plan: FilePlan, *, record: bool = True) -> Iterator[Batch]:
        """The valid rows of a contract file, a batch (column-wise) at a time, through the profile's
        mapping (`reader.valid_batches`; for big files in a reader process beside this one, see
        `READER_PROCESS_MIN_BYTES`). Every row is counted as read and bad ones are quarantined here
        (with `record=False`, a second pass over a file, neither). The quarantine records of a batch,
        including those its consumer adds, are written in line order when the next batch is read."""
        fr = self.report.files.setdefault(plan.name, FileReport())
        args = (plan, self.bs, self.limits)
        big = sum(src.size for src in plan.sources) >= reader.READER_PROCESS_MIN_BYTES
        bar = None
        stats: dict[str, float] = {}
        batches = reader.in_reader_process(args, stats) if big else reader.valid_batches(*args)
        try:
            for name, problems, n_read, batch in batches:
                self.flush_quarantine()
                if record:
                    if name not in fr.paths:
                        fr.paths.append(name)
                        if bar is not None:
                            bar.close()
                        bar = _bar(self.progress, f"{plan.name} ({name})")
                    fr.read += n_read
                    if bar is not None:
                        bar.update(n_read)
                    for line, column, reason, raw in problems:
                        self.quarantine(plan.name, name, line, column, reason, raw)
                    if self.on_batch is not None and self.on_batch(plan.name, fr.read):
                        self.others_wrote()
                if batch is not None:
                    yield batch
        except IngestStopped as e:
            e.file = e.file or plan.name
            raise
        finally:
            if bar is not None:
                bar.close()
        self.flush_quarantine()
        self.report.reader_peak_rss_mb = max(self.report.reader_peak_rss_mb, stats.get("peak_rss_mb", 0.0))

    def others_wrote(self) -> None:
        """Another writer wrote between two batches (an intake call a server let in): what the run
        assumed from the store's state at its start no longer holds, so the rest of it checks the
        store as a run on a non-empty store does (an item posted meanwhile exists once; a party
        stored meanwhile is checked for conflicts)."""
        self.fresh_store = False
        self.fresh_parties = False

    def quarantine(self, file: str, source: str, line: int, column: str, reason: str, raw: Any) -> None:
        """Refuse one row; past `settings.ingest_max_quarantined` rows in the run, stop it."""
        self._quarantined.append(QuarantineRecord(file, source, line, column, reason, raw))
        self.report.files.setdefault(file, FileReport()).quarantined += 1
        self.n_quarantined += 1
        if self.n_quarantined > self.s.ingest_max_quarantined:
            raise IngestStopped(f"{source}, line {line}: more than {self.s.ingest_max_quarantined:,} rows "
                                "quarantined (setting ingest_max_quarantined); the run is stopped", file=file,
                                line=line)

    def check_file(self, file: str) -> None:
        """After a contract file's phase: a file of which nothing loaded, or of which more than
        `settings.ingest_max_quarantine_share` of the rows were quarantined (in a file of at least
        `SHARE_MIN_ROWS` rows: in a handful, a share says little), stops the run."""
        fr = self.report.files.get(file)
        if fr is None or not fr.read:
            return
        share = fr.quarantined / fr.read
        if fr.loaded + fr.existing == 0:
            raise IngestStopped(f"{file}: none of its "
                                f"{fr.read:,} rows loaded (all quarantined); the run failed",
                                file=file)
        if fr.read >= SHARE_MIN_ROWS and share > self.s.ingest_max_quarantine_share:
            raise IngestStopped(f"{file}: {fr.quarantined:,} of {fr.read:,} rows quarantined "
                                f"({share:.0%}), more "
                                f"than {self.s.ingest_max_quarantine_share:.0%} (setting "
                                "ingest_max_quarantine_share); the run failed", file=file)

    def flush_quarantine(self) -> None:
        records, self._quarantined = self._quarantined, []
        for rec in sorted(records, key=lambda r: (r.file, r.path, r.line)):
            self.q.add(rec)

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

    def load_parties(self, plans: dict[str, FilePlan]) -> None:
        synth = self.profile.synthesise_parties
        if "parties" in plans or synth is None:
            rows = self._party_rows_from_file(plans["parties"])
        else:
            rows = self._party_rows_synthesised(plans[synth.from_file], synth)
        fr = self.report.files.setdefault("parties", FileReport())
        for batch in self._batched(rows):
            batch = self._without_conflicts(batch)
            if not batch:
                continue
            self.store.run("ingest.merge_parties",
                           rows=[{"key": b["key"], "props": b["props"]} for b in batch])
            for ident in schema.IDENTIFIERS:
                links = [{"party": b["key"], "key": b["idents"][ident.label][0],
                          "value": b["idents"][ident.label][1]}
                         for b in batch if ident.label in b["idents"]]
                if links:
                    self.store.run(_IDENT_QUERY[ident.label], rows=links)
            self.known_parties.update(b["key"] for b in batch)
            self.to_ledger("parties", ledger_rows.parties, batch)
            fr.loaded += len(batch)
        self.flush_quarantine()

    def _without_conflicts(self, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The rule for a party id already stored: a party is one record per source, so a row that
        gives it another name or another country is quarantined ("conflicts with stored party …")
        and the stored record stands; the report counts these rows as `conflicts`. Its other
        fields (address, phone ...) update the record, as they always did. A correction of a name
        is a decision for the operator: quarantined, it is visible, and not silently merged."""
        if self.fresh_parties:
            return batch
        checked = [b for b in batch if "origin" in b]  # synthesised parties carry no name of their own
        if not checked:
            return batch
        stored = {r["key"]: r for r in self.store.run("ingest.stored_parties",
                                                      keys=[b["key"] for b in checked])}
        fr = self.report.files["parties"]
        keep = []
        for b in batch:
            old = stored.get(b["key"]) if "origin" in b else None
            new = b["props"]
            column = None
            if old is not None and old.get("name") != new["name"]:
                column, was, now = "name", old.get("name"), new["name"]
            elif (old is not None and old.get("country") and new["country"]
                  and old["country"] != new["country"]):
                column, was, now = "country", old["country"], new["country"]
            if column is None:
                keep.append(b)
                continue
            source, line, raw = b["origin"]
            self.quarantine("parties", source, line, column,
                            f"conflicts with stored party "
                            f"{new['party_id']!r}: {column} {was!r}, here {now!r}", raw)
            fr.conflicts += 1
        return keep

    def _party_rows_from_file(self, plan: FilePlan) -> Iterator[dict[str, Any]]:
        for batch in self._batches(plan):
            for path, line, c, raw, extra in batch.rows():
                first = self._duplicate("parties", c["party_id"], line)
                if first is not None:
                    self.quarantine("parties", path, line, "party_id",
                                    f"duplicate party_id (first at line {first})",
                                    raw)
                    continue
                row = self._party_row(c, extra)
                row["origin"] = (path, line, raw)
                yield row

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

    def _party_rows_synthesised(self, plan: FilePlan, synth: PartySynthesis) -> Iterator[dict[str, Any]]:
        """Parties of a source without a parties file: one per id seen in the role columns
        (read from the declaration files; rows are counted and quarantined in the declarations pass)."""
        seen: set[str] = set()
        fr = self.report.files.setdefault("parties", FileReport())
        for batch in self._batches(plan, record=False):  # a row that will be quarantined makes no party
            for pids in zip(*(batch.cols[col] for col in synth.columns), strict=True):
                for col, pid in zip(synth.columns, pids, strict=True):
                    if pid and pid not in seen:
                        seen.add(pid)
                        fr.read += 1
                        c = {"party_id": pid,
                             "name": synth.name.format(party_id=pid, role=col.removesuffix("_id")),
                             "kind": synth.kind}
                        yield self._party_row(c, {"synthesised_from": col})

    # ---------------------------------------------------------------- officers

    def load_officers(self, plan: FilePlan) -> None:
        for batch in self._batches(plan):
            self.resolve_parties({self.key(pid) for pid in batch.cols["company_id"]})
            out = []
            for path, line, c, raw, _extra in batch.rows():
                company = self.key(c["company_id"])
                if company not in self.known_parties:
                    self.quarantine("officers", path, line, "company_id",
                                    f"unknown party id {c['company_id']!r}", raw)
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
                self.to_ledger("officers", ledger_rows.officers, out)
            fr = self.report.files["officers"]
            fr.loaded += len(out)

    def to_ledger(self, kind: str, columns: Callable[[list[dict[str, Any]]], dict[str, list[Any]]],
                  rows: list[dict[str, Any]]) -> None:
        """Append a loaded batch to the ledger as `columns(rows)` (timed: the report's ledger seconds)."""
        if self.ledger is None:
            return
        t = time.perf_counter()
        self.ledger.append(kind, columns(rows), self.source)
        self.ledger_seconds += time.perf_counter() - t

    def flush_ledger(self) -> None:
        """The ledger's last buffered rows, then its seconds in the report."""
        if self.ledger is None:
            self.report.ledger_seconds = {"off": 0.0}
            return
        t = time.perf_counter()
        self.ledger.flush()
        self.report.ledger_seconds = {
            "in_ingest_threads": round(self.ledger_seconds, 2),
            "writer_thread": round(self.ledger.write_seconds - self._ledger_written0, 2),  # beside the ingest
            "final_flush": round(time.perf_counter() - t, 2)}

    def merge_countries(self, codes: set[str]) -> None:
        new = sorted(codes - self.countries_done)
        if new:
            self.store.run("ingest.merge_countries", codes=new)
            self.countries_done |= set(new)

    def merge_hs(self, codes: set[str]) -> None:
        new = {c for c in codes if c and c not in self.hs_done}
        if not new:
            return
        nodes: set[str] = set()
        links: set[tuple[str, str]] = set()
        for c in new:
            chain = [c, *nz.hs_ancestors(c)]
            nodes.update(chain)
            links.update(pairwise(chain))
        self._run_batches("ingest.merge_hs_codes",
                          [{"code": c, "level": nz.hs_level(c)} for c in sorted(nodes)])
        self._run_batches("ingest.link_hs_parents", [{"child": a, "parent": b} for a, b in sorted(links)])
        self.hs_done |= nodes

    # ---------------------------------------------------------------- offences

    def load_offences(self, plan: FilePlan) -> None:
        fr = self.report.files.setdefault("offences", FileReport())
        for batch in self._batches(plan):
            self.resolve_parties({self.key(pid) for pid in batch.cols["party_id"]})
            rows: list[dict[str, Any]] = []
            for path, line, c, raw, extra in batch.rows():
                party = self.key(c["party_id"])
                if party not in self.known_parties:
                    self.quarantine("offences", path, line, "party_id", f"unknown party id {c['party_id']!r}",
                                    raw)
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
                             "declaration_key": self.key(c["declaration_id"]) if c.get("declaration_id")
                             else None,
                             "declared": c.get("declared_hs_code"), "actual": c.get("actual_hs_code")})
            if not rows:
                continue
            self.store.run("ingest.merge_offences", rows=rows)
            self.store.run("ingest.link_offence_parties", rows=rows)
            concerns = [{"key": r["key"], "declaration_key": r["declaration_key"]} for r in rows
                        if r["declaration_key"]]
            if concerns:
                self.store.run("ingest.link_offence_declarations", rows=concerns)
            self.merge_hs({r["declared"] for r in rows
                           if r["declared"]} | {r["actual"] for r in rows if r["actual"]})
            for fld, q in (("declared", "ingest.link_offence_declared_hs"),
                           ("actual", "ingest.link_offence_found_hs")):
                links = [{"key": r["key"], "code": r[fld]} for r in rows if r[fld]]
                if links:
                    self.store.run(q, rows=links)
            self.to_ledger("offences", ledger_rows.offences, rows)
            fr.loaded += len(rows)


def _bar(enabled: bool, desc: str):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(desc=desc, unit=" rows", unit_scale=True, file=sys.stderr, leave=False)

