"""Assessment features, every label-based one from labels known *before* the item's date.

Own features (value, mass, price against the HS norm, codes, novelty for the trader), the past hit
rates of the goods, route and parties (target encoding in time order), and the whole feature frame
the model is trained and scored on. Apart from the network features (`network`), because those
are graphs over time and the rest are columns.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from graph.declarations.goods import hs_prefix, mass_kg
from graph.domain.vocabulary import PARTY_ROLE_NAMES, liable_party
from graph.engine.stats import earlier_in_group, group_time_order

#: grouping columns whose past hit rate is an "own" feature (attributes of the goods and route)
OWN_GROUPS = ("hs6", "hs4", "origin_country", "dispatch_country", "route")


#: smoothing strength (pseudo-items at the global rate) of past hit rates
SMOOTH = 10.0


def labels(frames) -> pd.DataFrame:
    """Per item: y (1 hit, 0 clear, NaN unknown) and known_at (when the outcome became known)."""
    d = frames.declarations
    res = d["inspection_result"].astype("string").str.lower().fillna("")
    y = pd.Series(np.where(res == "violation", 1.0, np.where(res == "clear", 0.0, np.nan)), index=d.index)
    known = pd.to_datetime(d["date"])
    o = frames.offences
    if o is not None and not o.empty:
        first = o.dropna(subset=["declaration_key"]).groupby("declaration_key")["date"].min()
        od = pd.to_datetime(d["declaration_key"].map(first))
        hit = od.notna()
        y[hit] = 1.0
        known = known.where(~hit, np.maximum(known, od))
    return pd.DataFrame({"y": y, "known_at": known}, index=d.index)


def label_counts(frames) -> dict[str, int]:
    """What the model learns from, counted: items with an inspection result and offences. Stored with
    the model at training; `reuse` retrains once they have grown by more than a set share."""
    d, o = frames.declarations, frames.offences
    inspected = int(d["inspection_result"].notna().sum()) if "inspection_result" in d else 0
    return {"inspected": inspected, "offences": 0 if o is None else int(len(o))}


def _base(decl: pd.DataFrame) -> pd.DataFrame:
    """The grouping keys every feature builder reads (strings; None where missing)."""
    b = pd.DataFrame(index=decl.index)
    b["date"] = pd.to_datetime(decl["date"])
    b["hs6"] = hs_prefix(decl["hs_code"], 6)
    b["hs4"] = hs_prefix(decl["hs_code"], 4)
    b["hs2"] = hs_prefix(decl["hs_code"], 2)
    for c in ("origin_country", "dispatch_country", "transport_mode"):
        b[c] = decl[c].astype("string") if c in decl else pd.Series(pd.NA, index=decl.index, dtype="string")
    if "route" in decl and decl["route"].notna().any():
        b["route"] = decl["route"].astype("string")
    else:
        b["route"] = (b["origin_country"].fillna("") + "|" + b["dispatch_country"].fillna("") + "|"
                      + b["transport_mode"].fillna(""))
    for r in PARTY_ROLE_NAMES:
        b[r] = decl[r].astype("string") if r in decl else pd.Series(pd.NA, index=decl.index, dtype="string")
    b["trader"] = liable_party(b["consignee"], b["declarant"])
    return b


def _past_counts(groups: pd.Series, qtime: pd.Series, ev_groups: pd.Series, ev_time: pd.Series,
                 ev_y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each query (group, time): labelled events of the same group strictly before that time.

    Returns (n, positives). One sort of events and queries together: events at the same instant as
    a query sort after it, so they are not counted (strictly earlier only).
    """
    nq = len(groups)
    # one factorize over queries and events together (Arrow strings stay in Arrow: no Python objects)
    codes, _ = pd.factorize(pd.concat([pd.Series(groups).reset_index(drop=True),
                                       pd.Series(ev_groups).reset_index(drop=True)], ignore_index=True))
    return _past_counts_coded(codes[:nq], _ns(qtime), codes[nq:], _ns(ev_time), ev_y)


def _ns(t: pd.Series) -> np.ndarray:
    return t.to_numpy(dtype="datetime64[ns]").astype(np.int64)


