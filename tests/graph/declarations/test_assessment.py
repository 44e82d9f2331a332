"""Declaration assessment: time-respecting features, a seeded model, one-item scoring from stored state."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from helpers_declarations import labelled_world

from graph.declarations import assessment as A
from graph.store.frames import Frames


@pytest.fixture(scope="module")
def world():
    return labelled_world(11)


@pytest.fixture(scope="module")
def model(world):
    return A.fit(world, None, as_of="2024-07-01")


def test_past_counts_are_strictly_earlier():
    g = pd.Series(["a", "a", "a", "b", "a"])
    t = pd.to_datetime(pd.Series(["2024-01-01", "2024-01-02", "2024-01-02", "2024-01-02", "2024-01-05"]))
    n, p = A._past_counts(g, t, g, t, np.array([1.0, 0.0, 1.0, 1.0, 0.0]))
    assert n.tolist() == [0, 1, 1, 0, 3] and p.tolist() == [0, 1, 1, 0, 2]


def test_labels_from_inspections_and_offences():
    f = labelled_world(3, n=200)
    o = pd.DataFrame([{"key": "t:O1", "offence_id": "O1", "date": pd.Timestamp("2025-06-01"),
                       "party": "t:imp1",
                       "declaration_key": f.declarations["declaration_key"].iat[0], "status": "confirmed"}])
    lab = A.labels(Frames(declarations=f.declarations, offences=o))
    assert lab["y"].iat[0] == 1.0 and lab["known_at"].iat[0] == pd.Timestamp("2025-06-01")


def test_no_label_leakage_future_labels_do_not_change_past_features(world):
    """Flipping every outcome after a date leaves the features of earlier items unchanged."""
    cut = pd.Timestamp("2024-03-01")
    lab = A.labels(world)
    norms = A.hs_norms(world.declarations)
    X1, _ = A.feature_frame(world, lab, 0.2, norms)
    lab2 = lab.copy()
    later = world.declarations["date"] >= cut
    lab2.loc[later, "y"] = 1 - lab2.loc[later, "y"]
    X2, _ = A.feature_frame(world, lab2, 0.2, norms)
    early = ~later.to_numpy()
    pd.testing.assert_frame_equal(X1[early], X2[early])
    assert not X1[~early].equals(X2[~early])


def test_model_is_reproducible_and_uses_only_the_past(world, model):
    again = A.fit(world, None, as_of="2024-07-01")
    assert again.booster_text == model.booster_text
    assert model.metrics["fit_items"] == int((A.labels(world)["y"].notna()
                                              & (world.declarations["date"] < "2024-07-01")).sum())
    # lanes: red above yellow, and the tuning period's hit rate is highest in red
    assert model.thresholds["red"] >= model.thresholds["yellow"]
    assert model.lane_rates["red"] > model.lane_rates["green"]


def test_scores_rank_violations_on_the_later_period(world, model):
    out = A.assess_all(world, None, model)
    assert list(out.columns) == ["key", "assessment_score", "model_score", "lane", "assessment_reasons"]
    lab = A.labels(world)
    later = (world.declarations["date"] >= "2024-07-01").to_numpy() & lab["y"].notna().to_numpy()
    from sklearn.metrics import roc_auc_score

    auc = roc_auc_score(lab["y"][later], out["assessment_score"][later])
    assert auc > 0.75
    r = out.loc[out["assessment_score"].idxmax(), "assessment_reasons"]
    assert r and all({"feature", "contribution", "doc"} <= set(x) for x in r)


def test_party_risk_and_cover_raise_the_score(world, model):
    key = world.declarations["consignee"].iat[0]
    base = A.assess_all(world.__class__(declarations=world.declarations.head(5)), None, model,
                        with_reasons=False)
    raised = A.assess_all(world.__class__(declarations=world.declarations.head(5)), pd.Series({key: 0.9}),
                          model)
    assert raised["assessment_score"].iat[0] > base["assessment_score"].iat[0]
    assert raised["assessment_reasons"].iat[0][-1]["feature"] == "party_network_risk"


def test_assessor_matches_batch_scoring_and_is_fast(world, model, settings, grafeo_store):
    path = A.save_model(model, settings)
    assert path.exists()
    grafeo_store.execute("CREATE (:Party {key: $k, risk_score: $r})", {"k": "t:imp3", "r": 0.8}, mode="write")
    assessor = A.Assessor.load(grafeo_store, settings)
    d = world.declarations
    # an item dated in the month of as_of, when no later outcome exists: batch and single agree
    new = d.iloc[[0]].copy()
    new["date"] = pd.Timestamp("2024-07-01")
    new["key"], new["declaration_key"] = "t:new/1", "t:new"
    batch = A.assess_all(Frames(declarations=pd.concat([d[d["date"] < "2024-07-01"], new],
                                                       ignore_index=True)),
                         None, model, with_reasons=False)
    row = {c: new[c].iat[0] for c in ("date", "hs_code", "customs_value", "net_mass_kg", "duty_rate",
                                       "origin_country", "dispatch_country", "transport_mode", "consignee",
                                       "declarant", "consignor")}
    row["consignee"] = new["consignee"].iat[0]
    got = assessor.assess(row)
    assert got["model_score"] == pytest.approx(batch["model_score"].iat[-1], abs=1e-4)
    assert got["lane"] in ("green", "yellow", "red") and got["reasons"]
    # party ids from the contract plus a source become keys; the stored risk enters the score
    row2 = {k: v for k, v in row.items() if k not in ("consignee", "declarant", "consignor")}
    row2.update(consignee_id="imp3", source="t")
    r2 = assessor.assess(row2)
    assert any(x["feature"] == "party_network_risk" and x["party"] == "t:imp3" for x in r2["reasons"])
    t0 = time.perf_counter()
    for _ in range(50):
        assessor.assess(row)
    per = (time.perf_counter() - t0) / 50
    assert per < 0.05, f"{per * 1000:.1f} ms per assessment"


def test_fit_refuses_too_little_history(world):
    with pytest.raises(ValueError, match="labelled items"):
        A.fit(world, None, as_of="2023-01-05")


def test_assessor_flags_a_posted_cover_item_from_stored_profiles():
    """A posted item under a known cover code priced like the risk goods carries the cover reason."""
    from helpers_declarations import A as RISK
    from helpers_declarations import cover_world

    frames, planted = cover_world(4)
    d = frames.declarations
    rng = np.random.default_rng(0)
    d = d.assign(inspection_result=np.where(rng.random(len(d)) < 0.5, "clear", None))
    d.loc[d["declaration_key"].isin(frames.offences["declaration_key"]), "inspection_result"] = "violation"
    f = Frames(declarations=d, offences=frames.offences)
    model = A.fit(f, None, feature_set="own")
    assert model.cover_profiles and model.cover_profiles[0]["actual_hs"] == RISK
    a = A.Assessor(model)
    row = d[d["key"] == min(planted)].iloc[0].to_dict()
    got = a.assess(row)
    cov = [r for r in got["reasons"] if r["feature"] == "cover_item"]
    assert cov and cov[0]["suspected_hs"] == RISK
    genuine = d[(d["hs_code"] == row["hs_code"]) & ~d["key"].isin(planted)
                & (d["inspection_result"] != "violation")].iloc[0].to_dict()
    assert not any(r["feature"] == "cover_item" for r in a.assess(genuine)["reasons"])


@pytest.mark.parametrize("horizon", [None, "2024-05-01"])
def test_incremental_network_features_equal_each_period_snapshot(world, horizon):
    """The month-by-month incremental build gives, for every item, the neighbour risk of its
    parties in the snapshot taken from scratch at the start of the item's month."""
    lab, base = A.labels(world), A._base(world.declarations)
    hz = pd.Timestamp(horizon) if horizon else None
    X = A.network_features(base, lab, 0.2, horizon=hz)
    assert {"nb_declarant", "nb_consignee"} <= set(X.columns)
    start = base["date"].dt.to_period("M").dt.start_time
    checked = 0
    for month in sorted(start.unique())[1:]:
        snap = A.network_snapshot(base, lab, 0.2, pd.Timestamp(month), hz)
        rows = (start == month).to_numpy()
        for col in X.columns:
            want = base.loc[rows, col.removeprefix("nb_")].map(snap["nb_risk"]).astype(float).to_numpy()
            np.testing.assert_allclose(X.loc[rows, col].to_numpy(), want, rtol=1e-9, atol=1e-12)
            checked += int(np.isfinite(want).sum())
    assert checked > 100


def test_path_contributions_decompose_the_raw_score(world, model):
    """Bias plus each row's per-feature path contributions is the booster's raw score (log-odds)."""
    X, _ = A.feature_frame(world, A.labels(world), model.prior, model.norms, feature_set=model.feature_set)
    X = A._encode(X.reindex(columns=model.features), model.categorical).head(300)
    contrib = A.contributions(model, X)
    raw = model.booster.predict(X, raw_score=True)
    np.testing.assert_allclose(contrib.sum(axis=1) + model.paths[1], raw, rtol=1e-6, atol=1e-6)
    assert (np.abs(contrib) > 1e-9).sum(axis=0).astype(bool).sum() >= 3  # several features carry weight


def test_a_posted_hs_code_is_cleaned_as_ingest_cleans_it(world, model):
    """The one posted item reads its HS code through graph.domain.types.HSCode, as ingest does: the
    documented separators are dropped, and a code with a letter is no code (its HS features are
    missing), not the digits left around the letter."""
    d = world.declarations
    row = {c: d[c].iat[0] for c in ("date", "hs_code", "customs_value", "net_mass_kg", "duty_rate",
                                     "origin_country", "consignee", "declarant")}
    code = row["hs_code"]

    def vec(hs):
        return A._row_vector({**row, "hs_code": hs}, model)[0]

    np.testing.assert_array_equal(vec(f"{code[:4]}.{code[4:]}"), vec(code))
    np.testing.assert_array_equal(vec(f"{code[:2]}A{code[3:]}"), vec(None))
    assert not np.array_equal(vec(code), vec(None), equal_nan=True)


def test_booster_input_predicts_as_the_frame_does(world, model):
    """The matrix built once for a run's predictions gives LightGBM's own results on the frame, bit for
    bit: scores and leaves, also with categories in another order and levels the model never saw."""
    from graph.declarations.assessment.model import booster_input

    X, _ = A.feature_frame(world, A.labels(world), model.prior, model.norms, feature_set=model.feature_set)
    X = A._encode(X.reindex(columns=model.features), model.categorical)
    cats = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
    assert cats  # the check covers the categorical columns
    shuffled = X.copy()
    c = cats[0]
    levels = list(X[c].cat.categories)
    shuffled[c] = X[c].cat.set_categories(levels[::-1] + ["never-seen"])
    shuffled.loc[shuffled.index[:5], c] = "never-seen"
    for frame in (X, shuffled):
        M = booster_input(frame, model.booster)
        assert M.shape == frame.shape
        assert np.array_equal(model.booster.predict(M), model.booster.predict(frame))
        assert np.array_equal(model.booster.predict(M, pred_leaf=True),
                              model.booster.predict(frame, pred_leaf=True))
