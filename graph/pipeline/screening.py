"""Screening of the stored parties and officers against the stored lists, written back as hits.

The matching is `graph.network.screening` (pure); this module reads its inputs through named
queries, writes each hit as a `SCREENED_AS` relationship from the Party (or officer's Person) to
the ListedEntity, so a path from a trader to a sanctioned owner is in the graph, and keeps the
investigator's state across runs: a hit marked confirmed or false_positive keeps that state while
both the listed entity (its content hash) and the subject's screened fields (name, kind, country,
tax id, hashed) are unchanged; when either changes, the hit is new again. Hits no longer found
are removed.

Three ways in, one function (`screen_store`, restricted by listed entities or subjects):
- every subject against every list (a step of `tamga score`);
- one party and its officers on demand (`screen_party`);
- a list's new version (`rescreen_list`): only the entities it added or changed are screened
  against every subject; removed entities took their hits with them (`DETACH DELETE` at the load);
  an unchanged version screens nothing. The blocking index is always built on the whole stored list
  (`screening.restrict`), so a restricted screening finds what a full one would for its scope.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import pandas as pd

from graph.domain.schema import node_key
from graph.network import screening
from graph.store import GraphStore

STATES = ("new", "confirmed", "false_positive")
PAGE = 20_000


def hit_id(subject: str, listed: str) -> str:
    """A hit's id in the API and exports: stable for the pair, safe in a URL path."""
    return hashlib.sha256(f"{subject}\x00{listed}".encode()).hexdigest()[:24]


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
    officers = pd.DataFrame([r for _, p in store.pages("analytics.frames_officers", page=PAGE,
                                                       cursor="person")
                             for r in p], columns=["person", "person_name", "company"])
    subj = screening.subjects(parties, officers)
    subj["label"] = ["Party"] * len(parties) + ["Person"] * (len(subj) - len(parties))  # parties come first
    subj["hash"] = [hashlib.sha256(json.dumps([n, k, c, t], default=str).encode()).hexdigest()[:16]
                    for n, k, c, t in zip(subj["name"], subj["kind"], subj["country"], subj["tax_id"],
                                          strict=True)]
    return subj


def screen_store(store: GraphStore, *, threshold: float = screening.THRESHOLD,
                 now: dt.datetime | None = None, listed_keys: list[str] | None = None,
                 subject_keys: list[str] | None = None) -> dict[str, Any]:
    """Screen subjects against the stored lists; write the hits; return the counts.

    `listed_keys` / `subject_keys` (None: all) restrict what is screened and which stored hits are
    replaced: a hit outside the scope is left as it is."""
    at = (now or dt.datetime.now(dt.UTC)).isoformat()
    listed = listed_frame(store)
    subj = subject_frame(store)
    if subject_keys is not None:
        subj = subj[subj["key"].isin(set(subject_keys))].reset_index(drop=True)
    in_listed = set(listed["key"]) if listed_keys is None else set(listed_keys) & set(listed["key"])
    in_subj = set(subj["key"])
    index = screening.prepare(listed) if len(listed) and len(subj) and in_listed else None
    if index is not None and listed_keys is not None:
        index = screening.restrict(index, listed.index[listed["key"].isin(in_listed)])
    hits = screening.screen(subj, index, threshold) if index is not None else \
        pd.DataFrame(columns=["subject", "listed", "score", "features"])
    old = {(r["subject"], r["listed"]): r for r in store.run("watchlist.hits")
           if r["listed"] in in_listed and r["subject"] in in_subj}
    l_hash = dict(zip(listed["key"], listed["content_hash"], strict=True))
    s_hash = dict(zip(subj["key"], subj["hash"], strict=True))
    label = dict(zip(subj["key"], subj["label"], strict=True))
    rows: dict[str, list[dict]] = {"party": [], "person": []}
    kept = 0
    for h in hits.itertuples(index=False):
        row = {"subject": h.subject, "listed": h.listed, "score": h.score, "state": "new",
               "reasons": json.dumps(h.features, ensure_ascii=False), "listed_hash": l_hash[h.listed],
               "subject_hash": s_hash[h.subject], "screened_at": at, "decided_by": None, "decided_at": None,
               "hit_id": hit_id(h.subject, h.listed)}
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
    return {"subjects": len(subj), "listed": len(listed), "listed_screened": len(in_listed) if index else 0,
            "hits": len(hits), "removed": len(stale), "decisions_kept": kept, "new": len(hits) - kept}


def screen_party(store: GraphStore, party_key: str, **kw) -> dict[str, Any]:
    """One party and its officers against every list (on demand: the card's refresh)."""
    officers = [r["person"] for r in store.run("watchlist.officers_of", key=party_key)]
    return screen_store(store, subject_keys=[party_key, *officers], **kw)


def rescreen_list(store: GraphStore, list_name: str, changed_ids: list[str], **kw) -> dict[str, Any]:
    """After a list's new version: screen only its added and changed entities (`changed_ids`, the
    list's own ids) against every subject; nothing when the version changed nothing."""
    if not changed_ids:
        return {"subjects": 0, "listed": 0, "listed_screened": 0, "hits": 0, "removed": 0,
                "decisions_kept": 0, "new": 0}
    return screen_store(store, listed_keys=[node_key(list_name, e) for e in changed_ids], **kw)


def live_hits(store: GraphStore) -> pd.DataFrame:
    """Hits that count (not marked false positive), of parties and of officers (`subject_label` Party
    or Person): subject key, listed entity, score, state, the list and the listed name. The risk's
    watchlist feature reads them (`graph.network.risk.watchlist_hit`: an officer's hit lifts its
    companies), and the profiles' watchlist criteria read the parties' own (`watchlist_tables`)."""
    rows = [r for r in store.run("watchlist.hits_page", state=None, skip=0, limit=10_000_000)
            if r["state"] != "false_positive"]
    return pd.DataFrame(rows, columns=["subject", "subject_label", "listed", "list", "entity_id",
                                       "listed_name", "score", "state"])


def set_hit_state(store: GraphStore, subject: str, listed: str, state: str, *, user: str,
                  now: dt.datetime | None = None) -> bool:
    """Record an investigator's decision on one hit; False when there is no such hit."""
    if state not in STATES:
        raise ValueError(f"state {state!r}: one of {', '.join(STATES)}")
    at = (now or dt.datetime.now(dt.UTC)).isoformat()
    n = store.run("watchlist.set_hit_state", subject=subject, listed=listed, state=state, user=user, at=at)
    return bool(n and n[0]["n"])


def watchlists(store: GraphStore) -> list[dict[str, Any]]:
    """The loaded lists, each with its versions (newest first) and what each added, changed, removed."""
    out = []
    for w in store.run("watchlist.list_all"):
        versions = [{k: v[k] for k in ("version", "loaded_at", "added", "changed", "removed")}
                    for v in store.run("watchlist.versions", list=w["name"])]
        out.append({**w, "versions": versions})
    return out


def screen_for_scoring(store: GraphStore) -> tuple[dict[str, Any], pd.DataFrame]:
    """The scoring run's step: screen everything (nothing to do without lists), return the counts
    and the live party hits the risk reads."""
    if not store.run("watchlist.list_all"):
        return {"lists": 0, "hits": 0}, live_hits(store)
    return screen_store(store), live_hits(store)
