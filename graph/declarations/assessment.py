"""Declaration assessment: one risk score per declaration item, its lane and its reasons.

The score is a LightGBM model (seeded, deterministic, one or two threads) on three groups of
features, every label-based one computed only from labels known *before* the item's date:

- own: value, mass, value/kg and its robust z against the HS code's norm (norms from the fit
  period only), duty rate, codes, countries, transport mode, declarant age, whether the HS code is
  new for the trader, and the past hit rate of the HS code, heading, origin and route;
- party: the past hit rate and experience of the declarant, consignee, consignor, carrier and
  broker (target encoding in time order: each item sees only earlier outcomes);
- network: risk propagated from past violations through shared parties (two hops over the
  party co-occurrence graph of earlier declarations, monthly snapshots) and the parties' degrees.

Two signals are added after the model, as a noisy-OR, not as features: the parties' stored network
risk (`Party.risk_score`, computed by the pipeline from all offences, so as a training feature it
would leak the training labels) and the cover-item score (learnt from offences likewise).

Labels: an item is a hit if its inspection found a violation or an offence names its
declaration; clear if inspected and clean; unlabelled otherwise. The label is known at the later
of the item's date and the offence's date.
"""

from __future__ import annotations

import math
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from graph.domain import schema
from graph.declarations.goods import hs_norms, hs_prefix, log_unit_value, mass_kg

ROLES = ("declarant", "consignee", "consignor", "carrier", "broker")
#: grouping columns whose past hit rate is an "own" feature (attributes of the goods and route)
OWN_GROUPS = ("hs6", "hs4", "origin_country", "dispatch_country", "route")
#: smoothing strength (pseudo-items at the global rate) of past hit rates
SMOOTH = 10.0
MODEL_FILE = "assessment_model.pkl"
SEED = 7
#: weights of the parties' stored network risk and of the cover score in the noisy-OR after the model
NETWORK_WEIGHT = 0.5
COVER_WEIGHT = 0.6
#: threads for batch prediction (scoring every stored item); training stays on one thread (LGB_PARAMS)
NUM_THREADS = 2

LGB_PARAMS = {"objective": "binary", "learning_rate": 0.06, "num_leaves": 31, "min_child_samples": 40,
                  "feature_fraction": 0.7, "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 5.0,
                  "cat_smooth": 20, "cat_l2": 10, "seed": SEED, "deterministic": True, "force_row_wise": True,
                  "num_threads": 1, "verbose": -1}

FEATURE_DOCS = {
    "log_value": "customs value (log)",
    "log_mass": "net mass in kg (log)",
    "log_uv": "value per kg (log)",
    "uv_z": "robust z of value/kg against the HS code's usual price (negative: cheaper than usual)",
    "duty_rate": "duty rate in %",
    "log_duty": "duties at the declared value (log)",
    "trader_prior_n": "items the trader declared before (log)",
    "hs_prior_share": "share of the trader's earlier items under this HS code",
    "hs_new": "HS code new for a trader with 5+ earlier items",
    "declarant_age_days": "age of the declarant's registration in days",
    "origin_is_dispatch": "origin country equals dispatch country",
}


# --------------------------------------------------------------------------- labels and inputs

def labels(frames) -> pd.DataFrame:
    """Per item: y (1 hit, 0 clear, NaN unknown) and known_at (when the outcome became known)."""
    d = frames.declarations
    res = d["inspection_result"].astype("string").str.lower().fillna("")
    y = pd.Series(np.where(res == "violation", 1.0, np.where(res == "clear", 0.0, np.nan)), index=d.index)
    known = pd.to_datetime(d["date"])
    o = frames.offences
    if o is not None and not o.empty:
        o = o[o["status"].fillna("confirmed") != "cleared"] if "status" in o else o
        first = o.dropna(subset=["declaration_key"]).groupby("declaration_key")["date"].min()
        od = pd.to_datetime(d["declaration_key"].map(first))
        hit = od.notna()
        y[hit] = 1.0
        known = known.where(~hit, np.maximum(known, od))
    return pd.DataFrame({"y": y, "known_at": known}, index=d.index)


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
    for r in ROLES:
        b[r] = decl[r].astype("string") if r in decl else pd.Series(pd.NA, index=decl.index, dtype="string")
    t = b["consignee"].where(b["consignee"].notna(), b["declarant"])
    b["trader"] = t
    return b


# --------------------------------------------------------------------------- time-respecting history

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
    qcode = codes[:nq]
    ok_q = qcode >= 0
    ok_e = codes[nq:] >= 0
    ecode = codes[nq:][ok_e]
    et = ev_time.to_numpy(dtype="datetime64[ns]")[ok_e].astype(np.int64)
    ey = np.asarray(ev_y, float)[ok_e]
    qt = qtime.to_numpy(dtype="datetime64[ns]").astype(np.int64)
    qi = np.flatnonzero(ok_q)
    g = np.concatenate([ecode, qcode[qi]])
    t = np.concatenate([et, qt[qi]])
    kind = np.concatenate([np.ones(len(ecode), np.int8), np.zeros(len(qi), np.int8)])  # query first
    order = np.lexsort((kind, t, g))
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


def _smoothed(n: np.ndarray, p: np.ndarray, prior: float) -> np.ndarray:
    return (p + SMOOTH * prior) / (n + SMOOTH)


