"""World -> ingest -> score -> checks against the planted truth, on a real Grafeo store on disk.

Measured here (the issue's goals): among entities without offences of their own, the top K are
planted clean ring members / phoenix successors (>= 90 %), traps <= 2 %; every ring >= 80 % in one
group with <= 20 % outsiders; resolution pairwise F1 >= 0.95 against the planted duplicates.
Then: results written back, re-runs idempotent, human decisions honoured, exports readable.
"""

from __future__ import annotations

import csv
import io
import json
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from graph.network.resolution import pairwise_f1
from graph.pipeline.export import export
from graph.pipeline.run import analyse, score
from graph.settings import Settings
from graph.store import open_store


def world_metrics(results, truth: dict, source: str) -> dict:
    """The issue's quality figures for one analysed world (party ids in truth -> store keys)."""
    p = results.projection
    ent_of = {str(key): int(e) for key, e in zip(p.party_keys, p.party_entity, strict=True)}

    def ents(ids):
        return {ent_of[f"{source}:{x}"] for x in ids if f"{source}:{x}" in ent_of}

    offenders = ents(truth["offenders"])
    planted = set()
    for ring in truth["rings"]:
        planted |= ents(ring["clean_members"])
    planted |= ents([x["successor"] for x in truth["phoenix"]])
    planted -= offenders
    traps = set()
    for kind in ("business_centre", "holding", "hub_brokers", "hub_carriers", "newcomers"):
        traps |= ents(truth["traps"].get(kind, []))
    score = results.scores.score
    clean = np.array([e for e in range(p.n_entities) if e not in offenders])
    order = clean[np.argsort(-score[clean], kind="stable")]
    k = len(planted)
    top = set(order[:k].tolist())
    rings_ok = []
    g = results.groups.group_of
    for ring in truth["rings"]:
        members = sorted(ents(ring["members"]))
        labels, counts = np.unique(g[members], return_counts=True)
        best = int(np.argmax(np.where(labels >= 0, counts, -1)))
        lab, cnt = labels[best], counts[best]
        size = int((g == lab).sum()) if lab >= 0 else 0
        rings_ok.append(bool(lab >= 0 and cnt / len(members) >= 0.8 and (size - cnt) / size <= 0.2))
    dups = [[f"{source}:{x}" for x in grp] for grp in truth["duplicates"]]
    return {
        "k": k,
        "precision_at_k": len(top & planted) / k if k else 1.0,
        "trap_share": len(top & traps) / k if k else 0.0,
        "rings_recovered": sum(rings_ok) / len(rings_ok) if rings_ok else 1.0,
        "resolution": pairwise_f1(results.resolution.entity_of, dups),
    }


#: the planted HS switch is written into the graph alone (the simulator plants none), which the
#: ledger does not see: this module scores in the store's process, on frames read from the graph
#: (tests/graph/pipeline/test_analytics_process.py compares that path with the child process's)
HERE = "in-process"

SWITCH_TO = "9405100000"  # the code the planted trader switches to (never used by it before)


