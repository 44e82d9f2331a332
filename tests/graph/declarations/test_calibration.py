"""Calibration: scores become the hit rate past inspections showed, comparable across runs (issue 12)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers_declarations import labelled_world
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.declarations import assessment as A
from graph.declarations.assessment.calibration import (
    MIN_LABELS,
    calibrate,
    cross_fitted,
    fit_calibration,
    reliability,
)


def _labelled(seed: int, n: int, power: float) -> tuple[np.ndarray, np.ndarray]:
    """Scores whose true hit rate is score**power: a run whose scale differs from another's."""
    rng = np.random.default_rng(seed)
    s = rng.random(n)
    return s, (rng.random(n) < s ** power).astype(float)


def test_calibrated_rates_match_the_observed_hit_rate_out_of_sample():
    s, y = _labelled(1, 20000, 3.0)  # raw score 0.5 means a 12.5 % hit rate here
    knots = fit_calibration(s, y)
    s2, y2 = _labelled(2, 20000, 3.0)
    rel = reliability(calibrate(knots, s2), y2)
    assert rel.attrs["ece"] < 0.02, rel
    assert (rel["predicted"] - rel["observed"]).abs().max() < 0.05
    assert reliability(s2, y2).attrs["ece"] > 0.15  # the raw scores were far off


def test_two_runs_of_different_scale_agree_after_calibration():
    """Same items, two runs whose raw scores differ (a monotone rescale): the same hit rates."""
    s, y = _labelled(3, 10000, 2.0)
    a = calibrate(fit_calibration(s, y), s)
    b = calibrate(fit_calibration(s ** 4, y), s ** 4)
    assert np.allclose(a, b, atol=1e-9)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.integers(MIN_LABELS, 400))
def test_knots_are_monotone_rates(seed, n):
    s, y = _labelled(seed, n, 1.5)
    knots = fit_calibration(s, y)
    if len(np.unique(y)) < 2:
        assert knots == []
        return
    rates = np.array([k[1] for k in knots])
    assert np.all(np.diff(rates) >= -1e-12) and rates.min() >= 0 and rates.max() <= 1
    p = calibrate(knots, np.linspace(-1, 2, 50))
    assert np.all(np.diff(p) >= -1e-12)


def test_too_few_labels_claim_no_calibration():
    assert fit_calibration(np.arange(10.0), np.r_[np.zeros(5), np.ones(5)]) == []
    assert np.isnan(calibrate([], np.array([0.3]))).all()


def test_cross_fitted_maps_each_half_by_the_other():
    s, y = _labelled(4, 4000, 2.0)
    dates = pd.Series(pd.date_range("2021-01-01", periods=len(s), freq="h"))
    p = cross_fitted(s, y, dates)
    first = dates < dates.iloc[len(s) // 2]
    assert not np.isnan(p).any()
    want = calibrate(fit_calibration(s[~first.to_numpy()], y[~first.to_numpy()]), s[first.to_numpy()])
    assert np.allclose(p[first.to_numpy()], want)


def test_the_assessment_model_reports_a_calibrated_hit_rate():
    world = labelled_world(11)
    model = A.fit(world, None, as_of="2024-07-01")
    assert model.calibration, "the tuning period has labels: the model carries isotonic knots"
    a = A.Assessor(model)
    row = world.declarations.iloc[0]
    got = a.assess({c: row[c] for c in ("date", "hs_code", "customs_value", "net_mass_kg", "duty_rate",
                                        "origin_country", "dispatch_country", "transport_mode")})
    want = float(calibrate(model.calibration, np.array([got["score"]]))[0])
    assert got["hit_rate"] == pytest.approx(want, abs=1e-4)
    assert 0.0 <= got["hit_rate"] <= 1.0
