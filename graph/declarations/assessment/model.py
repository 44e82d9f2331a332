"""The assessment model and its training: the LightGBM booster on the feature frame, the choice
of feature set on a held-out period, the tables that score one posted item, the lane thresholds.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from graph.declarations.assessment.calibration import calibrate
from graph.declarations.assessment.explain import path_table
from graph.declarations.assessment.features import (
    OWN_GROUPS,
    _base,
    history_features,
    label_counts,
    labels,
    novelty_features,
    own_features,
)
from graph.declarations.assessment.lanes import (
    RED_SHARE,
    YELLOW_SHARE,
    cut_thresholds,
)
from graph.declarations.assessment.network import network_features, network_snapshot
from graph.declarations.goods import hs_norms
from graph.domain.vocabulary import PARTY_ROLE_NAMES

MODEL_FILE = "assessment_model.pkl"

#: the stored model's layout and its features' definitions: raise it when either changes, so a
#: model file of the older layout is trained anew instead of scored with (`reuse.stored_model`)
MODEL_VERSION = 2


SEED = 7


#: weights of the parties' stored network risk and of the cover score in the noisy-OR after the model
NETWORK_WEIGHT = 0.5


COVER_WEIGHT = 0.6


LGB_PARAMS = {"objective": "binary", "learning_rate": 0.06, "num_leaves": 31, "min_child_samples": 40,
                  "feature_fraction": 0.7, "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 5.0,
                  "cat_smooth": 20, "cat_l2": 10, "seed": SEED, "deterministic": True, "force_row_wise": True,
                  "num_threads": 1, "verbose": -1}


#: the categorical columns every model has; any other is an extra one given to `train`
BASE_CATEGORICALS = ("hs2", "transport_mode", "origin_country", "dispatch_country")


def feature_frame(frames, lab: pd.DataFrame, prior: float, norms: pd.DataFrame, *,
                  feature_set: str = "network", horizon: pd.Timestamp | None = None,
                  extra_categoricals: tuple[str, ...] = ()) -> tuple[pd.DataFrame, list[str]]:
    """All features for every item of `frames`, time-respecting. feature_set: own | party | network
    (each includes the previous). Returns the frame and the names of its categorical columns."""
    d = frames.declarations
    base = _base(d)
    parts = [own_features(d, base, norms, frames.parties), novelty_features(base),
             history_features(base, lab, prior, OWN_GROUPS, horizon)]
    cats = [*BASE_CATEGORICALS, *extra_categoricals]
    if feature_set in ("party", "network"):
        present = tuple(r for r in PARTY_ROLE_NAMES if base[r].notna().any())
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


def booster_input(X: pd.DataFrame, booster: Any) -> np.ndarray:
    """`X` as the matrix LightGBM builds from a DataFrame at prediction (lightgbm.basic's
    `_data_from_pandas`): categorical columns as their codes in the training categories (-1 as NaN),
    the others as they are, in one dtype. Built once for a run's predictions (the scores and the
    reasons' leaves) and sliced: LightGBM converted the whole frame again on every call (~1.4 s at
    1M items). A test holds the predictions equal to LightGBM's own conversion."""
    trained = iter(getattr(booster, "pandas_categorical", None) or [])
    cols, types = [], []
    for c in X.columns:
        v = X[c]
        if isinstance(v.dtype, pd.CategoricalDtype):
            levels = next(trained, None)
            if levels is not None and list(v.cat.categories) != list(levels):
                v = v.cat.set_categories(levels)
            codes = v.cat.codes.to_numpy()
            v = np.where(codes == -1, np.nan, codes.astype(np.float64))
        else:
            v = v.to_numpy()
        cols.append(v)
        types.append(v.dtype.type)
    out = np.empty((len(X), len(cols)), dtype=np.result_type(*types, np.float32))
    for j, v in enumerate(cols):
        out[:, j] = v
    return out


