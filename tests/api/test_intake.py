"""POST /declarations, /inspections and /offences over real HTTP on a scored simulated world (a real
Grafeo store), and the provisional risk they leave until the next full run."""

from __future__ import annotations

import json

import httpx
import pytest

from ingest.simulate.bodies import declaration_bodies

SRC = "customs"


@pytest.fixture(scope="module")
def live(scored_api):
    return scored_api


def _client(live, role="system") -> httpx.Client:
    server, keys, *_ = live
    return httpx.Client(base_url=server.url, timeout=120, headers={"X-API-Key": keys[role]})


def _items(store, prefix):
    return store.execute("MATCH (d:Declaration) WHERE d.declaration_id STARTS WITH $p RETURN d.key AS key",
                         {"p": prefix})


def _party(store, key):
    return store.execute("MATCH (p:Party {key: $k}) RETURN p {.*} AS p", {"k": key})[0]["p"]


def test_one_item_is_stored_and_answered_with_its_assessment(live, small_world):
    _server, _keys, _truth, store, _s = live
    row = {**declaration_bodies(small_world, 1)[0], "declaration_id": "STREAM-ONE"}
    with _client(live) as c:
        r = c.post("/api/v1/declarations", json={"items": [row]}, params={"provisional": "off"})
        assert r.status_code == 201, r.text
        body = r.json()
        item = body["items"][0]
        assert (body["source"] == SRC and item["stored"] is True
                and item["key"] == f"{SRC}:STREAM-ONE/{row['item_no']}")
        assert item["lane"] in ("green", "yellow", "red") and 0.0 <= item["score"] <= 1.0
        assert isinstance(item["reasons"], list)
        # the same answer /assess gives for the row
        a = c.post("/api/v1/assess", json=row).json()
        assert a["score"] == pytest.approx(item["score"]) and a["lane"] == item["lane"]
        again = c.post("/api/v1/declarations", json={"items": [{**row, "customs_value": 1.0}]}).json()
        assert again["items"][0]["stored"] is False
    got = store.execute("MATCH (d:Declaration {declaration_id: 'STREAM-ONE'}) RETURN d.customs_value AS v")
    assert got == [{"v": row["customs_value"]}]  # never overwritten
    from api import audit

    acts = [(e["action"], e["status"]) for e in audit.query(store, limit=1000) if "STREAM-ONE" in e["target"]]
    assert ("declarations.store.intent", 202) in acts and ("declarations.store", 201) in acts


def test_a_bad_item_is_a_422_naming_its_index_and_field_and_nothing_of_the_call_is_stored(live, small_world):
    _server, _keys, _truth, store, _s = live
    rows = [{**r, "declaration_id": f"STREAM-BAD-{i}"}
            for i, r in enumerate(declaration_bodies(small_world, 3))]
    with _client(live) as c:
        bad = [rows[0], rows[1], {**rows[2], "hs_code": "12ab"}]
        r = c.post("/api/v1/declarations", json={"items": bad})
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["errors"][0]["loc"] == ["body", "items", "2", "hs_code"]
        unknown = [rows[0], {**rows[1], "consignee_id": "NO-SUCH-PARTY"}, rows[2]]
        r = c.post("/api/v1/declarations", json={"items": unknown})
        assert r.status_code == 422, r.text
        err = r.json()["errors"][0]
        assert err["loc"] == ["body", "items", "1", "consignee_id"] and "NO-SUCH-PARTY" in err["msg"]
        dup = [rows[0], rows[0]]
        r = c.post("/api/v1/declarations", json={"items": dup})
        assert r.status_code == 422 and r.json()["errors"][0]["loc"][:3] == ["body", "items", "1"]
    assert _items(store, "STREAM-BAD") == []
    with _client(live) as c:  # the good ones, alone, go in together
        r = c.post("/api/v1/declarations", json={"items": rows}, params={"provisional": "off"})
        assert r.status_code == 201 and [i["stored"] for i in r.json()["items"]] == [True] * 3
    assert len(_items(store, "STREAM-BAD")) == 3


