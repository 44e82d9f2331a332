"""The read model (`graph.pipeline.results`) and the one explanation type (`graph.domain.reasons`),
on a real Grafeo store on disk holding an ingested and scored simulated world."""

from __future__ import annotations

import ast
import dataclasses
import json
from pathlib import Path

import pytest

from graph.domain.reasons import Evidence, Reason, reasons_text
from graph.pipeline import results
from graph.pipeline.export import export, rows

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def store(scored_world):
    return scored_world.store


def test_an_ingested_store_is_unscored_until_a_run_scores_it(small_world: Path, grafeo_store, settings):
    from ingest.load import ingest_bundle

    ingest_bundle(grafeo_store, small_world, settings=settings, progress=False)
    assert results.data_version(grafeo_store)[1] is None and not results.scored(grafeo_store)


def test_the_api_model_has_the_domain_fields():
    """One type: the pydantic models the OpenAPI schema shows carry exactly the domain's fields."""
    from api.models import Evidence as EvidenceOut
    from api.models import Reason as ReasonOut

    for domain, public in ((Reason, ReasonOut), (Evidence, EvidenceOut)):
        assert [f.name for f in dataclasses.fields(domain)] == list(public.model_fields)


def test_every_reasons_field_of_the_api_is_a_typed_reason_list():
    spec = json.loads((ROOT / "tests" / "api" / "openapi.json").read_text())
    found = []
    for name, schema in spec["components"]["schemas"].items():
        for prop in ("reasons", "links"):
            if prop in schema.get("properties", {}):
                found.append(name)
                assert schema["properties"][prop]["items"] == {"$ref": "#/components/schemas/Reason"}, name
    assert {"Risk", "GroupSummary", "CoverAlert", "UnitValueAlert", "HsSwitch", "AuditTarget", "LaneItem",
            "Assessment"} <= set(found)
    assert spec["components"]["schemas"]["Reason"]["properties"]["evidence"]["items"] == \
        {"$ref": "#/components/schemas/Evidence"}


def test_risk_reasons_keep_every_contribution_and_name_the_offenders(store):
    ents = results.entities(store)
    assert ents and all(isinstance(r, Reason) for e in ents for r in e["reasons"])
    known = {r["entity_id"] for r in results.resolved_entities(store)}
    top = ents[0]
    parts = [r.contribution for r in top["reasons"] if r.contribution is not None]
    assert sum(parts) == pytest.approx(top["risk_score"], abs=1e-3)  # the contributions add up to the score
    paths = [r for e in ents[:50] for r in e["reasons"] if r.feature == "offender_path"]
    assert paths, "the riskiest entities are explained by links to offenders"
    for r in paths:
        assert r.evidence[0].kind == "entity" and r.evidence[0].id in known
        assert r.detail.startswith(("linked", "shares"))
        assert any(e.weight is not None for e in r.evidence[1:])  # the shared identifiers, with specificity


def test_each_analysis_reads_back_as_reasons(store):
    tables = {"cover-items": results.cover_items(store),
              "unit-value-anomalies": results.unit_value_anomalies(store),
              "audit-targets": results.audit_targets(store, 10), "groups": results.groups(store)}
    assert all(tables.values()), {k: len(v) for k, v in tables.items()}
    for kind, table in tables.items():
        field = "links" if kind == "groups" else "reasons"
        for row in table:
            assert row[field] and all(isinstance(r, Reason) and r.detail for r in row[field]), kind
    cover = tables["cover-items"][0]["reasons"]
    # the llr is its contribution
    assert cover[0].feature == "cover_pair" and cover[0].contribution is not None
    uva = tables["unit-value-anomalies"][0]
    assert uva["reasons"][0].value == uva["unit_value"]
    lanes = results.lane_items(store, lane="red", skip=0, limit=5) or results.lane_items(store, lane="yellow",
                                                                                         skip=0, limit=5)
    extra = {"party_network_risk", "cover_item"}  # the combined parts, besides the model's own features
    assert lanes and all(r.contribution is not None for r in lanes[0]["reasons"] if r.feature not in extra)


