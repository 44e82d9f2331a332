"""The audit plan's per-unit figures from integer codes against the pandas version they replaced (kept
here as the oracle): on random worlds of items, liable parties (declarant, consignee, missing, the same
party in both roles), party records resolved to entities or not, network risk and assessment scores,
the same plan (targets, order, amounts, risks and reasons)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.declarations import audit_plan
from graph.declarations.audit_plan import duties_at_stake
from graph.domain.vocabulary import LIABLE_ROLES
from graph.store.frames import Frames, frame


def reference_units(frames, stake, assessments, unit_of, party_risk):
    """Per unit: items, duty, shortfall, mean assessment, records, the records' names and the highest
    network risk of its records, as the plan computed them with pandas strings."""
    d = frames.declarations
    parts = [pd.DataFrame({"party": d[role], "key": d["key"], "role": role, "duty": stake["duty"],
                           "shortfall": stake["shortfall"]}) for role in LIABLE_ROLES if role in d]
    x = pd.concat(parts, ignore_index=True).dropna(subset=["party"]).drop_duplicates(["party", "key"])
    if assessments is not None and not assessments.empty:
        x["assessment"] = x["key"].map(assessments.set_index("key")["assessment_score"]).astype(float)
    else:
        x["assessment"] = np.nan
    x["unit"] = x["party"].map(unit_of).fillna(x["party"]) if unit_of is not None else x["party"]
    x = x.drop_duplicates(["unit", "key"])
    g = x.groupby("unit")
    agg = pd.DataFrame({"items": g.size(), "duty": g["duty"].sum(), "shortfall": g["shortfall"].sum(),
                        "assessment": g["assessment"].mean(), "records": g["party"].nunique()})
    names = g["party"].unique().map(lambda p: sorted(map(str, p)))
    net = pd.Series(0.0, index=agg.index)
    if party_risk is not None:
        per_party = pd.DataFrame({"unit": x["unit"], "r": x["party"].map(party_risk).astype(float)})
        net = per_party.groupby("unit")["r"].max().reindex(agg.index).fillna(0.0)
    return agg, names, net


def reference_plan(frames, party_risk, budget, *, assessments=None, entity_of=None, min_items=1):
    """The plan with the reference units: the ranking and the reasons, as `audit_targets` builds them."""
    stake = duties_at_stake(frames)
    unit_of = entity_of.astype(object) if entity_of is not None else None
    agg, names, net = reference_units(frames, stake, assessments, unit_of, party_risk)
    agg = agg[agg["items"] >= min_items]
    net = net.reindex(agg.index)
    o = frames.offences
    units = o["party"].map(unit_of).astype(object).fillna(o["party"].astype(object)) \
            if unit_of is not None else o["party"]
    off = units.value_counts().reindex(agg.index).fillna(0)
    agg["risk"] = np.maximum.reduce([net.to_numpy(), agg["assessment"].fillna(0.0).to_numpy(),
                                     (off / (agg["items"] + 5)).clip(upper=1.0).to_numpy()])
    agg["stake"] = agg["duty"] + agg["shortfall"]
    agg["expected"] = agg["risk"] * agg["stake"]
    agg = agg.sort_values(["expected", "risk"], ascending=False, kind="stable").iloc[:budget]
    rows = []
    for pid, r in agg.iterrows():
        rs = [{"feature": "duties_at_stake", "value": round(float(r["stake"]), 2),
               "detail": f"{int(r['items'])} items, duties {r['duty']:.0f}, undervaluation shortfall "
                         f"{r['shortfall']:.0f}"}]
        if net[pid] > 0:
            rs.append({"feature": "network_risk", "value": round(float(net[pid]), 4),
                       "detail": "stored network risk" + (" (the highest of its records)" if r["records"] > 1
                                                          else "")})
        if r["assessment"] > 0:
            rs.append({"feature": "assessment", "value": round(float(r["assessment"]), 4),
                       "detail": "mean assessment score of its items"})
        if off[pid] > 0:
            rs.append({"feature": "offences", "value": int(off[pid]),
                       "detail": f"{int(off[pid])} recorded offences"})
        if r["records"] > 1:
            rs.append({"feature": "party_records", "value": int(r["records"]),
                       "detail": "one company recorded as " + ", ".join(names[pid])})
        rows.append({"target_id": pid, "reasons": rs})
    for row, e, r, s in zip(rows, agg["expected"].round(2), agg["risk"].round(4), agg["stake"].round(2),
                            strict=True):
        row.update(expected_amount=e, risk=r, duties_at_stake=s)
    return rows


PARTIES = [f"S:P{i}" for i in range(7)]


@st.composite
def worlds(draw):
    n = draw(st.integers(1, 40))
    consignee = draw(st.lists(st.sampled_from([*PARTIES, None]), min_size=n, max_size=n))
    declarant = draw(st.lists(st.sampled_from([*PARTIES, None]), min_size=n, max_size=n))
    d = frame("declarations", pd.DataFrame({
        "key": [f"S:D{i}/1" for i in range(n)], "declaration_key": [f"S:D{i}" for i in range(n)],
        "date": pd.Timestamp("2024-03-01"), "consignee": consignee, "declarant": declarant,
        "customs_value": draw(st.lists(st.sampled_from([100.0, 1234.5, 1e5, None]), min_size=n, max_size=n)),
        "duty_rate": draw(st.lists(st.sampled_from([0.0, 5.0, 12.5]), min_size=n, max_size=n)),
        "duty_amount": draw(st.lists(st.sampled_from([None, 0.1, 33.3, 1e4]), min_size=n, max_size=n)),
        "hs_code": draw(st.lists(st.sampled_from(["24022000", "85171200"]), min_size=n, max_size=n)),
        "net_mass_kg": draw(st.lists(st.sampled_from([1.0, 10.0, 250.0]), min_size=n, max_size=n)),
        "inspection_result": None}))
    k = draw(st.integers(0, 6))
    o = frame("offences", pd.DataFrame({
        "key": [f"S:O{i}" for i in range(k)], "offence_id": [f"O{i}" for i in range(k)],
        "date": pd.Timestamp("2023-01-01"), "party": [draw(st.sampled_from(PARTIES)) for _ in range(k)],
        "declaration_key": [None] * k, "offence_type": "smuggling", "evaded_amount": 10.0,
        "status": "confirmed"}))
    entity_of = None
    if draw(st.booleans()):  # some records resolved to one company, others to themselves or unmapped
        entity_of = pd.Series({p: f"E:{draw(st.sampled_from('abc'))}" for p in PARTIES[:5]})
    risk = None
    if draw(st.booleans()):
        risk = pd.Series({p: draw(st.sampled_from([0.0, 0.05, 0.3, np.nan])) for p in PARTIES[:6]})
    assessments = None
    if draw(st.booleans()):
        scores = draw(st.lists(st.sampled_from([0.0, 0.125, 0.5, 0.9]), min_size=n, max_size=n))
        assessments = pd.DataFrame({"key": d["key"], "assessment_score": scores})
        if draw(st.booleans()):  # not the run's own items in its order: read by key
            assessments = assessments.iloc[::-1].iloc[: max(1, n // 2)]
    return Frames(declarations=d, offences=o), entity_of, risk, assessments


@settings(max_examples=80, deadline=None)
@given(worlds(), st.integers(1, 12))
def test_the_coded_audit_plan_matches_the_reference(world, budget):
    f, entity_of, risk, assessments = world
    got = audit_plan.audit_targets(f, risk, budget, random_share=0.0, assessments=assessments,
                                   entity_of=entity_of)
    want = reference_plan(f, risk, budget, assessments=assessments, entity_of=entity_of)
    assert got[["target_id", "expected_amount", "risk", "duties_at_stake", "reasons"]].to_dict("records") \
        == want
