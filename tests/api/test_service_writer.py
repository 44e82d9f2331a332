"""The server as the store's one writer: intake calls during an ingest job land between its
batches (never inside one) and are not lost, /readyz names who writes; an ingest job leaves the
parties it touched with a provisional risk; the nightly score schedule (an injected clock).

On a real Grafeo store on disk with a scored simulated world, the API over real HTTP
(`LiveServer`). The interleaving test observes the real store's calls (`Recorder` forwards every
call to it and notes the thread and the time), so that a write of the job overlapping an intake
write is seen, not assumed away.
"""

from __future__ import annotations

import csv
import json
import re
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_api_support import LiveServer, make_settings

from api.services.writer import WriterBusy, WriterSlot

SRC = "customs"
TIMEOUT_S = 240


# --------------------------------------------------------------------------- the slot on its own

def test_the_slot_lets_waiting_writers_in_at_a_boundary_and_then_takes_it_back() -> None:
    slot = WriterSlot()
    slot.take("ingest", "j1")
    inside, order = threading.Event(), []

    def short() -> None:
        with slot.hold("intake"):
            order.append("intake")
            assert not inside.is_set(), "a short write ran inside the job's batch"

    t = threading.Thread(target=short)
    inside.set()  # the job writes a batch
    t.start()
    time.sleep(0.1)
    assert order == [] and slot.waiting() == 1 and slot.holder()["job"] == "j1"
    inside.clear()
    assert slot.lend("declarations") == 1  # the boundary: the waiting write goes in, then the job again
    t.join(2)
    assert order == ["intake"] and slot.holder()["job"] == "j1" and slot.lent == 1
    assert slot.lend("declarations") == 0  # nobody waits: the job goes on at once
    with pytest.raises(WriterBusy), slot.hold("intake", wait_s=0.1):  # a job that never lends
        pass
    slot.release()
    with slot.hold("intake"):
        assert slot.holder()["kind"] == "intake"
    assert slot.holder() is None


def test_a_stream_of_short_writes_does_not_starve_the_job() -> None:
    slot = WriterSlot()
    slot.take("ingest", "j1")
    stop = threading.Event()
    done: list[int] = []

    def stream() -> None:
        while not stop.is_set():
            with slot.hold("intake", wait_s=5):
                done.append(1)
                time.sleep(0.001)

    ts = [threading.Thread(target=stream) for _ in range(3)]
    for t in ts:
        t.start()
    t0 = time.monotonic()
    for _ in range(20):
        time.sleep(0.005)
        slot.lend("x")  # returns: only those waiting when it began go in
    took = time.monotonic() - t0
    stop.set()
    slot.release()
    for t in ts:
        t.join(5)
    assert took < 5 and len(done) >= 1


# --------------------------------------------------------------------------- over HTTP

def _side(values: Any) -> str:
    """Whose call its parameters show: the job's bundle (keys "day:...") or an intake call (its
    item "customs:DURING-<n>"); "" for calls that name neither (shared dimensions)."""
    text = repr(values)
    if "'day:" in text:
        return "job"
    m = re.search(r"customs:DURING-[0-9]+", text)
    return m.group(0) if m else ""


class Recorder:
    """The real store, each write timed with whose it is (an observer: every call goes to the store)."""

    def __init__(self, store: Any):
        self._store = store
        self.calls: list[tuple[str, str, float, float, bool]] = []  # side, statement, start, end, write

    def __getattr__(self, name: str) -> Any:
        v = getattr(self._store, name)
        if name not in ("run", "run_batches", "create_linked_nodes"):
            return v
        from queries import mode

        def note(stmt: str, t0: float, values: Any) -> None:
            # the audit trail is appended by every route, reads too: one statement, outside the slot
            side = _side(values) if "audit" not in stmt else ""
            if side:
                write = stmt == "create" or mode(stmt) == "write"
                self.calls.append((side, stmt, t0, time.perf_counter(), write))

        if name == "run_batches":
            def batches(stmt, *a, **k):
                t0 = time.perf_counter()
                yield from v(stmt, *a, **k)
                note(stmt, t0, (a, k))
            return batches

        def call(stmt, *a, **k):
            t0 = time.perf_counter()
            try:
                return v(stmt, *a, **k)
            finally:
                note("create" if name == "create_linked_nodes" else stmt, t0, (a, k))
        return call


