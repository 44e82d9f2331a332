"""Cover evidence: the formulas that the batch flags and the one posted item share (one place each).

Why a module of its own: `graph.declarations.cover` flags a whole frame and scores one posted item;
both must weigh value per kg, mass and the parties the same way, and both propose *candidate*
covers (a low-duty code priced like a higher-duty code, no offence taught yet) by the same fit.

Why these shapes (issue 12): one or two caught items teach a (declared -> actual) pair, and the
traders who use the same pair elsewhere come through other suppliers, routes and brokers. So

- value per kg is compared with a Student-t likelihood (heavy tails: a mixture of traders' price
  levels is not one normal), bounded wide, and a price on the cheap side of the genuine goods is
  never evidence of cover;
- a profile resting on few caught items gets a wider scale (shrunk towards `SCALE_PRIOR`), so it
  describes the risk goods' price level rather than the one caught trader's;
- the trader's profile (supplier, countries, route, parties, network) may add, never subtract:
  `PROFILE_CAP` starts at 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from graph.engine.stats import median_scale

#: degrees of freedom of the Student-t likelihood of log value/kg and log mass
T_DF = 10.0
#: bound of the value/kg evidence (log-likelihood ratio): wide, it is what tells the goods apart
UV_CAP = 8.0
#: bound of the mass evidence: the mass of cover goods varies as much as any consignment's
MASS_CAP = 1.0
#: the trader's profile (supplier, countries, route, parties) as one term that only adds
PROFILE_CAP = (0.0, 3.0)
#: floor of a profile's robust scale (log value/kg)
PROFILE_MIN_SCALE = 0.25
#: a profile of n items has scale sqrt((n s^2 + N0 S0^2) / (n + N0)): few caught items, wide profile
SCALE_PRIOR, SCALE_PRIOR_N = 0.6, 3.0
#: pseudo-items (at level 0) in a trader's own price level (`trader_levels`)
LEVEL_PRIOR_N = 10.0
#: pseudo-items of the open declarations' price in a pair's risk profile (`risk_profile`)
OPEN_PRIOR_N = 2.0
#: the least prior of a taught pair: a caught item stands for several uncaught ones (inspections
#: catch a share of the covers), so a pair taught once is not a 1-in-1000 event among its code
PAIR_PRIOR_FLOOR = 0.03
#: candidate covers (no offence taught the pair): their prior, the least robust z above the declared
#: code's price to be considered, and the highest score one can reach (below a well-fitting taught pair)
CANDIDATE_PRIOR = 0.003
CANDIDATE_MIN_Z = 3.0
CANDIDATE_MAX_SCORE = 0.85
#: the network evidence of a candidate: the item's trader (declarant/consignee) or supplier also
#: declares the suspected code openly
CANDIDATE_OWN_CODE = 1.0
#: a pattern, not a one-off: per doubling of the items one trader declares under the code priced
#: CANDIDATE_MIN_Z scales above its usual price, this much evidence, at most REPEAT_CAP (a single
#: outlier could be a premium batch or a keying slip; a trader doing it again and again has a habit)
REPEAT_LLR, REPEAT_CAP = 0.75, 2.0
#: a code needs this many items for a price profile
MIN_CODE_ITEMS = 5


def trader_levels(hs: pd.Series, luv: np.ndarray, trader: pd.Series, keep: np.ndarray) -> pd.Series:
    """Per trader: its own price level, the median gap (log) between its items' value/kg and their
    codes' median, shrunk towards 0 by LEVEL_PRIOR_N pseudo-items. A premium importer prices every
    code high, a cover shows up against the trader's own other goods."""
    df = pd.DataFrame({"hs": hs.array, "x": luv, "t": trader.array})[keep]  # Arrow strings kept
    df = df.dropna()
    if df.empty:
        return pd.Series(dtype=float)
    gap = df["x"] - df.groupby("hs")["x"].transform("median")
    g = gap.groupby(df["t"])
    return (g.median() * g.size() / (g.size() + LEVEL_PRIOR_N)).astype(float)


