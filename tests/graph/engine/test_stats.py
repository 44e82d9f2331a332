"""The shared statistics: robust location/scale (weighted and per group), damping, noisy-OR."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.engine.stats import (
    MAD_TO_SD,
    damping,
    grouped_median_scale,
    median_scale,
    noisy_or,
    noisy_or_all,
    weighted_median,
)


def test_weighted_median_is_the_lower_median_and_follows_the_weights():
    assert weighted_median(np.array([1.0, 2.0, 3.0, 4.0]), np.ones(4)) == 2.0
    assert weighted_median(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 5.0])) == 3.0


def test_median_scale_floors_the_scale_and_skips_missing_values():
    med, sc = median_scale(np.array([1.0, 1.0, 1.0, np.nan]), floor=0.25)
    assert (med, sc) == (1.0, 0.25)
    med, sc = median_scale(np.array([0.0, 1.0, 2.0, 3.0, 10.0]), floor=0.01)
    assert med == 2.0 and sc == MAD_TO_SD * 1.0
    assert all(np.isnan(median_scale(np.array([np.nan]), floor=0.1)))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-5, 5), min_size=1, max_size=30), st.sampled_from([0.15, 0.25]))
def test_grouped_median_scale_is_pandas_median_with_the_floor(xs, floor):
    x = pd.Series(xs)
    g = pd.Series(["a" if i % 3 else "b" for i in range(len(xs))])
    out = grouped_median_scale(x, g, floor=floor)
    for k, part in x.groupby(g):
        med = part.median()
        assert out.at[k, "n"] == len(part) and np.isclose(out.at[k, "median"], med)
        assert np.isclose(out.at[k, "scale"], max(MAD_TO_SD * (part - med).abs().median(), floor))


def test_damping_halves_at_the_knee_plus_one():
    assert damping(1, 6.0) == 1.0 and np.isclose(damping(7, 6.0), 0.5) and np.isclose(damping(10, 9.0), 0.5)
    d = damping(np.array([0, 1, 2, 10, 60]), 9.0)
    assert d[0] == d[1] == 1.0 and np.all(np.diff(d[1:]) < 0) and d[-1] < 0.03


def test_noisy_or():
    assert np.allclose(noisy_or(np.array([0.5, 0.0]), np.array([0.5, 0.2])), [0.75, 0.2])
    assert np.isclose(noisy_or_all(np.array([0.5, 0.5, 0.5])), 0.875)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c", None]), st.sampled_from(["b", "d", None])),
                min_size=0, max_size=20), st.booleans())
def test_role_codes_are_one_code_per_key_over_every_role(rows, arrow):
    """The codes of every role read the same keys back, -1 for none, whatever the frame's string type."""
    from graph.engine.stats import role_codes

    dtype = "str" if arrow else object
    d = pd.DataFrame({"x": pd.Series([r[0] for r in rows], dtype=dtype),
                      "y": pd.Series([r[1] for r in rows], dtype=dtype)})
    codes, keys = role_codes(d, ["x", "y"])
    assert codes.shape == (2, len(d)) and len(set(keys)) == len(keys)
    for i, role in enumerate(["x", "y"]):
        back = [keys[c] if c >= 0 else None for c in codes[i]]
        assert back == [v if isinstance(v, str) else None for v in d[role]]
    assert role_codes(d, [])[0].shape == (0, len(d))