@pytest.fixture(scope="module")
def served(small_world: Path, tmp_path_factory):
    from api.auth import create_key
    from graph.pipeline.run import score
    from graph.store import open_store
    from ingest.load import ingest_bundle
    from ingest.simulate import generate_world

    roots = tmp_path_factory.mktemp("writer-roots")
    generate_world(roots / "day", seed=21, declarations=3000)
    settings = make_settings(tmp_path_factory.mktemp("writer"), ingest_roots=[roots], batch_size=100)
    store = open_store(settings)
    store.ensure_schema()
    ingest_bundle(store, small_world, settings=settings, progress=False)
    score(store, settings, progress=False)
    keys = {r: create_key(store, f"{r}-user", r) for r in ("system", "admin")}
    rec = Recorder(store)
    try:
        with LiveServer(settings, rec) as server:  # type: ignore[arg-type]
            yield server, keys, store, rec, roots
    finally:
        store.close()


def _client(served, role="system") -> httpx.Client:
    server, keys, *_ = served
    return httpx.Client(base_url=server.url, timeout=120, headers={"X-API-Key": keys[role]})


def _decl_rows(small_world: Path, n: int) -> list[dict[str, Any]]:
    out = []
    with (small_world / "declarations.csv").open(encoding="utf-8") as f:
        for row, _ in zip(csv.DictReader(f), range(n), strict=False):
            body = {k: v for k, v in row.items() if v != ""}
            body["item_no"] = int(body["item_no"])
            for k in ("net_mass_kg", "gross_mass_kg", "quantity", "customs_value", "duty_rate",
                      "duty_amount"):
                if k in body:
                    body[k] = float(body[k])
            out.append(body)
    return out


def _wait(c: httpx.Client, job: dict, during=None) -> dict:
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        j = c.get(job["location"]).json()
        if during is not None:
            during(j)
        if j["state"] not in ("queued", "running"):
            return j
        time.sleep(0.02)
    raise AssertionError(f"job {job['id']} did not end in {TIMEOUT_S} s")


def _count(store: Any, text: str, **params: Any) -> int:
    return int(store.execute(text, params)[0]["n"])


def _job_writes(rec: Recorder) -> list[tuple[float, float]]:
    return [(c[2], c[3]) for c in rec.calls if c[0] == "job" and c[4]]


def _intake_spans(rec: Recorder) -> dict[str, tuple[float, float]]:
    """Per intake call: from its first store call naming its item (the check whether it exists) to
    its last (the item's write): the span no write of the job may enter."""
    spans: dict[str, tuple[float, float]] = {}
    for side, _, t0, t1, _w in rec.calls:
        if side.startswith("customs:"):
            a, b = spans.get(side, (t0, t1))
            spans[side] = (min(a, t0), max(b, t1))
    return spans