def feature_columns(columns: list[str], feature_set: str) -> list[str]:
    """The columns of a feature set: own < party (+ parties' past hit rates) < network (+ nb_)."""
    party = {f"rate_{r}" for r in PARTY_ROLE_NAMES}
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
    # graph.declarations.cover.cover_profiles as of `as_of`
    cover_profiles: list[dict] = field(default_factory=list)
    # isotonic knots (score, hit rate) from the tuning period (graph.declarations.assessment.calibration)
    calibration: list[tuple[float, float]] = field(default_factory=list)
    # what the lanes are cut on (`cut_thresholds`): the tuning period's items (their parties, the
    # booster's score, the outcome), or without one the fitted items (no outcome)
    lane_basis: pd.DataFrame | None = None
    version: int = 0  # MODEL_VERSION when trained; 0: a file from before versions
    trained_at: str | None = None  # ISO time (UTC) of the training
    label_counts: dict[str, int] = field(default_factory=dict)  # features.label_counts at training
    _booster: Any = field(default=None, repr=False, compare=False)

    @property
    def extra_categoricals(self) -> tuple[str, ...]:
        """The categorical columns beyond BASE_CATEGORICALS it was trained with (`feature_frame`)."""
        return tuple(c for c in self.categorical if c not in BASE_CATEGORICALS)

    @property
    def network_dict(self) -> dict[str, tuple[float, float]]:
        """party -> (nb_risk, degree), built once."""
        if "_net" not in self.__dict__:
            nt = self.network
            self.__dict__["_net"] = ({} if nt is None or nt.empty else
                                     dict(zip(nt.index, zip(nt["nb_risk"].astype(float),
                                                            nt["degree"].astype(float), strict=True),
                                              strict=True)))
        return self.__dict__["_net"]

    @property
    def category_index(self) -> dict[str, dict[str, int]]:
        """categorical column -> level -> code (the codes pandas gave LightGBM at training)."""
        if "_cat" not in self.__dict__:
            self.__dict__["_cat"] = {c: {v: i for i, v in enumerate(levels)}
                                     for c, levels in self.categorical.items()}
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


def _train(X: pd.DataFrame, y: np.ndarray, Xv: pd.DataFrame | None, yv: np.ndarray | None,
           num_rounds: int = 2000, params: dict | None = None, early_stopping: int = 100):
    import lightgbm as lgb

    p = {**LGB_PARAMS, **(params or {})}
    dtrain = lgb.Dataset(X, y, categorical_feature=[c for c in X
                                                    if isinstance(X[c].dtype, pd.CategoricalDtype)],
                         free_raw_data=False)
    if Xv is None:
        return lgb.train(p, dtrain, num_boost_round=num_rounds)
    dval = lgb.Dataset(Xv, yv, reference=dtrain)
    return lgb.train(p, dtrain, num_boost_round=num_rounds, valid_sets=[dval],
                     callbacks=[lgb.early_stopping(early_stopping, verbose=False)])


def _auc(y: np.ndarray, s: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, s))