def profile(x: np.ndarray, w: np.ndarray | None = None) -> tuple[float, float]:
    """Weighted median and robust scale, the scale shrunk towards SCALE_PRIOR when few items carry it."""
    m, s = median_scale(x, w, floor=PROFILE_MIN_SCALE)
    if np.isnan(m):
        return m, s
    ok = ~np.isnan(np.asarray(x, float))
    n = float(np.sum(w[ok])) if w is not None else float(ok.sum())
    return m, float(np.sqrt((n * s * s + SCALE_PRIOR_N * SCALE_PRIOR ** 2) / (n + SCALE_PRIOR_N)))


def risk_profile(caught: np.ndarray, w: np.ndarray, open_: np.ndarray) -> tuple[float, float]:
    """The risk goods' value/kg as a cover shows it: the caught covers' price (weights `w`) and the
    open declarations of the found code, blended so that one or two caught items move the centre
    only a third of the way from the open price (OPEN_PRIOR_N pseudo-items), many caught items decide."""
    c, op = profile(caught, w), profile(open_)
    if np.isnan(c[0]) or np.isnan(op[0]):
        return op if np.isnan(c[0]) else c
    ok = ~np.isnan(np.asarray(caught, float))
    n = float(np.sum(np.asarray(w, float)[ok]))
    t = n / (n + OPEN_PRIOR_N)
    m = t * c[0] + (1 - t) * op[0]
    spread = t * c[1] ** 2 + (1 - t) * op[1] ** 2 + t * (1 - t) * (c[0] - op[0]) ** 2
    return m, float(np.sqrt(spread))


def _t_loglik(x: np.ndarray, m: float, s: float) -> np.ndarray:
    z = (x - m) / s
    return -(T_DF + 1) / 2 * np.log1p(z * z / T_DF) - np.log(s)


def _llr(x: np.ndarray, a: tuple[float, float], b: tuple[float, float], cap: float) -> np.ndarray:
    x = np.asarray(x, float)
    if np.isnan(a[0]) or np.isnan(b[0]):
        return np.zeros_like(x)
    out = _t_loglik(x, *a) - _t_loglik(x, *b)
    return np.clip(np.nan_to_num(out, nan=0.0), -cap, cap)


def uv_llr(x: np.ndarray, a: tuple[float, float], b: tuple[float, float]) -> np.ndarray:
    """Value/kg evidence: log t(x; risk goods a) - log t(x; genuine b), within +-UV_CAP; a price on
    the other side of the genuine price from the risk goods is not evidence of cover (at most 0)."""
    llr = _llr(x, a, b, UV_CAP)
    if np.isnan(a[0]) or np.isnan(b[0]):
        return llr
    wrong_side = np.sign(np.asarray(x, float) - b[0]) != np.sign(a[0] - b[0])
    return np.where(wrong_side, np.minimum(llr, 0.0), llr)


def mass_llr(x: np.ndarray, a: tuple[float, float], b: tuple[float, float]) -> np.ndarray:
    """Mass evidence: the same likelihood ratio on log mass, within +-MASS_CAP."""
    return _llr(x, a, b, MASS_CAP)


def combine(uv: np.ndarray, mass: np.ndarray | float, prof: list[np.ndarray]) -> np.ndarray:
    """The evidence of one item: value/kg + mass + the trader's profile as one term (its maximum,
    within PROFILE_CAP: the supplier, countries, route and parties all describe the trader)."""
    total = np.asarray(uv, float) + mass
    if prof:
        total = total + np.clip(np.max(prof, axis=0), *PROFILE_CAP)
    return total


def parties_llr(same_pair: np.ndarray, other_offence: np.ndarray, network: np.ndarray) -> np.ndarray:
    """A party on the item committed this cover before (strong), other offences, network risk (0..1)."""
    return np.minimum(2.0 * same_pair + 0.7 * other_offence + 2.0 * network, PROFILE_CAP[1])


