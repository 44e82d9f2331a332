"""The vectorised trader categories against the plain pandas version they replaced (kept here as the
oracle, as the CSR engine is checked against networkx): on random worlds of items, inspections,
offences, entities and profile hits, the same rows, months, categories, reasons and scores."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.declarations import categories as cat
from graph.declarations.categories import (
    COLUMNS,
    HALF_LIFE_DAYS,
    PROFILE_WEIGHT,
    WINDOW_DAYS,
    _entity,
    category_of,
    month_ends,
    offence_severity,
)
from graph.domain.reasons import Evidence, Reason
from graph.domain.vocabulary import OffenceStatus, liable_party
from graph.engine.stats import noisy_or
from graph.store.frames import Frames, frame


def reference(frames, entity_of: pd.Series | None, party_risk: pd.Series | None,
                      fired: list[list[str]] | None = None, *, high: float = 0.1, medium: float = 0.03,
                      months: list[pd.Period] | None = None, changes_only: bool = False) -> pd.DataFrame:
    """The category of every trading entity at the end of every month of the data (or `months`);
    with `changes_only`, only the months in which an entity's category changed (its first included),
    what the store keeps.

    `entity_of`: party key -> entity id; `party_risk`: party key -> network risk; `fired`: per item of
    `frames.declarations`, the ids of the profiles that selected it. Returns entity, month ("YYYY-MM"),
    category, score, reasons (a list of `Reason` dicts), in entity then month order.
    """
    d = frames.declarations
    if d.empty:
        return pd.DataFrame(columns=COLUMNS)
    trader = _entity(liable_party(d["consignee"], d["declarant"]), entity_of)
    date = pd.to_datetime(d["date"], errors="coerce")
    items = pd.DataFrame({"entity": trader.to_numpy(), "date": date.to_numpy(),
                          "inspected": d["inspection_result"].isin(["clear", "violation"]).to_numpy(),
                          "violation": (d["inspection_result"] == "violation").to_numpy(),
                          "profiled": np.array([bool(f) for f in fired], dtype=bool)
                          if fired is not None and len(fired) == len(d) else np.zeros(len(d), dtype=bool)})
    items = items.dropna(subset=["entity", "date"])
    o = frames.offences
    offs = pd.DataFrame(columns=["entity", "date", "w", "type", "evaded"])
    if o is not None and not o.empty:
        st = o["status"].astype(object).fillna("confirmed").map(
            lambda x: OffenceStatus(x).weight if x in ("suspected", "confirmed") else 1.0)
        offs = pd.DataFrame({"entity": _entity(o["party"], entity_of).to_numpy(),
                             "date": pd.to_datetime(o["date"], errors="coerce").to_numpy(),
                             "w": (o["evaded_amount"].astype(float).fillna(0.0).map(offence_severity)
                                   * st.astype(float)).to_numpy(),
                             "type": o["offence_type"].astype(object).to_numpy(),
                             "evaded": o["evaded_amount"].astype(float).fillna(0.0).to_numpy()}
                            ).dropna(subset=["entity", "date"])
    net = pd.Series(dtype=float)
    if party_risk is not None and len(party_risk):
        pr = pd.DataFrame({"e": _entity(pd.Series(party_risk.index, dtype=object), entity_of).to_numpy(),
                           "r": party_risk.to_numpy(dtype=float)})
        net = pr.groupby("e")["r"].max()
    first = items.groupby("entity")["date"].min()
    by_entity = {e: g for e, g in offs.groupby("entity")}  # each entity's offences, for its reasons
    last: dict[Any, str] = {}
    out: list[dict[str, Any]] = []
    for m in months if months is not None else month_ends(items["date"]):
        end = m.to_timestamp(how="end").normalize() + pd.Timedelta(days=1)  # the first day after the month
        since = end - pd.Timedelta(days=WINDOW_DAYS)
        active = first.index[first < end]
        if not len(active):
            continue
        recent = items[(items["date"] < end) & (items["date"] >= since)]
        g = recent.groupby("entity")
        n_items = g.size().reindex(active, fill_value=0)
        n_insp = g["inspected"].sum().reindex(active, fill_value=0)
        n_viol = g["violation"].sum().reindex(active, fill_value=0)
        n_prof = g["profiled"].sum().reindex(active, fill_value=0)
        past = offs[offs["date"] < end]
        age = (end - pd.to_datetime(past["date"])).dt.days.to_numpy(dtype=float)
        decayed = past.assign(x=past["w"].to_numpy(dtype=float) * 0.5 ** (age / HALF_LIFE_DAYS))
        # the product of (1 - x) per entity, as a sum of logs (one vectorised groupby)
        logs = decayed.assign(x=np.log1p(-np.minimum(decayed["x"].to_numpy(dtype=float), 1.0 - 1e-12)))
        kept = np.exp(logs.groupby("entity")["x"].sum())
        off_part = (1.0 - kept).reindex(active, fill_value=0.0)
        off_n = past.groupby("entity").size().reindex(active, fill_value=0)
        net_part = net.reindex(active).fillna(0.0)
        insp_part = (n_viol / (n_insp + 4)).clip(upper=1.0)
        prof_part = (n_prof / (n_items + 4)).clip(upper=1.0) * PROFILE_WEIGHT
        score = noisy_or(off_part.to_numpy(dtype=float), net_part.to_numpy(dtype=float),
                         insp_part.to_numpy(dtype=float), prof_part.to_numpy(dtype=float))
        month = str(m)
        for j, e in enumerate(active):
            c = category_of(float(score[j]), high, medium)
            if changes_only and last.get(e) == c:
                continue
            last[e] = c
            out.append({"entity": e, "month": month, "score": round(float(score[j]), 4), "category": c,
                        "reasons": _reasons(e, float(off_part.iat[j]), int(off_n.iat[j]),
                                            float(net_part.iat[j]), int(n_viol.iat[j]), int(n_insp.iat[j]),
                                            int(n_prof.iat[j]), int(n_items.iat[j]),
                                            by_entity.get(e), end)})
    if not out:
        return pd.DataFrame(columns=COLUMNS)
    return pd.DataFrame(out, columns=COLUMNS).sort_values(["entity", "month"], kind="stable",
                                                          ignore_index=True)


def _reasons(entity: str, off: float, off_n: int, net: float, viol: int, insp: int, prof: int, items: int,
             offences: pd.DataFrame | None, end: pd.Timestamp) -> list[dict[str, Any]]:
    """The reasons as the pandas version gave them: the entity's offences filtered to the month and
    their types counted by `value_counts` (the vectorised one counts them once per entity and count)."""
    ev = (Evidence("entity", str(entity)),)
    rs = []
    if off_n and offences is not None:
        mine = offences[offences["date"] < end]
        types = ", ".join(f"{t} {n}" for t, n in mine["type"].astype(str).value_counts().items())
        rs.append(Reason("offences", f"{off_n} recorded offences ({types}), duty evaded "
                         f"{float(mine['evaded'].sum()):.0f}, weighed by amount, status and age",
                         round(off, 4), None, ev))
    if net > 0:
        rs.append(Reason("network_risk", f"network risk {net:.2f}", round(net, 4), None, ev))
    if insp:
        rs.append(Reason("inspections", f"{viol} violations in {insp} inspections of the last twelve months",
                         viol, None, ev))
    if prof:
        rs.append(Reason("profile_hits", f"{prof} of {items} items of the last twelve months selected by a "
                         "risk profile", prof, None, ev))
    if not rs:
        rs.append(Reason("no_findings", "no offence, network risk, violation or profile hit", 0, None, ev))
    return [r.as_dict() for r in rs]


PARTIES = [f"S:P{i}" for i in range(8)]


@st.composite
def worlds(draw) -> tuple[Frames, pd.Series | None, pd.Series | None, list[list[str]] | None]:
    n = draw(st.integers(1, 60))
    day0 = pd.Timestamp("2023-01-01")
    days = draw(st.lists(st.integers(0, 900), min_size=n, max_size=n))
    who = draw(st.lists(st.sampled_from([*PARTIES, None]), min_size=n, max_size=n))
    declarant = draw(st.lists(st.sampled_from(PARTIES), min_size=n, max_size=n))
    result = draw(st.lists(st.sampled_from([None, "clear", "violation", "not_inspected"]), min_size=n,
                           max_size=n))
    d = frame("declarations", pd.DataFrame({
        "key": [f"S:D{i}/1" for i in range(n)], "declaration_key": [f"S:D{i}" for i in range(n)],
        "date": [day0 + pd.Timedelta(days=x) for x in days], "consignee": who, "declarant": declarant,
        "customs_value": 1000.0, "duty_rate": 10.0, "duty_amount": 100.0, "hs_code": "24022000",
        "net_mass_kg": 10.0, "inspection_result": result}))
    k = draw(st.integers(0, 14))
    o = frame("offences", pd.DataFrame({
        "key": [f"S:O{i}" for i in range(k)], "offence_id": [f"O{i}" for i in range(k)],
        "date": [day0 + pd.Timedelta(days=draw(st.integers(-100, 900))) for _ in range(k)],
        "party": [draw(st.sampled_from(PARTIES)) for _ in range(k)],
        "declaration_key": [None] * k,
        "offence_type": [draw(st.sampled_from(["undervaluation", "documents", "smuggling", None]))
                         for _ in range(k)],
        "evaded_amount": [draw(st.sampled_from([0.0, 300.0, 2e4, 1e6])) for _ in range(k)],
        "status": [draw(st.sampled_from(["confirmed", "suspected", None])) for _ in range(k)]}))
    entity_of = None
    if draw(st.booleans()):
        entity_of = pd.Series({p: f"entity:{draw(st.sampled_from('abc'))}" for p in PARTIES[:5]})
    risk = None
    if draw(st.booleans()):
        risk = pd.Series({p: draw(st.sampled_from([0.0, 0.02, 0.05, 0.2, 0.6])) for p in PARTIES})
    fired = None
    if draw(st.booleans()):
        fired = [["p"] if draw(st.booleans()) else [] for _ in range(n)]
    return Frames(declarations=d, offences=o), entity_of, risk, fired


@settings(max_examples=150, deadline=None)
@given(worlds(), st.booleans())
def test_the_vectorised_categories_match_the_reference(world, changes_only):
    f, entity_of, risk, fired = world
    got = cat.trader_categories(f, entity_of, risk, fired, changes_only=changes_only)
    want = reference(f, entity_of, risk, fired, changes_only=changes_only)
    assert got[["entity", "month", "category"]].values.tolist() == \
        want[["entity", "month", "category"]].values.tolist()
    assert np.allclose(got["score"].astype(float), want["score"].astype(float), atol=1e-4)
    for a, b in zip(got["reasons"], want["reasons"], strict=True):
        assert [r["feature"] for r in a] == [r["feature"] for r in b]
        assert [r["detail"] for r in a] == [r["detail"] for r in b]
    assert got["reasons"].tolist() == want["reasons"].tolist()  # values and evidence too


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([*PARTIES, None]), max_size=30), st.booleans(), st.booleans())
def test_entities_are_looked_up_per_distinct_party_as_per_row(parties, mapped, arrow):
    """`_entity` reads each distinct party once; the per-row map it replaced is the oracle."""
    p = pd.Series(parties, dtype="str" if arrow else object, index=pd.RangeIndex(len(parties)) * 2)
    entity_of = pd.Series({q: f"entity:{i % 3}" for i, q in enumerate(PARTIES[:5])}) if mapped else None
    want = (p.astype(object) if entity_of is None
            else p.map(entity_of).where(p.notna()).fillna(p).astype(object))
    got = _entity(p, entity_of)
    assert got.index.equals(want.index) and got.dtype == want.dtype
    assert got.isna().tolist() == want.isna().tolist()
    assert got.dropna().tolist() == want.dropna().tolist()
