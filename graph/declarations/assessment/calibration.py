"""Calibration: a score turned into the hit rate past inspections showed at that score (issue 12).

Why: a raw model score depends on the run (world size, base rate, rounds of boosting), so 0.4 in
one run is not 0.4 in another. An isotonic map, fitted on the inspected items of a period the model
did not train on (its tuning period), turns the score into "share of such items found with an
offence", comparable across runs and worlds. Isotonic rather than Platt: it assumes only that a
higher score never means a lower hit rate, and a tuning period has thousands of labels.

The map is stored as knots (score, rate) and applied by linear interpolation, so the single posted
item and the batch read the same numbers without sklearn at scoring time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: fewer labelled items than this, or a single class: no calibration (the identity is not claimed)
MIN_LABELS = 50


def fit_calibration(scores: np.ndarray, y: np.ndarray) -> list[tuple[float, float]]:
    """Isotonic knots (score, hit rate) from labelled scores; [] when there are too few labels."""
    from sklearn.isotonic import IsotonicRegression

    s, t = np.asarray(scores, float), np.asarray(y, float)
    ok = ~(np.isnan(s) | np.isnan(t))
    s, t = s[ok], t[ok]
    if len(s) < MIN_LABELS or len(np.unique(t)) < 2:
        return []
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(s, t)
    xs, ys = np.asarray(iso.X_thresholds_, float), np.asarray(iso.y_thresholds_, float)
    return [(float(a), float(b)) for a, b in zip(xs, ys, strict=True)]


def calibrate(knots: list[tuple[float, float]], scores: np.ndarray) -> np.ndarray:
    """The hit rate of each score from `fit_calibration`'s knots (NaN where there are none)."""
    s = np.asarray(scores, float)
    if not knots:
        return np.full(s.shape, np.nan)
    xs, ys = np.array([k[0] for k in knots]), np.array([k[1] for k in knots])
    return np.interp(s, xs, ys)


def reliability(p: np.ndarray, y: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """The reliability curve: items binned by predicted hit rate (equal-count bins), per bin the
    mean predicted and the observed hit rate; and the expected calibration error as an attribute."""
    df = pd.DataFrame({"p": np.asarray(p, float), "y": np.asarray(y, float)}).dropna()
    df["bin"] = pd.qcut(df["p"].rank(method="first"), bins, labels=False)
    g = df.groupby("bin")
    out = pd.DataFrame({"items": g.size(), "predicted": g["p"].mean(), "observed": g["y"].mean(),
                        "from": g["p"].min(), "to": g["p"].max()}).reset_index(drop=True)
    out.attrs["ece"] = float((out["items"] * (out["predicted"] - out["observed"]).abs()).sum() / len(df))
    return out


def cross_fitted(scores: np.ndarray, y: np.ndarray, dates: pd.Series, folds: int = 2) -> np.ndarray:
    """Calibrated rates for a labelled period, each fold mapped by knots fitted on the other folds
    (folds are consecutive stretches of time), so a reliability curve is not measured in-sample."""
    order = np.argsort(pd.to_datetime(dates).to_numpy(), kind="stable")
    part = np.empty(len(order), int)
    part[order] = np.arange(len(order)) * folds // len(order)
    out = np.full(len(order), np.nan)
    for f in range(folds):
        knots = fit_calibration(scores[part != f], y[part != f])
        out[part == f] = calibrate(knots, scores[part == f])
    return out
