"""Data arriving one call at a time: declaration items, inspection results and offences posted by
other systems, stored through the ingest's own path for rows, and the provisional risk update.

`store_rows` is the one place the API writes contract rows (POST /assess?store=true uses it too):
the parties the rows name are read from the store and handed over with them (the ingest checks
them against the store, as for a bundle), then `ingest.load.ingest_rows` validates, quarantines
and loads. Calls are all-or-nothing: `check_rows` validates every row with the ingest's own row
rules (`ingest.validate.RowValidator`) and `party_records` checks every named party before
anything is written, so a bad row is a 422 naming its index and column and nothing of the call is
stored. Small calls take the ingest's lean path (`record=False`: no IngestRun node or report files
per call; the API's audit trail is the record).

`refresh_provisional(store, touched_party_keys)` (for an ingest job: with `touched_by_rows` of the
rows it loaded) brings the risk of the parties new data touched
up to date without a full run (the model: `graph.network.provisional`): it reads their
neighbourhood (shared identifiers and officers of at most `MAX_DEGREE` sharers, and trade
partners; capped at `MAX_PARTIES`), recomputes the touched parties' seeds from their stored
offences, violations and decisions with the full run's own rule (`risk.offence_seeds`), and writes
the new scores flagged `risk_provisional` (cleared by the next full run).
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
from fastapi.exceptions import RequestValidationError

from graph.domain import schema
from graph.domain.encoding import to_json
from graph.network import provisional as prov
from graph.network.risk import RiskSettings, offence_seeds
from graph.pipeline.results import loads
from graph.store import GraphStore

_PARTY_COLUMNS = [c.name for c in schema.FILE_BY_NAME["parties"].columns]
LEAN_MAX_ROWS = 1000  # calls up to this many rows take the ingest's lean path
MAX_DEGREE = 25  # identifiers shared by more parties carry ~no weight (groups.max_pair_degree)
MAX_PARTIES = 2000  # neighbourhood cap of one provisional update
MAX_TRADE_ROWS = 20_000
_ROLE_OF_REL = {t: c.removesuffix("_id") for c, t in schema.PARTY_ROLES.items()}
_REF_CACHE: dict[int, tuple[Any, pd.Timestamp]] = {}
_REF_LOCK = threading.Lock()
Hold = Callable[[], AbstractContextManager[Any]]  # the store's writer for one write (api.services.writer)


class RowsRefused(Exception):
    """A row the ingest would refuse or cannot place: (file, index, column, reason)."""

    def __init__(self, file: str, index: int, column: str, reason: str):
        super().__init__(f"{file} item {index}: {column}: {reason}")
        self.file, self.index, self.column, self.reason = file, index, column, reason

    def as_validation_error(self) -> RequestValidationError:
        """The API's 422 problem, with the item's index and field in `errors[].loc`."""
        return RequestValidationError([{"loc": ("body", "items", self.index, self.column),
                                        "msg": self.reason, "type": "value_error"}])


# --------------------------------------------------------------------------- storing rows

def check_rows(file: str, rows: list[dict[str, Any]]) -> None:
    """Every row through the ingest's row rules (types, ranges, required values) before anything is
    written; raises `RowsRefused` for the first bad one."""
    from ingest.load.plan import _text
    from ingest.validate import RowError, RowValidator

    v = RowValidator(file)
    for i, row in enumerate(rows):
        try:
            v({k: ("" if x is None else _text(x)).strip() for k, x in row.items()})
        except RowError as e:
            raise RowsRefused(file, i, e.column, e.reason) from None


def party_records(store: GraphStore, source: str, named: list[tuple[int, str, str]],
                  file: str = "declarations") -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """The stored records of the parties rows name ((index, column, party id)): as contract rows
    for the ingest, and whole by key; raises `RowsRefused` naming the first row whose party is not
    in the store."""
    keys = list(dict.fromkeys(schema.node_key(source, pid) for _, _, pid in named))
    got = {r["key"]: r["party"] for r in store.run("intake.parties_by_key", keys=keys)} if keys else {}
    for i, col, pid in named:
        if schema.node_key(source, pid) not in got:
            raise RowsRefused(file, i, col, f"party {pid!r} of source {source!r} is not in the store: "
                                            "ingest its record first")
    return [{c: got[k].get(c) for c in _PARTY_COLUMNS} for k in keys], got


def has_record(party: dict[str, Any]) -> bool:
    """Whether the stored party has an enforcement record in its last score (own_record > 0)."""
    return _feature_values(party.get("risk_reasons")).get("own_record", 0.0) > 0


def store_rows(store: GraphStore, settings, source: str, rows: dict[str, list[dict[str, Any]]],
               parties: list[dict[str, Any]], label: str, record: bool | None = None, journal: Any = None):
    """Rows of contract files (checked first by the caller) with the stored records of their parties,
    through `ingest_rows`; small calls take its lean path unless `record` says otherwise (POST
    /assess?store=true keeps its IngestRun per write). On the lean path the parties are known
    stored records (not merged again) and, with a `journal` (`api.services.posted.PostedLog`),
    the rows are journalled first and reach the ledger at its next flush, in one batch. Returns the report."""
    from ingest.load import ingest_rows

    if record is None:
        record = sum(len(v) for v in rows.values()) > LEAN_MAX_ROWS
    if record:
        return ingest_rows(store, {"parties": parties, "declarations": [], **rows}, source=source,
                           settings=settings, label=label, record=True)
    eid = journal.record(source, rows, parties) if journal is not None else None
    try:
        return ingest_rows(store, {"parties": parties, "declarations": [], **rows}, source=source,
                           settings=settings, label=label, record=False, parties_stored=True,
                           ledger=journal.buffer if journal is not None else None)
    except BaseException:
        if eid is not None:
            journal.void(eid)
        raise


def item_key(source: str, row: dict[str, Any]) -> str:
    return schema.node_key(source, f"{row['declaration_id']}/{row.get('item_no') or 1}")


def declaration_parties(rows: list[dict[str, Any]]) -> list[tuple[int, str, str]]:
    return [(i, c, r[c]) for i, r in enumerate(rows) for c in schema.PARTY_ROLES if r.get(c)]


#: the roles whose trade carries weight in the propagation (brokers and carriers: 0.03 / 0.01, and
#: hub-damped; a hub broker's neighbourhood is thousands of items, so they wait for the full run)
TOUCHING_ROLES = ("declarant_id", "consignee_id", "consignor_id")


def touched_by_items(source: str, rows: list[dict[str, Any]], parties: dict[str, dict[str, Any]]) -> set[str]:
    """The traders of new items that link a party with a record: new links to an offender (an item
    among parties without one moves no seed mass; its trade weight counts at the next full run)."""
    out: set[str] = set()
    for r in rows:
        keys = [schema.node_key(source, r[c]) for c in TOUCHING_ROLES if r.get(c)]
        if any(has_record(parties.get(k, {})) for k in keys):
            out.update(keys)
    return out


def touched_by_rows(source: str, rows: dict[str, list[dict[str, Any]]]) -> set[str]:
    """The party keys an ingest's rows touch, for `refresh_provisional` after an ingest job: the
    parties of its parties file (new or changed records), the offenders of its offences, the
    traders of its declarations (`TOUCHING_ROLES`) and the companies of its officers."""
    out = {schema.node_key(source, r["party_id"]) for r in rows.get("parties", []) if r.get("party_id")}
    out |= {schema.node_key(source, r["party_id"]) for r in rows.get("offences", []) if r.get("party_id")}
    out |= {schema.node_key(source, r["company_id"]) for r in rows.get("officers", []) if r.get("company_id")}
    out |= {schema.node_key(source, r[c])
            for r in rows.get("declarations", []) for c in TOUCHING_ROLES if r.get(c)}
    return out


# --------------------------------------------------------------------------- provisional risk

def _reference_date(store: GraphStore) -> pd.Timestamp:
    """The data's last declaration date (offence ages count from it), cached per store until a full run."""
    from graph.pipeline.results import data_version

    score_version = data_version(store)[1]
    with _REF_LOCK:
        hit = _REF_CACHE.get(id(store))
        if hit and hit[0] == score_version:
            return hit[1]
    r = store.run("intake.reference_date")
    ref = (pd.Timestamp(r[0]["reference_date"]) if r and r[0]["reference_date"] is not None
           else pd.Timestamp.now())
    with _REF_LOCK:
        _REF_CACHE[id(store)] = (score_version, ref)
    return ref


