"""One summary of the scored items (`graph.pipeline.item_summary`) behind `GET /api/v1/risk-areas` and
`GET /api/v1/effectiveness`, on the seeded world with the starter profiles, scored, in a real Grafeo
store on disk with its ledger, served over real HTTP, with inspections posted over HTTP.

- computed ahead, as the server does after a job (`refresh`; tests/api/test_api_jobs.py shows the
  server doing it), the first views compute nothing; it comes from the ledger; the scoring run
  itself does not wait for it;
- its tables equal the same summary read from the store's own frames (the reading both views made
  before it), and its cube equals the store's per-area counts by the Cypher the risk areas used;
- the effectiveness figures agree with counts read from the store (random picks, a profile's items);
- an inspection posted changes both views at once, from one computation shared by both;
- the summary written beside the store reads back equal (a restarted server reads it).
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pandas as pd
import pytest
from test_api_support import LiveServer, make_settings

STARTER = Path(__file__).resolve().parents[2] / "graph" / "declarations" / "profiles_starter.toml"

#: the risk areas' item cube as the store's own query counted it before the summary (the reference)
OLD_ITEMS_CUBE = """
MATCH (d:Declaration)
OPTIONAL MATCH (d)-[:ON_ROUTE]->(r:Route)
WITH d, substring(d.hs_code, 0, 2) AS hs_chapter, r.key AS route, substring(toString(d.date), 0, 7) AS month
RETURN hs_chapter, route, month, count(d) AS items,
       sum(CASE WHEN d.inspection_result IN ['clear', 'violation'] THEN 1 ELSE 0 END) AS inspected,
       sum(CASE WHEN d.inspection_result = 'violation' THEN 1 ELSE 0 END) AS hits,
       coalesce(sum(d.uv_duties_at_stake), 0) AS duties_undervalued,
       sum(CASE WHEN d.lane = 'red' THEN 1 ELSE 0 END) AS lane_red,
       sum(CASE WHEN d.lane = 'yellow' THEN 1 ELSE 0 END) AS lane_yellow,
       sum(CASE WHEN d.lane = 'blue' THEN 1 ELSE 0 END) AS lane_blue,
       sum(CASE WHEN d.channel = 'red' THEN 1 ELSE 0 END) AS channel_red,
       sum(CASE WHEN d.channel = 'yellow' THEN 1 ELSE 0 END) AS channel_yellow,
       sum(CASE WHEN d.channel = 'blue' THEN 1 ELSE 0 END) AS channel_blue
