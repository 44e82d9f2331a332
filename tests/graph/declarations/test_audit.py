"""Audit targets under a budget with random picks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers_declarations import cover_world

from graph.declarations.audit_plan import TARGET_COLUMNS, audit_targets, duties_at_stake


def test_budget_split_between_risk_and_random_and_reproducible():
    frames, _ = cover_world(1)
    parties = frames.declarations["consignee"].dropna().unique()
    risk = pd.Series(np.linspace(0, 1, len(parties)), index=parties)
    plan = audit_targets(frames, risk, 20, random_share=0.25, seed=3)
    assert list(plan.columns) == TARGET_COLUMNS
    assert len(plan) == 20 and plan["rank"].tolist() == list(range(1, 21))
    assert (plan["pick"] == "random").sum() == 5 and plan["target_id"].is_unique
    risk_part = plan[plan["pick"] == "risk"]
    assert risk_part["expected_amount"].is_monotonic_decreasing
    # no risk pick is beaten by an unchosen party
    assert plan.loc[plan["pick"] == "random", "expected_amount"].max() <= risk_part["expected_amount"].min()
    pd.testing.assert_frame_equal(plan, audit_targets(frames, risk, 20, random_share=0.25, seed=3))
    other = audit_targets(frames, risk, 20, random_share=0.25, seed=4)
    assert set(other.loc[other["pick"] == "random", "target_id"]) != set(plan.loc[plan["pick"] == "random",
                                                                                 "target_id"])
    assert any(r["feature"] == "random_pick" for r in plan.iloc[-1]["reasons"])


def test_expected_amount_is_risk_times_stake():
    frames, _ = cover_world(2)
    plan = audit_targets(frames, None, 10, random_share=0.0)
    # without network risk or assessments, only offenders carry risk
    offenders = set(frames.offences["party"])
    top = plan[plan["expected_amount"] > 0]
    assert set(top["target_id"]) <= offenders and len(top) > 0
    np.testing.assert_allclose(plan["expected_amount"], plan["risk"] * plan["duties_at_stake"], rtol=2e-3)
    stake = duties_at_stake(frames)
    assert (stake["duty"] >= 0).all() and (stake["shortfall"] >= 0).all()
    assert audit_targets(frames, None, 0).empty


def test_the_records_of_one_company_are_one_audit():
    """Resolved entities: two party records of one company are one target whose duties are the sum
    over both records, each item counted once (here the two records share items as declarant and
    consignee), with the records named in its reasons; risk and offences carry over."""
    frames, _ = cover_world(2)
    d = frames.declarations
    busiest = d["consignee"].value_counts().index[:2].tolist()
    a, b = busiest
    d.loc[d.index[d["consignee"] == a][:10], "declarant"] = b  # b also declares ten of a's items
    risk = pd.Series({a: 0.2, b: 0.6})
    by_party = audit_targets(frames, risk, 200, random_share=0.0)
    entity_of = pd.Series({k: ("E:ab" if k in (a, b) else f"E:{k}") for k in
                           pd.concat([d["consignee"], d["declarant"],
                                      frames.offences["party"]]).dropna().unique()})
    by_entity = audit_targets(frames, risk, 200, random_share=0.0, entity_of=entity_of)
    assert (by_entity["target_kind"] == "entity").all() and (by_party["target_kind"] == "party").all()
    one = by_entity.set_index("target_id").loc["E:ab"]
    stake = duties_at_stake(frames).set_index("key")
    items = set(d.loc[d["consignee"].isin([a, b]) | d["declarant"].isin([a, b]), "key"])
    total = stake.loc[sorted(items), ["duty", "shortfall"]].to_numpy().sum()
    assert one["duties_at_stake"] == pytest.approx(total, rel=1e-6)
    assert one["risk"] >= 0.6  # the higher of the records' risks
    records = next(r for r in one["reasons"] if r["feature"] == "party_records")
    assert records["value"] == 2 and a in records["detail"] and b in records["detail"]
    assert not {a, b} & set(by_entity["target_id"])
    parts = by_party.set_index("target_id").loc[[a, b], "duties_at_stake"]
    assert one["duties_at_stake"] < parts.sum()  # the shared items are not counted twice
