"""`ingest_rows(record=False)`, the lean path for a few rows per call: the same rows load, the same
rows are quarantined for the same reasons, re-runs change nothing; only the bookkeeping differs."""

from __future__ import annotations

import csv
import itertools

from graph.settings import Settings
from graph.store import open_store
from ingest.load import count_graph, ingest_rows, last_reports


def _bundle_rows(small_world, n_decl=40):
    parties = list(csv.DictReader((small_world / "parties.csv").open(encoding="utf-8")))
    decl = list(itertools.islice(csv.DictReader((small_world / "declarations.csv").open(encoding="utf-8")),
                                 n_decl))
    used = {r[c] for r in decl for c in ("declarant_id", "consignee_id", "consignor_id", "carrier_id",
                                         "broker_id")
            if r.get(c)}
    parties = [p for p in parties if p["party_id"] in used]
    offences = [{"offence_id": "L-1", "date": "2025-01-01", "party_id": decl[0]["consignee_id"],
                 "offence_type": "smuggling"},
                {"offence_id": "L-2", "date": "not a date", "party_id": decl[0]["consignee_id"]}]
    bad = [{**decl[1], "declaration_id": "BAD-1", "customs_value": "-5"},
           {**decl[2], "declaration_id": "BAD-2", "hs_code": "12ab"}]
    return {"parties": parties, "declarations": decl + bad, "offences": offences}


def _load(tmp_path, name, rows, record):
    s = Settings(env="test", data_dir=tmp_path / name / "data")
    store = open_store(s)
    store.ensure_schema()
    try:
        reps = [ingest_rows(store, rows, source="sim", settings=s, record=record) for _ in range(2)]
        return reps, count_graph(store), last_reports(store, limit=10)
    finally:
        store.close()


def test_the_lean_path_loads_and_quarantines_as_the_full_one(tmp_path, small_world):
    rows = _bundle_rows(small_world)
    (full, full_counts, full_runs), (lean, lean_counts, lean_runs) = (
        _load(tmp_path, "full", rows, True), _load(tmp_path, "lean", rows, False))
    for a, b in zip(full, lean, strict=True):
        assert {k: vars(v) for k, v in a.files.items()} == {k: vars(v) for k, v in b.files.items()}
        assert a.quarantine_reasons == b.quarantine_reasons and a.status == b.status == "done"
    assert full[0].files["declarations"].quarantined == 2 and full[0].files["offences"].quarantined == 1
    # re-run: all existing
    assert lean[1].files["declarations"].existing == lean[0].files["declarations"].loaded
    ingest_runs = full_counts[0]["IngestRun"]
    assert {**lean_counts[0], "IngestRun": ingest_runs} == full_counts[0] and lean_counts[1] == full_counts[1]
    assert lean_counts[0]["IngestRun"] == 0 and len(full_runs) == 2 and lean_runs == []
    assert lean[0].quarantine_path and lean[0].quarantine_path != full[0].quarantine_path
