"""Cover items: declared codes that hide other goods.

From offences where the goods found (`actual_hs_code`) differ from the code declared, we learn
which codes serve as cover for which risk goods (`learn_cover_pairs`). Then every not-yet-caught
declaration under a cover code is compared with two profiles (`flag_cover_items`):

- the *cover profile* of the pair: the caught declarations (declared D, found A) and, with less
  weight, the goods A declared openly — their value per kg, mass, supplier, origin, route;
- the *genuine profile* of D: the other declarations under D.

The score is a naive-Bayes posterior: the pair's base rate as prior plus one bounded log-likelihood
ratio per piece of evidence (value/kg, mass, supplier, origin, dispatch, route, and the parties'
past offences and network risk). Naive Bayes because the caught sets are small (tens of rows): a
discriminative model would overfit them, and each term is a readable reason for the investigator.

Codes are compared at HS6 (the international subheading): national extensions differ between
countries and a cover is a different subheading, usually a different heading.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from graph.declarations import hs_prefix, log_unit_value, mass_kg

#: each log-likelihood ratio is bounded so that no single piece of evidence decides alone
LLR_CAP = 3.0
#: weight of the goods declared openly under the risk code, relative to a caught cover row
OPEN_WEIGHT = 0.25
#: Laplace pseudo-count for categorical evidence (supplier, countries, route)
ALPHA = 1.0

PAIR_COLUMNS = ["declared_hs", "actual_hs", "count", "parties", "evaded", "first", "last", "declaration_keys"]
FLAG_COLUMNS = ["key", "declaration_id", "declared_hs", "suspected_hs", "score", "reasons"]


def learn_cover_pairs(frames, *, level: int = 6, as_of=None) -> pd.DataFrame:
    """Cover pairs (declared_hs -> actual_hs) from offences whose found code differs at `level` digits.

    Only offences dated before `as_of` (if given) count. Returns columns declared_hs, actual_hs,
    count, parties (distinct offenders), evaded (sum), first, last, declaration_keys (list).
    """
    o = frames.offences
    if o.empty:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    o = o.copy()
    if as_of is not None:
        o = o[pd.to_datetime(o["date"]) < pd.Timestamp(as_of)]
    if "status" in o:
        o = o[o["status"].fillna("confirmed") != "cleared"]
    o["declared_hs"] = hs_prefix(o["declared_hs_code"], level)
    o["actual_hs"] = hs_prefix(o["actual_hs_code"], level)
    o = o.dropna(subset=["declared_hs", "actual_hs"])
    o = o[o["declared_hs"] != o["actual_hs"]]
    if o.empty:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    o["evaded_amount"] = pd.to_numeric(o["evaded_amount"], errors="coerce").fillna(0.0)
    o["date"] = pd.to_datetime(o["date"])
    g = o.groupby(["declared_hs", "actual_hs"])
    out = pd.DataFrame({
        "count": g.size(),
        "parties": g["party"].nunique(),
        "evaded": g["evaded_amount"].sum(),
        "first": g["date"].min(),
        "last": g["date"].max(),
        "declaration_keys": g["declaration_key"].agg(lambda s: sorted({k for k in s if isinstance(k, str)})),
    }).reset_index()
    return out.sort_values(["count", "evaded"], ascending=False, kind="stable").reset_index(drop=True)[PAIR_COLUMNS]


def _robust(x: np.ndarray, w: np.ndarray | None = None) -> tuple[float, float]:
    """Weighted median and a robust scale (1.4826 * weighted MAD, floored)."""
    x = np.asarray(x, float)
    ok = ~np.isnan(x)
    x = x[ok]
    w = np.ones_like(x) if w is None else np.asarray(w, float)[ok]
    if len(x) == 0:
        return np.nan, np.nan
    med = _wmedian(x, w)
    mad = _wmedian(np.abs(x - med), w)
    return med, max(1.4826 * mad, 0.25)


def _wmedian(x: np.ndarray, w: np.ndarray) -> float:
    o = np.argsort(x, kind="stable")
    cw = np.cumsum(w[o])
    return float(x[o][np.searchsorted(cw, cw[-1] / 2.0)])


def _normal_llr(x: np.ndarray, a: tuple[float, float], b: tuple[float, float]) -> np.ndarray:
    """log N(x; a) - log N(x; b), NaN-safe (0 where x or a profile is missing), bounded."""
    (ma, sa), (mb, sb) = a, b
    if np.isnan(ma) or np.isnan(mb):
        return np.zeros_like(x)
    la = -0.5 * ((x - ma) / sa) ** 2 - np.log(sa)
    lb = -0.5 * ((x - mb) / sb) ** 2 - np.log(sb)
    return np.clip(np.nan_to_num(la - lb, nan=0.0), -LLR_CAP, LLR_CAP)


def _cat_llr(values: pd.Series, cover: pd.Series, cover_w: np.ndarray, genuine: pd.Series) -> np.ndarray:
    """log P(v | cover) - log P(v | genuine) with Laplace smoothing towards the pooled frequency."""
    pooled = pd.concat([cover, genuine]).value_counts(normalize=True)
    cw = pd.Series(cover_w, index=cover.index).groupby(cover.values).sum()
    gc = genuine.value_counts()
    nc, ng = float(np.sum(cover_w[cover.notna().to_numpy()])), float(genuine.notna().sum())
    if nc == 0 or ng == 0:
        return np.zeros(len(values))
    base = values.map(pooled).fillna(1.0 / max(len(pooled), 1)).astype(float)
    pc = (values.map(cw).fillna(0.0).astype(float) + ALPHA * base) / (nc + ALPHA)
    pg = (values.map(gc).fillna(0.0).astype(float) + ALPHA * base) / (ng + ALPHA)
    out = np.log(pc / pg).to_numpy(dtype=float, copy=True)
    out[values.isna().to_numpy()] = 0.0
    return np.clip(out, -LLR_CAP, LLR_CAP)


def _caught_items(d: pd.DataFrame, hs: pd.Series, luv: np.ndarray, D: str, decl_keys: list[str],
                  caught: pd.Series) -> pd.Series:
    """The items of caught declarations that carried the cover: offences name a declaration, whose
    other items under the same code may be genuine. Per declaration the item under D whose value
    per kg is furthest from D's usual price (median of the uncaught items) is taken."""
    on_d = (hs == D).to_numpy()
    ref = luv[on_d & ~caught.to_numpy()]
    med = np.nanmedian(ref) if np.isfinite(ref).any() else np.nan
    m = (d["declaration_key"].isin(decl_keys) | d["key"].isin(decl_keys)).to_numpy() & on_d
    out = pd.Series(False, index=d.index)
    if not m.any():
        return out
    dev = pd.Series(np.abs(luv - med), index=d.index)[m].fillna(-1.0)
    pick = dev.groupby(d.loc[m, "declaration_key"]).idxmax()
    out[pick.to_numpy()] = True
    return out


