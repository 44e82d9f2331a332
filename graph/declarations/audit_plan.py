"""Audit targets (post-clearance audit of entities) under a budget.

(Lanes are cut in one place, `graph.declarations.assessment.cut_lanes`.)

Entities are ranked by the duties expected to be recovered: their probability of a finding times
the duties at stake (duties assessed on their declarations plus the shortfall of undervalued
items against the HS code's usual price). A configurable share of the budget is drawn at random
(seeded) from the remaining entities: those audits keep an unbiased measure of the hit rate and
give the model outcomes outside its own selection (otherwise it only ever learns what it already
suspects).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from graph.declarations.goods import mass_kg, robust_z
from graph.domain.vocabulary import LIABLE_ROLES
from graph.engine.stats import role_codes

TARGET_COLUMNS = ["rank", "target_id", "target_kind", "expected_amount", "risk", "duties_at_stake", "reasons",
                  "pick"]


def duties_at_stake(frames, rz: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per item: duties assessed (duty_amount, else value x rate) and the undervaluation shortfall
    (usual price per kg x mass - value) x rate for items priced below their HS norm (robust z < -2).
    `rz`: `robust_z` of the items if the caller has it (a scoring run computes it once)."""
    d = frames.declarations
    value = pd.to_numeric(d["customs_value"], errors="coerce").fillna(0.0)
    rate = pd.to_numeric(d["duty_rate"], errors="coerce").fillna(0.0)
    duty = pd.to_numeric(d["duty_amount"], errors="coerce")
    duty = duty.where(duty.notna(), value * rate / 100.0)
    rz = robust_z(d) if rz is None else rz
    usual = np.exp(rz["norm_median"]) * mass_kg(d)
    short = ((usual - value).clip(lower=0) * rate / 100.0).where(rz["z"] < -2, 0.0).fillna(0.0)
    return pd.DataFrame({"key": d["key"], "duty": duty.fillna(0.0), "shortfall": short}, index=d.index)


def _liable_rows(frames, stake: pd.DataFrame, assessments: pd.DataFrame | None,
                 unit_of: pd.Series | None) -> tuple[pd.DataFrame, pd.Index, pd.Index]:
    """Items per audit unit (entity, else party record) through the parties liable for the duties
    (declarant or consignee), as integer codes: an item counts once per party record and once per unit
    (a party both declarant and consignee of it, or two records of one company on it). Returns the rows
    (unit, party codes; duty, shortfall, assessment), the units (sorted, as a groupby orders them) and the
    parties.

    Codes, not the party strings: at 1M items the per-row maps, `drop_duplicates` on (party, key)
    and a groupby over arrow strings took most of the plan's 4.5 s."""
    d = frames.declarations
    roles = [role for role in LIABLE_ROLES if role in d]
    key_code, keys = pd.factorize(d["key"])
    by_role, parties = role_codes(d, roles)
    party_code = by_role.ravel()  # role by role, as the tiled item and key codes below
    item = np.tile(np.arange(len(d)), len(roles))
    key_code = np.tile(key_code, len(roles))
    known = np.flatnonzero(party_code >= 0)
    span = np.int64(len(keys) + 1)
    pair = party_code[known].astype(np.int64) * span + key_code[known]
    rows = known[~pd.Series(pair).duplicated().to_numpy()]  # the first row of each (party, item)
    names = pd.Series(parties)
    unit_names = names.map(unit_of).fillna(names) if unit_of is not None else names
    unit_of_party, units = pd.factorize(unit_names, sort=True)
    unit = unit_of_party[party_code[rows]]
    rows = rows[~pd.Series(unit.astype(np.int64) * span + key_code[rows]).duplicated().to_numpy()]
    item = item[rows]
    assessment = np.full(len(item), np.nan)
    if assessments is not None and not assessments.empty:
        score = assessments.set_index("key")["assessment_score"]
        if len(keys) == len(d) and len(score) == len(d) and bool((assessments["key"].array
                                                                  == d["key"].array).all()):
            assessment = score.to_numpy(dtype=float)[item]  # the run's own assessment, item by item
        else:
            assessment = pd.Series(keys).map(score).astype(float).to_numpy()[key_code[rows]]
    x = pd.DataFrame({"unit": unit_of_party[party_code[rows]], "party": party_code[rows],
                      "duty": stake["duty"].to_numpy(dtype=float)[item],
                      "shortfall": stake["shortfall"].to_numpy(dtype=float)[item],
                      "assessment": assessment})
    return x, pd.Index(units), pd.Index(parties)


