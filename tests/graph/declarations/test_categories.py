"""Trader categories from frames built in code: offences weigh by amount, status and age, inspections
and profile hits count, every month gets a category per trading entity, with reasons; the audit plan
puts high-category targets first."""

from __future__ import annotations

import numpy as np
import pandas as pd

from graph.declarations import categories as cat
from graph.declarations.audit_plan import audit_targets
from graph.store.frames import Frames, frame


def _frames() -> Frames:
    n = 120
    dates = pd.date_range("2024-01-01", periods=n, freq="3D")
    who = np.array(["S:honest", "S:bad", "S:ring"] * (n // 3), dtype=object)
    d = frame("declarations", pd.DataFrame({
        "key": [f"S:D{i}/1" for i in range(n)], "declaration_key": [f"S:D{i}" for i in range(n)],
        "date": dates, "consignee": who, "declarant": who, "customs_value": 1000.0, "duty_rate": 10.0,
        "duty_amount": 100.0, "hs_code": "24022000", "net_mass_kg": 10.0,
        "inspection_result": [None] * n}))
    o = frame("offences", pd.DataFrame({
        "key": ["S:O1"], "offence_id": ["O1"], "date": [pd.Timestamp("2024-06-15")], "party": ["S:bad"],
        "declaration_key": ["S:D50"], "offence_type": ["undervaluation"], "evaded_amount": [20000.0],
        "status": ["confirmed"]}))
    return Frames(declarations=d, offences=o)


def test_categories_per_month_with_reasons():
    f = _frames()
    risk = pd.Series({"S:honest": 0.0, "S:bad": 0.0, "S:ring": 0.3})
    c = cat.trader_categories(f, None, risk)
    assert set(c["month"]) >= {"2024-01", "2024-06", "2024-12"}
    by = c.set_index(["entity", "month"])
    assert (c[c["entity"] == "S:honest"]["category"] == "low").all()
    assert (c[c["entity"] == "S:ring"]["category"] == "high").all()
    assert by.loc[("S:bad", "2024-05"), "category"] == "low"  # before the offence
    assert by.loc[("S:bad", "2024-06"), "category"] == "high"
    why = by.loc[("S:bad", "2024-06"), "reasons"]
    assert why[0]["feature"] == "offences" and "undervaluation 1" in why[0]["detail"]
    # the offence fades: half-life a year
    assert by.loc[("S:bad", "2024-12"), "score"] < by.loc[("S:bad", "2024-06"), "score"]
    assert cat.stability(c, ["S:honest", "S:ring"]) == 1.0
    assert cat.current(c)["S:bad"] == "high"


def test_severity_grows_with_the_amount_and_a_suspicion_counts_half():
    assert cat.offence_severity(0) < cat.offence_severity(300) < cat.offence_severity(1e5) <= 1.0
    f = _frames()
    f.offences["status"] = "suspected"
    half = cat.trader_categories(f, None, None).set_index(["entity", "month"]).loc[
        ("S:bad", "2024-06"), "score"]
    full = cat.trader_categories(_frames(), None, None).set_index(["entity", "month"]).loc[
        ("S:bad", "2024-06"), "score"]
    assert abs(half - full / 2) < 0.02


def test_inspections_and_profile_hits_count():
    f = _frames()
    d = f.declarations
    d.loc[d["consignee"] == "S:honest", "inspection_result"] = "clear"
    d.loc[d.index[:6][d["consignee"].iloc[:6] == "S:honest"], "inspection_result"] = "violation"
    fired = [["p1"] if w == "S:ring" else [] for w in d["consignee"]]
    c = cat.trader_categories(f, None, None, fired).set_index(["entity", "month"])
    assert c.loc[("S:honest", "2024-01"), "score"] > 0
    assert c.loc[("S:ring", "2024-03"), "score"] > 0
    assert any(r["feature"] == "profile_hits" for r in c.loc[("S:ring", "2024-03"), "reasons"])


def test_entities_group_their_records():
    f = _frames()
    ent = pd.Series({"S:honest": "entity:S:bad", "S:bad": "entity:S:bad", "S:ring": "entity:S:ring"})
    c = cat.trader_categories(f, ent, None)
    assert set(c["entity"]) == {"entity:S:bad", "entity:S:ring"}


def test_audit_plan_puts_high_category_first():
    f = _frames()
    risk = pd.Series({"S:honest": 0.0, "S:bad": 0.05, "S:ring": 0.3})
    plain = audit_targets(f, risk, 3, random_share=0.0)
    assert plain["target_id"].iloc[0] == "S:ring"
    first = audit_targets(f, risk, 3, random_share=0.0, categories=pd.Series({"S:honest": "high"}))
    assert first["target_id"].iloc[0] == "S:honest"
    assert any(r["feature"] == "trader_category" for r in first["reasons"].iloc[0])


def test_change_points_keep_the_history_and_read_back_every_month():
    f = _frames()
    risk = pd.Series({"S:honest": 0.0, "S:bad": 0.0, "S:ring": 0.3})
    full = cat.trader_categories(f, None, risk)
    changes = cat.trader_categories(f, None, risk, changes_only=True)
    # one row per entity for a steady category; S:bad: its first month and the month of its offence
    assert len(changes) < len(full)
    assert set(changes.loc[changes["entity"] == "S:bad", "month"]) >= {"2024-06"}
    assert (changes.groupby("entity").size()[["S:honest", "S:ring"]] == 1).all()
    back = cat.every_month(changes, full["month"].max()).set_index(["entity", "month"])["category"]
    want = full.set_index(["entity", "month"])["category"]
    assert back.reindex(want.index).tolist() == want.tolist()
    got = cat.as_of(changes, full["entity"], full["month"])
    assert got.tolist() == full["category"].tolist()
    before = cat.as_of(changes, pd.Series(["S:bad", "S:nobody"]), pd.Series(["2023-01", "2024-07"]))
    assert before.isna().all()
    assert cat.current(changes).to_dict() == cat.current(full).to_dict()


def test_a_later_run_adds_only_the_months_after_the_stored_ones():
    f = _frames()
    risk = pd.Series({"S:honest": 0.0, "S:bad": 0.0, "S:ring": 0.3})
    changes = cat.trader_categories(f, None, risk, changes_only=True)
    assert cat.new_change_points(changes, changes).empty  # the same months again: nothing to add
    stored = changes[changes["month"] <= "2024-03"]
    assert (cat.new_change_points(changes, stored)["month"] > "2024-01").all()  # no `through`: last change
    new = cat.new_change_points(changes, stored, "2024-03")
    assert (new["month"] > "2024-03").all()
    assert set(new["entity"]) == {"S:bad"}  # its offence in 2024-06; the others kept their category
    # the stored past stands even where this run sees it otherwise: S:ring stored as low
    frozen = stored.assign(category=stored["category"].where(stored["entity"] != "S:ring", "low"))
    again = cat.new_change_points(changes, frozen, "2024-03")
    first_new = again[again["entity"] == "S:ring"]
    assert first_new["month"].tolist() == ["2024-04"] and first_new["category"].tolist() == ["high"]


def test_a_stored_past_that_differs_gets_the_runs_category_in_its_first_new_month():
    f = _frames()
    risk = pd.Series({"S:honest": 0.0, "S:bad": 0.0, "S:ring": 0.3})
    changes = cat.trader_categories(f, None, risk, changes_only=True)
    last = str(cat.trader_categories(f, None, risk)["month"].max())
    stored = changes[changes["month"] <= "2024-03"]
    stored = stored.assign(category=stored["category"].where(stored["entity"] != "S:ring", "low"))
    # S:ring's last change is its first month, before the stored months: the run still says high
    new = cat.new_change_points(changes[changes["entity"] == "S:ring"], stored, "2024-03", last)
    assert new["month"].tolist() == ["2024-04"] and new["category"].tolist() == ["high"]
