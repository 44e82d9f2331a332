"""Support for the API tests: a small world in a real Grafeo store, and the real app served by
uvicorn on 127.0.0.1 (a free port, in a thread), reached over real HTTP with httpx.

The world is written with test-only Cypher (values as parameters) in the shapes the ingest and the
analytics write: a ring (a Latin-named firm, its Cyrillic-named alias with the same tax id, a shell
sharing its phone, an offender sharing the shell's address), a group holding them, an entity, an
offence, declarations, and a party whose name is an HTML injection. The tests in this module check
the pieces below the HTTP layer (search, extraction, rendering) on that store.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import date
from pathlib import Path
from typing import Self

import httpx
import pytest
import uvicorn

from api.app import create_app
from api.auth import create_key
from api.server import uvicorn_config
from graph.settings import Settings
from graph.store import GraphStore, open_store
from ingest.normalise import normalise_name

XSS = "<img src=x onerror=alert(1)>"
RING_LATIN = "Vostok Trade LLC"
RING_CYRILLIC = "ООО «Восток Трейд»"

PARTIES = [
    # key, name, tax, risk, group, entity, extra
    ("t:P1", RING_LATIN, "7701234567", 0.91, "G1", "E1"),
    ("t:P2", RING_CYRILLIC, "7701234567", 0.85, "G1", "E1"),
    ("t:P3", "Shell One Ltd", "5500000001", 0.70, "G1", None),
    ("t:P4", "Offender Corp", "5500000002", 0.95, "G1", None),
    ("t:P5", XSS, "5500000003", 0.30, None, None),
    ("t:P6", "Clean Importer", "5500000004", 0.05, None, None),
]


def build_world(store: GraphStore) -> None:
    """Write the test world (test-only Cypher, values as parameters)."""
    ex = store.execute
    for key, name, tax, risk, group, entity in PARTIES:
        reasons = json.dumps({  # the shape graph.network.risk writes
            "score": risk, "rank": 0,
            "contributions": [{"feature": "offender_links", "value": risk,
                               "contribution": round(risk / 2, 3)},
                              {"feature": "group_risk", "value": 0.9 if group else 0.0, "contribution": 0.1}],
            "offender_paths": ([{"offender": {"entity_id": "t:P4", "name": "Offender Corp"},
                                 "link_weight": 0.6,
                                 "via": [{"kind": "Address", "value": "almaty abai 1 of 5",
                                          "specificity": 0.6}]}]
                               if group else [])})
        ex("CREATE (p:Party {key: $key, party_id: $pid, source: 't', name: $name, name_norm: $norm, "
           "kind: 'company', "
           "country: 'KZ', tax_id: $tax, tax_id_norm: $tax, risk_score: $risk, risk_rank: $rank, "
           "risk_reasons: $reasons, group_id: $group, entity_id: $entity, registered_on: $reg, "
           "scored_at: '2026-01-01T00:00:00Z'})",
           {"key": key, "pid": key.split(":")[1], "name": name, "norm": normalise_name(name), "tax": tax,
            "risk": risk, "rank": 0, "reasons": reasons, "group": group, "entity": entity,
            "reg": date(2020, 1, 1)})
    ex("CREATE (t:TaxId {key: '7701234567', value: '7701234567', degree: 2, specificity: 1.0})")
    ex("CREATE (t:Phone {key: '+77011234567', value: '+77011234567', degree: 2, specificity: 0.85})")
    ex("CREATE (t:Address {key: 'almaty abai 1 of 5', value: 'almaty abai 1 of 5', degree: 2, "
       "specificity: 0.6})")
    for p, rel, k in (("t:P1", "HAS_TAX_ID", "7701234567"), ("t:P2", "HAS_TAX_ID", "7701234567"),
                      ("t:P1", "HAS_PHONE", "+77011234567"), ("t:P3", "HAS_PHONE", "+77011234567"),
                      ("t:P3", "HAS_ADDRESS", "almaty abai 1 of 5"),
                      ("t:P4", "HAS_ADDRESS", "almaty abai 1 of 5")):
        ex(f"MATCH (p:Party {{key: $p}}), (i {{key: $k}}) CREATE (p)-[:{rel}]->(i)", {"p": p, "k": k})
    ex("CREATE (g:Group {key: 'G1', risk: 0.9, size: 4, links: $links, reasons: $reasons})",
       {"links": json.dumps([{"kind": "Phone", "value": "+77011234567", "specificity": 0.85, "shared_by": 2},
                             {"kind": "Address", "value": "almaty abai 1 of 5", "specificity": 0.6,
                              "shared_by": 2},
                             {"kind": "TaxId", "value": "7701234567", "specificity": 1.0, "shared_by": 2}]),
        "reasons": json.dumps(["4 entities linked by 3 shared identifiers or officers",
                               "1 member(s) with an enforcement record: Offender Corp"])})
    ex("MATCH (p:Party), (g:Group {key: 'G1'}) WHERE p.group_id = 'G1' CREATE (p)-[:MEMBER_OF]->(g)")
    ex("CREATE (e:Entity {key: 'E1', name: $name, confidence: 0.97, size: 2})", {"name": RING_LATIN})
    ex("MATCH (p:Party), (e:Entity {key: 'E1'}) WHERE p.entity_id = 'E1' "
       "CREATE (p)-[:RESOLVED_TO {confidence: 0.97}]->(e)")
    ex("CREATE (o:Person {key: 't:X1', person_id: 'X1', source: 't', name: 'Ivan Petrov', "
       "name_norm: 'ivan petrov'})")
    ex("MATCH (o:Person {key: 't:X1'}), (p:Party) WHERE p.key IN ['t:P3', 't:P4'] "
       "CREATE (o)-[:OFFICER_OF {role: 'director', share_pct: 100.0}]->(p)")
    decls = [("t:D1/1", "D1", "t:P1", "t:P6", date(2025, 3, 1), "8517120000", 12000.0, 0.2, "green"),
             ("t:D2/1", "D2", "t:P2", "t:P5", date(2025, 5, 1), "0901110000", 5000.0, 0.8, "red"),
             ("t:D3/1", "D3", "t:P4", "t:P6", date(2024, 7, 1), "8517120000", 30000.0, 0.6, "yellow")]
    for key, did, decl, cons, d, hs, value, cover, lane in decls:
        ex("MATCH (a:Party {key: $decl}), (b:Party {key: $cons}) "
           "CREATE (d:Declaration {key: $key, declaration_key: $dkey, declaration_id: $did, item_no: 1, "
           "source: 't', "
           "date: $date, hs_code: $hs, customs_value: $value, cover_score: $cover, "
           "suspected_hs: '2402200000', "
           "cover_reasons: $reasons, assessment_score: $cover, lane: $lane, assessment_reasons: $reasons, "
           "channel: 'green', goods_description: 'phones'}) "
           "CREATE (d)-[:DECLARED_BY]->(a) CREATE (d)-[:CONSIGNED_TO]->(b)",
           {"decl": decl, "cons": cons, "key": key, "dkey": f"t:{did}", "did": did, "date": d, "hs": hs,
            "value": value, "cover": cover, "lane": lane,
            "reasons": json.dumps([{"feature": "unit_value_z"}])})
    # unit-value anomalies and HS switches in the shapes graph.pipeline.run.write_declaration_results stores
    for key, z, value, norm, at_stake in (("t:D2/1", -6.2, 0.5, 4.0, 1500.0),
                                          ("t:D3/1", 4.1, 90.0, 12.0, 0.0)):
        ex("MATCH (d:Declaration {key: $key}) SET d.uv_z = $z, d.uv_value = $value, d.uv_norm = $norm, "
           "d.uv_duties_at_stake = $at_stake, d.uv_reasons = $reasons",
           {"key": key, "z": z, "value": value, "norm": norm, "at_stake": at_stake,
            "reasons": json.dumps([{"feature": "unit_value", "value": value, "norm": norm, "robust_z": z,
                                    "hs_level": 6, "detail": f"value/kg {value:.2f} vs usual {norm:.2f}"}])})
    for key, events in (("t:P4", [("2025-02-01", "851712", "090111", 0.9),
                                  ("2024-06-01", "851712", "940510", 0.4)]),
                        ("t:P1", [("2025-04-01", "090111", "851712", 0.6)])):
        switches = [{"date": d, "from_hs": a, "to_hs": b, "n_before": 12, "n_new": 3, "n_old_after": 0,
                     "duty_rate_before": 10.0, "duty_rate_after": 0.0, "score": sc, "keys": ["t:D3/1"],
                     "reasons": [{"feature": "switch", "value": 1.0,
                                  "detail": f"from {d} 3 items under {b}"}]}
                    for d, a, b, sc in events]
        ex("MATCH (p:Party {key: $key}) SET p.hs_switches = $switches, p.hs_switch_score = $score",
           {"key": key, "switches": json.dumps(switches), "score": max(e[3] for e in events)})
    ex("MATCH (p:Party {key: 't:P4'}), (d:Declaration {key: 't:D3/1'}) "
       "CREATE (o:Offence {key: 't:O1', offence_id: 'O1', source: 't', date: $d, party_id: 'P4', "
       "declaration_id: 'D3', offence_type: 'misclassification', status: 'confirmed', "
       "evaded_amount: 4000.0}) "
       "CREATE (o)-[:COMMITTED_BY]->(p) CREATE (o)-[:CONCERNS]->(d)", {"d": date(2024, 8, 1)})
    plan = [{"rank": i, "target_id": k, "target_kind": "party", "name": n, "expected_amount": amt, "risk": r,
             "duties_at_stake": amt * 2, "pick": "risk",
             "reasons": [{"feature": "risk", "detail": "network risk"}]}
            for i, (k, n, amt, r) in enumerate([("t:P4", "Offender Corp", 9000.0, 0.95),
                                                ("t:P1", RING_LATIN, 5000.0, 0.91),
                                                ("t:P2", RING_CYRILLIC, 3000.0, 0.85)], 1)]
    ex("CREATE (s:ScoreRun {key: 'score:20260101T000000.000000Z', started_at: '2026-01-01T00:00:00Z', "
       "finished_at: '2026-01-01T00:01:00Z', report: $rep})",
       {"rep": json.dumps({"audit_plan_rows": plan, "audit_random_share": 0.0})})
    ex("CREATE (r:IngestRun {key: 'run-1', started_at: '2026-01-01T00:00:00Z', source: 't', status: 'ok', "
       "report: $rep})", {"rep": json.dumps({"rows_read": 9, "source": "t"})})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """The real app under uvicorn on 127.0.0.1, in a thread of this process."""

    def __init__(self, settings: Settings, store: GraphStore):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = create_app(settings, store)
        # the product's own uvicorn configuration (timeouts, no proxy trust), as `tamga serve` uses
        self.server = uvicorn.Server(uvicorn_config(self.app, settings, "127.0.0.1", self.port,
                                                    log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


class Api:
    """What the HTTP tests get: the base url, a key per role, and a client factory."""

    def __init__(self, server: LiveServer, keys: dict[str, str], store: GraphStore, settings: Settings):
        self.server, self.url, self.keys = server, server.url, keys
        self.store, self.settings = store, settings

    def client(self, role: str | None = None, **kw) -> httpx.Client:
        headers = {"X-API-Key": self.keys[role]} if role else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, **kw)


def make_settings(tmp: Path, **kw) -> Settings:
    # the route walks send one wrong key per route from 127.0.0.1: the failed-authentication throttle
    # is tested on its own server (test_api_hardening), here it stays out of the way
    kw.setdefault("auth_fail_limit", 100_000)
    return Settings(env="test", data_dir=tmp / "data", **kw)


def live_api(tmp_path_factory):
    """A live server over the test world, with one key per role. Test modules wrap it in a
    module-scoped `api` fixture (one store and one server per module)."""
    tmp = tmp_path_factory.mktemp("api")
    settings = make_settings(tmp)
    store = open_store(settings)
    store.ensure_schema()
    build_world(store)
    keys = {role: create_key(store, f"{role}-user", role) for role in ("investigator", "auditor", "system",
                                                                       "admin")}
    try:
        with LiveServer(settings, store) as server:
            yield Api(server, keys, store, settings)
    finally:
        store.close()


# --------------------------------------------------------------------------- below HTTP

@pytest.fixture
def world(grafeo_store):
    build_world(grafeo_store)
    return grafeo_store


def test_search_finds_the_latin_party_by_its_cyrillic_spelling(world):
    from api.services.search import SearchIndex

    norm, hits = SearchIndex(world).search("Восток", 10)
    assert norm == normalise_name("Vostok")
    keys = [h["key"] for h in hits]
    assert "t:P1" in keys and "t:P2" in keys
    assert keys.index("t:P1") < keys.index("t:P6") if "t:P6" in keys else True


def test_search_tolerates_misspellings(world):
    from api.services.search import SearchIndex

    idx = SearchIndex(world)
    assert idx.search("Vostak Trade", 5)[1][0]["key"] == "t:P1"  # a shared word, then fuzzy ranking
    assert [h["key"] for h in idx.search("Ofender Korp", 5)[1]][:1] == ["t:P4"]  # no shared word at all


def test_search_by_tax_id_phone_and_party_id(world):
    from api.services.search import SearchIndex

    idx = SearchIndex(world)
    assert {h["key"] for h in idx.search("770 123 4567", 10)[1]
            if h["matched_on"] == "tax_id"} == {"t:P1", "t:P2"}
    assert {h["key"] for h in idx.search("+7 701 123 45 67", 10)[1]
            if h["matched_on"] == "phone"} == {"t:P1", "t:P3"}
    assert [h["key"] for h in idx.search("P4", 10)[1] if h["matched_on"] == "party_id"] == ["t:P4"]


def test_subgraph_reaches_the_offender_through_the_group_and_says_why(world):
    from api.services.subgraph import extract

    sub = extract(world, "Party", "t:P2", depth=3, max_nodes=100)
    ids = {n["id"]: n for n in sub["nodes"]}
    assert "Group:G1" in ids and "Party:t:P4" in ids and "Offence:t:O1" in ids
    assert ids["Group:G1"]["depth"] == 1
    assert ids["Group:G1"]["why"].startswith("Party “ООО «Восток Трейд»” —MEMBER_OF→ this")
    assert ids["Offence:t:O1"]["why"].startswith("this —COMMITTED_BY→ Party “Offender Corp”")
    assert ids["Offence:t:O1"]["depth"] == 3
    assert not sub["truncated"]
    edges = {(e["source"], e["target"], e["type"]) for e in sub["edges"]}
    assert ("Offence:t:O1", "Party:t:P4", "COMMITTED_BY") in edges
    assert sub["offence_paths"] == [["Party:t:P2", "Group:G1", "Party:t:P4", "Offence:t:O1"]]


def test_subgraph_caps_nodes_and_filters_kinds_and_dates(world):
    from api.services.subgraph import extract

    capped = extract(world, "Party", "t:P1", depth=3, max_nodes=4)
    assert len(capped["nodes"]) == 4 and capped["truncated"]
    only_phone = extract(world, "Party", "t:P1", depth=2, max_nodes=100, rel_types=["HAS_PHONE"])
    assert {n["kind"] for n in only_phone["nodes"]} == {"Party", "Phone"}
    assert {n["key"] for n in only_phone["nodes"] if n["kind"] == "Party"} == {"t:P1", "t:P3"}
    late = extract(world, "Party", "t:P1", depth=1, max_nodes=100, rel_types=["DECLARED_BY"],
                   date_from=date(2025, 4, 1))
    assert [n for n in late["nodes"] if n["kind"] == "Declaration"] == []
    early = extract(world, "Party", "t:P1", depth=1, max_nodes=100, rel_types=["DECLARED_BY"],
                    date_from=date(2025, 1, 1), date_to=date(2025, 12, 31))
    assert [n["key"] for n in early["nodes"] if n["kind"] == "Declaration"] == ["t:D1/1"]


def test_pyvis_page_is_offline_and_escapes_every_tooltip(world):
    from api.services.subgraph import extract, render_html

    sub = extract(world, "Party", "t:P2", depth=2, max_nodes=100)
    assert any(n["label"] == XSS for n in sub["nodes"])
    page, csp = render_html(sub, f"Network of {XSS}")
    assert 'src="http' not in page and 'href="http' not in page
    assert XSS not in page  # neither raw in the heading nor in the inlined node data
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # the heading, escaped
    assert "vis.Network" in page and "popup.innerHTML" in page  # pyvis custom popup of escaped titles
    assert "script-src 'sha256-" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