def test_storing_needs_ingest_write(live, small_world):
    row = {**declaration_bodies(small_world, 1)[0], "declaration_id": "STREAM-DENIED"}
    with _client(live, "investigator") as c:
        assert c.post("/api/v1/declarations", json={"items": [row]}).status_code == 403
        assert c.post("/api/v1/offences", json={"items": [{"offence_id": "X", "date": "2025-01-01",
                                                           "party_id": "P1"}]}).status_code == 403
    assert _items(live[3], "STREAM-DENIED") == []


def _clean_linked_party(truth):
    """A ring's clean member (no record) and a party it shares a phone, email, bank or address with."""
    for ring in truth["rings"]:
        clean = set(ring["clean_members"])
        for kind in ("phones", "emails", "banks", "addresses"):
            for sharers in ring["shared_by"].get(kind, {}).values():
                for a in sharers:
                    others = [b for b in sharers if b != a]
                    if a in clean and others:
                        return {"p": f"{SRC}:{a}", "q": f"{SRC}:{others[0]}"}
    raise AssertionError("the world has linked clean parties")


def test_an_offence_gives_provisional_risk_until_the_next_full_run_which_reads_it(live):
    from graph.pipeline.run import score

    _server, _keys, _truth, store, settings = live
    hit = _clean_linked_party(_truth)
    p, q = hit["p"], hit["q"]
    before_p, before_q = _party(store, p)["risk_score"], _party(store, q)["risk_score"]
    off = {"offence_id": "STREAM-OFF-1", "date": "2025-11-01", "party_id": p.split(":", 1)[1],
           "offence_type": "smuggling", "evaded_amount": 50000.0, "status": "confirmed"}
    with _client(live) as c:
        r = c.post("/api/v1/offences", json={"items": [off]}, params={"provisional": "sync"})
        assert r.status_code == 201, r.text
        out = r.json()
        assert (out["stored"] == 1 and out["keys"] == [f"{SRC}:STREAM-OFF-1"]
                and out["provisional"]["updated"] >= 1)
        risk = c.get(f"/api/v1/entities/{p}/risk").json()
        card = c.get(f"/api/v1/entities/{p}").json()
    assert card["risk"]["risk_provisional"] is True and card["risk"]["provisional_at"]
    after_p = _party(store, p)
    assert after_p["risk_provisional"] is True and after_p["provisional_at"]
    assert after_p["risk_score"] > before_p + 0.1  # own record of a fresh, serious offence
    assert _party(store, q)["risk_score"] >= before_q  # its neighbour does not drop
    assert risk["risk_provisional"] is True and risk["risk_score"] == pytest.approx(after_p["risk_score"])
    with _client(live) as c:  # a bad offence: named, nothing stored
        r = c.post("/api/v1/offences", json={"items": [{**off, "offence_id": "STREAM-OFF-2"},
                                                       {**off, "offence_id": "STREAM-OFF-3",
                                                        "party_id": "NOPE"}]})
        assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "items", "1", "party_id"]
    assert store.execute("MATCH (o:Offence) WHERE o.offence_id IN ['STREAM-OFF-2', 'STREAM-OFF-3'] "
                         "RETURN o.key") == []
    score(store, settings, progress=False)  # the next full run reads the offence and clears the flag
    full = _party(store, p)
    assert not full.get("risk_provisional") and full.get("provisional_at") is None
    feats = {c["feature"]: c["value"] for c in json.loads(full["risk_reasons"])["contributions"]}
    assert feats.get("own_record", 0) > 0.5
    assert abs(full["risk_score"] - after_p["risk_score"]) < 0.15  # the provisional score was close


