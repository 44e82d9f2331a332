"""Entity resolution: which party records are the same real company.

Why this design (blocking -> pair scores -> constrained union-find), after splink / nomenklatura:
- Blocking on exact keys (normalised tax id, normalised name, and the linking identifiers: bank
  account, phone, email, address) keeps the candidate pairs near-linear; a block larger than
  `max_block` is skipped (a business-centre address says nothing about sameness).
- A pair is scored from name similarity (rapidfuzz on the normalised names, which fold Cyrillic
  and Latin and drop legal forms) and the identifiers the two records share, each weighted by its
  prior specificity lowered by how many records carry it. Equal tax ids are the same legal entity;
  two different tax ids never merge automatically (a phoenix successor has its own tax id).
- Union-find in descending score order with cannot-links: a component never holds two different
  tax ids or two records a person said are not the same. Human decisions override the machine:
  `same_entity` forces a merge, `not_same_entity` is a cannot-link that every later run honours.
Party ids stay traceable: every party keeps its key and gets an `entity_id`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import fuzz

from graph.domain import schema
from graph.domain.vocabulary import DecisionKind
from graph.engine.stats import damping
from graph.store.frames import Frames


@dataclass(frozen=True)
class ResolutionSettings:
    max_block: int = 40  # larger blocks are not informative (shared business-centre address, mass registrar)
    threshold: float = 0.80  # pair score needed to merge
    min_name_similarity: float = 0.85  # without an equal tax id, names must agree at least this much
    name_weight: float = 0.55
    identifier_weight: float = 0.45
    # a shared identifier's weight halves at knee + 1 records (graph.engine.stats.damping). Lower than
    # the groups' knee (9) on purpose: here the question is whether two records are one company, and
    # a phone on 7 records says less about that than about a ring of 7 linked shells (groups)
    identifier_knee: float = 6.0


@dataclass
class Resolution:
    entity_of: pd.Series  # party key -> entity id
    confidence: pd.Series  # party key -> confidence that the party belongs to its entity (0..1)
    evidence: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # entity id -> merge evidence
    names: dict[str, str] = field(default_factory=dict)  # entity id -> display name
    pairs_scored: int = 0

    def entity_confidence(self, entity_id: str) -> float:
        members = self.entity_of[self.entity_of == entity_id].index
        return float(self.confidence.loc[members].min()) if len(members) else 0.0

    def members(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = defaultdict(list)
        for party, ent in self.entity_of.items():
            out[ent].append(party)
        return dict(out)


class _UnionFind:
    """Union-find over party indices that carries each component's tax ids and cannot-links."""

    def __init__(self, n: int, tax: list[str | None]):
        self.parent = list(range(n))
        self.members: dict[int, list[int]] = {i: [i] for i in range(n)}
        self.tax: dict[int, set[str]] = {i: ({t} if t else set()) for i, t in enumerate(tax)}
        self.cannot: dict[int, set[int]] = defaultdict(set)  # party index -> party indices it must not join

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def can_join(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if self.tax[ra] and self.tax[rb] and self.tax[ra] != self.tax[rb]:
            return False
        small, big = (ra, rb) if len(self.members[ra]) <= len(self.members[rb]) else (rb, ra)
        for m in self.members[small]:
            for x in self.cannot.get(m, ()):
                if self.find(x) == big:
                    return False
        return True

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        if len(self.members[ra]) < len(self.members[rb]):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.members[ra].extend(self.members.pop(rb))
        self.tax[ra] |= self.tax.pop(rb)
        return True


_PAIR_KINDS = frozenset((DecisionKind.SAME_ENTITY.value, DecisionKind.NOT_SAME_ENTITY.value))


def _decisions(frames: Frames) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The live same / not-same decisions; for a pair decided several times, the latest wins."""
    d = frames.decisions
    if d is None or d.empty:
        return [], []
    last: dict[frozenset[str], str] = {}
    for kind, a, b in zip(d["kind"], d["subject"], d["object"], strict=True):
        if kind in _PAIR_KINDS and isinstance(a, str) and isinstance(b, str) and a != b:
            last[frozenset((a, b))] = kind
    def decided(kind: str) -> list[tuple[str, str]]:
        return [(a, b) for a, b in map(sorted, (k for k, v in last.items() if v == kind))]
    return decided(DecisionKind.SAME_ENTITY), decided(DecisionKind.NOT_SAME_ENTITY)


def _blocks(parties: pd.DataFrame, identifiers: pd.DataFrame, max_block: int) -> pd.DataFrame:
    """Candidate pairs (i < j, party row indices) from every blocking key with a small enough block."""
    idx = pd.Series(np.arange(len(parties)), index=parties["key"].to_numpy())
    keys = [
        pd.DataFrame({"i": np.arange(len(parties)), "b": "t:" + parties["tax_id_norm"].astype(object)}),
        pd.DataFrame({"i": np.arange(len(parties)), "b": "n:" + parties["name_norm"].astype(object)}),
    ]
    ids = identifiers[identifiers["label"] != "TaxId"]
    ids = ids[ids["party"].isin(idx.index)]
    keys.append(pd.DataFrame({"i": idx.loc[ids["party"].to_numpy()].to_numpy(),
                              "b": "i:" + ids["label"].astype(object) + ":" + ids["value"].astype(object)}))
    k = pd.concat(keys, ignore_index=True).dropna()
    k = k[~k["b"].isin(["t:", "n:"])].drop_duplicates()
    size = k.groupby("b")["i"].transform("size")
    k = k[(size >= 2) & (size <= max_block)]
    pairs = k.merge(k, on="b")
    pairs = pairs[pairs["i_x"] < pairs["i_y"]]
    return pairs[["i_x", "i_y"]].drop_duplicates().rename(columns={"i_x": "i", "i_y": "j"})


def _pair_score(ti: str | None, tj: str | None, name_i: str, name_j: str,
                ids_i: dict[tuple[str, str], float], ids_j: dict[tuple[str, str], float],
                s: ResolutionSettings) -> tuple[float, list[str], bool] | None:
    """One candidate pair of the same kind: (score, reasons, same tax id), or None where the two
    cannot be one entity (two different tax ids) or their names are too far apart to weigh."""
    if ti and tj and ti != tj:
        return None  # two different tax ids: two legal entities
    name_sim = fuzz.token_sort_ratio(name_i, name_j) / 100.0 if name_i and name_j else 0.0
    reasons: list[str] = []
    same_tax = bool(ti and ti == tj)
    if same_tax:
        score = 0.9 + 0.1 * name_sim
        reasons.append(f"same tax id {ti}")
    else:
        if name_sim < s.min_name_similarity:
            return None
        miss = 1.0
        for key in sorted(set(ids_i) & set(ids_j)):
            miss *= 1.0 - ids_i[key]
            reasons.append(f"share {key[0]} {key[1]}")
        score = s.name_weight * name_sim + s.identifier_weight * (1.0 - miss)
    reasons.insert(1 if same_tax else 0, f"names {round(name_sim * 100)}% alike")
    return score, reasons, same_tax


def _merge(frames: Frames, pos: dict[str, int], tax: list[str | None],
           scored: list[tuple[float, int, int, list[str], bool]],
           ) -> tuple[_UnionFind, np.ndarray, list[tuple[int, int, float, list[str]]]]:
    """Join the parties: investigators' decisions first (a "not the same" keeps two apart, a
    confirmation forces the merge), then the scored pairs, equal tax ids first. Returns the
    union-find, each party's confidence (its weakest merge) and the merges with their reasons."""
    n = len(tax)
    uf = _UnionFind(n, tax)
    same, not_same = _decisions(frames)
    for a, b in not_same:
        if a in pos and b in pos:
            uf.cannot[pos[a]].add(pos[b])
            uf.cannot[pos[b]].add(pos[a])
    conf = np.ones(n)
    merges: list[tuple[int, int, float, list[str]]] = []
    for a, b in same:  # a person's confirmation forces the merge
        if a in pos and b in pos and uf.union(pos[a], pos[b]):
            merges.append((pos[a], pos[b], 1.0, ["confirmed by an investigator"]))
    # equal tax ids first (they define the legal entity), then the strongest pairs
    for score, i, j, reasons, _ in sorted(scored, key=lambda x: (not x[4], -x[0], x[1], x[2])):
        if uf.find(i) != uf.find(j) and uf.can_join(i, j):
            uf.union(i, j)
            merges.append((i, j, score, reasons))
            conf[i] = min(conf[i], score)
            conf[j] = min(conf[j], score)
    return uf, conf, merges


