"""One summary of the scored declaration items, read by the risk-areas view (`graph.pipeline.risk_areas`)
and the effectiveness figures (`graph.pipeline.effectiveness`).

Why: both need every item (its HS chapter, route, month, lanes, random pick, inspection result, trader
category, the profiles that selected it), and each read them all from the store on its first call, with
a cache of its own (measured at 100k items: 1.3 s and 10 s, growing with the items). Here they are read
once per change of what they depend on (`version`: the latest ingest and scoring runs, the number of
items, the inspection decisions) and aggregated into tables far smaller than the items:

- `cube`: per (HS chapter, route, month) the items, inspected, hits, duties at stake on undervalued
  items, the proposed lanes and the lanes assigned at the time (the risk areas roll it up);
- `measures`: per (lane the item was drawn from, random pick, inspection result, trader category) the
  items and their duties recovered (the effectiveness rows per lane, category and the random baseline);
- `profiles`: the same per (profile id, profile label, random pick, inspection result), each item once
  per profile; `mentions`: per profile id, the stored reasons naming it (the risk areas' profile hits);
- `sample`: the random picks with a result, for the compliance estimates (few: the random share).

Where the items come from: the ledger (their immutable columns, read with pyarrow; `Ledger.current`)
plus the store's small mutable state (the lanes, random picks and reasons of the flagged items, the
unit-value duties at stake, the inspection results recorded since ingest, the trader categories, the
offences). When the ledger does not hold every stored item (a store loaded before the ledger existed,
or rows posted in the last seconds, before the posted rows' flush), from the store's own frames.

When: the server computes it ahead on a thread of its own (`warm`) after every ingest or scoring job,
so the first view after a job is quick and the job does not wait for it (nor does `tamga score`: a
server started after the command computes it at the first view, or reads it from beside the store);
an inspection changes the version and the next reader computes it again, once for both views (a lock
per store). The last one is kept per store in this process and written beside an
embedded store's file (`<data_dir>/summaries/items/`), so a restarted server reads it instead of
computing it again.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd

from graph.declarations.selection import RANDOM_FEATURE
from graph.settings import Settings, get_settings
from graph.store import GraphStore

CUBE_KEYS = ["hs_chapter", "route", "month"]
CUBE_COUNTS = ["items", "inspected", "hits", "duties_undervalued", "lane_red", "lane_yellow", "lane_blue",
               "channel_red", "channel_yellow", "channel_blue"]
MEASURE_KEYS = ["lane", "random", "inspection_result", "category"]
PROFILE_KEYS = ["profile_id", "label", "random", "inspection_result"]
SAMPLE_COLUMNS = ["random", "inspection_result", "lane", "hs_chapter", "origin_country", "border_post",
                  "category"]
_TABLES = ("cube", "measures", "profiles", "sample")
_NONE = "\0"  # a null group key as written to Parquet and read back


@dataclass
class ItemSummary:
    """The aggregated items (module docstring); `version` is what it was computed at."""

    version: list[Any]
    items: int
    random_picks: int
    cube: pd.DataFrame
    measures: pd.DataFrame
    profiles: pd.DataFrame
    sample: pd.DataFrame
    mentions: dict[str, int] = field(default_factory=dict)
    source: str = "ledger"


def version(store: GraphStore) -> list[Any]:
    """What the summary depends on: the latest ingest and score runs, the number of items, and the
    inspection decisions (count, latest recorded, latest withdrawn). As JSON values, to compare with
    the version written beside the store."""
    from graph.pipeline.results import data_version

    r = store.run("risk.effectiveness_version")
    row = r[0] if r else {}
    v = [*data_version(store), row.get("items"), row.get("inspections"), row.get("last_at"),
         row.get("last_deleted")]
    return json.loads(json.dumps(v, default=str))


_CACHE: weakref.WeakKeyDictionary[Any, ItemSummary] = weakref.WeakKeyDictionary()
_LOCKS: weakref.WeakKeyDictionary[Any, threading.Lock] = weakref.WeakKeyDictionary()
_LOCKS_LOCK = threading.Lock()


def summary(store: GraphStore, settings: Settings | None = None) -> ItemSummary:
    """The summary at the store's current version: kept, read from beside the store, or computed."""
    s = settings or get_settings()
    with _LOCKS_LOCK:
        lock = _LOCKS.setdefault(store, threading.Lock())
    with lock:  # two views asking at once compute it once
        v = version(store)
        hit = _CACHE.get(store)
        if hit is not None and hit.version == v:
            return hit
        folder = _folder(store)
        got = _read(folder, v) if folder is not None else None
        if got is None:
            got = compute(store, s, v)
            if folder is not None:
                _write(folder, got)
        _CACHE[store] = got
        return got


