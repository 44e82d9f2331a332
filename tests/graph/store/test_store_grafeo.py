"""The embedded store on a real file: it persists, survives `kill -9` of its writer, and refuses a
second process with a message that says what to do."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from graph.settings import Settings
from graph.store import StoreBusyError, StoreError, open_store
from graph.store.grafeo_adapter import GrafeoStore


def _rows(prefix: str, n: int) -> list[dict]:
    return [{"key": f"{prefix}:{i}", "name": f"party {i}", "source": "t", "registered_on": None,
             "scored_at": None} for i in range(n)]


def _count(store) -> int:
    return store.execute("MATCH (p:Party) RETURN count(p) AS n")[0]["n"]


def test_the_store_is_a_real_file_under_the_data_dir(settings):
    with open_store(settings) as store:
        assert isinstance(store, GrafeoStore)
        store.ensure_schema()
        store.run("store.upsert_parties", rows=_rows("f", 10))
        store.checkpoint()
        path = settings.grafeo_path
        assert path.is_file() and path.stat().st_size > 0
        assert path.parent == settings.data_dir


def test_survives_close_and_reopen(settings):
    with open_store(settings) as store:
        store.ensure_schema()
        store.run("store.upsert_parties", rows=_rows("r", 1000))
    with open_store(settings) as store:
        assert _count(store) == 1000
        store.ensure_schema()  # idempotent on an existing file
        store.run("store.upsert_parties", rows=_rows("r", 1500))  # 500 new, 1000 updated
    with open_store(settings, read_only=True) as store:
        assert _count(store) == 1500
        assert store.run("store.parties_by_key", keys=["r:1499"])[0]["name"] == "party 1499"


def test_read_only_store_refuses_writes(settings):
    """The stated mode decides, before anything reaches Grafeo: every write path is refused with
    the store's own message (Grafeo's own refusal would say `Cannot write in read-only transaction`)."""
    with open_store(settings) as store:
        store.ensure_schema()
        store.run("store.upsert_parties", rows=_rows("ro", 3))
    refused = "opened read-only; refusing a write"
    with open_store(settings, read_only=True) as ro:
        with pytest.raises(StoreError, match=f"{refused}: store.upsert_parties"):
            ro.run("store.upsert_parties", rows=_rows("ro2", 1))
        with pytest.raises(StoreError, match=f"{refused}: ingest.link_phone"):
            list(ro.run_batches("ingest.link_phone", [{"party": "ro:0", "key": "+1", "value": "+1"}]))
        with pytest.raises(StoreError, match=refused):
            ro.execute("CREATE (:Party {key: $k})", {"k": "ro:x"}, mode="write")
        with pytest.raises(StoreError, match=refused):
            ro.create_linked_nodes("ingest.create_declarations", "Declaration", [{"props": {"key": "d"}}], {})
        with pytest.raises(StoreError, match=refused):
            ro.ensure_schema()
        # a statement stated as a write is refused even when its words only read: no guessing
        with pytest.raises(StoreError, match=refused):
            ro.execute("MATCH (p:Party) RETURN count(p) AS n", mode="write")
        assert _count(ro) == 3
        assert ro.run("store.parties_by_key", keys=["ro:0"])[0]["key"] == "ro:0"  # reads run


_WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from graph.settings import Settings
    from graph.store import open_store

    s = Settings(env="test", data_dir=Path(sys.argv[1]), checkpoint_interval_s=int(sys.argv[2]),
                 checkpoint_wal_bytes=int(sys.argv[3]))
    store = open_store(s)
    store.ensure_schema()
    i = 0
    while True:
        rows = [{"key": f"k:{i}:{j}", "name": "x" * 50, "source": "w", "registered_on": None,
                 "scored_at": None} for j in range(100)]
        store.run("store.upsert_parties", rows=rows)
        i += 1
        print(i, flush=True)  # acknowledged: the statement returned
""")


@pytest.mark.parametrize(("interval_s", "wal_bytes"), [
    pytest.param(3600, 1 << 40, id="wal-only"),  # no checkpoint happens before the kill
    pytest.param(1, 64 * 1024, id="frequent-checkpoints"),  # kills land around checkpoints
])
def test_acknowledged_writes_survive_kill_9(tmp_path: Path, interval_s: int, wal_bytes: int):
    data = tmp_path / "data"
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(data), str(interval_s), str(wal_bytes)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    acked = 0
    deadline = time.monotonic() + 60
    try:
        while acked < 60 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            acked = int(line)
        time.sleep(0.05)  # let it get into the middle of the next statement
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    # read what was printed between our last read and the kill: acknowledged too
    for line in proc.stdout.read().split():
        acked = int(line)
    assert acked >= 60, f"writer did not get going: {proc.stderr.read()[-2000:]}"
    with open_store(Settings(env="test", data_dir=data)) as store:
        found = _count(store)
        # every acknowledged batch is there; a batch cut off by the kill is all there or not at all
        assert found in (acked * 100, (acked + 1) * 100), (acked, found)
        assert store.run("store.parties_by_key", keys=[f"k:{acked - 1}:99"])[0]["name"] == "x" * 50
        store.run("store.upsert_parties", rows=_rows("after", 5))  # and it takes writes again
        assert _count(store) == found + 5


_HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from graph.settings import Settings
    from graph.store import open_store, StoreBusyError

    s = Settings(env="test", data_dir=Path(sys.argv[1]))
    try:
        store = open_store(s, read_only=sys.argv[2] == "ro")
    except StoreBusyError as e:
        print("BUSY " + str(e).replace("\\n", " "), flush=True)
    else:
        print("OPENED", flush=True)
        store.close()
""")


@pytest.mark.parametrize("mode", ["rw", "ro"])
def test_a_second_process_gets_store_busy_with_what_to_do(settings, mode):
    with open_store(settings) as store:
        store.ensure_schema()
        out = subprocess.run([sys.executable, "-c", _HOLDER, str(settings.data_dir), mode],
                             capture_output=True, text=True, timeout=120, check=False)
        assert out.stdout.startswith("BUSY "), out.stdout + out.stderr
        msg = out.stdout
        assert str(settings.grafeo_path) in msg
        assert "held by another Tamga process" in msg
        assert "TAMGA_DATA_DIR" in msg and "wait" in msg
        assert _count(store) == 0  # the holder is unharmed
    # released on close: the other process can open it now
    out = subprocess.run([sys.executable, "-c", _HOLDER, str(settings.data_dir), mode],
                         capture_output=True, text=True, timeout=120, check=False)
    assert out.stdout.startswith("OPENED"), out.stdout + out.stderr


def test_store_busy_in_the_same_process(settings):
    with open_store(settings), pytest.raises(StoreBusyError, match="held by another"):
        open_store(settings)


def test_checkpoint_triggers_are_on(settings):
    with open_store(settings) as store:
        status = store._db.checkpoint_status()
        assert status["interval_secs"] == settings.checkpoint_interval_s
        assert status["wal_bytes"] == settings.checkpoint_wal_bytes
        assert json.dumps(status)  # plain data, fit for `tamga status`


def test_reads_from_threads_while_one_thread_writes(grafeo_store):
    """The API calls the store from FastAPI's thread pool: reads run beside a writer without errors."""
    import threading

    errors: list[BaseException] = []
    done = threading.Event()

    def read():
        try:
            while not done.is_set():
                grafeo_store.run("store.parties_by_key", keys=["c:0:0", "c:5:50"])
                grafeo_store.execute("MATCH (p:Party) RETURN count(p) AS n")
        except BaseException as e:  # noqa: BLE001 - collected and reported by the assertion below
            errors.append(e)

    readers = [threading.Thread(target=read) for _ in range(4)]
    for t in readers:
        t.start()
    try:
        for b in range(20):
            grafeo_store.run("store.upsert_parties", rows=_rows(f"c:{b}", 200))
    finally:
        done.set()
        for t in readers:
            t.join(timeout=60)
    assert not errors, errors[:3]
    assert _count(grafeo_store) == 4000


def test_the_kept_counts_equal_the_cypher_counts_after_deletes_and_a_reopen(small_world, tmp_path):
    """`count_kinds` reads Grafeo's own counts (the Cypher scans time out at 3M items): on a loaded and
    scored world (whose write-back deletes and recreates entities and groups), after a delete of
    relationships and nodes, and after a reopen, they equal the Cypher counts of the port."""
    from graph.pipeline.run import score
    from graph.store.port import GraphStore
    from ingest.load import ingest_bundle

    s = Settings(env="test", data_dir=tmp_path / "data")
    store = open_store(s)
    store.ensure_schema()
    ingest_bundle(store, small_world, settings=s, progress=False)
    score(store, s, progress=False, communities=False)
    score(store, s, progress=False, communities=False)  # entities and groups replaced again
    kept, cypher = store.count_kinds(), GraphStore.count_kinds(store)
    assert kept == cypher and kept[0]["Declaration"] == 3000 and kept[1]["MEMBER_OF"] > 0
    store.execute("MATCH (:Party)-[r:HAS_PHONE]->(:Phone) WITH r LIMIT 5 DELETE r", mode="write")
    store.execute("MATCH (g:Group) WITH g LIMIT 1 DETACH DELETE g", mode="write")
    assert store.count_kinds() == GraphStore.count_kinds(store)
    store.close()
    store = open_store(s)
    try:
        assert store.count_kinds() == GraphStore.count_kinds(store)
        assert store.count_kinds()[1]["HAS_PHONE"] == cypher[1]["HAS_PHONE"] - 5
    finally:
        store.close()