def history_features(base: pd.DataFrame, lab: pd.DataFrame, prior: float, groups: tuple[str, ...],
                     horizon: pd.Timestamp | None = None) -> pd.DataFrame:
    """Past hit rate per group column, smoothed towards the prior by SMOOTH pseudo-items.

    Counts themselves are not features: they grow with the length of the history, so a model
    fitted on a short past would meet values it never saw (measured on KCS: they cost ~0.01
    macro-F1). The smoothing already says how much history there is. Only labels known strictly before the item's date (and before `horizon`, if given) count.
    """
    ev = lab["y"].notna()
    if horizon is not None:
        ev &= lab["known_at"] < horizon
    out = {}
    for gcol in groups:
        n, p = _past_counts(base[gcol], base["date"], base.loc[ev, gcol], lab.loc[ev, "known_at"],
                            lab.loc[ev, "y"].to_numpy())
        out[f"rate_{gcol}"] = _smoothed(n, p, prior)
    return pd.DataFrame(out, index=base.index)


# --------------------------------------------------------------------------- network features

def _party_graph(base: pd.DataFrame, mask: np.ndarray, index: pd.Index) -> sp.csr_matrix:
    """Party co-occurrence graph (parties on the same item are linked), weights = shared items."""
    codes = {r: index.get_indexer(base.loc[mask, r].to_numpy(dtype=object)) for r in ROLES if base[r].notna().any()}
    return _party_pairs(codes, len(index))


def propagate(adj: sp.csr_matrix, seed: np.ndarray, *, hops: int = 2, decay: float = 0.5) -> np.ndarray:
    """Risk of each party's neighbourhood: weighted mean of neighbours' seed risk over `hops` hops,
    hop k weighted decay**(k-1). A party's own seed is not included (that is the party feature)."""
    deg = np.asarray(adj.sum(axis=1)).ravel()
    inv = np.where(deg > 0, 1.0 / np.maximum(deg, 1e-12), 0.0)
    x = seed.astype(float)
    out = np.zeros_like(x)
    wsum = 0.0
    for k in range(hops):
        x = inv * (adj @ x)
        out += decay ** k * x
        wsum += decay ** k
    return out / wsum


def network_snapshot(base: pd.DataFrame, lab: pd.DataFrame, prior: float, until: pd.Timestamp,
                     horizon: pd.Timestamp | None = None) -> pd.DataFrame:
    """Per party, from items dated before `until` (labels known before `until`/`horizon`):
    excess past hit rate (seed), propagated neighbour risk and degree (distinct co-parties)."""
    mask = (base["date"] < until).to_numpy()
    parties = pd.Index(pd.unique(np.concatenate(
        [base.loc[mask, r].dropna().to_numpy(dtype=object) for r in ROLES])))
    if len(parties) == 0:
        return pd.DataFrame(columns=["seed", "nb_risk", "degree"])
    cut = until if horizon is None else min(until, horizon)
    ev = (lab["y"].notna() & (lab["known_at"] < cut)).to_numpy()
    n = np.zeros(len(parties)); p = np.zeros(len(parties))
    for r in ROLES:
        idx = parties.get_indexer(base.loc[ev, r].to_numpy(dtype=object))
        ok = idx >= 0
        np.add.at(n, idx[ok], 1.0)
        np.add.at(p, idx[ok], lab.loc[ev, "y"].to_numpy()[ok])
    seed = _smoothed(n, p, prior) - prior
    adj = _party_graph(base, mask, parties)
    nb = propagate(adj, seed)
    deg = np.diff(adj.indptr)
    return pd.DataFrame({"seed": seed, "nb_risk": nb, "degree": deg}, index=parties)


def network_features(base: pd.DataFrame, lab: pd.DataFrame, prior: float, *, freq: str = "MS",
                     horizon: pd.Timestamp | None = None) -> pd.DataFrame:
    """Per item and role: neighbour risk of the party, from the snapshot taken at the start of the
    item's period (monthly by default): strictly earlier data only. Degrees stay out of the model
    (they grow with the history, like counts); they are kept in the snapshot for the reasons.

    The snapshots are built incrementally: party keys become integer codes once, the co-occurrence
    graph of month m is that of month m-1 plus the items dated in between, and the seeds are two
    bincounts. Same values as `network_snapshot` at each period start (a test checks them), at a
    fraction of the cost of rebuilding every month from strings (1M items: ~40 snapshots).
    """
    out = pd.DataFrame(index=base.index)
    for r in ROLES:
        out[f"nb_{r}"] = np.nan
    period = base["date"].dt.to_period("M" if freq == "MS" else freq).dt.start_time
    starts = sorted(period.dropna().unique())
    if not starts:
        return out.drop(columns=list(out.columns))
    keys = pd.Index(pd.unique(np.concatenate([base[r].dropna().to_numpy(dtype=object) for r in ROLES])))
    n = len(keys)
    codes = {r: keys.get_indexer(base[r].to_numpy(dtype=object)) for r in ROLES}
    date = base["date"].to_numpy(dtype="datetime64[ns]")
    order = np.argsort(date, kind="stable")  # NaT last
    sorted_dates = date[order]
    y = lab["y"].to_numpy(dtype=float)
    known = lab["known_at"].to_numpy(dtype="datetime64[ns]")
    labelled = ~np.isnan(y)
    adj = sp.csr_matrix((n, n))
    present = np.zeros(n, dtype=bool)
    done = 0
    period_codes, period_levels = pd.factorize(period, sort=True)
    rows_of = pd.Series(np.arange(len(base))).groupby(period_codes).indices
    values = {r: out[f"nb_{r}"].to_numpy(dtype=float, copy=True) for r in ROLES}
    for pi, start in enumerate(period_levels):
        until = np.datetime64(pd.Timestamp(start), "ns")
        hi = int(np.searchsorted(sorted_dates, until, "left"))
        new = order[done:hi]
        done = max(done, hi)
        if len(new):
            adj = adj + _party_pairs({r: c[new] for r, c in codes.items()}, n)
            for c in codes.values():
                cn = c[new]
                present[cn[cn >= 0]] = True
        cut = until if horizon is None else min(until, np.datetime64(pd.Timestamp(horizon), "ns"))
        ev = labelled & (known < cut)
        cnt = np.zeros(n)
        pos = np.zeros(n)
        for c in codes.values():
            ce = c[ev]
            ok = ce >= 0
            cnt += np.bincount(ce[ok], minlength=n)
            pos += np.bincount(ce[ok], weights=y[ev][ok], minlength=n)
        nb = propagate(adj, _smoothed(cnt, pos, prior) - prior)
        nb[~present] = np.nan
        rows = rows_of.get(pi)
        if rows is None:
            continue
        for r, c in codes.items():
            cr = c[rows]
            values[r][rows] = np.where(cr >= 0, nb[np.maximum(cr, 0)], np.nan)
    for r in ROLES:
        out[f"nb_{r}"] = values[r]
    return out.drop(columns=[c for c in out if out[c].isna().all()])


