"""Network risk on the hand-built world: planted entities rise, traps stay down, reasons explain."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from network_world import PLANTED, TRAPS, build, k

from graph.network.risk import FEATURES, RiskSettings, feature_docs, offence_seeds
from graph.pipeline.run import analyse
from graph.store.frames import frame


@pytest.fixture(scope="module")
def results():
    return analyse(build(), declarations=False, communities=False)


def _e(r, pid):
    return r.projection.entity_index[f"entity:{k(pid)}"]


def test_planted_rank_above_every_trap(results):
    sc = results.scores.score
    worst_planted = min(sc[_e(results, p)] for p in PLANTED)
    best_trap = max(sc[_e(results, t)] for t in TRAPS)
    assert worst_planted > best_trap
    # among entities without a record of their own, the planted ones fill the top
    clean = [e for e in range(results.projection.n_entities) if results.seeds[e] == 0]
    top = sorted(clean, key=lambda e: -sc[e])[: len(PLANTED)]
    assert {results.projection.entity_ids[e] for e in top} == {f"entity:{k(p)}" for p in PLANTED}


def test_scores_are_weighted_sums_in_unit_interval(results):
    sc = results.scores
    assert np.all((sc.score >= 0) & (sc.score <= 1))
    assert np.allclose(sc.contributions.sum(axis=1).to_numpy(), sc.score)
    assert set(sc.values.columns) == {f.name for f in FEATURES}
    assert sorted(sc.rank.tolist()) == list(range(1, len(sc.rank) + 1))
    assert all(d["doc"] and d["weight"] > 0 for d in feature_docs())


def test_reasons_name_offenders_and_shared_identifiers(results):
    r = results.reasons[_e(results, "R3")]
    assert r["contributions"][0]["contribution"] > 0
    offenders = {p["offender"]["entity_id"] for p in r["offender_paths"]}
    assert f"entity:{k('R2')}" in offenders
    via = {(v["kind"], v["value"]) for p in r["offender_paths"] for v in p["via"]}
    assert ("Phone", "+998901111111") in via or ("BankAccount", "UZ00RING") in via
    # R5 shares no identifier with an offender directly: reached through an intermediary or its officer
    r5 = results.reasons[_e(results, "R5")]
    assert r5["offender_paths"]
    assert r5["group"]["size"] == 5
    y = results.reasons[_e(results, "Y")]
    assert y["phoenix"]["predecessor"] == f"entity:{k('X')}"


def test_same_input_same_scores():
    a = analyse(build(), declarations=False, communities=True)
    b = analyse(build(), declarations=False, communities=True)
    assert np.array_equal(a.scores.score, b.scores.score)
    assert np.array_equal(a.community, b.community)


def test_seeds_weigh_type_status_and_age():
    f = build()
    r = analyse(f, declarations=False, communities=False)
    base = offence_seeds(f, r.projection)
    e = r.projection.entity_index[f"entity:{k('R1')}"]
    old = f.offences.copy()
    old.loc[old["party"] == k("R1"), "date"] = pd.Timestamp("2019-03-01")
    assert offence_seeds(type(f)(**{**f.__dict__, "offences": old}), r.projection)[e] < base[e] * 0.5
    sus = f.offences.copy()
    sus.loc[sus["party"] == k("R1"), "status"] = "suspected"
    assert offence_seeds(type(f)(**{**f.__dict__, "offences": sus}),
                         r.projection)[e] == pytest.approx(base[e] / 2)
    doc = f.offences.copy()
    doc.loc[doc["party"] == k("R1"), "offence_type"] = "documentation"
    assert offence_seeds(type(f)(**{**f.__dict__, "offences": doc}), r.projection)[e] < base[e] / 2
    # a cleared decision removes the record; half-life is a setting
    dec = frame("decisions", [{"kind": "cleared", "subject": k("R1"), "object": None, "user": "u",
                               "at": "2026-01-01"}])
    assert offence_seeds(type(f)(**{**f.__dict__, "decisions": dec}), r.projection)[e] == 0
    assert offence_seeds(f, r.projection, RiskSettings(half_life_years=100))[e] > base[e]


def test_hub_damping_keeps_hub_neighbours_low():
    """Without hub damping the broker every firm uses would carry the offenders' risk to all clients."""
    r = analyse(build(), declarations=False, communities=False)
    assert r.scores.values.at[_e(r, "K"), "network_exposure"] < 0.2
    clients = [_e(r, f"B{i}") for i in range(1, 40)]
    assert max(r.scores.values.loc[clients, "network_exposure"]) < 0.1
    # the ring's clean members are reached through their specific links
    assert min(r.scores.values.at[_e(r, p), "network_exposure"] for p in ("R3", "R4", "R5")) > 0.15



def _without_watchlist_feature(monkeypatch):
    from graph.network.risk import score_entities
    from graph.pipeline import run

    assert FEATURES[-1].name == "watchlist_hit" and FEATURES[-1].additive
    monkeypatch.setattr(run, "score_entities", lambda ctx: score_entities(ctx, FEATURES[:-1]))


def test_the_watchlist_feature_leaves_a_world_without_lists_as_it_scored(monkeypatch, small_world, settings,
                                                                         grafeo_store):
    """Additive, outside the normalisation: without hits every score, rank and reason is what the
    features before it gave, on the hand-built world and on a simulated one."""
    from graph.store.frames import Frames
    from ingest.load import ingest_bundle

    ingest_bundle(grafeo_store, small_world, settings=settings, progress=False)
    for frames in (build(), Frames.from_store(grafeo_store)):
        with_feature = analyse(frames, declarations=False, communities=False)
        with monkeypatch.context() as m:
            _without_watchlist_feature(m)
            before = analyse(frames, declarations=False, communities=False)
        assert "watchlist_hit" not in before.scores.values.columns
        assert np.array_equal(with_feature.scores.score, before.scores.score)
        assert np.array_equal(with_feature.scores.rank, before.scores.rank)
        assert with_feature.reasons == before.reasons


def test_amount_weighs_evaded_duty_on_a_log_scale():
    """Issue 12: a paperwork offence with nothing evaded, or an honest slip of a few hundred, must seed
    far less than a scheme that evaded tens of thousands; an unrecorded amount stays in the middle."""
    from graph.network.risk import OFFENCE_TYPE_WEIGHT, amount_weight

    w = amount_weight(pd.Series([0.0, 150.0, 30_000.0, 1e7, np.nan]))
    assert w[4] == pytest.approx(0.6)
    assert w[0] < w[1] < 0.4 * w[2] and w[3] == pytest.approx(1.0)
    paperwork = OFFENCE_TYPE_WEIGHT["documentation"] * w[0]
    scheme = OFFENCE_TYPE_WEIGHT["misclassification"] * w[2]
    assert paperwork < 0.05 * scheme


def test_paperwork_offence_seeds_far_less_than_evaded_duty():
    f = build()
    r = analyse(f, declarations=False, communities=False)
    e = r.projection.entity_index[f"entity:{k('R1')}"]
    big = f.offences.copy()
    big.loc[big["party"] == k("R1"), ["offence_type", "evaded_amount"]] = ["misclassification", 40_000.0]
    paper = f.offences.copy()
    paper.loc[paper["party"] == k("R1"), ["offence_type", "evaded_amount"]] = ["documentation", 0.0]
    s_big = offence_seeds(type(f)(**{**f.__dict__, "offences": big}), r.projection)[e]
    s_paper = offence_seeds(type(f)(**{**f.__dict__, "offences": paper}), r.projection)[e]
    assert s_paper < 0.05 * s_big


def test_a_violation_with_an_offence_record_is_weighed_once():
    """Issue 12: an honest slip found at inspection is both a violation on the declaration and an
    offence on it; counting both (0.35 for the violation) made a slip of 150 evaded seed ~4x what its
    offence weighs. The violation without a record still counts on its own."""
    from graph.network.risk import OFFENCE_TYPE_WEIGHT, amount_weight

    f = build()
    r = analyse(f, declarations=False, communities=False)
    h0 = r.projection.entity_index[f"entity:{k('H0')}"]
    s = RiskSettings()
    alone = offence_seeds(f, r.projection)[h0]  # H0's violation has no offence record
    assert alone == pytest.approx(s.violation_weight * 0.5 ** (0.0 / s.half_life_years), rel=0.3)
    dk = f.declarations.loc[(f.declarations["consignee"] == k("H0"))
                            & (f.declarations["inspection_result"] == "violation"), "declaration_key"].iloc[0]
    slip = pd.concat([f.offences, frame("offences", [{
        "key": k("O-slip"), "offence_id": "O-slip", "date": "2025-06-10", "party": k("H0"),
        "declaration_key": dk, "offence_type": "origin", "evaded_amount": 150.0, "status": "confirmed"}])],
        ignore_index=True)
    seeded = offence_seeds(type(f)(**{**f.__dict__, "offences": slip}), r.projection)[h0]
    ref = f.declarations["date"].max()
    expected = OFFENCE_TYPE_WEIGHT["origin"] * amount_weight(pd.Series([150.0]))[0] * \
        0.5 ** (((ref - pd.Timestamp("2025-06-10")).days / 365.25) / s.half_life_years)
    assert seeded == pytest.approx(expected, rel=0.05)
    assert seeded < 0.5 * alone
