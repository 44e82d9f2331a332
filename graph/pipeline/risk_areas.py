"""Risk areas at a glance (issue 13): where offences appear, how often inspections hit, what duties are
at stake, by HS chapter, origin, border post, route and month; the lane shares per month against
their expected rates; the risk profiles that fire most and least.

A reader over stored state, like `graph.pipeline.results`: the declaration items, their inspection
results (as the store holds them now, decisions included), the lanes and reasons the last scoring
run wrote, through the item summary (`graph.pipeline.item_summary`, which the effectiveness figures
read too): its cube counts the items per (HS chapter, route, month), and that cube, far smaller than
the items, is rolled up here per dimension (origin and border post from the route); the enforcement
records and the live profiles are read by named queries (`risk_areas.*`) on each call. The
page's plots (`graph.pipeline.plots`) and `tamga export risk-areas` (`table`) read what `overview`
returns, so the three show the same numbers.

Definitions (why they are what they are):
- inspected = an inspection result of clear or violation; hit rate = violations / inspected (none
  when nothing was inspected: 0 % of 0 would read as "clean");
- offences are placed by the declaration items they concern (one counted once per area; an
  offence concerning no stored item is counted apart, `unplaced_offences`);
- duties at stake = the duties Tamga estimates lost on undervalued items (unit values) plus the
  duties the area's offences evaded;
- lane shares: Tamga's proposed lanes (green = every item without a stored lane) per month, and the
  lanes assigned at the time (`channel`), against the expected shares: the model's cuts for red and
  yellow (`RED_SHARE`, `YELLOW_SHARE`) and the live blue profiles' expected rates for blue;
- profile hits count the stored reasons naming the profile. Only yellow, red and blue items keep
  their reasons, so a profile whose action is green and that fires only on green items shows 0.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd

from graph.domain.vocabulary import Lane
from graph.pipeline import item_summary, results
from graph.pipeline.profile_store import latest
from graph.settings import Settings
from graph.store import GraphStore

DIMENSIONS: dict[str, str] = {"hs_chapter": "HS chapter", "origin": "origin country",
                              "border_post": "border post", "route": "route", "month": "month"}
LANES = (Lane.RED.value, Lane.YELLOW.value, Lane.BLUE.value, Lane.GREEN.value)


def expected_lane_shares(store: GraphStore) -> dict[str, float]:
    """The share of items each lane is expected to take (see the module's docstring)."""
    from graph.declarations.assessment.model import RED_SHARE, YELLOW_SHARE

    blue = sum(p.expected_rate or 0.0 for p in latest(store) if not p.retired and p.action == Lane.BLUE)
    blue = min(blue, 1.0)
    return {Lane.RED.value: RED_SHARE, Lane.YELLOW.value: YELLOW_SHARE, Lane.BLUE.value: blue,
            Lane.GREEN.value: round(max(0.0, 1.0 - RED_SHARE - YELLOW_SHARE - blue), 4)}


COUNTS = tuple(item_summary.CUBE_COUNTS)


def _cubes(store: GraphStore, cube: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The item cube (the item summary's, `graph.pipeline.item_summary`) and the offence rows
    (`risk_areas.offences_cube`), with each route's origin and border post joined on."""
    routes = pd.DataFrame(store.run("risk_areas.routes"), columns=["route", "origin", "border_post"])
    items = cube[["hs_chapter", "route", "month", *COUNTS]]
    offences = pd.DataFrame(store.run("risk_areas.offences_cube"),
                            columns=["offence", "hs_chapter", "route", "month", "evaded"])
    return items.merge(routes, on="route", how="left"), offences.merge(routes, on="route", how="left")


def _areas(items: pd.DataFrame, offences: pd.DataFrame, dimension: str) -> list[dict[str, Any]]:
    """One row per area of `dimension`: the cube rolled up (each offence once per area)."""
    by = items[dimension].astype(object).where(items[dimension].notna(), None)
    sums = items[list(COUNTS)].groupby(by.fillna("\0"), sort=False).sum()
    once = offences.assign(area=offences[dimension].astype(object).fillna("\0")).drop_duplicates(
        ["offence", "area"])
    off = once.groupby("area").agg(offences=("offence", "size"), duties_evaded=("evaded", "sum")
                                   ).to_dict("index")
    rows = sums.to_dict("index")
    out = [_area_row(None if a == "\0" else a, r, off.pop(a, None)) for a, r in rows.items()]
    out.extend(_area_row(None if a == "\0" else a, None, o)
               for a, o in off.items())  # offences on items the cube does not hold
    out.sort(key=lambda x: (x["area"] is None, str(x["area"])) if dimension == "month"
             else (-x["duties_at_stake"], -x["offences"], str(x["area"])))
    return out


def _area_row(area: Any, r: dict[str, Any] | None, o: dict[str, Any] | None) -> dict[str, Any]:
    def n(k: str) -> int:
        return int(r[k]) if r is not None else 0

    items, inspected, hits = n("items"), n("inspected"), n("hits")
    evaded = float(o["duties_evaded"]) if o is not None and pd.notna(o["duties_evaded"]) else 0.0
    uv = float(r["duties_undervalued"]) if r is not None else 0.0
    flagged = {ln: n(f"lane_{ln}") for ln in LANES if ln != Lane.GREEN}
    channel = {ln: n(f"channel_{ln}") for ln in LANES if ln != Lane.GREEN}
    return {"area": area, "items": items, "offences": int(o["offences"]) if o is not None else 0,
            "inspected": inspected, "hits": hits,
            "hit_rate": round(hits / inspected, 4) if inspected else None,
            "duties_evaded": round(evaded, 2), "duties_undervalued": round(uv, 2),
            "duties_at_stake": round(evaded + uv, 2),
            "lanes": {**flagged, Lane.GREEN.value: items - sum(flagged.values())},
            "channels": {**channel, Lane.GREEN.value: items - sum(channel.values())}}


def lane_shares(months: list[dict[str, Any]], expected: dict[str, float]) -> list[dict[str, Any]]:
    """Per month: the share of items in each proposed and assigned lane, beside the expected shares."""
    out = []
    for m in months:
        if m["area"] is None or not m["items"]:
            continue
        n = m["items"]
        out.append({"month": m["area"], "items": n,
                    "shares": {ln: round(m["lanes"][ln] / n, 4) for ln in LANES},
                    "channel_shares": {ln: round(m["channels"][ln] / n, 4) for ln in LANES},
                    "expected": expected})
    return out


def profile_hits(store: GraphStore, items: int, mentions: dict[str, int]) -> list[dict[str, Any]]:
    """Every live profile (and any retired one still named in stored reasons) with the items whose
    stored reasons name it (`mentions`, from the item summary), most first; with its expected rate
    and the items that rate expects."""
    hits: Counter[str] = Counter(mentions)
    out: list[dict[str, Any]] = []
    for p in latest(store):
        if p.retired and not hits.get(p.id):
            continue
        n = hits.pop(p.id, 0)
        out.append({"profile_id": p.id, "name": p.name, "action": p.action, "version": p.version,
                    "retired": p.retired, "hits": n, "share": round(n / items, 4) if items else None,
                    "expected_rate": p.expected_rate,
                    "expected_hits": round(p.expected_rate * items, 1) if p.expected_rate is not None
                    else None})
    out.extend({"profile_id": pid, "name": pid, "action": None, "version": None, "retired": None, "hits": n,
                "share": round(n / items, 4) if items else None, "expected_rate": None,
                "expected_hits": None} for pid, n in hits.items())  # named in reasons, no longer stored
    out.sort(key=lambda x: (-int(x["hits"]), str(x["profile_id"])))
    return out


def overview(store: GraphStore, settings: Settings | None = None) -> dict[str, Any]:
    """The whole risk-areas view (what `GET /api/v1/risk-areas` serves). `NotScoredError` before the
    first scoring run: the lanes and profile hits would all read as green and none."""
    runs = store.run("analytics.latest_score_runs", limit=1)
    if not runs:
        raise results.NotScoredError()
    summary = item_summary.summary(store, settings)
    items, offences = _cubes(store, summary.cube)
    areas = {d: _areas(items, offences, d) for d in DIMENSIONS}
    expected = expected_lane_shares(store)
    unplaced = store.run("risk_areas.offences_unplaced")
    u = unplaced[0] if unplaced else {}
    items = sum(a["items"] for a in areas["month"])
    return {"scored_at": str(runs[0].get("finished_at") or runs[0]["key"]), "items": items,
            "dimensions": areas, "lane_shares": lane_shares(areas["month"], expected),
            "expected_lane_shares": expected, "profiles": profile_hits(store, items, summary.mentions),
            "unplaced_offences": {"offences": int(u.get("offences") or 0),
                                  "duties_evaded": round(float(u.get("duties_evaded") or 0.0), 2)}}


#: the export's columns: one flat table of areas, lane shares and profiles (`section` says which)
COLUMNS = {"section": "Section", "area": "Area", "items": "Items", "offences": "Offences",
           "inspected": "Inspected", "hits": "Hits", "hit_rate": "Hit rate",
           "duties_evaded": "Duties evaded", "duties_undervalued": "Duties at stake (undervaluation)",
           "duties_at_stake": "Duties at stake", "share": "Share", "expected": "Expected share",
           "expected_hits": "Expected hits"}


def table(view: dict[str, Any]) -> list[dict[str, Any]]:
    """`overview` as one flat table (what `tamga export risk-areas` renders): a row per area of each
    dimension, per month and lane (`lane:red` ...: the proposed share and the expected one), and per
    profile (`profile`: its hits, their share of the items, and the hits its expected rate gives)."""
    rows: list[dict[str, Any]] = []
    for dim, areas in view["dimensions"].items():
        rows.extend({"section": dim, **{k: v for k, v in a.items() if k in COLUMNS}} for a in areas)
    for m in view["lane_shares"]:
        rows.extend({"section": f"lane:{ln}", "area": m["month"], "items": m["items"],
                     "share": m["shares"][ln], "expected": m["expected"][ln]} for ln in LANES)
    rows.extend({"section": "profile", "area": p["profile_id"], "hits": p["hits"], "share": p["share"],
                 "expected": p["expected_rate"], "expected_hits": p["expected_hits"]}
                for p in view["profiles"])
    return rows
