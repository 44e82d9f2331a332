"""Scoring: every stored item in one batch (`assess_all`, the pipeline) and one posted item from
stored state (`Assessor`, POST /assess, about a millisecond). Both add the parties' network risk
and the cover score to the model's probability as a noisy-OR.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from graph.declarations.assessment.explain import NUM_THREADS, _reasons, contributions, reason_rows
from graph.declarations.assessment.features import _base, _smoothed, labels, novelty_values, value_features
from graph.declarations.assessment.lanes import cut_lanes
from graph.declarations.assessment.model import (
    MODEL_FILE,
    AssessmentModel,
    _encode,
    booster_input,
    feature_frame,
    hit_rate,
)
from graph.domain import schema
from graph.domain.types import HSCode
from graph.domain.vocabulary import PARTY_ROLE_NAMES, Lane, liable_party
from graph.engine.stats import noisy_or, role_codes


def _combine(p_model: np.ndarray, party_net: np.ndarray, cover: np.ndarray, network_weight: float,
             cover_weight: float) -> np.ndarray:
    """Noisy-OR of the model's probability with the parties' network risk and the cover score."""
    return noisy_or(p_model, network_weight * np.nan_to_num(party_net), cover_weight * np.nan_to_num(cover))


def party_network(base: pd.DataFrame, party_risk: pd.Series | None) -> tuple[np.ndarray, np.ndarray]:
    """Per item, the stored network risk of its riskiest party, and that party's key."""
    net = np.zeros(len(base))
    who = np.array([None] * len(base), dtype=object)
    if party_risk is not None and len(party_risk):
        codes, keys = role_codes(base, PARTY_ROLE_NAMES)
        risk = np.append(pd.Series(keys).map(party_risk).astype(float).fillna(0.0).to_numpy(), 0.0)
        names = np.concatenate([keys.to_numpy(dtype=object), np.array([None], dtype=object)])  # -1: none
        for c in codes:
            v = risk[c]
            better = v > net
            who[better] = names[c[better]]
            net = np.maximum(net, v)
    return net, who


def _lane(score: float, model: AssessmentModel) -> str:
    return str(cut_lanes([score], model.thresholds)[0])