def refresh(store: GraphStore, settings: Settings | None = None) -> float:
    """Compute the summary now; returns its seconds."""
    import time

    t = time.perf_counter()
    summary(store, settings)
    return round(time.perf_counter() - t, 3)


def warm(store: GraphStore, settings: Settings | None = None) -> threading.Thread:
    """`refresh` on a thread of its own: the server calls it after every job, so the first
    view after a run does not wait, while the job and the scoring command do not wait for it either
    (measured at 1M items: 27 s, 20 CPU s, which the 60 s scoring goal cannot carry)."""
    import logging

    def run() -> None:
        try:
            refresh(store, settings)
        except Exception:  # a view computes it again on its first call, and says what failed
            logging.getLogger(__name__).exception("the item summary could not be computed ahead")

    t = threading.Thread(target=run, name="tamga-item-summary", daemon=True)
    t.start()
    return t


# --------------------------------------------------------------------------- the items

def _reasons(text: Any) -> list[dict]:
    if not text:
        return []
    try:
        v = orjson.loads(text) if isinstance(text, str | bytes) else text
    except orjson.JSONDecodeError:
        return []
    return v if isinstance(v, list) else []


def _month(dates: pd.Series) -> pd.Series:
    """"YYYY-MM" of each date (as the store's `substring(toString(d.date), 0, 7)`), None where none."""
    d = pd.to_datetime(dates, errors="coerce")
    return d.dt.strftime("%Y-%m").astype(object).where(d.notna(), None)


def _ledger_items(s: Settings, state_inspections: pd.DataFrame, n_items: Any) -> pd.DataFrame | None:
    """The items' immutable columns from the ledger (None when it does not hold every stored item)."""
    from graph.ledger import Ledger
    from graph.store.ledger_frames import node_keys, overlay

    ledger = Ledger.of(s)
    cols = ["key", "source", "declaration_id", "date", "hs_code", "route", "origin_country", "border_post",
            "inspection_result", "channel", "consignee_id", "declarant_id"]
    try:
        t = ledger.current("declarations", columns=cols)
    except (FileNotFoundError, OSError, ValueError):
        return None
    if t.num_rows != int(n_items or 0):
        return None
    if not t.num_rows:
        return pd.DataFrame(columns=["key", "declaration_key", "date", "hs_code", "route", "origin_country",
                                     "border_post", "inspection_result", "channel", "consignee", "declarant"])
    src = t["source"]
    df = t.select(["key", "date", "hs_code", "route", "origin_country", "border_post", "inspection_result",
                   "channel"]).to_pandas(date_as_object=True)
    df["declaration_key"] = node_keys(src, t["declaration_id"]).to_pandas()
    for role in ("consignee", "declarant"):
        df[role] = node_keys(src, t[f"{role}_id"]).to_pandas()
    if len(state_inspections):
        df["inspection_result"] = overlay(pd.Index(df["key"]), state_inspections, "inspection_result",
                                          df["inspection_result"])
    return df


def _store_items(store: GraphStore) -> pd.DataFrame:
    """The same columns from the store's own frames (and the assigned lanes, which they do not read)."""
    from graph.store.frames import declarations_from_store

    d = declarations_from_store(store)
    channels = store.run_frame("summary.item_channels")
    ch = channels.set_index("key")["channel"] if len(channels) else pd.Series(dtype=object)
    return pd.DataFrame({"key": d["key"], "declaration_key": d["declaration_key"], "date": d["date"],
                         "hs_code": d["hs_code"], "route": d["route"], "origin_country": d["origin_country"],
                         "border_post": d["border_post"], "inspection_result": d["inspection_result"],
                         "channel": d["key"].map(ch), "consignee": d["consignee"],
                         "declarant": d["declarant"]})


