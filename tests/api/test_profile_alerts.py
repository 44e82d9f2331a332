"""Risk-profile hits become alerts, and the "on a watchlist" criterion, through real runs: the seeded
world ingested into a real store, one of its consignees on the service's own list (a CSV loaded as a
watchlist), a profile over that criterion, `graph.pipeline.run.score`, and `POST /assess` over HTTP.

- every item the profile fired on in the scoring run carries the hit and is an alert of kind
  `profile` in a case, its priority the duties at stake; a second run refreshes, adds none;
- `POST /assess` reads the same criterion from the stored hits (the same reasons as the batch), and
  with `store=true` the stored item's profile alert is raised at once, into its subject's open case;
- a hit marked false positive never counts: the profile stops firing in `/assess` and in the next run.
"""

from __future__ import annotations

import csv
import json
from collections import Counter

import httpx
import pytest
from test_api_support import LiveServer, make_settings

pytestmark = pytest.mark.slow

PROFILE = {"id": "watch-consignee", "name": "Consignee on the service's watchlist",
           "criteria": 'consignee.on_watchlist and consignee.watchlists has "own"', "action": "red",
           "reason": "the consignee is on the service's own watchlist", "valid_from": "2000-01-01"}


def _listed_consignee(small_world):
    """The world's busiest consignee (party id, name)."""
    with (small_world / "declarations.csv").open(encoding="utf-8") as f:
        counts = Counter(r["consignee_id"] for r in csv.DictReader(f) if r["consignee_id"])
    busiest = counts.most_common(1)[0][0]
    with (small_world / "parties.csv").open(encoding="utf-8") as f:
        return next((r["party_id"], r["name"]) for r in csv.DictReader(f) if r["party_id"] == busiest)


@pytest.fixture(scope="module")
def world(small_world, tmp_path_factory):
    from api.auth import create_key
    from graph.pipeline.profile_store import save
    from graph.pipeline.run import score
    from graph.store import open_store
    from ingest.load import ingest_bundle
    from ingest.watchlists import load_watchlist

    tmp = tmp_path_factory.mktemp("profile-alerts")
    settings = make_settings(tmp)
    store = open_store(settings)
    store.ensure_schema()
    ingest_bundle(store, small_world, settings=settings, progress=False)
    pid, name = _listed_consignee(small_world)
    listed = tmp / "own.csv"
    listed.write_text(f"entity_id,name,kind\nw1,{name},company\n", encoding="utf-8")
    load_watchlist(store, listed, name="own", fmt="csv")
    save(store, PROFILE, "analyst")
    rep = score(store, settings, progress=False, communities=False)
    key = store.execute("MATCH (p:Party {party_id: $p}) RETURN p.key AS k", {"p": pid})[0]["k"]
    keys = {r: create_key(store, f"{r}-user", r) for r in ("investigator", "system")}
    try:
        with LiveServer(settings, store) as server:
            yield {"server": server, "keys": keys, "store": store, "settings": settings, "report": rep,
                   "party": key, "small_world": small_world}
    finally:
        store.close()


def _body(world, declaration_id: str | None = None) -> dict:
    """The first item of the world's file consigned to the listed party, as `POST /assess` takes it."""
    store = world["store"]
    consignee = store.execute("MATCH (p:Party {key: $p}) RETURN p.party_id AS id",
                              {"p": world["party"]})[0]["id"]
    with (world["small_world"] / "declarations.csv").open(encoding="utf-8") as f:
        row = next(r for r in csv.DictReader(f) if r["consignee_id"] == consignee)
    body = {k: v for k, v in row.items() if v != ""}
    body["item_no"] = int(body["item_no"])
    for k in ("net_mass_kg", "gross_mass_kg", "quantity", "customs_value", "duty_rate", "duty_amount"):
        if k in body:
            body[k] = float(body[k])
    return {**body, "declaration_id": declaration_id or body["declaration_id"]}


def _items_of(store, party: str) -> set[str]:
    return {r["k"] for r in store.execute(
        "MATCH (d:Declaration)-[:CONSIGNED_TO]->(p:Party {key: $p}) RETURN d.key AS k", {"p": party})}


def _profile_alerts(store) -> dict[str, dict]:
    return {r["subject"]: r for r in store.execute(
        "MATCH (a:Alert {kind: 'profile'})-[:IN_CASE]->(c:CaseFile) RETURN a.subject AS subject, "
        "a.score AS score, a.expected_duties AS expected, a.reasons AS reasons, a.runs AS runs, "
        "a.state AS state, c.key AS case_key, c.subject AS case_subject, c.priority AS priority")}


