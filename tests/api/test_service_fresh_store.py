"""An ingest job on an empty store and an intake call let in between its batches: the job's fast
path (no existence checks on a store that held no item when it began) must not create again an
item the intake call stored meanwhile.

On a real Grafeo store on disk, the API over real HTTP (`LiveServer`). The order is made certain,
not hoped for: `Gate` forwards every call to the real store and, before the job's second batch of
items, waits until the intake call is waiting for the writer slot, so that the slot's next lending
(after that batch) lets it in while the item's own batch is still to come. The call answers with
an assessment, so the new store is given the assessment model of the session's scored world (a new
store's first day, with a model trained elsewhere).
"""

from __future__ import annotations

import csv
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from test_api_support import LiveServer, make_settings

SRC = "day"
TIMEOUT_S = 240


class Gate:
    """The real store; the job's second `create_linked_nodes` of items waits (at most 60 s) until a
    short writer waits for the slot."""

    def __init__(self, store: Any):
        self._store = store
        self.slot: Any = None
        self.creates = 0
        self.waited = threading.Event()

    def __getattr__(self, name: str) -> Any:
        v = getattr(self._store, name)
        if name != "create_linked_nodes":
            return v

        def create(stmt: str, label: str, rows: list[dict[str, Any]], *a: Any, **k: Any) -> Any:
            if label == "Declaration" and threading.current_thread().name.startswith("tamga-ingest-writer"):
                self.creates += 1
                if self.creates == 2 and self.slot is not None:
                    deadline = time.monotonic() + 60
                    while self.slot.waiting() < 1 and time.monotonic() < deadline:
                        time.sleep(0.01)
                    self.waited.set()
            return v(stmt, label, rows, *a, **k)
        return create


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _body(row: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {k: v for k, v in row.items() if v != ""}
    body["item_no"] = int(body["item_no"])
    for k in ("net_mass_kg", "gross_mass_kg", "quantity", "customs_value", "duty_rate", "duty_amount"):
        if k in body:
            body[k] = float(body[k])
    return body


def test_an_item_posted_between_batches_of_a_job_on_an_empty_store_is_stored_once(scored_world,
                                                                                  tmp_path) -> None:
    from api.auth import create_key
    from graph.ledger import Ledger
    from graph.store import open_store
    from ingest.simulate import generate_world

    roots = tmp_path / "roots"
    generate_world(roots / "day", seed=5, declarations=1500)
    s = make_settings(tmp_path, ingest_roots=[roots], batch_size=100)
    shutil.copytree(scored_world.settings.data_dir / "models", s.data_dir / "models")
    store = open_store(s)
    store.ensure_schema()
    key = create_key(store, "system-user", "system")
    gate = Gate(store)
    last = _rows(roots / "day" / "declarations.csv")[-1]  # in the job's last batch
    item_key = f"{SRC}:{last['declaration_id']}/{last['item_no']}"
    try:
        with LiveServer(s, gate) as server:  # type: ignore[arg-type]
            gate.slot = server.app.state.tamga.jobs.slot
            with httpx.Client(base_url=server.url, timeout=120, headers={"X-API-Key": key}) as c:
                r = c.post("/api/v1/ingest-runs", json={"path": str(roots / "day"), "source": SRC})
                assert r.status_code == 202, r.text
                job = r.json()
                deadline = time.monotonic() + TIMEOUT_S
                while gate.creates < 2 and time.monotonic() < deadline:  # the job is in its items
                    time.sleep(0.005)
                resp = c.post("/api/v1/declarations", json={"items": [_body(last)], "source": SRC},
                              params={"provisional": "off"})
                assert resp.status_code == 201, resp.text
                assert resp.json()["items"][0]["stored"] is True  # stored by the call, not by the job
                assert gate.waited.is_set()
                while time.monotonic() < deadline:
                    done = c.get(job["location"]).json()
                    if done["state"] not in ("queued", "running"):
                        break
                    time.sleep(0.05)
            server.app.state.tamga.jobs.posted.flush()
            assert done["state"] == "done", repr({k: v for k, v in done.items() if k != "report"})[:3000]
            assert done["phases"]["declarations"].get("let_in", 0) >= 1
            n = store.execute("MATCH (d:Declaration {key: $k}) RETURN count(d) AS n", {"k": item_key})[0]["n"]
            assert n == 1, f"the item posted between batches is stored {n} times"
            total = store.execute("MATCH (d:Declaration) RETURN count(d) AS n")[0]["n"]
            assert total == len(_rows(roots / "day" / "declarations.csv"))
            decl = done["report"]["files"]["declarations"]
            assert decl["existing"] == 1 and decl["loaded"] == total - 1, decl
            ledger = Ledger(s.data_dir / "ledger")
            for table in (ledger.current("declarations", columns=["declaration_id", "item_no"]),
                          ledger.history("declarations", columns=["declaration_id", "item_no"])):
                ids = list(zip(table.column("declaration_id").to_pylist(),
                               table.column("item_no").to_pylist(), strict=True))
                assert ids.count((last["declaration_id"], int(last["item_no"]))) == 1
    finally:
        store.close()
