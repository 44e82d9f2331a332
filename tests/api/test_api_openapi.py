"""The OpenAPI schema is checked in (tests/api/openapi.json) and the live schema must equal it, so an
API change is always a visible diff in review.

Refresh after an intended change:
    TAMGA_REFRESH_OPENAPI=1 .venv/bin/pytest tests/api/test_api_openapi.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest
from test_api_support import live_api


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    """The live server over the test world (see test_api_support.live_api)."""
    yield from live_api(tmp_path_factory)

SNAPSHOT = Path(__file__).with_name("openapi.json")


def _dump(spec: dict) -> str:
    return json.dumps(spec, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_live_schema_equals_the_checked_in_snapshot(api):
    with httpx.Client(base_url=api.url) as c:
        live = c.get("/openapi.json").json()
    if os.environ.get("TAMGA_REFRESH_OPENAPI") == "1":
        SNAPSHOT.write_text(_dump(live), encoding="utf-8")
    assert SNAPSHOT.exists(), ("no snapshot: run TAMGA_REFRESH_OPENAPI=1 .venv/bin/pytest "
                               "tests/api/test_api_openapi.py")
    assert _dump(live) == SNAPSHOT.read_text(encoding="utf-8"), (
        "the API schema changed: review, then refresh with TAMGA_REFRESH_OPENAPI=1 .venv/bin/pytest "
        "tests/api/test_api_openapi.py")


def test_operation_ids_are_stable_and_errors_are_problem_json():
    spec = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    ids = [op["operationId"] for p in spec["paths"].values() for op in p.values()]
    assert len(ids) == len(set(ids)) and all("_" in i or i.isalpha() for i in ids)
    assert {"search_entities", "get_entity", "get_entity_risk", "get_entity_network",
            "get_entity_network_page", "expand_node", "list_groups", "get_group", "list_cover_alerts",
            "list_audit_targets", "assess_declaration", "create_decision", "list_ingest_runs",
            "list_audit_events", "healthz", "readyz", "metrics"} <= set(ids)
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if path.startswith("/api/v1/"):
                assert {"401", "403", "422", "429", "500"} <= set(op["responses"]), (method, path)
                assert op["security"] == [{"APIKeyHeader": []}], (method, path)
            for code, resp in op["responses"].items():
                if int(code) >= 400 and op["operationId"] != "readyz":
                    assert list(resp["content"]) == ["application/problem+json"], (method, path, code)