def test_intake_during_an_ingest_job_lands_between_batches_and_is_not_lost(served, small_world) -> None:
    server, _keys, store, rec, roots = served
    rows = _decl_rows(small_world, 20)
    posted: list[tuple[str, dict]] = []
    seen_writers: list[dict] = []
    with _client(served) as c:
        r = c.post("/api/v1/ingest-runs", json={"path": str(roots / "day"), "source": "day"})
        assert r.status_code == 202, r.text
        job = r.json()
        rec.calls.clear()
        i = 0

        def during(j: dict) -> None:
            nonlocal i
            ready = httpx.get(server.url + "/readyz").json()
            if ready["writer"]:
                seen_writers.append(ready["writer"])
            if j["state"] == "running" and j.get("phase") == "declarations" and i < len(rows):
                row = {**rows[i], "declaration_id": f"DURING-{i}"}
                resp = c.post("/api/v1/declarations", json={"items": [row], "source": SRC},
                              params={"provisional": "off"})
                assert resp.status_code == 201, resp.text
                posted.append((c.get(job["location"]).json()["state"], resp.json()["items"][0]))
                i += 1

        done = _wait(c, job, during)
    assert done["state"] == "done", done
    assert any(state == "running" for state, _ in posted), "no intake call answered while the job ran"
    # not lost: every posted item is stored, and the job's counts are the bundle's
    for _, item in posted:
        assert item["stored"] is True
        assert _count(store, "MATCH (d:Declaration {key: $k}) RETURN count(d) AS n", k=item["key"]) == 1
    with (roots / "day" / "declarations.csv").open(encoding="utf-8") as f:
        n_day = sum(1 for _ in csv.DictReader(f))
    assert _count(store, "MATCH (d:Declaration) WHERE d.key STARTS WITH 'day:' RETURN count(d) AS n") == n_day
    # between batches: no write of the job overlaps a write of an intake call
    spans, job_w = _intake_spans(rec), _job_writes(rec)
    assert len(spans) == len(posted) and job_w
    overlaps = [(k, b) for k, a in spans.items() for b in job_w if b[0] < a[1] and a[0] < b[1]]
    assert not overlaps, overlaps[:3]
    assert sum(p.get("let_in") or 0 for p in done["phases"].values()) >= 1
    # /readyz named the job as the writer while it wrote, and nobody once it ended
    assert any(w.get("job") == job["id"] and w["kind"] == "ingest" for w in seen_writers)
    after = httpx.get(server.url + "/readyz").json()
    assert after["writer"] is None and after["writers_waiting"] == 0


def test_readyz_names_an_intake_call_holding_the_writer(served) -> None:
    server, *_ = served
    runner = server.app.state.tamga.jobs
    with runner.slot.hold("declarations"):
        ready = httpx.get(server.url + "/readyz", timeout=10).json()
    assert ready["writer"]["kind"] == "intake" and ready["writer"]["what"] == "declarations"
    assert httpx.get(server.url + "/readyz", timeout=10).json()["writer"] is None


def test_a_score_job_holds_the_writer_only_from_its_write_back(served, small_world) -> None:
    """Before its write-back the run reads the ledger: /readyz names no writer and an intake call
    is stored at once; from the write-back on, the job is the writer."""
    server, *_ = served
    seen: list[tuple[str | None, dict | None]] = []
    stored_while_reading: list[bool] = []
    with _client(served) as c:
        r = c.post("/api/v1/score-runs", json={"communities": False})
        assert r.status_code == 202, r.text
        job = r.json()

        def during(j: dict) -> None:
            if j["state"] != "running":
                return
            w = httpx.get(server.url + "/readyz").json()["writer"]
            seen.append((j.get("phase"), w))
            if w is None and not stored_while_reading:
                row = {**_decl_rows(small_world, 1)[0], "declaration_id": "DURING-SCORE"}
                resp = c.post("/api/v1/declarations", json={"items": [row], "source": SRC},
                              params={"provisional": "off"})
                stored_while_reading.append(resp.status_code == 201 and c.get(job["location"]).json()["state"]
                                            == "running")

        done = _wait(c, job, during)
    assert done["state"] == "done", done
    assert any(w is None for _, w in seen), seen[:5]  # reading: nobody writes
    assert stored_while_reading == [True]
    assert all(w is None or (w.get("job") == job["id"] and w["kind"] == "score") or w["kind"] == "intake"
               for _, w in seen)


