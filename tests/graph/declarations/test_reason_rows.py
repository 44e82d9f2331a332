"""The vectorised reason records equal the per-item rule: the top five positive contributions,
largest first, with the item's value (None when missing, strings as they are, numbers to 4 places)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.declarations.assessment.explain import FEATURE_DOCS, _doc, reason_rows


def _reference(x: dict, contrib: np.ndarray, names: list[str]) -> list[dict]:
    out = []
    for j in np.argsort(-contrib)[:5]:
        if contrib[j] <= 0:
            break
        v = x[names[j]]
        out.append({"feature": names[j], "value": None if pd.isna(v) else
                    (v if isinstance(v, str) else round(float(v), 4)),
                    "contribution": round(float(contrib[j]), 4),
                    "doc": FEATURE_DOCS.get(names[j], _doc(names[j]))})
    return out


@settings(max_examples=50, deadline=None)
@given(n=st.integers(1, 12), seed=st.integers(0, 2**31 - 1), ties=st.booleans())
def test_reason_rows_equal_per_item_rule(n, seed, ties):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"log_value": rng.normal(size=n), "uv_z": np.where(rng.random(n) < 0.3, np.nan, 1.5),
                      "hs2": pd.Categorical(rng.choice(["84", "61", None], n), categories=["84", "61"]),
                      "rate_declarant": rng.random(n), "nb_broker": rng.integers(0, 3, n),
                      "origin_is_dispatch": rng.random(n) < 0.5, "hs_new": rng.random(n)})
    contrib = rng.normal(size=(n, X.shape[1]))
    if ties:
        contrib = np.round(contrib, 0)
    names = list(X.columns)
    want = [_reference(r, contrib[i], names) for i, r in enumerate(X.to_dict("records"))]
    assert reason_rows(X, contrib) == want