def _party_pairs(codes: dict[str, np.ndarray], n: int) -> sp.csr_matrix:
    """Symmetric co-occurrence counts of the parties on the same items (codes: role -> party code, -1 none)."""
    rows, cols = [], []
    roles = list(codes)
    for i, a in enumerate(roles):
        for b in roles[i + 1:]:
            ca, cb = codes[a], codes[b]
            ok = (ca >= 0) & (cb >= 0) & (ca != cb)
            rows.append(ca[ok]); cols.append(cb[ok])
    r = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    c = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    m = sp.coo_matrix((np.ones(len(r)), (r, c)), shape=(n, n)).tocsr()
    return (m + m.T).tocsr()


# --------------------------------------------------------------------------- own features

def own_features(decl: pd.DataFrame, base: pd.DataFrame, norms: pd.DataFrame,
                 parties: pd.DataFrame | None = None) -> pd.DataFrame:
    """Features of the item itself (no labels): values, masses, prices against the HS norm, codes."""
    value = pd.to_numeric(decl["customs_value"], errors="coerce")
    mass = mass_kg(decl)
    rate = pd.to_numeric(decl["duty_rate"], errors="coerce") if "duty_rate" in decl else pd.Series(np.nan, index=decl.index)
    luv = log_unit_value(decl)
    med = base["hs6"].map(norms["median"]).astype(float)
    sc = base["hs6"].map(norms["scale"]).astype(float)
    f = pd.DataFrame(index=decl.index)
    f["log_value"] = np.log1p(value.clip(lower=0))
    f["log_mass"] = np.log1p(mass)
    f["log_uv"] = luv
    f["uv_z"] = (luv - med) / sc
    f["duty_rate"] = rate
    f["log_duty"] = np.log1p((value * rate / 100.0).clip(lower=0))
    f["origin_is_dispatch"] = (base["origin_country"] == base["dispatch_country"]).astype(float)
    f.loc[base["origin_country"].isna() | base["dispatch_country"].isna(), "origin_is_dispatch"] = np.nan
    if parties is not None and not parties.empty and parties["registered_on"].notna().any():
        reg = base["declarant"].map(parties.set_index("key")["registered_on"])
        f["declarant_age_days"] = (base["date"] - pd.to_datetime(reg)).dt.days.astype(float)
    return f


def novelty_features(base: pd.DataFrame) -> pd.DataFrame:
    """Is the HS code new for the trader, from the trader's strictly earlier items."""
    n, _ = _past_counts(base["trader"], base["date"], base["trader"], base["date"], np.zeros(len(base)))
    th = base["trader"].astype("string") + "#" + base["hs6"].astype("string")
    ns, _ = _past_counts(th, base["date"], th, base["date"], np.zeros(len(base)))
    return pd.DataFrame({
        "trader_prior_n": np.log1p(n),
        "hs_prior_share": np.where(n > 0, ns / np.maximum(n, 1), np.nan),
        "hs_new": ((n >= 5) & (ns == 0)).astype(float),
    }, index=base.index)


# --------------------------------------------------------------------------- the model

