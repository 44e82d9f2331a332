"""Random selection, rates with their confidence intervals, and compliance against the tolerance level.

Why random picks: the lanes send the items the model and the profiles suspect to inspection, so the
inspection results of those items say how good the selection is, not how compliant the trade is. A
minimum share of each lane drawn at random (ASYCUDA's minimum random rate; WCO: an unbiased control
sample) gives results that estimate the true compliance rate, per risk area and per trader category,
and the baseline hit rate a profile has to beat.

The draw: each item's uniform number is a seeded hash of its key (`pd.util.hash_pandas_object` with
the seed as hash key), so the same item is picked or not on every run of the same seed (a re-run
changes nothing, a new item shifts no other item's draw), and whether an item is picked does not
depend on its score within its lane: the picks are a uniform sample of each lane.

Intervals: Wilson's score interval (good coverage down to small n, never outside [0, 1]) and, for the
exact test, Clopper-Pearson's; `tests/graph/declarations/test_selection.py` checks both with hypothesis.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import beta, norm

from graph.domain.reasons import Evidence, Reason

RANDOM_FEATURE = "random_selection"
#: the risk areas compliance is estimated for: the column of the items frame, and its plain name
AREAS: dict[str, str] = {"lane": "lane drawn from", "hs_chapter": "HS chapter", "origin_country": "origin",
                         "border_post": "border post", "category": "trader category"}
_LANE_RANK = {"green": 0, "blue": 1, "yellow": 2, "red": 3}


def uniforms(keys: pd.Series | np.ndarray | list, seed: int) -> np.ndarray:
    """One number in [0, 1) per key, a seeded hash of the key (the same key and seed: the same number)."""
    # a Series is hashed as it is (Arrow strings: pandas hashes their dictionary); the same numbers
    # as from Python strings, without turning a million keys into Python objects first
    s = (keys.reset_index(drop=True) if isinstance(keys, pd.Series)
         else pd.Series(np.asarray(keys, dtype=object))).astype(str)
    hash_key = f"{int(seed) % 10**16:016d}"
    h = pd.util.hash_pandas_object(s, index=False, hash_key=hash_key).to_numpy(dtype=np.uint64)
    return (h >> np.uint64(11)).astype(np.float64) * 2.0**-53


def random_picks(keys, lanes, shares: Mapping[str, float], seed: int) -> np.ndarray:
    """Per item: drawn at random for inspection (its uniform number below its lane's share)."""
    lane = pd.Series(np.asarray(lanes, dtype=object)).fillna("green").astype(str)
    share = lane.map(dict(shares)).astype(float).fillna(0.0).to_numpy(dtype=float)
    if not (share > 0).any():
        return np.zeros(len(lane), dtype=bool)
    return uniforms(keys, seed) < share


def apply_random(assessment: pd.DataFrame, shares: Mapping[str, float], seed: int,
                 lane_to: str = "red") -> pd.DataFrame:
    """Mark the random picks of a scoring run's assessment (key, lane, assessment_reasons) in place:
    `random` True, the lane raised to `lane_to` (never lowered), a "random selection" reason appended.
    Returns the frame."""
    lanes = assessment["lane"].to_numpy(dtype=object)
    picked = random_picks(assessment["key"], lanes, shares, seed)
    assessment["random"] = picked
    if not picked.any():
        return assessment
    rows = np.flatnonzero(picked)
    reasons = list(assessment["assessment_reasons"])
    new_lanes = lanes.copy()
    for i in rows:
        drawn_in = str(lanes[i] or "green")
        share = float(shares.get(drawn_in, 0.0))
        reasons[i] = list(reasons[i] or []) + [Reason(
            feature=RANDOM_FEATURE, value=drawn_in,
            detail=f"random selection: drawn at random from the {drawn_in} lane (share {share:.2%}, seed "
                   f"{seed}) so that inspection results estimate the true compliance rate",
            evidence=(Evidence("item", str(assessment["key"].iat[i])),)).as_dict()]
        if _LANE_RANK.get(lane_to, 3) > _LANE_RANK.get(drawn_in, 0):
            new_lanes[i] = lane_to
    assessment["lane"] = new_lanes
    assessment["assessment_reasons"] = reasons
    return assessment


# --------------------------------------------------------------------------- intervals

def _z(confidence: float) -> float:
    return float(norm.ppf(1.0 - (1.0 - confidence) / 2.0))


def wilson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion k/n; (0, 1) when n is 0 (nothing known)."""
    if n <= 0:
        return 0.0, 1.0
    z = _z(confidence)
    p = k / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(max(p * (1 - p) / n + z * z / (4 * n * n), 0.0)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def clopper_pearson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Clopper-Pearson (exact) interval of a proportion k/n; (0, 1) when n is 0."""
    if n <= 0:
        return 0.0, 1.0
    a = 1.0 - confidence
    low = 0.0 if k == 0 else float(beta.ppf(a / 2, k, n - k + 1))
    high = 1.0 if k == n else float(beta.ppf(1 - a / 2, k + 1, n - k))
    return low, high


def rate(k: int, n: int, confidence: float = 0.95) -> dict[str, Any]:
    """k of n as a rate with its Wilson interval (rate None when n is 0)."""
    low, high = wilson(k, n, confidence)
    return {"rate": round(k / n, 6) if n else None, "low": round(low, 6), "high": round(high, 6)}


# --------------------------------------------------------------------------- compliance

def tolerance_status(low: float, high: float, tolerance: float, n: int) -> str:
    """Where an area stands against the tolerance level: below it (the whole interval under it), within
    it (the whole interval at or above it), or undetermined (the interval straddles it, or no picks)."""
    if n == 0:
        return "no random inspections"
    if high < tolerance:
        return "below tolerance"
    if low >= tolerance:
        return "within tolerance"
    return "undetermined"


def compliance(items: pd.DataFrame, *, tolerance: float = 0.95, confidence: float = 0.95,
               areas: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The estimated compliance level per risk area from the random picks' inspection results.

    `items`: one row per item with `random` (bool), `inspection_result` (clear / violation / None) and
    the area columns (`AREAS`; a missing column is skipped). Only random picks with a result count.
    Returns area, value, random_inspected, violations, compliance, low, high (Wilson), tolerance,
    status; the first row is the whole (area "all"): the compliance of the lanes sampled, in the
    proportions of their shares (of all trade when every lane has the same share; of the green lane
    alone under the default shares, and the "lane" rows say which lane each estimate is of).
    """
    areas = AREAS if areas is None else areas
    res = items["inspection_result"].astype(object)
    sample = items[items["random"].fillna(False).astype(bool) & res.isin(["clear", "violation"])]
    viol = (sample["inspection_result"] == "violation").astype(int)
    rows = []

    def row(area: str, value: Any, n: int, v: int) -> dict[str, Any]:
        low, high = wilson(n - v, n, confidence)
        return {"area": area, "value": value, "random_inspected": n, "violations": v,
                "compliance": round((n - v) / n, 6) if n else None, "low": round(low, 6),
                "high": round(high, 6), "tolerance": tolerance,
                "status": tolerance_status(low, high, tolerance, n)}

    rows.append(row("all", "all", len(sample), int(viol.sum())))
    for col in areas:
        if col not in sample:
            continue
        g = pd.DataFrame({"v": viol, "x": sample[col].astype(object).fillna("unknown")}).groupby("x")["v"]
        for value, n, v in zip(g.size().index, g.size().to_numpy(), g.sum().to_numpy(), strict=True):
            rows.append(row(col, str(value), int(n), int(v)))
    return pd.DataFrame(rows, columns=["area", "value", "random_inspected", "violations", "compliance", "low",
                                       "high", "tolerance", "status"])
