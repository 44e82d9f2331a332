"""Mapping profiles: the KCS layout on a few hand-written rows (fast, no outside data), errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.load import count_graph, ingest_bundle
from ingest.profiles import ProfileError, available, load_profile
from ingest.validate import BundleError

KCS_HEADER = ("Declaration ID,Date,Office ID,Process Type,Import Type,Import Use,Payment Type,"
              "Mode of Transport,"
              "Declarant ID,Importer ID,Seller ID,Courier ID,HS6 Code,Country of Departure,Country of Origin,"
              "Tax Rate,Tax Type,Country of Origin Indicator,Net Mass,Item Price,Fraud,Critical Fraud")
KCS_ROWS = [
    "97061800,2020-01-01,30,B,11,21,11,10,DECL1,IMP1,SEL1,,440890,BE,BE,0.0,FEU1,G,108.0,372254.4,0,0",
    "85945189,2020-01-01,40,B,11,21,11,40,DECL1,IMP2,,CUR1,71080,CN,CN,8.0,A,Y,11352.0,375751.2,1,2",
    "77854751,2020-01-02,40,B,11,21,11,40,DECL2,IMP1,SEL1,,690722,CN,CN,8.0,A,Y,20.7,5353.02,1,1",
    "11111111,2020-01-02,40,B,11,21,11,40,DECL9,IMP9,SEL1,,690722,CN,CN,8.0,A,Y,-1,5353.02,0,0",
]


def write_kcs(folder, header=KCS_HEADER, rows=KCS_ROWS, name="df_syn_train_eng.csv"):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return folder


def test_profiles_available_and_unknown():
    assert {"contract", "kcs"} <= set(available())
    assert load_profile("kcs").source == "kcs" and load_profile("contract").source == "customs"
    with pytest.raises(ProfileError, match="no mapping profile 'nope'"):
        load_profile("nope")


def test_kcs_rows_map_onto_the_contract(tmp_path, settings, grafeo_store):
    rep = ingest_bundle(grafeo_store, write_kcs(tmp_path / "kcs"), profile="kcs", settings=settings,
                        progress=False)
    d = rep.files["declarations"]
    assert (d.read, d.loaded, d.quarantined) == (4, 3, 1)
    rec = json.loads(Path(rep.quarantine_path).read_text().splitlines()[0])
    assert (rec["line"], rec["column"]) == (5, "net_mass_kg")
    # DECL1 DECL2 IMP1 IMP2 SEL1 CUR1; DECL9 and IMP9 appear only in the quarantined row
    assert rep.files["parties"].loaded == 6
    nodes, rels = count_graph(grafeo_store)
    assert nodes["Party"] == 6
    rows = grafeo_store.execute(
        "MATCH (d:Declaration)-[:DECLARED_BY]->(p:Party) MATCH (d)-[:ON_ROUTE]->(rt:Route) "
        "RETURN d.declaration_id AS id, d.hs_code AS hs, rt.transport_mode AS mode, "
        "d.inspection_result AS res, "
        "rt.destination_country AS dest, rt.origin_country AS origin, d.duty_rate AS rate, "
        "p.key AS declarant "
        "ORDER BY id")
    assert rows == [
        {"id": "77854751", "hs": "690722", "mode": "air", "res": "violation", "dest": "KR", "origin": "CN",
         "rate": 8.0, "declarant": "kcs:DECL2"},
        {"id": "85945189", "hs": "071080", "mode": "air", "res": "violation", "dest": "KR", "origin": "CN",
         "rate": 8.0, "declarant": "kcs:DECL1"},
        {"id": "97061800", "hs": "440890", "mode": "sea", "res": "clear", "dest": "KR", "origin": "BE",
         "rate": 0.0, "declarant": "kcs:DECL1"},
    ]
    assert rels["CARRIED_BY"] == 1 and rels["CONSIGNED_BY"] == 2 and rels["CONSIGNED_TO"] == 3


def test_kcs_missing_column_names_the_source_column(tmp_path, settings, grafeo_store):
    header = KCS_HEADER.replace("HS6 Code", "HS Code")
    folder = write_kcs(tmp_path / "kcs", header=header)
    with pytest.raises(BundleError) as e:
        ingest_bundle(grafeo_store, folder, profile="kcs", settings=settings, progress=False)
    assert e.value.column == "hs_code" and "HS6 Code" in str(e.value)
    assert sum(count_graph(grafeo_store)[0].values()) == 0


def test_kcs_without_any_file(tmp_path, settings, grafeo_store):
    (tmp_path / "empty").mkdir()
    with pytest.raises(BundleError) as e:
        ingest_bundle(grafeo_store, tmp_path / "empty", profile="kcs", settings=settings, progress=False)
    assert e.value.file == "declarations"