@dataclass
class AssessmentModel:
    """Everything needed to score: the booster, the feature layout, and the tables (as of `as_of`)
    from which a single posted declaration is scored without recomputing the graph."""

    booster_text: str
    features: list[str]
    categorical: dict[str, list[str]]
    prior: float
    as_of: pd.Timestamp
    norms: pd.DataFrame
    groups: dict[str, dict[str, tuple[float, float]]]  # group column -> value -> (n, positives)
    trader_hs: dict[str, dict[str, float]]  # trader -> hs6 -> items
    network: pd.DataFrame  # party -> seed, nb_risk, degree
    registered_on: dict[str, pd.Timestamp]
    thresholds: dict[str, float]  # red, yellow: score thresholds
    lane_rates: dict[str, float]  # expected hit rate per lane on the tuning period
    network_weight: float = NETWORK_WEIGHT
    cover_weight: float = COVER_WEIGHT
    feature_set: str = "network"
    metrics: dict[str, Any] = field(default_factory=dict)
    cover_profiles: list[dict] = field(default_factory=list)  # graph.declarations.cover.cover_profiles as of `as_of`
    _booster: Any = field(default=None, repr=False, compare=False)

    @property
    def network_dict(self) -> dict[str, tuple[float, float]]:
        """party -> (nb_risk, degree), built once."""
        if "_net" not in self.__dict__:
            nt = self.network
            self.__dict__["_net"] = ({} if nt is None or nt.empty else
                                     dict(zip(nt.index, zip(nt["nb_risk"].astype(float), nt["degree"].astype(float)))))
        return self.__dict__["_net"]

    @property
    def category_index(self) -> dict[str, dict[str, int]]:
        """categorical column -> level -> code (the codes pandas gave LightGBM at training)."""
        if "_cat" not in self.__dict__:
            self.__dict__["_cat"] = {c: {v: i for i, v in enumerate(levels)} for c, levels in self.categorical.items()}
        return self.__dict__["_cat"]

    @property
    def paths(self) -> tuple[np.ndarray, float]:
        """`path_table` of the booster, built once (not saved: rebuilt from the booster text)."""
        if "_paths" not in self.__dict__:
            self.__dict__["_paths"] = path_table(self.booster)
        return self.__dict__["_paths"]

    @property
    def booster(self):
        if self._booster is None:
            import lightgbm as lgb

            self._booster = lgb.Booster(model_str=self.booster_text)
        return self._booster

    def save(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {k: v for k, v in self.__dict__.items() if not k.startswith("_")}
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as fh:
            pickle.dump(state, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: Path) -> AssessmentModel:
        with open(path, "rb") as fh:  # our own file under settings.data_dir, written by save()
            state = pickle.load(fh)
        return cls(**state)


def feature_frame(frames, lab: pd.DataFrame, prior: float, norms: pd.DataFrame, *,
                  feature_set: str = "network", horizon: pd.Timestamp | None = None,
                  extra_categoricals: tuple[str, ...] = ()) -> tuple[pd.DataFrame, list[str]]:
    """All features for every item of `frames`, time-respecting. feature_set: own | party | network
    (each includes the previous). Returns the frame and the names of its categorical columns."""
    d = frames.declarations
    base = _base(d)
    parts = [own_features(d, base, norms, frames.parties), novelty_features(base),
             history_features(base, lab, prior, OWN_GROUPS, horizon)]
    cats = ["hs2", "transport_mode", "origin_country", "dispatch_country", *extra_categoricals]
    if feature_set in ("party", "network"):
        present = tuple(r for r in ROLES if base[r].notna().any())
        parts.append(history_features(base, lab, prior, present, horizon))
    if feature_set == "network":
        parts.append(network_features(base, lab, prior, horizon=horizon))
    X = pd.concat(parts, axis=1)
    for c in cats:
        src = base[c] if c in base else d[c]
        X[c] = src.astype("string")
    return X, cats


def _encode(X: pd.DataFrame, categorical: dict[str, list[str]]) -> pd.DataFrame:
    X = X.copy()
    for c, levels in categorical.items():
        v = X[c].astype("string")
        X[c] = pd.Categorical(v.where(v.isin(levels)), categories=levels)  # unseen levels -> missing
    return X


def _train(X: pd.DataFrame, y: np.ndarray, Xv: pd.DataFrame | None, yv: np.ndarray | None,
           num_rounds: int = 2000, params: dict | None = None, early_stopping: int = 100):
    import lightgbm as lgb

    p = {**LGB_PARAMS, **(params or {})}
    dtrain = lgb.Dataset(X, y, categorical_feature=[c for c in X if isinstance(X[c].dtype, pd.CategoricalDtype)],
                         free_raw_data=False)
    if Xv is None:
        return lgb.train(p, dtrain, num_boost_round=num_rounds)
    dval = lgb.Dataset(Xv, yv, reference=dtrain)
    return lgb.train(p, dtrain, num_boost_round=num_rounds, valid_sets=[dval],
                     callbacks=[lgb.early_stopping(early_stopping, verbose=False)])


def feature_columns(columns: list[str], feature_set: str) -> list[str]:
    """The columns of a feature set: own < party (+ parties' past hit rates) < network (+ nb_)."""
    party = {f"rate_{r}" for r in ROLES}
    out = []
    for c in columns:
        if c.startswith("nb_"):
            if feature_set == "network":
                out.append(c)
        elif c in party:
            if feature_set in ("party", "network"):
                out.append(c)
        else:
            out.append(c)
    return out


def _auc(y: np.ndarray, s: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, s))


def lane_thresholds(scores: np.ndarray, *, red_share: float = 0.05, yellow_share: float = 0.15) -> dict[str, float]:
    """Score thresholds so that about `red_share` of items go red and `yellow_share` yellow."""
    s = np.sort(np.asarray(scores, float))[::-1]
    if len(s) == 0:
        return {"red": 1.0, "yellow": 1.0}
    red = s[min(math.ceil(red_share * len(s)) - 1, len(s) - 1)] if red_share > 0 else np.inf
    yel = s[min(math.ceil((red_share + yellow_share) * len(s)) - 1, len(s) - 1)] if yellow_share > 0 else red
    return {"red": float(red), "yellow": float(min(yel, red))}


def fit(frames, party_risk: pd.Series | None = None, as_of=None, *, feature_set: str = "auto",
        tune_share: float = 0.2, red_share: float = 0.05, yellow_share: float = 0.15,
        extra_categoricals: tuple[str, ...] = (), params: dict | None = None,
        max_rows: int | None = 400_000, max_rounds: int = 2000, early_stopping: int = 100,
        with_features: bool = False) -> AssessmentModel | tuple[AssessmentModel, pd.DataFrame]:
    """Fit the assessment model on labelled items dated before `as_of` (default: the latest date + 1 day):
    `train`, then `finish` with the parties' network risk.

    The last `tune_share` of the fit period (by date) is held out for early stopping, for the
    choice of feature set (`auto`: own, party or network, a richer set only where it beats the
    simpler one on the held-out period: network features must do no harm) and for the lane
    thresholds and rates; the booster is then refitted on the whole fit period with the
    chosen number of rounds. `party_risk` is not a training feature (it is computed from all
    offences and would leak the labels): it only enters the noisy-OR at scoring time.

    `max_rows`, `max_rounds` and `early_stopping` bound the fit on large stores. With
    `with_features`, the encoded feature frame of every item is returned too (the pipeline scores
    all items with it instead of computing the features a second time: with `as_of` after the
    last item, the horizon cuts nothing that an item's own strictly-earlier view would see).
    """
    t = train(frames, as_of, feature_set=feature_set, tune_share=tune_share, extra_categoricals=extra_categoricals,
              params=params, max_rows=max_rows, max_rounds=max_rounds, early_stopping=early_stopping)
    model = finish(t, party_risk, red_share=red_share, yellow_share=yellow_share)
    return (model, t.X) if with_features else model


