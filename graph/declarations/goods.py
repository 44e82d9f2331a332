"""Declaration-level red flags that need no labels: unit-value anomalies and sudden HS-code switches.

Both are pure functions on `graph.store.frames.Frames`. They are descriptive (no fitted model), so they
can be computed on the whole history without label leakage; the assessment model reads their
time-respecting variants (`hs_novelty`) as features.

Why these two: customs fraud shows first in the price per kilogram (undervaluation, or a cover
code whose goods are worth far more per kg than the code's usual goods) and in a trader who
suddenly declares something else under a cheaper code after years of the same goods.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from graph.domain.types import HSCode
from graph.domain.vocabulary import liable_party
from graph.engine.stats import earlier_in_group, grouped_median_scale

#: log-scale floor: two prices per kg that differ by less than ~15 % are never "anomalous"
#: (wider than the cover profiles' floor, as a code's norm rests on many items)
MIN_SCALE = 0.15

#: an HS code cut to 6 (subheading), 4 (heading) or 2 (chapter) digits: the type's own cut
hs_prefix = HSCode.prefixes


def mass_kg(decl: pd.DataFrame) -> pd.Series:
    """Net mass, falling back to gross mass; non-positive masses are missing."""
    net = pd.to_numeric(decl.get("net_mass_kg"), errors="coerce")
    gross = pd.to_numeric(decl.get("gross_mass_kg"), errors="coerce")
    m = net.where(net > 0, gross)
    return m.where(m > 0)


def log_unit_value(decl: pd.DataFrame) -> pd.Series:
    """log(customs value per kg); NaN where value or mass is missing or not positive."""
    v = pd.to_numeric(decl["customs_value"], errors="coerce")
    m = mass_kg(decl)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log(v.where(v > 0) / m)
    return out.astype(float)


def hs_norms(decl: pd.DataFrame, *, level: int = 6, min_count: int = 8) -> pd.DataFrame:
    """Median and robust scale of log value/kg per HS code at `level` (codes with >= min_count rows).

    Returns a frame indexed by the code with columns n, median, scale.
    """
    out = grouped_median_scale(log_unit_value(decl), hs_prefix(decl["hs_code"], level), floor=MIN_SCALE)
    out = out.rename_axis("hs")
    return out[out["n"] >= min_count] if len(out) else out


def robust_z(decl: pd.DataFrame, *, min_count: int = 8) -> pd.DataFrame:
    """Robust z of each row's log value/kg against its HS6 norm, falling back to HS4 then HS2.

    Returns columns luv, z, norm_median, norm_level (6, 4, 2 or NaN) aligned with `decl`.
    """
    luv = log_unit_value(decl)
    out = pd.DataFrame({"luv": luv, "z": np.nan, "norm_median": np.nan, "norm_level": np.nan},
                       index=decl.index)
    for level in (6, 4, 2):
        norms = hs_norms(decl, level=level, min_count=min_count)
        hs = hs_prefix(decl["hs_code"], level)
        todo = out["z"].isna() & luv.notna() & hs.isin(norms.index)
        if not todo.any():
            continue
        med = hs[todo].map(norms["median"]).astype(float)
        sc = hs[todo].map(norms["scale"]).astype(float)
        out.loc[todo, "z"] = (luv[todo] - med) / sc
        out.loc[todo, "norm_median"] = med
        out.loc[todo, "norm_level"] = level
    return out


def unit_value_anomalies(frames, *, threshold: float = 3.5, min_count: int = 8,
                         rz: pd.DataFrame | None = None) -> pd.DataFrame:
    """Declaration items whose value per kg is far from the usual price of their HS code.

    Robust z (median / MAD) of log value/kg per HS6 (HS4 or chapter where HS6 has fewer than
    `min_count` rows); |z| >= threshold is flagged. For undervaluation the duties at stake are
    estimated as (usual price x mass - declared value) x duty rate.

    Returns columns key, declaration_id, hs_code, unit_value, norm_unit_value, robust_z,
    direction ('under'|'over'), duties_at_stake, reasons (list of dicts), sorted by |z| descending.
    """
    d = frames.declarations
    cols = ["key", "declaration_id", "hs_code", "unit_value", "norm_unit_value", "robust_z", "direction",
            "duties_at_stake", "reasons"]
    if d.empty:
        return pd.DataFrame(columns=cols)
    rz = robust_z(d, min_count=min_count) if rz is None else rz  # `rz`: the caller's, same min_count
    hit = rz["z"].abs() >= threshold
    if not hit.any():
        return pd.DataFrame(columns=cols)
    sub, r = d[hit], rz[hit]
    mass = mass_kg(sub)
    value = pd.to_numeric(sub["customs_value"], errors="coerce")
    rate = pd.to_numeric(sub.get("duty_rate"), errors="coerce").fillna(0.0)
    norm_uv = np.exp(r["norm_median"])
    gap = (norm_uv * mass - value).clip(lower=0)
    out = pd.DataFrame({
        "key": sub["key"].values,
        "declaration_id": sub["declaration_id"].values,
        "hs_code": sub["hs_code"].values,
        "unit_value": np.exp(r["luv"]).round(4).values,
        "norm_unit_value": norm_uv.round(4).values,
        "robust_z": r["z"].round(3).values,
        "direction": np.where(r["z"] < 0, "under", "over"),
        "duties_at_stake": np.where(r["z"] < 0, (gap * rate / 100.0).round(2), 0.0),
    })
    levels = r["norm_level"].astype(int).values
    out["reasons"] = [
        [{"feature": "unit_value", "value": float(uv), "norm": float(nu), "robust_z": float(z),
          "hs_level": int(lv),
          "detail": f"value/kg {uv:.2f} vs usual {nu:.2f} for HS{lv} {str(hs)[:lv]} (robust z {z:+.1f})"}]
        for uv, nu, z, lv, hs in zip(out["unit_value"], out["norm_unit_value"], out["robust_z"], levels,
                                     out["hs_code"], strict=True)
    ]
    return out.reindex(out["robust_z"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def _trader(decl: pd.DataFrame) -> pd.Series:
    """The trader of an item: the consignee (importer), else the declarant."""
    c = decl["consignee"] if "consignee" in decl else pd.Series(None, index=decl.index)
    return liable_party(c, decl["declarant"])


def hs_novelty(decl: pd.DataFrame, *, level: int = 6) -> pd.DataFrame:
    """Per item, using only the trader's earlier declarations (strictly earlier dates):
    prior_n (how many items the trader declared before), prior_share (share of those under the
    same HS code at `level`), new_code (the code is new for a trader with >= 5 prior items).
    """
    t = _trader(decl)
    hs = hs_prefix(decl["hs_code"], level)
    date = pd.to_datetime(decl["date"])
    ok = (t.notna() & date.notna()).to_numpy()
    out = pd.DataFrame({"prior_n": 0.0, "prior_share": np.nan, "new_code": False}, index=decl.index)
    if not ok.any():
        return out
    trader = pd.factorize(t[ok])[0].astype(np.int64)
    code, codes = pd.factorize(hs[ok])
    day = date.to_numpy()[ok].view(np.int64)
    prior_n = earlier_in_group(trader, day)
    # an item without a code has no earlier item under its code
    prior_same = np.where(code >= 0, earlier_in_group(trader * (len(codes) + 1) + code, day), 0)
    out.loc[ok, "prior_n"] = prior_n
    with np.errstate(divide="ignore", invalid="ignore"):
        out.loc[ok, "prior_share"] = np.where(prior_n > 0, prior_same / np.maximum(prior_n, 1), np.nan)
    out.loc[ok, "new_code"] = (prior_n >= 5) & (prior_same == 0)
    return out


def _mean(x: np.ndarray) -> float:
    """Mean of the present values; NaN when there are none (as pandas' mean)."""
    x = x[~np.isnan(x)]
    return float(x.mean()) if len(x) else float("nan")


def hs_switches(frames, *, min_history: int = 5, window_days: int = 180, level: int = 6,
                min_score: float = 0.5) -> pd.DataFrame:
    """Sudden switches of a trader's HS codes: a code the trader never used in `min_history`+ earlier
    items, taken up while the trader's previous main code stops (within `window_days`).

    The score grows with the length of the old habit, with how completely the old code stops and
    with a drop in the duty rate (a switch to a cheaper code is the cover pattern).
    Returns columns party, date, from_hs, to_hs, n_before, n_new, n_old_after, duty_rate_before,
    duty_rate_after, score, keys (the items under the new code), reasons; sorted by score.
    """
    d = frames.declarations
    cols = ["party", "date", "from_hs", "to_hs", "n_before", "n_new", "n_old_after", "duty_rate_before",
            "duty_rate_after", "score", "keys", "reasons"]
    if d.empty:
        return pd.DataFrame(columns=cols)
    nov = hs_novelty(d, level=level)
    df = pd.DataFrame({
        "key": d["key"], "t": _trader(d), "hs": hs_prefix(d["hs_code"], level),
        "date": pd.to_datetime(d["date"]), "rate": pd.to_numeric(d.get("duty_rate"), errors="coerce"),
        "prior_n": nov["prior_n"], "new": nov["new_code"],
    }).dropna(subset=["t", "hs", "date"])
    firsts = df[df["new"] & (df["prior_n"] >= min_history)]
    # one event per (trader, new code): its first date
    firsts = firsts.sort_values("date").drop_duplicates(["t", "hs"])
    rows: list[dict[str, Any]] = []
    if firsts.empty:
        return pd.DataFrame(rows, columns=cols)
    # each trader's items as sorted arrays (by date, then original order): an event reads its trader's
    # slice with two binary searches instead of filtering frames (tens of thousands of events at 1M rows)
    df = df[df["t"].isin(set(firsts["t"]))]
    orig = np.arange(len(df))
    hs_code, hs_levels = pd.factorize(df["hs"], sort=True)  # sorted: the smallest code wins a tie, as mode()
    order = np.lexsort((orig, df["date"].to_numpy(dtype="datetime64[ns]"), df["t"].to_numpy(dtype=object)))
    t_arr = df["t"].to_numpy(dtype=object)[order]
    date_arr = df["date"].to_numpy(dtype="datetime64[ns]")[order]
    hs_arr, rate_arr = hs_code[order], df["rate"].to_numpy(dtype=float)[order]
    key_arr, orig_arr = df["key"].to_numpy(dtype=object)[order], orig[order]
    starts = np.flatnonzero(np.r_[True, t_arr[1:] != t_arr[:-1]])
    bounds = dict(zip(t_arr[starts], zip(starts, np.r_[starts[1:], len(t_arr)], strict=True), strict=True))
    win = np.timedelta64(window_days, "D")
    level_of = {v: i for i, v in enumerate(hs_levels)}
    for ev in firsts.itertuples(index=False):
        s, e = bounds[ev.t]
        dates = date_arr[s:e]
        t0 = np.datetime64(ev.date, "ns")
        b = s + int(np.searchsorted(dates, t0, "left"))
        a = s + int(np.searchsorted(dates, t0 + win, "right"))
        hs_before, hs_after = hs_arr[s:b], hs_arr[b:a]
        codes, counts = np.unique(hs_before, return_counts=True)
        old = codes[int(np.argmax(counts))]
        old_main = hs_levels[old]
        n_before = b - s
        n_old_before = int(counts.max())
        n_old_after = int((hs_after == old).sum())
        new_mask = hs_after == level_of[ev.hs]
        n_new = int(new_mask.sum())
        # habit: how dominant the old code was; stop: how completely it stopped after the switch
        habit = n_old_before / max(n_before, 1) * (1 - np.exp(-n_before / 10))
        stop = n_new / (n_new + n_old_after)
        r_before = _mean(rate_arr[s:b][hs_before == old])
        r_after = _mean(rate_arr[b:a][new_mask])
        drop = (0.0 if np.isnan(r_before) or np.isnan(r_after)
                else float(np.clip((r_before - r_after) / 10, 0, 1)))
        score = float(np.clip(0.55 * habit * stop + 0.45 * stop * (0.3 + 0.7 * drop) * (n_new >= 2), 0, 1))
        if score < min_score:
            continue
        reasons = [
            {"feature": "habit", "value": round(habit, 3),
             "detail": f"{n_old_before} of {n_before} earlier items under {old_main}"},
            {"feature": "switch", "value": round(stop, 3),
             "detail": f"from {ev.date.date()} {n_new} items under {ev.hs}, "
                       f"{n_old_after} still under {old_main} "
                       f"within {window_days} days"},
        ]
        if drop > 0:
            reasons.append({"feature": "duty_drop", "value": round(drop, 3),
                            "detail": f"duty rate {r_before:.1f}% -> {r_after:.1f}%"})
        new_pos = np.flatnonzero(new_mask) + b
        rows.append({
            "party": ev.t, "date": ev.date, "from_hs": old_main, "to_hs": ev.hs, "n_before": n_before,
            "n_new": n_new, "n_old_after": n_old_after, "duty_rate_before": r_before,
            "duty_rate_after": r_after,
            "score": round(score, 4),
            "keys": list(key_arr[new_pos[np.argsort(orig_arr[new_pos], kind="stable")]]),
            "reasons": reasons,
        })
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["score", "party"], ascending=[False, True], kind="stable").reset_index(drop=True)
