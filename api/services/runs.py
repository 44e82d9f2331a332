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

RERUN = {
    "ingest": "re-run `tamga ingest` on the same bundle: loading is idempotent (MERGE by key), so it completes "
              "the missing items and relationships without duplicating anything",
    "score": "re-run `tamga score`: it recomputes every score and writes a complete run record; until then "
             "some parties may carry scores of the interrupted run and others older ones",
}
_SCAN = 200


def interrupted_runs(store: GraphStore) -> list[dict[str, Any]]:
    """Runs left running with nothing finished after them, newest first, each with what a re-run does."""
    out: list[dict[str, Any]] = []
    for kind, query in (("ingest", "api.ingest_runs_state"), ("score", "api.score_runs_state")):
        finished_after: set[str | None] = set()  # sources (None for score) with a finished run newer
        for r in store.run(query, limit=_SCAN):
            src = r.get("source") if kind == "ingest" else None
            if r.get("status") == "running":
                if src not in finished_after:
                    out.append({"kind": kind, "run": r["key"], "started_at": str(r.get("started_at") or ""),
                                "source": src, "rerun": RERUN[kind]})
            else:
                finished_after.add(src)
    return sorted(out, key=lambda x: x["started_at"], reverse=True)


def merge(theirs: list[dict[str, Any]] | None, mine: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ingest's own report of interrupted runs (if any) and these, once per run."""
    seen = {m["run"] for m in mine}
    return mine + [t for t in (theirs or []) if t.get("run", t.get("run_id")) not in seen]