@dataclass
class Trained:
    """What `train` leaves for `finish`: the model without its lane thresholds (which need the
    parties' network risk) and the tuning period's scores to cut them on."""

    model: AssessmentModel
    X: pd.DataFrame  # the encoded features of every item, in the chosen set
    base: pd.DataFrame  # grouping keys of every item
    tune: np.ndarray | None  # items of the tuning period (None: too few to tune on)
    tune_scores: np.ndarray | None  # the chosen booster's tuning-period scores
    tune_y: np.ndarray | None
    past: np.ndarray  # items the booster was fitted on


def train(frames, as_of=None, *, feature_set: str = "auto", tune_share: float = 0.2,
          extra_categoricals: tuple[str, ...] = (), params: dict | None = None, max_rows: int | None = 400_000,
          max_rounds: int = 2000, early_stopping: int = 100) -> Trained:
    """Everything of `fit` that needs no network risk: features, the choice of feature set, the
    booster and the scoring tables. The pipeline runs it beside the network analytics."""
    d = frames.declarations
    if d.empty:
        raise ValueError("no declarations to fit on")
    as_of = pd.Timestamp(as_of) if as_of is not None else pd.to_datetime(d["date"]).max() + pd.Timedelta(days=1)
    lab = labels(frames)
    dates = pd.to_datetime(d["date"])
    past = (dates < as_of) & lab["y"].notna() & (lab["known_at"] < as_of)
    known = past.copy()  # every outcome known at as_of: the tables for single items use all of them
    if max_rows and past.sum() > max_rows:
        # the most recent labelled items: bounded fit time on million-row stores, and the recent past
        # is the better guide to the next declarations
        past &= dates >= dates[past].sort_values().iloc[-max_rows]
    if past.sum() < 50 or lab.loc[past, "y"].nunique() < 2:
        raise ValueError(f"need at least 50 labelled items with both outcomes before {as_of.date()} to fit")
    prior = float(lab.loc[past, "y"].mean())
    norms = hs_norms(d[dates < as_of])
    X, cats = feature_frame(frames, lab, prior, norms, feature_set="network" if feature_set == "auto" else feature_set,
                            horizon=as_of, extra_categoricals=extra_categoricals)
    categorical = {c: sorted(X.loc[past, c].dropna().unique().tolist()) for c in cats}
    X = _encode(X, categorical)
    cut = dates[past].quantile(1 - tune_share)
    tr, tu = past & (dates < cut), past & (dates >= cut)
    y = lab["y"].to_numpy()
    ytu = y[tu.to_numpy()]
    can_tune = tu.sum() >= 20 and tr.sum() >= 50 and len(np.unique(ytu)) == 2
    candidates = ("own", "party", "network") if feature_set == "auto" else (feature_set,)
    if feature_set == "auto" and not can_tune:
        candidates = ("own",)
    tried: dict[str, dict] = {}
    chosen = candidates[0]
    for fs in candidates:
        cols = feature_columns(list(X.columns), fs)
        if not can_tune:
            tried[fs] = {"rounds": 200}
            break
        b = _train(X.loc[tr, cols], y[tr.to_numpy()], X.loc[tu, cols], ytu, num_rounds=max_rounds, params=params,
                   early_stopping=early_stopping)
        rounds = max(b.best_iteration or b.current_iteration(), 20)
        sc = b.predict(X.loc[tu, cols], num_iteration=rounds)
        tried[fs] = {"rounds": rounds, "auc": _auc(ytu, sc), "scores": sc}
        # "do no harm": a richer set must beat the simpler one on the tuning period by a margin
        if tried[fs]["auc"] > tried[chosen]["auc"] + (0.002 if fs != chosen else 0):
            chosen = fs
    feature_set = chosen
    X = X[feature_columns(list(X.columns), chosen)]
    rounds = tried[chosen]["rounds"]
    base = _base(d)  # grouping keys of every item: the parties for the lanes, the tables below
    tune_auc = {fs: round(t["auc"], 4) for fs, t in tried.items() if "auc" in t}
    booster = _train(X[past], y[past.to_numpy()], None, None, num_rounds=rounds, params=params)
    # tables as of `as_of` for scoring single posted declarations
    ev = known.to_numpy()
    groups: dict[str, dict[str, tuple[float, float]]] = {}
    for gcol in (*OWN_GROUPS, *ROLES):
        g = pd.DataFrame({"g": base.loc[ev, gcol], "y": y[ev]}).dropna()
        agg = g.groupby("g")["y"].agg(["size", "sum"])
        groups[gcol] = {k: (float(a), float(b)) for k, a, b in zip(agg.index, agg["size"], agg["sum"])}
    seen = (dates < as_of).to_numpy()
    th = pd.DataFrame({"t": base.loc[seen, "trader"], "h": base.loc[seen, "hs6"]}).dropna()
    trader_hs: dict[str, dict[str, float]] = {}
    for (t, h), n in th.groupby(["t", "h"]).size().items():
        trader_hs.setdefault(t, {})[h] = float(n)
    net = network_snapshot(base, lab, prior, as_of, as_of) if feature_set == "network" else pd.DataFrame()
    reg = {}
    if not frames.parties.empty and frames.parties["registered_on"].notna().any():
        reg = pd.to_datetime(frames.parties.set_index("key")["registered_on"]).dropna().to_dict()
    model = AssessmentModel(
        booster_text=booster.model_to_string(), features=list(X.columns), categorical=categorical, prior=prior,
        as_of=as_of, norms=norms, groups=groups, trader_hs=trader_hs, network=net, registered_on=reg,
        thresholds={}, lane_rates={}, feature_set=feature_set,
        metrics={"fit_items": int(past.sum()), "rounds": int(rounds), "prior": prior, "tune_auc": tune_auc},
        cover_profiles=_cover_profiles(frames, as_of),
    )
    if can_tune:
        return Trained(model, X, base, tu.to_numpy(), tried[chosen]["scores"], ytu, past.to_numpy())
    return Trained(model, X, base, None, None, None, past.to_numpy())


