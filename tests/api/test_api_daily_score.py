"""After items posted over real HTTP (POST /declarations, POST /offences, each with its provisional
risk update), the next `tamga score` writes back only what changed (graph.pipeline.delta) and leaves
the store as a full write does: every result export the same, every provisional flag cleared
(the parties a provisional update rewrote are written again even where the run's score is the
previous run's). The runs are score jobs (POST /score-runs), as the server runs them."""

from __future__ import annotations

import time

import httpx
import pytest

from graph.pipeline import delta
from ingest.simulate.bodies import declaration_bodies
from tests.graph.pipeline.test_daily_score import exports

POSTED = ("MATCH (d:Declaration) WHERE d.declaration_id STARTS WITH 'DAILY-' RETURN d.key AS key, "
          "d.lane AS lane, d.assessment_score AS score, d.cover_score AS cover ORDER BY key")


@pytest.fixture(scope="module")
def live(scored_api):
    return scored_api


def _client(live) -> httpx.Client:
    server, keys, *_ = live
    return httpx.Client(base_url=server.url, timeout=120, headers={"X-API-Key": keys["system"]})


def _score_job(c: httpx.Client, **body) -> dict:
    """POST /score-runs and wait for the job's end: its report."""
    r = c.post("/api/v1/score-runs", json=body)
    assert r.status_code == 202, r.text
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        j = c.get(r.json()["location"]).json()
        if j["state"] not in ("queued", "running"):
            assert j["state"] == "done", j
            return j["report"]
        time.sleep(0.1)
    raise AssertionError("the score job did not end")


def test_the_score_job_takes_the_retrain_flag(live):
    with _client(live) as c:
        trained = _score_job(c, communities=True, retrain=True)
        reused = _score_job(c)
    assert trained["model"]["model"] == "trained" and "asked to retrain" in trained["model"]["note"]
    assert reused["model"] == {"model": "reused", "trained_at": trained["model"]["trained_at"],
                               "note": f"reused the model trained at {trained['model']['trained_at']}"}


def test_after_posted_items_and_provisional_updates_a_delta_run_equals_a_full_run(live, small_world):
    _server, _keys, truth, store, settings = live
    ring = truth["rings"][0]
    rows = [{**row, "declaration_id": f"DAILY-{i}", "declarant_id": ring["offenders"][0]}
            for i, row in enumerate(declaration_bodies(small_world, 3))]
    clean = store.execute("MATCH (p:Party) WHERE p.risk_score < 0.02 AND NOT (p)<-[:COMMITTED_BY]-(:Offence) "
                          "RETURN p.party_id AS pid ORDER BY p.key LIMIT 1")[0]["pid"]
    off = {"offence_id": "DAILY-OFF-1", "date": "2025-11-01", "party_id": clean, "offence_type": "smuggling",
           "evaded_amount": 50000.0, "status": "confirmed"}
    with _client(live) as c:
        r = c.post("/api/v1/declarations", json={"items": rows}, params={"provisional": "sync"})
        assert r.status_code == 201, r.text
        r = c.post("/api/v1/offences", json={"items": [off]}, params={"provisional": "sync"})
        assert r.status_code == 201, r.text
    provisional = {p["key"] for p in store.run("analytics.provisional_parties")}
    assert len(provisional) >= 2
    with _client(live) as c:
        rep = _score_job(c)  # the job flushes the posted rows to the ledger first, as the server does
    wb = rep["written"]["write_back"]
    assert wb["mode"] == "delta", wb
    assert rep["written"]["provisional_rewritten"] == len(provisional)
    assert rep["written"]["parties"] >= len(provisional)
    assert store.run("analytics.provisional_parties") == []  # every provisional score replaced
    after_delta = exports(store)
    items = store.execute(POSTED)
    assert len(items) == 3
    delta.forget(settings.data_dir)
    with _client(live) as c:
        full = _score_job(c)
    assert full["written"]["write_back"]["mode"] == "full"
    assert exports(store) == after_delta
    assert store.execute(POSTED) == items
    # the same offence posted again: no new data, but a provisional update rewrites its party's risk;
    # the next run's scores equal the last ones, so only the provisional flag says what to rewrite
    settled = exports(store)
    with _client(live) as c:
        r = c.post("/api/v1/offences", json={"items": [off]}, params={"provisional": "sync"})
        assert r.status_code == 201 and r.json()["provisional"]["updated"] >= 1, r.text
        again = store.run("analytics.provisional_parties")
        assert again and exports(store) != settled  # the provisional scores are in the store
        rep = _score_job(c)
    assert rep["written"]["write_back"]["mode"] == "delta"
    assert rep["written"]["parties"] == rep["written"]["provisional_rewritten"] == len(again)
    assert store.run("analytics.provisional_parties") == []
    assert exports(store) == settled
