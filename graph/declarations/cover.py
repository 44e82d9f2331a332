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

Length: a little over 400 lines because the batch flags and the one-item score share their
evidence functions here on purpose, so a posted item cannot drift from the batch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from graph.declarations.goods import hs_prefix, log_unit_value, mass_kg
from graph.domain.types import HSCode
from graph.domain.vocabulary import PARTY_ROLE_NAMES
from graph.engine.stats import median_scale

#: each log-likelihood ratio is bounded so that no single piece of evidence decides alone
LLR_CAP = 3.0
#: weight of the goods declared openly under the risk code, relative to a caught cover row
OPEN_WEIGHT = 0.25
#: Laplace pseudo-count for categorical evidence (supplier, countries, route)
ALPHA = 1.0
#: floor of a profile's robust scale (log value/kg): wider than a code's norm (goods.MIN_SCALE) since a
#: cover profile rests on tens of caught items, and a tight scale would make its likelihood overconfident
PROFILE_MIN_SCALE = 0.25

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
    return out.sort_values(["count", "evaded"], ascending=False,
                           kind="stable").reset_index(drop=True)[PAIR_COLUMNS]


def _robust(x: np.ndarray, w: np.ndarray | None = None) -> tuple[float, float]:
    """Weighted median and robust scale of a profile, floored at PROFILE_MIN_SCALE."""
    return median_scale(x, w, floor=PROFILE_MIN_SCALE)


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


def _uv_llr(x: np.ndarray, a: tuple[float, float], b: tuple[float, float]) -> np.ndarray:
    """The value/kg evidence: `_normal_llr`, but only a price on the risk goods' side of the genuine
    price is evidence of cover; an item far on the other side (undervalued) is not made likelier by a
    wide cover profile. Batch flags and the one posted item (`cover_score_one`) both use it."""
    llr = _normal_llr(x, a, b)
    if np.isnan(a[0]) or np.isnan(b[0]):
        return llr
    wrong_side = np.sign(x - b[0]) != np.sign(a[0] - b[0])
    return np.where(wrong_side, np.minimum(llr, 0.0), llr)


def _pair_prior(count: int, n_declared: int) -> float:
    """A pair's prior: its caught rate among the declared code's items (Laplace), within 1 %..50 %."""
    return min(max((count + 1) / (n_declared + 2), 0.01), 0.5)


def _caught_items(declaration_keys: np.ndarray, keys: np.ndarray, luv: np.ndarray, on_d: np.ndarray,
                  caught: np.ndarray, named: list[str]) -> np.ndarray:
    """Positions of the items of caught declarations that carried the cover: offences name a
    declaration, whose other items under the same code may be genuine. Per declaration the item under
    D (`on_d`: positions of D's items) whose value per kg is furthest from D's usual price (median
    of the uncaught items) is taken."""
    ref = luv[on_d[~caught[on_d]]]
    med = np.nanmedian(ref) if np.isfinite(ref).any() else np.nan
    named_set = set(named)
    hit = np.fromiter(((a in named_set) or (b in named_set)
                       for a, b in zip(declaration_keys[on_d], keys[on_d], strict=True)),
                      bool, len(on_d))
    m = on_d[hit]
    if not len(m):
        return m
    dev = pd.Series(np.abs(luv[m] - med), index=m).fillna(-1.0)
    return np.sort(dev.groupby(declaration_keys[m]).idxmax().to_numpy())


def _positions_by_code(hs: pd.Series) -> dict:
    """Code -> positions of its items: each pair then touches only the items under its two codes."""
    return pd.Series(np.arange(len(hs))).groupby(hs.to_numpy(dtype=object), dropna=True).indices


def _pair_samples(declaration_keys: np.ndarray, keys: np.ndarray, luv: np.ndarray, on_d: np.ndarray,
                  on_a: np.ndarray, caught: np.ndarray, named: list[str]):
    """A pair's samples, the same for flagging items and for the per-request profiles: the risk
    goods' reference (the caught cover items, weight 1, and the open items declared under the actual
    code, weight OPEN_WEIGHT) and the genuine items under the declared code (not caught). Returns
    (reference positions, their weights, genuine positions), or None when there are too few to
    compare (fewer than 3 genuine items or no reference)."""
    cover_idx = _caught_items(declaration_keys, keys, luv, on_d, caught, named)
    ref = np.concatenate([cover_idx, on_a])  # D != A: disjoint
    w = np.concatenate([np.ones(len(cover_idx)), np.full(len(on_a), OPEN_WEIGHT)])
    gen = on_d[~caught[on_d]]
    if len(gen) < 3 or len(ref) == 0:
        return None
    return ref, w, gen


def _pair_offenders(o: pd.DataFrame, level: int) -> dict[tuple[str, str], set[str]]:
    """(declared code, actual code) -> the parties who committed that cover."""
    if o.empty:
        return {}
    op = pd.DataFrame({"dh": hs_prefix(o["declared_hs_code"], level),
                       "ah": hs_prefix(o["actual_hs_code"], level),
                       "party": o["party"]}).dropna()
    return {k: set(g) for k, g in op.groupby(["dh", "ah"])["party"]}


