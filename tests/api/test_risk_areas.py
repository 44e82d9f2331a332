"""Risk areas at a glance (issue 13) on a scored simulated world, over real HTTP, and in headless
Chromium: the numbers agree with the bundle the world was made from; every plot renders; a border
post and a profile named with `<script>` show as text; `tamga export risk-areas` renders the same view.

Also here, because they need the same scored world: `offender_hops` is written on parties (in the
analytics process's path and in-process) and read by `POST /assess`, so a profile on it fires there
as in the batch; stored profile reasons keep their evidence when read back; the analyst role.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_api_support import LiveServer, make_settings

from api import audit
from api.auth import create_key
from tests.support.browser import CHROMIUM, signed_in

POST = "Dostyk <script>alert(1)</script>"
HOPS2 = {"id": "net-two-hops", "name": "<script>alert(2)</script> two links from an offender",
         "criteria": "party.offender_hops = 2", "action": "blue", "reason": "network test profile",
         "owner": "risk unit", "valid_from": "2000-01-01", "expected_rate": 0.01}
STARTER = Path(__file__).resolve().parents[2] / "graph" / "declarations" / "profiles_starter.toml"
ROLES = ("declarant", "consignee", "consignor", "carrier", "broker")


@pytest.fixture(scope="module")
def world(small_world: Path, tmp_path_factory) -> Path:
    """The small world with one border post renamed to markup (the ingest keeps it as text)."""
    out = tmp_path_factory.mktemp("ra-world") / "w"
    shutil.copytree(small_world, out)
    d = pd.read_csv(out / "declarations.csv", dtype=str, keep_default_na=False)
    assert (d["border_post"] == "Dostyk").any()
    d.loc[d["border_post"] == "Dostyk", "border_post"] = POST
    d.to_csv(out / "declarations.csv", index=False, quoting=csv.QUOTE_NONNUMERIC)
    return out


@pytest.fixture(scope="module")
def api(world: Path, tmp_path_factory):
    from graph.declarations.profiles import profiles_from_toml
    from graph.pipeline import analytics_process
    from graph.pipeline.profile_store import save
    from graph.pipeline.run import score
    from graph.store import open_store
    from ingest.load import ingest_bundle

    settings = make_settings(tmp_path_factory.mktemp("riskareas"))
    store = open_store(settings)
    store.ensure_schema()
    ingest_bundle(store, world, settings=settings, progress=False)
    for p in profiles_from_toml(STARTER.read_text(encoding="utf-8")):
        save(store, p.as_dict(), "analyst-user")
    save(store, HOPS2, "analyst-user")
    assert analytics_process.choose(store, settings, "auto")[0]  # scored in the analytics process
    score(store, settings, progress=False, communities=False)
    keys = {r: create_key(store, f"{r}-user", r) for r in ("investigator", "analyst", "admin")}
    try:
        with LiveServer(settings, store) as server:
            server.keys, server.store, server.settings = keys, store, settings
            yield server
    finally:
        store.close()


def _client(api, role: str | None):
    import httpx

    return httpx.Client(base_url=api.url, headers={"X-API-Key": api.keys[role]} if role else {}, timeout=120)


def _bundle(world: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    d = pd.read_csv(world / "declarations.csv", dtype=str, keep_default_na=False)
    o = pd.read_csv(world / "offences.csv", dtype=str, keep_default_na=False)
    return d, o


def test_the_areas_agree_with_the_bundle_the_world_was_made_from(api, world):
    with _client(api, "analyst") as c:
        r = c.get("/api/v1/risk-areas")
    assert r.status_code == 200, r.text
    view = r.json()
    d, o = _bundle(world)
    assert view["items"] == len(d) and view["plots"] == {} and len(view["plot_titles"]) == 18
    posts = {a["area"]: a for a in view["dimensions"]["border_post"]}
    assert set(posts) == set(d["border_post"]) and POST in posts
    for post, g in d.groupby("border_post"):
        inspected = g["inspection_result"].isin(["clear", "violation"]).sum()
        hits = (g["inspection_result"] == "violation").sum()
        a = posts[post]
        assert (a["items"], a["inspected"], a["hits"]) == (len(g), inspected, hits), post
        assert a["hit_rate"] == (round(hits / inspected, 4) if inspected else None)
    # offences by the border posts of the declarations they concern (each once per post)
    placed = o.merge(d[["declaration_id", "border_post"]].drop_duplicates(), on="declaration_id")
    want = placed.groupby("border_post")["offence_id"].nunique()
    assert {p: a["offences"] for p, a in posts.items() if a["offences"]} == want.to_dict()
    evaded = placed.drop_duplicates(["offence_id", "border_post"]).assign(
        v=lambda x: x["evaded_amount"].replace("", "0").astype(float)).groupby("border_post")["v"].sum()
    for p, v in evaded.items():
        assert posts[p]["duties_evaded"] == pytest.approx(v, abs=0.05)
        assert posts[p]["duties_at_stake"] >= posts[p]["duties_evaded"]
    chapters = {a["area"]: a["items"] for a in view["dimensions"]["hs_chapter"]}
    assert chapters == d["hs_code"].str[:2].value_counts().to_dict()
    months = [m["month"] for m in view["lane_shares"]]
    assert months == sorted(d["date"].str[:7].unique())
    for m in view["lane_shares"]:
        assert sum(m["shares"].values()) == pytest.approx(1.0, abs=0.002)
        assert m["expected"]["red"] == 0.05 and m["expected"]["yellow"] == 0.15
    # blue: the live blue profiles' expected rates
    from graph.declarations.profiles import profiles_from_toml

    blue = [p.expected_rate for p in profiles_from_toml(STARTER.read_text(encoding="utf-8"))
            if p.action == "blue"]
    assert view["expected_lane_shares"]["blue"] == pytest.approx(sum(blue) + HOPS2["expected_rate"])
    lanes = api.store.execute("MATCH (d:Declaration) WHERE d.lane = 'red' RETURN count(d) AS n")[0]["n"]
    assert sum(a["lanes"]["red"] for a in view["dimensions"]["month"]) == lanes > 0


def test_profiles_that_fire_most_and_least_count_the_stored_reasons(api):
    with _client(api, "investigator") as c:
        profiles = c.get("/api/v1/risk-areas").json()["profiles"]
    stored = api.store.execute("MATCH (d:Declaration) WHERE d.lane IS NOT NULL "
                               "RETURN d.assessment_reasons AS r")
    want: dict[str, int] = {}
    for row in stored:
        for x in json.loads(row["r"] or "[]"):
            if str(x.get("feature", "")).startswith("profile:"):
                want[x["feature"][8:]] = want.get(x["feature"][8:], 0) + 1
    got = {p["profile_id"]: p["hits"] for p in profiles}
    assert {k: v for k, v in got.items() if v} == want and want
    assert HOPS2["id"] in got and [p["hits"] for p in profiles] == sorted(got.values(), reverse=True)


def test_every_plot_is_svg_with_its_labels_escaped_and_reads_are_audited(api):
    with _client(api, "investigator") as c:
        view = c.get("/api/v1/risk-areas", params={"plots": "true"}).json()
        assert set(view["plots"]) == set(view["plot_titles"])
        for name, svg in view["plots"].items():
            assert svg.startswith("<svg") and ("class=\"bar\"" in svg or "class=\"line\"" in svg), name
            assert "<script" not in svg, name
        r = c.get("/api/v1/risk-areas/plots/offences-by-border-post.svg")
        assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
        assert "Dostyk &lt;script&gt;alert(1)" in r.text and "<script" not in r.text
        assert "&lt;script&gt;alert(2)" in c.get("/api/v1/risk-areas/plots/profiles-least.svg").text
        assert c.get("/api/v1/risk-areas/plots/nope.svg").status_code == 404
    with _client(api, None) as c:
        assert c.get("/api/v1/risk-areas").status_code == 401
    events = audit.query(api.store, action="risk_areas.read", limit=50)
    assert ("investigator-user", "plot offences-by-border-post") in {(e["user"], e["target"]) for e in events}
    assert ("analyst-user", "overview") in {(e["user"], e["target"]) for e in events}


def test_the_export_renders_the_same_view(api):
    from graph.pipeline.export import export
    from graph.pipeline.risk_areas import overview, table

    rows = table(overview(api.store))
    with _client(api, "analyst") as c:
        j = c.get("/api/v1/exports/risk-areas", params={"format": "json"})
        assert j.status_code == 200, j.text
        assert j.json() == [{k: r.get(k) for k in j.json()[0]} for r in rows]
        text = c.get("/api/v1/exports/risk-areas", params={"format": "csv"}).text
    assert text.lstrip("\ufeff").startswith("Section,Area,Items,Offences,Inspected,Hits,Hit rate")
    assert str(export(api.store, "risk-areas", "csv", None)) == text.lstrip("\ufeff")
    sections = {r["section"] for r in rows}
    assert sections >= {"hs_chapter", "origin", "border_post", "route", "month", "lane:red", "profile"}


def _stored_hops(store) -> pd.Series:
    rows = store.execute("MATCH (p:Party) RETURN p.key AS key, p.offender_hops AS h")
    return pd.Series({r["key"]: r["h"] for r in rows}, dtype=float).sort_index()


def _batch_hops(store) -> pd.Series:
    from graph.pipeline.profile_context import entity_offender_hops
    from graph.pipeline.run import analyse
    from graph.store.frames import Frames

    r = analyse(Frames.from_store(store), communities=False)
    ent = np.asarray(r.projection.party_entity, dtype=np.int64)
    return pd.Series(entity_offender_hops(r)[ent], index=r.projection.party_keys.astype(str)).sort_index()


def _body(world: Path, parties: dict[str, str]) -> dict:
    d, _ = _bundle(world)
    row = d[d["border_post"] != POST].iloc[0].to_dict()
    body = {k: v for k, v in row.items() if v != ""}
    body["item_no"] = int(body["item_no"])
    for k in ("net_mass_kg", "gross_mass_kg", "quantity", "customs_value", "duty_rate", "duty_amount"):
        if k in body:
            body[k] = float(body[k])
    return {**body, **{f"{role}_id": pid for role, pid in parties.items()}, "declaration_id": "HOPS-TEST"}


def _assess_fires(api, world, party_id: str) -> list[dict]:
    body = _body(world, dict.fromkeys(ROLES, party_id))
    with _client(api, "investigator") as c:
        r = c.post("/api/v1/assess", json=body)
    assert r.status_code == 200, r.text
    return [x for x in r.json()["reasons"] if x["feature"] == f"profile:{HOPS2['id']}"]


def test_a_party_two_links_from_an_offender_fires_the_hops_profile_in_post_assess(api, world):
    stored = _stored_hops(api.store)
    assert stored.equals(_batch_hops(api.store))  # the analytics process's path wrote what the batch used
    assert set(stored.dropna().unique()) >= {0.0, 1.0, 2.0}
    two = stored[stored == 2].index[0].split(":", 1)[1]
    far = stored[stored.isna()].index[0].split(":", 1)[1]
    fired = _assess_fires(api, world, two)
    assert len(fired) == 1
    ev = {(e["kind"], e["id"]) for e in fired[0]["evidence"]}
    assert (("profile", f"{HOPS2['id']}@1")) in ev  # the stored shape's evidence survives the reader
    assert _assess_fires(api, world, far) == []


def test_stored_profile_reasons_keep_their_evidence_through_the_api(api):
    with _client(api, "investigator") as c:
        items = c.get("/api/v1/lanes/red", params={"limit": 500}).json()["items"]
    fired = [(it, x) for it in items for x in it["reasons"] if x["feature"].startswith("profile:")]
    assert fired, "the starter pack's red profiles should select some items"
    for it, x in fired:
        kinds = {e["kind"]: e["id"] for e in x["evidence"]}
        assert kinds["profile"].startswith(x["feature"].removeprefix("profile:") + "@")
        assert kinds["item"] == it["key"]


def test_an_analyst_writes_profiles_and_an_investigator_cannot(api):
    body = {**HOPS2, "id": "analyst-made", "name": "analyst made", "criteria": 'hs ^= "2402"'}
    with _client(api, "analyst") as c:
        r = c.post("/api/v1/risk-profiles", json=body)
        assert r.status_code == 201, r.text
        assert r.json()["created_by"] == "analyst-user"
        assert c.get("/api/v1/risk-areas").status_code == 200
        assert c.post("/api/v1/decisions", json={"kind": "cleared", "subject": "customs:P0000001"}
                      ).status_code == 403
    with _client(api, "investigator") as c:
        r = c.post("/api/v1/risk-profiles", json={**body, "id": "investigator-made"})
        assert r.status_code == 403
        assert "profiles:write" in r.json()["detail"]
    with _client(api, "admin") as c:
        keys = {k["owner"]: k for k in c.get("/api/v1/keys").json()}
    scopes = keys["analyst-user"]["scopes"]
    assert "profiles:write" in scopes and "cases:write" not in scopes and "decide" not in scopes


def test_the_in_process_path_writes_the_same_hops(api):
    from graph.pipeline.run import score

    api.store.execute("MATCH (p:Party) SET p.offender_hops = null")
    score(api.store, api.settings, progress=False, communities=False, where="in-process")
    stored = _stored_hops(api.store)
    assert stored.notna().any() and stored.equals(_batch_hops(api.store))


# --------------------------------------------------------------------------- the page, in Chromium



@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}: apt-get install -y chromium")
def test_the_risk_area_page_draws_every_plot_offline_in_chromium(api, tmp_path):
    with signed_in(api.url, api.keys["analyst"]) as (sync_api, pg, outside, dialogs, errors):
        pg.click("#riskareas-open")
        sync_api.expect(pg.locator("#riskareas-state")).to_have_text("18 plots", timeout=60_000)
        figures = pg.locator("#riskareas-plots figure.ra-plot")
        assert figures.count() == 18
        for i in range(18):
            f = figures.nth(i)
            drawn = f.locator("svg rect.bar").count() + f.locator("svg polyline.line").count()
            assert drawn > 0, f.get_attribute("data-plot")
        assert pg.locator("#riskareas-plots svg rect.bar").count() > 100
        labels = pg.locator("#riskareas-plots text.label").all_text_contents()
        assert any(t.startswith("Dostyk <script>alert(1)") for t in labels)  # shown as text
        assert any(t.startswith("<script>alert(2)") for t in labels)
        assert pg.locator("#riskareas script").count() == 0
        shot = tmp_path / "risk-areas.png"
        pg.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 50_000
        if os.environ.get("TAMGA_SCREENSHOT_DIR"):
            shutil.copy(shot, Path(os.environ["TAMGA_SCREENSHOT_DIR"]) / "tamga-risk-areas.png")
        assert outside == [] and dialogs == [] and errors == []
