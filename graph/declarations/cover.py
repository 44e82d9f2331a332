"""Cover items: declared codes that hide other goods.

From offences where the goods found (`actual_hs_code`) differ from the code declared, we learn
which codes serve as cover for which risk goods (`learn_cover_pairs`). Then every not-yet-caught
declaration under a cover code is compared with two profiles (`flag_cover_items`):

- the *risk goods' profile* of the pair (D declared, A found): the caught cover items, the goods A
  declared openly (their value per kg and mass) and the valuation of the found goods (evaded duty
  over the duty gap); it is the pair's and the goods' profile, shared by every trader;
- the *genuine profile* of D: the other declarations under D.

The score is a naive-Bayes posterior: the pair's base rate as prior plus one bounded log-likelihood
ratio per piece of evidence (value/kg, mass, and the trader's profile: supplier, origin, dispatch,
route, the parties' past offences and network risk). The trader's profile only adds: one caught
supplier or route must not be the gate for other traders using the same pair (issue 12). Naive Bayes
because the caught sets are small (tens of rows): a discriminative model would overfit them, and each
term is a readable reason for the investigator.

*Candidate covers*: an item priced far above its declared code D and like a higher-duty code C of
another heading (best one its own trader or supplier declares) is proposed with kind "candidate",
a lower prior and a capped score, although no offence taught (D, C) yet; a trader declaring D far
above its usual price again and again adds evidence (`repeated`: a habit, not a one-off outlier).

The formulas live in `graph.declarations.cover_evidence`, shared with the one posted item
(`cover_profiles` + `cover_score_one`). Codes are compared at HS6 (the international subheading).

Length: over 500 lines because the taught pairs, the candidates and the posted item's summary share
one reading of the declarations (`_Items`: codes, prices net of the trader's level, caught items)
and one way of writing reasons; split, the three would each rebuild it and could drift apart.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np
import pandas as pd

from graph.declarations import cover_evidence as ev
from graph.declarations.goods import hs_prefix, log_unit_value, mass_kg
from graph.domain.reasons import Evidence
from graph.domain.types import HSCode
from graph.domain.vocabulary import PARTY_ROLE_NAMES
from graph.engine.stats import role_codes

#: each categorical log-likelihood ratio is bounded so that no single piece of evidence decides alone
LLR_CAP = 3.0
#: weight of the goods declared openly under the risk code, relative to a caught cover row
OPEN_WEIGHT = 0.25
#: weight of the found goods' valuation (evaded duty / duty gap), relative to a caught cover row
FOUND_WEIGHT = 0.5
#: Laplace pseudo-count for categorical evidence (supplier, countries, route)
ALPHA = 1.0

PAIR_COLUMNS = ["declared_hs", "actual_hs", "count", "parties", "evaded", "first", "last", "declaration_keys"]
FLAG_COLUMNS = ["key", "declaration_id", "declared_hs", "suspected_hs", "score", "kind", "reasons"]


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


def examined_declarations(offences: pd.DataFrame) -> set:
    """The declarations whose goods an offence examined: it records the goods found
    (`actual_hs_code`). A documentation, origin or valuation offence without a found code says
    nothing about what the goods were, so its declaration's items stay open to the cover screening
    (issue 12: about half the planted covers missed on the tuning worlds sat on such declarations)."""
    if offences.empty or "actual_hs_code" not in offences:
        return set()
    found = offences["actual_hs_code"].astype("string").str.strip().fillna("") != ""
    return set(offences.loc[found.to_numpy(), "declaration_key"].dropna())


def _positions_by_code(hs: pd.Series) -> dict:
    """Code -> positions of its items: each pair then touches only the items under its two codes."""
    return pd.Series(np.arange(len(hs))).groupby(hs.to_numpy(dtype=object), dropna=True).indices


class _Items:
    """The columns of the declarations the cover evidence reads, computed once per frame."""

    def __init__(self, d: pd.DataFrame, offences: pd.DataFrame, level: int):
        self.d = d
        self.hs = hs_prefix(d["hs_code"], level)
        self.by_hs = _positions_by_code(self.hs)
        self.raw_luv = log_unit_value(d).to_numpy()
        self.lmass = np.log(mass_kg(d)).to_numpy()
        self.duty = pd.to_numeric(d.get("duty_rate", pd.Series(np.nan, index=d.index)),
                                  errors="coerce").to_numpy(dtype=float)
        self.decl_keys = d["declaration_key"].to_numpy(dtype=object)
        self.keys = d["key"].to_numpy(dtype=object)
        #: items whose goods an offence examined: left out of the screening and the genuine profiles
        self.caught = (d["declaration_key"].isin(caught_keys := examined_declarations(offences))
                       | d["key"].isin(caught_keys)).to_numpy()
        self.trader = d.get("consignee", pd.Series(None, index=d.index)).fillna(
            d.get("declarant", pd.Series(None, index=d.index)))
        self.levels = ev.trader_levels(self.hs, self.raw_luv, self.trader, ~self.caught)
        #: value/kg net of the trader's own price level: what the evidence compares
        self.luv = self.raw_luv - self.trader.map(self.levels).astype(float).fillna(0.0).to_numpy()

    def on(self, code: str) -> np.ndarray:
        return self.by_hs.get(code, np.zeros(0, dtype=np.int64))


def _found_values(o: pd.DataFrame, it: _Items, cover_idx: np.ndarray, A: str) -> np.ndarray:
    """Log value/kg of the goods found in the caught cover items: evaded duty over the duty gap
    (A's usual rate minus the rate declared), per kg; NaN where the gap or amounts are unknown."""
    if o.empty or not len(cover_idx):
        return np.zeros(0)
    on_a = it.on(A)
    rate_a = np.nanmedian(it.duty[on_a]) if len(on_a) and np.isfinite(it.duty[on_a]).any() else np.nan
    ev_by = pd.to_numeric(o["evaded_amount"], errors="coerce").groupby(o["declaration_key"]).sum()
    evaded = pd.Series(it.decl_keys[cover_idx]).map(ev_by).to_numpy(dtype=float)
    gap = (rate_a - it.duty[cover_idx]) / 100.0
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where((gap > 0) & (evaded > 0), evaded / gap, np.nan)
        return np.log(v) - it.lmass[cover_idx] - (it.raw_luv[cover_idx] - it.luv[cover_idx])


def _pair_samples(it: _Items, o: pd.DataFrame, D: str, A: str, named: list[str]):
    """A pair's samples, the same for flagging items and for the per-request profiles: the risk
    goods' value/kg (caught cover items weight 1, found valuations FOUND_WEIGHT, open items under A
    OPEN_WEIGHT), their mass (caught and open), and the genuine items under D (not caught). None when
    there are too few to compare (fewer than 3 genuine items or no reference)."""
    on_d, on_a = it.on(D), it.on(A)
    cover_idx = _caught_items(it.decl_keys, it.keys, it.luv, on_d, it.caught, named)
    gen = on_d[~it.caught[on_d]]
    if len(gen) < 3 or len(cover_idx) + len(on_a) == 0:
        return None
    found = _found_values(o, it, cover_idx, A)
    caught_x = np.concatenate([it.luv[cover_idx], found])
    caught_w = np.concatenate([np.ones(len(cover_idx)), np.full(len(found), FOUND_WEIGHT)])
    ref = np.concatenate([cover_idx, on_a])  # D != A: disjoint
    ref_w = np.concatenate([np.ones(len(cover_idx)), np.full(len(on_a), OPEN_WEIGHT)])
    return {"ref": ref, "ref_w": ref_w, "gen": gen,
            "uv": (ev.risk_profile(caught_x, caught_w, it.luv[on_a]), ev.profile(it.luv[gen])),
            "mass": (ev.profile(it.lmass[ref], ref_w), ev.profile(it.lmass[gen]))}


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


FEATURES = {
    "cover_pair": "the declared code was found hiding the suspected goods in earlier offences",
    "candidate_cover": "no offence taught this pair yet: priced like a higher-duty code of another heading",
    "unit_value": "value per kg (log) closer to the risk goods (caught covers, open declarations, found "
                  "valuations) than to the genuine goods",
    "mass": "net mass (log) closer to the caught covers / the risk goods than to genuine goods",
    "consignor": "supplier seen in caught covers or selling the risk goods",
    "countries": "origin > dispatch countries typical of the caught covers / the risk goods",
    "route": "route (countries, border post, mode) typical of the caught covers",
    "parties": "declarant, consignee, broker or carrier committed this cover before, or carries network risk",
    "own_code": "the item's trader or supplier declares the suspected code openly",
    "repeated": "the item's trader declares this code again and again at a price far above its usual one",
}


def _reason(feature: str, llr: float, detail: str, evidence: tuple[Evidence, ...] = ()) -> dict[str, Any]:
    """One stored reason (read back as `graph.domain.reasons.Reason` by `graph.pipeline.results`)."""
    return {"feature": feature, "llr": round(float(llr), 3), "detail": detail,
            "evidence": [asdict(e) for e in evidence]}


class _Best:
    """Per item: the best-scoring pair so far (log-odds, suspected code, kind, reasons)."""

    def __init__(self, n: int, min_score: float):
        self.score = np.full(n, -np.inf)
        self.hs = np.array([None] * n, dtype=object)
        self.kind = np.array([None] * n, dtype=object)
        self.reasons: list = [None] * n
        # the reasons are written only where a row can end up flagged (the score of a flag is >= min_score)
        self.min_total = (-np.inf if min_score <= 0
                          else ev.logit(min_score) if min_score < 1 else np.inf)

    def offer(self, ci: np.ndarray, total: np.ndarray, A, kind: str, explain) -> None:
        better = total > self.score[ci]
        self.score[ci[better]] = total[better]
        self.hs[ci[better]] = A[better] if isinstance(A, np.ndarray) else A
        self.kind[ci[better]] = kind
        for j in np.flatnonzero(better & (total >= self.min_total)):
            self.reasons[ci[j]] = explain(j)


class _Parties:
    """The parties' evidence: committed this pair before, other offences, network risk.

    Party keys are factorised once over every role (`codes`, -1 for none), so that the per-pair
    membership tests are array lookups: `isin` on the string columns cost ~10 s at 1M items."""

    def __init__(self, d: pd.DataFrame, o: pd.DataFrame, party_risk: pd.Series | None, level: int,
                 hs: pd.Series):
        self.hs = hs  # the items' codes at `level` (`_Items.hs`), for `own_codes`
        self.pair_offenders = _pair_offenders(o, level)
        self.any_off = set(o["party"].dropna()) if not o.empty else set()
        roles = [c for c in PARTY_ROLE_NAMES if c in d]
        codes, self.keys = role_codes(d, roles)
        self.codes = dict(zip(roles, codes, strict=True))
        self.offended = self._mask(self.any_off)
        known = party_risk is not None and len(party_risk)
        key_risk = (pd.Series(self.keys).map(party_risk).astype(float).fillna(0.0).to_numpy() if known
                    else np.zeros(len(self.keys)))
        key_risk = np.append(key_risk, 0.0)  # code -1 (no party) reads the last slot
        self.risk = {r: key_risk[c] for r, c in self.codes.items()}
        self._owned: tuple | None = None

    def _mask(self, keys: set) -> np.ndarray:
        """A flag per party code (and a last False slot, which code -1 reads)."""
        m = np.zeros(len(self.keys) + 1, bool)
        if keys:
            idx = self.keys.get_indexer(list(keys))
            m[idx[idx >= 0]] = True
        return m

    def terms(self, ci: np.ndarray, pair_off: set) -> np.ndarray:
        same, other, nr = np.zeros(len(ci), bool), np.zeros(len(ci), bool), np.zeros(len(ci))
        in_pair_of = self._mask(pair_off)
        for r, codes in self.codes.items():
            c = codes[ci]
            in_pair = in_pair_of[c]
            same |= in_pair
            other |= self.offended[c] & ~in_pair
            nr = np.maximum(nr, self.risk[r][ci])
        return ev.parties_llr(same, other, nr)

    def own_codes(self, ci: np.ndarray) -> list[set]:
        """Per item in `ci`: the codes its declarant and consignee declare and its consignor sells,
        from the (party, code) pairs of every item, worked out once and sliced per party."""
        if self._owned is None:
            hc, names = pd.factorize(self.hs)
            trade = [r for r in ("declarant", "consignee", "consignor") if r in self.codes]
            pc = np.concatenate([self.codes[r] for r in trade]) if trade else np.zeros(0, np.int64)
            hh = np.tile(hc, len(trade))
            ok = (pc >= 0) & (hh >= 0)
            pairs = np.unique(pc[ok].astype(np.int64) * (len(names) + 1) + hh[ok])
            self._owned = (pairs // (len(names) + 1), pairs % (len(names) + 1),
                           np.asarray(names, dtype=object), trade)
        p_of, h_of, names, trade = self._owned
        out = []
        for i in ci:
            own: set = set()
            for r in trade:
                p = self.codes[r][i]
                if p >= 0:
                    lo, hi = np.searchsorted(p_of, [p, p + 1])
                    own.update(names[h_of[lo:hi]])
            out.append(own)
        return out

    def detail(self, i: int, pair_off: set, D: str, A: str) -> tuple[str, tuple[Evidence, ...]]:
        ps = list(dict.fromkeys(self.keys[c[i]] for c in self.codes.values() if c[i] >= 0))
        same = [p for p in ps if p in pair_off]
        other = [p for p in ps if p in self.any_off and p not in pair_off]
        nr = max((float(r[i]) for r in self.risk.values()), default=0.0)
        bits = [f"{', '.join(same)} committed {D}->{A} before"] if same else []
        bits += [f"{', '.join(other)} has other offences"] if other else []
        bits += [f"network risk {nr:.2f}"] if nr > 0 else []
        return "; ".join(bits), tuple(Evidence("party", p) for p in same + other)


def _score_pair(it: _Items, o: pd.DataFrame, best: _Best, pr, parties: _Parties, cols: dict,
                include_caught: bool) -> None:
    """Offer every uncaught item under a taught pair's declared code its evidence for the pair."""
    D, A = pr.declared_hs, pr.actual_hs
    on_d = it.on(D)
    ci = on_d if include_caught else on_d[~it.caught[on_d]]
    s = _pair_samples(it, o, D, A, pr.declaration_keys) if len(ci) else None
    if s is None:
        return
    llr: dict[str, np.ndarray] = {"unit_value": ev.uv_llr(it.luv[ci], *s["uv"]),
                                  "mass": ev.mass_llr(it.lmass[ci], *s["mass"])}
    cats: dict[str, pd.Series] = {}
    for name in ("consignor", "countries", "route"):
        col = cols[name]
        if col is None or col.isna().all():
            continue
        # the route key repeats the countries: half weight, so one fact is not counted twice
        llr[name] = _cat_llr(col.iloc[ci], col.iloc[s["ref"]], s["ref_w"],
                             col.iloc[s["gen"]]) * (0.5 if name == "route" else 1.0)
        cats[name] = col
    pair_off = parties.pair_offenders.get((D, A), set())
    llr["parties"] = parties.terms(ci, pair_off) if parties.codes else np.zeros(len(ci))
    prior = ev.pair_prior(pr.count, len(on_d))
    total = ev.logit(prior) + ev.combine(llr["unit_value"], llr["mass"],
                                         [llr[k] for k in ("consignor", "countries", "route", "parties")
                                          if k in llr])

    def explain(j: int) -> list[dict[str, Any]]:
        i = ci[j]
        head = _reason("cover_pair", ev.logit(prior),
                       f"{D} declared where {A} was found in {pr.count} offences "
                       f"({pr.parties} offenders, evaded {pr.evaded:.0f})",
                       tuple(Evidence("item", k) for k in pr.declaration_keys[:5]))
        rs = []
        for f, arr in llr.items():
            if abs(arr[j]) < 0.05:
                continue
            evid: tuple[Evidence, ...] = ()
            if f == "unit_value":
                a, b = s["uv"]
                detail = _profile_detail(f, it.luv[i], a, b, it.raw_luv[i] - it.luv[i])
            elif f == "mass":
                detail = _profile_detail(f, it.lmass[i], *s["mass"])
            elif f in cats:
                detail = f"{cats[f].iloc[i]}"
            else:
                detail, evid = parties.detail(i, pair_off, D, A)
            rs.append(_reason(f, arr[j], detail, evid))
        return [head, *sorted(rs, key=lambda r: -r["llr"])]

    best.offer(ci, total, A, "taught", explain)


def flag_cover_items(frames, pairs: pd.DataFrame | None = None, party_risk: pd.Series | None = None, *,
                     level: int = 6, min_score: float = 0.5, include_caught: bool = False,
                     same_heading: bool = False, candidates: bool = True) -> pd.DataFrame:
    """Declaration items whose declared code is a cover (taught, or a `candidate` by price fit) and
    whose evidence fits the risk goods.

    `pairs` defaults to `learn_cover_pairs(frames)`; `party_risk` (party key -> 0..1) adds the
    parties' network risk. Items of a declaration an offence examined (it records the goods found,
    `examined_declarations`) are left out unless `include_caught`;
    pairs within one heading (HS4) are skipped unless `same_heading` (classification errors).
    Returns columns key, declaration_id, declared_hs, suspected_hs, score (0..1), kind (taught or
    candidate), reasons (list of dicts: feature, llr, detail, evidence), sorted by score; only rows
    with score >= min_score.
    """
    d = frames.declarations
    if pairs is None:
        pairs = learn_cover_pairs(frames, level=level)
    if d.empty or ((pairs is None or pairs.empty) and not candidates):
        return pd.DataFrame(columns=FLAG_COLUMNS)
    d = d.reset_index(drop=True)
    o = frames.offences
    it = _Items(d, o, level)
    parties = _Parties(d, o, party_risk, level, it.hs)
    cols = {"consignor": d.get("consignor"), "route": _route(d),
            "countries": (d.get("origin_country", pd.Series(None, index=d.index)).astype("string").fillna("?")
                          + ">" + d.get("dispatch_country", pd.Series(None, index=d.index))
                          .astype("string").fillna("?"))}
    best = _Best(len(d), min_score)
    for pr in (pairs.itertuples(index=False) if pairs is not None else ()):
        if pr.declared_hs[:4] == pr.actual_hs[:4] and not same_heading:
            # a dispute between two subheadings of one heading is a classification error, not a
            # cover: covers hide goods under an unrelated, cheaper heading
            continue
        _score_pair(it, o, best, pr, parties, cols, include_caught)
    if candidates:
        taught = frozenset(zip(pairs["declared_hs"], pairs["actual_hs"], strict=True)) \
            if pairs is not None and len(pairs) else frozenset()
        _candidates(it, best, parties, include_caught, taught)
    score = 1.0 / (1.0 + np.exp(-np.where(np.isfinite(best.score), best.score, -50)))
    keep = np.isfinite(best.score) & (score >= min_score)
    out = pd.DataFrame({
        "key": d.loc[keep, "key"].values,
        "declaration_id": d.loc[keep, "declaration_id"].values,
        "declared_hs": it.hs[keep].values,
        "suspected_hs": best.hs[keep],
        "score": np.round(score[keep], 4),
        "kind": best.kind[keep],
        "reasons": [best.reasons[i] for i in np.flatnonzero(keep)],
    }, columns=FLAG_COLUMNS)
    return out.sort_values(["score", "key"], ascending=[False, True], kind="stable").reset_index(drop=True)


def _candidates(it: _Items, best: _Best, parties: _Parties, include_caught: bool, taught: frozenset) -> None:
    """Candidate covers: items priced at least CANDIDATE_MIN_Z robust scales above their declared
    code and like a higher-duty code of another heading (`cover_evidence.best_candidate`)."""
    codes = ev.code_profiles(it.hs, it.luv, it.duty, ~it.caught)
    for D in codes.index:
        on_d = it.on(D)
        ci = on_d if include_caught else on_d[~it.caught[on_d]]
        z = ev.robust_z(it.luv[ci], float(codes.at[D, "m"]), float(codes.at[D, "s"]))
        ci = ci[np.nan_to_num(z, nan=-np.inf) >= ev.CANDIDATE_MIN_Z]
        if not len(ci):
            continue
        own = parties.own_codes(ci)
        found = ev.best_candidate(it.luv[ci], D, codes, own, taught)
        if found is None:
            continue
        C, uv, mine, cand = found
        net = parties.terms(ci, set())
        n_rep = _repeats(it, ci)
        rep = ev.repeat_llr(n_rep)
        total = ev.candidate_logit(uv, [ev.CANDIDATE_OWN_CODE * mine, net, rep])

        def explain(j: int, D=D, C=C, uv=uv, mine=mine, net=net, ci=ci, cand=cand, rep=rep,
                    n_rep=n_rep) -> list[dict]:
            c, dd = cand.loc[C[j]], codes.loc[D]
            duty = (f", duty {dd['duty']:g} % vs {c['duty']:g} %" if np.isfinite(dd["duty"])
                    and np.isfinite(c["duty"]) else "")
            rs = [_reason("candidate_cover", ev.logit(ev.CANDIDATE_PRIOR),
                          f"candidate: {D} priced like {C[j]} (no offence taught {D}->{C[j]} yet{duty})",
                          (Evidence("hs_code", str(C[j]), f"{int(c['n'])} items, usual "
                                    f"{np.exp(c['m']):.2f}/kg"),)),
                  _reason("unit_value", uv[j], _profile_detail("unit_value", it.luv[ci[j]],
                                                               (c["m"], c["s"]), (dd["m"], dd["s"]),
                                                               it.raw_luv[ci[j]] - it.luv[ci[j]]))]
            if mine[j]:
                rs.append(_reason("own_code", ev.CANDIDATE_OWN_CODE,
                                  f"the item's trader or supplier declares {C[j]} openly"))
            if net[j] >= 0.05:
                rs.append(_reason("parties", net[j], "a party on the item has offences or network risk"))
            if rep[j] >= 0.05:
                rs.append(_reason("repeated", rep[j], f"its trader declared {int(n_rep[j])} items under {D} "
                                  "priced far above its usual price",
                                  (Evidence("party", str(it.trader.iat[ci[j]])),)))
            return rs

        best.offer(ci, total, C, "candidate", explain)


def _repeats(it: _Items, ci: np.ndarray) -> np.ndarray:
    """Per item of `ci` (items under one code priced far above its usual price): how many of them its
    trader declared (itself included); 1 where the trader is unknown."""
    t = it.trader.iloc[ci].astype(object)
    n = t.map(t.value_counts()).astype(float).fillna(1.0)
    return n.to_numpy()


def _profile_detail(feature: str, x: float, a: tuple, b: tuple, level: float = 0.0) -> str:
    """The item's value against the two profiles; value/kg net of the trader's own price level."""
    unit = "/kg" if feature == "unit_value" else " kg"
    if np.isnan(x) or np.isnan(a[0]) or np.isnan(b[0]):
        return "missing"
    note = f" (net of the trader's own price level x{np.exp(level):.2f})" if abs(level) >= 0.01 else ""
    return f"{np.exp(x):.2f}{unit}{note} vs risk goods {np.exp(a[0]):.2f}, genuine {np.exp(b[0]):.2f}"


def cover_profiles(frames, *, level: int = 6, as_of=None) -> list[dict]:
    """The small summary that scores one posted item without the whole history: per taught pair its
    value/kg and mass profiles (risk goods and genuine), prior and offenders; then one entry per
    code (kind "code": price profile and duty rate) for candidate covers. Used by
    `graph.declarations.assessment.Assessor` (per request) through `cover_score_one`."""
    d = frames.declarations
    if d.empty:
        return []
    pairs = learn_cover_pairs(frames, level=level, as_of=as_of)
    if as_of is not None:
        d = d[pd.to_datetime(d["date"]) < pd.Timestamp(as_of)]
    d = d.reset_index(drop=True)
    o = frames.offences
    it = _Items(d, o, level)
    pair_offenders = _pair_offenders(o, level)
    out: list[dict] = []
    for pr in pairs.itertuples(index=False):
        D, A = pr.declared_hs, pr.actual_hs
        if D[:4] == A[:4]:
            continue
        s = _pair_samples(it, o, D, A, pr.declaration_keys)
        if s is None:
            continue
        out.append({"kind": "taught", "declared_hs": D, "actual_hs": A, "count": int(pr.count),
                    "prior": ev.pair_prior(pr.count, len(it.on(D))),
                    "cover_uv": s["uv"][0], "genuine_uv": s["uv"][1],
                    "cover_mass": s["mass"][0], "genuine_mass": s["mass"][1],
                    "offenders": sorted(pair_offenders.get((D, A), set()))})
    codes = ev.code_profiles(it.hs, it.luv, it.duty, ~it.caught)
    out += [{"kind": "code", "hs": str(c), "n": int(r.n), "m": float(r.m), "s": float(r.s),
             "duty": float(r.duty)} for c, r in codes.iterrows()]
    out.append({"kind": "levels", "levels": {str(k): round(float(v), 4) for k, v in it.levels.items()
                                             if abs(v) >= 0.01}})
    return out


def cover_score_one(hs_code, customs_value, mass, parties: list[str], profiles: list[dict], *,
                    trader: str | None = None) -> dict | None:
    """Cover evidence for one item from `cover_profiles`, by the batch's formulas: value/kg (net of
    the `trader`'s own price level, the consignee or else the declarant) and mass against each taught
    pair of its code, whether a party on the item committed that cover before, else a candidate
    cover by price fit. None when the code is no cover and no candidate."""
    digits = HSCode.prefix(hs_code, 6)
    levels: dict[str, float] = next((p["levels"] for p in profiles if p.get("kind") == "levels"), {})
    try:
        level = float(levels.get(trader, 0.0)) if trader else 0.0
        x = float(np.log(float(customs_value) / float(mass))) - level
        lm = float(np.log(float(mass)))
    except (TypeError, ValueError, ZeroDivisionError):
        x, lm = float("nan"), float("nan")
    xs, ms = np.array([x]), np.array([lm])
    best = None
    for p in profiles:
        if p.get("kind", "taught") != "taught" or p["declared_hs"] != digits:
            continue
        a, b = p["cover_uv"], p["genuine_uv"]
        uv = ev.uv_llr(xs, a, b)
        mass_e = ev.mass_llr(ms, p["cover_mass"], p["genuine_mass"]) if "cover_mass" in p else 0.0
        same = [q for q in parties if q in set(p["offenders"])]
        prof = ev.parties_llr(np.array([bool(same)]), np.array([False]), np.array([0.0]))
        total = ev.logit(p["prior"]) + ev.combine(uv, mass_e, [prof])[0]
        score = float(1 / (1 + np.exp(-total)))
        if best is None or score > best["score"]:
            detail = (f"{np.exp(x):.2f}/kg vs risk goods {np.exp(a[0]):.2f}, genuine {np.exp(b[0]):.2f}"
                      if not np.isnan(x) else "value/kg missing")
            best = {"score": round(score, 4), "suspected_hs": p["actual_hs"], "kind": "taught",
                    "detail": f"{digits} is a known cover for "
                              f"{p['actual_hs']} ({p['count']} offences); {detail}"
                              + (f"; {', '.join(same)} committed it before" if same else "")}
    if best is None and not np.isnan(x):
        taught = frozenset((p["declared_hs"], p["actual_hs"]) for p in profiles if p.get("kind") == "taught")
        best = _candidate_one(digits, x, profiles, taught)
    return best


def _candidate_one(digits: str | None, x: float, profiles: list[dict], taught: frozenset) -> dict | None:
    """A candidate cover for one item (no taught pair for its code): the batch's `_candidates` rule."""
    own = next((p for p in profiles if p.get("kind") == "code" and p["hs"] == digits), None)
    if digits is None or own is None \
            or ev.robust_z(np.array([x]), own["m"], own["s"])[0] < ev.CANDIDATE_MIN_Z:
        return None  # most posted items: checked before any table is built
    rows = [(p["hs"], p["n"], p["m"], p["s"], p["duty"]) for p in profiles if p.get("kind") == "code"]
    codes = pd.DataFrame(rows, columns=["hs", "n", "m", "s", "duty"]).set_index("hs")
    found = ev.best_candidate(np.array([x]), digits, codes, taught=taught)
    if found is None:
        return None
    C, uv, _mine, cand = found
    score = float(1 / (1 + np.exp(-ev.candidate_logit(uv, [])[0])))
    return {"score": round(score, 4), "suspected_hs": str(C[0]), "kind": "candidate",
            "detail": f"candidate: {digits} priced like {C[0]} ({np.exp(x):.2f}/kg vs usual "
                      f"{np.exp(cand.at[C[0], 'm']):.2f} for {C[0]}, {np.exp(codes.at[digits, 'm']):.2f} "
                      f"for {digits}; no offence taught it yet)"}