def _route(d: pd.DataFrame) -> pd.Series:
    if "route" in d and d["route"].notna().any():
        return d["route"]
    parts = [d.get(c, pd.Series(None, index=d.index)).astype("string").fillna("")
             for c in ("origin_country", "dispatch_country", "transit_countries", "border_post",
                       "transport_mode")]
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
    by_hs = _positions_by_code(hs)
    none = np.zeros(0, dtype=np.int64)
    luv = log_unit_value(d).to_numpy()
    lmass = np.log(mass_kg(d)).to_numpy()
    route = _route(d)
    countries = (d.get("origin_country", pd.Series(None, index=d.index)).astype("string").fillna("?") + ">"
                 + d.get("dispatch_country", pd.Series(None, index=d.index)).astype("string").fillna("?"))
    decl_keys = d["declaration_key"].to_numpy(dtype=object)
    item_keys = d["key"].to_numpy(dtype=object)
    o = frames.offences
    caught_keys = set(o["declaration_key"].dropna()) if not o.empty else set()
    caught = (d["declaration_key"].isin(caught_keys) | d["key"].isin(caught_keys)).to_numpy()
    # offenders per pair, and all offenders (any offence) for the parties' evidence
    pair_offenders = _pair_offenders(o, level)
    any_off = set(o["party"].dropna()) if not o.empty else set()
    roles = [c for c in PARTY_ROLE_NAMES if c in d]
    role_values = {r: d[r].to_numpy(dtype=object) for r in roles}
    role_risk = {r: (d[r].map(party_risk).astype(float).fillna(0.0).to_numpy() if party_risk is not None
                     and len(party_risk) else np.zeros(len(d))) for r in roles}
    # the reasons are written only where a row can end up flagged (the score of a flag is >= min_score)
    min_total = (-np.inf if min_score <= 0
                 else float(np.log(min_score / (1 - min_score))) if min_score < 1 else np.inf)

    best_score = np.full(len(d), -np.inf)
    best_hs = np.array([None] * len(d), dtype=object)
    best_reasons: list = [None] * len(d)
    for pr in pairs.itertuples(index=False):
        D, A = pr.declared_hs, pr.actual_hs
        if D[:4] == A[:4] and not same_heading:
            # a dispute between two subheadings of one heading is a classification error, not a
            # cover: covers hide goods under an unrelated, cheaper heading
            continue
        on_d = by_hs.get(D, none)
        ci = on_d if include_caught else on_d[~caught[on_d]]
        if not len(ci):
            continue
        samples = _pair_samples(decl_keys, item_keys, luv, on_d, by_hs.get(A, none), caught,
                                pr.declaration_keys)
        if samples is None:
            continue
        ref_idx, ref_w, g_idx = samples
        llr: dict[str, np.ndarray] = {}
        profiles: dict[str, tuple] = {}
        # continuous evidence: value/kg and mass. Genuine profile excludes the candidate itself only
        # through the median's robustness (one row cannot move a median of >= 3 rows much).
        for name, x in (("unit_value", luv), ("mass", lmass)):
            a = _robust(x[ref_idx], ref_w)
            b = _robust(x[g_idx])
            llr[name] = _uv_llr(x[ci], a, b) if name == "unit_value" else _normal_llr(x[ci], a, b)
            profiles[name] = (x, a, b)
        cats: dict[str, pd.Series] = {}
        for name, col in (("consignor", d.get("consignor")), ("countries", countries), ("route", route)):
            if col is None or col.isna().all():
                continue
            vals = col.iloc[ci]
            # the route key repeats the countries: half weight, so one fact is not counted twice
            llr[name] = _cat_llr(vals, col.iloc[ref_idx], ref_w,
                                 col.iloc[g_idx]) * (0.5 if name == "route" else 1.0)
            cats[name] = col
        # parties: committed this cover before (strong), other offences, network risk
        pair_off = pair_offenders.get((D, A), set())
        same = np.zeros(len(ci), bool)
        other = np.zeros(len(ci), bool)
        nr = np.zeros(len(ci))
        for r in roles:
            v = pd.Series(role_values[r][ci])
            in_pair = v.isin(pair_off).to_numpy()
            same |= in_pair
            other |= v.isin(any_off).to_numpy() & ~in_pair
            nr = np.maximum(nr, role_risk[r][ci])
        llr["parties"] = np.minimum(2.0 * same + 0.7 * other + 2.0 * nr,
                                    LLR_CAP) if roles else np.zeros(len(ci))
        # prior: the pair's caught rate among the code's declarations, as odds (at least 1 %)
        prior = _pair_prior(pr.count, len(on_d))
        logit_prior = float(np.log(prior / (1 - prior)))
        total = logit_prior + _combine_evidence(llr)
        better = total > best_score[ci]
        best_score[ci[better]] = total[better]
        best_hs[ci[better]] = A
        for j in np.flatnonzero(better & (total >= min_total)):
            i = ci[j]
            rs: list[dict[str, Any]] = [{"feature": "cover_pair", "llr": round(logit_prior, 3),
                   "detail": f"{D} declared where {A} was found in {pr.count} offences "
                             f"({pr.parties} offenders, evaded {pr.evaded:.0f})"}]
            for f, arr in llr.items():
                if abs(arr[j]) >= 0.05:
                    rs.append({"feature": f, "llr": round(float(arr[j]), 3),
                               "detail": _detail(f, i, profiles, cats, role_values, role_risk, pair_off,
                                                 any_off, D, A)})
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


