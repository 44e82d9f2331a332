"""Formula injection (issue 15, item 1): party names a spreadsheet would run as formulas, ingested
from a bundle, scored, and exported through `tamga export --format csv` (a real process) and the
API's CSV download (real HTTP). Every such cell must reach the spreadsheet neutralised (a leading
quote), the JSON exports must keep the raw value, and both CSVs come from one renderer.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import httpx
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from test_api_support import LiveServer, make_settings
from test_cli import _run

from api.auth import create_key
from graph.store import open_store

#: as written in parties.csv -> as the store keeps it (ingest strips surrounding whitespace)
PAYLOADS = {
    '=HYPERLINK("http://x","y")': '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0": "+cmd|' /C calc'!A0",
    "-1+1": "-1+1",
    "@SUM(1)": "@SUM(1)",
    " =1+1": "=1+1",
    "\t=2+2": "=2+2",
}


def _poison(world: Path, out: Path) -> dict[str, str]:
    """A copy of the bundle whose first parties carry the payloads; party id -> stored name."""
    shutil.copytree(world, out)
    with (out / "parties.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        cols, rows = reader.fieldnames, list(reader)
    named = {}
    for row, (raw, stored) in zip(rows, PAYLOADS.items(), strict=False):
        row["name"] = raw
        named[row["party_id"]] = stored
    with (out / "parties.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, cols)
        w.writeheader()
        w.writerows(rows)
    return named


@pytest.fixture(scope="module")
def poisoned(small_world: Path, tmp_path_factory) -> tuple[Path, dict[str, str]]:
    tmp = tmp_path_factory.mktemp("formulas")
    named = _poison(small_world, tmp / "bundle")
    data = tmp / "data"
    r = _run(["ingest", str(tmp / "bundle"), "--no-progress"], data)
    assert r.returncode == 0, r.stderr
    r = _run(["score", "--no-communities"], data)
    assert r.returncode == 0, r.stderr
    return tmp, named


def _names(text: str) -> dict[str, str]:
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows and "Party ID" in rows[0]
    return {r["Party ID"]: r["Name"] for r in rows}


def _check(csv_names: dict[str, str], json_rows: list[dict], named: dict[str, str]) -> None:
    raw = {r["party_id"]: r["name"] for r in json_rows}
    for pid, stored in named.items():
        assert raw[pid] == stored  # JSON keeps the value as stored
        assert csv_names[pid] == "'" + stored, (pid, csv_names[pid])  # CSV neutralises it
    for name in csv_names.values():  # and no other cell of the column runs as a formula either
        assert name[:1] not in ("=", "+", "-", "@", "\t", "\r") or _is_number(name)


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def test_cli_csv_export_neutralises_formulas(poisoned):
    tmp, named = poisoned
    out = tmp / "entities.csv"
    r = _run(["export", "entities", "--format", "csv", "--out", str(out)], tmp / "data")
    assert r.returncode == 0, r.stderr
    r_json = _run(["export", "entities", "--format", "json"], tmp / "data")
    assert r_json.returncode == 0, r_json.stderr
    _check(_names(out.read_text(encoding="utf-8")), json.loads(r_json.stdout), named)
    r = _run(["export", "entities", "--format", "csv"], tmp / "data")  # standard output: the same renderer
    assert r.returncode == 0 and _names(r.stdout) == _names(out.read_text(encoding="utf-8"))


def test_api_csv_download_neutralises_formulas_the_same_way(poisoned):
    tmp, named = poisoned
    r_cli = _run(["export", "entities", "--format", "csv"], tmp / "data")
    assert r_cli.returncode == 0, r_cli.stderr
    settings = make_settings(tmp)
    store = open_store(settings)
    try:
        key = create_key(store, "auditor-user", "auditor")
        with LiveServer(settings, store) as server, \
                httpx.Client(base_url=server.url, headers={"X-API-Key": key}, timeout=60) as c:
            got = c.get("/api/v1/exports/entities")
            assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
            raw = c.get("/api/v1/exports/entities", params={"format": "json"}).json()
    finally:
        store.close()
    assert got.content.startswith(b"\xef\xbb\xbf")
    _check(_names(got.text), raw, named)
    # one renderer: the download is the CLI's CSV (the CLI's stdout read here with universal newlines)
    assert got.text.lstrip("\ufeff").replace("\r\n", "\n") == r_cli.stdout


@pytest.mark.parametrize("value, shown", [
    ("=1+1", "'=1+1"), ("+1+1", "'+1+1"), ("-1+1", "'-1+1"), ("@SUM(1)", "'@SUM(1)"), ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"), ("-0.5", "-0.5"), ("+7 701 123", "'+7 701 123"), ("Vostok", "Vostok"), (-0.5, -0.5),
    (None, None), (float("nan"), None),
])
def test_safe_cell(value, shown):
    from graph.pipeline.export import safe_cell

    assert safe_cell(value) == shown


@settings(max_examples=300, deadline=None)
@example("Acme\r=HYPERLINK(1)")  # a lone CR must not end the row: the text after it would be a new cell
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30))
def test_no_text_leaves_the_renderer_as_a_formula(text):
    """Whatever the text, the CSV cell either starts harmlessly (or is a plain number) and reads back
    as the text, or is the text behind one quote."""
    from graph.pipeline.export import csv_text

    out = list(csv.reader(io.StringIO(csv_text([{"name": text}], {"name": "Name"}), newline="")))
    cell = out[1][0] if len(out) > 1 else ""
    assert cell in (text, "'" + text)
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r", "\n")) or _is_number(cell)
