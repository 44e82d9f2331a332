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

Cost: the items are read once per change (a run, a new item, an inspection) into the item summary
(`graph.pipeline.item_summary`), which the risk-areas view shares; the figures here are its small
tables rolled up on each call.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from graph.declarations import selection
from graph.pipeline import item_summary
from graph.settings import Settings, get_settings
from graph.store import GraphStore

MEASURES = ("random", "lane", "profile", "category")  # the order of the rows


def _measure(measure: str, value: str, label: str, x: pd.DataFrame, confidence: float,
             baseline: float | None) -> dict[str, Any]:
    """One measure's row from its items aggregated (`n` items per random pick and inspection result,
    with their `duties_recovered`: the item summary's tables)."""
    res = x["inspection_result"]
    inspected = res.isin(["clear", "violation"]).to_numpy()
    hit = (res == "violation").to_numpy()
    n_items = x["n"].to_numpy()
    rnd = x["random"].to_numpy(dtype=bool)
    n, k = int(n_items[inspected].sum()), int(n_items[hit].sum())
    r = selection.rate(k, n, confidence)
    lift = round(r["rate"] / baseline, 4) if r["rate"] is not None and baseline else None
    rn, rk = int(n_items[inspected & rnd].sum()), int(n_items[hit & rnd].sum())
    return {"measure": measure, "value": value, "label": label, "selections": int(n_items.sum()),
            "inspections": n, "hits": k, "hit_rate": r["rate"], "low": r["low"], "high": r["high"],
            "duties_recovered": round(float(x["duties_recovered"].sum()), 2), "baseline_hit_rate": baseline,
            "lift": lift, "random_inspections": rn, "random_hits": rk,
            "random_hit_rate": round(rk / rn, 6) if rn else None}


def effectiveness_table(summary: item_summary.ItemSummary, confidence: float = 0.95) -> list[dict[str, Any]]:
    """The effectiveness rows of the item summary: the random baseline first, then per lane, per
    profile and per category."""
    m = summary.measures
    base = _measure("random", "random", "random picks (baseline)", m[m["random"].astype(bool)], confidence,
                    None)
    baseline = base["hit_rate"]
    base["baseline_hit_rate"] = baseline
    rows = [base]
    for lane in ("red", "yellow", "green"):
        rows.append(_measure("lane", lane, f"{lane} lane", m[m["lane"] == lane], confidence, baseline))
    p = summary.profiles
    for (pid, name), x in p.groupby(["profile_id", "label"], sort=True):
        rows.append(_measure("profile", pid, name or pid, x, confidence, baseline))
    for cat in ("high", "medium", "low", "uncategorised"):
        x = m[m["category"] == cat]
        if len(x):
            rows.append(_measure("category", cat, f"{cat} category traders", x, confidence, baseline))
    return rows


def effectiveness(store: GraphStore, settings: Settings | None = None) -> dict[str, Any]:
    """Effectiveness and compliance from the store as it is now (`GET /api/v1/effectiveness`), from the
    item summary (`graph.pipeline.item_summary`: computed once per change of the items, their lanes
    or their inspections, and shared with the risk-areas view)."""
    s = settings or get_settings()
    summary = item_summary.summary(store, s)
    n = summary.items
    comp = selection.compliance(summary.sample, tolerance=s.tolerance_level,
                                confidence=s.interval_confidence) if n else pd.DataFrame(columns=["area"])
    return {"items": n, "random_picks": summary.random_picks if n else 0,
            "tolerance_level": s.tolerance_level, "confidence": s.interval_confidence,
            "random_share": dict(s.random_share),
            "measures": effectiveness_table(summary, s.interval_confidence) if n else [],
            "compliance": comp.to_dict("records")}


def category_history(store: GraphStore) -> list[dict[str, Any]]:
    """Every stored trader category (entity, month, category, score, reasons as `Reason`s), in entity and
    month order: the history `tamga export trader-categories` gives."""
    from graph.pipeline.results import reasons

    return [{"entity_id": r["entity"], "month": r["month"], "category": r["category"], "score": r["score"],
             "reasons": reasons(r["reasons"])} for r in store.run("risk.trader_categories")]