def _detail(feature: str, i: int, profiles: dict, cats: dict, role_values: dict, role_risk: dict,
            pair_off: set, any_off: set, D: str, A: str) -> str:
    """The readable detail of one piece of evidence for item position `i` (built for flags only)."""
    if feature in profiles:
        x, a, b = profiles[feature]
        v = x[i]
        unit = "/kg" if feature == "unit_value" else " kg"
        if np.isnan(v) or np.isnan(a[0]) or np.isnan(b[0]):
            return "missing"
        return f"{np.exp(v):.2f}{unit} vs cover {np.exp(a[0]):.2f}, genuine {np.exp(b[0]):.2f}"
    if feature in cats:
        return f"{cats[feature].iloc[i]}"
    ps = list(dict.fromkeys(role_values[r][i] for r in role_values if isinstance(role_values[r][i], str)))
    same = [p for p in ps if p in pair_off]
    other = [p for p in ps if p in any_off and p not in pair_off]
    nr = max((float(role_risk[r][i]) for r in role_risk), default=0.0)
    bits = []
    if same:
        bits.append(f"{', '.join(same)} committed {D}->{A} before")
    if other:
        bits.append(f"{', '.join(other)} has other offences")
    if nr > 0:
        bits.append(f"network risk {nr:.2f}")
    return "; ".join(bits)


def cover_profiles(frames, *, level: int = 6, as_of=None) -> list[dict]:
    """Per cover pair, the small summary that scores one posted item without the whole history:
    value/kg profiles (cover and genuine), the pair's prior, and the parties who committed it.
    Used by `graph.declarations.assessment.Assessor` (per request) through `cover_score_one`."""
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
    caught = (d["declaration_key"].isin(set(o["declaration_key"].dropna())) if not o.empty else
              pd.Series(False, index=d.index)).to_numpy()
    by_hs = _positions_by_code(hs)
    none = np.zeros(0, dtype=np.int64)
    decl_keys, item_keys = d["declaration_key"].to_numpy(dtype=object), d["key"].to_numpy(dtype=object)
    pair_offenders = _pair_offenders(o, level)
    out = []
    for pr in pairs.itertuples(index=False):
        D, A = pr.declared_hs, pr.actual_hs
        if D[:4] == A[:4]:
            continue
        on_d = by_hs.get(D, none)
        samples = _pair_samples(decl_keys, item_keys, luv, on_d, by_hs.get(A, none), caught,
                                pr.declaration_keys)
        if samples is None:
            continue
        ref, w, gen = samples
        out.append({"declared_hs": D, "actual_hs": A, "count": int(pr.count),
                    "prior": _pair_prior(pr.count, len(on_d)),
                    "cover_uv": _robust(luv[ref], w), "genuine_uv": _robust(luv[gen]),
                    "offenders": sorted(pair_offenders.get((D, A), set()))})
    return out


def cover_score_one(hs_code, customs_value, mass, parties: list[str], profiles: list[dict]) -> dict | None:
    """Cover evidence for one item from `cover_profiles`: value/kg (only on the risk goods' side)
    and whether a party on the item committed this cover before. None when the code is no cover."""
    digits = HSCode.prefix(hs_code, 6)
    best = None
    for p in profiles:
        if p["declared_hs"] != digits:
            continue
        try:
            x = float(np.log(float(customs_value) / float(mass)))
        except (TypeError, ValueError, ZeroDivisionError):
            x = float("nan")
        a, b = p["cover_uv"], p["genuine_uv"]
        uv = float(_uv_llr(np.array([x]), a, b)[0]) if not np.isnan(x) else 0.0
        same = [q for q in parties if q in set(p["offenders"])]
        total = np.log(p["prior"] / (1 - p["prior"])) + _combine_evidence(
            {"unit_value": np.array([uv]), "parties": np.array([2.0 if same else 0.0])})[0]
        score = float(1 / (1 + np.exp(-total)))
        if best is None or score > best["score"]:
            detail = (f"{np.exp(x):.2f}/kg vs cover {np.exp(a[0]):.2f}, genuine {np.exp(b[0]):.2f}"
                      if not np.isnan(x) else "value/kg missing")
            best = {"score": round(score, 4), "suspected_hs": p["actual_hs"],
                    "detail": f"{digits} is a known cover for "
                              f"{p['actual_hs']} ({p['count']} offences); {detail}"
                              + (f"; {', '.join(same)} committed it before" if same else "")}
    return best