def test_export_json_is_the_read_model(store):
    """`tamga export` renders what the read model returns, nothing of its own."""
    for kind in ("entities", "cover-items", "audit-targets"):
        got = json.loads(export(store, kind, "json", None, budget=7))
        mine = rows(store, kind, 7)
        assert len(got) == len(mine)
        assert got[0]["reasons"] == [r.as_dict() for r in mine[0]["reasons"]]
        assert set(got[0]["reasons"][0]) == {"feature", "detail", "value", "contribution", "evidence"}
    assert [r["target_id"] for r in json.loads(export(store, "audit-targets", "json", None, budget=7))] == \
        [r["target_id"] for r in results.audit_targets(store, 7)]


def test_data_version_moves_with_a_score_run(store):
    ingest, scored_at = results.data_version(store)
    assert ingest is not None and scored_at is not None


def test_stored_shapes_map_onto_reasons():
    """The shapes the analyses store, including a store scored before the Reason type existed."""
    risk = {"score": 0.5, "rank": 1,
            "contributions": [{"feature": "offender_links", "value": 0.7, "contribution": 0.3}],
            "offender_paths": [{"offender": {"entity_id": "entity:c:P9", "name": "Bad LLC"},
                                "link_weight": 0.4,
                                "via": [{"kind": "Phone", "value": "+7701", "specificity": 0.9}],
                                "through": {"entity_id": "entity:c:P2", "name": ""},
                                "then_via": [{"kind": "Address", "value": "abai 1", "specificity": 0.5}]}],
            "trade_with_offenders": [{"offender": {"entity_id": "entity:c:P9", "name": "Bad LLC"},
                                      "as": "consignee",
                                      "declarations": 4}],
            "group": {"group_id": "group:c:P2", "size": 3, "risk": 0.6}, "own_record_weight": 1.5}
    got = results.reasons(json.dumps(risk))
    assert [r.feature for r in got] == ["offender_links", "offender_path", "trade_with_offender", "group",
                                        "own_record"]
    assert [e.id for e in got[1].evidence] == ["entity:c:P9", "entity:c:P2", "+7701", "abai 1"]
    assert "through entity:c:P2" in got[1].detail  # a nameless intermediary is named by its id
    assistant = results.reasons([{"feature": "rate_hs6", "value": 0.25, "contribution": 0.4,
                                  "doc": "past hit rate"},
                                 {"feature": "party_network_risk", "value": 0.8, "party": "c:P9",
                                  "doc": "risk"}])
    assert assistant[0].detail == "past hit rate: 0.25"
    assert assistant[1].evidence == (Evidence("party", "c:P9"),)
    assert results.reasons('["4 entities linked"]', "group") == [Reason("group", "4 entities linked")]
    assert results.reasons(None) == [] and results.reasons("") == [] and results.reasons("[]") == []
    assert results.reasons([{"feature": "unit_value_z"}])[0].detail == "unit value z"
    assert reasons_text(got[:1] + [Reason("x", "")] + got[3:4]) == \
        ("signal: offender links 0.7, contribution 0.30; member of linked group group:c:P2 (3 entities, "
         "group risk 0.6)")


def test_no_api_route_parses_exporter_output():
    """The routes read stored results through the read model; only the download routes (and the
    command line) render an export: the result tables, and the triage queue's CSV (cases.py)."""
    for path in (ROOT / "api").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "graph.pipeline.export":
                assert path.relative_to(ROOT / "api").as_posix() in (
                    "routes/exports.py", "cli/export.py", "routes/cases.py"), path
            if isinstance(node, ast.Attribute) and node.attr == "_version":
                pytest.fail(f"{path}: the data version is public: graph.pipeline.results.data_version")
