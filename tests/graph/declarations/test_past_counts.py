"""`_past_counts` (the time-respecting counts behind the history and novelty features) against a
brute-force count, on random groups and times (hypothesis): dates a day apart (one int64 sort key),
times to the nanosecond and spans too wide for one key (the lexsort)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.declarations.assessment.features import _past_counts

GROUPS = st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c"])), min_size=1, max_size=30)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), unit=st.sampled_from([86_400 * 10**9, 1, 7 * 10**17]), jitter=st.booleans())
def test_past_counts_equal_a_brute_force_count(data, unit, jitter):
    q = data.draw(GROUPS)
    e = data.draw(st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c"])), max_size=30))
    qt = data.draw(st.lists(st.integers(0, 12), min_size=len(q), max_size=len(q)))
    et = data.draw(st.lists(st.integers(0, 12), min_size=len(e), max_size=len(e)))
    ey = np.array(data.draw(st.lists(st.sampled_from([0.0, 1.0]), min_size=len(e), max_size=len(e))))
    # jitter: odd nanoseconds, so with the widest unit the times do not fit one sort key
    ns = lambda xs: np.array(xs, dtype=np.int64) * unit + (np.array(xs, dtype=np.int64) % 2 if jitter else 0)  # noqa: E731
    qn, en = ns(qt), ns(et)
    n, p = _past_counts(pd.Series(q, dtype="string"), pd.Series(pd.to_datetime(qn)),
                        pd.Series(e, dtype="string"), pd.Series(pd.to_datetime(en)), ey)
    for i, (g, t) in enumerate(zip(q, qn, strict=True)):
        hits = [j for j, (h, s) in enumerate(zip(e, en, strict=True)) if g is not None and h == g and s < t]
        assert n[i] == len(hits) and p[i] == sum(ey[j] for j in hits)
