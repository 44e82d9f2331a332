"""The lanes of the assessment: the thresholds that cut about RED_SHARE of the items red and
YELLOW_SHARE yellow, the one place a score becomes a lane, and the thresholds' re-cut on every run
(`cut_thresholds`, which says why it re-cuts). Apart from `model` to keep that module to its training.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from graph.declarations.assessment.calibration import fit_calibration
from graph.domain.vocabulary import PROPOSED_LANES, Lane

if TYPE_CHECKING:
    from graph.declarations.assessment.model import AssessmentModel


#: the shares of items the lanes are cut at by default (about 5 % red, 15 % yellow): also what the
#: risk-areas view compares the lane shares over time with (graph.pipeline.risk_areas)
RED_SHARE = 0.05
YELLOW_SHARE = 0.15


def lane_thresholds(scores: np.ndarray, *, red_share: float = RED_SHARE,
                    yellow_share: float = YELLOW_SHARE) -> dict[str, float]:
    """Score thresholds so that about `red_share` of items go red and `yellow_share` yellow."""
    s = np.sort(np.asarray(scores, float))[::-1]
    if len(s) == 0:
        return {Lane.RED.value: 1.0, Lane.YELLOW.value: 1.0}
    red = s[min(math.ceil(red_share * len(s)) - 1, len(s) - 1)] if red_share > 0 else np.inf
    yel = s[min(math.ceil((red_share + yellow_share) * len(s)) - 1, len(s) - 1)] if yellow_share > 0 else red
    return {Lane.RED.value: float(red), Lane.YELLOW.value: float(min(yel, red))}


def cut_lanes(scores, thresholds: dict[str, float]) -> np.ndarray:
    """The lane of each score: red at or above the red threshold, else yellow at or above the yellow
    one, else green. The one place lanes are cut (training, batch scoring and one posted item)."""
    s = np.asarray(scores, float)
    return np.where(s >= thresholds[Lane.RED], Lane.RED.value,
                    np.where(s >= thresholds[Lane.YELLOW], Lane.YELLOW.value, Lane.GREEN.value))


def cut_thresholds(m: AssessmentModel, party_risk: pd.Series | None, *, red_share: float = RED_SHARE,
                   yellow_share: float = YELLOW_SHARE) -> AssessmentModel:
    """The lane thresholds, the expected rate per lane and the calibration: cut on the score the
    tuning period's items get now, the model's with the parties' network risk (noisy-OR). That risk
    is computed from all offences, so the tuning period's lane rates are optimistic where the network
    decides; the thresholds themselves need no labels. Without a tuning period, cut on the fitted items.

    Re-cut on every run, a reused model's too (`reuse`), rather than reusing the stored thresholds:
    the basis (the tuning period's items and booster scores) is stored with the model and the party
    risk is the run's, so the red and yellow shares customs expect (RED_SHARE, YELLOW_SHARE of the
    basis) hold as the network risk moves from day to day, where fixed thresholds would let the red
    share drift with it; and the same model on the same data cuts exactly the thresholds its
    training run cut, so a rescore gives identical lanes. (Cutting on the day's items instead would
    make a trained run and a reused run on the same data disagree.)"""
    from graph.declarations.assessment.model import COVER_WEIGHT, NETWORK_WEIGHT
    from graph.declarations.assessment.scoring import _combine, party_network

    b = m.lane_basis
    if b is None:
        raise ValueError("the model has no lane basis (a file from before MODEL_VERSION 2)")
    net, _ = party_network(b, party_risk)
    scores = _combine(b["score"].to_numpy(dtype=float), net, np.zeros(len(net)), NETWORK_WEIGHT,
                      COVER_WEIGHT)
    m.thresholds = lane_thresholds(scores, red_share=red_share, yellow_share=yellow_share)
    y = b["y"].to_numpy(dtype=float)
    if len(y) and not np.isnan(y).all():
        lane = cut_lanes(scores, m.thresholds)
        m.lane_rates = {ln: float(y[lane == ln].mean()) if (lane == ln).any() else float("nan")
                        for ln in PROPOSED_LANES}
        m.calibration = fit_calibration(scores, y)
    return m
