"""`kill -9` in the middle of an ingest: the one child script and the one way to kill it mid-run,
shared by the store's kill test (tests/ingest) and the ledger's (tests/graph/ledger)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: the ingest child: argv = data folder, bundle, batch size, READER_PROCESS_MIN_BYTES, ledger FLUSH_ROWS
#: ("-" leaves a knob as the product sets it); it prints BATCH before every batch write, DONE at the end
CHILD = textwrap.dedent("""
    import sys
    from pathlib import Path
    import graph.ledger.ledger
    import ingest.load.reader
    from graph.settings import Settings
    from graph.store import open_store
    from ingest.load import ingest_bundle

    data, bundle, batch, reader_min, flush = sys.argv[1:6]
    if reader_min != "-":
        ingest.load.reader.READER_PROCESS_MIN_BYTES = int(reader_min)
    if flush != "-":
        graph.ledger.ledger.FLUSH_ROWS = int(flush)
    s = Settings(env="test", data_dir=Path(data), batch_size=int(batch))
    store = open_store(s)
    create = store.create_linked_nodes

    def traced(*args, **kw):
        print("BATCH", flush=True)
        return create(*args, **kw)

    store.create_linked_nodes = traced  # observe progress only; the product's code runs unchanged
    ingest_bundle(store, bundle, settings=s, progress=False)
    print("DONE", flush=True)
""")


def children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def kill_ingest_mid_run(data_dir: Path, bundle: Path, *, batch: int, after_batches: int,
                        reader_min_bytes: int | None = None, flush_rows: int | None = None) -> list[int]:
    """Run the ingest child, `kill -9` it as its `after_batches`-th batch starts; the pids of its
    children at that moment (a reader process), for the caller to see they do not outlive it."""
    knobs = ["-" if v is None else str(v) for v in (reader_min_bytes, flush_rows)]
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(data_dir), str(bundle), str(batch), *knobs],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout is not None
    seen, readers = 0, []
    for line in proc.stdout:
        assert not line.startswith("DONE"), "the ingest finished before it could be killed"
        seen += line.startswith("BATCH")
        if seen == after_batches:
            readers = children(proc.pid)
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    return readers
