"""Declaration items: built from a batch of valid rows, checked against the parties, and stored
with their dimensions (HS codes, routes, countries, vehicles) on a writer thread.

Its own module because the items are the bulk of every bundle and the one path tuned for speed
(see the package docstring); `DeclarationLoading` is the part of `Loader` that does them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

import orjson

from graph.domain import schema
from ingest import ledger_rows
from ingest import normalise as nz
from ingest.load.plan import FilePlan
from ingest.load.reader import Batch
from ingest.load.report import FileReport

if TYPE_CHECKING:
    from graph.ledger import Ledger
    from graph.store import GraphStore
    from ingest.load.report import IngestReport

ROLE_FIELD = {c: c.removesuffix("_id") for c in schema.PARTY_ROLES}  # declarant_id -> declarant
# The relationships of a new declaration item: row field -> (type, end label). The query
# ingest.create_declarations writes the same ones (the portable path of create_linked_nodes).
# Declaration properties taken from the contract row unchanged (the rest are derived).
# The route's columns are not copied: they live on the Route node (see graph.domain.schema).
# Which ones the graph holds (and why) is decided in graph.domain.schema.DECLARATION_ON_GRAPH; the
# ledger holds them all.
_DECLARATION_COPY = schema.DECLARATION_GRAPH_COLUMNS
_LEDGER_ONLY = tuple(c for c, (on, _) in schema.DECLARATION_ON_GRAPH.items() if not on)
DECLARATION_LINKS: dict[str, tuple[str, str]] = {
    **{ROLE_FIELD[c]: (t, "Party") for c, t in schema.PARTY_ROLES.items()},
    "route": ("ON_ROUTE", "Route"), "vehicle": ("TRANSPORTED_BY", "Vehicle"),
    "hs": ("CLASSIFIED_AS", "HSCode"),
}



def _mapped(col: list[str | None], fn: Callable[[str], Any]) -> list[Any]:
    """`fn` over a column, called once per distinct value (normalisers of codes and plates)."""
    memo: dict[str, Any] = {}
    out: list[Any] = []
    for v in col:
        if v is None:
            out.append(None)
            continue
        x = memo.get(v, memo)
        if x is memo:
            x = memo[v] = fn(v)
        out.append(x)
    return out


class _Inline:
    """The writer of a lean run (a few rows, one batch): the batch is written on the calling thread,
    with no thread to start and join per call (two hand-offs between threads, each a wait for a
    core on a busy machine)."""

    def __enter__(self) -> _Inline:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def submit(self, fn: Callable[..., None], *args: Any) -> Future[None]:
        """Write now; a failure is raised here, where a pool's would be raised by `result()`."""
        fn(*args)
        f: Future[None] = Future()
        f.set_result(None)
        return f


