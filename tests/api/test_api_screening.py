"""Watchlists and screening over real HTTP and as a user runs `tamga`: upload a version (re-screens
its changes), the hits (paged, decided, on the card, in the subgraph, exported), scopes, exit codes."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import dataset
from screening_world import KALASHNIKOV, ZALA_AERO, write_bundle, zala_variant
from test_api_support import LiveServer, make_settings

from api.auth import create_key
from graph.store import open_store
from ingest.load import ingest_bundle


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("screening-api")
    settings = make_settings(tmp)
    store = open_store(settings)
    store.ensure_schema()
    ingest_bundle(store, write_bundle(tmp / "bundle"), settings=settings, progress=False)
    keys = {role: create_key(store, f"{role}-user", role)
            for role in ("investigator", "auditor", "system", "admin")}
    try:
        with LiveServer(settings, store) as server:
            yield server, keys, store, tmp
    finally:
        store.close()


def _client(api, role):
    import httpx

    server, keys, _, _ = api
    return httpx.Client(base_url=server.url, headers={"X-API-Key": keys[role]}, timeout=60)


def _upload(c, body: bytes, name="zala", ctype="application/x-ndjson"):
    return c.post(f"/api/v1/watchlists/{name}/versions", content=body, headers={"Content-Type": ctype})


def test_upload_lists_screens_decides_and_the_scopes_hold(api, tmp_path):
    zala = dataset("ftm", "yente_zala.ftm.json").read_bytes()
    with _client(api, "investigator") as inv, _client(api, "system") as sys_, _client(api, "auditor") as aud:
        # only watchlists:write loads a list
        assert _upload(inv, zala).status_code == 403
        r = _upload(sys_, zala)
        assert r.status_code == 201, r.text
        v1 = r.json()
        assert (v1["version"], len(v1["added"]), v1["screening"]["listed_screened"]) == (1, 17, 17)
        assert v1["screening"]["hits"] >= 4
        # the same file again: nothing re-screened
        again = _upload(sys_, zala).json()
        assert (again["version"], again["added"], again["changed"],
                again["screening"]["listed_screened"]) == (2, [], [], 0)
        lists = inv.get("/api/v1/watchlists").json()
        assert [(w["name"], w["version"], [v["added"] for v in w["versions"]]) for w in lists] == \
            [("zala", 2, [0, 17])]
        page = inv.get("/api/v1/screening-hits", params={"limit": 2}).json()
        assert len(page["items"]) == 2 and page["items"][0]["score"] >= page["items"][1]["score"]
        hits = {(h["subject"], h["listed_key"]): h for h in inv.get("/api/v1/screening-hits").json()["items"]}
        kal = hits["customs:P2", KALASHNIKOV]
        assert any(x["feature"] == "name" for x in kal["reasons"])
        # deciding needs `decide`: the auditor has none
        assert aud.patch(f"/api/v1/screening-hits/{kal['hit_id']}",
                         json={"state": "false_positive"}).status_code == 403
        r = inv.patch(f"/api/v1/screening-hits/{kal['hit_id']}", json={"state": "false_positive"})
        assert r.status_code == 200 and r.json()["state"] == "false_positive"
        assert r.json()["decided_by"] == "investigator-user"
        assert inv.patch("/api/v1/screening-hits/" + "0" * 24, json={"state": "confirmed"}).status_code == 404
        assert inv.patch(f"/api/v1/screening-hits/{kal['hit_id']}",
                         json={"state": "maybe"}).status_code == 422
        # a version changing another entity keeps the decision
        v3 = _upload(sys_, zala_variant(tmp_path / "v3.json",
                                        {ZALA_AERO[5:]: {"country": ["ru", "by"]}}).read_bytes())
        assert v3.json()["changed"] == [ZALA_AERO[5:]] and v3.json()["screening"]["listed_screened"] == 1
        fp = inv.get("/api/v1/screening-hits", params={"state": "false_positive"}).json()["items"]
        assert [(h["subject"], h["listed_key"]) for h in fp] == [("customs:P2", KALASHNIKOV)]
        # on demand, for one party (screening:run; the auditor lacks it)
        assert aud.post("/api/v1/parties/customs:P3/screen").status_code == 403
        assert inv.post("/api/v1/parties/customs:nope/screen").status_code == 404
        one = inv.post("/api/v1/parties/customs:P3/screen")
        assert one.status_code == 200 and [h["listed_key"] for h in one.json()] == [ZALA_AERO]
        # the audit trail has the decision, intent first
        _, _, store, _ = api
        acts = [r["action"] for r in store.execute(
            "MATCH (a:AuditEvent) WHERE a.action STARTS WITH 'screening.decide' RETURN a.action AS action "
            "ORDER BY a.key")]
        assert acts[:2] == ["screening.decide.intent", "screening.decide"]


def test_card_subgraph_and_export_show_the_hits(api):
    with _client(api, "investigator") as inv, _client(api, "system") as sys_:
        _upload(sys_, dataset("ftm", "yente_zala.ftm.json").read_bytes())
        card = inv.get("/api/v1/entities/customs:P4").json()
        # the officer's hit (Abashkin) shows on the company's card
        assert card["screening"][0]["subject"] == "customs:O1"
        assert card["screening"][0]["subject_kind"] == "Person"
        assert inv.get("/api/v1/entities/customs:P3").json()["screening"][0]["listed_key"] == ZALA_AERO
        net = inv.get("/api/v1/entities/customs:P3/network", params={"depth": 2}).json()
        kinds = {(n["kind"], n["key"]) for n in net["nodes"]}
        assert ("ListedEntity", ZALA_AERO) in kinds
        assert any(e["type"] in ("OWNS", "DIRECTS") for e in net["edges"]), net["edges"]
        exp = inv.get("/api/v1/exports/screening-hits", params={"format": "csv"})
        assert exp.status_code == 200
        rows = list(csv.DictReader(io.StringIO(exp.text.lstrip("\ufeff"))))
        assert {"Party ID", "Name", "List", "Listed entity ID", "Listed name", "Score", "State",
                "Reasons"} <= set(rows[0])
        assert any(r["Party ID"] == "P3" and "9715478507" in r["Reasons"] for r in rows)


def test_a_bad_upload_names_line_and_field(api):
    with _client(api, "system") as sys_:
        r = _upload(sys_, b'{"id": "x", "schema": "Company", "properties": {"name": ["A"]}}\n'
                          b"not json\n", name="bad")
        assert r.status_code == 422 and "uploaded file:2" in r.json()["detail"]
        body = b"entity_id,name,kind,birth_date\nw1,Vostok Trade,company,\nw2,Ivan Petrov,person,1970-13\n"
        r = _upload(sys_, body, name="own", ctype="text/csv")
        assert r.status_code == 201
        assert r.json()["rejected"] == [{"line": 3, "field": "birth_date",
                                         "message": "'1970-13' is not YYYY, YYYY-MM or YYYY-MM-DD"}]
        assert r.json()["added"] == ["w1"]
        assert _upload(sys_, b"", name="own").status_code == 422


def test_an_upload_past_the_body_limit_is_a_413_problem_and_loads_nothing(api):
    """The list file is the request body: past `Settings.max_body_bytes` it is refused before it is
    read whole, whether the client declares its length or streams it in chunks."""
    server, _, store, _ = api
    limit = server.app.state.tamga.settings.max_body_bytes
    entity = b'{"id": "big-1", "schema": "Company", "properties": {"name": ["Big Trading"]}}\n'
    body = entity + b"\n" * (limit + 1 - len(entity))  # blank lines: a list of one entity, one byte too big
    assert len(body) == limit + 1
    with _client(api, "system") as sys_:
        r = _upload(sys_, body, name="big")
        assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
        assert str(limit) in r.json()["detail"]

        def chunks():
            for i in range(0, len(body), 64 * 1024):
                yield body[i:i + 64 * 1024]

        r = sys_.post("/api/v1/watchlists/big/versions", content=chunks(),
                      headers={"Content-Type": "application/x-ndjson"})
        assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
        # at the limit it loads
        assert _upload(sys_, body[:limit], name="big").status_code == 201
    lists = {w["name"]: w for w in store.run("watchlist.list_all")}
    assert lists["big"]["version"] == 1  # only the upload within the limit was loaded


# --------------------------------------------------------------------------- the CLI


def _tamga(args: list[str], data_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "TAMGA_DATA_DIR": str(data_dir), "TAMGA_ENV": "development"}
    return subprocess.run([sys.executable, "-m", "api.cli", *args], env=env, capture_output=True, text=True,
                          timeout=300, check=False)


def test_cli_load_export_and_exit_codes(tmp_path):
    data = tmp_path / "data"
    bundle = write_bundle(tmp_path / "bundle")
    assert _tamga(["ingest", str(bundle), "--no-progress"], data).returncode == 0
    zala = dataset("ftm", "yente_zala.ftm.json")
    r = _tamga(["watchlist", "load", str(zala), "--name", "zala"], data)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert (out["version"], out["added"], out["screening"]["listed_screened"]) == (1, 17, 17)
    r = _tamga(["watchlist", "load", str(zala), "--name", "zala"], data)
    assert json.loads(r.stdout)["screening"]["listed_screened"] == 0
    r = _tamga(["export", "screening-hits", "--format", "json"], data)
    assert r.returncode == 0, r.stderr
    hits = json.loads(r.stdout)
    assert {"party_id", "name", "list", "listed_entity_id", "listed_name", "score", "state",
            "reasons"} <= set(hits[0])
    assert any(h["party_id"] == "P3" and h["listed_entity_id"] == ZALA_AERO[5:] for h in hits)
    # bad input: exit 2 naming file, line and field; good rows still loaded
    bad = tmp_path / "own.csv"
    bad.write_text("entity_id,name,country\nw1,Vostok Trade,RU\nw2,Ivan Petrov,Russia\n", encoding="utf-8")
    r = _tamga(["watchlist", "load", str(bad), "--name", "own"], data)
    assert r.returncode == 2 and f"{bad}:3: field country" in r.stderr
    assert json.loads(r.stdout)["entities"] == 1
    nohead = tmp_path / "nohead.csv"
    nohead.write_text("id,title\n1,x\n", encoding="utf-8")
    r = _tamga(["watchlist", "load", str(nohead), "--name", "own2"], data)
    assert r.returncode == 2 and f"{nohead}:1" in r.stderr and "entity_id" in r.stderr
    assert _tamga(["watchlist", "load", str(tmp_path / "none.json"), "--name", "x"], data).returncode == 2
    assert _tamga(["watchlist", "load", str(zala), "--name", "bad name!"], data).returncode == 2
    assert _tamga(["watchlist", "load", str(zala), "--name", "z", "--format", "xml"], data).returncode == 2
    r = _tamga(["watchlist", "list"], data)
    assert [w["name"] for w in json.loads(r.stdout)] == ["own", "zala"]
