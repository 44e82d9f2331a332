"""`GET /api/v1/effectiveness` over real HTTP and its panel in headless Chromium: a reader scope, the
random baseline and the profiles that selected items, compliance per risk area; a profile named with
markup shows as text; nothing leaves 127.0.0.1."""

from __future__ import annotations

import orjson
import pytest
from test_api_support import XSS, live_api

from tests.support.browser import CHROMIUM, signed_in


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    """The test world, with two items marked: a random pick found clean and one selected by a profile
    whose name is markup, found a violation."""
    for a in live_api(tmp_path_factory):
        keys = [r["key"] for r in a.store.execute("MATCH (d:Declaration) RETURN d.key AS key ORDER BY key")]
        why = orjson.dumps([{"feature": "profile:xss", "detail": "profile", "value": "red",
                             "evidence": [{"kind": "profile", "id": "xss@1", "label": XSS}]}]).decode()
        a.store.execute("MATCH (d:Declaration {key: $k}) SET d.lane = 'red', d.selected_at_random = true, "
                        "d.inspection_result = 'clear'", {"k": keys[0]}, mode="write")
        a.store.execute("MATCH (d:Declaration {key: $k}) SET d.lane = 'red', d.selected_at_random = false, "
                        "d.assessment_reasons = $why, d.inspection_result = 'violation'",
                        {"k": keys[1], "why": why}, mode="write")
        yield a


def test_effectiveness_over_http(api):
    with api.client() as c:
        assert c.get("/api/v1/effectiveness").status_code == 401
    for role in ("investigator", "auditor", "system"):
        with api.client(role) as c:
            r = c.get("/api/v1/effectiveness")
            assert r.status_code == 200, r.text
    e = r.json()
    m = {(x["measure"], x["value"]): x for x in e["measures"]}
    assert m[("random", "random")]["inspections"] == 1 and m[("random", "random")]["hits"] == 0
    assert m[("profile", "xss")]["label"] == XSS and m[("profile", "xss")]["hits"] == 1
    whole = e["compliance"][0]
    assert whole["area"] == "all" and whole["random_inspected"] == 1 and whole["compliance"] == 1.0
    assert whole["status"] == "undetermined"  # one clean pick cannot show 95 % compliance
    assert e["tolerance_level"] == 0.95
    with api.client("auditor") as c:
        csv = c.get("/api/v1/exports/effectiveness", params={"format": "csv"})
    assert csv.status_code == 200 and "Random baseline hit rate" in csv.text
    # an inspection recorded after the run counts at once (the kept figures are for the old version)
    third = [r["key"] for r in api.store.execute("MATCH (d:Declaration) RETURN d.key AS key ORDER BY key")][2]
    api.store.execute("MATCH (d:Declaration {key: $k}) SET d.lane = 'red', d.selected_at_random = true",
                      {"k": third}, mode="write")
    with api.client("system") as c:
        r = c.post("/api/v1/inspections", json={"items": [{"item": third, "result": "violation",
                                                           "date": "2026-01-02", "officer": "o-1"}]})
        assert r.status_code == 201, r.text
        again = c.get("/api/v1/effectiveness").json()
    base = again["measures"][0]
    assert (base["inspections"], base["hits"]) == (2, 1)


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}: apt-get install -y chromium")
def test_effectiveness_panel_in_chromium(api, tmp_path):
    with signed_in(api.url, api.keys["auditor"]) as (sync_api, pg, outside, dialogs, errors):
        pg.click("#effectiveness summary")
        pg.click("#eff-load")
        sync_api.expect(pg.locator("#eff-state")).to_contain_text("random picks", timeout=15_000)
        cells = pg.locator("#eff-body td").all_text_contents()
        assert "random: random picks (baseline)" in cells
        assert f"profile: {XSS}" in cells  # the markup shows as text
        assert pg.locator("#eff-body img").count() == 0
        assert any(c.startswith("all: all") for c in cells)
        assert pg.locator("#eff-body .eff-bar").count() >= 4
        pg.screenshot(path=str(tmp_path / "effectiveness.png"), full_page=True)
        assert (tmp_path / "effectiveness.png").stat().st_size > 10_000
        assert outside == [] and errors == [] and dialogs == []
