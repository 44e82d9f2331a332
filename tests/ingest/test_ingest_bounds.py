"""Hostile and careless bundles (issue 15, items 2, 3, 14, 16): compression bombs, endless bad rows,
a quote left open, conflicting re-ingests, out-of-range dates and rates, links out of the bundle,
and who may read what the ingest writes. The bombs run `tamga ingest` in a child process, whose
peak memory (`os.wait4`) and time are measured."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from graph.settings import Settings
from ingest.load import IngestStopped, ingest_bundle, last_reports, store_status
from ingest.validate import BundleError
from tests.ingest.test_ingest import (
    DECLARATIONS,
    EXPECTED_NODES,
    EXPECTED_RELS,
    PARTIES,
    graph_counts,
    make_bundle,
)

ROOT = Path(__file__).resolve().parents[2]
HEADER = DECLARATIONS[0]


def _row(decl_id: str, **changes: str) -> list[str]:
    r = list(DECLARATIONS[1])
    r[HEADER.index("declaration_id")] = decl_id
    for k, v in changes.items():
        r[HEADER.index(k)] = v
    return r


def _csv_text(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def _members(head: bytes, body: bytes, times: int) -> bytes:
    """A .gz of `head` then `body` repeated: gzip members concatenate, so a 1 KB member of 1 MiB
    repeated makes a bomb without compressing a gigabyte here."""
    return gzip.compress(head, 9) + gzip.compress(body, 9) * times


def _hwm_mb(pid: int) -> float:
    """A process's peak resident memory so far (VmHWM, which starts afresh at exec), 0 once it ended."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _cli_ingest(bundle: Path, data_dir: Path) -> tuple[int, str, float, float]:
    """`tamga ingest bundle` in a child process: (exit code, stderr, seconds, peak RSS in MB). The
    peak is the child's VmHWM, read every 10 ms until it exits (not `ru_maxrss`: after a fork or
    vfork that counts the parent's pages too, the whole pytest process)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TAMGA_DATA_DIR": str(data_dir), "TAMGA_ENV": "test"}
    err_path = data_dir.parent / f"{data_dir.name}.stderr"
    t0 = time.monotonic()
    peak = 0.0
    with err_path.open("wb") as err, open(os.devnull, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-c", "from api.cli import main; main()", "ingest",
                                 str(bundle),
                                 "--no-progress"], cwd=ROOT, env=env, stdout=out, stderr=err)
        deadline = time.monotonic() + 120
        while True:
            peak = max(peak, _hwm_mb(proc.pid))  # before the poll: a zombie has no memory left to read
            if proc.poll() is not None:
                break
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail("the ingest did not stop within 120 s")
            time.sleep(0.01)
    return proc.returncode, err_path.read_text(errors="replace"), time.monotonic() - t0, peak


def _bundle_with(folder: Path, declarations_gz: bytes) -> Path:
    make_bundle(folder)
    (folder / "declarations.csv").unlink()
    (folder / "declarations.csv.gz").write_bytes(declarations_gz)
    return folder


# --------------------------------------------------------------------------- item 2: compression bombs


def test_gzip_bomb_of_one_huge_field_stops_fast_and_small(tmp_path):
    head = (_csv_text([HEADER]) + "B1,1,2025-03-14,IM40,UZ-01,Yallama,P1,P1,,,,,road,847130,").encode()
    bomb = _members(head, b"x" * 2**20, 1024)  # a 1 GiB goods description
    assert len(bomb) < 2 * 2**20
    bundle = _bundle_with(tmp_path / "b", bomb)
    code, err, seconds, rss_mb = _cli_ingest(bundle, tmp_path / "data")
    print(f"huge field: exit {code} in {seconds:.1f} s, peak RSS {rss_mb:.0f} MB")
    assert code == 2, err
    assert "declarations.csv.gz, line 2" in err and "ingest_max_row_chars" in err
    assert seconds < 30 and rss_mb < 500


def test_gzip_bomb_of_endless_rows_stops_fast_and_small(tmp_path):
    body = _csv_text([_row("D1")]).encode() * 5000  # the same item again and again
    bomb = _members(_csv_text([HEADER]).encode(), body, 400)  # ~ 2M rows, ~ 0.5 GB of text
    assert len(bomb) < 2 * 2**20
    bundle = _bundle_with(tmp_path / "b", bomb)
    code, err, seconds, rss_mb = _cli_ingest(bundle, tmp_path / "data")
    print(f"endless rows: exit {code} in {seconds:.1f} s, peak RSS {rss_mb:.0f} MB")
    assert code == 2, err
    assert "declarations.csv.gz" in err and ("the run is stopped" in err or "not read further" in err)
    assert seconds < 60 and rss_mb < 500


def test_expansion_ratio_and_row_count_bounds(tmp_path, settings, grafeo_store, monkeypatch):
    """Each read bound on its own, with small settings: the error names file, line and setting."""
    body = _csv_text([_row(f"D{i}") for i in range(50)]).encode()
    bundle = _bundle_with(tmp_path / "b", gzip.compress(_csv_text([HEADER]).encode() + body, 9))
    few = settings.model_copy(update={"ingest_max_rows_per_file": 20})
    with pytest.raises(IngestStopped, match=r"declarations.csv.gz, line 22: more than 20 rows") as e:
        ingest_bundle(grafeo_store, bundle, settings=few, progress=False)
    assert e.value.report.status == "failed" and last_reports(grafeo_store)[0]["status"] == "failed"

    import ingest.readers

    bundle2 = _bundle_with(tmp_path / "c", _members(_csv_text([HEADER]).encode(), body, 200))
    monkeypatch.setattr(ingest.readers, "RATIO_FLOOR_CHARS", 100_000)
    tight = settings.model_copy(update={"ingest_max_expansion_ratio": 5.0})
    with pytest.raises(IngestStopped, match=r"declarations.csv.gz, line \d+: expands more than 5 times"):
        ingest_bundle(grafeo_store, bundle2, settings=tight, progress=False)


def test_a_file_over_the_size_bound_is_refused_before_writing(tmp_path, settings, grafeo_store):
    bundle = make_bundle(tmp_path / "b")
    small = settings.model_copy(update={"ingest_max_file_bytes": 500})
    with pytest.raises(BundleError, match="ingest_max_file_bytes"):
        ingest_bundle(grafeo_store, bundle, settings=small, progress=False)
    assert not last_reports(grafeo_store)


# --------------------------------------------------------------------------- item 3: quarantine bounds


def test_quarantine_is_capped_and_the_run_fails(tmp_path, settings, grafeo_store):
    rows = [HEADER, _row("G1"), *[_row(f"B{i}", date="2025-13-45") for i in range(5)], _row("G2")]
    bundle = make_bundle(tmp_path / "b", declarations=rows)
    capped = settings.model_copy(update={"ingest_max_quarantined": 3})
    with pytest.raises(IngestStopped, match="more than 3 rows quarantined") as e:
        ingest_bundle(grafeo_store, bundle, settings=capped, progress=False)
    assert "Ingest " in str(e.value) and "quarantined" in str(e.value)  # the summary comes with it
    recs = Path(e.value.report.quarantine_path).read_text().splitlines()
    assert len(recs) == 4  # the cap plus the row that passed it: the quarantine is bounded
    assert last_reports(grafeo_store)[0]["status"] == "failed"


def test_a_share_of_bad_rows_over_the_bound_fails_the_run(tmp_path, settings, grafeo_store):
    rows = [HEADER, *[_row(f"G{i}") for i in range(400)],
            *[_row(f"B{i}", net_mass_kg="-1") for i in range(700)]]
    bundle = make_bundle(tmp_path / "b", declarations=rows)
    with pytest.raises(IngestStopped, match=r"700 of 1,100 rows quarantined \(64%\), more than 50%"):
        ingest_bundle(grafeo_store, bundle, settings=settings, progress=False)


def test_a_file_of_which_nothing_loads_exits_2(tmp_path):
    rows = [HEADER, _row("B1", date="2099-01-01"), _row("B2", customs_value="-3")]
    bundle = make_bundle(tmp_path / "b", declarations=rows)
    code, err, _, _ = _cli_ingest(bundle, tmp_path / "data")  # exit 0 before
    assert code == 2, err
    assert "declarations: none of its 2 rows loaded" in err


# --------------------------------------------------------------------------- item 14: validation gaps


def test_broken_quote_costs_its_line_only(tmp_path, settings, grafeo_store):
    text = _csv_text([HEADER, _row("G1"), _row("B1"), _row("G2"), _row("G3"), _row("G4")])
    bundle = make_bundle(tmp_path / "b")
    (bundle / "declarations.csv").write_text(text.replace('\nB1,', '\n"B1,', 1), encoding="utf-8")  # line 3
    rep = ingest_bundle(grafeo_store, bundle, settings=settings, progress=False)
    d = rep.files["declarations"]
    assert (d.loaded, d.quarantined) == (4, 1), rep.summary()
    recs = [json.loads(x) for x in Path(rep.quarantine_path).read_text().splitlines()]
    assert [(r["line"], r["reason"][:27]) for r in recs] == [(3, "a quote is not closed on th")]
    keys = [r["k"] for r in grafeo_store.execute("MATCH (d:Declaration) RETURN d.key AS k ORDER BY k")]
    assert keys == ["customs:G1/1", "customs:G2/1", "customs:G3/1", "customs:G4/1"]


@pytest.mark.parametrize(("column", "value", "ok"), [
    ("date", "2099-01-01", False), ("date", "1850-05-05", False), ("date", "2025-01-01", True),
    ("duty_rate", "-5", False), ("duty_rate", "5000", False), ("duty_rate", "607.5", True),
])
def test_dates_and_duty_rates_are_bounded(tmp_path, settings, grafeo_store, column, value, ok):
    rows = [HEADER, _row("G1"), _row("X1", **{column: value})]
    rep = ingest_bundle(grafeo_store, make_bundle(tmp_path / "b", declarations=rows), settings=settings,
                        progress=False)
    assert rep.files["declarations"].quarantined == (0 if ok else 1)
    if not ok:
        rec = json.loads(Path(rep.quarantine_path).read_text().splitlines()[0])
        assert rec["column"] == column and rec["line"] == 3


def test_a_reingested_party_with_another_name_or_country_is_a_reported_conflict(
        tmp_path, settings, grafeo_store):
    """The rule: the stored party stands, the conflicting row is quarantined and counted."""
    ingest_bundle(grafeo_store, make_bundle(tmp_path / "a"), settings=settings, progress=False)
    parties = [list(r) for r in PARTIES]
    parties[3][1] = "Silk Road Logistics (renamed)"  # P3: new name
    parties[4][3] = "RU"  # P4: new country
    rep = ingest_bundle(grafeo_store, make_bundle(tmp_path / "b", parties=parties), settings=settings,
                        progress=False)
    p = rep.files["parties"]
    assert (p.loaded, p.quarantined, p.conflicts) == (2, 2, 2)
    assert "2 conflicting with stored parties" in rep.summary()
    lines = Path(rep.quarantine_path).read_text().splitlines()
    recs = sorted((r["line"], r["column"], r["reason"]) for r in map(json.loads, lines))
    assert recs == [(4, "name", ("conflicts with stored party 'P3': name 'Silk Road Logistics LLC', here "
                                 "'Silk Road Logistics (renamed)'")),
                    (5, "country", "conflicts with stored party 'P4': country 'KZ', here 'RU'")]
    got = grafeo_store.execute("MATCH (p:Party) WHERE p.key IN ['customs:P3', 'customs:P4'] "
                               "RETURN p.name AS n, p.country AS c ORDER BY n")
    assert got == [{"n": "Ivanov Ivan", "c": "KZ"}, {"n": "Silk Road Logistics LLC", "c": "KZ"}]
    assert graph_counts(grafeo_store) == (EXPECTED_NODES, EXPECTED_RELS)  # declarations of P3, P4 still load


# --------------------------------------------------------------------------- item 16: links and modes


def test_a_link_out_of_the_bundle_is_refused(tmp_path, settings, grafeo_store):
    outside = tmp_path / "secret.csv"
    outside.write_text("offence_id,date,party_id\n", encoding="utf-8")
    bundle = make_bundle(tmp_path / "b")
    (bundle / "offences.csv").unlink()
    (bundle / "offences.csv").symlink_to(outside)
    with pytest.raises(BundleError, match=r"symbolic link .* outside the bundle folder"):
        ingest_bundle(grafeo_store, bundle, settings=settings, progress=False)
    assert sum(graph_counts(grafeo_store)[0].values()) == 0
    (bundle / "offences.csv").unlink()
    (bundle / "offences.csv").symlink_to(bundle / "officers.csv")  # a link within the folder is fine
    with pytest.raises(BundleError, match="required column"):  # (and read as what it points at)
        ingest_bundle(grafeo_store, bundle, settings=settings, progress=False)


def test_what_the_ingest_writes_is_owner_only(tmp_path):
    """With the usual umask 022 as the process starts: store, quarantine and reports are 0600/0700."""
    from graph.store import open_store

    settings = Settings(env="test", data_dir=tmp_path / "data")
    old = os.umask(0o022)
    try:
        with open_store(settings) as store:
            rows = [HEADER, _row("G1"), _row("B1", date="2025-13-45")]
            rep = ingest_bundle(store, make_bundle(tmp_path / "b", declarations=rows), settings=settings,
                                progress=False)
            wal = {p: stat.S_IMODE(p.stat().st_mode) for p in settings.data_dir.rglob("*.log")}
    finally:
        os.umask(old)
    assert wal, "the store wrote no WAL file to check"
    assert set(wal.values()) == {0o600}, wal
    qdir = Path(rep.quarantine_path).parent
    for p in (qdir, qdir.parent, settings.reports_dir, settings.data_dir):
        assert stat.S_IMODE(p.stat().st_mode) == 0o700, p
    written = [*qdir.iterdir(), *settings.reports_dir.iterdir(), settings.grafeo_path]
    assert len(written) >= 5
    for p in written:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    for p in settings.data_dir.rglob("*"):  # the store's own files and folders (WAL) too
        assert stat.S_IMODE(p.stat().st_mode) & 0o077 == 0, p


# --------------------------------------------------------------------------- item 13: interrupted runs


def test_a_run_is_recorded_at_its_start(tmp_path, settings, grafeo_store, monkeypatch):
    """The IngestRun node exists while the run goes: seen from inside the parties phase."""
    from ingest.load.loader import Loader

    seen = []
    real = Loader.load_parties

    def spy(self, plans):
        seen.append(store_status(self.store)["interrupted_runs"])
        return real(self, plans)

    monkeypatch.setattr(Loader, "load_parties", spy)
    bundle = make_bundle(tmp_path / "b")
    rep = ingest_bundle(grafeo_store, bundle, settings=settings, progress=False)
    assert seen == [[{"kind": "ingest", "key": rep.run_id, "source": "customs", "path": str(bundle.resolve()),
                      "started_at": rep.started_at}]]
    st = store_status(grafeo_store)
    assert st["interrupted_runs"] == [] and st["interrupted_note"] is None
    assert st["last_ingest"]["status"] == "done"


def test_the_settings_defaults_are_documented():
    fields = Settings.model_fields
    names = [n for n in fields if n.startswith("ingest_max_")]
    assert len(names) == 8 and all(fields[n].description for n in names)


def test_a_bound_passed_in_the_reader_process_stops_the_run_the_same_way(tmp_path, settings, grafeo_store,
                                                                          monkeypatch):
    """Big files are read in a child process: its IngestStopped reaches the loader intact."""
    import ingest.load.reader

    monkeypatch.setattr(ingest.load.reader, "READER_PROCESS_MIN_BYTES", 0)
    body = _csv_text([_row(f"D{i}") for i in range(50)]).encode()
    bundle = _bundle_with(tmp_path / "b", gzip.compress(_csv_text([HEADER]).encode() + body, 9))
    few = settings.model_copy(update={"ingest_max_rows_per_file": 20})
    with pytest.raises(IngestStopped, match=r"declarations.csv.gz, line 22: more than 20 rows") as e:
        ingest_bundle(grafeo_store, bundle, settings=few, progress=False)
    assert (e.value.file, e.value.line) == ("declarations", 22) and e.value.report.reader_peak_rss_mb > 0