def _feature_values(reasons_json: Any) -> dict[str, float]:
    r = loads(reasons_json)
    if not isinstance(r, dict):
        return {}
    return {c["feature"]: float(c.get("value") or 0.0)
            for c in r.get("contributions") or [] if "feature" in c}


def neighbourhood(store: GraphStore, touched: list[str]) -> prov.Neighbourhood:
    """Touched parties, the parties sharing an identifier or officer with them, and their trade
    partners (in that order, capped at MAX_PARTIES), with the link nodes between them."""
    order: dict[str, int] = {}

    def idx(k: str) -> int | None:
        if k not in order:
            if len(order) >= MAX_PARTIES:
                return None
            order[k] = len(order)
        return order[k]

    for k in touched:
        idx(k)
    nodes: dict[str, int] = {}
    links: set[tuple[int, int, float, int]] = set()
    kinds: dict[int, str] = {}
    id_label = {i.rel: i.label for i in schema.IDENTIFIERS}
    for r in store.run("intake.shared_identifiers", keys=touched, max_degree=MAX_DEGREE):
        n = nodes.setdefault(f"{r['rel']}:{r['node']}", len(nodes))
        kinds[n] = id_label.get(r["rel"], "")
        deg = int(r["degree"] or len(r["sharers"]))
        spec = float(r["specificity"]) if r["specificity"] is not None else 0.5
        for q in r["sharers"]:
            e = idx(q)
            if e is not None:
                links.add((e, n, spec, deg))
    from graph.engine.stats import damping
    from graph.network.groups import OFFICER_PRIOR, GroupSettings

    knee = GroupSettings().knee
    for r in store.run("intake.shared_officers", keys=touched):
        n = nodes.setdefault(f"Person:{r['node']}", len(nodes))
        kinds[n] = "Person"
        deg = len(r["sharers"])
        spec = OFFICER_PRIOR.get(r["role"] or "", 0.7) * float(damping(deg, knee))
        for q in r["sharers"]:
            e = idx(q)
            if e is not None:
                links.add((e, n, spec, deg))
    trade: dict[tuple[int, int, str], int] = {}
    partners: dict[int, set[int]] = {}
    pairs: dict[tuple[str | None, str | None], str] = {(str(a), str(b)): k
                                                       for a, b, k in _trade_pairs()}
    for r in store.run("intake.trade_partners", keys=touched, limit=MAX_TRADE_ROWS):
        ra, rb = _ROLE_OF_REL.get(r["role"]), _ROLE_OF_REL.get(r["other_role"])
        kind = pairs.get((ra, rb)) or pairs.get((rb, ra))
        a, b = idx(r["party"]), idx(r["other"])
        if kind is None or a is None or b is None or a == b:
            continue
        edge = (min(a, b), max(a, b), kind)
        trade[edge] = trade.get(edge, 0) + int(r["items"])
        partners.setdefault(a, set()).add(b)
        partners.setdefault(b, set()).add(a)
    rows = [(a, b, kind, n, max(len(partners.get(a, ())), len(partners.get(b, ()))))
            for (a, b, kind), n in trade.items()]
    return prov.Neighbourhood(parties=list(order), nodes=list(nodes), links=sorted(links), link_kinds=kinds,
                              trade=rows)