class DeclarationLoading:
    """The declarations phase of `ingest.load.loader.Loader` (whose state it uses)."""

    if TYPE_CHECKING:  # Loader's state and methods this phase uses (set and defined there)
        store: GraphStore
        report: IngestReport
        ledger: Ledger | None
        source: str
        fresh_store: bool
        known_parties: set[str]
        seen_items: set[str]
        routes_done: set[str]
        vehicles_done: set[str]
        on_written: Callable[[str], int | None] | None
        write_inline: bool

        def key(self, natural: str) -> str: ...
        def _batches(self, plan: FilePlan, *, record: bool = True) -> Iterator[Batch]: ...
        def quarantine(self, file: str, source: str, line: int, column: str, reason: str,
                       raw: Any) -> None: ...
        def resolve_parties(self, keys: set[str]) -> None: ...
        def merge_hs(self, codes: set[str]) -> None: ...
        def merge_countries(self, codes: set[str]) -> None: ...
        def _run_batches(self, name: str, rows: list[dict[str, Any]], **params: Any) -> None: ...
        def others_wrote(self) -> None: ...
        def to_ledger(self, kind: str, columns: Any, rows: list[dict[str, Any]]) -> None: ...

    def load_declarations(self, plan: FilePlan) -> None:
        """Items in batches, as a pipeline: the rows are read and validated (in a reader process for
        big files, see `_batches`), this thread builds a batch's items and checks them against the
        parties, and one writer thread stores the batch before (the store releases the GIL for part
        of its write). One writer keeps the batches in file order, so dimensions are merged before
        the items that point at them, and at most two batches wait for it (bounded memory). A
        writer failure stops the load at the next batch."""
        from concurrent.futures import ThreadPoolExecutor

        t0 = time.perf_counter()
        fr = self.report.files.setdefault("declarations", FileReport())
        pending: list[Future[None]] = []
        writer_pool = (_Inline() if self.write_inline
                       else ThreadPoolExecutor(max_workers=1, thread_name_prefix="tamga-ingest-writer"))
        with writer_pool as writer:
            try:
                for batch in self._batches(plan):
                    items = self._declaration_items(batch)
                    if not items:
                        continue
                    # before the writer takes the batch: it drops the items' route_parts
                    self.to_ledger("declarations", ledger_rows.declarations, items)
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
        # keys are unique (seen_items): nothing to look up, unless another writer wrote between two
        # batches (`others_wrote`). A re-run, or a run after a killed one, looks.
        existing = {} if self.fresh_store else {
            r["key"]: r["complete"] for r in
            self.store.run("ingest.existing_declarations", keys=[i["key"] for i in items])}
        new = [i for i in items if i["key"] not in existing]
        partial = [i for i in items if existing.get(i["key"]) is False]
        if new:
            self.store.create_linked_nodes("ingest.create_declarations", "Declaration", new,
                                           DECLARATION_LINKS)
        if partial:
            self.store.run("ingest.merge_declarations", rows=partial)
        fr.loaded += len(new) + len(partial)
        fr.existing += len(items) - len(new) - len(partial)
        if self.on_written is not None and self.on_written("declarations"):
            self.others_wrote()

    def _declaration_items(self, b: Batch) -> list[dict[str, Any]]:
        """The items of a batch to store, column-wise; quarantines the rows that break a rule only
        the loader can check: an item seen before in the bundle, an import without a consignee, a
        party id neither in the bundle nor in the store."""
        c = b.cols
        pre = self.key("")
        roles = [(col, fld, c[col], [pre + v if v else None for v in c[col]])
                 for col, fld in ROLE_FIELD.items()]
        self.resolve_parties({k for *_, keys in roles for k in keys if k is not None})
        known, seen = self.known_parties, self.seen_items
        item_nos = [int(x) if x is not None else 1 for x in c["item_no"]]
        naturals = [f"{d}/{i}" for d, i in zip(c["declaration_id"], item_nos, strict=True)]
        regimes, consignees = c["regime"], c["consignee_id"]
        ok = []
        for i, natural in enumerate(naturals):
            if natural in seen:
                self.quarantine("declarations", b.source, b.lines[i], "item_no",
                                f"duplicate item {natural} in the bundle", b.raw[i])
                continue
            if consignees[i] is None and (regimes[i] or "").upper().startswith("IM"):
                self.quarantine("declarations", b.source, b.lines[i], "consignee_id",
                                "required value missing (import)", b.raw[i])
                continue
            unknown = next((col for col, _, _, keys in roles if keys[i] is not None and keys[i] not in known),
                           None)
            if unknown is not None:
                self.quarantine("declarations", b.source, b.lines[i], unknown,
                                f"unknown party id {c[unknown][i]!r}",
                                b.raw[i])
                continue
            seen.add(natural)
            ok.append(i)
        if not ok:
            return []
        modes = _mapped(c["transport_mode"], nz.normalise_transport_mode)
        plates = _mapped(c["vehicle_id"], nz.normalise_plate)
        route_cols = (c["origin_country"], c["dispatch_country"], c["transit_countries"],
                      c["destination_country"],
                      c["border_post"], modes)
        copy = [(k, c[k]) for k in _DECLARATION_COPY]
        aside = [(k, c[k]) for k in _LEDGER_ONLY]
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
                    "vehicle": plates[i], "vehicle_raw": c["vehicle_id"][i],
                    "ledger_only": {k: col[i] for k, col in aside if col[i] is not None}}
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
                    cs.append({"code": dest, "role": "destination",
                               "order": 2 + len(transit.split(";") if transit else [])})
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
            del i["route_parts"], i["vehicle_raw"], i["ledger_only"]