def _write_csv(path: Path, rows: list[dict[str, Any]], columns: list[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns)
        w.writeheader()
        w.writerows(rows)


def test_an_ingest_job_leaves_what_it_touched_with_a_provisional_risk(served, small_world) -> None:
    """A day's bundle with one new offence of a stored party that had no record: after the job the
    party's risk is higher and marked provisional, through the real job path."""
    server, _keys, store, _rec, roots = served
    with (small_world / "parties.csv").open(encoding="utf-8") as f:
        parties = list(csv.DictReader(f))
    with (small_world / "offences.csv").open(encoding="utf-8") as f:
        offences = list(csv.DictReader(f))
    offenders = {o["party_id"] for o in offences}
    clean = next(p for p in parties if p["party_id"] not in offenders and p["kind"] == "company"
                 and store.execute("MATCH (p:Party {key: $k}) RETURN p.risk_score AS s",
                                   {"k": f"{SRC}:{p['party_id']}"})[0]["s"] is not None)
    key = f"{SRC}:{clean['party_id']}"
    before = store.execute("MATCH (p:Party {key: $k}) RETURN p.risk_score AS s, p.risk_provisional AS pv",
                           {"k": key})[0]
    day = roots / "offence-day"
    day.mkdir()
    _write_csv(day / "parties.csv", [clean], list(clean))
    with (small_world / "declarations.csv").open(encoding="utf-8") as f:
        head = next(csv.reader(f))
    _write_csv(day / "declarations.csv", [], head)
    off = {**offences[0], "offence_id": "OF-DAY-1", "party_id": clean["party_id"], "declaration_id": "",
           "date": "2024-06-01", "status": "confirmed"}
    _write_csv(day / "offences.csv", [off], list(offences[0]))
    with _client(served) as c:
        r = c.post("/api/v1/ingest-runs", json={"path": str(day)})
        assert r.status_code == 202, r.text
        done = _wait(c, r.json())
    assert done["state"] == "done", done
    prov = done["report"]["provisional"]
    assert prov["touched"] >= 1 and prov["updated"] >= 1, prov
    after = store.execute("MATCH (p:Party {key: $k}) RETURN p.risk_score AS s, p.risk_provisional AS pv",
                          {"k": key})[0]
    assert not before["pv"] and after["pv"] is True
    assert after["s"] > before["s"]


# --------------------------------------------------------------------------- the schedule

def test_the_schedule_queues_a_full_run_when_due_once_and_keeps_to_it_across_a_restart(tmp_path) -> None:
    from prometheus_client import CollectorRegistry

    from api.services.jobs import JobRunner
    from api.services.schedule import ScoreSchedule
    from graph.store import open_store

    s = make_settings(tmp_path)
    store = open_store(s)
    store.ensure_schema()
    now = [datetime(2026, 3, 1, 1, 0, tzinfo=UTC)]
    try:
        runner = JobRunner(s, store, CollectorRegistry())  # not started: its queue is only looked at
        sched = ScoreSchedule(runner, "02:00", clock=lambda: now[0])
        assert sched.next_run_at() == "2026-03-01T02:00:00Z"
        assert sched.tick() is None  # not due yet
        now[0] = datetime(2026, 3, 1, 2, 0, 30, tzinfo=UTC)
        job = sched.tick()
        assert job is not None and job.kind == "score" and job.user == "schedule"
        assert sched.tick() is None  # queued already: not twice
        # the run ends done (written as the scoring run writes its end)
        store.run("analytics.write_score_run", key="r1", started_at="2026-03-01T02:00:31+00:00",
                  finished_at="2026-03-01T02:20:00+00:00", report="{}")
        job.state = "done"
        assert sched.next_run_at() == "2026-03-02T02:00:00Z"
        # a restart: a new runner reads the records; the next run is still tomorrow's
        runner2 = JobRunner(s, store, CollectorRegistry())
        runner2._queue.put(None)  # its worker stops at once: this test looks at records only
        runner2.start()
        later = [datetime(2026, 3, 1, 9, 0, tzinfo=UTC)]
        sched2 = ScoreSchedule(runner2, "02:00", clock=lambda: later[0])
        assert sched2.next_run_at() == "2026-03-02T02:00:00Z" and sched2.tick() is None
        # down at the hour: back at 05:00 the next day, the run is due at once
        later[0] = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)
        for j in runner2.list():
            j.state = "done"
        assert sched2.tick() is not None
        runner2.stop()
    finally:
        store.close()


def test_readyz_shows_the_next_scheduled_run(tmp_path) -> None:
    from graph.store import open_store

    s = make_settings(tmp_path, score_schedule="03:30")
    store = open_store(s)
    store.ensure_schema()
    try:
        with LiveServer(s, store) as server:
            nxt = httpx.get(server.url + "/readyz", timeout=10).json()["next_score_at"]
        got = datetime.fromisoformat(nxt.replace("Z", "+00:00"))
        assert got.strftime("%H:%M") == "03:30"
        assert timedelta(0) < got - datetime.now(UTC) <= timedelta(days=1)
    finally:
        store.close()
    with pytest.raises(ValueError):
        make_settings(tmp_path, score_schedule="25:00")


