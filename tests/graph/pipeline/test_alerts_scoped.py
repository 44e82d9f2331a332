"""`raise_profile_alerts` (POST /assess?store=true) reads only the open alerts and cases its items
could meet, and still de-duplicates: on a real Grafeo store on disk with items written in the shape
the scoring run writes (test-only Cypher, values as parameters), many other open alerts beside them.

`Reads` forwards every call to the store and notes the statement names, so that a read of every open
alert (`cases.open_alerts`) is seen, not assumed away.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from graph.pipeline.alerts import raise_profile_alerts, record_alerts
from graph.settings import Settings
from graph.store import open_store


class Reads:
    def __init__(self, store: Any):
        self._store, self.names = store, []

    def __getattr__(self, name: str) -> Any:
        v = getattr(self._store, name)
        if name not in ("run", "run_batches"):
            return v

        def call(stmt: str, *a: Any, **k: Any) -> Any:
            self.names.append(stmt)
            return v(stmt, *a, **k)
        return call


REASONS = json.dumps([{"feature": "profile:p1", "value": "red", "contribution": 1.0,
                       "detail": "a test profile"}])


def _item(store: Any, key: str, party: str) -> None:
    store.execute("MERGE (p:Party {key: $party}) SET p.name = $party", {"party": party})
    store.execute("CREATE (d:Declaration {key: $k, declaration_key: $k, item_no: 1, duty_amount: 100.0, "
                  "profile_action: 'red', profile_hits: $reasons})", {"k": key, "reasons": REASONS})
    store.execute("MATCH (d:Declaration {key: $k}), (p:Party {key: $party}) CREATE (d)-[:DECLARED_BY]->(p)",
                  {"k": key, "party": party})


def test_raise_profile_alerts_reads_by_subject_and_still_deduplicates(tmp_path) -> None:
    s = Settings(env="test", data_dir=tmp_path / "data")
    store = open_store(s)
    store.ensure_schema()
    try:
        _item(store, "t:D1/1", "t:P1")
        _item(store, "t:D2/1", "t:P1")
        t0 = datetime(2026, 1, 1, tzinfo=UTC)
        # other open alerts: of other subjects, and of this item's subject but another kind
        others = [{"kind": "entity_risk", "subject": f"t:X{i}", "party": f"t:X{i}", "name": None,
                   "group_id": None, "score": 0.9, "expected_duties": 1.0, "reasons": "[]"}
                  for i in range(30)]
        others.append({**others[0], "kind": "unit_value", "subject": "t:D1/1", "party": "t:P1"})
        record_alerts(store, others, now=t0)
        reads = Reads(store)
        first = raise_profile_alerts(reads, ["t:D1/1"], s, now=t0 + timedelta(seconds=1))  # type: ignore[arg-type]
        assert first["new"] == 1 and first["refreshed"] == 0
        assert "cases.open_alerts" not in reads.names and "cases.open_cases" not in reads.names, reads.names
        assert "cases.open_alerts_of" in reads.names and "cases.open_cases_of" in reads.names
        # again: the open profile alert is refreshed, not added; the item's other alert is untouched
        again = raise_profile_alerts(reads, ["t:D1/1"], s, now=t0 + timedelta(seconds=2))  # type: ignore[arg-type]
        assert again["new"] == 0 and again["refreshed"] == 1
        rows = store.execute("MATCH (a:Alert {subject: 't:D1/1'}) RETURN a.kind AS kind, a.runs AS runs, "
                             "a.case_key AS case_key ORDER BY kind")
        assert [(r["kind"], r["runs"]) for r in rows] == [("profile", 2), ("unit_value", 1)]
        # a second item of the same party joins the party's open case (found by its subject)
        other = raise_profile_alerts(reads, ["t:D2/1"], s, now=t0 + timedelta(seconds=3))  # type: ignore[arg-type]
        assert other["new"] == 1 and other["cases_opened"] == 0
        cases = store.execute("MATCH (a:Alert) WHERE a.subject IN ['t:D1/1', 't:D2/1'] "
                              "RETURN DISTINCT a.case_key AS c")
        assert len(cases) == 1
        assert store.execute("MATCH (a:Alert) WHERE a.state = 'open' RETURN count(a) AS n")[0]["n"] == 33
        # the full path (a scoring run) finds the same open alerts: nothing added
        full = record_alerts(store, [{**others[1]}], now=t0 + timedelta(seconds=4))
        assert full["new"] == 0 and full["refreshed"] == 1
    finally:
        store.close()