def finish(t: Trained, party_risk: pd.Series | None, *, red_share: float = 0.05,
           yellow_share: float = 0.15) -> AssessmentModel:
    """The lane thresholds and the expected rate per lane: cut on the score the items will get, the
    model's with the parties' network risk (noisy-OR). That risk is computed from all offences, so
    the tuning period's lane rates are optimistic where the network decides; the thresholds
    themselves need no labels. Without a tuning period, cut on the fitted items."""
    m = t.model
    if t.tune is not None:
        net_tu, _ = party_network(t.base[t.tune], party_risk)
        scores = _combine(t.tune_scores, net_tu, np.zeros(len(net_tu)), NETWORK_WEIGHT, COVER_WEIGHT)
        m.thresholds = lane_thresholds(scores, red_share=red_share, yellow_share=yellow_share)
        lane = np.where(scores >= m.thresholds["red"], "red",
                        np.where(scores >= m.thresholds["yellow"], "yellow", "green"))
        m.lane_rates = {ln: float(t.tune_y[lane == ln].mean()) if (lane == ln).any() else float("nan")
                        for ln in ("red", "yellow", "green")}
    else:
        net_past, _ = party_network(t.base[t.past], party_risk)
        scores = _combine(m.booster.predict(t.X[t.past]), net_past, np.zeros(len(net_past)), NETWORK_WEIGHT,
                          COVER_WEIGHT)
        m.thresholds = lane_thresholds(scores, red_share=red_share, yellow_share=yellow_share)
    return m


def _cover_profiles(frames, as_of) -> list[dict]:
    from graph.declarations.cover import cover_profiles

    return cover_profiles(frames, as_of=as_of)


# --------------------------------------------------------------------------- scoring

def _combine(p_model: np.ndarray, party_net: np.ndarray, cover: np.ndarray, network_weight: float,
             cover_weight: float) -> np.ndarray:
    """Noisy-OR of the model's probability with the parties' network risk and the cover score."""
    keep = (1 - p_model) * (1 - network_weight * np.nan_to_num(party_net)) \
        * (1 - cover_weight * np.nan_to_num(cover))
    return 1 - keep


def party_network(base: pd.DataFrame, party_risk: pd.Series | None) -> tuple[np.ndarray, np.ndarray]:
    """Per item, the stored network risk of its riskiest party, and that party's key."""
    net = np.zeros(len(base))
    who = np.array([None] * len(base), dtype=object)
    if party_risk is not None and len(party_risk):
        for r in ROLES:
            v = base[r].map(party_risk).astype(float).fillna(0.0).to_numpy()
            better = v > net
            who[better] = base[r].to_numpy(dtype=object)[better]
            net = np.maximum(net, v)
    return net, who


def _lane(score: float, model: AssessmentModel) -> str:
    return "red" if score >= model.thresholds["red"] else "yellow" if score >= model.thresholds["yellow"] else "green"


def _reasons(x: dict, contrib: np.ndarray, names: list[str], extra: list[dict], top: int = 5) -> list[dict]:
    order = np.argsort(-contrib)
    out = []
    for j in order[:top]:
        if contrib[j] <= 0:
            break
        f = names[j]
        v = x[f]
        out.append({"feature": f, "value": None if pd.isna(v) else (v if isinstance(v, str) else round(float(v), 4)),
                    "contribution": round(float(contrib[j]), 4),
                    "doc": FEATURE_DOCS.get(f, _doc(f))})
    return out + extra


def _doc(f: str) -> str:
    if f.startswith("rate_"):
        return f"past hit rate of the item's {f[5:]} (earlier outcomes only)"
    if f.startswith("nb_"):
        return f"risk propagated to the {f[3:]} from past violations of its co-parties (2 hops)"
    return f


def path_table(booster) -> tuple[np.ndarray, float]:
    """Per tree and leaf, the contribution of each feature along the leaf's decision path, and the
    bias (sum of the roots' values). At every split the change of the expected value from the node
    to the child taken is credited to the split feature (Saabas' decomposition, as in
    `treeinterpreter`): bias + the contributions of a row's leaves equal its raw score exactly.

    Why not SHAP (`pred_contrib`): TreeSHAP cost ~0.45 ms per item on this model (measured, 80
    trees), 45 s for the 200k yellow and red items of a 1M store; this is a gather per tree.
    """
    trees = booster.dump_model()["tree_info"]
    n_feat = booster.num_feature()
    table = np.zeros((len(trees), max(t["num_leaves"] for t in trees), n_feat))
    bias = 0.0
    for ti, tree in enumerate(trees):
        root = tree["tree_structure"]
        if "leaf_value" in root:  # a tree of one leaf
            bias += float(root["leaf_value"])
            continue
        bias += float(root["internal_value"])
        stack = [(root, np.zeros(n_feat))]
        while stack:
            node, acc = stack.pop()
            v = float(node["internal_value"])
            for side in ("left_child", "right_child"):
                child = node[side]
                cv = float(child["leaf_value"] if "leaf_value" in child else child["internal_value"])
                a = acc.copy()
                a[node["split_feature"]] += cv - v
                if "leaf_value" in child:
                    table[ti, child.get("leaf_index", 0)] = a
                else:
                    stack.append((child, a))
    return table, bias