def _trade_pairs():
    from graph.network.projection import TRADE_PAIRS

    return TRADE_PAIRS


def liable_parties(store: GraphStore, items: list[str]) -> dict[str, str]:
    """Item key -> its liable party key: the consignee, else the declarant (`vocabulary.liable_party`)."""
    roles: dict[str, dict[str, str]] = {}
    for r in store.run("intake.item_parties", keys=list(dict.fromkeys(items))) if items else []:
        roles.setdefault(r["key"], {})[r["rel"]] = r["party"]
    return {k: v.get("CONSIGNED_TO") or v["DECLARED_BY"] for k, v in roles.items()
            if v.get("CONSIGNED_TO") or v.get("DECLARED_BY")}


def seeds_of(store: GraphStore, keys: list[str], ref: pd.Timestamp, s: RiskSettings) -> dict[str, float]:
    """The seed weight of each party from its stored enforcement history, by the full run's rule
    (`risk.offence_seeds` over these parties alone, each its own entity)."""
    if not keys:
        return {}
    off = pd.DataFrame(store.run("intake.seed_offences", keys=keys),
                       columns=["party", "date", "offence_type", "status", "evaded_amount"])
    off["date"] = pd.to_datetime(off["date"])
    off["evaded_amount"] = pd.to_numeric(off["evaded_amount"], errors="coerce")
    viol = store.run("intake.seed_violations", keys=keys)
    liable = liable_parties(store, [v["item"] for v in viol])
    # each violation counts once, on its item's liable party (the full run's rule, liable_party), and
    # not at all where its declaration carries an offence record: offence_seeds' rule, applied here by
    # the items (the full run matches declaration keys; an offence concerns every item of its own)
    once = {v["item"]: v for v in viol if liable.get(v["item"]) == v["party"]}
    recorded = {r["item"] for r in store.run("intake.seed_violation_offences", items=list(once))} \
        if once else set()
    vrows = [{"date": v["date"], "inspection_result": "violation", "consignee": v["party"], "declarant": None,
              "declaration_key": None} for k, v in once.items() if k not in recorded]
    decl = pd.DataFrame(vrows, columns=["date", "inspection_result", "consignee", "declarant",
                                        "declaration_key"])
    off["declaration_key"] = None  # the recorded violations are left out above
    decl["date"] = pd.to_datetime(decl["date"])
    dec = pd.DataFrame(store.run("intake.seed_decisions", keys=keys), columns=["kind", "subject", "at"])
    frames = SimpleNamespace(offences=off, declarations=decl, decisions=dec)
    proj = SimpleNamespace(n_entities=len(keys), party_keys=np.array(keys, dtype=object),
                           party_entity=np.arange(len(keys)), reference_date=ref)
    seeds = offence_seeds(frames, proj, s)  # type: ignore[arg-type]
    return dict(zip(keys, (float(x) for x in seeds), strict=True))