def repeat_llr(n: np.ndarray) -> np.ndarray:
    """The evidence of a trader's repeated far-above-usual prices under one code (n items, >= 1)."""
    return np.minimum(REPEAT_LLR * np.log2(np.maximum(np.asarray(n, float), 1.0)), REPEAT_CAP)


def logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def pair_prior(count: int, n_declared: int) -> float:
    """A taught pair's prior: its caught rate among the declared code's items (Laplace), 1 %..50 %."""
    return min(max((count + 1) / (n_declared + 2), PAIR_PRIOR_FLOOR), 0.5)


def candidate_logit(uv: np.ndarray, prof: list[np.ndarray]) -> np.ndarray:
    """The log-odds of a candidate cover: CANDIDATE_PRIOR, the price fit and the network, kept at or
    below CANDIDATE_MAX_SCORE so a candidate ranks below a taught pair with the same evidence."""
    return np.minimum(logit(CANDIDATE_PRIOR) + combine(uv, 0.0, prof), logit(CANDIDATE_MAX_SCORE))


def code_profiles(hs: pd.Series, luv: np.ndarray, duty: np.ndarray, keep: np.ndarray) -> pd.DataFrame:
    """Per code (of the `keep` items with a price): n, price profile (m, s) and median duty rate."""
    df = pd.DataFrame({"hs": hs.array, "x": luv, "duty": duty})[keep]  # Arrow strings kept
    df = df.dropna(subset=["hs", "x"])
    rows = []
    for code, g in df.groupby("hs", sort=True):
        if len(g) < MIN_CODE_ITEMS:
            continue
        m, s = profile(g["x"].to_numpy())
        dr = g["duty"].dropna()
        rows.append((code, len(g), m, s, float(dr.median()) if len(dr) else np.nan))
    return pd.DataFrame(rows, columns=["hs", "n", "m", "s", "duty"]).set_index("hs")


def candidate_codes(D: str, codes: pd.DataFrame, taught: frozenset = frozenset()) -> pd.DataFrame:
    """The codes a declared code D could hide: another heading, priced above D, with a higher duty
    rate (or an unknown one on either side), and not a pair (D, code) an offence taught already."""
    if D not in codes.index:
        return codes.iloc[:0]
    d = codes.loc[D]
    c = codes[(codes.index.str[:4] != D[:4]) & (codes["m"] > d["m"])
              & ~codes.index.isin([a for (dd, a) in taught if dd == D])]
    higher = c["duty"] > d["duty"]
    return c[higher | c["duty"].isna() | (np.isnan(d["duty"]))]


def best_candidate(x: np.ndarray, D: str, codes: pd.DataFrame, own: list[set] | None = None,
                   taught: frozenset = frozenset()):
    """For items priced x under D (already known to be far above D's price): the candidate code each
    fits best, its value/kg evidence and whether the item's own network declares it.

    Returns (codes, uv llr, own-code flags, the candidate table) or None when D has no candidates."""
    cand = candidate_codes(D, codes, taught)
    if cand.empty:
        return None
    d = codes.loc[D]
    gen = (float(d["m"]), float(d["s"]))
    llr = np.column_stack([uv_llr(x, (float(m), float(s)), gen)
                           for m, s in zip(cand["m"], cand["s"], strict=True)])
    names = cand.index.to_numpy(dtype=object)
    mine = np.array([[c in o for c in names] for o in own], bool) if own is not None else \
        np.zeros_like(llr, bool)
    # the code the price fits best (its own likelihood, not the bounded ratio, which saturates),
    # among those the price is evidence for; the trader's own codes first at equal fit
    fit = np.column_stack([_t_loglik(np.asarray(x, float), float(m), float(s))
                           for m, s in zip(cand["m"], cand["s"], strict=True)])
    j = np.argmax(np.where(llr > 0, fit + CANDIDATE_OWN_CODE * mine, -np.inf), axis=1)
    rows = np.arange(len(x))
    return names[j], llr[rows, j], mine[rows, j], cand


def robust_z(x: np.ndarray, m: float, s: float) -> np.ndarray:
    return (np.asarray(x, float) - m) / s