def test_an_inspection_result_is_recorded_and_moves_the_liable_party(live):
    _server, _keys, _truth, store, _s = live
    item = store.execute("MATCH (d:Declaration)-[:CONSIGNED_TO]->(p:Party) WHERE d.inspection_result IS NULL "
                         "AND p.risk_score < 0.05 RETURN d.key AS d, p.key AS p ORDER BY d LIMIT 1")[0]
    before = _party(store, item["p"])["risk_score"]
    with _client(live) as c:
        r = c.post("/api/v1/inspections", params={"provisional": "sync"},
                   json={"items": [{"item": item["d"], "result": "violation", "date": "2025-12-01",
                                    "officer": "Officer A", "note": "undeclared goods"}]})
        assert r.status_code == 201, r.text
        assert r.json()["stored"] == 1 and r.json()["provisional"]["touched"] == 1
        bad = c.post("/api/v1/inspections", json={"items": [{"item": item["d"], "result": "violation",
                                                             "date": "2025-12-01"},
                                                            {"item": "customs:NOPE/1", "result": "clear",
                                                             "date": "2025-12-01"}]})
        assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["body", "items", "1", "item"]
        wrong = c.post("/api/v1/inspections", json={"items": [{"item": item["d"], "result": "maybe",
                                                               "date": "2025-12-01"}]})
        assert wrong.status_code == 422
    got = store.execute("MATCH (d:Declaration {key: $k}) RETURN d.inspection_result AS r", {"k": item["d"]})
    assert got == [{"r": "violation"}]
    dec = store.execute("MATCH (x:Decision {subject: $k}) RETURN x.kind AS kind, x.officer AS officer, "
                        "x.inspected_on AS on", {"k": item["d"]})
    assert len(dec) == 1 and dec[0]["kind"] == "inspection" and dec[0]["officer"] == "Officer A"
    after = _party(store, item["p"])
    assert after["risk_provisional"] is True and after["risk_score"] > before


def test_a_new_declaration_linking_an_offender_touches_its_parties(live, small_world):
    _server, _keys, truth, store, _s = live
    ring = truth["rings"][0]
    offender = f"{SRC}:{ring['offenders'][0]}"
    assert _party(store, offender)["risk_score"] > 0
    clean = store.execute("MATCH (p:Party) WHERE p.risk_score < 0.02 AND NOT (p)<-[:COMMITTED_BY]-(:Offence) "
                          "RETURN p.party_id AS pid ORDER BY p.key LIMIT 1")[0]["pid"]
    row = {**declaration_bodies(small_world, 1)[0], "declaration_id": "STREAM-LINK",
           "declarant_id": ring["offenders"][0], "consignee_id": clean}
    row.pop("broker_id", None)
    row.pop("carrier_id", None)
    with _client(live) as c:
        r = c.post("/api/v1/declarations", json={"items": [row]}, params={"provisional": "sync"})
        assert r.status_code == 201, r.text
        prov = r.json()["provisional"]
    assert prov["touched"] >= 2 and prov["neighbourhood"] >= 2


def test_by_default_the_provisional_update_follows_the_response(live):
    """provisional=background: the call answers without the update, which lands shortly after."""
    import time

    _server, _keys, truth, store, _s = live
    ring = truth["rings"][-1]
    p = f"{SRC}:{ring['clean_members'][0]}"
    before = _party(store, p)
    off = {"offence_id": "STREAM-OFF-BG", "date": "2025-11-01", "party_id": ring["clean_members"][0],
           "offence_type": "undervaluation", "status": "confirmed"}
    with _client(live) as c:
        r = c.post("/api/v1/offences", json={"items": [off]})
        assert r.status_code == 201 and r.json()["provisional"] is None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _party(store, p)["risk_score"] < before["risk_score"] + 0.05:
        time.sleep(0.1)
    after = _party(store, p)
    assert after.get("risk_provisional") is True and after["risk_score"] >= before["risk_score"] + 0.05


def test_pending_updates_gather_into_one_round(live):
    """Parties added while a round runs are updated by that drain's next round, not by a new drain."""
    from api.services.intake import Pending

    _server, _keys, truth, store, _s = live
    ring = truth["rings"][1]
    keys = [f"{SRC}:{k}" for k in ring["members"]]
    pend = Pending(settle_s=0.0)
    pend.add(set(keys[:2]))
    pend.add(set(keys[2:]))
    reports = pend.drain(store)
    assert len(reports) == 1 and reports[0]["touched"] == len(set(keys))
    assert pend.drain(store) == []  # nothing waits


def test_an_ingest_job_names_the_parties_its_rows_touch():
    from api.services.intake import touched_by_rows

    rows = {"parties": [{"party_id": "A"}], "offences": [{"offence_id": "O", "party_id": "B"}],
            "officers": [{"company_id": "C", "person_id": "X"}],
            "declarations": [{"declarant_id": "D", "consignee_id": "E", "broker_id": "HUB",
                              "carrier_id": "HUB2"}]}
    assert touched_by_rows("s", rows) == {"s:A", "s:B", "s:C", "s:D", "s:E"}  # hubs wait for the full run
