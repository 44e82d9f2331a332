"""Risk profiles over real HTTP: create, read with history, change (a new version), retire; writes need
`profiles:write`; a bad criterion is a 422 problem+json naming it; every write is audited. And
`tamga profiles load` as a user runs it: a file with a bad criterion is refused whole with exit 2."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from test_api_support import live_api

from api import audit
from graph.declarations.profiles import apply_profiles
from graph.pipeline import profile_store as service

BODY = {"id": "cig-ae-tm", "name": "Cigarettes from AE through TM",
        "criteria": 'hs ^= "2402" and origin in ["AE"] '
        'and transit has "TM"', "action": "red", "reason": "excise goods on a diversion route",
        "owner": "risk unit", "valid_from": "2025-01-01", "expected_rate": 0.01}
ITEM = pd.DataFrame({"key": ["t:X/1"], "date": pd.to_datetime(["2025-06-01"]), "hs_code": ["2402200000"],
                     "origin_country": ["AE"], "transit_countries": ["IR;TM"], "consignee": ["t:P1"]})


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    yield from live_api(tmp_path_factory)


def _events(api, action: str) -> list[dict]:
    return audit.query(api.store, action=action, limit=50)


def test_profiles_are_created_changed_retired_and_keep_their_history(api):
    with api.client("admin") as c:
        r = c.post("/api/v1/risk-profiles", json=BODY)
        assert r.status_code == 201, r.text
        v1 = r.json()
        assert v1["version"] == 1 and v1["created_by"] == "admin-user" and not v1["retired"]
        assert c.post("/api/v1/risk-profiles", json=BODY).status_code == 409  # the id is taken

        change = {k: v for k, v in BODY.items() if k != "id"} | {"action": "yellow"}
        r = c.put(f"/api/v1/risk-profiles/{BODY['id']}", json=change)
        assert r.status_code == 200 and r.json()["version"] == 2 and r.json()["action"] == "yellow"
        assert c.put(f"/api/v1/risk-profiles/{BODY['id']}", json=change).status_code == 409  # unchanged
        assert c.put("/api/v1/risk-profiles/nope", json=change).status_code == 404

        # live: it fires on a matching item
        assert [p.id for p in service.live_cached(api.store)] == [BODY["id"]]
        fired = apply_profiles(ITEM, None, service.live(api.store), ["green"], on=dt.date(2025, 6, 1))
        assert fired.lanes.tolist() == ["yellow"] and fired.fired == [[BODY["id"]]]

        r = c.delete(f"/api/v1/risk-profiles/{BODY['id']}")
        assert r.status_code == 200 and r.json()["retired"] and r.json()["version"] == 3
        assert c.delete(f"/api/v1/risk-profiles/{BODY['id']}").status_code == 409

        # retired: it stops firing from the next assessment on (the cache too), and its history stays
        assert service.live(api.store) == [] and service.live_cached(api.store) == []
        again = apply_profiles(ITEM, None, service.live(api.store), ["green"], on=dt.date(2025, 6, 1))
        assert again.lanes.tolist() == ["green"] and again.fired == [[]]
        h = c.get(f"/api/v1/risk-profiles/{BODY['id']}").json()
        assert [(v["version"], v["action"], v["retired"]) for v in h["versions"]] == \
            [(1, "red", False), (2, "yellow", False), (3, "yellow", True)]
        assert h["profile"]["version"] == 3
        listed = c.get("/api/v1/risk-profiles").json()
        assert [(p["id"], p["version"], p["retired"]) for p in listed] == [(BODY["id"], 3, True)]
    for action, target in (("profile.create", "cig-ae-tm@1"), ("profile.change", "cig-ae-tm@2"),
                           ("profile.retire", "cig-ae-tm@3")):
        assert [(e["user"], e["target"]) for e in _events(api, action)] == [("admin-user", target)]


def test_a_bad_criterion_is_a_422_naming_it_and_nothing_is_stored(api):
    with api.client("admin") as c:
        r = c.post("/api/v1/risk-profiles",
                   json={**BODY, "id": "bad-one", "criteria": 'hs ^= "2402" and origni = "AE"'})
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    detail = r.json()["detail"]
    assert "'bad-one'" in detail and "criteria" in detail and "unknown field 'origni'" in detail
    assert "column 18" in detail
    assert service.history(api.store, "bad-one") == []
    assert [e["status"] for e in _events(api, "profile.create") if e["target"] == "bad-one"] == [422]


def test_writing_needs_profiles_write_and_reading_needs_a_key(api):
    body = {**BODY, "id": "by-investigator"}
    with api.client("investigator") as c:
        r = c.post("/api/v1/risk-profiles", json=body)
        assert r.status_code == 403 and "profiles:write" in r.json()["detail"]
        assert c.delete(f"/api/v1/risk-profiles/{BODY['id']}").status_code == 403
        assert c.get("/api/v1/risk-profiles").status_code == 200  # reading: entity:read
    with api.client() as anon:
        assert anon.get("/api/v1/risk-profiles").status_code == 401
    assert service.history(api.store, "by-investigator") == []


# --------------------------------------------------------------------------- the CLI

TAMGA = [sys.executable, "-m", "api.cli"]
STARTER = Path(__file__).resolve().parents[2] / "graph" / "declarations" / "profiles_starter.toml"


def _run(args: list[str], data: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "TAMGA_DATA_DIR": str(data), "TAMGA_ENV": "development"}
    return subprocess.run([*TAMGA, *args], env=env, capture_output=True, text=True, timeout=120, check=False)


def test_cli_loads_the_starter_pack_idempotently_and_refuses_a_bad_file_whole(tmp_path):
    data = tmp_path / "data"
    r = _run(["profiles", "load", str(STARTER)], data)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count(" v1 loaded") >= 8
    r = _run(["profiles", "load", str(STARTER)], data)
    assert r.returncode == 0 and "loaded" not in r.stdout and r.stdout.count("unchanged") >= 8

    bad = tmp_path / "bad.toml"
    text = STARTER.read_text(encoding="utf-8")
    bad.write_text(text.replace("'uv_ratio < 0.5 and value >= 1000'", "'uv_ratio < 0.4 and valeu >= 1000'")
                   .replace('id = "tbml-phoenix-successor"', 'id = "new-one"'), encoding="utf-8")
    r = _run(["profiles", "load", str(bad)], data)
    assert r.returncode == 2
    assert ("'tbml-undervalued'" in r.stderr and "unknown field 'valeu'" in r.stderr
            and "profile #1" in r.stderr)
    assert "nothing loaded" in r.stderr
    listed = _run(["profiles", "list"], data)
    assert listed.returncode == 0 and "new-one" not in listed.stdout and "uv_ratio < 0.4" not in listed.stdout
    assert _run(["profiles", "load", str(tmp_path / "missing.toml")], data).returncode == 2
