"""The cover detector's party evidence on factorised keys equals the plain set lookups it replaced
(per role: committed the pair, other offences, network risk; the codes each item's traders declare)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.declarations import cover_evidence as ev
from graph.declarations.cover import _Parties
from graph.declarations.goods import hs_prefix

PARTIES = [f"p{i}" for i in range(8)]
CODES = ["010110", "020220", "030330", "040440"]
ROLES = ("declarant", "consignee", "consignor", "carrier", "broker")

party = st.one_of(st.none(), st.sampled_from(PARTIES))
row = st.fixed_dictionaries({r: party for r in ROLES} | {"hs_code": st.sampled_from(CODES)})


def _reference_terms(d, offenders, risk, ci, pair_off):
    same, other, nr = np.zeros(len(ci), bool), np.zeros(len(ci), bool), np.zeros(len(ci))
    for r in ROLES:
        v = [x if isinstance(x, str) else None for x in d[r].to_numpy(dtype=object)[ci]]
        in_pair = np.array([x in pair_off for x in v], bool)
        same |= in_pair
        other |= np.array([x in offenders for x in v], bool) & ~in_pair
        nr = np.maximum(nr, np.array([risk.get(x, 0.0) for x in v], float))
    return ev.parties_llr(same, other, nr)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(row, min_size=1, max_size=30),
       offenders=st.sets(st.sampled_from(PARTIES), max_size=4),
       pair_off=st.sets(st.sampled_from([*PARTIES, "nobody"]), max_size=3),
       risk=st.dictionaries(st.sampled_from(PARTIES), st.floats(0, 1), max_size=5),
       data=st.data())
def test_party_terms_and_own_codes_equal_set_lookups(rows, offenders, pair_off, risk, data):
    d = pd.DataFrame(rows)
    o = pd.DataFrame({"party": sorted(offenders), "declared_hs_code": CODES[0], "actual_hs_code": CODES[1]})
    ci = np.array(data.draw(st.lists(st.integers(0, len(d) - 1), max_size=len(d))), dtype=np.int64)
    hs = hs_prefix(d["hs_code"], 6)
    p = _Parties(d, o, pd.Series(risk, dtype=float), 6, hs)
    np.testing.assert_array_equal(p.terms(ci, pair_off), _reference_terms(d, offenders, risk, ci, pair_off))
    for i, own in zip(ci, p.own_codes(ci), strict=True):
        trade = ("declarant", "consignee", "consignor")
        traders = {d.at[i, r] for r in trade if isinstance(d.at[i, r], str)}
        want = {hs[j] for j in range(len(d)) for r in trade if d.at[j, r] in traders}
        assert own == want