def _route(d: pd.DataFrame) -> pd.Series:
    if "route" in d and d["route"].notna().any():
        return d["route"]
    parts = [d.get(c, pd.Series(None, index=d.index)).astype("string").fillna("")
             for c in ("origin_country", "dispatch_country", "transit_countries", "border_post", "transport_mode")]
    return parts[0].str.cat(parts[1:], sep="|")


#: caps of the combined evidence: value per kg is what tells the goods apart; the supplier, countries,
#: route and parties describe the *trader*, so they are one piece of evidence (their maximum), not four
UV_CAP = 6.0
MASS_CAP = 1.5
PROFILE_CAP = (-2.0, 3.0)


def _combine_evidence(llr: dict[str, np.ndarray]) -> np.ndarray:
    """Sum of bounded evidence: value/kg (wide bound), mass, and the trader profile as one term."""
    total = np.clip(llr.get("unit_value", 0.0) * (UV_CAP / LLR_CAP), -UV_CAP, UV_CAP)
    total = total + np.clip(llr.get("mass", 0.0), -MASS_CAP, MASS_CAP)
    prof = [llr[k] for k in ("consignor", "countries", "route", "parties") if k in llr]
    if prof:
        total = total + np.clip(np.max(prof, axis=0), *PROFILE_CAP)
    return total


