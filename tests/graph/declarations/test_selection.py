"""Random selection and intervals: the draw is seeded, per key and uniform within a lane; the Wilson and
Clopper-Pearson intervals hold their basic properties for any k of n (hypothesis) and cover the true
rate about as often as they promise; compliance per area is judged against the tolerance level."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph.declarations import selection
from graph.declarations.selection import apply_random, clopper_pearson, compliance, random_picks, wilson
from graph.settings import SettingsRefused, load_settings

counts = st.integers(min_value=0, max_value=5000).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n)))
confidences = st.sampled_from([0.8, 0.9, 0.95, 0.99])


@given(counts, confidences)
def test_intervals_contain_the_estimate_and_stay_in_unit_range(kn, c):
    k, n = kn
    for f in (wilson, clopper_pearson):
        low, high = f(k, n, c)
        assert 0.0 <= low <= high <= 1.0
        if n:
            assert low - 1e-9 <= k / n <= high + 1e-9
        else:
            assert (low, high) == (0.0, 1.0)


@given(counts)
def test_higher_confidence_gives_a_wider_interval(kn):
    k, n = kn
    for f in (wilson, clopper_pearson):
        lo90, hi90 = f(k, n, 0.90)
        lo99, hi99 = f(k, n, 0.99)
        assert lo99 <= lo90 + 1e-12 and hi90 <= hi99 + 1e-12


@given(st.integers(min_value=1, max_value=2000), st.integers(min_value=0, max_value=2000))
def test_intervals_are_symmetric_in_hits_and_misses(n, k):
    k = min(k, n)
    for f in (wilson, clopper_pearson):
        lo, hi = f(k, n)
        lo2, hi2 = f(n - k, n)
        assert abs(lo - (1 - hi2)) < 1e-9 and abs(hi - (1 - lo2)) < 1e-9


def test_wilson_known_value():
    # Wilson 95 % for 8 of 10 (Newcombe 1998, table I: 0.4902-0.9433)
    low, high = wilson(8, 10)
    assert round(low, 4) == 0.4902 and round(high, 4) == 0.9433


def test_coverage_is_near_the_promise():
    """Seeded binomial draws: the 95 % intervals contain the true rate in about 95 % of samples
    (Clopper-Pearson at least 95 %)."""
    rng = np.random.default_rng(5)
    for p, n in ((0.95, 200), (0.7, 60), (0.02, 500)):
        ks = rng.binomial(n, p, 2000)
        w = np.mean([wilson(int(k), n)[0] <= p <= wilson(int(k), n)[1] for k in ks])
        cp = np.mean([clopper_pearson(int(k), n)[0] <= p <= clopper_pearson(int(k), n)[1] for k in ks])
        assert 0.92 <= w <= 0.985, (p, n, w)
        assert cp >= 0.94, (p, n, cp)


def test_random_picks_are_seeded_per_key_and_uniform_in_their_lane():
    keys = [f"S:D{i}/1" for i in range(20000)]
    lanes = np.where(np.arange(20000) % 4 == 0, "red", "green")
    shares = {"green": 0.05, "red": 0.5}
    a = random_picks(keys, lanes, shares, seed=3)
    assert (a == random_picks(keys, lanes, shares, seed=3)).all()
    # a new item does not move the draws of the others; another seed draws others
    b = random_picks(keys[:10000], lanes[:10000], shares, seed=3)
    assert (a[:10000] == b).all()
    assert (a != random_picks(keys, lanes, shares, seed=4)).any()
    green, red = a[lanes == "green"].mean(), a[lanes == "red"].mean()
    assert abs(green - 0.05) < 0.01 and abs(red - 0.5) < 0.03
    assert not random_picks(keys, lanes, {"green": 0.0}, seed=3).any()


def test_apply_random_raises_the_lane_and_says_why():
    a = pd.DataFrame({"key": [f"S:D{i}/1" for i in range(3000)], "lane": ["green"] * 2990 + ["red"] * 10,
                      "assessment_reasons": [[] for _ in range(3000)]})
    apply_random(a, {"green": 0.1}, seed=1, lane_to="red")
    picked = a[a["random"]]
    assert 200 < len(picked) < 400
    assert (picked["lane"] == "red").all()
    why = picked["assessment_reasons"].iloc[0][-1]
    assert why["feature"] == selection.RANDOM_FEATURE and why["value"] == "green"
    assert "random selection" in why["detail"]
    assert not a.loc[~a["random"] & (a.index < 2990), "lane"].ne("green").any()


def test_compliance_per_area_against_the_tolerance():
    items = pd.DataFrame({
        "random": [True] * 300 + [False] * 50,
        "inspection_result": ["violation"] * 60 + ["clear"] * 240 + ["violation"] * 50,
        "hs_chapter": ["24"] * 100 + ["84"] * 200 + ["24"] * 50,
        "origin_country": ["AE"] * 350, "border_post": [None] * 350, "category": ["low"] * 350,
        "lane": ["green"] * 250 + ["red"] * 100})
    c = compliance(items, tolerance=0.95).set_index(["area", "value"])
    assert c.loc[("all", "all"), "random_inspected"] == 300  # targeted items do not count
    assert c.loc[("hs_chapter", "24"), "compliance"] == 0.4
    assert c.loc[("hs_chapter", "24"), "status"] == "below tolerance"
    assert c.loc[("hs_chapter", "84"), "compliance"] == 1.0
    assert c.loc[("hs_chapter", "84"), "status"] == "within tolerance"
    assert c.loc[("border_post", "unknown"), "random_inspected"] == 300
    assert c.loc[("lane", "green"), "random_inspected"] == 250 and c.loc[("lane", "red"), "violations"] == 0


def test_settings_refuse_a_bad_random_share_naming_it():
    assert load_settings(env="test").random_share == {"green": 0.01, "yellow": 0.0, "red": 0.0}
    for bad in ({"purple": 0.1}, {"green": 1.5}):
        with pytest.raises(SettingsRefused, match="TAMGA_RANDOM_SHARE"):
            load_settings(env="test", random_share=bad)
    with pytest.raises(SettingsRefused, match="TAMGA_CATEGORY_MEDIUM"):
        load_settings(env="test", category_medium=0.5, category_high=0.2)
