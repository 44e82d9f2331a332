"""What `tamga status` shows: counts per node label and relationship type, the last ingest
report, and the runs a crash or `kill -9` left unfinished."""

from __future__ import annotations

import json
from typing import Any

from graph.store import GraphStore


def count_graph(store: GraphStore) -> tuple[dict[str, int], dict[str, int]]:
    """Nodes per label and relationships per type, every kind of `graph.domain.schema` listed (0 if none)."""
    return store.count_kinds()


RERUN_NOTE = "re-running the same bundle completes it; loaded rows are not duplicated"


def store_status(store: GraphStore) -> dict[str, Any]:
    """For `tamga status`: counts per node label and relationship type, the last ingest report,
    and `interrupted_runs`: ingest runs recorded as started that never ended (killed, or the
    machine went down), as {kind, key, source, path, started_at}, with `interrupted_note` saying
    what a re-run does. A run that a later run of the same bundle completed is not listed."""
    nodes, rels = count_graph(store)
    last = last_reports(store, limit=1)
    interrupted = interrupted_runs(store)
    note = None
    if interrupted:
        note = "; ".join(f"ingest {r['key']} of {r['path']} (source {r['source']}, "
                         f"started {r['started_at']}) "
                         "was interrupted" for r in interrupted) + f": {RERUN_NOTE}"
    return {"backend": store.backend, "nodes": nodes, "relationships": rels,
            "total_nodes": sum(nodes.values()), "total_relationships": sum(rels.values()),
            "last_ingest": last[0] if last else None,
            "interrupted_runs": interrupted, "interrupted_note": note}


def interrupted_runs(store: GraphStore) -> list[dict[str, Any]]:
    """Ingest runs still recorded as "running", oldest first. On the embedded store a run holds the
    store's lock while it runs, so such a run is one that died; on Neo4j it may also be one in
    progress in another process."""
    return [{"kind": "ingest", "key": r["key"], "source": r["source"], "path": r["path"],
             "started_at": r["started_at"]} for r in store.run("status.interrupted_ingest_runs")]


def last_reports(store: GraphStore, limit: int = 20) -> list[dict[str, Any]]:
    """The latest ingest reports, newest first (the stored JSON, parsed)."""
    out = []
    for r in store.run("status.ingest_runs", limit=int(limit)):
        try:
            rep = json.loads(r["report"]) if r.get("report") else {}
        except ValueError:
            rep = {"unreadable_report": r.get("report")}
        rep.setdefault("run_id", r.get("key"))
        rep["status"] = r.get("status") or rep.get("status")  # the node's: a later run may have closed it
        out.append(rep)
    return out