def test_the_scoring_run_fires_the_watchlist_profile_and_raises_an_alert_per_item(world):
    store, party = world["store"], world["party"]
    hit = store.execute("MATCH (p:Party {key: $p})-[h:SCREENED_AS]->(e:ListedEntity) RETURN e.list AS l, "
                        "h.score AS s", {"p": party})
    assert hit and hit[0]["l"] == "own" and hit[0]["s"] >= 0.9
    items = _items_of(store, party)
    assert len(items) >= 3
    stored = {r["k"]: r for r in store.execute(
        "MATCH (d:Declaration) WHERE d.profile_hits IS NOT NULL RETURN d.key AS k, d.profile_ids AS ids, "
        "d.profile_action AS action, d.profile_hits AS hits, "
        "coalesce(d.duty_amount, coalesce(d.customs_value, 0.0) * coalesce(d.duty_rate, 0.0) / 100.0) "
        "AS duty")}
    assert set(stored) == items  # exactly the items consigned to the listed party
    assert all(json.loads(r["ids"]) == ["watch-consignee"] and r["action"] == "red" for r in stored.values())
    assert world["report"]["alerts"]["by_kind"]["profile"] == len(items)
    alerts = _profile_alerts(store)
    assert set(alerts) == items
    for k, a in alerts.items():
        assert a["score"] == 1.0 and a["expected"] == pytest.approx(stored[k]["duty"], abs=0.01)
        assert "profile Consignee on the service's watchlist (v1, red)" in a["reasons"]
        assert a["priority"] >= a["expected"] and a["state"] == "open"
    # grouped like the other alerts: by the declarant's group, else the declarant
    assert all(a["case_subject"] for a in alerts.values())
    assert any(a["expected"] > 0 for a in alerts.values())


def test_post_assess_reads_the_criterion_from_the_stored_hits_and_gives_the_batchs_reasons(world):
    store = world["store"]
    body = _body(world)
    key = f"{world['party'].split(':')[0]}:{body['declaration_id']}/{body['item_no']}"
    batch = json.loads(store.execute("MATCH (d:Declaration {key: $k}) RETURN d.profile_hits AS h",
                                     {"k": key})[0]["h"])
    with httpx.Client(base_url=world["server"].url, timeout=120,
                      headers={"X-API-Key": world["keys"]["investigator"]}) as c:
        r = c.post("/api/v1/assess", json=body)
    assert r.status_code == 200, r.text
    got = [x for x in r.json()["reasons"] if x["feature"] == "profile:watch-consignee"]
    assert r.json()["lane"] == "red" and len(got) == 1 and r.json()["stored"] is False
    assert got[0]["detail"] == batch[0]["detail"]  # the same criterion, the same values read
    assert "consignee.on_watchlist=True" in got[0]["detail"]
    assert "consignee.watchlists=own" in got[0]["detail"]


def test_a_stored_assessment_raises_its_profile_alert_into_the_open_case_and_runs_refresh(world):
    from graph.pipeline.run import score

    store = world["store"]
    body = _body(world, "API-PROFILE-0001")
    before = _profile_alerts(store)
    with httpx.Client(base_url=world["server"].url, timeout=120,
                      headers={"X-API-Key": world["keys"]["system"]}) as c:
        r = c.post("/api/v1/assess", params={"store": "true"}, json=body)
    assert r.status_code == 200 and r.json()["stored"] is True, r.text
    assert r.json()["lane"] == "red"
    item = store.execute("MATCH (d:Declaration {declaration_id: 'API-PROFILE-0001'}) RETURN d.key AS k, "
                         "d.profile_ids AS ids", {})[0]
    assert json.loads(item["ids"]) == ["watch-consignee"]
    after = _profile_alerts(store)
    assert set(after) - set(before) == {item["k"]}
    new = after[item["k"]]
    # the declarant's open case takes it (no new case when one is open for the same subject)
    same_subject = [a for a in before.values() if a["case_subject"] == new["case_subject"]]
    if same_subject:
        assert new["case_key"] == same_subject[0]["case_key"]
    events = store.execute("MATCH (a:AuditEvent {action: 'assess.alert'}) RETURN a.target AS t", {})
    assert any("API-PROFILE-0001" in e["t"] for e in events)
    # the next scoring run refreshes every profile alert (the posted item's too), adds none
    rep = score(store, world["settings"], progress=False, communities=False)["alerts"]
    assert rep["by_kind"]["profile"] == len(after)
    again = _profile_alerts(store)
    assert set(again) == set(after) and {a["case_key"] for a in again.values()} == \
        {a["case_key"] for a in after.values()}
    assert {a["runs"] for a in again.values()} == {2}
    dup = store.execute("MATCH (a:Alert {state: 'open'}) WITH a.kind AS k, a.subject AS s, count(*) AS n "
                        "WHERE n > 1 RETURN count(*) AS d", {})[0]["d"]
    assert dup == 0


def test_a_false_positive_never_counts_for_the_criterion(world):
    from graph.pipeline.run import score
    from graph.pipeline.screening import set_hit_state

    store, party = world["store"], world["party"]
    listed = store.execute("MATCH (p:Party {key: $p})-[:SCREENED_AS]->(e:ListedEntity) RETURN e.key AS k",
                           {"p": party})[0]["k"]
    assert set_hit_state(store, party, listed, "false_positive", user="inv1")
    with httpx.Client(base_url=world["server"].url, timeout=120,
                      headers={"X-API-Key": world["keys"]["investigator"]}) as c:
        r = c.post("/api/v1/assess", json=_body(world))
    assert r.status_code == 200, r.text
    assert not [x for x in r.json()["reasons"] if x["feature"].startswith("profile:")]
    score(store, world["settings"], progress=False, communities=False)
    left = store.execute("MATCH (d:Declaration) WHERE d.profile_hits IS NOT NULL RETURN count(d) AS n", {})
    assert left[0]["n"] == 0
