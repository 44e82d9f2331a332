"""schemathesis against the live OpenAPI schema: no server error (5xx other than a documented 503)
and no response that breaks its schema, over bounded generated requests (runs in well under 2 min).

Authenticated as admin (every scope) so generated requests reach the handlers; the 401/403 paths
are covered route by route in tests/test_api_http.py.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from test_api_support import LiveServer, build_world, make_settings

schemathesis = pytest.importorskip("schemathesis")
# its check modules through importorskip too: imports below a module-level skip would be out of order
checks = pytest.importorskip("schemathesis.checks")
openapi_checks = pytest.importorskip("schemathesis.specs.openapi.checks")

CHECKS = [checks.not_a_server_error, openapi_checks.status_code_conformance,
          openapi_checks.content_type_conformance, openapi_checks.response_schema_conformance]


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    from api.auth import create_key
    from graph.store import open_store

    tmp = tmp_path_factory.mktemp("st")
    s = make_settings(tmp, rate_limit_per_minute=10**7)
    store = open_store(s)
    store.ensure_schema()
    build_world(store)
    key = create_key(store, "schemathesis", "admin")
    try:
        with LiveServer(s, store) as server:
            yield server, key
    finally:
        store.close()


def _operations(server):
    schema = schemathesis.openapi.from_url(server.url + "/openapi.json")
    return [r.ok() for r in schema.get_all_operations()]


def test_no_server_errors_and_responses_match_the_schema(live):
    """Each operation in turn, with a bounded, derandomised hypothesis run (schemathesis's pytest
    plugin and pytest 9 disagree on lazy subtests, so the loop is explicit; failures are collected
    per operation and reported together)."""
    from hypothesis import given

    server, key = live
    failures: dict[str, str] = {}
    statuses: dict[int, int] = {}
    ops = _operations(server)
    assert len(ops) >= 20
    for op in ops:
        @given(case=op.as_strategy())
        @settings(max_examples=25, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            response = case.call(base_url=server.url, headers={"X-API-Key": key}, timeout=30)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.status_code == 503 and case.operation.path in ("/api/v1/assess",
                                                                       "/api/v1/declarations"):
                # documented: no assessment model is fitted in this small world; still problem+json
                assert response.headers["content-type"][0] == "application/problem+json"
                return
            case.validate_response(response, checks=CHECKS)

        try:
            run()
        except Exception as e:  # noqa: BLE001 — collect every operation's failure, then report
            failures[f"{op.method.upper()} {op.path}"] = str(e)[:2000]
    assert sum(statuses.values()) >= 10 * len(ops) and statuses.get(200, 0) >= 2 * len(ops), statuses
    print("responses by status:", dict(sorted(statuses.items())))
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())
