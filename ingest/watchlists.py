"""Watchlists: sanctions lists in the FollowTheMoney format and the service's own lists, versioned.

Two readers, one shape. `read_ftm` reads FtM entity files (JSON lines, as OpenSanctions publishes
them) through the `followthemoney` library (`model.get_proxy`), so every schema, property and
edge is read the way FtM defines it: persons, companies, organisations and vessels become listed
entities; edge schemata (Ownership, Directorship, Family, Associate, ...) become links between
them; Sanction, Address and identification records (Passport, Identification) are folded into the
entity they describe. `read_csv` reads the service's own list, a UTF-8 CSV with a header:

    entity_id (required)  the list's own id, stable across versions
    name (required)       the main name, any script
    kind                  person or company (default company)
    aliases               other names, separated by `;`
    country               ISO 3166-1 alpha-2 codes, separated by `;`
    birth_date            date of birth or of incorporation (YYYY, YYYY-MM or YYYY-MM-DD)
    tax_id                tax number (INN / TIN / BIN / STIR)
    registration_number   registration number (OGRN ...)
    reason                why the entity is on the list

A row with a bad value is rejected with its line and field and the good rows are loaded; a file
without the required columns is refused whole (`WatchlistError`, exit code 2 at the CLI).

`load_watchlist` stores one version of a list: each entity and link carries a content hash, the
previous version's hashes are read back, and the load records which entities and links were added,
changed or removed (a `WatchlistVersion` node); only those are written or deleted.
"""

from __future__ import annotations

import builtins
import csv
import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graph.domain.schema import node_key
from graph.store import GraphStore

if TYPE_CHECKING:
    from followthemoney.proxy import EntityProxy

MATCHABLE = ("Person", "Company", "Organization", "LegalEntity", "PublicBody", "Vessel", "Airplane")
# FtM identifier properties -> the kind a screening hit names; others (kppCode: a branch code shared
# by many firms, programId, permId) are no evidence of identity and are not kept
ID_PROPS = {"innCode": "inn", "ogrnCode": "ogrn", "taxNumber": "tax", "vatCode": "vat",
            "registrationNumber": "registration", "idNumber": "id", "okpoCode": "okpo", "leiCode": "lei",
            "imoNumber": "imo", "passportNumber": "passport", "number": "passport"}
LINK_TYPES = {"Ownership": "OWNS", "Directorship": "DIRECTS"}  # every other edge schema: RELATED_TO
CSV_COLUMNS = ("entity_id", "name", "kind", "aliases", "country", "birth_date", "tax_id",
               "registration_number", "reason")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_COUNTRY = re.compile(r"^[a-z]{2}$")


class WatchlistError(ValueError):
    """A list file that cannot be read, naming the file, line and field."""


@dataclass
class ListData:
    entities: dict[str, dict[str, Any]] = field(default_factory=dict)  # entity_id -> record
    links: dict[str, dict[str, Any]] = field(default_factory=dict)  # link_id -> record
    rejected: list[dict[str, Any]] = field(default_factory=list)  # {line, field, message}
    dangling_links: int = 0


