"""The embedded store: Grafeo (a real database on disk, a file plus its write-ahead log).

One process holds the file at a time (Grafeo locks it). Opening a held store raises
`StoreBusyError` with what to do. Automatic checkpoints are off in Grafeo by default: they are
switched on here so that a killed process loses at most the WAL tail that recovery replays.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import grafeo

from graph.settings import Settings, get_settings
from graph.store import GraphStore, StoreBusyError, StoreError


class GrafeoStore(GraphStore):
    backend = "grafeo"

    def __init__(self, path: Path | None, *, read_only: bool = False, settings: Settings | None = None):
        s = settings or get_settings()
        self.path = path
        # Grafeo's Python binding is called from FastAPI's thread pool: serialise writes, let reads run.
        self._write_lock = threading.Lock()
        try:
            if path is None:
                self._db = grafeo.GrafeoDB()
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                if read_only:
                    self._db = grafeo.GrafeoDB.open_read_only(str(path))
                else:
                    self._db = grafeo.GrafeoDB(str(path))
                    self._db.set_checkpoint_triggers(interval_secs=s.checkpoint_interval_s,
                                                     wal_bytes=s.checkpoint_wal_bytes)
        except grafeo.GrafeoError as e:
            if "cannot be locked" in str(e) or "lock" in str(e).lower():
                raise StoreBusyError(
                    f"The store at {path} is held by another Tamga process (for example `tamga serve` or a "
                    "running ingest). Stop that process, or wait for it to finish, then run this command again; "
                    "or set TAMGA_DATA_DIR to use another store."
                ) from e
            raise StoreError(f"cannot open the store at {path}: {e}") from e

    def execute(self, text: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        try:
            if _is_write(text):
                with self._write_lock:
                    return self._db.execute_cypher(text, params or {}).to_list()
            return self._db.execute_cypher(text, params or {}).to_list()
        except grafeo.GrafeoError as e:
            raise StoreError(f"{e}\nin statement: {text[:300]}") from e

    def checkpoint(self) -> None:
        if self.path is not None:
            self._db.wal_checkpoint()

    def close(self) -> None:
        if getattr(self, "_db", None) is not None:
            try:
                self.checkpoint()
            finally:
                self._db.close()
                self._db = None


_WRITE_WORDS = ("CREATE", "MERGE", "SET ", "DELETE", "REMOVE", "DROP")


def _is_write(text: str) -> bool:
    upper = text.upper()
    return any(w in upper for w in _WRITE_WORDS)