class Pending:
    """Touched parties waiting for their provisional update, drained by one caller at a time: calls
    that arrive while an update runs add their parties to the next round instead of starting their
    own (so a stream of one-item calls costs one neighbourhood read per round, not per call).
    `settle_s` lets a round gather the calls of that long before it reads."""

    def __init__(self, settle_s: float = 0.2):
        self.settle_s = settle_s
        self._keys: set[str] = set()
        self._lock = threading.Lock()
        self._running = threading.Lock()

    def add(self, keys: set[str]) -> None:
        with self._lock:
            self._keys |= keys

    def now(self, store: GraphStore, keys: set[str], hold: Hold | None = None) -> dict[str, Any]:
        """Update these parties in the call (waiting for a round that runs)."""
        with self._running:
            return refresh_provisional(store, keys, hold=hold)

    def drain(self, store: GraphStore, hold: Hold | None = None) -> list[dict[str, Any]]:
        """Run rounds until nothing waits; returns their reports (none if another caller drains).
        A party added just as the last round ended waits for the next call's drain."""
        import time

        if not self._running.acquire(blocking=False):
            return []
        reports: list[dict[str, Any]] = []
        try:
            while True:
                time.sleep(self.settle_s)
                with self._lock:
                    keys, self._keys = self._keys, set()
                if not keys:
                    return reports
                reports.append(refresh_provisional(store, keys, hold=hold))
        finally:
            self._running.release()


_PENDING: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_PENDING_LOCK = threading.Lock()


def pending_for(store: GraphStore) -> Pending:
    with _PENDING_LOCK:
        p = _PENDING.get(store)
        if p is None:
            p = _PENDING[store] = Pending()
        return p


def refresh_provisional(store: GraphStore, touched_party_keys: list[str] | set[str],
                        hold: Hold | None = None) -> dict[str, Any]:
    """Provisional risk for the parties new data touched and their neighbourhood (module docstring);
    returns what it did: parties read and updated, and the seconds it took. `hold()` is the store's
    writer for the one write (`api.services.writer`; None: the caller holds it, as a job does)."""
    import time

    t0 = time.perf_counter()
    s = RiskSettings()
    touched = sorted(set(touched_party_keys))
    if not touched:
        return {"touched": 0, "neighbourhood": 0, "updated": 0, "seconds": 0.0}
    nb = neighbourhood(store, touched)
    state = {r["key"]: r for r in store.run("intake.party_state", keys=nb.parties)}
    old_values = [_feature_values(state.get(k, {}).get("risk_reasons")) for k in nb.parties]
    old_scores = [state.get(k, {}).get("risk_score") for k in nb.parties]
    new_seed = seeds_of(store, [k for k in touched if k in state], _reference_date(store), s)
    seeds = [new_seed[k] if k in new_seed else prov.seed_of(v.get("own_record", 0.0))
             for k, v in zip(nb.parties, old_values, strict=True)]
    ups = prov.update(nb, old_values, old_scores, seeds, s)
    at = datetime.now(UTC).isoformat(timespec="seconds")
    rows = []
    for k, u, v_old, was in zip(nb.parties, ups, old_values, old_scores, strict=True):
        if not u.changed and (k not in new_seed or was is not None):
            continue  # nothing moved (a touched party never scored is written all the same)
        base = loads(state.get(k, {}).get("risk_reasons"))
        base = base if isinstance(base, dict) else {}
        vals = {**v_old, **u.values}
        contrib: list[dict[str, Any]] = [
            {"feature": f, "value": round(x, 4), "contribution": round(x * prov.WEIGHT[f], 4)}
            for f, x in vals.items() if f in prov.WEIGHT and x > 0]
        contrib.sort(key=lambda c: -c["contribution"])
        rows.append({"key": k, "risk_score": round(u.score, 6), "provisional_at": at,
                     "risk_reasons": to_json({**base, "score": round(u.score, 4), "contributions": contrib,
                                              "provisional": True})})
    if rows:
        with hold() if hold is not None else contextlib.nullcontext():
            store.run("intake.write_provisional", rows=rows)
    return {"touched": len(touched), "neighbourhood": len(nb.parties), "updated": len(rows),
            "seconds": round(time.perf_counter() - t0, 4)}

