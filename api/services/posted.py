"""Rows posted to the API reach the ledger in batches, through a journal that loses none of them.

Why: the ledger writes a Parquet part per flush (an fsync of the part and of its folder) and
hashes every appended batch (a digest per row, through pandas: about the same cost for one row as
for a thousand), and both per one-item call were most of the call's time and its tail (measured
at 100k items on a busy machine: flush 17 ms and digests 28 ms of a 45 ms lean ingest, and
thousands of one-row parts for the analytics to read). So the API's calls hand their ledger rows
to a `LedgerBuffer` (`ingest_rows(ledger=...)`), and `flush` appends them to the ledger in one
batch per kind and writes them, every `FLUSH_S` seconds, before a scoring job reads the ledger,
and at shutdown.

The guarantee (a row the API stored is never missing from the ledger): before the store write,
the call's rows (and the parties' records handed with them) are appended to a journal,
`<data_dir>/ledger-journal/posted.jsonl` (0600), one JSON line per call; a call whose write
failed appends a line voiding its entry. A flush renames the journal aside and takes the buffer
under the store's writer slot (for that instant only: no call is between its journal line and
its buffered rows then), appends and writes them outside it, then deletes the renamed file. At
start-up (`replay`), the entries of any journal left by a process that died are loaded again
through the same lean ingest:
idempotent in the store (the items exist) and in the ledger (rows are deduplicated by digest),
so the rows are in both. The journal line is written to the operating system before the store
write, not fsynced: it survives the process's death (`kill -9`), as the store's own WAL; a power
cut may take the last seconds of both.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from graph.domain.encoding import to_json
from graph.ledger import Ledger
from graph.settings import Settings
from graph.store import GraphStore

log = logging.getLogger("tamga.api.posted")

FLUSH_S = 2.0
NAME = "posted.jsonl"


class LedgerBuffer:
    """The ledger rows of posted calls, by kind and source, until a flush takes them (the loader
    calls `append` as it would the ledger's)."""

    #: the ledger's writer-thread seconds, which the ingest report reads: none here (the rows are
    #: written later, in one batch, by `PostedLog.flush`)
    write_seconds = 0.0

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], dict[str, list[Any]]] = {}
        self._lock = threading.Lock()

    def append(self, kind: str, rows: dict[str, list[Any]], source: str) -> int:
        n = len(next(iter(rows.values()), []))
        with self._lock:
            have = self._rows.setdefault((kind, source), {})
            before = len(next(iter(have.values()), []))
            for c in set(have) | set(rows):
                have.setdefault(c, [None] * before).extend(rows.get(c) or [None] * n)
        return n

    def flush(self) -> None:
        """The loader's last phase (the ledger's flush): here the rows wait for `PostedLog.flush`."""

    def take(self) -> dict[tuple[str, str], dict[str, list[Any]]]:
        with self._lock:
            rows, self._rows = self._rows, {}
        return rows


def _write(rows: dict[tuple[str, str], dict[str, list[Any]]], settings: Settings) -> None:
    ledger = Ledger.of(settings)
    for (kind, source), cols in rows.items():
        ledger.append(kind, cols, source)
    ledger.flush()


class PostedLog:
    def __init__(self, settings: Settings, hold: Callable[[str], AbstractContextManager[Any]]):
        self.s, self.hold = settings, hold
        self.dir = settings.data_dir / "ledger-journal"
        self.buffer = LedgerBuffer()
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._dirty = False

    def _open(self) -> int:
        if self._fd is None:
            self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._fd = os.open(self.dir / NAME, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return self._fd

    def _line(self, entry: dict[str, Any]) -> None:
        data = (to_json(entry) + "\n").encode()
        with self._lock:
            os.write(self._open(), data)  # one write per line: O_APPEND keeps lines whole
            self._dirty = True

    def record(self, source: str, rows: dict[str, list[dict[str, Any]]],
               parties: list[dict[str, Any]]) -> str:
        """Journal a call's rows before they are written; returns the entry's id (for `void`)."""
        eid = secrets.token_hex(8)
        self._line({"id": eid, "source": source, "rows": rows, "parties": parties})
        return eid

    def void(self, eid: str) -> None:
        """The call's write failed: its entry is not to be replayed."""
        self._line({"void": eid})

    def flush(self) -> None:
        """The buffered rows into the ledger, then the journal they came with is dropped."""
        if not self._dirty:  # nothing posted since the last flush: the writer is not asked for
            return
        with self.hold("ledger flush"):
            with self._lock:
                if not self._dirty:
                    return
                if self._fd is not None:
                    os.close(self._fd)
                    self._fd = None
                aside = self.dir / f"posted.{secrets.token_hex(4)}.flushing"
                os.replace(self.dir / NAME, aside)
                self._dirty = False
            rows = self.buffer.take()
        _write(rows, self.s)
        aside.unlink()

    def replay(self, store: GraphStore) -> int:
        """Load the entries of journals a dead process left (module docstring); returns how many."""
        from ingest.load import ingest_rows

        files = sorted(self.dir.glob("posted.*.flushing")) + [p for p in [self.dir / NAME] if p.exists()]
        if not files:
            return 0
        entries: dict[str, dict[str, Any]] = {}
        for path in files:
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    e = json.loads(line)
                except ValueError:  # a line cut short by the death: its call was not answered
                    continue
                if "void" in e:
                    entries.pop(e["void"], None)
                else:
                    entries[e["id"]] = e
        for e in entries.values():
            try:
                ingest_rows(store, {"parties": e["parties"], **e["rows"]}, source=e["source"],
                            settings=self.s, label="api:replay", record=False, parties_stored=True,
                            ledger=self.buffer)
            except Exception:  # one bad entry must not keep the server down; the rest load
                log.exception("journal entry %s could not be replayed", e.get("id"))
        _write(self.buffer.take(), self.s)
        for path in files:
            path.unlink()
        log.warning("replayed %d posted calls into the ledger from the journal", len(entries))
        return len(entries)

    def start(self, stopping: threading.Event) -> None:
        def loop() -> None:
            while not stopping.wait(FLUSH_S):
                try:
                    self.flush()
                except Exception:  # the next round tries again; the journal keeps the rows meanwhile
                    log.exception("ledger flush of posted rows failed")

        threading.Thread(target=loop, name="tamga-ledger-flush", daemon=True).start()

    def close(self) -> None:
        self.flush()
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