def fit(frames, party_risk: pd.Series | None = None, as_of=None, *, feature_set: str = "auto",
        tune_share: float = 0.2, red_share: float = RED_SHARE, yellow_share: float = YELLOW_SHARE,
        extra_categoricals: tuple[str, ...] = (), params: dict | None = None,
        max_rows: int | None = 400_000, max_rounds: int = 2000, early_stopping: int = 100) -> AssessmentModel:
    """Fit the assessment model on labelled items dated before `as_of` (default: the latest date + 1 day):
    `train`, then `finish` with the parties' network risk.

    The last `tune_share` of the fit period (by date) is held out for early stopping, for the
    choice of feature set (`auto`: own, party or network, a richer set only where it beats the
    simpler one on the held-out period: network features must do no harm) and for the lane
    thresholds and rates; the booster is then refitted on the whole fit period with the
    chosen number of rounds. `party_risk` is not a training feature (it is computed from all
    offences and would leak the labels): it only enters the noisy-OR at scoring time.

    `max_rows`, `max_rounds` and `early_stopping` bound the fit on large stores. (The pipeline
    calls `train` and `finish` itself and scores every item with `Trained.X`, the encoded features,
    instead of computing them a second time.)
    """
    t = train(frames, as_of, feature_set=feature_set, tune_share=tune_share,
              extra_categoricals=extra_categoricals,
              params=params, max_rows=max_rows, max_rounds=max_rounds, early_stopping=early_stopping)
    model = finish(t, party_risk, red_share=red_share, yellow_share=yellow_share)
    return model


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
          extra_categoricals: tuple[str, ...] = (), params: dict | None = None,
          max_rows: int | None = 400_000,
          max_rounds: int = 2000, early_stopping: int = 100) -> Trained:
    """Everything of `fit` that needs no network risk: features, the choice of feature set, the
    booster and the scoring tables. The pipeline runs it beside the network analytics."""
    d = frames.declarations
    if d.empty:
        raise ValueError("no declarations to fit on")
    as_of = (pd.Timestamp(as_of) if as_of is not None
             else pd.to_datetime(d["date"]).max() + pd.Timedelta(days=1))
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
    X, cats = feature_frame(frames, lab, prior, norms, feature_set="network" if feature_set == "auto"
                            else feature_set,
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
        b = _train(X.loc[tr, cols], y[tr.to_numpy()], X.loc[tu, cols], ytu, num_rounds=max_rounds,
                   params=params,
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
    for gcol in (*OWN_GROUPS, *PARTY_ROLE_NAMES):
        g = pd.DataFrame({"g": base.loc[ev, gcol], "y": y[ev]}).dropna()
        agg = g.groupby("g")["y"].agg(["size", "sum"])
        groups[gcol] = {k: (float(a), float(b))
                        for k, a, b in zip(agg.index, agg["size"], agg["sum"], strict=True)}
    seen = (dates < as_of).to_numpy()
    th = pd.DataFrame({"t": base.loc[seen, "trader"], "h": base.loc[seen, "hs6"]}).dropna()
    trader_hs: dict[str, dict[str, float]] = {}
    for (t, h), n in th.groupby(["t", "h"]).size().items():
        trader_hs.setdefault(t, {})[h] = float(n)
    net = network_snapshot(base, lab, prior, as_of, as_of) if feature_set == "network" else pd.DataFrame()
    reg = {}
    if not frames.parties.empty and frames.parties["registered_on"].notna().any():
        reg = pd.to_datetime(frames.parties.set_index("key")["registered_on"]).dropna().to_dict()
    from datetime import UTC, datetime

    roles = list(PARTY_ROLE_NAMES)
    if can_tune:
        basis = base.loc[tu, roles].reset_index(drop=True).assign(score=tried[chosen]["scores"], y=ytu)
    else:
        basis = base.loc[past, roles].reset_index(drop=True).assign(
            score=booster.predict(X[past]), y=np.nan)
    model = AssessmentModel(
        booster_text=booster.model_to_string(), features=list(X.columns), categorical=categorical,
        prior=prior,
        as_of=as_of, norms=norms, groups=groups, trader_hs=trader_hs, network=net, registered_on=reg,
        thresholds={}, lane_rates={}, feature_set=feature_set,
        metrics={"fit_items": int(past.sum()), "rounds": int(rounds), "prior": prior, "tune_auc": tune_auc},
        cover_profiles=_cover_profiles(frames, as_of), lane_basis=basis, version=MODEL_VERSION,
        trained_at=datetime.now(UTC).isoformat(timespec="seconds"), label_counts=label_counts(frames),
    )
    if can_tune:
        return Trained(model, X, base, tu.to_numpy(), tried[chosen]["scores"], ytu, past.to_numpy())
    return Trained(model, X, base, None, None, None, past.to_numpy())


def finish(t: Trained, party_risk: pd.Series | None, *, red_share: float = RED_SHARE,
           yellow_share: float = YELLOW_SHARE) -> AssessmentModel:
    """The trained model with its lane thresholds (`cut_thresholds`)."""
    return cut_thresholds(t.model, party_risk, red_share=red_share, yellow_share=yellow_share)


def hit_rate(model: AssessmentModel, scores: np.ndarray) -> np.ndarray:
    """The calibrated hit rate of assessment scores (NaN when the model has no calibration)."""
    return calibrate(model.calibration, scores)


def _cover_profiles(frames, as_of) -> list[dict]:
    from graph.declarations.cover import cover_profiles

    return cover_profiles(frames, as_of=as_of)


def save_model(model: AssessmentModel, settings) -> Path:
    """Persist the model under `settings.data_dir/models/` (where `Assessor.load` finds it)."""
    return model.save(Path(settings.data_dir) / "models" / MODEL_FILE)