def audit_targets(frames, party_risk: pd.Series | None, budget: int, *, random_share: float = 0.1,
                  seed: int = 7,
                  assessments: pd.DataFrame | None = None, min_items: int = 1,
                  entity_of: pd.Series | None = None, categories: pd.Series | None = None,
                  robust: pd.DataFrame | None = None) -> pd.DataFrame:
    """The audit plan: `budget` entities, most by expected duties recovered, a share at random.

    With `entity_of` (party key -> resolved entity id) the targets are entities: the party records
    of one company are one audit, their items summed (an item both records appear on counts once);
    without it, party records. risk = max(stored network risk, mean assessment score of the
    target's items, past offence rate); expected_amount = risk x (duties + undervaluation shortfall);
    amounts of recorded offences are not added (those are known cases, not targets). Returns rank,
    target_id, target_kind ('entity' or 'party'), expected_amount, risk, duties_at_stake, reasons
    (list of dicts), pick ('risk' | 'random'). `categories` (target id -> trader category,
    `graph.declarations.categories.current`): the high-category targets come first within the budget
    (differentiated control per category of trader), each in the order of its expected amount.
    `robust`: the items' `goods.robust_z`, if the caller has it (2 s at 1M items, computed once a run).
    """
    if budget <= 0 or frames.declarations.empty:
        return pd.DataFrame(columns=TARGET_COLUMNS)
    stake = duties_at_stake(frames, robust)
    unit_of = entity_of.astype(object) if entity_of is not None else None
    x, units, parties = _liable_rows(frames, stake, assessments, unit_of)
    g = x.groupby("unit")
    agg = pd.DataFrame({"items": g.size(), "duty": g["duty"].sum(), "shortfall": g["shortfall"].sum(),
                        "assessment": g["assessment"].mean(), "records": g["party"].nunique()})
    codes = agg.index.to_numpy()
    agg.index = units.take(codes)
    kept = (agg["items"] >= min_items).to_numpy()
    agg, codes = agg[kept], codes[kept]
    multi = np.isin(x["unit"].to_numpy(), codes[(agg["records"] > 1).to_numpy()])
    records: dict[object, list[str]] = {}  # companies with several records: few, so their lists are cheap
    for u, p in x.loc[multi, ["unit", "party"]].drop_duplicates().itertuples(index=False):
        records.setdefault(units[u], []).append(str(parties[p]))
    net = pd.Series(0.0, index=agg.index)
    if party_risk is not None:
        r = pd.Series(parties).map(party_risk).astype(float).to_numpy()  # once per party record
        top = pd.Series(r[x["party"].to_numpy()]).groupby(x["unit"].to_numpy()).max()
        net = pd.Series(top.reindex(codes).to_numpy(), index=agg.index).fillna(0.0)
    o = frames.offences
    off = pd.Series(0.0, index=agg.index)
    if o is not None and not o.empty:
        units = o["party"].map(unit_of).astype(object).fillna(o["party"].astype(object)) \
            if unit_of is not None else o["party"]
        off = units.value_counts().reindex(agg.index).fillna(0)
    off_rate = (off / (agg["items"] + 5)).clip(upper=1.0)
    ass = agg["assessment"].fillna(0.0)
    risk = np.maximum.reduce([net.to_numpy(), ass.to_numpy(), off_rate.to_numpy()])
    agg["risk"] = risk
    agg["stake"] = agg["duty"] + agg["shortfall"]
    agg["expected"] = agg["risk"] * agg["stake"]
    cat = agg.index.to_series().map(categories).astype(object) if categories is not None and len(categories) \
        else pd.Series(None, index=agg.index, dtype=object)
    agg["high"] = (cat == "high").to_numpy()
    agg = agg.sort_values(["high", "expected", "risk"], ascending=False, kind="stable")
    n_random = math.floor(budget * random_share + 1e-9) if random_share > 0 else 0
    n_risk = min(budget - n_random, len(agg))
    chosen = agg.iloc[:n_risk].assign(pick="risk")
    rest = agg.iloc[n_risk:]
    if n_random and len(rest):
        rng = np.random.default_rng(seed)
        idx = rng.choice(len(rest), size=min(n_random, len(rest)), replace=False)
        chosen = pd.concat([chosen, rest.iloc[np.sort(idx)].assign(pick="random")])
    reasons = []
    for pid, r in chosen.iterrows():
        rs = [{"feature": "duties_at_stake", "value": round(float(r["stake"]), 2),
               "detail": f"{int(r['items'])} items, duties "
                         f"{r['duty']:.0f}, undervaluation shortfall {r['shortfall']:.0f}"}]
        if net.get(pid, 0) > 0:
            rs.append({"feature": "network_risk", "value": round(float(net[pid]), 4),
                       "detail": "stored network risk" + (" (the highest of its records)" if r["records"] > 1
                                                          else "")})
        if r["assessment"] > 0:
            rs.append({"feature": "assessment", "value": round(float(r["assessment"]), 4),
                       "detail": "mean assessment score of its items"})
        if off.get(pid, 0) > 0:
            rs.append({"feature": "offences", "value": int(off[pid]),
                       "detail": f"{int(off[pid])} recorded offences"})
        if r["high"]:
            rs.append({"feature": "trader_category", "value": "high",
                       "detail": "trader category high this month: audited first within the budget"})
        if r["records"] > 1:
            rs.append({"feature": "party_records", "value": int(r["records"]),
                       "detail": "one company recorded as " + ", ".join(sorted(records[pid]))})
        if r["pick"] == "random":
            rs.append({"feature": "random_pick", "value": None,
                       "detail": f"random audit (share "
                                 f"{random_share:.0%}, seed {seed}): keeps the hit rate unbiased"})
        reasons.append(rs)
    out = pd.DataFrame({
        "rank": np.arange(1, len(chosen) + 1),
        "target_id": chosen.index.to_numpy(),
        "target_kind": "entity" if entity_of is not None else "party",
        "expected_amount": chosen["expected"].round(2).to_numpy(),
        "risk": chosen["risk"].round(4).to_numpy(),
        "duties_at_stake": chosen["stake"].round(2).to_numpy(),
        "reasons": reasons,
        "pick": chosen["pick"].to_numpy(),
    }, columns=TARGET_COLUMNS)
    return out

