"""Reading, mapping and validating a contract file's inputs a batch at a time (`valid_batches`),
here or, for big files, in a reader process of its own (`in_reader_process`).

Its own module because it must touch no store and write nothing: the same code runs in the
loader's process and in the child `python -c` that the reader process is.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ingest.load.plan import FilePlan
from ingest.readers import ReadLimits
from ingest.validate import BatchValidator


@dataclass
class Batch:
    """The valid rows of one batch of one input, column-wise (bad rows already quarantined)."""

    source: str  # the input's name (a file name)
    lines: list[int]
    raw: list[dict[str, str]]  # as read, for the quarantine
    cols: dict[str, list[Any]]  # clean contract values, None where empty
    extra: list[dict[str, str]] | None  # columns outside the contract, per row (None: the file has none)

    def rows(self) -> Iterator[tuple[str, int, dict[str, Any], dict[str, str], dict[str, str]]]:
        """(source, line, clean values, raw row, extra columns) per row, for the small files."""
        names = list(self.cols)
        for i, values in enumerate(zip(*self.cols.values(), strict=True)):
            yield (self.source, self.lines[i], dict(zip(names, values, strict=True)), self.raw[i],
                   self.extra[i] if self.extra else {})


# Files at least this big are read, mapped and validated in a reader process while this process
# builds items and the writer thread stores them: parsing and the store's write both need the GIL,
# so on one process they take turns (measured at 1M rows: the two threads overlapped little).
READER_PROCESS_MIN_BYTES = 16 * 2**20

Problems = list[tuple[int, str, str, Any]]  # (line, column, reason, raw) of the rows refused


def valid_batches(plan: FilePlan, batch_size: int,
                  limits: ReadLimits) -> Iterator[tuple[str, Problems, int, Batch | None]]:
    """Read, map and validate a contract file's inputs a batch at a time: per batch (input name,
    the rows refused, rows read, the valid rows or None). Touches no store and writes nothing, so
    it runs the same here or in a reader process."""
    validator = BatchValidator(plan.name)
    for src in plan.sources:
        apply = plan.mapping.mapper(src.header)
        yielded = False
        for raws in src.batches(batch_size, limits):
            problems: Problems = [(r.line, r.problem[0], r.problem[1], r.raw) for r in raws
                                  if r.problem is not None]
            good = [r for r in raws if r.problem is None] if problems else raws
            batch = None
            if good:
                cols, extra = apply([r.values for r in good])
                clean, errors = validator(cols, len(good))
                if any(e is not None for e in errors):
                    problems += [(r.line, e.column, e.reason, r.values)
                                 for r, e in zip(good, errors, strict=True) if e is not None]
                    keep = [i for i, e in enumerate(errors) if e is None]
                    clean = {k: [v[i] for i in keep] for k, v in clean.items()}
                    extra = [extra[i] for i in keep] if extra is not None else None
                    good = [good[i] for i in keep]
                if good:
                    batch = Batch(src.name, [r.line for r in good], [r.values for r in good], clean, extra)
            yielded = True
            yield src.name, problems, len(raws), batch
        if not yielded:
            yield src.name, [], 0, None  # an empty file is still a file of the bundle


def in_reader_process(args: tuple, stats: dict[str, float]) -> Iterator[Any]:
    """`valid_batches(*args)` run in a child Python process, its batches received here one at a time
    (pickled down a pipe of their own). The pipe holds about one batch, so the reader runs at most
    a batch or two ahead (bounded memory). A fresh interpreter (`python -c`), not multiprocessing:
    spawn would run the caller's main script again in the child, and fork is unsafe in a process
    with threads (the writer's, the store's). An error in the reader is raised here; leaving early
    stops the reader; if this process dies, the reader's next write fails and it exits."""
    import pickle
    import subprocess

    rfd, wfd = os.pipe()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    proc = subprocess.Popen([sys.executable, "-c",
                             "from ingest.load.reader import reader_main; reader_main()", str(wfd)],
                            stdin=subprocess.PIPE, pass_fds=(wfd,), env=env)
    os.close(wfd)
    try:
        with os.fdopen(rfd, "rb") as pipe:
            assert proc.stdin is not None  # stdin=PIPE
            proc.stdin.write(pickle.dumps(args))
            proc.stdin.close()
            while True:
                try:
                    kind, value = pickle.load(pipe)
                except EOFError:
                    proc.wait(5)
                    raise RuntimeError("the ingest reader process stopped unexpectedly "
                                       f"(exit code {proc.returncode})") from None
                if kind == "batch":
                    yield value
                elif kind == "error":
                    raise value
                else:
                    stats["peak_rss_mb"] = value
                    return
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def reader_main() -> None:
    """The reader process: the arguments of `valid_batches` from stdin, every batch down the pipe
    (file descriptor in argv[1]), then its peak RSS (MB), or the error."""
    import pickle

    with os.fdopen(int(sys.argv[1]), "wb", buffering=1 << 20) as pipe:
        def send(msg: tuple) -> None:
            pickle.dump(msg, pipe, protocol=pickle.HIGHEST_PROTOCOL)
            pipe.flush()

        try:
            for item in valid_batches(*pickle.load(sys.stdin.buffer)):
                send(("batch", item))
            send(("done", peak_rss_mb()))
        except BrokenPipeError:
            pass  # the loader is gone
        except BaseException as e:  # noqa: BLE001 - every failure goes back to the loader, which raises it
            try:
                send(("error", e))
            except Exception:  # noqa: BLE001 - an exception that does not pickle
                send(("error", RuntimeError(f"{type(e).__name__}: {e}")))


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB: VmHWM, which starts afresh at exec (ru_maxrss keeps
    the high-water mark of the parent's pages this process was forked with, 0.6 GB at 1M rows)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)

