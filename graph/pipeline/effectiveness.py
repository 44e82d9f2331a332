"""How effective each control measure is: per profile, lane and trader category, and for the random picks.

Why here (pipeline, not declarations): the figures are read from the store as it is now, with the
inspection results recorded since the last scoring run (`POST /inspections`, decisions of kind
inspection set `Declaration.inspection_result`), so an analyst sees a rule's hit rate as the results
come in, without a new run. The arithmetic is `graph.declarations.selection`.

Per measure: selections (items it selected), inspections (of those, items with a result), hits
(violations), the hit rate with its Wilson interval, duties recovered (the evaded duty of the offences
on the hit items' declarations, shared among the declaration's hit items), and the random picks' hit
rate as the baseline, with the lift over it; and the random picks within the measure's own selection
(random_inspections, random_hits, random_hit_rate): for a profile, the unbiased violation rate of the
items it describes, which its targeted hit rate is read against (a low one: the inspections find less
than there is). An item's trader category is its entity's category of
the month before the item (what was known when it was assessed), else of its own month.

Compliance (`compliance`): the random picks' results per risk area (HS chapter, origin, border post,
trader category) against the tolerance level (`Settings.tolerance_level`).

Cost: one read of every declaration item (the frames' declaration pages) plus the proposals, offences
and categories: seconds at 100k items, ~15 s at 1M (the frames' figure, not measured here). The API
pays it once per change: the figures are kept until a run, a new item or an inspection changes them.
"""

from __future__ import annotations

import weakref
from typing import Any

import orjson
import pandas as pd

from graph.declarations import categories, selection
from graph.domain.vocabulary import liable_party
from graph.settings import Settings, get_settings
from graph.store import GraphStore

MEASURES = ("random", "lane", "profile", "category")  # the order of the rows


def _reasons(text: Any) -> list[dict]:
    if not text:
        return []
    try:
        v = orjson.loads(text) if isinstance(text, str | bytes) else text
    except orjson.JSONDecodeError:
        return []
    return v if isinstance(v, list) else []


def item_frame(store: GraphStore) -> pd.DataFrame:
    """One row per stored item: key, lane (the lane the model and the profiles gave it: a random pick
    counts in the lane it was drawn from, not in the lane the draw sent it to), proposed_lane (as
    stored), random, profiles (ids and names of the profiles that selected it), inspection_result,
    duties_recovered, category, hs_chapter, origin_country, border_post."""
    from graph.store.frames import declarations_from_store, offences_from_store

    d = declarations_from_store(store)
    if d.empty:
        return pd.DataFrame(columns=["key", "lane", "proposed_lane", "random", "profiles",
                                     "inspection_result", "duties_recovered", "category", "hs_chapter",
                                     "origin_country", "border_post"])
    prop = store.run_frame("risk.proposals")
    rnd: dict[str, bool] = {}
    drawn: dict[str, str] = {}
    profs: dict[str, list[tuple[str, str]]] = {}
    for k, r, text in zip(prop.get("key", []), prop.get("random", []), prop.get("reasons", []), strict=False):
        rnd[k] = bool(r) if r is not None else False
        fired = []
        for x in _reasons(text):
            f = str(x.get("feature") or "") if isinstance(x, dict) else ""
            if f == selection.RANDOM_FEATURE and x.get("value"):
                drawn[k] = str(x["value"])
            if f.startswith("profile:"):
                ev = x.get("evidence") or [{}]
                fired.append((f.removeprefix("profile:"), str((ev[0] or {}).get("label") or "")))
        profs[k] = fired
    out = pd.DataFrame({"key": d["key"], "proposed_lane": d["lane"].astype(object).fillna("green"),
                        "inspection_result": d["inspection_result"].astype(object),
                        "hs_chapter": d["hs_code"].astype(str).str[:2],
                        "origin_country": d["origin_country"].astype(object),
                        "border_post": d["border_post"].astype(object)})
    out["random"] = out["key"].isin({k for k, v in rnd.items() if v})
    from_draw = out["key"].map(drawn).astype(object)
    out["lane"] = from_draw.where(out["random"] & from_draw.notna(), out["proposed_lane"])
    out["profiles"] = out["key"].map(profs)
    out["profiles"] = [p if isinstance(p, list) else [] for p in out["profiles"]]
    # duties recovered: the evaded duty of the offences on a hit item's declaration, shared among its hits
    offences = offences_from_store(store)
    hit = out["inspection_result"] == "violation"
    evaded = offences.groupby("declaration_key")["evaded_amount"].sum() if len(offences) else pd.Series(
        dtype=float)
    n_hits = d.loc[hit, "declaration_key"].value_counts()
    share = d["declaration_key"].map(evaded).fillna(0.0) / d["declaration_key"].map(n_hits).fillna(1.0)
    out["duties_recovered"] = share.where(hit, 0.0).astype(float).round(2)
    out["category"] = _item_categories(store, d)
    return out


