"""The API over real HTTP (uvicorn on 127.0.0.1, httpx): access control on every route, problem+json
errors, request ids, caps, the audit trail, decisions, and the answers investigators rely on."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from test_api_support import RING_CYRILLIC, XSS, live_api


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    """The live server over the test world (see test_api_support.live_api)."""
    yield from live_api(tmp_path_factory)

# Routes that answer without a key, on purpose: the page and its static assets (no data in them),
# liveness/readiness, Prometheus metrics, and the OpenAPI schema.
PUBLIC = {"/", "/ui", "/docs", "/ui/assets/{name}", "/healthz", "/readyz", "/metrics", "/openapi.json"}
# opened by a one-time ticket issued under graph:read (POST /api/v1/entities/{id}/network-page)
TICKETED = {"/ui/network/{ticket}"}


def _routes(app):
    """Every (method, path, scope) the app serves, generated from the app itself."""
    from api.deps import Require

    out = []
    for rc in iter_route_contexts(app.routes):
        r = rc.route
        if not isinstance(r, APIRoute):
            out.extend((m, r.path, None) for m in (getattr(r, "methods", None) or ["GET"]))
            continue
        scopes = [d.call.scope for d in r.dependant.dependencies if isinstance(d.call, Require)]
        for m in r.methods:
            out.append((m, r.path, scopes[0] if scopes else None))
    return out


def _concrete(path: str) -> str:
    subs = {"entity_id": "t:P1", "group_id": "G1", "lane": "red", "decision_id": "nope", "prefix": "nope",
            "kind": "groups", "name": "app.js", "profile_id": "nope", "case_id": "nope",
            "job_id": "j20260101T000000-0000000000", "hit_id": "0" * 24, "key": "t:P1"}
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: subs[m.group(1)], path)


def test_every_route_needs_a_key_and_its_scope(api):
    routes = _routes(api.server.app)
    assert len(routes) >= 20
    unprotected = sorted(p for m, p, s in routes if s is None and p not in PUBLIC | TICKETED)
    assert unprotected == [], f"routes without a scope dependency: {unprotected}"
    with httpx.Client(base_url=api.url, timeout=30) as anon:
        assert anon.get("/ui/network/" + "A" * 32).status_code == 404  # no ticket, no page
    from api.auth import ROLES

    with httpx.Client(base_url=api.url, timeout=30) as anon:
        for method, path, scope in routes:
            if scope is None:
                continue
            url = _concrete(path)
            r = anon.request(method, url)
            assert r.status_code == 401, (method, url, r.status_code)
            assert r.headers["content-type"] == "application/problem+json"
            r = anon.request(method, url, headers={"X-API-Key": "tmg_bad_key"})
            assert r.status_code == 401, (method, url)
            lacking = next((role for role, scopes in ROLES.items() if scope not in scopes), None)
            if lacking is None:
                continue
            with api.client(lacking) as c:
                r = c.request(method, url)
            assert r.status_code == 403, (method, url, lacking, r.status_code)
            assert r.json()["status"] == 403 and scope in r.json()["detail"]


def test_public_routes_answer_without_a_key(api):
    with httpx.Client(base_url=api.url, timeout=30) as anon:
        assert anon.get("/healthz").json() == {"status": "ok", "store": None, "detail": None,
                                               "interrupted_runs": []}
        assert anon.get("/readyz").json()["status"] == "ok"
        assert "tamga_http_requests_total" in anon.get("/metrics").text
        assert anon.get("/openapi.json").json()["info"]["title"] == "Tamga API"
        assert anon.get("/ui").status_code == 200
        assert anon.get("/docs").status_code == 200
        assert anon.get("/ui/assets/vis-network.min.js").status_code == 200
        assert anon.get("/ui/assets/../app.py").status_code == 404


def test_errors_are_problem_json_with_the_request_id(api):
    with api.client("investigator") as c:
        # the server names every request; the caller's own id is kept beside it (in the audit trail)
        r = c.get("/api/v1/entities/does-not-exist", headers={"X-Request-ID": "req-123"})
        rid = r.headers["x-request-id"]
        assert r.status_code == 404 and re.fullmatch(r"[0-9a-f]{32}", rid)
        body = r.json()
        assert r.headers["content-type"] == "application/problem+json"
        assert body["status"] == 404 and body["request_id"] == rid and body["title"] == "Not Found"
        r = c.get("/api/v1/entities/search", params={"q": ""})
        assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["query", "q"]
        assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])
        assert c.get("/api/v1/nowhere").status_code == 404
        r = c.post("/api/v1/decisions", content=b"x" * (api.settings.max_body_bytes + 1),
                   headers={"content-type": "application/json"})
        assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
        r = c.post("/api/v1/decisions", json={"kind": "same_entity", "subject": "t:P1", "unknown": 1})
        assert r.status_code == 422


def test_cors_is_closed_by_default(api):
    with api.client("investigator") as c:
        r = c.options("/api/v1/entities/search", headers={"Origin": "https://evil.example",
                                                          "Access-Control-Request-Method": "GET"})
        assert "access-control-allow-origin" not in r.headers
        r = c.get("/api/v1/entities/search", params={"q": "x"}, headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in r.headers


def test_search_cyrillic_finds_latin_then_card_shows_group_aliases_offences(api):
    with api.client("investigator") as c:
        r = c.get("/api/v1/entities/search", params={"q": "Восток"})
        assert r.status_code == 200
        keys = [h["key"] for h in r.json()["items"]]
        assert {"t:P1", "t:P2"} <= set(keys)
        card = c.get("/api/v1/entities/t:P1").json()
        assert card["identity"]["name"] == "Vostok Trade LLC"
        assert [a["name"] for a in card["aliases"]] == [RING_CYRILLIC]
        assert card["group"]["key"] == "G1" and card["risk"]["risk_score"] == 0.91
        why = card["risk"]["reasons"]  # one Reason list: contributions first, then the evidence paths
        assert why[0]["feature"] == "offender_links" and why[0]["contribution"] == 0.455
        path = next(r for r in why if r["feature"] == "offender_path")
        assert "Offender Corp" in path["detail"]
        assert {"kind": "entity", "id": "t:P4", "label": "Offender Corp", "weight": None} in path["evidence"]
        assert "enforcement record" in card["group"]["reasons"][1]["detail"]
        assert card["roles"] == {"declarant": 1}
        assert card["trade"]["declarations"] == 1 and card["trade"]["value"] == 12000.0
        assert card["trade"]["top_counterparties"][0]["key"] == "t:P6"
        assert {i["rel"] for i in card["identifiers"]} == {"HAS_TAX_ID", "HAS_PHONE"}
        offender = c.get("/api/v1/entities/P4").json()  # by source party id
        assert offender["offences"][0]["offence_type"] == "misclassification"
        assert offender["officers"][0]["name"] == "Ivan Petrov"
        by_entity = c.get("/api/v1/entities/E1").json()  # by resolved entity id
        assert by_entity["key"] == "t:P1" and by_entity["aliases"][0]["key"] == "t:P2"
        risk = c.get("/api/v1/entities/t:P4/risk").json()
        assert risk["risk_score"] == 0.95 and risk["group_id"] == "G1"


def test_network_json_caps_and_expand(api):
    with api.client("investigator") as c:
        sub = c.get("/api/v1/entities/t:P2/network", params={"depth": 3}).json()
        kinds = {n["id"]: n for n in sub["nodes"]}
        assert "Offence:t:O1" in kinds and "Group:G1" in kinds and sub["truncated"] is False
        assert all(n["why"] for n in sub["nodes"])
        capped = c.get("/api/v1/entities/t:P2/network", params={"depth": 3, "max_nodes": 3}).json()
        assert capped["truncated"] is True and len(capped["nodes"]) == 3
        assert c.get("/api/v1/entities/t:P2/network", params={"depth": 4}).status_code == 422
        only = c.get("/api/v1/entities/t:P1/network", params=[("rel", "HAS_PHONE"), ("depth", 2)]).json()
        assert {n["kind"] for n in only["nodes"]} == {"Party", "Phone"}
        assert c.get("/api/v1/entities/t:P1/network", params={"rel": "NOPE"}).status_code == 422
        exp = c.get("/api/v1/graph/expand", params={"node": "Group:G1"}).json()
        assert {n["key"] for n in exp["nodes"] if n["kind"] == "Party"} == {"t:P1", "t:P2", "t:P3", "t:P4"}
        assert c.get("/api/v1/graph/expand", params={"node": "Nope:x"}).status_code == 422


def test_network_page_is_offline_and_escaped(api):
    with api.client("investigator") as c:
        r = c.get("/api/v1/entities/t:P5/network.html")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert "script-src 'sha256-" in r.headers["content-security-policy"]
        assert XSS not in r.text and 'src="http' not in r.text and 'href="http' not in r.text
        assert "&lt;img src=x onerror=alert(1)&gt;" in r.text


def test_groups_alerts_targets_lanes_exports(api):
    with api.client("auditor") as c:
        groups = c.get("/api/v1/groups").json()
        assert groups["total"] == 1 and groups["items"][0]["key"] == "G1"
        g = c.get("/api/v1/groups/G1").json()
        assert [m["key"] for m in g["members"]] == ["t:P4", "t:P1", "t:P2", "t:P3"]
        assert {e["kind"] for link in g["links"] for e in link["evidence"]} == {"Phone", "Address", "TaxId"}
        assert "specificity 0.85, shared by 2" in g["links"][0]["detail"]
        assert "enforcement record" in g["reasons"][1]["detail"] and g["reasons"][1]["feature"] == "group"
        cover = c.get("/api/v1/alerts/cover", params={"min_score": 0.5}).json()
        assert [a["key"] for a in cover["items"]] == ["t:D2/1", "t:D3/1"]
        uv = c.get("/api/v1/alerts/unit-values").json()["items"]
        assert [(a["key"], a["robust_z"], a["direction"]) for a in uv] == [("t:D2/1", -6.2, "under"),
                                                                           ("t:D3/1", 4.1, "over")]
        assert (uv[0]["unit_value"], uv[0]["norm_unit_value"], uv[0]["duties_at_stake"]) == (0.5, 4.0, 1500.0)
        assert uv[0]["reasons"][0]["feature"] == "unit_value" and uv[0]["declaration_key"] == "t:D2"
        over = c.get("/api/v1/alerts/unit-values", params={"direction": "over"}).json()["items"]
        assert [a["key"] for a in over] == ["t:D3/1"]
        assert [a["key"] for a in c.get("/api/v1/alerts/unit-values",
                                        params={"min_abs_z": 5}).json()["items"]] \
            == ["t:D2/1"]
        assert [a["key"] for a in c.get("/api/v1/alerts/unit-values", params={"skip": 1}).json()["items"]] \
            == ["t:D3/1"]
        assert c.get("/api/v1/alerts/unit-values", params={"direction": "sideways"}).status_code == 422
        sw = c.get("/api/v1/alerts/hs-switches").json()["items"]
        assert [(a["key"], a["score"]) for a in sw] == [("t:P4", 0.9), ("t:P1", 0.6)]
        assert [(s["from_hs"], s["to_hs"], s["date"]) for s in sw[0]["switches"]] == [("851712", "090111",
                                                                                       "2025-02-01")]
        assert sw[0]["name"] == "Offender Corp" and sw[0]["switches"][0]["reasons"][0]["feature"] == "switch"
        low = c.get("/api/v1/alerts/hs-switches", params={"min_score": 0.3, "limit": 1}).json()["items"]
        assert [a["key"] for a in low] == ["t:P4"] and [s["score"] for s in low[0]["switches"]] == [0.9, 0.4]
        assert c.get("/api/v1/alerts/hs-switches", params={"min_score": 0.95}).json()["items"] == []
        for action, target in (("alerts.unit_values", "min_abs_z=5.0 direction=None"),
                               ("alerts.hs_switches", "min_score=0.95")):
            events = c.get("/api/v1/audit", params={"action": action}).json()
            assert target in {e["target"] for e in events}, (action, events)
        targets = c.get("/api/v1/audit-targets", params={"budget": 3}).json()["items"]
        assert [t["rank"] for t in targets] == [1, 2, 3] and all(t["target_kind"] == "party" for t in targets)
        assert [t["target_id"] for t in targets] == ["t:P4", "t:P1", "t:P2"]
        lanes = {x["lane"]: x["items"] for x in c.get("/api/v1/lanes").json()}
        assert lanes == {"green": 1, "red": 1, "yellow": 1}
        assert [x["key"] for x in c.get("/api/v1/lanes/red").json()["items"]] == ["t:D2/1"]
        csv_text = c.get("/api/v1/exports/entities").text
        assert csv_text.startswith("\ufeffParty ID,") and "P4" in csv_text and XSS in csv_text
        groups_json = c.get("/api/v1/exports/groups", params={"format": "json"}).json()
        assert {r["group_id"] for r in groups_json} == {"G1"}
        plan = c.get("/api/v1/exports/audit-targets", params={"budget": 2, "format": "json"}).json()
        assert len(plan) == 2


def test_page_size_is_clamped_to_the_settings(api):
    with api.client("auditor") as c:
        r = c.get("/api/v1/audit", params={"limit": 1000})
        assert r.status_code == 200 and len(r.json()) <= api.settings.max_page_size


def test_decisions_are_recorded_soft_deleted_and_audited(api):
    with api.client("investigator") as c:
        r = c.post("/api/v1/decisions", json={"kind": "not_same_entity", "subject": "t:P1", "object": "t:P3",
                                              "note": "different directors"})
        assert r.status_code == 201
        d = r.json()
        assert d["user"] == "investigator-user" and d["deleted_at"] is None
        assert c.post("/api/v1/decisions", json={"kind": "same_entity", "subject": "t:P1"}).status_code == 422
        assert c.post("/api/v1/decisions",
                      json={"kind": "confirmed_risk", "subject": "t:NOPE"}).status_code == 404
        insp = c.post("/api/v1/decisions",
                      json={"kind": "inspection", "subject": "t:D2/1", "value": "violation"})
        assert insp.status_code == 201
        item = api.store.execute("MATCH (d:Declaration {key: 't:D2/1'}) RETURN d.inspection_result AS r")
        assert item == [{"r": "violation"}]
        whole = c.post("/api/v1/decisions", json={"kind": "inspection", "subject": "t:D3", "value": "clear"})
        assert whole.status_code == 201
        listed = c.get("/api/v1/decisions", params={"subject": "t:P1"}).json()
        assert [x["id"] for x in listed] == [d["id"]]
        w = c.delete(f"/api/v1/decisions/{d['id']}").json()
        assert w["deleted_by"] == "investigator-user" and w["deleted_at"]
        assert c.delete(f"/api/v1/decisions/{d['id']}").status_code == 404
        assert c.get("/api/v1/entities/t:P1").json()["decisions"][0]["deleted_at"]
    stored = api.store.execute("MATCH (d:Decision) RETURN d.kind AS kind, d.deleted_at AS gone ORDER BY kind")
    assert [(r["kind"], r["gone"] is not None) for r in stored] == [
        ("inspection", False), ("inspection", False), ("not_same_entity", True)]
    assert api.store.execute("MATCH (d:Declaration {key: 't:D3/1'}) "
                             "RETURN d.inspection_result AS r") == [{"r": "clear"}]


def test_the_audit_trail_shows_reads_with_who_what_where_and_request_id(api):
    with api.client("investigator") as c:
        c.get("/api/v1/entities/t:P3", headers={"X-Request-ID": "audit-probe-1"})
        c.get("/api/v1/entities/t:P3/network", headers={"X-Request-ID": "audit-probe-2"})
    with api.client("auditor") as c:
        c.get("/api/v1/entities/t:P3/risk", headers={"X-Request-ID": "audit-probe-3"})
        c.get("/api/v1/admin-nope")
    with api.client("admin") as c:
        events = c.get("/api/v1/audit", params={"target": "t:P3"}).json()
        got = {(e["client_request_id"], e["action"], e["user"]) for e in events}
        assert all(re.fullmatch(r"[0-9a-f]{32}", e["request_id"]) for e in events)
        assert {("audit-probe-1", "entity.read", "investigator-user"),
                ("audit-probe-2", "graph.read", "investigator-user"),
                ("audit-probe-3", "entity.risk", "auditor-user")} <= got
        assert all(e["client"] == e["peer"] == "127.0.0.1" and e["at"].endswith("Z") for e in events)
        missing = c.get("/api/v1/audit", params={"target": "does-not-exist"}).json()
        assert [(e["action"], e["status"]) for e in missing] == [("entity.read", 404)]
        denied = c.get("/api/v1/audit", params={"action": "access.denied"}).json()
        assert denied and all(e["status"] == 403 for e in denied)
        mine = c.get("/api/v1/audit", params={"user": "admin-user", "action": "audit.read"}).json()
        assert mine  # reading the trail is itself recorded
    ops = api.server.app.openapi()["paths"]["/api/v1/audit"]
    assert set(ops) == {"get"}, "the audit trail must not be editable through the API"


def test_no_named_query_edits_the_audit_trail():
    import queries

    for name, text in queries.all_queries().items():
        if "AuditEvent" in text and name != "api.audit_append":
            assert not re.search(r"\b(SET|DELETE|REMOVE|MERGE|CREATE)\b", text.upper()), name
    assert "CREATE (e:AuditEvent" in queries.get("api.audit_append")


def test_keys_created_listed_revoked_through_the_api(api):
    with api.client("admin") as c:
        r = c.post("/api/v1/keys", json={"owner": "risk-engine", "role": "system"})
        assert r.status_code == 201
        created = r.json()
        new_key = created["key"]
        listed = {k["prefix"]: k for k in c.get("/api/v1/keys").json()}
        assert listed[created["prefix"]]["state"] == "active" and "key_hash" not in listed[created["prefix"]]
        assert all(new_key not in str(v) for v in listed.values())
        with httpx.Client(base_url=api.url, headers={"X-API-Key": new_key}) as s:
            assert s.get("/api/v1/entities/t:P1/risk").status_code == 200
            assert s.get("/api/v1/entities/t:P1/network").status_code == 403
            assert c.delete(f"/api/v1/keys/{created['prefix']}").status_code == 204
            assert s.get("/api/v1/entities/t:P1/risk").status_code == 401
        bad = c.post("/api/v1/keys", json={"owner": "x", "role": "auditor", "scopes": ["decide"]})
        assert bad.status_code == 422 and "exceed" in bad.json()["detail"]
    stored = api.store.execute("MATCH (k:ApiKey) RETURN k.key_hash AS h")
    assert all(re.fullmatch(r"[0-9a-f]{64}", r["h"]) for r in stored)


def test_ingest_runs(api):
    with api.client("system") as c:
        runs = c.get("/api/v1/ingest-runs").json()
        assert runs[0]["run_id"] == "run-1" and runs[0]["status"] == "ok"


@pytest.mark.parametrize("per_minute", [3])
def test_rate_limit_per_key(tmp_path, per_minute):
    from test_api_support import LiveServer, build_world, make_settings

    from api.auth import create_key
    from graph.store import open_store

    settings = make_settings(tmp_path, rate_limit_per_minute=per_minute)
    store = open_store(settings)
    store.ensure_schema()
    build_world(store)
    k1, k2 = create_key(store, "a", "investigator"), create_key(store, "b", "investigator")
    try:
        with LiveServer(settings, store) as server, httpx.Client(base_url=server.url) as c:
            codes = [c.get("/api/v1/entities/t:P1/risk",
                           headers={"X-API-Key": k1}).status_code for _ in range(5)]
            assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
            r = c.get("/api/v1/entities/t:P1/risk", headers={"X-API-Key": k1})
            assert (r.headers["content-type"] == "application/problem+json"
                    and int(r.headers["retry-after"]) >= 1)
            assert c.get("/api/v1/entities/t:P1/risk", headers={"X-API-Key": k2}).status_code == 200
    finally:
        store.close()


def test_bootstrap_admin_key_and_settings_refuse_default_secret(tmp_path):
    from test_api_support import LiveServer, make_settings

    from graph.settings import Settings
    from graph.store import open_store

    with pytest.raises(ValueError):
        Settings(env="production", data_dir=tmp_path, secret_key="changeme")
    boot = "bootstrap-" + "k" * 30
    settings = make_settings(tmp_path, bootstrap_admin_key=boot)
    store = open_store(settings)
    try:
        with LiveServer(settings, store) as server, httpx.Client(base_url=server.url) as c:
            assert c.get("/api/v1/keys", headers={"X-API-Key": boot}).status_code == 200
    finally:
        store.close()


def test_query_timeout_answers_503_problem(tmp_path):
    from test_api_support import LiveServer, build_world, make_settings

    from api.auth import create_key
    from graph.store import open_store

    settings = make_settings(tmp_path, query_timeout_s=1e-9)
    store = open_store(settings)
    store.ensure_schema()
    build_world(store)
    key = create_key(store, "a", "investigator")
    try:
        with LiveServer(settings, store) as server, httpx.Client(base_url=server.url) as c:
            r = c.get("/api/v1/entities/t:P1", headers={"X-API-Key": key})
            assert r.status_code == 503 and r.headers["content-type"] == "application/problem+json"
            assert "longer than" in r.json()["detail"] and r.headers["retry-after"] == "5"
    finally:
        store.close()