"""


@pytest.fixture(scope="module")
def api(small_world: Path, tmp_path_factory):
    from api.auth import create_key
    from graph.declarations.profiles import profiles_from_toml
    from graph.pipeline.profile_store import save
    from graph.pipeline.run import score
    from graph.store import open_store
    from ingest.load import ingest_bundle

    settings = make_settings(tmp_path_factory.mktemp("item-summary"))
    store = open_store(settings)
    store.ensure_schema()
    ingest_bundle(store, small_world, settings=settings, progress=False)
    for p in profiles_from_toml(STARTER.read_text(encoding="utf-8")):
        save(store, p.as_dict(), "analyst-user")
    rep = score(store, settings, progress=False, communities=False)
    from graph.pipeline import item_summary as isum

    isum.refresh(store, settings)  # what the server does after a scoring job, ahead of the views
    key = create_key(store, "system-user", "system")
    try:
        with LiveServer(settings, store) as server:
            yield server, key, store, settings, rep
    finally:
        store.close()


def _keys(store, where: str) -> list[str]:
    return sorted(r["key"] for r in store.execute(f"MATCH (d:Declaration) {where} RETURN d.key AS key"))


def _sorted(t: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    t = t.astype({c: object for c in by}).copy()
    for c in by:
        t[c] = t[c].where(t[c].notna(), None).map(lambda v: "\0" if v is None else str(v))
    return t.sort_values(by, kind="stable").reset_index(drop=True)


def _same_tables(a, b) -> None:
    from graph.pipeline import item_summary as isum

    for name, by in (("cube", isum.CUBE_KEYS), ("measures", isum.MEASURE_KEYS),
                     ("profiles", isum.PROFILE_KEYS), ("sample", isum.SAMPLE_COLUMNS)):
        x, y = _sorted(getattr(a, name), by), _sorted(getattr(b, name), by)
        pd.testing.assert_frame_equal(x, y, check_dtype=False, check_exact=False, atol=1e-6, obj=name)
    assert a.mentions == b.mentions and (a.items, a.random_picks) == (b.items, b.random_picks)


def _views(c: httpx.Client) -> tuple[dict, dict]:
    ra, ef = c.get("/api/v1/risk-areas"), c.get("/api/v1/effectiveness")
    assert ra.status_code == 200 and ef.status_code == 200, (ra.text, ef.text)
    return ra.json(), ef.json()


def test_one_summary_serves_both_views_and_follows_an_inspection(api, monkeypatch) -> None:
    from graph.pipeline import item_summary as isum

    server, key, store, settings, rep = api
    assert "item_summary" not in rep["timings_s"]  # not by the scoring run: by the server, ahead
    assert isum._CACHE[store].version == isum.version(store)
    computed: list[int] = []
    real = isum.compute
    monkeypatch.setattr(isum, "compute", lambda *a, **k: computed.append(1) or real(*a, **k))
    with httpx.Client(base_url=server.url, timeout=120, headers={"X-API-Key": key}) as c:
        _views(c)
        assert computed == [], "the first views after a scoring run computed the summary again"
        # inspections: random picks, other flagged items, any items (seeded choice: every 3rd)
        rnd = _keys(store, "WHERE d.selected_at_random = true")
        flagged = _keys(store, "WHERE d.lane IS NOT NULL")
        every = _keys(store, "")
        picked = list(dict.fromkeys(rnd[::2] + flagged[::3][:120] + every[::25]))
        body = [{"item": k, "result": "violation" if i % 4 == 0 else "clear", "date": "2025-06-01"}
                for i, k in enumerate(picked)]
        r = c.post("/api/v1/inspections", json={"items": body}, params={"provisional": "off"})
        assert r.status_code == 201, r.text
        ra, ef = _views(c)
        assert computed == [1], "the two views did not share one computation"
        summary = isum._CACHE[store]
        assert summary.source == "ledger" and summary.version == isum.version(store)

        # the same summary from the store's own frames, and the cube by the store's own Cypher
        from_store = real(store, settings.model_copy(update={"ledger_writes": False}))
        assert from_store.source == "store"
        _same_tables(summary, from_store)
        old = pd.DataFrame(store.execute(OLD_ITEMS_CUBE))
        pd.testing.assert_frame_equal(_sorted(old, isum.CUBE_KEYS)[summary.cube.columns.tolist()],
                                      _sorted(summary.cube, isum.CUBE_KEYS), check_dtype=False,
                                      check_exact=False, atol=1e-6)

        # the figures against counts read from the store
        inspected = store.execute("MATCH (d:Declaration) WHERE d.inspection_result IN "
                                  "['clear', 'violation'] RETURN count(d) AS n")[0]["n"]
        assert sum(a["inspected"] for a in ra["dimensions"]["month"]) == inspected
        base = next(m for m in ef["measures"] if m["measure"] == "random")
        rnd_insp = store.execute("MATCH (d:Declaration) WHERE d.selected_at_random = true AND "
                                 "d.inspection_result IN ['clear', 'violation'] RETURN count(d) AS n, "
                                 "sum(CASE WHEN d.inspection_result = 'violation' THEN 1 ELSE 0 END) AS k")[0]
        assert (base["selections"], base["inspections"], base["hits"]) == (len(rnd), rnd_insp["n"],
                                                                           rnd_insp["k"])
        prof = [m for m in ef["measures"] if m["measure"] == "profile"]
        assert prof, "no profile fired on the world"
        top = max(prof, key=lambda m: m["selections"])
        named = store.execute("MATCH (d:Declaration) WHERE d.lane IS NOT NULL AND "
                              "d.assessment_reasons CONTAINS $f RETURN count(d) AS n",
                              {"f": f'"profile:{top["value"]}"'})[0]["n"]
        assert top["selections"] == named
        hits = {p["profile_id"]: p["hits"] for p in ra["profiles"]}
        assert hits[top["value"]] >= top["selections"]

        # one more inspection: both views change at once, again from one computation
        # a random pick not inspected yet (the bundle carries results of its own for some items)
        open_picks = _keys(store, "WHERE d.selected_at_random = true AND d.inspection_result IS NULL")
        fresh = next(k for k in open_picks if k not in set(picked))
        one = [{"item": fresh, "result": "violation", "date": "2025-06-02"}]
        r = c.post("/api/v1/inspections", json={"items": one}, params={"provisional": "off"})
        assert r.status_code == 201, r.text
        ra2, ef2 = _views(c)
        assert len(computed) == 2
        base2 = next(m for m in ef2["measures"] if m["measure"] == "random")
        assert (base2["inspections"], base2["hits"]) == (base["inspections"] + 1, base["hits"] + 1)
        assert sum(a["inspected"] for a in ra2["dimensions"]["month"]) == inspected + 1

    # written beside the store: a restarted server reads it back, equal
    back = isum._read(isum._folder(store), isum.version(store))
    assert back is not None
    _same_tables(isum._CACHE[store], back)
    assert json.loads((isum._folder(store) / "meta.json").read_text())["version"] == isum.version(store)
