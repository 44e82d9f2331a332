"""Phoenix firms: a company registered after an offender was deregistered, sharing its director,
phone, bank account or address, and carrying on the same goods with the same suppliers.

Score = link x (0.4 + 0.3 goods + 0.3 suppliers), where link is the noisy-OR weight of what the
two share (specificity-weighted, see graph.network.groups), goods the share of the successor's HS6 lines
the predecessor also traded, suppliers the share of its foreign suppliers that were the
predecessor's. Timing is a hard condition: registered no earlier than `grace_days` before the
deregistration and no later than `max_years` after it. Each successor keeps its best predecessor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from graph.network.projection import Projection


@dataclass(frozen=True)
class PhoenixSettings:
    grace_days: int = 120  # successors are often registered shortly before the old firm is wound up
    max_years: float = 3.0
    min_link: float = 0.3
    require_offence: bool = True  # the predecessor must carry enforcement history


def find_phoenix(proj: Projection, pairs: pd.DataFrame, spec: np.ndarray, seeds: np.ndarray,
                 s: PhoenixSettings | None = None) -> pd.DataFrame:
    """Phoenix candidates: successor, predecessor (entity indices), score, evidence (dict)."""
    s = s or PhoenixSettings()
    cols = ["successor", "predecessor", "score", "evidence"]
    ent = proj.entities
    dereg = pd.to_datetime(ent["deregistered_on"]).to_numpy()
    reg = pd.to_datetime(ent["registered_on"]).to_numpy()
    is_pred = ~pd.isna(dereg)
    if s.require_offence:
        is_pred &= seeds > 0
    if not is_pred.any() or pairs.empty:
        return pd.DataFrame(columns=cols)
    a, b = pairs["a"].to_numpy(), pairs["b"].to_numpy()
    # orient every pair both ways: predecessor first
    cand = pd.concat([
        pd.DataFrame({"pred": a, "succ": b, "weight": pairs["weight"].to_numpy(),
                      "nodes": pairs["nodes"].to_numpy()}),
        pd.DataFrame({"pred": b, "succ": a, "weight": pairs["weight"].to_numpy(),
                      "nodes": pairs["nodes"].to_numpy()}),
    ], ignore_index=True)
    cand = cand[is_pred[cand["pred"].to_numpy()] & (cand["weight"] >= s.min_link)]
    if cand.empty:
        return pd.DataFrame(columns=cols)
    d_pred = dereg[cand["pred"].to_numpy()]
    r_succ = reg[cand["succ"].to_numpy()]
    ok = (~pd.isna(r_succ)) & (r_succ >= d_pred - np.timedelta64(s.grace_days, "D")) & \
         (r_succ <= d_pred + np.timedelta64(int(365.25 * s.max_years), "D"))
    cand = cand[ok].reset_index(drop=True)
    if cand.empty:
        return pd.DataFrame(columns=cols)

    goods = proj.goods.groupby("entity")["hs6"].agg(set).to_dict() if len(proj.goods) else {}
    sups = proj.suppliers.groupby("entity")["supplier"].agg(set).to_dict() if len(proj.suppliers) else {}
    kinds = proj.link_nodes["kind"].to_numpy()
    values = proj.link_nodes["value"].to_numpy()
    rows = []
    for p, q, w, nodes in zip(cand["pred"], cand["succ"], cand["weight"], cand["nodes"], strict=True):
        gs, gp = goods.get(q, set()), goods.get(p, set())
        ss, sp_ = sups.get(q, set()), sups.get(p, set())
        g = len(gs & gp) / len(gs) if gs else 0.0
        c = len(ss & sp_) / len(ss) if ss else 0.0
        score = float(w) * (0.4 + 0.3 * g + 0.3 * c)
        rows.append({
            "successor": int(q), "predecessor": int(p), "score": round(score, 4),
            "evidence": {
                "predecessor": str(proj.entity_ids[p]),
                "predecessor_deregistered_on": str(pd.Timestamp(dereg[p]).date()),
                "registered_on": str(pd.Timestamp(reg[q]).date()),
                "shared": [{"kind": str(kinds[x]), "value": str(values[x]),
                            "specificity": round(float(spec[x]), 3)}
                           for x in sorted(nodes, key=lambda x: -spec[x])],
                "same_goods": sorted(gs & gp)[:10], "goods_overlap": round(g, 3),
                "same_suppliers": [str(proj.entity_ids[x]) for x in sorted(ss & sp_)[:10]],
                "supplier_overlap": round(c, 3),
            },
        })
    out = pd.DataFrame(rows, columns=cols)
    out = out.sort_values(["successor", "score", "predecessor"], ascending=[True, False, True])
    return out.drop_duplicates("successor").reset_index(drop=True)
