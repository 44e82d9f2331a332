"""`earlier_in_group` against the plain count it stands for, and the novelty features it now gives
against the query-and-event count (`_past_counts_coded`) they were computed with before."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.declarations.assessment.features import _past_counts_coded, novelty_values
from graph.engine.stats import earlier_in_group

NAT = np.iinfo(np.int64).min


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(-1, 4), st.sampled_from([NAT, -3, 0, 1, 2, 86400 * 10**9, 2**61])),
                max_size=50))
def test_earlier_in_group_counts_the_strictly_earlier_rows_of_the_group(rows):
    g = np.array([r[0] for r in rows], dtype=np.int64)
    t = np.array([r[1] for r in rows], dtype=np.int64)
    want = [sum(1 for h, u in rows if h == a and u < b) for a, b in rows]
    assert earlier_in_group(g, t).tolist() == want


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(-1, 3), st.integers(-1, 5), st.sampled_from([0, 1, 1, 7, 400])),
                max_size=60))
def test_novelty_counts_match_the_query_and_event_counts(rows):
    """What `novelty_features` computes (codes -1: no trader or code) equals the old path's floats.
    Dates present (the data contract requires one per item): with NaT the old path's key overflowed."""
    t = np.array([r[0] for r in rows], dtype=np.int64)
    h = np.array([r[1] for r in rows], dtype=np.int64)
    days = pd.to_datetime(pd.Series([pd.Timestamp("2024-01-01") + pd.Timedelta(days=r[2]) for r in rows],
                                    dtype=object))
    qt = days.to_numpy(dtype="datetime64[ns]").astype(np.int64)
    th = np.where((t >= 0) & (h >= 0), t * 7 + h, -1)
    none = np.zeros(len(rows))
    n_old, _ = _past_counts_coded(t, qt, t, qt, none)
    ns_old, _ = _past_counts_coded(th, qt, th, qt, none)
    n = np.where(t >= 0, earlier_in_group(t, qt), 0).astype(float)
    ns = np.where(th >= 0, earlier_in_group(th, qt), 0).astype(float)
    assert n.tolist() == n_old.tolist() and ns.tolist() == ns_old.tolist()
    a, b = novelty_values(n, ns), novelty_values(n_old, ns_old)
    for k in a:
        np.testing.assert_array_equal(np.asarray(a[k]), np.asarray(b[k]))