def contributions(model: AssessmentModel, X) -> np.ndarray:
    """Per row and feature, the contribution to the model's log-odds (see `path_table`)."""
    table, _ = model.paths
    leaves = model.booster.predict(X, pred_leaf=True, num_threads=NUM_THREADS)
    leaves = np.asarray(leaves, dtype=np.int64).reshape(len(leaves), -1)
    out = np.zeros((len(leaves), table.shape[2]))
    for t in range(leaves.shape[1]):
        out += table[t, leaves[:, t]]
    return out


def assess_all(frames, party_risk: pd.Series | None, model: AssessmentModel, *,
               cover: pd.DataFrame | None = None, with_reasons: bool = True,
               features: pd.DataFrame | None = None) -> pd.DataFrame:
    """Score every item of `frames` (time-respecting features, as in training).

    `cover` is the output of `graph.declarations.cover.flag_cover_items` (key, score, suspected_hs);
    `features` the encoded frame `fit(..., with_features=True)` returned for the same frames.
    Returns key, assessment_score, model_score, lane, assessment_reasons (list of dicts). Reasons
    are given for the items in the yellow and red lanes, the ones somebody will look at; green
    items carry their score and lane (building reason records for a million items in Python
    would cost more than the rest of the assessment).
    """
    d = frames.declarations
    if d.empty:
        return pd.DataFrame(columns=["key", "assessment_score", "model_score", "lane", "assessment_reasons"])
    if features is not None and len(features) == len(d) and list(features.columns) == model.features:
        X = features
    else:
        lab = labels(frames)
        X, _ = feature_frame(frames, lab, model.prior, model.norms, feature_set=model.feature_set,
                             horizon=None, extra_categoricals=tuple(c for c in model.categorical
                                                                   if c not in ("hs2", "transport_mode",
                                                                                "origin_country", "dispatch_country")))
        X = _encode(X.reindex(columns=model.features), model.categorical)
    p = model.booster.predict(X, num_threads=NUM_THREADS)
    net, who = party_network(_base(d), party_risk)
    cov = np.zeros(len(d))
    cov_hs = pd.Series(dtype=object)
    if cover is not None and not cover.empty:
        cs = cover.set_index("key")
        cov = d["key"].map(cs["score"]).astype(float).fillna(0.0).to_numpy()
        cov_hs = cs["suspected_hs"]
    score = _combine(p, net, cov, model.network_weight, model.cover_weight)
    lanes = np.where(score >= model.thresholds["red"], "red", np.where(score >= model.thresholds["yellow"], "yellow",
                                                                        "green"))
    out = pd.DataFrame({"key": d["key"].values, "assessment_score": np.round(score, 5),
                        "model_score": np.round(p, 5), "lane": lanes})
    reasons: list[list[dict]] = [[] for _ in range(len(d))]
    look = np.flatnonzero(lanes != "green") if with_reasons else np.zeros(0, dtype=np.int64)
    if len(look):
        contrib = contributions(model, X.iloc[look])
        names = list(X.columns)
        recs = X.iloc[look].to_dict("records")
        for j, i in enumerate(look):
            extra = []
            if net[i] > 0:
                extra.append({"feature": "party_network_risk", "value": round(float(net[i]), 4), "party": who[i],
                              "doc": "stored network risk of the riskiest party on the item (noisy-OR)"})
            if cov[i] > 0:
                extra.append({"feature": "cover_item", "value": round(float(cov[i]), 4),
                              "suspected_hs": cov_hs.get(d["key"].iat[i]),
                              "doc": "declared code is a known cover; evidence fits the suspected goods"})
            reasons[i] = _reasons(recs[j], contrib[j], names, extra)
    out["assessment_reasons"] = reasons
    return out


def _num(v) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return float("nan")
    return x


def _str(v) -> str | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v == "" else str(v)