def resolve(frames: Frames, settings: ResolutionSettings | None = None) -> Resolution:
    """Resolve the parties of `frames` into entities (see the module docstring for the rules)."""
    s = settings or ResolutionSettings()
    parties = frames.parties.reset_index(drop=True)
    n = len(parties)
    keys = parties["key"].astype(object).tolist()
    if n == 0:
        empty = pd.Series(dtype=object)
        return Resolution(empty, pd.Series(dtype=float))
    pos = {k: i for i, k in enumerate(keys)}
    tax = [t if isinstance(t, str) and t else None for t in parties["tax_id_norm"].astype(object)]
    names = [x if isinstance(x, str) else "" for x in parties["name_norm"].astype(object)]
    kinds = [x if isinstance(x, str) else "company" for x in parties["kind"].astype(object)]

    # identifiers per party (non-tax), with the prior specificity damped by the value's degree
    ids = frames.identifiers[(frames.identifiers["label"] != "TaxId") & frames.identifiers["party"].isin(pos)]
    # per row, vectorised: a .loc per identifier on the (label, value) index cost ~15 s at 1M items
    degree = ids.groupby(["label", "value"])["party"].transform("nunique").to_numpy()
    prior = {i.label: i.specificity for i in schema.IDENTIFIERS}
    weight = damping(degree, s.identifier_knee)
    party_ids: dict[int, dict[tuple[str, str], float]] = defaultdict(dict)
    for p, lab, val, w in zip(ids["party"], ids["label"], ids["value"], weight.tolist(), strict=True):
        party_ids[pos[p]][(lab, val)] = prior.get(lab, 0.5) * w

    pairs = _blocks(parties, frames.identifiers, s.max_block)
    scored: list[tuple[float, int, int, list[str], bool]] = []
    for i, j in zip(pairs["i"].tolist(), pairs["j"].tolist(), strict=True):
        if kinds[i] != kinds[j]:
            continue
        got = _pair_score(tax[i], tax[j], names[i], names[j], party_ids[i], party_ids[j], s)
        if got is not None and got[0] >= s.threshold:
            scored.append((got[0], i, j, got[1], got[2]))

    uf, conf, merges = _merge(frames, pos, tax, scored)
    root = [uf.find(i) for i in range(n)]
    # entity id: derived from the smallest party key of the entity, so it is stable across runs
    smallest: dict[int, str] = {}
    for i, r in enumerate(root):
        if r not in smallest or keys[i] < smallest[r]:
            smallest[r] = keys[i]
    entity = [f"entity:{smallest[r]}" for r in root]
    evidence: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for i, j, score, reasons in merges:
        evidence[entity[i]].append({"parties": [keys[i], keys[j]], "score": round(float(score), 4),
                                    "reasons": reasons})
    # an entity's display name: the first Latin-script name among its records, else the first name
    raw_names = parties["name"].astype(object).tolist()
    disp: dict[str, str] = {}
    for i in np.argsort(np.array(keys, dtype=object), kind="stable"):
        e = entity[i]
        nm = raw_names[i] if isinstance(raw_names[i], str) else ""
        if e not in disp or (not disp[e].isascii() and nm.isascii() and nm):
            disp[e] = nm
    conf_by_entity: dict[str, float] = {}
    for i, e in enumerate(entity):
        conf_by_entity[e] = min(conf_by_entity.get(e, 1.0), float(conf[i]))
    return Resolution(
        entity_of=pd.Series(entity, index=keys, dtype=object),
        confidence=pd.Series([conf_by_entity[e] for e in entity], index=keys, dtype=float),
        evidence=dict(evidence),
        names=disp,
        pairs_scored=len(pairs),
    )


def pairwise_f1(entity_of: pd.Series, truth_groups: list[list[str]]) -> dict[str, float]:
    """Pairwise precision, recall and F1 of a resolution against true duplicate groups (party keys).

    Pairs are counted among the parties that appear in the resolution; a party absent from every
    truth group is its own entity.
    """
    def pairs_of(groups: Iterable[Iterable[str]]) -> set[frozenset[str]]:
        out: set[frozenset[str]] = set()
        for g in groups:
            g = sorted(set(g))
            for x in range(len(g)):
                for y in range(x + 1, len(g)):
                    out.add(frozenset((g[x], g[y])))
        return out

    known = set(entity_of.index)
    truth = pairs_of([[p for p in g if p in known] for g in truth_groups])
    pred_groups: dict[str, list[str]] = defaultdict(list)
    for p, e in entity_of.items():
        pred_groups[e].append(p)
    pred = pairs_of(pred_groups.values())
    tp = len(truth & pred)
    precision = tp / len(pred) if pred else 1.0
    recall = tp / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "true_pairs": len(truth),
            "predicted_pairs": len(pred)}
