"""The local hand-off: `tamga ingest` and `tamga score` find a running `tamga serve` of the same data
folder and submit their job to it, instead of failing on the store the server holds.

At start `tamga serve` writes `<data_dir>/server.json` (pid, host, port and a random token),
mode 0600 in the 0700 data folder, and removes it at shutdown. The CLI reads it only when the file
is its own user's and not readable by others, checks that the pid is alive and the server answers,
and sends the token in the X-Tamga-Handoff header, which only the job routes accept (compared in
constant time, from loopback only; `api.deps.JobAccess`). Why a token file rather than an API key:
no key on the command line or in the shell's history, and nobody but the data folder's owner (who
could open the store directly when no server holds it) can read it. A stale file (the server was
killed) is ignored and replaced at the next start.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api.services.jobs import _write_private, private_dir
from graph.settings import Settings

FILE = "server.json"
HEADER = "X-Tamga-Handoff"
POLL_S = 0.5


def server_file(s: Settings) -> Path:
    return s.data_dir / FILE


def new_token() -> str:
    return secrets.token_urlsafe(32)


def publish(s: Settings, host: str, port: int, token: str) -> Path:
    """Write server.json (0600, data folder 0700)."""
    private_dir(s.data_dir)
    path = server_file(s)
    connect = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    _write_private(path, json.dumps({"pid": os.getpid(), "host": connect, "port": port,
                                     "token": token}).encode())
    return path


def withdraw(s: Settings, token: str) -> None:
    """Remove server.json if it is still this server's."""
    path = server_file(s)
    with contextlib.suppress(OSError, ValueError):
        if json.loads(path.read_text(encoding="utf-8")).get("token") == token:
            path.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class Server:
    url: str
    token: str

    def call(self, method: str, path: str, body: dict[str, Any] | None = None, *,
             token: bool = True) -> tuple[int, dict[str, Any]]:
        """(status, JSON body) of one request (urllib: the product has no HTTP client dependency)."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header(HEADER, self.token)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            try:
                return e.code, json.loads(e.read() or b"{}")
            except ValueError:
                return e.code, {}


def find_server(s: Settings) -> Server | None:
    """The running server of this data folder, or None (no file, not ours, stale, or not answering)."""
    path = server_file(s)
    try:
        st = path.stat()
    except OSError:
        return None
    if st.st_uid != os.getuid() or stat.S_IMODE(st.st_mode) & 0o077:
        print(f"warning: {path} is not private to this user: ignored", file=sys.stderr)
        return None
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        pid, host, port, token = int(info["pid"]), str(info["host"]), int(info["port"]), str(info["token"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not _alive(pid):
        return None
    host = f"[{host}]" if ":" in host else host
    server = Server(f"http://{host}:{port}", token)
    for _ in range(20):  # a server under load may be slow to answer
        try:
            if server.call("GET", "/healthz", token=False)[0] == 200:
                return server
        except (OSError, ValueError):
            pass
        time.sleep(0.25)
    return None


def follow(server: Server, submit: tuple[str, dict[str, Any]], *, progress: bool, tag: str) -> dict[str, Any]:
    """Submit a job, show its phases on stderr as they begin and end, and return its final record.
    Ctrl-C cancels the job on the server."""
    path, body = submit
    status, job = server.call("POST", path, body)
    if status != 202:
        return {"state": "failed", "error": f"the server refused the job ({status}): {job.get('detail')}",
                "error_kind": "bad_input" if status in (413, 422) else "failure"}
    if progress:
        print(f"[{tag}] job {job['id']} on the running server {server.url}", file=sys.stderr, flush=True)
    shown: dict[str, Any] = {}
    try:
        while True:
            status, now = server.call("GET", job["location"])
            if status == 200:
                job = now
            if progress:
                _show(job, shown, tag)
            if job["state"] in ("done", "failed", "cancelled", "interrupted"):
                return job
            time.sleep(POLL_S)
    except KeyboardInterrupt:
        server.call("DELETE", job["location"])
        print(f"[{tag}] cancel requested for job {job['id']}", file=sys.stderr, flush=True)
        raise


def _show(job: dict[str, Any], shown: dict[str, Any], tag: str) -> None:
    for name, ph in (job.get("phases") or {}).items():
        state = (ph.get("seconds"), ph.get("rows"))
        if shown.get(name) == state:
            continue
        shown[name] = state
        if ph.get("seconds") is not None:
            rows = f", {ph['rows']:,} rows" if ph.get("rows") is not None else ""
            print(f"[{tag}] {name} {ph['seconds']:.2f}s{rows}", file=sys.stderr, flush=True)
        elif ph.get("rows") is not None:
            print(f"[{tag}] {name} ... {ph['rows']:,} rows", file=sys.stderr, flush=True)
        else:
            print(f"[{tag}] {name} ...", file=sys.stderr, flush=True)