def _plant_hs_switch(store, truth: dict) -> str:
    """The simulator plants no sudden HS switch: one ordinary importer's history is rewritten into one
    (its main code at 15 % duty, then from the middle of its history a code it never used, duty free),
    so the switch write-back and exports have a known event. Returns the party key."""
    named = json.dumps(truth)
    busiest = store.execute("MATCH (d:Declaration)-[:CONSIGNED_TO]->(p:Party) "
                            "RETURN p.key AS k, p.party_id AS pid, count(d) AS n ORDER BY n DESC, k")
    key = next(r["k"] for r in busiest if r["pid"] not in named)
    items = store.execute("MATCH (d:Declaration)-[:CONSIGNED_TO]->(:Party {key: $k}) "
                          "RETURN d.date AS date, d.hs_code AS hs", {"k": key})
    assert not any(i["hs"].startswith(SWITCH_TO[:6]) for i in items)
    main = max(sorted({i["hs"] for i in items}), key=[i["hs"] for i in items].count)
    cut = sorted(i["date"] for i in items)[len(items) // 2]
    for when, hs, rate in (("d.date < $cut", main, 15.0), ("d.date >= $cut", SWITCH_TO, 0.0)):
        store.execute(f"MATCH (d:Declaration)-[:CONSIGNED_TO]->(:Party {{key: $k}}) WHERE {when} "
                      "SET d.hs_code = $hs, d.duty_rate = $rate",
                      {"k": key, "cut": cut, "hs": hs, "rate": rate}, mode="write")
    return key


@pytest.fixture(scope="module")
def scored(small_world: Path, tmp_path_factory):
    from ingest.load import ingest_bundle

    data = tmp_path_factory.mktemp("pipeline")
    s = Settings(env="test", data_dir=data / "data")
    store = open_store(s)
    store.ensure_schema()
    ingest_bundle(store, small_world, settings=s, progress=False)
    truth = json.loads((small_world / "truth.json").read_text())
    truth["hs_switch_party"] = _plant_hs_switch(store, truth)
    report = score(store, s, where=HERE, progress=False)
    yield store, s, report, truth
    store.close()


def _source(store) -> str:
    return store.execute("MATCH (p:Party) RETURN p.source AS s LIMIT 1")[0]["s"]


def test_quality_on_the_small_world(scored):
    store, _s, _report, truth = scored
    from graph.store.frames import Frames

    r = analyse(Frames.from_store(store), declarations=False, communities=False)
    m = world_metrics(r, truth, _source(store))
    assert m["k"] > 0
    assert m["precision_at_k"] >= 0.9, m
    assert m["trap_share"] <= 0.02, m
    assert m["rings_recovered"] == 1.0, m
    assert m["resolution"]["f1"] >= 0.95, m


def test_results_written_back(scored):
    store, _s, report, truth = scored
    n_parties = store.execute("MATCH (p:Party) RETURN count(p) AS n")[0]["n"]
    scored_parties = store.execute(
        "MATCH (p:Party) WHERE p.risk_score IS NOT NULL AND p.entity_id IS NOT NULL "
        "AND p.risk_rank IS NOT NULL RETURN count(p) AS n")[0]["n"]
    assert scored_parties == n_parties
    n_entities = store.execute("MATCH (e:Entity) RETURN count(e) AS n")[0]["n"]
    assert n_entities == report["entities"] < n_parties  # duplicates merged
    assert store.execute("MATCH (:Party)-[r:RESOLVED_TO]->(:Entity) "
                         "RETURN count(r) AS n")[0]["n"] == n_parties
    assert store.execute("MATCH (g:Group) RETURN count(g) AS n")[0]["n"] == report["groups"] > 0
    row = store.execute("MATCH (p:Party)-[:MEMBER_OF]->(g:Group) RETURN p.group_id AS pg, g.key AS g, "
                        "g.links AS links LIMIT 1")[0]
    assert row["pg"] == row["g"] and json.loads(row["links"])
    reasons = store.execute("MATCH (p:Party) WHERE p.risk_rank = 1 RETURN p.risk_reasons AS r")[0]["r"]
    assert json.loads(reasons)["contributions"]
    spec = store.execute("MATCH (a:Address) WHERE a.specificity IS NOT NULL RETURN count(a) AS n")[0]["n"]
    assert spec > 0
    assert store.execute("MATCH (s:ScoreRun) RETURN count(s) AS n")[0]["n"] >= 1
    # a phoenix successor points at its predecessor
    src = _source(store)
    succ = f"{src}:{truth['phoenix'][0]['successor']}"
    ph = store.execute("MATCH (p:Party {key: $k}) RETURN p.phoenix_of AS of, p.phoenix_score AS s",
                       {"k": succ})[0]
    assert ph["of"] is not None and ph["s"] > 0
    # the declaration engineer's results are written too (cover items at least)
    if report.get("cover_items"):
        assert store.execute("MATCH (d:Declaration) WHERE d.cover_score IS NOT NULL "
                             "RETURN count(d) AS n")[0]["n"] == report["cover_items"]
    # the yellow and red proposals are stored with reasons; green is every other item
    stored = {r["lane"]: r["n"] for r in store.execute(
        "MATCH (d:Declaration) WHERE d.lane IS NOT NULL RETURN d.lane AS lane, count(d) AS n")}
    assert stored == {k: v for k, v in report["lanes"].items() if k != "green"} and stored.get("red")
    red = store.execute("MATCH (d:Declaration {lane: 'red'}) "
                        "RETURN d.assessment_reasons AS r LIMIT 1")[0]["r"]
    assert json.loads(red)
    # unit-value anomalies on their items, strongest first as in graph.declarations.goods
    assert report["unit_value_anomalies"] > 0
    assert _uv_flags(store) == report["unit_value_anomalies"] == report["written"]["unit_value_anomalies"]
    top = store.execute("MATCH (d:Declaration) WHERE d.uv_z IS NOT NULL RETURN d.uv_z AS z, d.uv_value AS v, "
                        "d.uv_norm AS norm, d.uv_duties_at_stake AS dts, d.uv_reasons AS r "
                        "ORDER BY abs(z) DESC LIMIT 1")[0]
    reason = json.loads(top["r"])[0]
    assert reason["feature"] == "unit_value" and reason["robust_z"] == top["z"] and abs(top["z"]) >= 3.5
    assert reason["value"] == top["v"] and reason["norm"] == top["norm"] and top["dts"] >= 0
    # HS switches on their traders' Party nodes: every event of the report stored once, the planted one found
    stored_sw = {r["k"]: (r["s"], json.loads(r["j"])) for r in store.execute(
        "MATCH (p:Party) WHERE p.hs_switches IS NOT NULL "
        "RETURN p.key AS k, p.hs_switch_score AS s, p.hs_switches AS j")}
    assert len(stored_sw) == report["written"]["hs_switch_parties"]
    assert sum(len(evs) for _s, evs in stored_sw.values()) == report["hs_switches"] >= 1
    assert all(s == max(e["score"] for e in evs) for s, evs in stored_sw.values())
    ev = stored_sw[truth["hs_switch_party"]][1][0]
    assert ev["to_hs"] == SWITCH_TO[:6] and ev["from_hs"] != ev["to_hs"] and ev["n_old_after"] == 0
    assert ev["duty_rate_before"] == 15.0 and ev["duty_rate_after"] == 0.0 and ev["score"] >= 0.5
    assert ev["date"] == str(ev["date"])[:10] and ev["n_new"] >= 2 and len(ev["keys"]) == min(ev["n_new"], 20)
    assert {r["feature"] for r in ev["reasons"]} == {"habit", "switch", "duty_drop"}


def _uv_flags(store) -> int:
    return store.execute("MATCH (d:Declaration) WHERE d.uv_z IS NOT NULL RETURN count(d) AS n")[0]["n"]


def test_a_rerun_replaces_unit_value_and_hs_switch_flags(scored):
    """Flags of an earlier run that the next run does not raise are cleared, none are written twice."""
    store, s, _report, _truth = scored
    plain = store.execute("MATCH (d:Declaration) WHERE d.uv_z IS NULL "
                          "RETURN d.key AS k ORDER BY k LIMIT 1")[0]["k"]
    store.execute("MATCH (d:Declaration {key: $k}) SET d.uv_z = -99.0, d.uv_reasons = '[]'",
                  {"k": plain}, mode="write")
    calm = store.execute("MATCH (p:Party) WHERE p.hs_switches IS NULL "
                         "RETURN p.key AS k ORDER BY k LIMIT 1")[0]["k"]
    store.execute("MATCH (p:Party {key: $k}) SET p.hs_switches = '[]', p.hs_switch_score = 0.99",
                  {"k": calm}, mode="write")
    report = score(store, s, where=HERE, progress=False, communities=False)
    assert report["written"]["unit_values_cleared"] == report["unit_value_anomalies"] + 1
    assert _uv_flags(store) == report["unit_value_anomalies"]
    assert store.execute("MATCH (d:Declaration {key: $k}) RETURN d.uv_z AS z", {"k": plain})[0]["z"] is None
    assert store.execute("MATCH (p:Party {key: $k}) RETURN p.hs_switches AS j", {"k": calm})[0]["j"] is None
    assert store.execute("MATCH (p:Party) WHERE p.hs_switches IS NOT NULL RETURN count(p) AS n")[0]["n"] \
        == report["written"]["hs_switch_parties"]
    # a run without the declaration analytics keeps the flags of the last run that computed them
    score(store, s, where=HERE, progress=False, communities=False, declarations=False)
    assert _uv_flags(store) == report["unit_value_anomalies"]
    assert store.execute("MATCH (p:Party) WHERE p.hs_switches IS NOT NULL RETURN count(p) AS n")[0]["n"] \
        == report["written"]["hs_switch_parties"]


def test_a_rerun_clears_lanes_no_longer_proposed(scored):
    """An item stored red that the next run puts in the green lane loses its stored proposal."""
    store, s, _report, _truth = scored
    green = store.execute("MATCH (d:Declaration) WHERE d.lane IS NULL "
                          "RETURN d.key AS k ORDER BY k LIMIT 1")[0]["k"]
    store.execute("MATCH (d:Declaration {key: $k}) SET d.lane = 'red', d.assessment_score = 0.99",
                  {"k": green}, mode="write")
    report = score(store, s, where=HERE, progress=False, communities=False)
    assert report["written"]["assessments_cleared"] >= 1
    assert store.execute("MATCH (d:Declaration {key: $k}) RETURN d.lane AS l", {"k": green})[0]["l"] is None
    stored = store.execute("MATCH (d:Declaration) WHERE d.lane IS NOT NULL RETURN count(d) AS n")[0]["n"]
    assert stored == report["lanes"].get("red", 0) + report["lanes"].get("yellow", 0)


def test_rerun_is_idempotent_and_honours_decisions(scored):
    store, s, _report, truth = scored
    before = {lab: store.execute(f"MATCH (n:{lab}) RETURN count(n) AS n")[0]["n"]
              for lab in ("Entity", "Group")}
    score(store, s, where=HERE, progress=False, declarations=False)
    after = {lab: store.execute(f"MATCH (n:{lab}) RETURN count(n) AS n")[0]["n"]
             for lab in ("Entity", "Group")}
    assert before == after
    # an investigator rejects one planted duplicate merge: the next runs keep the records apart
    src = _source(store)
    a, b = (f"{src}:{x}" for x in truth["duplicates"][0][:2])
    ea, eb = (store.execute("MATCH (p:Party {key: $k}) RETURN p.entity_id AS e", {"k": x})[0]["e"]
              for x in (a, b))
    assert ea == eb
    store.run("api.decision_create", key="decision:test-1", kind="not_same_entity", subject=a, object=b,
              value=None, note="different companies", user="inspector", at="2026-01-01T00:00:00+00:00",
              status="effective")
    for _ in range(2):
        score(store, s, where=HERE, progress=False, declarations=False, communities=False)
        ea, eb = (store.execute("MATCH (p:Party {key: $k}) RETURN p.entity_id AS e", {"k": x})[0]["e"]
                  for x in (a, b))
        assert ea != eb


def _csv(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_exports(scored, tmp_path):
    store, _s, _report, truth = scored
    ents = _csv(export(store, "entities", "csv", None))
    assert list(ents[0]) == ["Party ID", "Entity ID", "Name", "Risk score", "Rank", "Group ID", "Reasons"]
    assert ents[0]["Rank"] == "1" and float(ents[0]["Risk score"]) >= float(ents[1]["Risk score"])
    assert "signal: " in ents[0]["Reasons"] and "contribution" in ents[0]["Reasons"]
    groups = _csv(export(store, "groups", "csv", None))
    assert groups and groups[0]["Links"]
    res = json.loads(export(store, "resolved-entities", "json", None))
    assert set(res[0]) == {"party_id", "entity_id", "confidence"}
    assert len({r["entity_id"] for r in res}) < len(res)
    out = export(store, "cover-items", "json", tmp_path / "cover.json")
    assert isinstance(out, Path) and out.exists()
    uv = _csv(export(store, "unit-value-anomalies", "csv", None))
    assert list(uv[0]) == ["Declaration ID", "Item", "Date", "HS code", "Value per kg", "Usual value per kg",
                           "Robust z", "Direction", "Duties at stake", "Reasons"]
    assert len(uv) == _uv_flags(store) and "usual" in uv[0]["Reasons"]
    zs = [abs(float(r["Robust z"])) for r in uv]
    assert zs == sorted(zs, reverse=True) and zs[-1] >= 3.5
    assert all(r["Direction"] == ("under" if float(r["Robust z"]) < 0 else "over") for r in uv)
    uv_json = json.loads(export(store, "unit-value-anomalies", "json", None))
    assert uv_json[0]["declaration_id"] == uv[0]["Declaration ID"]
    assert uv_json[0]["reasons"][0]["feature"] == "unit_value"
    sw = _csv(export(store, "hs-switches", "csv", None))
    assert list(sw[0]) == ["Party ID", "Name", "Date", "From HS", "To HS", "Items under the new code",
                           "Items still under the old code", "Duty rate before", "Duty rate after", "Score",
                           "Reasons"]
    scores = [float(r["Score"]) for r in sw]
    assert scores == sorted(scores, reverse=True)
    planted = store.execute("MATCH (p:Party {key: $k}) RETURN p.party_id AS pid",
                            {"k": truth["hs_switch_party"]})[0]["pid"]
    row = next(r for r in sw if r["Party ID"] == planted)
    assert row["To HS"] == SWITCH_TO[:6] and row["Items still under the old code"] == "0"
    assert "duty rate 15.0% -> 0.0%" in row["Reasons"] and row["Name"]
    sw_json = json.loads(export(store, "hs-switches", "json", None))
    assert len(sw_json) == len(sw) and set(sw_json[0]) == {
        "party_id", "name", "date", "from_hs", "to_hs", "n_new", "n_old_after", "duty_rate_before",
        "duty_rate_after", "score", "reasons"}
    assert next(r for r in sw_json if r["party_id"] == planted)["duty_rate_before"] == 15.0
    plan = _csv(export(store, "audit-targets", "csv", None, budget=5))
    assert len(plan) == 5 and plan[0]["Rank"] == "1" and float(plan[0]["Expected amount"]) >= 0
    # audits are of resolved entities, named, and their ids open the entity card (api resolve_party)
    entities = {r["e"] for r in store.execute("MATCH (p:Party) RETURN DISTINCT p.entity_id AS e")}
    assert all(r["Target kind"] == "entity" and r["Target ID"] in entities and r["Name"] for r in plan)
    with pytest.raises(ValueError):
        export(store, "audit-targets", "csv", None)
    with pytest.raises(ValueError):
        export(store, "nonsense", "csv", None)
    path = export(store, "entities", "csv", tmp_path / "e.csv")
    assert path.read_bytes().startswith("\ufeff".encode())


VARIANTS = [
    pytest.param({"seed": 11, "ring_size": [6, 12], "ring_offender_share": 0.25},
                 id="big-rings-few-offenders"),
    pytest.param({"seed": 13, "ring_size": [3, 5], "ring_offender_share": 0.5, "phoenix": 4, "newcomers": 20},
                 id="small-rings"),
    pytest.param({"seed": 21, "business_centre_size": [8, 15], "business_centres": 3, "holding_size": [4, 7],
                  "holdings": 3},
                 id="ring-sized-traps", marks=pytest.mark.slow),
    pytest.param({"seed": 12, "business_centre_size": [60, 100], "holding_size": [15, 25], "holdings": 2,
                  "hub_broker_share": 0.7, "hub_carrier_share": 0.7},
                 id="big-hubs", marks=pytest.mark.slow),
    pytest.param({"seed": 14, "messy_share": 0.6, "missing_share": 0.2, "duplicates": 12}, id="messy-records",
                 marks=pytest.mark.slow),
]


@pytest.mark.parametrize("knobs", VARIANTS)
def test_quality_across_seeds_and_settings(knobs, tmp_path):
    """Worlds generated with other seeds and settings than the ones the defaults were tuned on."""
    from graph.store.frames import Frames
    from ingest.load import ingest_bundle
    from ingest.simulate import generate_world

    knobs = dict(knobs)
    seed = knobs.pop("seed")
    generate_world(tmp_path / "bundle", seed=seed, declarations=6000, **knobs)
    s = Settings(env="test", data_dir=tmp_path / "data")
    with open_store(s) as store:
        store.ensure_schema()
        ingest_bundle(store, tmp_path / "bundle", settings=s, progress=False)
        source = _source(store)
        frames = Frames.from_store(store)
    r = analyse(frames, declarations=False, communities=False)
    m = world_metrics(r, json.loads((tmp_path / "bundle" / "truth.json").read_text()), source)
    assert m["precision_at_k"] >= 0.9, m
    assert m["trap_share"] <= 0.02, m
    assert m["rings_recovered"] == 1.0, m
    assert m["resolution"]["f1"] >= 0.95, m


def test_score_on_an_empty_store(grafeo_store, settings):
    rep = score(grafeo_store, settings, progress=False, communities=False)
    assert rep["parties"] == 0 and rep["entities"] == 0 and rep["groups"] == 0
    assert grafeo_store.execute("MATCH (s:ScoreRun) RETURN count(s) AS n")[0]["n"] == 1
    with pytest.raises(ValueError, match="no scores"):
        export(grafeo_store, "audit-targets", "csv", None, budget=3)


def test_frames_paging_gives_the_same_frames(scored):
    """Key-range pages (here 700 rows) read exactly what one big page reads."""
    from graph.store.frames import COLUMNS, Frames

    store = scored[0]
    small, big = Frames.from_store(store, page=700), Frames.from_store(store)
    for name in COLUMNS:
        a, b = getattr(small, name), getattr(big, name)
        assert len(a) == len(b), name
        if len(a) > 700 or name == "declarations":
            sa = a.astype(str).sort_values(list(a.columns)).reset_index(drop=True)
            sb = b.astype(str).sort_values(list(b.columns)).reset_index(drop=True)
            assert sa.equals(sb), name
    assert small.declarations["consignee"].notna().mean() > 0.9


def test_frames_take_the_route_columns_from_the_route(scored, small_world: Path):
    """Items do not store their route's columns (graph.domain.schema): the frames join them from the
    Route, and they equal the bundle's values row for row."""
    import pandas as pd

    from graph.store.frames import Frames
    from ingest.normalise import normalise_transport_mode

    store = scored[0]
    stored = store.execute("MATCH (d:Declaration) WHERE d.origin_country IS NOT NULL "
                           "OR d.border_post IS NOT NULL RETURN count(d) AS n")
    assert stored[0]["n"] == 0
    decl = Frames.from_store(store).declarations
    src = pd.read_csv(small_world / "declarations.csv", dtype=str, keep_default_na=False)
    src["key"] = _source(store) + ":" + src["declaration_id"] + "/" + src["item_no"].astype(int).astype(str)
    both = decl.merge(src, on="key", suffixes=("", "_file"))
    assert len(both) == len(src) == len(decl)
    for col in ("origin_country", "dispatch_country", "transit_countries", "border_post"):
        assert (both[col].fillna("") == both[f"{col}_file"]).all(), col
    modes = both["transport_mode_file"].map(lambda m: normalise_transport_mode(m) or "")
    assert (both["transport_mode"].fillna("") == modes).all()


def test_date_pages_cover_every_date_once_within_the_page_size():
    import datetime as dt

    from graph.store.frames import date_pages

    d = [dt.date(2025, 1, 1) + dt.timedelta(days=i) for i in range(10)]
    counts = pd.DataFrame({"date": d, "items": [3, 3, 3, 9, 1, 1, 1, 1, 2, 2]})
    pages = date_pages(counts.sample(frac=1, random_state=1), 6)  # any row order
    assert pages == [(d[0], d[2]), (d[2], d[3]), (d[3], d[4]), (d[4], d[9]),
                     (d[9], d[9] + dt.timedelta(days=1))]
    # consecutive, no gaps, every page within the size except a single date that alone exceeds it
    assert all(a[1] == b[0] for a, b in pairwise(pages))
    per = counts.set_index("date")["items"]
    sizes = [int(per[(per.index >= lo) & (per.index < hi)].sum()) for lo, hi in pages]
    assert sizes == [6, 3, 9, 6, 2]
    assert date_pages(counts.iloc[:0], 6) == []