def _categories(store: GraphStore, d: pd.DataFrame) -> pd.Series:
    """An item's trader category: its liable party's entity's category at the end of the month before
    the item's (what was known when it was assessed), else (a new trader) of its own month."""
    from graph.declarations import categories
    from graph.domain.vocabulary import liable_party

    cats = store.run_frame("risk.trader_categories")
    if cats.empty:
        return pd.Series("uncategorised", index=d.index, dtype=object)
    ents = store.run_frame("risk.party_entities")
    entity_of = pd.Series(ents["entity_id"].to_numpy(), index=ents["key"].to_numpy()) if len(ents) \
        else pd.Series(dtype=object)
    ent = liable_party(d["consignee"], d["declarant"]).map(entity_of)
    month = pd.to_datetime(d["date"], errors="coerce").dt.to_period("M")
    before = categories.as_of(cats, ent, (month - 1).astype(str))
    same = categories.as_of(cats, ent, month.astype(str))
    return before.fillna(same).fillna("uncategorised").astype(object)


Profiles = dict[str, list[tuple[str, str]]]


def item_frame(store: GraphStore, s: Settings | None = None
               ) -> tuple[pd.DataFrame, str, Profiles, dict[str, list[str]]]:
    """One row per stored item with what the summary aggregates: key, hs_chapter, month, route,
    origin_country, border_post, inspection_result, stored_lane, proposed_lane (as stored, green where
    none), lane (a random pick in the lane it was drawn from), random, channel, uv (duties at stake if
    undervalued), duties_recovered, category; where the items were read from ("ledger" or "store");
    and, by item key of the flagged items, the (id, label) of the profiles that selected it and the
    profile ids its reasons name (each time named)."""
    s = s or get_settings()
    flagged = store.run_frame("summary.flagged_items")
    inspected = store.run_frame("analytics.frames_inspected_items")
    n = store.run("risk.effectiveness_version")
    d = _ledger_items(s, inspected, n[0].get("items") if n else 0) if s.ledger_writes else None
    source = "ledger"
    if d is None:
        d, source = _store_items(store), "store"
    out = pd.DataFrame({"key": d["key"].astype(object),
                        "hs_chapter": d["hs_code"].astype(object).str[:2],
                        "month": _month(d["date"]), "route": d["route"].astype(object),
                        "origin_country": d["origin_country"].astype(object),
                        "border_post": d["border_post"].astype(object),
                        "inspection_result": d["inspection_result"].astype(object),
                        "channel": d["channel"].astype(object)})
    lane_of: dict[str, str] = {}
    uv_of: dict[str, float] = {}
    rnd: set[str] = set()
    drawn: dict[str, str] = {}
    profs: Profiles = {}
    mentions: dict[str, list[str]] = {}
    for k, lane, r, text, uv in zip(flagged.get("key", []), flagged.get("lane", []),
                                    flagged.get("random", []), flagged.get("reasons", []),
                                    flagged.get("uv", []), strict=False):
        if uv is not None and pd.notna(uv):
            uv_of[k] = float(uv)
        if lane is None or pd.isna(lane):
            continue
        lane_of[k] = lane
        if r is not None and not pd.isna(r) and bool(r):
            rnd.add(k)
        fired, named = [], []
        for x in _reasons(text):
            f = x.get("feature") if isinstance(x, dict) else None
            if not isinstance(f, str):
                continue
            if f == RANDOM_FEATURE and x.get("value"):
                drawn[k] = str(x["value"])
            if f.startswith("profile:"):
                ev = x.get("evidence") or [{}]
                fired.append((f.removeprefix("profile:"), str((ev[0] or {}).get("label") or "")))
                named.append(f.removeprefix("profile:"))
        profs[k], mentions[k] = fired, named
    stored = out["key"].map(lane_of).astype(object)
    out["stored_lane"] = stored.where(stored.notna(), None)
    out["proposed_lane"] = stored.fillna("green")
    out["random"] = out["key"].isin(rnd)
    from_draw = out["key"].map(drawn).astype(object)
    out["lane"] = from_draw.where(out["random"] & from_draw.notna(), out["proposed_lane"])
    out["uv"] = out["key"].map(uv_of).astype(float)
    out["duties_recovered"] = _duties_recovered(store, d, out["inspection_result"])
    out["category"] = _categories(store, d).to_numpy()
    return out, source, profs, mentions


def _duties_recovered(store: GraphStore, d: pd.DataFrame, result: pd.Series) -> np.ndarray:
    """The evaded duty of the offences on a hit item's declaration, shared among its hits."""
    from graph.store.frames import offences_from_store

    offences = offences_from_store(store)
    hit = (result == "violation").to_numpy()
    evaded = offences.groupby("declaration_key")["evaded_amount"].sum() if len(offences) else pd.Series(
        dtype=float)
    n_hits = d.loc[hit, "declaration_key"].value_counts()
    share = d["declaration_key"].map(evaded).fillna(0.0) / d["declaration_key"].map(n_hits).fillna(1.0)
    return share.where(hit, 0.0).astype(float).round(2).to_numpy()


# --------------------------------------------------------------------------- the aggregates

def compute(store: GraphStore, s: Settings | None = None, v: list[Any] | None = None) -> ItemSummary:
    """Read the items once and aggregate them (module docstring)."""
    s = s or get_settings()
    v = version(store) if v is None else v
    items, source, profs, named = item_frame(store, s)
    res = items["inspection_result"]
    inspected = res.isin(["clear", "violation"])
    counts = pd.DataFrame({"items": 1, "inspected": inspected.astype(int),
                           "hits": (res == "violation").astype(int),
                           "duties_undervalued": items["uv"].fillna(0.0)})
    for ln in ("red", "yellow", "blue"):
        counts[f"lane_{ln}"] = (items["stored_lane"] == ln).astype(int)
        counts[f"channel_{ln}"] = (items["channel"] == ln).astype(int)
    cube = pd.concat([items[CUBE_KEYS], counts], axis=1).groupby(CUBE_KEYS, dropna=False, sort=True)[
        CUBE_COUNTS].sum().reset_index()
    m = items[MEASURE_KEYS + ["duties_recovered"]].assign(n=1)
    measures = m.groupby(MEASURE_KEYS, dropna=False, sort=True).agg(
        n=("n", "sum"), duties_recovered=("duties_recovered", "sum")).reset_index()
    pairs = [(k, pid, label) for k, ps in profs.items() for pid, label in ps]
    pf = pd.DataFrame(pairs, columns=["key", "profile_id", "label"]).drop_duplicates()
    pf = pf.merge(items[["key", "random", "inspection_result", "duties_recovered"]], on="key").assign(n=1)
    profiles = pf.groupby(PROFILE_KEYS, dropna=False, sort=True).agg(
        n=("n", "sum"), duties_recovered=("duties_recovered", "sum")).reset_index()
    mentions: dict[str, int] = {}
    for ids in named.values():
        for pid in ids:
            mentions[pid] = mentions.get(pid, 0) + 1
    sample = items.loc[items["random"] & inspected, SAMPLE_COLUMNS].reset_index(drop=True)
    return ItemSummary(version=v, items=len(items), random_picks=int(items["random"].sum()), cube=cube,
                       measures=measures, profiles=profiles, sample=sample, mentions=mentions, source=source)


# --------------------------------------------------------------------------- beside the store

def _folder(store: GraphStore) -> Path | None:
    """Beside the store's file (an embedded store on disk; None for Neo4j or a store in memory, whose
    summary is kept in this process only). Not the settings' data dir: a caller may pass none and
    hold a store of another."""
    path = getattr(store, "path", None)
    return Path(path).parent / "summaries" / "items" if path is not None else None


def _write(folder: Path, x: ItemSummary) -> None:
    """Parquet per table and the rest as JSON, in a new folder exchanged for the old one."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".items-", dir=folder.parent))
    for name in _TABLES:
        t: pd.DataFrame = getattr(x, name)
        keys = [c for c in t.columns if t[c].dtype == object]
        t.assign(**{c: t[c].where(t[c].notna(), _NONE) for c in keys}).to_parquet(tmp / f"{name}.parquet")
    meta = {"version": x.version, "items": x.items, "random_picks": x.random_picks, "mentions": x.mentions,
            "source": x.source}
    (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    old = folder.with_name(f".old-{os.getpid()}-{threading.get_ident()}")
    if folder.exists():
        folder.rename(old)
    tmp.rename(folder)
    shutil.rmtree(old, ignore_errors=True)


def _read(folder: Path, v: list[Any]) -> ItemSummary | None:
    """The summary written beside the store, if it was computed at version `v`."""
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        if meta.get("version") != v:
            return None
        tables = {}
        for name in _TABLES:
            t = pd.read_parquet(folder / f"{name}.parquet")
            for c in t.columns:
                if t[c].dtype == object:
                    t[c] = t[c].where(t[c] != _NONE, None)
            tables[name] = t
    except (OSError, ValueError, KeyError):
        return None
    return ItemSummary(version=v, items=int(meta["items"]), random_picks=int(meta["random_picks"]),
                       mentions={str(k): int(n) for k, n in meta["mentions"].items()},
                       source=str(meta.get("source") or "ledger"), **tables)
