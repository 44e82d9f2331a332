"""`tamga serve` as a user runs it, in its own process: the CLI hands its jobs to it, and `kill -9`
during an ingest job and during a scoring job leaves a store that opens, a job reported
interrupted, and a re-run that ends where an uninterrupted run ends (counts and scores), with the
audit trail intact.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from test_api_support import free_port

TAMGA = [sys.executable, "-m", "api.cli"]
SKIP_NODES = ("IngestRun", "AuditEvent", "ApiKey", "ScoreRun")


def _env(data: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "TAMGA_DATA_DIR": str(data), "TAMGA_ENV": "development", **extra}


def _run(args: list[str], data: Path, timeout: float = 600, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([*TAMGA, *args], env=_env(data, **extra), capture_output=True, text=True,
                          timeout=timeout, check=False)


class Serve:
    """`tamga serve` in a child process, ready once it published server.json."""

    def __init__(self, data: Path, **extra: str):
        self.data, self.extra, self.port = data, extra, free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        self.log = (self.data.parent / f"serve-{self.port}.log").open("w")
        self.proc = subprocess.Popen([*TAMGA, "serve", "--port", str(self.port)],
                                     env=_env(self.data, **self.extra),
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        info = self.data / "server.json"
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, (self.data.parent / f"serve-{self.port}.log").read_text()
            if info.exists() and json.loads(info.read_text()).get("pid") == self.proc.pid:
                return self
            time.sleep(0.05)
        raise AssertionError("tamga serve did not publish server.json")

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def __exit__(self, *exc) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(90)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def _wait(c: httpx.Client, location: str, until, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        j = c.get(location).json()
        if until(j):
            return j
        time.sleep(0.03)
    raise AssertionError(f"{location} did not get there: {j}")


def _trail(c: httpx.Client) -> list[dict]:
    """The whole audit trail, paged, each event once (reading the trail appends to it: a page may
    repeat the previous page's last event)."""
    out: dict[str, dict] = {}
    skip = 0
    while True:
        page = c.get("/api/v1/audit", params={"limit": 200, "skip": skip}).json()
        out.update((e["id"], e) for e in page)
        skip += len(page)
        if len(page) < 200:
            return list(out.values())


def _ended(j: dict) -> bool:
    return j["state"] not in ("queued", "running")


def _counts(data: Path) -> tuple[dict, dict]:
    r = _run(["status"], data)
    assert r.returncode == 0, r.stderr
    st = json.loads(r.stdout)
    return {k: v for k, v in st["nodes"].items() if k not in SKIP_NODES}, st["relationships"]


def _scores(data: Path) -> dict[str, tuple]:
    """Every party's risk score and rank, as the export gives them."""
    r = _run(["export", "entities", "--format", "json"], data)
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert rows
    return {row["party_id"]: (row["risk_score"], row["rank"]) for row in rows}


@pytest.fixture(scope="module")
def worlds(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("bundles")
    r = _run(["world", str(root / "day"), "--seed", "21", "--declarations", "3000"], root / "gen")
    assert r.returncode == 0, r.stderr
    bad = root / "bad"
    bad.mkdir()
    for p in (root / "day").glob("*.csv"):
        text = p.read_text(encoding="utf-8")
        (bad / p.name).write_text(text.replace("hs_code", "hs_kode", 1)
                                  if p.name == "declarations.csv" else text,
                                  encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def reference(worlds: Path, tmp_path_factory) -> dict:
    """One uninterrupted ingest and scoring run, by the CLI without a server."""
    data = tmp_path_factory.mktemp("ref") / "data"
    assert _run(["ingest", str(worlds / "day"), "--no-progress"], data).returncode == 0
    after_ingest = _counts(data)
    r = _run(["score"], data)
    assert r.returncode == 0, r.stderr
    return {"ingest": after_ingest, "score": _counts(data), "scores": _scores(data)}


def test_the_cli_hands_its_jobs_to_a_running_server(worlds: Path, reference: dict, tmp_path: Path) -> None:
    data = tmp_path / "data"
    key = _run(["keys", "create", "ops", "--role", "admin"], data).stdout.strip()
    assert key.startswith("tmg_")
    with Serve(data) as srv:
        info = data / "server.json"
        assert oct(info.stat().st_mode & 0o777) == "0o600" and oct(data.stat().st_mode & 0o777) == "0o700"
        token = json.loads(info.read_text())["token"]
        assert len(token) >= 40

        r = _run(["ingest", str(worlds / "day")], data)
        assert r.returncode == 0, r.stderr
        assert "on the running server" in r.stderr and "[ingest] declarations" in r.stderr
        assert r.stdout.startswith("Ingest ")
        r = _run(["ingest", str(worlds / "bad"), "--no-progress"], data)
        assert r.returncode == 2, (r.returncode, r.stderr)
        assert "hs_code" in r.stderr and "declarations" in r.stderr
        r = _run(["score"], data)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["run"].startswith("score:") and "[score] write" in r.stderr

        with httpx.Client(base_url=srv.url, headers={"X-API-Key": key}, timeout=30) as c:
            trail = c.get("/api/v1/audit", params={"user": "cli", "limit": 200}).json()
            acts = [(e["action"], e["client"]) for e in trail]
            assert acts.count(("job.submit", "cli")) == 3 and acts.count(("job.finish", "cli")) == 3, acts
            jobs = c.get("/api/v1/jobs").json()
            assert [(j["kind"], j["state"], j["user"]) for j in jobs] == [
                ("score", "done", "cli"), ("ingest", "failed", "cli"), ("ingest", "done", "cli")]
        wrong = httpx.post(srv.url + "/api/v1/score-runs", json={},
                           headers={"X-Tamga-Handoff": token[:-2] + "xx"})
        assert wrong.status_code == 401
        right = httpx.get(srv.url + "/api/v1/jobs", headers={"X-Tamga-Handoff": token})
        assert right.status_code == 200
        assert httpx.get(srv.url + "/api/v1/audit", headers={"X-Tamga-Handoff": token}).status_code == 401
    assert not (data / "server.json").exists()  # removed at shutdown
    assert _counts(data) == reference["score"]
    assert _scores(data) == reference["scores"]
    # with no server the commands run themselves, as before
    r = _run(["ingest", str(worlds / "day"), "--no-progress"], data)
    assert r.returncode == 0 and "running server" not in r.stderr, r.stderr


def test_kill_9_during_an_ingest_job_and_a_score_job_then_rerun(worlds: Path, reference: dict,
                                                                tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {"TAMGA_INGEST_ROOTS": json.dumps([str(worlds)]), "TAMGA_BATCH_SIZE": "20"}
    key = _run(["keys", "create", "ops", "--role", "admin"], data).stdout.strip()
    h = {"X-API-Key": key}

    with Serve(data, **env) as srv, httpx.Client(base_url=srv.url, headers=h, timeout=30) as c:
        ingest = c.post("/api/v1/ingest-runs", json={"path": str(worlds / "day")}).json()
        seen = _wait(c, ingest["location"], lambda j: _ended(j) or
                     (j["phases"].get("declarations") or {}).get("rows", 0) >= 400)
        assert seen["state"] == "running", seen
        before = {e["id"] for e in _trail(c)}
        srv.kill9()
    assert (data / "server.json").exists()  # left behind by the killed server: stale, ignored
    part = _counts(data)[0].get("Declaration", 0)
    assert 0 < part < reference["ingest"][0]["Declaration"]

    with Serve(data, **env) as srv, httpx.Client(base_url=srv.url, headers=h, timeout=30) as c:
        killed = c.get(ingest["location"]).json()
        assert killed["state"] == "interrupted" and "re-run" in killed["error"]
        ready = c.get("/readyz").json()
        assert [r["kind"] for r in ready["interrupted_runs"]] == ["ingest"]
        rerun = c.post(ingest["location"] + "/rerun").json()
        assert _wait(c, rerun["location"], _ended)["state"] == "done"
        assert c.get("/readyz").json()["interrupted_runs"] == []

        score = c.post("/api/v1/score-runs", json={}).json()
        # the steps after the write-back began ("write" itself is reported just before the run's
        # ScoreRun node is written: a kill at once could leave no started run to report)
        after_write = {"cover", "unit_values", "assessment", "audit", "write_declarations"}
        seen = _wait(c, score["location"], lambda j: _ended(j) or j["phase"] in after_write, timeout=600)
        assert seen["state"] == "running", seen  # killed while it writes its results back
        before |= {e["id"] for e in _trail(c)}
        srv.kill9()
    with Serve(data, **env) as srv, httpx.Client(base_url=srv.url, headers=h, timeout=30) as c:
        assert c.get(score["location"]).json()["state"] == "interrupted"
        assert [r["kind"] for r in c.get("/readyz").json()["interrupted_runs"]] == ["score"]
        rerun = c.post(score["location"] + "/rerun").json()
        assert _wait(c, rerun["location"], _ended, timeout=600)["state"] == "done"
        assert c.get("/readyz").json()["interrupted_runs"] == []
        trail = _trail(c)
        for job in (ingest, score):
            acts = {e["action"] for e in trail if job["id"] in (e["target"] or "")}
            assert {"job.submit", "job.start", "job.interrupted", "job.rerun"} <= acts, (job["id"], acts)
        assert before <= {e["id"] for e in trail}, "audit events recorded before a kill -9 went missing"
    assert _counts(data) == reference["score"]
    assert _scores(data) == reference["scores"]