# --------------------------------------------------------------------------- posted rows and the ledger

_KILLED_CHILD = r"""
import os, signal, sys, json
from api.services import intake
from api.services.posted import PostedLog
from graph.settings import Settings
from graph.store import open_store

s = Settings(env="test", data_dir=sys.argv[1])
store = open_store(s)
row = json.loads(sys.argv[2])
parties, _ = intake.party_records(store, "customs", intake.declaration_parties([row]))
log = PostedLog(s, lambda what: __import__("contextlib").nullcontext())
intake.store_rows(store, s, "customs", {"declarations": [row]}, parties, "api:declarations", journal=log)
print("stored", flush=True)
eid = log.record("customs", {"declarations": [{**row, "declaration_id": "VOIDED-1"}]}, parties)
log.void(eid)  # as store_rows does when the write fails
os.kill(os.getpid(), signal.SIGKILL)  # before any flush: the row is in the store, not in the ledger
"""


def test_a_posted_row_killed_before_the_ledger_flush_is_replayed_into_the_ledger(small_world, tmp_path):
    """A real `kill -9` after the store write: the next start's replay puts the row in the ledger
    (once in the store), and a call whose write failed (voided) is not replayed."""
    import contextlib
    import os
    import subprocess
    import sys

    from api.services.posted import PostedLog
    from graph.ledger import Ledger
    from graph.store import open_store
    from ingest.load import ingest_bundle

    s = make_settings(tmp_path)
    store = open_store(s)
    store.ensure_schema()
    ingest_bundle(store, small_world, settings=s, progress=False)
    store.close()
    row = {**_decl_rows(small_world, 1)[0], "declaration_id": "KILLED-1"}
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    p = subprocess.run([sys.executable, "-c", _KILLED_CHILD, str(s.data_dir), json.dumps(row)],
                       capture_output=True, text=True, env=env, timeout=180)
    assert p.returncode == -9 and "stored" in p.stdout, p.stderr[-2000:]

    def in_ledger() -> int:
        t = Ledger(s.data_dir / "ledger").current("declarations", columns=["declaration_id"])
        return t.column("declaration_id").to_pylist().count("KILLED-1")

    assert in_ledger() == 0  # the kill took the buffer
    store = open_store(s)
    try:
        key = f"{SRC}:KILLED-1/{row['item_no']}"
        assert _count(store, "MATCH (d:Declaration {key: $k}) RETURN count(d) AS n", k=key) == 1
        assert PostedLog(s, lambda what: contextlib.nullcontext()).replay(store) == 1
        assert in_ledger() == 1
        assert _count(store, "MATCH (d:Declaration {declaration_id: 'VOIDED-1'}) RETURN count(d) AS n") == 0
        assert _count(store, "MATCH (d:Declaration {key: $k}) RETURN count(d) AS n", k=key) == 1  # not twice
        assert not list((s.data_dir / "ledger-journal").glob("posted*"))  # the journal is done
    finally:
        store.close()


def test_posted_rows_reach_the_ledger_at_the_timed_flush(served, small_world) -> None:
    server, _keys, _store, _rec, _roots = served
    from graph.ledger import Ledger

    s = server.app.state.tamga.settings
    row = {**_decl_rows(small_world, 1)[0], "declaration_id": "FLUSHED-1"}
    with _client(served) as c:
        r = c.post("/api/v1/declarations", json={"items": [row], "source": SRC},
                   params={"provisional": "off"})
        assert r.status_code == 201, r.text
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        t = Ledger(s.data_dir / "ledger").current("declarations", columns=["declaration_id"])
        if "FLUSHED-1" in t.column("declaration_id").to_pylist():
            break
        time.sleep(0.5)
    else:
        raise AssertionError("the posted row did not reach the ledger")
