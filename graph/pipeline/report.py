"""The report of a scoring run: sizes, timings, top entities and groups (what the ScoreRun keeps)."""

from __future__ import annotations

import resource
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from graph.pipeline.run import Results


def report(r: Results) -> dict:
    """Figures of one run: sizes, timings, top entities and groups (what the ScoreRun keeps)."""
    p, sc = r.projection, r.scores
    top = np.argsort(sc.rank)[:20]
    g = r.groups.table
    rep = {
        "frames": r.frames.summary(),
        "parties": len(p.party_keys), "entities": int(p.n_entities),
        "merged_parties": int(len(p.party_keys) - p.n_entities),
        "link_nodes": int(p.n_links), "entity_links": len(r.groups.pairs),
        "groups": len(g), "grouped_entities": int((r.groups.group_of >= 0).sum()),
        "offender_entities": int((r.seeds > 0).sum()), "phoenix_candidates": len(r.phoenix),
        "communities": int(r.community.max() + 1) if r.community is not None and len(r.community) else None,
        "top_entities": [{"entity_id": str(p.entity_ids[e]), "name": str(p.entities["name"].iloc[e] or ""),
                          "risk_score": round(float(sc.score[e]), 4)} for e in top],
        "top_groups": ([{"group_id": row.group_id, "size": int(row.size), "risk": float(row.risk)}
                        for row in g.sort_values(["risk", "size"], ascending=False).head(10).itertuples()]
                       if len(g) else []),
        "timings_s": dict(r.timings), "notes": list(r.notes),
    }
    if r.model:  # the assessment model: reused or trained, when it was trained, why
        rep["model"] = dict(r.model)
    d = r.declarations
    if "cover" in d:
        rep["cover_items"] = len(d["cover"])
    if "assessment" in d:
        rep["lanes"] = {k: int(v) for k, v in d["assessment"]["lane"].value_counts().items()}
        if "random" in d["assessment"]:
            rep["random_picks"] = int(d["assessment"]["random"].sum())
    if "current_categories" in d:
        rep["trader_categories"] = {k: int(v) for k, v in d["current_categories"].value_counts().items()}
    if "categories_through" in d:
        rep["categories_through"] = d["categories_through"]
    if "unit_value_anomalies" in d:
        rep["unit_value_anomalies"] = len(d["unit_value_anomalies"])
    if "hs_switches" in d:
        rep["hs_switches"] = len(d["hs_switches"])
    if "audit_targets" in d and len(d["audit_targets"]):
        a = d["audit_targets"]
        rep["audit_plan"] = {"targets": len(a),
                             "expected_amount": round(float(a["expected_amount"].sum()), 2)}
    return rep


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB: VmHWM, which starts afresh at exec (ru_maxrss keeps
    the high-water mark of the pages a child was forked with, so a child process would report its
    parent's peak)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
