"""Watchlists: FtM files and own CSV lists into a real store, versioned; the diff of a reload."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import dataset
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.pipeline.screening import listed_frame
from ingest.load import count_graph
from ingest.watchlists import WatchlistError, load_watchlist, read_csv

HEADER = "entity_id,name,kind,aliases,country,birth_date,tax_id,registration_number,reason\n"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def ftm_line(eid: str, schema: str, **props) -> str:
    return json.dumps({"id": eid, "schema": schema, "properties": {k: v if isinstance(v, list) else [v]
                                                                   for k, v in props.items()}})


def test_the_real_zala_file_brings_its_entities_and_links(grafeo_store):
    path = dataset("ftm", "yente_zala.ftm.json")
    rep = load_watchlist(grafeo_store, path, name="zala")
    # 6 persons + 11 companies; 14 Ownership + 3 Directorship + 4 Family records
    assert (rep.version, rep.entities, rep.links, len(rep.added), rep.dangling_links) == (1, 17, 21, 17, 0)
    nodes, rels = count_graph(grafeo_store)
    assert (nodes["ListedEntity"], nodes["Watchlist"], nodes["WatchlistVersion"]) == (17, 1, 1)
    assert (rels["OWNS"], rels["DIRECTS"], rels["RELATED_TO"]) == (14, 3, 4)
    links = grafeo_store.run("watchlist.links", list="zala")
    assert {r["kind"] for r in links if r["type"] == "RELATED_TO"} == {"family"}
    ents = listed_frame(grafeo_store).set_index("entity_id")
    osetrova = ents.loc["NK-2Tbri3s6GgNtAwsSXh4qpL"]
    assert "Мария Александровна Осетрова" in osetrova["names"]
    assert {"kind": "inn", "value": "183116181362"} in osetrova["identifiers"]
    # the same file again: a new version that changes nothing
    again = load_watchlist(grafeo_store, path, name="zala")
    assert ((again.version, again.added, again.changed, again.removed, again.links_added)
            == (2, [], [], [], []))
    assert count_graph(grafeo_store) == (nodes | {"WatchlistVersion": 2}, rels)


def test_a_reload_reports_added_changed_and_removed(tmp_path, grafeo_store):
    v1 = write(tmp_path / "v1.json", "\n".join([
        ftm_line("a", "Company", name="Alpha Trade LLC", innCode="7701234567"),
        ftm_line("b", "Person", name="Ivan Petrov", birthDate="1970"),
        ftm_line("c", "Person", name="Olga Sidorova"),
        ftm_line("o1", "Ownership", owner="b", asset="a", percentage="51"),
        ftm_line("f1", "Family", person="b", relative="c", relationship="spouse"),
    ]))
    v2 = write(tmp_path / "v2.json", "\n".join([
        ftm_line("a", "Company", name="Alpha Trade LLC", innCode="7701234567"),  # unchanged
        ftm_line("b", "Person", name="Ivan Petrov", birthDate="1971"),  # changed
        ftm_line("d", "Company", name="Delta Logistics"),  # added; c removed
        ftm_line("o1", "Ownership", owner="b", asset="a", percentage="75"),  # changed link
        ftm_line("x1", "Directorship", director="b", organization="d"),  # added link; f1 goes with c
    ]))
    r1 = load_watchlist(grafeo_store, v1, name="test")
    assert (r1.added, r1.links_added) == (["a", "b", "c"], ["f1", "o1"])
    r2 = load_watchlist(grafeo_store, v2, name="test")
    assert (r2.version, r2.added, r2.changed, r2.removed) == (2, ["d"], ["b"], ["c"])
    assert (r2.links_added, r2.links_changed, r2.links_removed) == (["x1"], ["o1"], ["f1"])
    ents = listed_frame(grafeo_store)
    assert sorted(ents["entity_id"]) == ["a", "b", "d"]
    links = {(r["type"], r["source"], r["target"]) for r in grafeo_store.run("watchlist.links", list="test")}
    assert links == {("OWNS", "b", "a"), ("DIRECTS", "b", "d")}
    share = grafeo_store.execute("MATCH ()-[r:OWNS]->() RETURN r.share_pct AS s")
    assert share == [{"s": 75.0}]
    versions = grafeo_store.run("watchlist.versions", list="test")
    assert ([(v["version"], v["added"], v["changed"], v["removed"]) for v in versions]
            == [(2, 1, 1, 1), (1, 3, 0, 0)])


def test_lists_are_kept_apart(tmp_path, grafeo_store):
    f = write(tmp_path / "l.json", ftm_line("a", "Company", name="Alpha"))
    load_watchlist(grafeo_store, f, name="one")
    rep = load_watchlist(grafeo_store, write(tmp_path / "e.json", ""), name="two")
    assert rep.removed == [] and sorted(listed_frame(grafeo_store)["key"]) == ["one:a"]


def test_own_csv_list_good_rows_loaded_bad_rows_named(tmp_path, grafeo_store):
    path = write(tmp_path / "own.csv", HEADER
                 + "w1,Иванов Иван Иванович,person,Ivanov Ivan,ru,1970-02-03,,,customs fraud 2024\n"
                 + "w2,Vostok Treid,company,,uz;kz,,301234567,,\n"
                 + "w3,Bad Date,person,,,03.02.1970,,,\n"
                 + "w4,,company,,,,,,\n"
                 + "w5,Bad Country,company,,Uzbekistan,,,,\n")
    rep = load_watchlist(grafeo_store, path, name="own")
    assert rep.format == "csv" and rep.added == ["w1", "w2"]
    assert [(r["line"], r["field"]) for r in rep.rejected] == [(4, "birth_date"), (5, "name"), (6, "country")]
    ents = listed_frame(grafeo_store).set_index("entity_id")
    assert ents.loc["w2", "identifiers"] == [{"kind": "tax", "value": "301234567"}]
    assert ents.loc["w2", "countries"] == ["kz", "uz"] and ents.loc["w1", "schema"] == "Person"


@pytest.mark.parametrize(("value", "ok"), [("1970", True), ("1970-12", True), ("1970-02-28", True),
                                           ("1970-13", False), ("1970-02-30", False), ("1970-00", False)])
def test_a_csv_birth_date_must_be_a_real_date(tmp_path, value, ok):
    data = read_csv(write(tmp_path / "l.csv", HEADER + f"w1,Ivan Petrov,person,,,{value},,,\n"))
    assert (list(data.entities) == ["w1"]) is ok
    assert [(r["line"], r["field"]) for r in data.rejected] == ([] if ok else [(2, "birth_date")])


def test_a_csv_without_the_required_columns_is_refused_with_file_and_line(tmp_path):
    path = write(tmp_path / "x.csv", "id,full_name\n1,Someone\n")
    with pytest.raises(WatchlistError, match=r"x\.csv:1: missing required column\(s\) entity_id, name"):
        read_csv(path)


def test_a_broken_ftm_line_is_named(tmp_path, grafeo_store):
    path = write(tmp_path / "b.json", ftm_line("a", "Company", name="Alpha") + "\n{not json\n")
    with pytest.raises(WatchlistError, match=r"b\.json:2: not an FtM entity"):
        load_watchlist(grafeo_store, path, name="b")
    assert grafeo_store.run("watchlist.latest_version", list="b") == []


def test_an_ftm_line_without_an_id_is_named(tmp_path, grafeo_store):
    no_id = json.dumps({"schema": "Person", "properties": {"name": ["Nobody"]}})
    path = write(tmp_path / "n.json", ftm_line("a", "Company", name="Alpha") + "\n" + no_id + "\n")
    with pytest.raises(WatchlistError, match=r"n\.json:2: not an FtM entity: it has no id"):
        load_watchlist(grafeo_store, path, name="n")
    assert grafeo_store.run("watchlist.latest_version", list="n") == []


def test_a_list_name_is_checked(tmp_path, grafeo_store):
    with pytest.raises(WatchlistError, match="list name"):
        load_watchlist(grafeo_store, write(tmp_path / "a.json", ""), name="bad name; DROP")


_VERSION = st.dictionaries(st.sampled_from("abcdefgh"),
                           st.sampled_from(["Alpha Trade", "Beta Logistics", "Gamma"]),
                           max_size=8)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(v1=_VERSION, v2=_VERSION)
def test_the_reload_diff_is_the_set_difference_of_the_versions(tmp_path_factory, grafeo_store, v1, v2):
    folder = tmp_path_factory.mktemp("v")
    name = folder.name.replace("_", "-")  # a fresh list per example
    for i, version in enumerate((v1, v2)):
        write(folder / f"{i}.json", "\n".join(ftm_line(k, "Company", name=n) for k, n in version.items()))
    load_watchlist(grafeo_store, folder / "0.json", name=name)
    rep = load_watchlist(grafeo_store, folder / "1.json", name=name)
    assert rep.added == sorted(set(v2) - set(v1))
    assert rep.removed == sorted(set(v1) - set(v2))
    assert rep.changed == sorted(k for k in set(v1) & set(v2) if v1[k] != v2[k])
    stored = listed_frame(grafeo_store)
    assert sorted(stored.loc[stored["list"] == name, "entity_id"]) == sorted(v2)
