"""Interrupted runs: an ingest or scoring run still marked `running` and not followed by a finished
run of the same kind (for ingest: of the same source).

Why: a killed `tamga ingest` leaves items without their relationships, a killed `tamga score`
leaves some parties with new scores and others with old ones. Both runs record themselves as
running before they write (ingest: `IngestRun.status`, score: `ScoreRun.status`), so what is left
running is what was interrupted (or is still going, in another process on a shared store). `tamga
status`, `/readyz` and the entity card show these with what a re-run will do.
"""

from __future__ import annotations

from typing import Any

from graph.store import GraphStore
from ingest.load import status as ingest_status

RERUN = {
    "ingest": "re-run `tamga ingest` on the same bundle: loading is idempotent (MERGE by key), so it "
              "completes the missing items and relationships without duplicating anything",
    "score": "re-run `tamga score`: it recomputes every score and writes a complete run record; until then "
             "some parties may carry scores of the interrupted run and others older ones",
}
_SCAN = 200


def interrupted_runs(store: GraphStore) -> list[dict[str, Any]]:
    """Runs left running, newest first, each with what a re-run does. Ingest runs come from the
    ingest's own status (a completed re-run closes the runs it completed); a scoring run counts while
    no finished run is newer than it (every run recomputes everything)."""
    runs = [{**r, "rerun": RERUN["ingest"]} for r in ingest_status.interrupted_runs(store)]
    for r in store.run("api.score_runs_state", limit=_SCAN):
        if r.get("status") != "running":
            break
        runs.append({"kind": "score", "key": r["key"], "started_at": str(r.get("started_at") or ""),
                     "source": None, "path": None, "rerun": RERUN["score"]})
    return sorted(runs, key=lambda x: str(x["started_at"] or ""), reverse=True)
