"""`score` with the analytics in a child process on the ledger writes what `score` in the store's own
process writes, and fails cleanly.

One seeded world (seed 11, 6,000 declaration rows) is ingested into two real Grafeo stores on disk
(each with its ledger), given the same decisions and inspection results through the API's queries,
and scored once in-process (frames from the store) and once in a child process (frames from the
ledger, results back as Parquet). Compared exactly, no tolerance: the hand-off is float64/int64
Parquet and JSON text, so the stored scores, ranks, groups, reasons, cover flags and lanes are the
same values bit for bit.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from graph.ledger import Ledger
from graph.pipeline import results
from graph.pipeline.analytics_process import FOLDER_PREFIX, AnalyticsProcessError
from graph.pipeline.run import score
from graph.settings import Settings
from graph.store import open_store
from ingest.load import ingest_bundle
from ingest.simulate import generate_world

PARTY_PROPS = ("key", "entity_id", "entity_confidence", "group_id", "community_id", "risk_score", "risk_rank",
               "risk_reasons", "phoenix_of", "phoenix_score")
ITEM_PROPS = ("key", "lane", "assessment_score", "assessment_reasons", "cover_score", "suspected_hs")


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("process_world")
    generate_world(out, seed=11, declarations=6000)
    return out


def _loaded(world: Path, root: Path):
    s = Settings(env="test", data_dir=root / "data")
    store = open_store(s)
    store.ensure_schema()
    ingest_bundle(store, world, settings=s, progress=False)
    items = store.execute("MATCH (d:Declaration) RETURN d.key AS key ORDER BY key LIMIT 3")
    party = store.execute("MATCH (p:Party) RETURN p.key AS key ORDER BY key LIMIT 1")
    for key, kind, subject, value in (("d1", "confirmed_risk", party[0]["key"], None),
                                      ("d2", "inspection", items[0]["key"], "violation")):
        store.run("api.decision_create", key=key, kind=kind, subject=subject, object=None, value=value,
                  note=None,
                  user="tester", at=f"2026-01-01T00:00:0{key[-1]}+00:00", status="effective")
    store.run("api.inspection_by_item", subject=items[0]["key"], value="violation")  # as the API records it
    return store, s


def _stored(store) -> dict:
    parties = store.execute("MATCH (p:Party) RETURN " + ", ".join(f"p.{c} AS {c}" for c in PARTY_PROPS)
                            + " ORDER BY key")
    items = store.execute("MATCH (d:Declaration) WHERE d.lane IS NOT NULL OR d.cover_score IS NOT NULL "
                          "RETURN "
                          + ", ".join(f"d.{c} AS {c}" for c in ITEM_PROPS) + " ORDER BY key")
    return {"parties": parties, "items": items, "entities": results.entities(store),
            "groups": results.groups(store), "resolved": results.resolved_entities(store),
            "cover": results.cover_items(store), "unit_values": results.unit_value_anomalies(store),
            "hs_switches": results.hs_switches(store), "lanes": results.lane_counts(store),
            "audit": results.audit_targets(store, 100)}


@pytest.fixture(scope="module")
def both(world: Path, tmp_path_factory):
    here, s_here = _loaded(world, tmp_path_factory.mktemp("in_process"))
    child, s_child = _loaded(world, tmp_path_factory.mktemp("child"))
    rep_here = score(here, s_here, progress=False, where="in-process")
    rep_child = score(child, s_child, progress=False, where="child")
    out = (_stored(here), rep_here, _stored(child), rep_child, child, s_child)
    yield out
    here.close()
    child.close()


def test_child_process_scores_equal_in_process_scores(both):
    a, rep_a, b, rep_b, _, _ = both
    assert rep_a["process"]["analytics"] == "in-process" and rep_b["process"]["analytics"] == "child"
    assert len(a["parties"]) > 100 and any(p["group_id"] for p in a["parties"])
    assert any(i["lane"] for i in a["items"]) and any(i["cover_score"] is not None for i in a["items"])
    assert any(p["risk_rank"] is not None for p in a["parties"])
    for name in a:
        assert len(a[name]) == len(b[name]), name
        diff = [(x, y) for x, y in zip(a[name], b[name], strict=True) if x != y]
        assert not diff, (name, len(diff), diff[:1])
    for k in ("entities", "groups", "merged_parties", "entity_links", "grouped_entities", "offender_entities",
              "phoenix_candidates", "communities", "top_entities", "top_groups", "cover_items", "lanes",
              "unit_value_anomalies", "hs_switches", "audit_plan", "frames"):
        assert rep_a.get(k) == rep_b.get(k), k
    wa, wb = dict(rep_a["written"]), dict(rep_b["written"])
    wa.pop("seconds"), wb.pop("seconds")
    assert wa.pop("write_back")["mode"] == wb.pop("write_back")["mode"] == "full"  # a fresh store: every row
    assert wa == wb


def test_the_report_has_each_process_and_the_handoff(both):
    _, _, _, rep, _, s = both
    p = rep["process"]
    assert p["child"]["peak_rss_mb"] > 50 and p["owner"]["peak_rss_mb"] > 50
    assert p["child"]["pid"] != os.getpid()
    assert {"frames", "resolve", "risk", "cover", "assessment"} <= set(p["child"]["timings_s"])
    assert {"state_read", "write_network", "write_declarations"} <= set(p["owner"]["timings_s"])
    assert p["handoff"]["state_bytes"] > 0 and p["handoff"]["results_bytes"] > 10_000
    assert not list(Path(s.data_dir).glob(f"{FOLDER_PREFIX}*"))  # the hand-off folder is removed


def _runs(store) -> list[dict]:
    return store.execute("MATCH (s:ScoreRun) RETURN s.key AS key, s.status AS status ORDER BY key")


def _declaration_part(s: Settings) -> Path:
    return min(Ledger.of(s).path("declarations").rglob("part-*.parquet"))


def test_an_error_in_the_child_is_raised_with_its_type_and_message(both):
    """A ledger part whose customs values are text (a foreign or damaged part): the owner's row
    counts still read it, the child's frames do not; the child's error is raised here."""
    _, _, _, _, store, s = both
    part = _declaration_part(s)
    original = part.read_bytes()
    t = pq.read_table(part)
    i = t.schema.get_field_index("customs_value")
    pq.write_table(t.set_column(i, "customs_value", pa.array(["lots"] * t.num_rows)), part)
    try:
        with pytest.raises(Exception) as local:
            Ledger.of(s).current("declarations")
        before = _runs(store)
        with pytest.raises(type(local.value)) as remote:
            score(store, s, progress=False, where="child")
        assert str(remote.value) == str(local.value)
        assert any("in the analytics process" in n for n in remote.value.__notes__)
        assert _runs(store) == before  # nothing was started: the error came before any write-back
        assert not list(Path(s.data_dir).glob(f"{FOLDER_PREFIX}*"))
    finally:
        part.write_bytes(original)


def _children() -> set[int]:
    out = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        with contextlib.suppress(OSError):
            out |= {int(x) for x in (task / "children").read_text().split()}
    return out


def _analytics_child() -> int | None:
    for pid in _children():
        try:
            if b"analytics_process" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return pid
        except OSError:
            pass
    return None


@pytest.mark.parametrize("when", ["before the network results", "after the network results"])
def test_a_killed_child_fails_the_run_cleanly(both, when):
    _, _, _, _, store, s = both
    before = _runs(store)
    failed: list[BaseException] = []

    def run() -> None:
        try:
            score(store, s, progress=False, where="child")
        except BaseException as e:  # noqa: BLE001 - the test looks at it
            failed.append(e)

    th = threading.Thread(target=run)
    th.start()
    deadline = time.monotonic() + 120
    pid = None
    while pid is None and time.monotonic() < deadline:
        pid = _analytics_child()
        time.sleep(0.02)
    assert pid is not None
    if when == "after the network results":  # the owner has started the ScoreRun and its write-back
        while len(_runs(store)) == len(before) and time.monotonic() < deadline:
            time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    th.join(120)
    assert failed and isinstance(failed[0], AnalyticsProcessError), failed
    assert "exit code -9" in str(failed[0])
    new = [r for r in _runs(store) if r not in before]
    assert all(r["status"] == "running" for r in new)  # never 'done': `tamga status` shows it as interrupted
    assert (len(new) == 1) == (when == "after the network results")
    assert not list(Path(s.data_dir).glob(f"{FOLDER_PREFIX}*"))


def test_a_store_loaded_before_the_ledger_is_scored_here_with_a_note(both, tmp_path):
    _, _, _, _, store, s = both
    no_ledger = s.model_copy(update={"data_dir": tmp_path})  # the same store, a data dir with no ledger
    rep = score(store, no_ledger, progress=False, communities=False)
    assert rep["process"]["analytics"] == "in-process"
    assert any("loaded before the ledger existed" in n for n in rep["notes"])
    with pytest.raises(ValueError, match="cannot score in a child process"):
        score(store, no_ledger, progress=False, where="child")


def test_folders_left_by_a_dead_owner_are_removed(tmp_path):
    """An owner killed with -9 cannot remove its hand-off folder; the next run removes it."""
    from graph.pipeline.analytics_process import _remove_leftovers

    gone = tmp_path / f"{FOLDER_PREFIX}{_exited_pid()}-abc"
    mine = tmp_path / f"{FOLDER_PREFIX}{os.getpid()}-abc"
    for d in (gone, mine):
        d.mkdir()
        (d / "state.decisions.parquet").write_bytes(b"x")
    _remove_leftovers(tmp_path)
    assert not gone.exists() and mine.exists()


def _exited_pid() -> int:
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid
