"""Screening runs on a real store against the real zala FtM file: parties crafted as spelling
variants of its sanctioned people and companies; the three runs (all, one party, a list's changes);
decisions kept across re-runs and reloads; the hits feeding the scoring run's risk."""

from __future__ import annotations

import json

import pytest
from conftest import dataset
from screening_world import ABASHKIN, KALASHNIKOV, OSETROVA, PARTIES, ZALA_AERO, write_bundle, zala_variant

from graph.pipeline import results
from graph.pipeline.screening import hit_id, rescreen_list, screen_party, screen_store, set_hit_state
from ingest.load import ingest_bundle
from ingest.watchlists import load_watchlist


@pytest.fixture
def zala(tmp_path, settings, grafeo_store):
    ingest_bundle(grafeo_store, write_bundle(tmp_path / "b"), settings=settings, progress=False)
    rep = load_watchlist(grafeo_store, dataset("ftm", "yente_zala.ftm.json"), name="zala")
    return grafeo_store, rep


def _hits(store) -> dict[tuple[str, str], dict]:
    return {(h["subject"], h["listed_key"]): h for h in results.screening_hits(store)}


def test_spelling_variants_and_a_shared_tax_id_are_hits_with_reasons(zala):
    store, _ = zala
    rep = screen_store(store)
    hits = _hits(store)
    assert {"customs:P1", "customs:P2", "customs:P3", "customs:O1"} == {s for s, _ in hits}
    assert ("customs:P1", OSETROVA) in hits and ("customs:P2", KALASHNIKOV) in hits
    assert ("customs:P3", ZALA_AERO) in hits and ("customs:O1", ABASHKIN) in hits
    assert rep["hits"] == len(hits)
    p3 = hits["customs:P3", ZALA_AERO]
    assert p3["score"] == 1.0 and p3["state"] == "new" and p3["party_id"] == "P3" and p3["list"] == "zala"
    assert any(r.feature == "identifier" and "9715478507" in r.detail for r in p3["reasons"])
    p1 = hits["customs:P1", OSETROVA]
    name = next(r for r in p1["reasons"] if r.feature == "name")
    assert "ОСЕТРОВА Мария Александровна" in name.detail and name.value >= 0.83
    assert any(r.feature == "country" and "matches" in r.detail for r in p1["reasons"])
    assert hits["customs:P2", KALASHNIKOV]["listed_name"]
    assert p3["hit_id"] == hit_id("customs:P3", ZALA_AERO)


def test_a_false_positive_stays_across_a_rerun_and_a_reload_that_changes_another_entity(zala, tmp_path):
    store, _ = zala
    screen_store(store)
    assert set_hit_state(store, "customs:P2", KALASHNIKOV, "false_positive", user="inv1")
    assert screen_store(store)["decisions_kept"] == 1
    assert _hits(store)["customs:P2", KALASHNIKOV]["state"] == "false_positive"
    # a new version that changes Osetrova only: Kalashnikov is not re-screened, its decision stays
    v2 = load_watchlist(store, zala_variant(tmp_path / "v2.json",
                                            {OSETROVA[5:]: {"birthDate": ["1988-01-08"]}}),
                        name="zala")
    assert (v2.added, v2.changed, v2.removed) == ([], [OSETROVA[5:]], [])
    rescreen_list(store, "zala", v2.added + v2.changed)
    hits = _hits(store)
    assert hits["customs:P2", KALASHNIKOV]["state"] == "false_positive"
    assert hits["customs:P2", KALASHNIKOV]["decided_by"] == "inv1"
    assert screen_store(store)["decisions_kept"] == 1  # and across a full run after the reload
    # the listed entity itself changes: the decision no longer holds
    v3 = load_watchlist(store, zala_variant(tmp_path / "v3.json",
                                            {KALASHNIKOV[5:]: {"country": ["ru", "by"]}}),
                        name="zala")
    rescreen_list(store, "zala", v3.changed)
    assert _hits(store)["customs:P2", KALASHNIKOV]["state"] == "new"


def test_a_false_positive_goes_back_to_new_when_the_party_changes(zala, tmp_path, settings):
    store, _ = zala
    screen_store(store)
    set_hit_state(store, "customs:P2", KALASHNIKOV, "false_positive", user="inv1")
    parties = [r if r[0] != "P2" else ["P2", "Концерн Калашников", "company", "RU", "1832090230"]
               for r in PARTIES]
    ingest_bundle(store, write_bundle(tmp_path / "b2", parties), settings=settings, progress=False)
    screen_store(store)
    assert _hits(store)["customs:P2", KALASHNIKOV]["state"] == "new"


def test_an_unchanged_list_rescreens_nothing_and_one_change_rescreens_one_entity(zala, tmp_path):
    store, _ = zala
    full = screen_store(store)
    assert full["listed_screened"] == 17
    before = _hits(store)
    again = load_watchlist(store, dataset("ftm", "yente_zala.ftm.json"), name="zala")
    nothing = rescreen_list(store, "zala", again.added + again.changed)
    assert nothing["listed_screened"] == 0 and nothing["subjects"] == 0
    assert _hits(store) == before
    # one entity renamed out of reach of P1: one entity screened, its hit gone, the others untouched
    v2 = load_watchlist(store, zala_variant(tmp_path / "v2.json", {OSETROVA[5:]: {
        "name": ["Gulnara Tashkentova"], "alias": [], "firstName": [], "lastName": [], "middleName": [],
        "fatherName": [], "weakAlias": []}}), name="zala")
    assert v2.changed == [OSETROVA[5:]]
    one = rescreen_list(store, "zala", v2.changed)
    assert (one["listed_screened"], one["removed"], one["subjects"]) == (1, 1, 5)
    after = _hits(store)
    assert set(before) - set(after) == {("customs:P1", OSETROVA)}
    assert {k: v["screened_at"] for k, v in after.items()} == {k: before[k]["screened_at"] for k in after}


def test_a_removed_entity_takes_its_hits_and_one_party_screens_alone(zala, tmp_path):
    store, _ = zala
    lines = [x for x in dataset("ftm", "yente_zala.ftm.json").read_text(encoding="utf-8").splitlines()
             if x.strip() and json.loads(x)["id"] != ZALA_AERO[5:]]
    (tmp_path / "v2.json").write_text("\n".join(lines), encoding="utf-8")
    screen_store(store)
    v2 = load_watchlist(store, tmp_path / "v2.json", name="zala")
    assert v2.removed == [ZALA_AERO[5:]]
    assert ("customs:P3", ZALA_AERO) not in _hits(store)
    # on demand: the party and its officers only
    store.run("watchlist.delete_hits", rows=[{"subject": s, "listed": e} for s, e in _hits(store)])
    rep = screen_party(store, "customs:P4")
    assert rep["subjects"] == 2 and set(_hits(store)) == {("customs:O1", ABASHKIN)}


def test_the_scoring_run_screens_and_the_hits_feed_the_risk(zala, settings):
    from graph.pipeline.run import score

    store, _ = zala
    rep = score(store, settings, communities=False, progress=False, declarations=False)
    assert rep["screening"]["hits"] >= 4 and "screening" in rep["timings_s"]
    p3 = store.run("api.party_by_key", key="customs:P3")[0]["party"]
    p4 = store.run("api.party_by_key", key="customs:P4")[0]["party"]
    assert p3["risk_score"] >= 0.6 > p4["risk_score"]
    why = json.loads(p3["risk_reasons"])
    assert any(c["feature"] == "watchlist_hit" for c in why["contributions"])
    assert why["watchlist_hits"][0]["entity_id"] == ZALA_AERO[5:]
    said = [r for r in results.reasons(p3["risk_reasons"]) if r.feature == "watchlist_hit"]
    assert [e.id for r in said for e in r.evidence] == [ZALA_AERO] and "list zala" in said[-1].detail
    # a false positive stops counting at the next run
    set_hit_state(store, "customs:P3", ZALA_AERO, "false_positive", user="inv1")
    score(store, settings, communities=False, progress=False, declarations=False)
    p3 = store.run("api.party_by_key", key="customs:P3")[0]["party"]
    assert p3["risk_score"] < 0.6


def test_an_officers_hit_raises_the_companys_risk_below_a_hit_on_the_company(zala, settings):
    """P4 is clean itself; its director O1 is Abashkin on the zala list: the company's watchlist
    feature rises, by less than P3's own hit, and the reason names the officer and the listed person."""
    from graph.network.risk import OFFICER_HIT_SHARE
    from graph.pipeline.run import score

    store, _ = zala
    score(store, settings, communities=False, progress=False, declarations=False)
    p3 = store.run("api.party_by_key", key="customs:P3")[0]["party"]
    p4 = store.run("api.party_by_key", key="customs:P4")[0]["party"]
    wl = {k: next(c for c in json.loads(p["risk_reasons"])["contributions"]
                  if c["feature"] == "watchlist_hit") for k, p in (("P3", p3), ("P4", p4))}
    o1 = next(h for h in results.screening_hits(store, subject="customs:O1") if h["listed_key"] == ABASHKIN)
    assert wl["P4"]["value"] == pytest.approx(OFFICER_HIT_SHARE * o1["score"], abs=1e-4)
    assert 0 < wl["P4"]["contribution"] < wl["P3"]["contribution"]
    said = [r for r in results.reasons(p4["risk_reasons"]) if r.feature == "watchlist_hit" and r.evidence]
    assert len(said) == 1 and "officer Abashkin Konstantin Igorevich (director)" in said[0].detail
    assert [(e.kind, e.id) for e in said[0].evidence] == [("person", "customs:O1"),
                                                          ("listed_entity", ABASHKIN)]
    # the officer's hit marked false positive: the company's feature falls back to nothing
    set_hit_state(store, "customs:O1", ABASHKIN, "false_positive", user="inv1")
    score(store, settings, communities=False, progress=False, declarations=False)
    p4 = store.run("api.party_by_key", key="customs:P4")[0]["party"]
    assert not any(c["feature"] == "watchlist_hit" for c in json.loads(p4["risk_reasons"])["contributions"])


def test_the_cards_lookup_from_the_party_gives_what_a_scan_of_every_hit_gives(zala):
    store, _ = zala
    screen_store(store)
    every = results.screening_hits(store)  # the scan of every hit, as the reference
    assert not [h for h in every if h["subject"] == "customs:P4"]  # its director's hit only
    for key in ("customs:P1", "customs:P2", "customs:P3", "customs:O1"):
        own = [h for h in every if h["subject"] == key]
        assert results.screening_hits(store, subject=key) == own and own
        assert results.screening_hits(store, subject=key, state="confirmed") == []
    for key in ("customs:P1", "customs:P2", "customs:P3", "customs:P4"):
        officers = {o["person"] for o in store.run("watchlist.officers_of", key=key)}
        scan = [h for h in every if h["subject"] == key or h["subject"] in officers]
        got = results.party_screening_hits(store, key)
        assert sorted(got, key=lambda h: h["hit_id"]) == sorted(scan, key=lambda h: h["hit_id"]) and got
    assert [h["subject"] for h in results.party_screening_hits(store, "customs:P4")] == ["customs:O1"]