def assess_all(frames, party_risk: pd.Series | None, model: AssessmentModel, *,
               cover: pd.DataFrame | None = None, with_reasons: bool = True,
               features: pd.DataFrame | None = None) -> pd.DataFrame:
    """Score every item of `frames` (time-respecting features, as in training).

    `cover` is the output of `graph.declarations.cover.flag_cover_items` (key, score, suspected_hs);
    `features` the encoded frame `train` returned (`Trained.X`) for the same frames.
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
                             horizon=None,
                             extra_categoricals=model.extra_categoricals)
        X = _encode(X.reindex(columns=model.features), model.categorical)
    M = booster_input(X, model.booster)
    p = model.booster.predict(M, num_threads=NUM_THREADS)
    net, who = party_network(_base(d), party_risk)
    cov = np.zeros(len(d))
    cov_hs = pd.Series(dtype=object)
    if cover is not None and not cover.empty:
        cs = cover.set_index("key")
        cov = d["key"].map(cs["score"]).astype(float).fillna(0.0).to_numpy()
        cov_hs = cs["suspected_hs"]
    score = _combine(p, net, cov, model.network_weight, model.cover_weight)
    lanes = cut_lanes(score, model.thresholds)
    out = pd.DataFrame({"key": d["key"].values, "assessment_score": np.round(score, 5),
                        "model_score": np.round(p, 5), "lane": lanes})
    reasons: list[list[dict]] = [[] for _ in range(len(d))]
    look = np.flatnonzero(lanes != Lane.GREEN) if with_reasons else np.zeros(0, dtype=np.int64)
    M = M[look]  # the shown rows only, the 1M-row matrix goes
    if len(look):
        shown = X.iloc[look]
        rows = reason_rows(shown, contributions(model, M))
        for j, i in enumerate(look):
            extra = []
            if net[i] > 0:
                extra.append({"feature": "party_network_risk", "value": round(float(net[i]), 4),
                              "party": who[i],
                              "doc": "stored network risk of the riskiest party on the item (noisy-OR)"})
            if cov[i] > 0:
                extra.append({"feature": "cover_item", "value": round(float(cov[i]), 4),
                              "suspected_hs": cov_hs.get(d["key"].iat[i]),
                              "doc": "declared code is a known cover; evidence fits the suspected goods"})
            reasons[i] = rows[j] + extra
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

    Dict lookups in the model's tables and the batch path's own formulas (`value_features`,
    `novelty_values`, `_smoothed`) on floats, no pandas frame: a fraction of a millisecond. The
    history and network values are the tables' (the batch path counts them over the whole history);
    a test checks the two paths agree.
    """
    nan = float("nan")
    value, rate = _num(row.get("customs_value")), _num(row.get("duty_rate"))
    net, gross = _num(row.get("net_mass_kg")), _num(row.get("gross_mass_kg"))
    mass = net if net > 0 else gross if gross > 0 else nan  # goods.mass_kg
    code = HSCode.clean(row.get("hs_code"))
    hs6, hs4, hs2 = (code[:k] if code is not None else None for k in (6, 4, 2))
    origin, dispatch, mode = _str(row.get("origin_country")), _str(row.get("dispatch_country")), \
        _str(row.get("transport_mode"))
    route = _str(row.get("route")) or f"{origin or ''}|{dispatch or ''}|{mode or ''}"
    date = pd.Timestamp(row.get("date")) if row.get("date") is not None else model.as_of
    parties = {r: _str(row.get(r)) for r in PARTY_ROLE_NAMES}
    trader = liable_party(parties["consignee"], parties["declarant"])
    known = hs6 is not None and hs6 in model.norms.index
    f: dict[str, Any] = value_features(value, mass, rate, float(model.norms.at[hs6, "median"]) if known
                                       else nan,
                                       float(model.norms.at[hs6, "scale"]) if known else nan)
    f["origin_is_dispatch"] = float(origin == dispatch) if origin and dispatch else nan
    reg = model.registered_on.get(parties["declarant"]) if parties["declarant"] else None
    f["declarant_age_days"] = float((date - reg).days) if reg is not None else nan
    hist = model.trader_hs.get(trader, {}) if trader else {}
    f.update(novelty_values(float(sum(hist.values())), float(hist.get(hs6, 0.0)) if hs6 else 0.0))
    keys = {"hs6": hs6, "hs4": hs4, "origin_country": origin, "dispatch_country": dispatch, "route": route,
            **parties}
    for gcol, v in keys.items():
        nn, pp = model.groups.get(gcol, {}).get(v, (0.0, 0.0)) if v else (0.0, 0.0)
        f[f"rate_{gcol}"] = _smoothed(nn, pp, model.prior)
    net_tab = model.network_dict
    for r in PARTY_ROLE_NAMES:
        v = parties[r]
        f[f"nb_{r}"] = net_tab.get(v, (nan, nan))[0] if v else nan
    cats = {"hs2": hs2, "transport_mode": mode, "origin_country": origin, "dispatch_country": dispatch}
    vec = np.empty((1, len(model.features)))
    shown: dict[str, Any] = {}
    for j, name in enumerate(model.features):
        if name in model.categorical:
            v = cats.get(name, _str(row.get(name)))
            level = model.category_index[name].get(v) if v is not None else None
            vec[0, j] = float(level) if level is not None else nan
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

    def with_party_keys(self, row: dict) -> dict:
        """Party keys (source:party_id) from contract columns (`declarant_id` ...) or keys given."""
        src = row.get("source") or self.source
        out = dict(row)
        for r in PARTY_ROLE_NAMES:
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
        row = self.with_party_keys(row)
        X, shown = _row_vector(row, self.model)
        p = float(self.model.booster.predict(X, num_threads=1)[0])
        keys = [row[r] for r in PARTY_ROLE_NAMES if row.get(r)]
        pr = self.party_risk(keys)
        who, net = max(pr.items(), key=lambda kv: kv[1]) if pr else (None, 0.0)
        cov_info = None
        if cover_score is None and self.model.cover_profiles:
            from graph.declarations.cover import cover_score_one

            net_kg = _num(row.get("net_mass_kg"))
            mass = net_kg if net_kg > 0 else _num(row.get("gross_mass_kg"))
            cov_info = cover_score_one(row.get("hs_code"), row.get("customs_value"), mass, keys,
                                       self.model.cover_profiles,
                                       trader=row.get("consignee") or row.get("declarant"))
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
        lane = _lane(score, self.model)
        return {"score": round(score, 5), "model_score": round(p, 5), "lane": lane,
                "expected_rate": self.model.lane_rates.get(lane),
                "hit_rate": _rate(self.model, score),
                "reasons": _reasons(shown, contrib, self.model.features, extra)}


def _rate(model: AssessmentModel, score: float) -> float | None:
    """The calibrated hit rate of one score (`model.hit_rate`), None without a calibration."""
    r = float(hit_rate(model, np.array([score]))[0])
    return None if np.isnan(r) else round(r, 4)
