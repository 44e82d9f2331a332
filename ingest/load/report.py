"""The ingest report: what a run read, loaded, found stored already and quarantined, per file;
written as JSON and text into `settings.reports_dir` and stored as the run's IngestRun node.

Its own module because three callers share it: the loader fills it, the entry points write it,
and `tamga ingest` prints its summary.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from graph.domain.encoding import json_default
from graph.settings import Settings
from graph.store import GraphStore

# --------------------------------------------------------------------------- the report


@dataclass
class FileReport:
    read: int = 0
    loaded: int = 0
    existing: int = 0  # valid rows whose item was already stored (re-run): left unchanged
    quarantined: int = 0
    conflicts: int = 0  # of the quarantined: rows that change a stored party's name or country
    paths: list[str] = field(default_factory=list)


@dataclass
class IngestReport:
    run_id: str
    profile: str
    source: str
    path: str
    started_at: str
    finished_at: str = ""
    duration_s: float = 0.0
    status: str = "running"  # then "done" or "failed" (the IngestRun node's status, the same words)
    error: str | None = None  # why a failed run stopped
    # interrupted runs of the same input this one completed
    completes: list[str] = field(default_factory=list)
    files: dict[str, FileReport] = field(default_factory=dict)
    nodes_before: dict[str, int] = field(default_factory=dict)
    nodes_after: dict[str, int] = field(default_factory=dict)
    rels_before: dict[str, int] = field(default_factory=dict)
    rels_after: dict[str, int] = field(default_factory=dict)
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    quarantine_path: str | None = None
    report_path: str | None = None
    declaration_rows_per_s: float = 0.0
    rows_per_s: float = 0.0
    phase_seconds: dict[str, float] = field(default_factory=dict)  # parties, officers, ..., checkpoint
    reader_peak_rss_mb: float = 0.0  # of the reader process, when big files had one
    # the ledger's share: building and appending its rows in the run's threads, writing its parts in
    # its writer thread (beside the ingest, overlapping it), its final flush ({"off": 0} without it)
    ledger_seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def rows_read(self) -> int:
        return sum(f.read for f in self.files.values())

    @property
    def rows_quarantined(self) -> int:
        return sum(f.quarantined for f in self.files.values())

    def summary(self) -> str:
        """The report for a human at a terminal."""
        lines = [f"Ingest {self.run_id}: {self.status}, profile {self.profile}, source {self.source!r}",
                 f"  bundle   {self.path}",
                 (f"  duration {self.duration_s:.1f} s, {self.rows_per_s:,.0f} rows/s "
                  f"(declarations {self.declaration_rows_per_s:,.0f} rows/s)"),
                 "  seconds  " + ", ".join(f"{k} {v:.1f}" for k, v in self.phase_seconds.items()),
                 f"  {'file':<14}{'read':>10}{'loaded':>10}{'existing':>10}{'quarantined':>13}"]
        for name, f in self.files.items():
            lines.append(f"  {name:<14}{f.read:>10,}{f.loaded:>10,}{f.existing:>10,}{f.quarantined:>13,}"
                         + (f"  ({f.conflicts:,} conflicting with stored parties)" if f.conflicts else ""))
        lines.append("  nodes          " + _delta(self.nodes_before, self.nodes_after))
        lines.append("  relationships  " + _delta(self.rels_before, self.rels_after))
        if self.quarantine_path:
            lines.append(f"  quarantine     {self.quarantine_path}")
            for reason, n in sorted(self.quarantine_reasons.items(), key=lambda kv: -kv[1])[:10]:
                lines.append(f"    {n:>8,}  {reason}")
        if self.report_path:
            lines.append(f"  report         {self.report_path}")
        if self.completes:
            lines.append(f"  completes      the interrupted run(s) {', '.join(self.completes)}")
        if self.error:
            lines.append(f"  stopped        {self.error}")
        return "\n".join(lines)


def _delta(before: dict[str, int], after: dict[str, int]) -> str:
    parts = []
    for k in sorted(set(before) | set(after)):
        a, b = before.get(k, 0), after.get(k, 0)
        if a or b:
            parts.append(f"{k} {b:,}" + (f" (+{b - a:,})" if b != a else ""))
    return ", ".join(parts) or "none"



def write_report(store: GraphStore | None, s: Settings, report: IngestReport) -> None:
    """The report as JSON and text in the reports folder, owner-only (it names files and rows of
    the source), and as the run's IngestRun node (if a store). Called at the start of a run too
    (status "running"): a run that never ends keeps that status, which `tamga status` reports."""
    folder = s.reports_dir
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    base = folder / f"ingest-{report.run_id}"
    report.report_path = str(base.with_suffix(".json"))
    data = report.to_dict()
    text = json.dumps(data, indent=2, default=json_default)
    _write_private(base.with_suffix(".json"), text)
    _write_private(base.with_suffix(".txt"), report.summary() + "\n")
    if store is None:
        return
    store.run("ingest.record_run", key=report.run_id, started_at=report.started_at,
              finished_at=report.finished_at, source=report.source, path=report.path,
              status=report.status, report=json.dumps(data, default=json_default))


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)