def _row_vector(row: dict, model: AssessmentModel) -> tuple[np.ndarray, dict]:
    """The features of one posted item from the model's tables, as the booster's input row.

    Plain Python and dict lookups (no pandas): about a tenth of a millisecond. The values follow
    `own_features`, `novelty_features`, `history_features`, `experience_features` and
    `network_features` exactly (a test checks the two paths agree).
    """
    nan = float("nan")
    value, rate = _num(row.get("customs_value")), _num(row.get("duty_rate"))
    net, gross = _num(row.get("net_mass_kg")), _num(row.get("gross_mass_kg"))
    mass = net if net > 0 else gross if gross > 0 else nan
    digits = "".join(ch for ch in str(row.get("hs_code") or "") if ch.isdigit())
    hs6, hs4, hs2 = (digits[:k] if len(digits) >= k else None for k in (6, 4, 2))
    origin, dispatch, mode = _str(row.get("origin_country")), _str(row.get("dispatch_country")), \
        _str(row.get("transport_mode"))
    route = _str(row.get("route")) or f"{origin or ''}|{dispatch or ''}|{mode or ''}"
    date = pd.Timestamp(row.get("date")) if row.get("date") is not None else model.as_of
    parties = {r: _str(row.get(r)) for r in ROLES}
    trader = parties["consignee"] or parties["declarant"]
    f: dict[str, Any] = {}
    f["log_value"] = math.log1p(max(value, 0.0)) if not math.isnan(value) else nan
    f["log_mass"] = math.log1p(mass) if not math.isnan(mass) else nan
    luv = math.log(value / mass) if value > 0 and mass > 0 else nan
    f["log_uv"] = luv
    if hs6 is not None and hs6 in model.norms.index:
        f["uv_z"] = (luv - float(model.norms.at[hs6, "median"])) / float(model.norms.at[hs6, "scale"])
    else:
        f["uv_z"] = nan
    f["duty_rate"] = rate
    f["log_duty"] = math.log1p(max(value * rate / 100.0, 0.0)) if not (math.isnan(value) or math.isnan(rate)) else nan
    f["origin_is_dispatch"] = float(origin == dispatch) if origin and dispatch else nan
    reg = model.registered_on.get(parties["declarant"]) if parties["declarant"] else None
    f["declarant_age_days"] = float((date - reg).days) if reg is not None else nan
    hist = model.trader_hs.get(trader, {}) if trader else {}
    n = float(sum(hist.values()))
    ns = float(hist.get(hs6, 0.0)) if hs6 else 0.0
    f["trader_prior_n"] = math.log1p(n)
    f["hs_prior_share"] = ns / n if n > 0 else nan
    f["hs_new"] = float(n >= 5 and ns == 0)
    keys = {"hs6": hs6, "hs4": hs4, "origin_country": origin, "dispatch_country": dispatch, "route": route, **parties}
    for gcol, v in keys.items():
        nn, pp = model.groups.get(gcol, {}).get(v, (0.0, 0.0)) if v else (0.0, 0.0)
        f[f"rate_{gcol}"] = (pp + SMOOTH * model.prior) / (nn + SMOOTH)
    net_tab = model.network_dict
    for r in ROLES:
        v = parties[r]
        f[f"nb_{r}"] = net_tab.get(v, (nan, nan))[0] if v else nan
    cats = {"hs2": hs2, "transport_mode": mode, "origin_country": origin, "dispatch_country": dispatch}
    vec = np.empty((1, len(model.features)))
    shown: dict[str, Any] = {}
    for j, name in enumerate(model.features):
        if name in model.categorical:
            v = cats.get(name, _str(row.get(name)))
            code = model.category_index[name].get(v) if v is not None else None
            vec[0, j] = float(code) if code is not None else nan
            shown[name] = v
        else:
            vec[0, j] = f.get(name, nan)
            shown[name] = vec[0, j]
    return vec, shown


class Assessor:
    """Scores one posted declaration item in about a millisecond from stored state.

    The model and its tables are loaded once (`Assessor.load`); per request only the parties'
    stored `risk_score` is read, by one small named query (`assess.party_risk`).
    """

    def __init__(self, model: AssessmentModel, store=None, *, source: str | None = None):
        self.model = model
        self.store = store
        self.source = source

    @classmethod
    def load(cls, store, settings, *, source: str | None = None) -> Assessor:
        path = Path(settings.data_dir) / "models" / MODEL_FILE
        if not path.exists():
            raise FileNotFoundError(f"no assessment model at {path}: run the analytics (tamga score) first")
        return cls(AssessmentModel.load(path), store, source=source)

    def _keys(self, row: dict) -> dict:
        """Party keys (source:party_id) from contract columns (`declarant_id` ...) or keys given."""
        src = row.get("source") or self.source
        out = dict(row)
        for r in ROLES:
            if out.get(r) is None and row.get(f"{r}_id") not in (None, ""):
                pid = str(row[f"{r}_id"])
                out[r] = schema.node_key(src, pid) if src else pid
        return out

    def party_risk(self, keys: list[str]) -> dict[str, float]:
        if self.store is None or not keys:
            return {}
        rows = self.store.run("assess.party_risk", keys=keys)
        return {r["key"]: float(r["risk_score"]) for r in rows if r.get("risk_score") is not None}

    def assess(self, row: dict, *, cover_score: float | None = None) -> dict:
        """Score one item given as data-contract columns. Returns score, model_score, lane, reasons."""
        row = self._keys(row)
        X, shown = _row_vector(row, self.model)
        p = float(self.model.booster.predict(X, num_threads=1)[0])
        keys = [row[r] for r in ROLES if row.get(r)]
        pr = self.party_risk(keys)
        who, net = max(pr.items(), key=lambda kv: kv[1]) if pr else (None, 0.0)
        cov_info = None
        if cover_score is None and self.model.cover_profiles:
            from graph.declarations.cover import cover_score_one

            net_kg = _num(row.get("net_mass_kg"))
            mass = net_kg if net_kg > 0 else _num(row.get("gross_mass_kg"))
            cov_info = cover_score_one(row.get("hs_code"), row.get("customs_value"), mass, keys,
                                       self.model.cover_profiles)
            cover_score = cov_info["score"] if cov_info and cov_info["score"] >= 0.5 else None
        cov = float(cover_score or 0.0)
        score = float(_combine(np.array([p]), np.array([net]), np.array([cov]), self.model.network_weight,
                               self.model.cover_weight)[0])
        contrib = contributions(self.model, X)[0]
        extra = []
        if net > 0:
            extra.append({"feature": "party_network_risk", "value": round(net, 4), "party": who,
                          "doc": "stored network risk of the riskiest party on the item (noisy-OR)"})
        if cov > 0:
            extra.append({"feature": "cover_item", "value": round(cov, 4),
                          "suspected_hs": cov_info["suspected_hs"] if cov_info else None,
                          "detail": cov_info["detail"] if cov_info else None,
                          "doc": "declared code is a known cover; evidence fits the suspected goods"})
        return {"score": round(score, 5), "model_score": round(p, 5), "lane": _lane(score, self.model),
                "expected_rate": self.model.lane_rates.get(_lane(score, self.model)),
                "reasons": _reasons(shown, contrib, self.model.features, extra)}


def save_model(model: AssessmentModel, settings) -> Path:
    """Persist the model under `settings.data_dir/models/` (where `Assessor.load` finds it)."""
    return model.save(Path(settings.data_dir) / "models" / MODEL_FILE)