def content_hash(record: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(record, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _sorted(values: Iterable[str]) -> list[str]:
    return sorted({v for v in values if v})


# --------------------------------------------------------------------------- FollowTheMoney

def _read_proxies(path: Path) -> list[tuple[str, EntityProxy]]:
    """The file's FtM entities with their ids; a line that is not one, or has no id, is refused
    with its number."""
    from followthemoney import model
    from followthemoney.exc import InvalidData

    proxies = []
    with path.open(encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                proxy = model.get_proxy(json.loads(line))
            except (json.JSONDecodeError, InvalidData, TypeError, KeyError) as e:
                raise WatchlistError(f"{path}:{line_no}: not an FtM entity: {e}") from None
            if proxy.id is None:
                raise WatchlistError(f"{path}:{line_no}: not an FtM entity: it has no id")
            proxies.append((proxy.id, proxy))
    return proxies


def read_ftm(path: str | Path) -> ListData:
    """Entities and links of an FtM JSON-lines file."""
    proxies = _read_proxies(Path(path))
    out = ListData()
    by_id = {pid: p for pid, p in proxies}
    for pid, p in proxies:
        if p.schema.name in MATCHABLE or any(p.schema.is_a(s) for s in ("LegalEntity", "Vessel")):
            out.entities[pid] = {
                "schema": p.schema.name, "name": p.caption,
                "names": _sorted(p.get_type_values(_registry().name)),
                "countries": _sorted(p.get_type_values(_registry().country)),
                "birth_dates": _sorted(p.get("birthDate", quiet=True)
                                       + p.get("incorporationDate", quiet=True)),
                "identifiers": sorted({(ID_PROPS[prop.name], v) for prop, v in p.itervalues()
                                       if prop.name in ID_PROPS}),
                "addresses": _sorted([*p.get("address", quiet=True),
                                      *(a.first("full") or a.caption
                                        for ref in p.get("addressEntity", quiet=True)
                                        if (a := by_id.get(ref)) is not None)]),
                "sanctions": [],
            }
    for pid, p in proxies:
        s = p.schema
        if s.name == "Sanction":
            for ref in p.get("entity"):
                if ref in out.entities:
                    out.entities[ref]["sanctions"].append(
                        {"authority": p.first("authority"), "program": p.first("program"),
                         "start": p.first("startDate")})
        elif s.is_a("Identification"):
            for ref in p.get("holder"):
                if ref in out.entities and p.first("number"):
                    out.entities[ref]["identifiers"].append(("passport", p.first("number")))
        elif s.edge and s.edge_source and s.edge_target:
            src, tgt = p.first(s.edge_source), p.first(s.edge_target)
            if src not in out.entities or tgt not in out.entities:
                out.dangling_links += 1
                continue
            pct = p.first("percentage", quiet=True)
            out.links[pid] = {
                "type": LINK_TYPES.get(s.name, "RELATED_TO"), "kind": s.name.lower(),
                "source": src, "target": tgt,
                "role": p.first("role", quiet=True) or p.first("relationship", quiet=True),
                "share_pct": _float(pct), "since": p.first("startDate", quiet=True),
            }
    for ent in out.entities.values():
        ent["sanctions"] = sorted(ent["sanctions"], key=lambda x: json.dumps(x, sort_keys=True))
        ent["identifiers"] = [{"kind": k, "value": v} for k, v in sorted(set(map(tuple, ent["identifiers"])))]
    return out


def _registry():
    from followthemoney.types import registry

    return registry


def _float(v: str | None) -> float | None:
    try:
        return float(str(v).replace("%", "").replace(",", ".")) if v else None
    except ValueError:
        return None


# --------------------------------------------------------------------------- the service's own CSV

def read_csv(path: str | Path) -> ListData:
    path = Path(path)
    out = ListData()
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        missing = [c for c in ("entity_id", "name") if c not in header]
        if missing:
            raise WatchlistError(f"{path}:1: missing required column(s) {', '.join(missing)} "
                                 f"(columns: {', '.join(CSV_COLUMNS)})")
        for row in reader:
            line = reader.line_num
            problem = _csv_problem(row)
            if problem:
                out.rejected.append({"line": line, "field": problem[0], "message": problem[1]})
                continue
            eid = row["entity_id"].strip()
            if eid in out.entities:
                out.rejected.append({"line": line, "field": "entity_id", "message": f"duplicate id {eid!r}"})
                continue
            kind = (row.get("kind") or "company").strip().lower()
            ids = [{"kind": k, "value": row[c].strip()} for c, k in (("tax_id", "tax"),
                                                                     ("registration_number", "registration"))
                   if (row.get(c) or "").strip()]
            name = row["name"].strip()
            out.entities[eid] = {
                "schema": "Person" if kind == "person" else "Company", "name": name,
                "names": _sorted([name, *(a.strip() for a in (row.get("aliases") or "").split(";"))]),
                "countries": _sorted(c.strip().lower() for c in (row.get("country") or "").split(";")),
                "birth_dates": _sorted([(row.get("birth_date") or "").strip()]),
                "identifiers": ids, "addresses": [],
                "sanctions": [{"authority": "own list", "program": (row.get("reason") or "").strip() or None,
                               "start": None}],
            }
    return out


def _real_date(v: str) -> bool:
    """`1970-13` has the shape of a date but is none."""
    try:
        dt.date.fromisoformat((v + "-01-01")[:10] if len(v) == 4 else (v + "-01")[:10] if len(v) == 7 else v)
        return True
    except ValueError:
        return False


def _csv_problem(row: dict[str, str | None]) -> tuple[str, str] | None:
    if None in row:
        return "", "more values than columns"
    if not (row.get("entity_id") or "").strip():
        return "entity_id", "empty"
    if not (row.get("name") or "").strip():
        return "name", "empty"
    kind = (row.get("kind") or "company").strip().lower()
    if kind not in ("person", "company"):
        return "kind", f"{kind!r} is not person or company"
    bd = (row.get("birth_date") or "").strip()
    if bd and not (_DATE.match(bd) and _real_date(bd)):
        return "birth_date", f"{bd!r} is not YYYY, YYYY-MM or YYYY-MM-DD"
    for c in (row.get("country") or "").split(";"):
        if c.strip() and not _COUNTRY.match(c.strip().lower()):
            return "country", f"{c.strip()!r} is not an ISO 3166-1 alpha-2 code"
    return None


# --------------------------------------------------------------------------- versioned load

@dataclass
class WatchlistReport:
    # `builtins.list`: the field `list` (a key of the summary and the stored report) shadows the builtin
    list: str
    version: int
    path: str
    format: str
    entities: int
    links: int
    added: builtins.list[str]
    changed: builtins.list[str]
    removed: builtins.list[str]
    links_added: builtins.list[str]
    links_changed: builtins.list[str]
    links_removed: builtins.list[str]
    rejected: builtins.list[dict[str, Any]]
    dangling_links: int

    def summary(self) -> dict[str, Any]:
        return {k: (len(v) if isinstance(v, list) else v) for k, v in self.__dict__.items()}


def _diff(new: dict[str, str], old: dict[str, str]) -> tuple[list[str], list[str], list[str]]:
    added = sorted(k for k in new if k not in old)
    changed = sorted(k for k in new if k in old and old[k] != new[k])
    removed = sorted(k for k in old if k not in new)
    return added, changed, removed


def load_watchlist(store: GraphStore, path: str | Path, *, name: str, fmt: str | None = None,
                   now: dt.datetime | None = None) -> WatchlistReport:
    """Load one version of the list `name` from `path` (`fmt` ftm or csv; by default from the suffix)."""
    path = Path(path)
    if not name or not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", name):
        raise WatchlistError(f"list name {name!r}: letters, digits, '_', '.', '-' only (1-64)")
    if not path.exists():
        raise WatchlistError(f"{path}: no such file")
    fmt = fmt or ("csv" if path.suffix.lower() == ".csv" else "ftm")
    data = read_csv(path) if fmt == "csv" else read_ftm(path)
    e_hash = {eid: content_hash(rec) for eid, rec in data.entities.items()}
    l_hash = {lid: content_hash(rec) for lid, rec in data.links.items()}
    old_e = {r["entity_id"]: r["content_hash"] for r in store.run("watchlist.entity_hashes", list=name)}
    old_l = {r["link_id"]: r["content_hash"] for r in store.run("watchlist.link_hashes", list=name)}
    added, changed, removed = _diff(e_hash, old_e)
    l_added, l_changed, l_removed = _diff(l_hash, old_l)
    prev = store.run("watchlist.latest_version", list=name)
    version = int(prev[0]["version"] or 0) + 1 if prev else 1

    # links first off (a removed entity takes its links with it; a changed link is written again)
    if l_removed or l_changed:
        store.run("watchlist.delete_links", list=name, link_ids=l_removed + l_changed)
    if removed:
        store.run("watchlist.delete_entities", keys=[node_key(name, e) for e in removed])
    rows = [{"key": node_key(name, eid), "props": _props(name, eid, data.entities[eid], e_hash[eid], version)}
            for eid in added + changed]
    for _ in store.run_batches("watchlist.upsert_entities", rows, batch_size=2000):
        pass
    by_type: dict[str, list[dict]] = {}
    for lid in l_added + l_changed:
        rec = data.links[lid]
        by_type.setdefault(rec["type"], []).append({
            "link_id": lid, "source": node_key(name, rec["source"]), "target": node_key(name, rec["target"]),
            "kind": rec["kind"], "role": rec["role"], "share_pct": rec["share_pct"], "since": rec["since"],
            "content_hash": l_hash[lid]})
    query = {"OWNS": "watchlist.merge_owns", "DIRECTS": "watchlist.merge_directs",
             "RELATED_TO": "watchlist.merge_related"}
    for t, link_rows in by_type.items():
        for _ in store.run_batches(query[t], link_rows, batch_size=2000):
            pass
    report = WatchlistReport(name, version, str(path), fmt, len(data.entities), len(data.links),
                             added, changed,
                             removed, l_added, l_changed, l_removed, data.rejected, data.dangling_links)
    at = (now or dt.datetime.now(dt.UTC)).isoformat()
    store.run("watchlist.record_version", key=f"{name}:{version}", list=name, format=fmt, version=version,
              loaded_at=at, path=str(path), entities=len(data.entities), links=len(data.links),
              added=len(added), changed=len(changed), removed=len(removed),
              report=json.dumps(report.__dict__, ensure_ascii=False))
    return report


def _props(name: str, eid: str, rec: dict[str, Any], h: str, version: int) -> dict[str, Any]:
    js = {k: json.dumps(rec[k], ensure_ascii=False)
          for k in ("names", "countries", "birth_dates", "identifiers", "addresses", "sanctions")}
    return {"list": name, "entity_id": eid, "schema": rec["schema"], "name": rec["name"], **js,
            "content_hash": h, "version": version}