FEATURES = {
    "unit_value": "value per kg (log) closer to the caught covers / the risk goods than to genuine goods",
    "mass": "net mass (log) closer to the caught covers than to genuine goods",
    "consignor": "supplier seen in caught covers or selling the risk goods",
    "countries": "origin > dispatch countries typical of the caught covers / the risk goods",
    "route": "route (countries, border post, mode) typical of the caught covers",
    "parties": "declarant, consignee, broker or carrier committed this cover before, or carries network risk",
}


def flag_cover_items(frames, pairs: pd.DataFrame | None = None, party_risk: pd.Series | None = None, *,
                     level: int = 6, min_score: float = 0.5, include_caught: bool = False,
                     same_heading: bool = False) -> pd.DataFrame:
    """Declaration items whose declared code is a known cover and whose evidence fits the risk goods.

    `pairs` defaults to `learn_cover_pairs(frames)`; `party_risk` (party key -> 0..1) adds the
    parties' network risk. Items already named in an offence are left out unless `include_caught`;
    pairs within one heading (HS4) are skipped unless `same_heading` (classification errors).
    Returns columns key, declaration_id, declared_hs, suspected_hs, score (0..1), reasons (list of
    dicts: feature, llr, detail), sorted by score; only rows with score >= min_score.
    """
    d = frames.declarations
    if pairs is None:
        pairs = learn_cover_pairs(frames, level=level)
    if d.empty or pairs is None or pairs.empty:
        return pd.DataFrame(columns=FLAG_COLUMNS)
    d = d.reset_index(drop=True)
    hs = hs_prefix(d["hs_code"], level)
    luv = log_unit_value(d).to_numpy()
    lmass = np.log(mass_kg(d)).to_numpy()
    route = _route(d)
    countries = (d.get("origin_country", pd.Series(None, index=d.index)).astype("string").fillna("?") + ">"
                 + d.get("dispatch_country", pd.Series(None, index=d.index)).astype("string").fillna("?"))
    o = frames.offences
    caught_keys = set(o["declaration_key"].dropna()) if not o.empty else set()
    caught = d["declaration_key"].isin(caught_keys) | d["key"].isin(caught_keys)
    # offenders per pair, and all offenders (any offence) for the parties' evidence
    o_pairs = o.assign(dh=hs_prefix(o["declared_hs_code"], level), ah=hs_prefix(o["actual_hs_code"], level)) \
        if not o.empty else None
    roles = [c for c in ("declarant", "consignee", "consignor", "broker", "carrier") if c in d]
    risk = party_risk if party_risk is not None else pd.Series(dtype=float)

    best_score = np.full(len(d), -np.inf)
    best_hs = np.array([None] * len(d), dtype=object)
    best_reasons: list = [None] * len(d)
    for pr in pairs.itertuples(index=False):
        D, A = pr.declared_hs, pr.actual_hs
        if D[:4] == A[:4] and not same_heading:
            # a dispute between two subheadings of one heading is a classification error, not a
            # cover: covers hide goods under an unrelated, cheaper heading
            continue
        cand = (hs == D).to_numpy() & (include_caught | ~caught.to_numpy())
        if not cand.any():
            continue
        cover_rows = _caught_items(d, hs, luv, D, pr.declaration_keys, caught)
        open_rows = (hs == A)
        genuine = (hs == D) & ~caught & ~cover_rows
        ref_mask = (cover_rows | open_rows).to_numpy()
        ref_w = np.where(cover_rows.to_numpy(), 1.0, OPEN_WEIGHT)[ref_mask]
        g_mask = genuine.to_numpy()
        if g_mask.sum() < 3 or ref_mask.sum() == 0:
            continue
        ci = np.flatnonzero(cand)
        llr: dict[str, np.ndarray] = {}
        details: dict[str, list[str]] = {}
        # continuous evidence: value/kg and mass. Genuine profile excludes the candidate itself only
        # through the median's robustness (one row cannot move a median of >= 3 rows much).
        for name, x in (("unit_value", luv), ("mass", lmass)):
            a = _robust(x[ref_mask], ref_w)
            b = _robust(x[g_mask])
            llr[name] = _normal_llr(x[ci], a, b)
            if name == "unit_value" and not (np.isnan(a[0]) or np.isnan(b[0])):
                # only a price on the risk goods' side of the genuine price is evidence of cover; an
                # item far on the other side (undervalued) is not made likelier by a wide cover profile
                wrong_side = np.sign(x[ci] - b[0]) != np.sign(a[0] - b[0])
                llr[name] = np.where(wrong_side, np.minimum(llr[name], 0.0), llr[name])
            unit = "/kg" if name == "unit_value" else " kg"
            details[name] = [
                f"{np.exp(v):.2f}{unit} vs cover {np.exp(a[0]):.2f}, genuine {np.exp(b[0]):.2f}"
                if not np.isnan(v) and not np.isnan(a[0]) and not np.isnan(b[0]) else "missing"
                for v in x[ci]]
        ref_idx = np.flatnonzero(ref_mask)
        for name, col in (("consignor", d.get("consignor")), ("countries", countries), ("route", route)):
            if col is None or col.isna().all():
                continue
            vals = col.iloc[ci]
            # the route key repeats the countries: half weight, so one fact is not counted twice
            llr[name] = _cat_llr(vals, col.iloc[ref_idx], ref_w, col[g_mask]) * (0.5 if name == "route" else 1.0)
            details[name] = [f"{v}" for v in vals]
        # parties: committed this cover before (strong), other offences, network risk
        party_llr = np.zeros(len(ci))
        party_detail = [""] * len(ci)
        if o_pairs is not None and roles:
            pair_off = set(o_pairs.loc[(o_pairs["dh"] == D) & (o_pairs["ah"] == A), "party"].dropna())
            any_off = set(o_pairs["party"].dropna())
            for j, i in enumerate(ci):
                ps = [d.at[i, r] for r in roles if isinstance(d.at[i, r], str)]
                same = [p for p in ps if p in pair_off]
                other = [p for p in ps if p in any_off and p not in pair_off]
                nr = max((float(risk.get(p, 0.0)) for p in ps), default=0.0) if len(risk) else 0.0
                v = 2.0 * bool(same) + 0.7 * bool(other) + 2.0 * nr
                party_llr[j] = min(v, LLR_CAP)
                bits = []
                if same:
                    bits.append(f"{', '.join(same)} committed {D}->{A} before")
                if other:
                    bits.append(f"{', '.join(other)} has other offences")
                if nr > 0:
                    bits.append(f"network risk {nr:.2f}")
                party_detail[j] = "; ".join(bits)
        llr["parties"] = party_llr
        details["parties"] = party_detail
        # prior: the pair's caught rate among the code's declarations, as odds (at least 1 %)
        n_d = int((hs == D).sum())
        prior = min(max((pr.count + 1) / (n_d + 2), 0.01), 0.5)
        total = np.log(prior / (1 - prior)) + _combine_evidence(llr)
        better = total > best_score[ci]
        for j in np.flatnonzero(better):
            i = ci[j]
            best_score[i] = total[j]
            best_hs[i] = A
            rs = [{"feature": "cover_pair", "llr": round(float(np.log(prior / (1 - prior))), 3),
                   "detail": f"{D} declared where {A} was found in {pr.count} offences "
                             f"({pr.parties} offenders, evaded {pr.evaded:.0f})"}]
            for f, arr in llr.items():
                if abs(arr[j]) >= 0.05:
                    rs.append({"feature": f, "llr": round(float(arr[j]), 3), "detail": details[f][j]})
            rs[1:] = sorted(rs[1:], key=lambda r: -r["llr"])
            best_reasons[i] = rs
    hit = np.isfinite(best_score)
    score = 1.0 / (1.0 + np.exp(-np.where(hit, best_score, -50)))
    keep = hit & (score >= min_score)
    out = pd.DataFrame({
        "key": d.loc[keep, "key"].values,
        "declaration_id": d.loc[keep, "declaration_id"].values,
        "declared_hs": hs[keep].values,
        "suspected_hs": best_hs[keep],
        "score": np.round(score[keep], 4),
        "reasons": [best_reasons[i] for i in np.flatnonzero(keep)],
    }, columns=FLAG_COLUMNS)
    return out.sort_values(["score", "key"], ascending=[False, True], kind="stable").reset_index(drop=True)


