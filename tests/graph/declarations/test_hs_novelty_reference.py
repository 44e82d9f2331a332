"""`hs_novelty` from one sort against the groupby-cumsum-merge version it replaced (kept here as the
oracle): on random items with traders missing, items on the same day, codes missing and dates missing,
the same prior counts, shares and new-code flags."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.declarations.goods import _trader, hs_novelty, hs_prefix


def reference(decl: pd.DataFrame, *, level: int = 6) -> pd.DataFrame:
    t = _trader(decl)
    hs = hs_prefix(decl["hs_code"], level)
    df = pd.DataFrame({"t": t, "hs": hs, "date": pd.to_datetime(decl["date"])}, index=decl.index)
    ok = df["t"].notna() & df["date"].notna()
    out = pd.DataFrame({"prior_n": 0.0, "prior_share": np.nan, "new_code": False}, index=decl.index)
    if not ok.any():
        return out
    x = df[ok]
    per_day = x.groupby(["t", "date"]).size().rename("n").reset_index().sort_values(["t", "date"])
    per_day["before"] = per_day.groupby("t")["n"].cumsum() - per_day["n"]
    prior_n = x.merge(per_day[["t", "date", "before"]], on=["t", "date"], how="left")["before"].to_numpy()
    per_day_hs = (x.groupby(["t", "hs", "date"]).size().rename("n").reset_index()
                  .sort_values(["t", "hs", "date"]))
    per_day_hs["before"] = per_day_hs.groupby(["t", "hs"])["n"].cumsum() - per_day_hs["n"]
    prior_same = x.merge(per_day_hs[["t", "hs", "date", "before"]], on=["t", "hs", "date"],
                         how="left")["before"].fillna(0).to_numpy()
    out.loc[x.index, "prior_n"] = prior_n
    with np.errstate(divide="ignore", invalid="ignore"):
        out.loc[x.index, "prior_share"] = np.where(prior_n > 0, prior_same / np.maximum(prior_n, 1), np.nan)
    out.loc[x.index, "new_code"] = (prior_n >= 5) & (prior_same == 0)
    return out


@settings(max_examples=150, deadline=None)
@given(st.data(), st.integers(0, 60), st.sampled_from([6, 4, 2]))
def test_hs_novelty_matches_the_reference(data, n, level):
    pick = lambda values: data.draw(st.lists(st.sampled_from(values), min_size=n, max_size=n))  # noqa: E731
    day0 = pd.Timestamp("2024-01-01")
    decl = pd.DataFrame({
        "consignee": pick(["S:A", "S:B", "S:C", None]), "declarant": pick(["S:A", "S:D", None]),
        "hs_code": pick(["24022000", "24021000", "85171200", "8517", None]),
        "date": [None if d < 0 else day0 + pd.Timedelta(days=d) for d in pick([-1, 0, 1, 2, 5, 30, 31])],
    })
    decl["date"] = pd.to_datetime(decl["date"])
    pd.testing.assert_frame_equal(hs_novelty(decl, level=level), reference(decl, level=level))
