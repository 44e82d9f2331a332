"""`ingest_rows`: rows in memory through the same path as a bundle: the same graph, quarantine,
bounds and idempotence, and no temporary files."""

from __future__ import annotations

import json
import tempfile
from datetime import date
from pathlib import Path

import pytest

from ingest.load import IngestStopped, ingest_bundle, ingest_rows, last_reports
from ingest.validate import BundleError
from tests.ingest.test_ingest import (
    DECLARATIONS,
    EXPECTED_NODES,
    EXPECTED_RELS,
    OFFENCES,
    OFFICERS,
    PARTIES,
    graph_counts,
    make_bundle,
)


def _dicts(table: list[list[str]]) -> list[dict[str, str]]:
    return [dict(zip(table[0], r, strict=True)) for r in table[1:]]


def _rows(declarations=DECLARATIONS) -> dict[str, list[dict]]:
    return {"parties": _dicts(PARTIES), "declarations": _dicts(declarations), "officers": _dicts(OFFICERS),
            "offences": _dicts(OFFENCES)}


@pytest.fixture
def no_temp_files(monkeypatch):
    """Fail on any temporary file or folder: rows must not take a detour through a bundle on disk."""
    def refuse(*a, **k):
        raise AssertionError("ingest_rows wrote a temporary file")

    for name in ("mkdtemp", "mkstemp", "NamedTemporaryFile", "TemporaryDirectory", "TemporaryFile"):
        monkeypatch.setattr(tempfile, name, refuse)


def test_rows_give_the_graph_of_the_same_bundle_and_are_idempotent(settings, grafeo_store, no_temp_files):
    rep = ingest_rows(grafeo_store, _rows(), source="customs", settings=settings)
    assert rep.status == "done" and rep.path == "rows", rep.summary()
    assert graph_counts(grafeo_store) == (EXPECTED_NODES, EXPECTED_RELS)
    again = ingest_rows(grafeo_store, _rows(), source="customs", settings=settings)
    assert graph_counts(grafeo_store) == (EXPECTED_NODES, EXPECTED_RELS)
    assert again.files["declarations"].existing == 3 and again.files["declarations"].loaded == 0
    assert [r["status"] for r in last_reports(grafeo_store)] == ["done", "done"]


def test_rows_and_bundle_quarantine_the_same_rows_for_the_same_reasons(tmp_path, settings, grafeo_store):
    bad = [*DECLARATIONS, ["D3", "1", "2099-01-01", *DECLARATIONS[1][3:]],
           ["D4", "1", *DECLARATIONS[1][2:6], "NOPE", *DECLARATIONS[1][7:]]]
    from_rows = ingest_rows(grafeo_store, _rows(bad), source="customs", settings=settings)
    s2 = settings.model_copy(update={"data_dir": tmp_path / "other"})
    from graph.store import open_store

    with open_store(s2) as other:
        from_bundle = ingest_bundle(other, make_bundle(tmp_path / "b", declarations=bad), settings=s2,
                                    progress=False)
        assert graph_counts(other) == graph_counts(grafeo_store)

    def recs(rep):
        return [(r["file"], r["column"], r["reason"], r["raw"]) for r in
                map(json.loads, Path(rep.quarantine_path).read_text().splitlines())]

    assert recs(from_rows) == recs(from_bundle) and len(recs(from_rows)) == 2
    lines = [json.loads(x)["line"] for x in Path(from_rows.quarantine_path).read_text().splitlines()]
    assert lines == [4, 5]  # the position in the list (a bundle's are file lines: 5, 6)
    first = Path(from_rows.quarantine_path).read_text().splitlines()[0]
    assert json.loads(first)["path"] == "declarations (rows)"


def test_python_values_are_taken_as_a_csv_would_hold_them(settings, grafeo_store):
    rows = _rows()
    d = rows["declarations"][0]
    d.update(date=date(2025, 3, 14), customs_value=1000.0, item_no=1, broker_id=None)
    ingest_rows(grafeo_store, rows, source="customs", settings=settings)
    got = grafeo_store.execute("MATCH (d:Declaration {key: 'customs:D1/1'}) RETURN d.date AS d, "
                               "d.customs_value AS v")
    assert got == [{"d": date(2025, 3, 14), "v": 1000.0}]


def test_one_item_for_stored_parties(tmp_path, settings, grafeo_store, no_temp_files):
    """What POST /assess?store=true needs: one row, with the stored records of its parties."""
    ingest_bundle(grafeo_store, make_bundle(tmp_path / "b"), settings=settings, progress=False)
    item = dict(_dicts(DECLARATIONS)[0], declaration_id="D9")
    parties = [p for p in _dicts(PARTIES) if p["party_id"] in {"P1", "P3"}]
    rep = ingest_rows(grafeo_store, {"parties": parties, "declarations": [item]}, source="customs",
                      settings=settings, label="api:assess")
    assert rep.files["declarations"].loaded == 1 and rep.files["parties"].conflicts == 0
    assert rep.path == "api:assess"
    assert graph_counts(grafeo_store)[0]["Declaration"] == 4


def test_rows_are_checked_as_a_bundle_is(settings, grafeo_store):
    with pytest.raises(BundleError, match="required file 'parties' is missing"):
        ingest_rows(grafeo_store, {"declarations": _dicts(DECLARATIONS)}, source="customs", settings=settings)
    with pytest.raises(BundleError, match="unknown contract file 'items'"):
        ingest_rows(grafeo_store, {**_rows(), "items": []}, source="customs", settings=settings)
    with pytest.raises(BundleError, match="required column 'hs_code'"):
        rows = _rows()
        for r in rows["declarations"]:
            del r["hs_code"]
        ingest_rows(grafeo_store, rows, source="customs", settings=settings)
    with pytest.raises(BundleError, match="invalid source name"):
        ingest_rows(grafeo_store, _rows(), source="a:b", settings=settings)
    assert sum(graph_counts(grafeo_store)[0].values()) == 0  # nothing written by any of them
    rows = _rows()
    rows["declarations"] = [dict(rows["declarations"][0], customs_value="-1")]
    with pytest.raises(IngestStopped, match="declarations: none of its 1 rows loaded"):
        ingest_rows(grafeo_store, rows, source="customs", settings=settings)
    assert last_reports(grafeo_store)[0]["status"] == "failed"