def cover_profiles(frames, *, level: int = 6, as_of=None) -> list[dict]:
    """Per cover pair, the small summary that scores one posted item without the whole history:
    value/kg profiles (cover and genuine), the pair's prior, and the parties who committed it.
    Used by `graph.assessment.Assessor` (per request) through `cover_score_one`."""
    d = frames.declarations
    pairs = learn_cover_pairs(frames, level=level, as_of=as_of)
    if d.empty or pairs.empty:
        return []
    if as_of is not None:
        d = d[pd.to_datetime(d["date"]) < pd.Timestamp(as_of)]
    d = d.reset_index(drop=True)
    hs = hs_prefix(d["hs_code"], level)
    luv = log_unit_value(d).to_numpy()
    o = frames.offences
    caught = d["declaration_key"].isin(set(o["declaration_key"].dropna())) if not o.empty else \
        pd.Series(False, index=d.index)
    oh = o.assign(dh=hs_prefix(o["declared_hs_code"], level), ah=hs_prefix(o["actual_hs_code"], level))
    out = []
    for pr in pairs.itertuples(index=False):
        D, A = pr.declared_hs, pr.actual_hs
        if D[:4] == A[:4]:
            continue
        cover_rows = _caught_items(d, hs, luv, D, pr.declaration_keys, caught)
        ref = (cover_rows | (hs == A)).to_numpy()
        w = np.where(cover_rows.to_numpy(), 1.0, OPEN_WEIGHT)[ref]
        gen = ((hs == D) & ~caught & ~cover_rows).to_numpy()
        if gen.sum() < 3 or ref.sum() == 0:
            continue
        n_d = int((hs == D).sum())
        out.append({"declared_hs": D, "actual_hs": A, "count": int(pr.count),
                    "prior": min(max((pr.count + 1) / (n_d + 2), 0.01), 0.5),
                    "cover_uv": _robust(luv[ref], w), "genuine_uv": _robust(luv[gen]),
                    "offenders": sorted(set(oh.loc[(oh["dh"] == D) & (oh["ah"] == A), "party"].dropna()))})
    return out


