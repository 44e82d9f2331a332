"""The `tamga` command as a user runs it: real processes, a real store on disk, exit codes."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

TAMGA = [sys.executable, "-m", "api.cli"]


def _run(args: list[str], data_dir: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "TAMGA_DATA_DIR": str(data_dir), "TAMGA_ENV": "development"}
    return subprocess.run([*TAMGA, *args], env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)


def _rows(path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as f:
        return sum(1 for _ in csv.DictReader(f))


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "world"
    data = out.parent / "gen-data"
    r = _run(["world", str(out), "--seed", "11", "--declarations", "1500"], data)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary  # the generator says what it wrote
    return out


def test_ingest_status_counts_match_files_and_reingest_changes_nothing(world: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    r = _run(["ingest", str(world), "--no-progress"], data)
    assert r.returncode == 0, r.stderr
    first = json.loads(_run(["status"], data).stdout)
    assert first["nodes"]["Declaration"] == _rows(world / "declarations.csv")
    assert first["nodes"]["Party"] == _rows(world / "parties.csv")
    assert first["nodes"]["Offence"] == _rows(world / "offences.csv")
    assert first["last_ingest"] is not None

    r = _run(["ingest", str(world), "--no-progress"], data)
    assert r.returncode == 0, r.stderr
    second = json.loads(_run(["status"], data).stdout)
    # every run is recorded (IngestRun); the data itself is unchanged
    assert second["nodes"].pop("IngestRun") == first["nodes"].pop("IngestRun") + 1
    assert second["nodes"] == first["nodes"]
    assert second["relationships"] == first["relationships"]


def test_missing_required_column_exits_2_names_it_and_writes_nothing(world: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    for name in ("parties.csv", "officers.csv", "offences.csv"):
        (bad / name).write_bytes((world / name).read_bytes())
    with (world / "declarations.csv").open(encoding="utf-8", newline="") as src, \
            (bad / "declarations.csv").open("w", encoding="utf-8", newline="") as dst:
        reader = csv.DictReader(src)
        cols = [c for c in reader.fieldnames if c != "hs_code"]
        w = csv.DictWriter(dst, cols, extrasaction="ignore")
        w.writeheader()
        for row in reader:
            w.writerow(row)
    data = tmp_path / "data"
    r = _run(["ingest", str(bad), "--no-progress"], data)
    assert r.returncode == 2
    assert "hs_code" in r.stderr and "declarations" in r.stderr
    status = json.loads(_run(["status"], data).stdout)
    assert status["total_nodes"] == 0


def test_missing_bundle_exits_2(tmp_path: Path) -> None:
    r = _run(["ingest", str(tmp_path / "nowhere"), "--no-progress"], tmp_path / "data")
    assert r.returncode == 2
    assert "no such bundle" in r.stderr


def test_a_held_store_is_reported_with_what_to_do(world: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert _run(["status"], data).returncode == 0  # creates the store
    holder = subprocess.Popen(
        [sys.executable, "-c",
         ("import sys,time; from graph.settings import Settings; from graph.store import open_store;"
          f"s=open_store(Settings(data_dir={str(data)!r})); print('held', flush=True); time.sleep(60)")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        r = _run(["ingest", str(world), "--no-progress"], data)
        assert r.returncode == 3
        assert "held by another" in r.stderr and "Stop that process" in r.stderr
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.2)
    assert _run(["status"], data).returncode == 0  # free again once the holder is gone


def test_score_export_and_keys_from_the_command_line(world: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert _run(["ingest", str(world), "--no-progress"], data).returncode == 0
    r = _run(["export", "entities"], data)
    assert r.returncode == 2 and "score" in r.stderr  # nothing scored yet: said, not an empty file
    r = _run(["score", "--no-communities"], data)
    assert r.returncode == 0, r.stderr

    out = tmp_path / "entities.csv"
    r = _run(["export", "entities", "--format", "csv", "--out", str(out)], data)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: spreadsheets open the Cyrillic names right
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == _rows(world / "parties.csv")
    assert "Party ID" in rows[0] and "Risk score" in rows[0]
    assert all(0.0 <= float(row["Risk score"]) <= 1.0 for row in rows)

    r = _run(["export", "audit-targets", "--format", "json", "--budget", "5"], data)
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)) == 5
    r = _run(["export", "unit-value-anomalies"], data)
    assert (r.returncode == 0
            and r.stdout.startswith("Declaration ID,Item,Date,HS code,Value per kg")), r.stderr
    r = _run(["export", "hs-switches", "--format", "json"], data)
    assert r.returncode == 0 and isinstance(json.loads(r.stdout), list), r.stderr
    r = _run(["export", "effectiveness", "--format", "csv"], data)
    assert r.returncode == 0 and r.stdout.startswith("Measure,Value,Label,Selections"), r.stderr
    assert "random picks (baseline)" in r.stdout and "red lane" in r.stdout
    r = _run(["export", "compliance", "--format", "json"], data)
    assert r.returncode == 0 and json.loads(r.stdout)[0]["area"] == "all", r.stderr
    r = _run(["export", "trader-categories", "--format", "json"], data)
    assert r.returncode == 0 and {x["category"] for x in json.loads(r.stdout)} <= {"low", "medium", "high"}
    assert _run(["export", "nonsense"], data).returncode == 2
    r = _run(["export", "risk-areas", "--format", "json"], data)
    assert r.returncode == 0, r.stderr
    sections = {row["section"] for row in json.loads(r.stdout)}
    assert {"hs_chapter", "origin", "border_post", "route", "month", "lane:red", "lane:blue"} <= sections
    r = _run(["export", "risk-areas", "--format", "csv"], data)
    assert r.returncode == 0 and r.stdout.startswith("Section,Area,Items,Offences,Inspected,Hits"), r.stderr

    key = _run(["keys", "create", "analyst-1", "--role", "auditor"], data).stdout.strip()
    assert key.startswith("tmg_")
    listed = json.loads(_run(["keys", "list"], data).stdout)
    mine = [k for k in listed if k["owner"] == "analyst-1"]
    assert len(mine) == 1 and key not in json.dumps(listed)  # only the hash is stored, never shown again
    assert _run(["keys", "revoke", mine[0]["prefix"]], data).returncode == 0
    assert _run(["keys", "revoke", mine[0]["prefix"]], data).returncode == 2
    assert _run(["keys", "create", "x", "--role", "emperor"], data).returncode == 2
    assert _run(["keys", "create", "risk-1", "--role", "analyst"], data).stdout.startswith("tmg_")
