"""Shared statistics of the analytics, each written once: robust location and scale, degree
damping, noisy-OR.

They were copied into the modules that used them, with small differences nobody chose. The
differences that are chosen stay as parameters, and each caller says why its value differs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: 1.4826 * MAD estimates the standard deviation of a normal sample (robust scale)
MAD_TO_SD = 1.4826


def weighted_median(x: np.ndarray, w: np.ndarray) -> float:
    """The lower weighted median (the first value at which half of the weight is reached)."""
    o = np.argsort(x, kind="stable")
    cw = np.cumsum(w[o])
    return float(x[o][np.searchsorted(cw, cw[-1] / 2.0)])


def median_scale(x: np.ndarray, w: np.ndarray | None = None, *, floor: float) -> tuple[float, float]:
    """Weighted median and robust scale (MAD_TO_SD x weighted MAD, at least `floor`) of the present
    values of `x`; (NaN, NaN) when none is present."""
    x = np.asarray(x, float)
    ok = ~np.isnan(x)
    x = x[ok]
    w = np.ones_like(x) if w is None else np.asarray(w, float)[ok]
    if len(x) == 0:
        return np.nan, np.nan
    med = weighted_median(x, w)
    mad = weighted_median(np.abs(x - med), w)
    return med, max(MAD_TO_SD * mad, floor)


def grouped_median_scale(x: pd.Series, groups: pd.Series, *, floor: float) -> pd.DataFrame:
    """Per group of the rows where both are present: n, median and robust scale (MAD_TO_SD x MAD,
    at least `floor`). The median is pandas' (the mean of the middle two of an even count), where
    `median_scale` takes the lower one: the per-code norms were always pandas'."""
    df = pd.DataFrame({"g": groups, "x": x}).dropna()
    if df.empty:
        return pd.DataFrame(columns=["n", "median", "scale"])
    g = df.groupby("g")["x"]
    med = g.median()
    mad = (df["x"] - df["g"].map(med)).abs().groupby(df["g"]).median()
    return pd.DataFrame({"n": g.size(), "median": med, "scale": np.maximum(MAD_TO_SD * mad, floor)})


def damping(degree: np.ndarray | float, knee: float) -> np.ndarray:
    """How much a value shared by `degree` holders still says: 1 / (1 + ((degree - 1) / knee)^2),
    1 for one holder, close to 1 for two, one half at knee + 1, near 0 far beyond the knee.

    The knee is the caller's: it says how many holders a value may have before it stops being
    evidence, which differs between record linkage and group finding (see their settings).
    """
    d = np.maximum(np.asarray(degree, dtype=np.float64), 1.0)
    return 1.0 / (1.0 + ((d - 1.0) / knee) ** 2)


def noisy_or(*probabilities: np.ndarray) -> np.ndarray:
    """1 - prod(1 - p): the chance that at least one of independent causes fires."""
    keep = 1 - np.asarray(probabilities[0], float)
    for p in probabilities[1:]:
        keep = keep * (1 - np.asarray(p, float))
    return 1 - keep


def noisy_or_all(p: np.ndarray) -> float:
    """`noisy_or` of the values of one array."""
    return float(1.0 - np.prod(1.0 - np.asarray(p, float)))


def earlier_in_group(group: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Per row: how many rows of its group (integer codes) have a strictly earlier `day` (int64; rows of
    one day do not see each other). One sort by (group, day): the count is where the row's (group, day)
    run starts minus where its group's starts (in place of a groupby, cumsum and merge per key, or of
    sorting the rows twice over as queries and events)."""
    if len(group) == 0:
        return np.zeros(0, dtype=np.int64)
    order = group_time_order(group, day)
    g, d = group[order], day[order]
    at = np.arange(len(g))
    new_group = np.r_[True, g[1:] != g[:-1]]
    new_day = new_group | np.r_[True, d[1:] != d[:-1]]
    group_start = np.maximum.accumulate(np.where(new_group, at, 0))
    day_start = np.maximum.accumulate(np.where(new_day, at, 0))
    out = np.empty(len(g), dtype=np.int64)
    out[order] = day_start - group_start
    return out


def group_time_order(group: np.ndarray, time: np.ndarray, kind: np.ndarray | None = None) -> np.ndarray:
    """The order by group, then time (int64), then `kind` (0 or 1) if given: one argsort of a single
    int64 key where the times (in steps of their greatest common divisor: a day for dates) fit beside
    the groups, else a lexsort (about 3x slower). NaT (int64's minimum) always takes the lexsort."""
    if len(time) == 0:
        return np.zeros(0, dtype=np.int64)
    lo = int(time.min())
    if lo > np.iinfo(np.int64).min:
        dt = time - lo
        step = int(np.gcd.reduce(dt)) or 1
        span = int(dt.max()) // step + 1
        if (int(np.abs(group).max()) + 1) * span * 2 < 2**62:
            key = group.astype(np.int64) * span + dt // step
            return np.argsort(key if kind is None else key * 2 + kind, kind="stable")
    return np.lexsort((time, group) if kind is None else (kind, time, group))


def role_codes(d: pd.DataFrame, roles: Sequence[str]) -> tuple[np.ndarray, pd.Index]:
    """The party keys in the `roles` columns of `d` as one set of integer codes: an array of shape
    (len(roles), len(d)), -1 for no party, and the keys (in order of first appearance over the
    roles).

    One factorize over the columns as the frame holds them (Arrow strings: pyarrow's dictionary
    encoding): turning each 1M-item column into Python strings first cost ~0.3 s a role."""
    if not roles:
        return np.zeros((0, len(d)), np.int64), pd.Index([], dtype=object)
    codes, keys = pd.factorize(pd.concat([d[r] for r in roles], ignore_index=True))
    return codes.reshape(len(roles), len(d)), pd.Index(keys)