def cover_score_one(hs_code, customs_value, mass, parties: list[str], profiles: list[dict]) -> dict | None:
    """Cover evidence for one item from `cover_profiles`: value/kg (only on the risk goods' side)
    and whether a party on the item committed this cover before. None when the code is no cover."""
    digits = "".join(ch for ch in str(hs_code or "") if ch.isdigit())[:6]
    best = None
    for p in profiles:
        if p["declared_hs"] != digits:
            continue
        try:
            x = float(np.log(float(customs_value) / float(mass)))
        except (TypeError, ValueError, ZeroDivisionError):
            x = float("nan")
        a, b = p["cover_uv"], p["genuine_uv"]
        uv = float(_normal_llr(np.array([x]), a, b)[0]) if not np.isnan(x) else 0.0
        if not np.isnan(x) and np.sign(x - b[0]) != np.sign(a[0] - b[0]):
            uv = min(uv, 0.0)
        same = [q for q in parties if q in set(p["offenders"])]
        total = np.log(p["prior"] / (1 - p["prior"])) + _combine_evidence(
            {"unit_value": np.array([uv]), "parties": np.array([2.0 if same else 0.0])})[0]
        score = float(1 / (1 + np.exp(-total)))
        if best is None or score > best["score"]:
            detail = (f"{np.exp(x):.2f}/kg vs cover {np.exp(a[0]):.2f}, genuine {np.exp(b[0]):.2f}"
                      if not np.isnan(x) else "value/kg missing")
            best = {"score": round(score, 4), "suspected_hs": p["actual_hs"],
                    "detail": f"{digits} is a known cover for {p['actual_hs']} ({p['count']} offences); {detail}"
                              + (f"; {', '.join(same)} committed it before" if same else "")}
    return best
