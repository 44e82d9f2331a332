"""Jobs over real HTTP: ingest (a folder under the allowed roots, or an upload) and scoring run
inside the server while read routes answer; cancel, re-run, scopes, hand-off token, metrics.

Each test has its own server on its own empty store (the real app under uvicorn, `LiveServer`),
and simulated bundles written by the product's own generator.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tarfile
import time
import zipfile
from pathlib import Path

import httpx
import pytest
from test_api_support import LiveServer, make_settings

from api.auth import create_key
from graph.store import open_store
from ingest.load import count_graph, ingest_bundle

TIMEOUT_S = 240


@pytest.fixture(scope="module")
def bundles(tmp_path_factory) -> Path:
    """Two seeded worlds under one ingest root."""
    from ingest.simulate import generate_world

    root = tmp_path_factory.mktemp("roots")
    generate_world(root / "small", seed=11, declarations=1500)
    generate_world(root / "bigger", seed=12, declarations=4000)
    return root


class Served:
    def __init__(self, tmp: Path, **kw):
        self.settings = make_settings(tmp, **kw)
        self.store = open_store(self.settings)
        self.store.ensure_schema()
        self.keys = {r: create_key(self.store, f"{r}-user", r) for r in ("investigator", "auditor", "system",
                                                                         "admin")}
        self.server = LiveServer(self.settings, self.store)

    def __enter__(self):
        self.server.__enter__()
        self.url = self.server.url
        return self

    def __exit__(self, *exc):
        self.server.__exit__(*exc)
        self.store.close()

    def client(self, role: str = "admin") -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"X-API-Key": self.keys[role]}, timeout=60)

    def wait(self, c: httpx.Client, job: dict, until=lambda j: j["state"] not in ("queued", "running"),
             during=None) -> dict:
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            j = c.get(job["location"]).json()
            if during is not None:
                during(j)
            if until(j):
                return j
            time.sleep(0.05)
        raise AssertionError(f"job {job['id']} did not get there in {TIMEOUT_S} s: {j}")


def _rows(path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as f:
        return sum(1 for _ in csv.DictReader(f))


def _data_counts(store) -> tuple[dict, dict]:
    nodes, rels = count_graph(store)
    nodes = {k: v for k, v in nodes.items() if k not in ("IngestRun", "AuditEvent", "ApiKey")}
    return nodes, rels


def _reference_counts(tmp: Path, bundle: Path) -> tuple[dict, dict]:
    """The counts of one uninterrupted ingest of `bundle` into a fresh store (the library, no server)."""
    s = make_settings(tmp)
    st = open_store(s)
    try:
        st.ensure_schema()
        ingest_bundle(st, bundle, settings=s, progress=False)
        return _data_counts(st)
    finally:
        st.close()


def test_ingest_job_by_path_goes_done_while_reads_answer(bundles: Path, tmp_path: Path) -> None:
    world = bundles / "bigger"
    with Served(tmp_path, ingest_roots=[bundles], batch_size=200) as srv, srv.client("system") as c, \
            srv.client("investigator") as reader:
        r = c.post("/api/v1/ingest-runs", json={"path": str(world)})
        assert r.status_code == 202, r.text
        job = r.json()
        assert r.headers["location"] == f"/api/v1/jobs/{job['id']}" == job["location"]
        assert job["state"] in ("queued", "running")
        seen = {"reads": 0, "writer": None}

        def read_during(j: dict) -> None:
            if j["state"] == "running":
                assert reader.get("/api/v1/entities/search", params={"q": "trade"}).status_code == 200
                seen["reads"] += 1
                ready = httpx.get(srv.url + "/readyz").json()
                if ready.get("writer"):
                    seen["writer"] = ready["writer"]

        done = srv.wait(c, job, during=read_during)
        assert done["state"] == "done", done
        assert seen["reads"] >= 1, "no read happened while the job ran"
        assert (seen["writer"] is not None and seen["writer"]["job"] == job["id"]
                and seen["writer"]["kind"] == "ingest")
        assert done["report"]["status"] == "done" and done["summary"].startswith("Ingest ")
        assert done["phases"]["declarations"]["rows"] == _rows(world / "declarations.csv")
        assert all(p["seconds"] is not None for p in done["phases"].values()), done["phases"]
        nodes, _ = _data_counts(srv.store)
        assert nodes["Declaration"] == _rows(world / "declarations.csv")
        assert nodes["Party"] == _rows(world / "parties.csv")
        # the API reflects it: a party of the bundle is found
        with (world / "parties.csv").open(encoding="utf-8", newline="") as f:
            name = next(csv.DictReader(f))["name"]
        hits = reader.get("/api/v1/entities/search", params={"q": name}).json()["items"]
        assert name in [h["name"] for h in hits]
        assert httpx.get(srv.url + "/readyz").json()["writer"] is None
        with srv.client("auditor") as a:
            trail = a.get("/api/v1/audit", params={"user": "system-user", "limit": 200}).json()
        actions = [e["action"] for e in trail if job["id"] in e["target"]]
        assert {"job.submit", "job.start", "job.finish", "job.read"} <= set(actions), actions
        metrics = httpx.get(srv.url + "/metrics").text
        assert 'tamga_job_duration_seconds_count{kind="ingest",outcome="done"} 1.0' in metrics
        assert ("tamga_ingest_rows_per_second " in metrics
                and "tamga_ingest_rows_per_second 0.0" not in metrics)
        assert "tamga_job_queue_length 0.0" in metrics and "tamga_data_version 1.0" in metrics
        record = srv.settings.data_dir / "jobs" / f"{job['id']}.json"
        assert json.loads(record.read_text())["state"] == "done"
        assert oct(record.stat().st_mode & 0o777) == "0o600"
        assert oct(record.parent.stat().st_mode & 0o777) == "0o700"


def test_paths_outside_the_roots_and_links_out_of_them_are_refused(bundles: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "root"
    root.mkdir()
    (root / "escape").symlink_to(bundles / "small")  # a link inside the root to a folder outside it
    with Served(tmp_path, ingest_roots=[root]) as srv, srv.client("system") as c:
        for path in (str(outside), str(root / "escape"), str(root / ".." / "outside"), "relative/path"):
            r = c.post("/api/v1/ingest-runs", json={"path": path})
            assert r.status_code == 422, (path, r.text)
            assert r.headers["content-type"] == "application/problem+json"
        r = c.post("/api/v1/ingest-runs", json={"path": str(root), "profile": "/etc/passwd"})
        assert r.status_code == 422 and "profile" in r.json()["detail"]
        assert c.get("/api/v1/jobs").json() == []
        with srv.client("admin") as a:
            trail = a.get("/api/v1/audit", params={"action": "job.submit"}).json()
        assert len(trail) >= 4 and all(e["status"] == 422 for e in trail)
    with Served(tmp_path / "none") as srv, srv.client("system") as c:  # no roots: no path at all
        r = c.post("/api/v1/ingest-runs", json={"path": str(bundles / "small")})
        assert r.status_code == 422 and "TAMGA_INGEST_ROOTS" in r.json()["detail"]


def _zip(world: Path, extra: dict[str, bytes] | None = None, link: bool = False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(world.glob("*.csv")):
            z.write(p, f"day/{p.name}")
        for name, data in (extra or {}).items():
            z.writestr(name, data)
        if link:
            info = zipfile.ZipInfo("parties2.csv")
            info.external_attr = (0o120777 << 16)
            z.writestr(info, "/etc/passwd")
    return buf.getvalue()


def _targz(world: Path, link: bool = False) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for p in sorted(world.glob("*.csv")):
            t.add(p, arcname=p.name)
        if link:
            info = tarfile.TarInfo("offences2.csv")
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
            t.addfile(info)
    return buf.getvalue()


def test_uploaded_bundles_load_and_unsafe_archives_are_refused(bundles: Path, tmp_path: Path) -> None:
    world = bundles / "small"
    expected = _reference_counts(tmp_path / "ref", world)
    with Served(tmp_path, job_upload_max_bytes=20 * 2**20) as srv, srv.client("system") as c:
        r = c.post("/api/v1/ingest-runs", content=_zip(world), headers={"Content-Type": "application/zip"})
        assert r.status_code == 202, r.text
        job = srv.wait(c, r.json())
        assert job["state"] == "done", job
        assert sorted(job["input"]["files"]) == sorted(p.name for p in world.glob("*.csv"))
        assert "path" not in job["input"]  # the server's own folder is not shown
        assert _data_counts(srv.store) == expected
        # the same bundle as multipart CSV files, then as .tar.gz: idempotent, the counts stay
        files = [("files", (p.name, p.read_bytes(), "text/csv")) for p in sorted(world.glob("*.csv"))]
        r = c.post("/api/v1/ingest-runs", files=files)
        assert r.status_code == 202, r.text
        assert srv.wait(c, r.json())["state"] == "done"
        r = c.post("/api/v1/ingest-runs", content=_targz(world), headers={"Content-Type": "application/gzip"})
        assert r.status_code == 202, r.text
        assert srv.wait(c, r.json())["state"] == "done"
        assert _data_counts(srv.store) == expected
        r = c.post(job["location"] + "/rerun")  # its upload went when it was done
        assert r.status_code == 409 and "upload it again" in r.json()["detail"]
        for body, ctype, why in ((_zip(world, link=True), "application/zip", "symbolic link"),
                                 (_targz(world, link=True), "application/gzip", "link"),
                                 (_zip(world, {"evil.sh": b"rm -rf /"}), "application/zip", "evil.sh"),
                                 (b"not a zip", "application/zip", ".zip"),
                                 (b"a,b\n", "text/plain", "unsupported content type")):
            r = c.post("/api/v1/ingest-runs", content=body, headers={"Content-Type": ctype})
            assert r.status_code == 422, (why, r.text)
            assert why in r.json()["detail"]
        bomb = io.BytesIO()
        with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("declarations.csv", b"0" * (30 * 2**20))  # 30 MiB of zeros: ~30 KiB compressed
        with Served(tmp_path / "small-limit", job_upload_max_expanded_bytes=2**20) as tight, \
                tight.client("system") as t:
            r = t.post("/api/v1/ingest-runs", content=bomb.getvalue(),
                       headers={"Content-Type": "application/zip"})
            assert r.status_code == 413 and "job_upload_max_expanded_bytes" in r.json()["detail"]
        r = c.post("/api/v1/ingest-runs", content=b"0" * (21 * 2**20),
                   headers={"Content-Type": "application/zip"})
        assert r.status_code == 413


def test_a_bad_bundle_fails_as_bad_input_and_names_the_column(bundles: Path, tmp_path: Path) -> None:
    bad = tmp_path / "root" / "bad"
    bad.mkdir(parents=True)
    for p in (bundles / "small").glob("*.csv"):
        text = p.read_text(encoding="utf-8")
        if p.name == "declarations.csv":
            text = text.replace("hs_code", "hs_kode", 1)
        (bad / p.name).write_text(text, encoding="utf-8")
    with Served(tmp_path, ingest_roots=[tmp_path / "root"]) as srv, srv.client("system") as c:
        job = srv.wait(c, c.post("/api/v1/ingest-runs", json={"path": str(bad)}).json())
        assert job["state"] == "failed" and job["error_kind"] == "bad_input", job
        assert "hs_code" in job["error"] and "declarations" in job["error"]
        assert _data_counts(srv.store)[0].get("Declaration", 0) == 0


def test_cancel_a_queued_job_and_a_running_ingest_then_rerun_to_the_same_counts(bundles: Path,
                                                                                tmp_path: Path) -> None:
    world = bundles / "bigger"
    expected = _reference_counts(tmp_path / "ref", world)
    with Served(tmp_path, ingest_roots=[bundles], batch_size=25) as srv, srv.client("admin") as c:
        running = c.post("/api/v1/ingest-runs", json={"path": str(world)}).json()
        queued = c.post("/api/v1/score-runs", json={"communities": False}).json()
        r = c.delete(queued["location"])
        assert r.status_code == 202 and r.json()["state"] == "cancelled"
        assert c.delete(queued["location"]).status_code == 409  # cancelled already
        srv.wait(c, running, until=lambda j: (j["phases"].get("declarations") or {}).get("rows", 0) >= 500)
        r = c.delete(running["location"])
        assert r.status_code == 202 and r.json()["cancel_requested"]
        stopped = srv.wait(c, running)
        assert stopped["state"] == "cancelled", stopped
        assert "batch boundary" in stopped["error"] and stopped["report"]["status"] == "cancelled"
        part = _data_counts(srv.store)[0].get("Declaration", 0)
        assert 0 < part < expected[0]["Declaration"]
        assert c.get(queued["location"]).json()["state"] == "cancelled"  # never ran
        r = c.post(running["location"] + "/rerun")
        assert r.status_code == 202 and r.json()["rerun_of"] == running["id"]
        assert srv.wait(c, r.json())["state"] == "done"
        assert _data_counts(srv.store) == expected
        with srv.client("auditor") as a:
            trail = a.get("/api/v1/audit", params={"action": "job.cancel"}).json()
        assert {e["user"] for e in trail} == {"admin-user"} and len(trail) == 2


def test_score_job_writes_scores_and_scopes_guard_the_kinds(bundles: Path, tmp_path: Path) -> None:
    with Served(tmp_path, ingest_roots=[bundles]) as srv, srv.client("admin") as c:
        loaded = c.post("/api/v1/ingest-runs", json={"path": str(bundles / "small")}).json()
        assert srv.wait(c, loaded)["state"] == "done"
        with srv.client("investigator") as inv:
            r = inv.post("/api/v1/score-runs", json={})
            assert r.status_code == 403 and "score:run" in r.json()["detail"]
        with srv.client("system") as sysc:  # the system role runs scoring (a scheduler, say)
            r = sysc.post("/api/v1/score-runs", json={"communities": False})
            assert r.status_code == 202, r.text
            job = srv.wait(sysc, r.json())
        assert job["state"] == "done", job
        assert job["report"]["run"].startswith("score:")
        assert {"frames", "resolve", "risk", "write"} <= set(job["phases"])
        # after the job, the server computes the item summary ahead (the views' first call waits not)
        from graph.pipeline import item_summary

        deadline = time.monotonic() + 60
        while (item_summary._CACHE.get(srv.store) is None
               or item_summary._CACHE[srv.store].version != item_summary.version(srv.store)):
            assert time.monotonic() < deadline, "the item summary was not computed after the job"
            time.sleep(0.1)
        assert srv.store.run("analytics.latest_score_runs", limit=1)
        with srv.client("investigator") as inv:
            assert inv.get("/api/v1/entities/search", params={"q": "a"}).status_code == 200
        metrics = httpx.get(srv.url + "/metrics").text
        assert 'tamga_job_duration_seconds_count{kind="score",outcome="done"} 1.0' in metrics
        assert "tamga_data_version 2.0" in metrics
        listed = c.get("/api/v1/jobs").json()
        assert [j["kind"] for j in listed] == ["score", "ingest"]
        assert c.get("/api/v1/jobs/j20260101T000000-0000000000").status_code == 404


def test_the_handoff_header_is_refused_without_the_servers_token(tmp_path: Path) -> None:
    with Served(tmp_path) as srv:
        for token in ("", "guess", "x" * 43):
            r = httpx.post(srv.url + "/api/v1/score-runs", json={}, headers={"X-Tamga-Handoff": token})
            assert r.status_code == 401, token
        # and the token is no key for other routes: a header alone opens nothing else
        assert httpx.get(srv.url + "/api/v1/audit", headers={"X-Tamga-Handoff": "guess"}).status_code == 401
        with srv.client("admin") as a:
            fails = a.get("/api/v1/audit", params={"action": "auth.failed"}).json()
        assert sum(1 for e in fails if e["target"] == "handoff token") == 3
    assert os.path.exists(srv.settings.data_dir / "jobs")


def test_a_job_running_at_shutdown_is_interrupted_and_queued_ones_wait_for_the_next_start(
        bundles: Path, tmp_path: Path) -> None:
    world = bundles / "bigger"
    expected = _reference_counts(tmp_path / "ref", world)
    with Served(tmp_path, ingest_roots=[bundles], batch_size=25) as srv, srv.client("admin") as c:
        running = c.post("/api/v1/ingest-runs", json={"path": str(world)}).json()
        waiting = c.post("/api/v1/ingest-runs", json={"path": str(world)}).json()
        srv.wait(c, running, until=lambda j: (j["phases"].get("declarations") or {}).get("rows", 0) >= 200)
    # the server stopped (its lifespan ended) while the first job ran
    with Served(tmp_path, ingest_roots=[bundles]) as srv, srv.client("admin") as c:
        stopped = c.get(running["location"]).json()
        assert (stopped["state"] == "interrupted"
                and stopped["error"].startswith("the server stopped")), stopped
        assert not stopped["cancel_requested"]
        assert srv.wait(c, waiting)["state"] == "done"  # queued again at this start, and it completes the run
        assert _data_counts(srv.store) == expected