def _item_categories(store: GraphStore, d: pd.DataFrame) -> pd.Series:
    cats = store.run_frame("risk.trader_categories")
    if cats.empty:
        return pd.Series("uncategorised", index=d.index, dtype=object)
    ents = store.run_frame("risk.party_entities")
    entity_of = pd.Series(ents["entity_id"].to_numpy(), index=ents["key"].to_numpy()) if len(ents) \
        else pd.Series(dtype=object)
    ent = liable_party(d["consignee"], d["declarant"]).map(entity_of)
    month = pd.to_datetime(d["date"], errors="coerce").dt.to_period("M")
    # the category at the end of the month before the item's, else (a new trader) of its own month
    before = categories.as_of(cats, ent, (month - 1).astype(str))
    same = categories.as_of(cats, ent, month.astype(str))
    return before.fillna(same).fillna("uncategorised").astype(object)


def _measure(measure: str, value: str, label: str, x: pd.DataFrame, confidence: float,
             baseline: float | None) -> dict[str, Any]:
    res = x["inspection_result"]
    n = int(res.isin(["clear", "violation"]).sum())
    k = int((res == "violation").sum())
    r = selection.rate(k, n, confidence)
    lift = round(r["rate"] / baseline, 4) if r["rate"] is not None and baseline else None
    rres = res[x["random"].to_numpy(dtype=bool)]
    rn, rk = int(rres.isin(["clear", "violation"]).sum()), int((rres == "violation").sum())
    return {"measure": measure, "value": value, "label": label, "selections": len(x), "inspections": n,
            "hits": k, "hit_rate": r["rate"], "low": r["low"], "high": r["high"],
            "duties_recovered": round(float(x["duties_recovered"].sum()), 2), "baseline_hit_rate": baseline,
            "lift": lift, "random_inspections": rn, "random_hits": rk,
            "random_hit_rate": round(rk / rn, 6) if rn else None}


def effectiveness_table(items: pd.DataFrame, confidence: float = 0.95) -> list[dict[str, Any]]:
    """The effectiveness rows of an `item_frame`: the random baseline first, then per lane, per
    profile and per category."""
    rnd = items[items["random"]]
    base = _measure("random", "random", "random picks (baseline)", rnd, confidence, None)
    baseline = base["hit_rate"]
    base["baseline_hit_rate"] = baseline
    rows = [base]
    for lane in ("red", "yellow", "green"):
        x = items[items["lane"] == lane]
        rows.append(_measure("lane", lane, f"{lane} lane", x, confidence, baseline))
    exploded = items[["profiles"]].explode("profiles").dropna()
    ids = sorted({p for p in exploded["profiles"]})
    for pid, name in ids:
        sel = exploded.index[exploded["profiles"].map(lambda p, q=(pid, name): p == q)]
        rows.append(_measure("profile", pid, name or pid, items.loc[sel.unique()], confidence, baseline))
    for cat in ("high", "medium", "low", "uncategorised"):
        x = items[items["category"] == cat]
        if len(x):
            rows.append(_measure("category", cat, f"{cat} category traders", x, confidence, baseline))
    return rows


#: the last figures per store (held weakly: a closed store's go with it), with their `version`
_CACHE: weakref.WeakKeyDictionary[Any, tuple[tuple[Any, ...], dict[str, Any]]] = weakref.WeakKeyDictionary()


def version(store: GraphStore) -> tuple[Any, ...]:
    """What the figures depend on: the latest ingest and score runs, the number of items, and the
    inspection decisions (count, latest recorded, latest withdrawn)."""
    from graph.pipeline.results import data_version

    r = store.run("risk.effectiveness_version")
    row = r[0] if r else {}
    return (*data_version(store), row.get("items"), row.get("inspections"), row.get("last_at"),
            row.get("last_deleted"))


def effectiveness(store: GraphStore, settings: Settings | None = None) -> dict[str, Any]:
    """Effectiveness and compliance from the store as it is now (`GET /api/v1/effectiveness`); the
    figures are kept per store until its `version` changes (a repeated view costs two small queries)."""
    s = settings or get_settings()
    key = (*version(store), s.tolerance_level, s.interval_confidence, tuple(sorted(s.random_share.items())))
    hit = _CACHE.get(store)
    if hit is not None and hit[0] == key:
        return hit[1]
    out = _compute(store, s)
    _CACHE[store] = (key, out)
    return out


def _compute(store: GraphStore, s: Settings) -> dict[str, Any]:
    items = item_frame(store)
    comp = selection.compliance(items, tolerance=s.tolerance_level, confidence=s.interval_confidence) \
        if len(items) else pd.DataFrame(columns=["area"])
    return {"items": len(items), "random_picks": int(items["random"].sum()) if len(items) else 0,
            "tolerance_level": s.tolerance_level, "confidence": s.interval_confidence,
            "random_share": dict(s.random_share),
            "measures": effectiveness_table(items, s.interval_confidence) if len(items) else [],
            "compliance": comp.to_dict("records")}


def category_history(store: GraphStore) -> list[dict[str, Any]]:
    """Every stored trader category (entity, month, category, score, reasons as `Reason`s), in entity and
    month order: the history `tamga export trader-categories` gives."""
    from graph.pipeline.results import reasons

    return [{"entity_id": r["entity"], "month": r["month"], "category": r["category"], "score": r["score"],
             "reasons": reasons(r["reasons"])} for r in store.run("risk.trader_categories")]