def _past_counts_coded(qcode: np.ndarray, qt: np.ndarray, ecode: np.ndarray, et: np.ndarray,
                       ev_y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`_past_counts` on integer group codes (-1 none) and int64 times: the feature frame factorizes
    each column once and reuses the codes (the strings' factorize was most of the cost)."""
    nq = len(qcode)
    ok_q = qcode >= 0
    ok_e = ecode >= 0
    ecode = ecode[ok_e]
    et = et[ok_e]
    ey = np.asarray(ev_y, float)[ok_e]
    qi = np.flatnonzero(ok_q)
    g = np.concatenate([ecode, qcode[qi]])
    t = np.concatenate([et, qt[qi]])
    kind = np.concatenate([np.ones(len(ecode), np.int8), np.zeros(len(qi), np.int8)])  # query first
    order = group_time_order(g, t, kind)  # the order of equal keys does not matter to the counts
    is_ev = kind[order] == 1
    cnt = np.where(is_ev, 1.0, 0.0)
    pos = np.where(is_ev, np.concatenate([ey, np.zeros(len(qi))])[order], 0.0)
    gs = g[order]
    # cumulative within group: subtract the running total at the group's start
    c_cnt, c_pos = np.cumsum(cnt), np.cumsum(pos)
    start = np.r_[True, gs[1:] != gs[:-1]]
    first_idx = np.maximum.accumulate(np.where(start, np.arange(len(gs)), 0))
    base_cnt = c_cnt[first_idx] - cnt[first_idx]
    base_pos = c_pos[first_idx] - pos[first_idx]
    n_before = c_cnt - base_cnt - cnt  # strictly before (queries contribute 0 themselves)
    p_before = c_pos - base_pos - pos
    n = np.zeros(nq)
    p = np.zeros(nq)
    qpos = np.flatnonzero(~is_ev)
    qrow = qi[order[qpos] - len(ecode)]
    n[qrow] = n_before[qpos]
    p[qrow] = p_before[qpos]
    return n, p


def _smoothed[T: (np.ndarray, float)](n: T, p: T, prior: float) -> T:
    """Past hit rate smoothed towards the prior: over arrays (the batch path) or floats (one row)."""
    return (p + SMOOTH * prior) / (n + SMOOTH)


def history_features(base: pd.DataFrame, lab: pd.DataFrame, prior: float, groups: tuple[str, ...],
                     horizon: pd.Timestamp | None = None) -> pd.DataFrame:
    """Past hit rate per group column, smoothed towards the prior by SMOOTH pseudo-items.

    Counts themselves are not features: they grow with the length of the history, so a model
    fitted on a short past would meet values it never saw (measured on KCS: they cost ~0.01
    macro-F1). The smoothing already says how much history there is. Only labels known strictly
    before the item's date (and before `horizon`, if given) count.
    """
    ev = lab["y"].notna()
    if horizon is not None:
        ev &= lab["known_at"] < horizon
    ev = ev.to_numpy()
    qt, et, ey = _ns(base["date"]), _ns(lab["known_at"])[ev], lab["y"].to_numpy()[ev]
    out = {}
    for gcol in groups:
        codes, _ = pd.factorize(base[gcol])  # the events are items too: their codes are the items'
        n, p = _past_counts_coded(codes, qt, codes[ev], et, ey)
        out[f"rate_{gcol}"] = _smoothed(n, p, prior)
    return pd.DataFrame(out, index=base.index)


def own_features(decl: pd.DataFrame, base: pd.DataFrame, norms: pd.DataFrame,
                 parties: pd.DataFrame | None = None) -> pd.DataFrame:
    """Features of the item itself (no labels): values, masses, prices against the HS norm, codes."""
    value = pd.to_numeric(decl["customs_value"], errors="coerce").to_numpy(dtype=float)
    rate = (pd.to_numeric(decl["duty_rate"], errors="coerce").to_numpy(dtype=float) if "duty_rate" in decl
            else np.full(len(decl), np.nan))
    med = base["hs6"].map(norms["median"]).astype(float).to_numpy()
    sc = base["hs6"].map(norms["scale"]).astype(float).to_numpy()
    f = pd.DataFrame(value_features(value, mass_kg(decl).to_numpy(dtype=float), rate, med, sc),
                     index=decl.index)
    f["origin_is_dispatch"] = (base["origin_country"] == base["dispatch_country"]).astype(float)
    f.loc[base["origin_country"].isna() | base["dispatch_country"].isna(), "origin_is_dispatch"] = np.nan
    if parties is not None and not parties.empty and parties["registered_on"].notna().any():
        reg = base["declarant"].map(parties.set_index("key")["registered_on"])
        f["declarant_age_days"] = (base["date"] - pd.to_datetime(reg)).dt.days.astype(float)
    return f


def novelty_features(base: pd.DataFrame) -> pd.DataFrame:
    """Is the HS code new for the trader, from the trader's strictly earlier items."""
    t, _ = pd.factorize(base["trader"])
    h, hs = pd.factorize(base["hs6"])
    th = np.where((t >= 0) & (h >= 0), t.astype(np.int64) * (len(hs) + 1) + h, -1)  # trader#hs6, no strings
    qt = _ns(base["date"])
    # the events are the items themselves: one sort of the items, not of items and events together
    n = np.where(t >= 0, earlier_in_group(t.astype(np.int64), qt), 0).astype(float)
    ns = np.where(th >= 0, earlier_in_group(th, qt), 0).astype(float)
    return pd.DataFrame(novelty_values(n, ns), index=base.index)


# --------------------------------------------------------------------------- one formula per feature
# The batch frame (arrays) and the one posted item (`scoring._row_vector`, floats) call the same
# functions: numpy arithmetic serves both, so the two paths cannot drift apart.

def value_features(value, mass, rate, norm_median, norm_scale) -> dict[str, Any]:
    """log value, log mass, log value/kg, its robust z against the HS norm, duty rate, log duties.

    `mass` is `goods.mass_kg` (net, else gross; missing where not positive), the norm NaN where the
    code has none."""
    value, mass, rate = np.asarray(value, float), np.asarray(mass, float), np.asarray(rate, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        luv = np.log(np.where(value > 0, value, np.nan) / mass)
        return {"log_value": np.log1p(np.maximum(value, 0.0)), "log_mass": np.log1p(mass), "log_uv": luv,
                "uv_z": (luv - norm_median) / norm_scale, "duty_rate": rate,
                "log_duty": np.log1p(np.maximum(value * rate / 100.0, 0.0))}


def novelty_values(n, ns) -> dict[str, Any]:
    """From the trader's earlier items `n` and those under this HS code `ns`: how new the code is."""
    n, ns = np.asarray(n, float), np.asarray(ns, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {"trader_prior_n": np.log1p(n),
                "hs_prior_share": np.where(n > 0, ns / np.maximum(n, 1), np.nan),
                "hs_new": ((n >= 5) & (ns == 0)).astype(float)}


