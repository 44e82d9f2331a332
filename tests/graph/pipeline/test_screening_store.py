"""Screening a real store: hits as SCREENED_AS edges, a path trader -> listed owner, decisions kept."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from graph.pipeline.screening import screen_store, set_hit_state
from ingest.load import ingest_bundle
from ingest.watchlists import load_watchlist

PARTIES = [["party_id", "name", "kind", "country", "tax_id"],
           ["P1", "ООО «Альфа Трейд»", "company", "RU", "7701234567"],
           ["P2", "Ural Metall Servis", "company", "RU", ""]]
DECLARATIONS = [["declaration_id", "item_no", "date", "declarant_id", "consignee_id", "hs_code",
                 "customs_value"],
                ["D1", "1", "2025-03-01", "P1", "P2", "847130", "1000"]]
OFFICERS = [["company_id", "person_id", "person_name", "role"],
            ["P2", "O1", "Петров Иван Сергеевич", "director"]]


def _bundle(folder: Path) -> Path:
    folder.mkdir()
    for name, rows in (("parties", PARTIES), ("declarations", DECLARATIONS), ("officers", OFFICERS)):
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(rows)
    return folder


def _list(path: Path, birth: str) -> Path:
    lines = [
        {"id": "alpha", "schema": "Company", "properties": {"name": ["Alpha Treyd LLC"], "country": ["ru"]}},
        {"id": "petrov", "schema": "Person",
         "properties": {"name": ["PETROV, Ivan Sergeevich"], "birthDate": [birth]}},
        {"id": "boss", "schema": "Person", "properties": {"name": ["Oleg Sidorenko"]}},
        {"id": "own1", "schema": "Ownership", "properties": {"owner": ["boss"], "asset": ["alpha"]}},
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines), encoding="utf-8")
    return path


@pytest.fixture
def screened(tmp_path, settings, grafeo_store):
    ingest_bundle(grafeo_store, _bundle(tmp_path / "b"), settings=settings, progress=False)
    load_watchlist(grafeo_store, _list(tmp_path / "l1.json", "1970"), name="s")
    return grafeo_store, screen_store(grafeo_store)


def test_hits_are_edges_and_the_path_to_the_listed_owner_is_in_the_graph(screened):
    store, rep = screened
    assert (rep["hits"], rep["new"]) == (2, 2)
    hits = {(h["subject"], h["listed"]): h for h in store.run("watchlist.hits")}
    assert set(hits) == {("customs:P1", "s:alpha"), ("customs:O1", "s:petrov")}
    assert {f["feature"] for f in json.loads(hits["customs:P1", "s:alpha"]["reasons"])} == {"name", "country"}
    path = store.execute("MATCH (p:Party {key: $k})-[:SCREENED_AS]->(:ListedEntity)"
                         "<-[:OWNS]-(o:ListedEntity) "
                         "RETURN o.name AS owner", {"k": "customs:P1"})
    assert path == [{"owner": "Oleg Sidorenko"}]


def test_a_false_positive_stays_until_the_listed_entity_changes(screened, tmp_path):
    store, _ = screened
    assert set_hit_state(store, "customs:O1", "s:petrov", "false_positive", user="inv1")
    assert not set_hit_state(store, "customs:P2", "s:petrov", "confirmed", user="inv1")
    again = screen_store(store)
    assert again["decisions_kept"] == 1
    states = {(h["subject"], h["listed"]): (h["state"], h["decided_by"]) for h in store.run("watchlist.hits")}
    assert states["customs:O1", "s:petrov"] == ("false_positive", "inv1")
    load_watchlist(store, _list(tmp_path / "l2.json", "1971"), name="s")  # petrov changed
    screen_store(store)
    states = {(h["subject"], h["listed"]): h["state"] for h in store.run("watchlist.hits")}
    assert states["customs:O1", "s:petrov"] == "new"


def test_a_hit_no_longer_found_is_removed_and_a_bad_state_refused(screened, tmp_path):
    store, _ = screened
    with pytest.raises(ValueError, match="state"):
        set_hit_state(store, "customs:O1", "s:petrov", "maybe", user="inv1")
    path = tmp_path / "l3.json"
    path.write_text(json.dumps({"id": "alpha", "schema": "Company",
                                "properties": {"name": ["Alpha Treyd LLC"]}}))
    load_watchlist(store, path, name="s")
    rep = screen_store(store)
    assert rep["hits"] == 1 and [h["listed"] for h in store.run("watchlist.hits")] == ["s:alpha"]
