"""Phoenix successors: timing, shared officers/identifiers, goods and supplier continuity, evidence."""

from __future__ import annotations

import pandas as pd
from network_world import build, k

from graph.network.groups import find_groups, link_pairs, specificity
from graph.network.phoenix import PhoenixSettings, find_phoenix
from graph.network.projection import project
from graph.network.resolution import resolve
from graph.network.risk import offence_seeds


def _run(f, s: PhoenixSettings | None = None):
    proj = project(f, resolve(f))
    seeds = offence_seeds(f, proj)
    spec = specificity(proj)
    pairs = link_pairs(proj, spec)
    find_groups(proj, seeds, spec=spec, pairs=pairs)
    return proj, find_phoenix(proj, pairs, spec, seeds, s)


def _name(proj, e):
    return proj.entity_ids[e]


def test_successor_found_with_evidence():
    proj, ph = _run(build())
    assert len(ph) == 1
    row = ph.iloc[0]
    assert _name(proj, row["successor"]) == f"entity:{k('Y')}"
    assert _name(proj, row["predecessor"]) == f"entity:{k('X')}"
    ev = row["evidence"]
    assert {s["kind"] for s in ev["shared"]} == {"Person", "Phone"}
    assert ev["same_goods"] == ["620342"] and ev["goods_overlap"] == 1.0
    assert ev["supplier_overlap"] == 1.0
    assert ev["predecessor_deregistered_on"] == "2024-06-01"
    assert 0.5 < row["score"] <= 1.0


def test_registered_long_before_is_not_a_successor():
    f = build()
    f.parties.loc[f.parties["key"] == k("Y"), "registered_on"] = pd.Timestamp("2020-01-01")
    assert _run(f)[1].empty


def test_without_trade_continuity_the_score_drops():
    f = build()
    d = f.declarations
    d.loc[d["consignee"] == k("Y"), "hs_code"] = "950300"
    d.loc[d["consignee"] == k("Y"), "consignor"] = k("S2")
    full = _run(build())[1].iloc[0]["score"]
    weak = _run(f)[1].iloc[0]["score"]
    assert weak < full * 0.5


def test_predecessor_must_have_a_record_unless_told_otherwise():
    f = build()
    f.offences = f.offences[f.offences["party"] != k("X")].reset_index(drop=True)
    assert _run(f)[1].empty
    assert len(_run(f, PhoenixSettings(require_offence=False))[1]) == 1
