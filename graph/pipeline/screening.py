"""Screening of the stored parties and officers against the stored lists, written back as hits.

The matching is `graph.network.screening` (pure); this module reads its inputs through named
queries, writes each hit as a `SCREENED_AS` relationship from the Party (or officer's Person) to
the ListedEntity, so a path from a trader to a sanctioned owner is in the graph, and keeps the
investigator's state across runs: a hit marked confirmed or false_positive keeps that state while
both the listed entity (its content hash) and the subject's screened fields (name, kind, country,
tax id, hashed) are unchanged; when either changes, the hit is new again. Hits no longer found
are removed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import pandas as pd

from graph.network import screening
from graph.store import GraphStore

STATES = ("new", "confirmed", "false_positive")
PAGE = 20_000


def listed_frame(store: GraphStore) -> pd.DataFrame:
    """The stored listed entities as the table `screening.prepare` takes (JSON columns decoded)."""
    rows = [r for _, page in store.pages("watchlist.frames_listed", page=PAGE) for r in page]
    df = pd.DataFrame(rows, columns=["key", "list", "entity_id", "schema", "name", "names", "countries",
                                     "birth_dates", "identifiers", "content_hash"])
    for c in ("names", "countries", "birth_dates", "identifiers"):
        df[c] = [json.loads(v) if v else [] for v in df[c]]
    return df


def subject_frame(store: GraphStore) -> pd.DataFrame:
    """Parties and officers (`screening.subjects`) with a hash of the fields screening reads."""
    parties = pd.DataFrame([r for _, p in store.pages("analytics.frames_parties", page=PAGE) for r in p],
                           columns=["key", "name", "kind", "country", "tax_id_norm"])
    officers = pd.DataFrame([r for _, p in store.pages("analytics.frames_officers", page=PAGE, cursor="person")
                             for r in p], columns=["person", "person_name", "company"])
    subj = screening.subjects(parties, officers)
    subj["label"] = ["Party"] * len(parties) + ["Person"] * (len(subj) - len(parties))  # parties come first
    subj["hash"] = [hashlib.sha256(json.dumps([n, k, c, t], default=str).encode()).hexdigest()[:16]
                    for n, k, c, t in zip(subj["name"], subj["kind"], subj["country"], subj["tax_id"], strict=True)]
    return subj


def screen_store(store: GraphStore, *, threshold: float = screening.THRESHOLD,
                 now: dt.datetime | None = None) -> dict[str, Any]:
    """Screen every subject against every stored list; write the hits; return the counts."""
    at = (now or dt.datetime.now(dt.UTC)).isoformat()
    listed = listed_frame(store)
    subj = subject_frame(store)
    hits = screening.screen(subj, screening.prepare(listed), threshold) if len(listed) and len(subj) else \
        pd.DataFrame(columns=["subject", "listed", "score", "features"])
    old = {(r["subject"], r["listed"]): r for r in store.run("watchlist.hits")}
    l_hash = dict(zip(listed["key"], listed["content_hash"], strict=True))
    s_hash = dict(zip(subj["key"], subj["hash"], strict=True))
    label = dict(zip(subj["key"], subj["label"], strict=True))
    rows: dict[str, list[dict]] = {"party": [], "person": []}
    kept = 0
    for h in hits.itertuples(index=False):
        row = {"subject": h.subject, "listed": h.listed, "score": h.score, "state": "new",
               "reasons": json.dumps(h.features, ensure_ascii=False), "listed_hash": l_hash[h.listed],
               "subject_hash": s_hash[h.subject], "screened_at": at, "decided_by": None, "decided_at": None}
        prev = old.get((h.subject, h.listed))
        if (prev and prev["state"] != "new" and prev["listed_hash"] == row["listed_hash"]
                and prev["subject_hash"] == row["subject_hash"]):
            row.update(state=prev["state"], decided_by=prev["decided_by"], decided_at=prev["decided_at"])
            kept += 1
        rows["party" if label[h.subject] == "Party" else "person"].append(row)
    found = set(zip(hits["subject"], hits["listed"], strict=True))
    stale = [{"subject": s, "listed": e} for s, e in old if (s, e) not in found]
    if stale:
        store.run("watchlist.delete_hits", rows=stale)
    for kind, batch in rows.items():
        for _ in store.run_batches(f"watchlist.write_hits_{kind}", batch, batch_size=5000):
            pass
    return {"subjects": len(subj), "listed": len(listed), "hits": len(hits), "removed": len(stale),
            "decisions_kept": kept, "new": len(hits) - kept}


def set_hit_state(store: GraphStore, subject: str, listed: str, state: str, *, user: str,
                  now: dt.datetime | None = None) -> bool:
    """Record an investigator's decision on one hit; False when there is no such hit."""
    if state not in STATES:
        raise ValueError(f"state {state!r}: one of {', '.join(STATES)}")
    at = (now or dt.datetime.now(dt.UTC)).isoformat()
    n = store.run("watchlist.set_hit_state", subject=subject, listed=listed, state=state, user=user, at=at)
    return bool(n and n[0]["n"])
