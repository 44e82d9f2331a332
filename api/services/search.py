"""Entity search: names in any script, tax ids, phones and party ids.

Names: the query is normalised with `ingest.normalise.normalise_name` (Cyrillic and Latin fold to
one form, legal forms drop, so `ООО Восток` and `Vostok LLC` meet) and matched against an
in-memory list of (key, name_norm) loaded from the store, reloaded when the latest
IngestRun/ScoreRun changes (checked at most every few seconds). Why in memory: the store has no
fuzzy index. Matching, measured on 6.4k names: rapidfuzz WRatio over every name costs ~14 ms
(~130 ms at 60k names), so names are first narrowed through a token index (names sharing a
token with the query, or a token starting with its last word, found by bisection in the sorted
vocabulary), WRatio ranks those; only when no name shares a word does the cheap QRatio run over
every name (~0.7 ms at 6.4k, ~7 ms at 64k) to catch misspelt words. Exact and prefix matches rank first.
Tax ids, phones and party ids go to the store's indexes.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process

from graph.pipeline.results import data_version
from graph.store import GraphStore
from ingest.normalise import digits, normalise_name, normalise_phone, normalise_tax_id

VERSION_CHECK_S = 5.0
MIN_FUZZY = 70.0


@dataclass
class _Names:
    keys: list[str]
    norms: list[str]
    rows: list[dict[str, Any]]
    version: tuple
    tokens: dict[str, list[int]] = field(default_factory=dict)  # token -> indices of names holding it
    vocab: list[str] = field(default_factory=list)  # sorted tokens, for prefix lookups by bisection

    def __post_init__(self) -> None:
        for i, n in enumerate(self.norms):
            for t in set(n.split()):
                self.tokens.setdefault(t, []).append(i)
        self.vocab = sorted(self.tokens)

    def candidates(self, norm: str, cap: int = 600) -> set[int]:
        """Names sharing a token with the query (rarest words first: `inter` or `trade` match
        thousands of firms, a distinctive word a few), or holding a token that starts with its last
        word; at most about `cap` names, so the fuzzy ranking stays within a few ms. Equally rare words
        in alphabetical order: in a set's order (salted per process) a restarted server could answer
        the same query from other candidates."""
        words = norm.split()
        out: set[int] = set()
        for w in sorted(set(words), key=lambda w: (len(self.tokens.get(w, ())), w)):
            if out and len(out) + len(self.tokens.get(w, ())) > cap:
                break
            out.update(self.tokens.get(w, ()))
        last = words[-1] if words else ""
        if len(last) >= 2 and len(out) < cap:
            i = bisect.bisect_left(self.vocab, last)
            while i < len(self.vocab) and self.vocab[i].startswith(last) and len(out) < cap:
                out.update(self.tokens[self.vocab[i]])
                i += 1
        return out


class SearchIndex:
    def __init__(self, store: GraphStore):
        self.store = store
        self._lock = threading.Lock()
        self._names: _Names | None = None
        self._checked = 0.0

    def refresh(self, force: bool = False) -> None:
        """Reload the name list when the data changed (or when forced, e.g. after a write)."""
        now = time.monotonic()
        if not force and self._names is not None and now - self._checked < VERSION_CHECK_S:
            return
        with self._lock:
            if not force and self._names is not None and time.monotonic() - self._checked < VERSION_CHECK_S:
                return
            version = data_version(self.store)
            self._checked = time.monotonic()
            if not force and self._names is not None and self._names.version == version:
                return
            rows = self.store.run("api.search_names")
            norms = [r["name_norm"] or normalise_name(r["name"] or "") for r in rows]
            self._names = _Names([r["key"] for r in rows], norms, rows, version)

    @staticmethod
    def _hit(row: dict[str, Any], matched_on: str, score: float) -> dict[str, Any]:
        return {"key": row["key"], "name": row.get("name"), "party_id": row.get("party_id"),
                "country": row.get("country"), "risk_score": row.get("risk_score"),
                "matched_on": matched_on, "score": round(float(score), 1)}

    def _add_name_hits(self, norm: str, limit: int,
                       add: Callable[[dict[str, Any], str, float], None]) -> None:
        """Name hits for a normalised name: exact, then prefix, then fuzzy among the parties sharing a
        word with it (or, when none does, the whole list)."""
        self.refresh()
        names = self._names
        assert names is not None
        cand = sorted(names.candidates(norm))
        for i in cand:
            n = names.norms[i]
            if n == norm:
                add(names.rows[i], "name", 100.0)
            elif n.startswith(norm):
                add(names.rows[i], "name", 95.0)
        if cand:
            pool = [names.norms[i] for i in cand]
            for _n, score, j in process.extract(norm, pool, scorer=fuzz.WRatio, limit=limit,
                                                score_cutoff=MIN_FUZZY):
                add(names.rows[cand[j]], "name", min(float(score), 94.0))
        if not cand:  # no word in common: a misspelt word; the cheap whole-list pass
            for _n, score, i in process.extract(norm, names.norms, scorer=fuzz.QRatio, limit=limit,
                                                score_cutoff=MIN_FUZZY):
                add(names.rows[i], "name", min(float(score), 90.0))

    def search(self, q: str, limit: int = 20) -> tuple[str, list[dict[str, Any]]]:
        """Hits for a free-text query, best first, at most `limit`; and the normalised name used."""
        q = q.strip()
        hits: dict[str, dict[str, Any]] = {}

        def add(row: dict[str, Any], on: str, score: float) -> None:
            if row["key"] not in hits or hits[row["key"]]["score"] < score:
                hits[row["key"]] = self._hit(row, on, score)

        # by node key or source party id: two index lookups (an OR would scan every party)
        for r in self.store.run("api.party_by_key", key=q):
            add(r["party"], "party_id", 100.0)
        for r in self.store.run("api.parties_by_party_id", party_id=q, limit=limit):
            add(r["party"], "party_id", 100.0)
        d = digits(q)
        if d and len(d) >= 5 and len(d) >= len(q.replace(" ", "").replace("-", "")) - 4:
            tax = normalise_tax_id(q)
            if tax:
                for r in self.store.run("api.search_tax_id", tax_id=tax, limit=limit):
                    add(r, "tax_id", 100.0)
            phones = {p for p in (normalise_phone(q), "+" + d, d) if p}
            for r in self.store.run("api.search_phone", phones=sorted(phones), limit=limit):
                add(r, "phone", 100.0)
        norm = normalise_name(q)
        if norm:
            self._add_name_hits(norm, limit, add)
        ranked = sorted(hits.values(), key=lambda h: (-h["score"], -(h["risk_score"] or 0.0), h["key"]))
        return norm, ranked[:limit]
