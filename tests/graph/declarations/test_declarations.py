"""Unit-value anomalies and sudden HS switches on small hand-made frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
from helpers_declarations import _decl_frame
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.declarations.goods import hs_novelty, hs_switches, robust_z, unit_value_anomalies
from graph.store.frames import Frames


def _rows(n, hs, uv, trader, start, rate=5.0, step=3, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        m = float(rng.uniform(100, 1000))
        out.append({"hs_code": hs, "customs_value": uv * m * float(rng.lognormal(0, 0.1)), "net_mass_kg": m,
                    "consignee": trader, "declarant": "t:decl", "duty_rate": rate,
                    "date": pd.Timestamp(start) + pd.Timedelta(days=i * step)})
    return out


def _frames(rows):
    for i, r in enumerate(rows):
        r.update(key=f"t:X{i}/1", declaration_key=f"t:X{i}", declaration_id=f"X{i}", item_no=1)
    return Frames(declarations=_decl_frame(rows))


def test_undervalued_item_flagged_with_duties_at_stake():
    rows = _rows(50, "847130", 200.0, "t:a", "2024-01-01")
    rows.append({"hs_code": "847130", "customs_value": 2.0 * 500, "net_mass_kg": 500.0, "consignee": "t:b",
                 "declarant": "t:decl", "duty_rate": 10.0, "date": pd.Timestamp("2024-06-01")})
    f = _frames(rows)
    an = unit_value_anomalies(f)
    assert len(an) == 1
    r = an.iloc[0]
    assert r["key"] == "t:X50/1" and r["direction"] == "under" and r["robust_z"] < -3.5
    # usual ~200/kg x 500 kg - 1000 declared, at 10 %
    assert 8_000 < r["duties_at_stake"] < 11_000
    assert "usual" in r["reasons"][0]["detail"]


def test_small_codes_fall_back_to_heading():
    rows = _rows(30, "847130", 200.0, "t:a", "2024-01-01") + _rows(3, "847141", 200.0, "t:a", "2024-01-01")
    rows.append({"hs_code": "847149", "customs_value": 1.0, "net_mass_kg": 100.0, "consignee": "t:a",
                 "declarant": "t:decl", "duty_rate": 0, "date": pd.Timestamp("2024-02-01")})
    rz = robust_z(_frames(rows).declarations)
    assert rz["norm_level"].iloc[-1] == 4 and rz["z"].iloc[-1] < -10
    assert (rz["norm_level"].iloc[30:33] == 4).all()


def test_hs_novelty_uses_only_the_past():
    rows = _rows(10, "940510", 3.0, "t:a", "2024-01-01") + _rows(3, "852352", 3.0, "t:a", "2024-03-01")
    nov = hs_novelty(_frames(rows).declarations)
    assert list(nov["prior_n"][:3]) == [0, 1, 2]
    assert nov["new_code"].iloc[10] and not nov["new_code"].iloc[11]
    assert nov["prior_share"].iloc[11] == 1 / 11


def test_switch_to_cheaper_code_found_and_steady_trader_not():
    rows = (_rows(20, "852352", 40.0, "t:switcher", "2024-01-01", rate=15.0)
            + _rows(8, "940510", 40.0, "t:switcher", "2024-03-15", rate=2.0, seed=1)
            + _rows(30, "392690", 5.0, "t:steady", "2024-01-01", seed=2))
    sw = hs_switches(_frames(rows))
    assert sw["party"].tolist() == ["t:switcher"]
    ev = sw.iloc[0]
    assert (ev["from_hs"], ev["to_hs"], ev["n_new"], ev["n_old_after"]) == ("852352", "940510", 8, 0)
    assert ev["score"] > 0.7 and any(r["feature"] == "duty_drop" for r in ev["reasons"])
    assert len(ev["keys"]) == 8


@given(st.lists(st.one_of(st.none(), st.text(alphabet="0123456789. -x", max_size=12)), max_size=40),
       st.sampled_from([2, 4, 6]))
@settings(derandomize=True, max_examples=200, deadline=None)
def test_hs_prefix_cut_per_distinct_code_equals_cutting_every_row(codes, level):
    from graph.declarations.goods import hs_prefix

    s = pd.Series(codes, dtype=object, index=range(100, 100 + len(codes)), name="hs_code")
    plain = s.astype("string").str.replace(r"\D", "", regex=True)
    want = plain.str.slice(0, level).where(plain.str.len() >= level)
    got = hs_prefix(s, level)
    assert got.equals(want) and got.dtype == want.dtype and got.index.equals(want.index)
