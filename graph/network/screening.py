"""Screening: parties and officers matched against listed entities (sanctions and watchlists).

Pure functions on frames, no store access. Names are analysed once with `rigour.names` (prefix and
legal-form tagging, transliteration of any script to a Latin `comparable` form, Wikidata name
symbols so that `Мария`/`Maria`/`Mariya` are one given name) and compared part by part, in any
order, with rapidfuzz (C) on the comparable forms. rigour's own `compare_parts` was
measured at ~75 us per pair, too slow for the 60k x 10k screening, so the alignment is a greedy
one here (~10 us), on a normalised Levenshtein similarity per part (it beat Jaro-Winkler, whose
prefix bonus passes `Ronaldinho` for `Ronaldo`, on the bench cases: F1 0.79 vs 0.78).

Inputs (columns):
- subjects: key, kind (company / person), name, country, tax_id (digits), birth_date ('YYYY[-MM-DD]')
  -- `subjects()` builds it from the `parties` and `officers` frames of `graph.store.frames`.
- listed: key (`list:entity_id`), list, entity_id, schema (FtM schema), name, names (list of str),
  countries (list), birth_dates (list), identifiers (list of {"kind", "value"}).

Blocking (why not a cross product): every name part gives keys (its metaphone, its NAME symbols);
a pair of names is compared only if at least half the parts of the shorter one share a key with
the other, through a rare key (in <= RARE_DF listed names) or two parts with keys of any frequency
up to COMMON_DF; identifiers meet by exact value. Each hit carries its features
as `[{"feature", "value", "contribution", "detail"}]`; the score is their sum, clipped to 0..1.

Cost: rigour loads its name tagger (Wikidata given-name symbols) on the first analysis, ~300 MB
and 3-20 s once per process; without symbols F1 on the bench cases is 0.797 instead of 0.811.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz.distance import Levenshtein
from rigour.names import NamePartTag, NameTypeTag, SymbolCategory, analyze_names

THRESHOLD = 0.83  # chosen on name_bench_cases.csv (max F1), reported on the UN pairs: bench/eval_names.py
RARE_DF = 40  # a key in at most this many listed names makes a candidate on its own
COMMON_DF = 2000  # keys in more listed names than this never make candidates ("mohammed", "trading")
PHONETIC_SIM = 0.9  # parts that sound alike (same metaphone) are at least this similar (F1 0.811 -> 0.812,
# recall at precision 0.95 on the bench cases 0.527 -> 0.581)
MIN_PART_SIM = 0.6  # a normalised Levenshtein similarity below this is no evidence that two parts are one

PERSON_SCHEMATA = {"Person"}
COMPANY_SCHEMATA = {"Company", "Organization", "PublicBody"}
# a subject kind meets these schemata only (a person is never screened against a company)
KIND_SCHEMATA = {"person": PERSON_SCHEMATA | {"LegalEntity"},
                 "company": COMPANY_SCHEMATA | {"LegalEntity", "Vessel", "Airplane"}}

# qualifiers, set by hand (not fitted): on the UN set they lift F1 at the threshold from 0.90 to 0.97
COUNTRY_SAME, COUNTRY_OTHER = 0.03, -0.08
BIRTH_SAME, BIRTH_OTHER = 0.05, -0.15
ID_SAME = 1.0
BEST_QUALIFIERS = COUNTRY_SAME + BIRTH_SAME


@dataclass(frozen=True, slots=True)
class Part:
    text: str  # rigour's comparable (Latin) form
    weight: float
    symbols: frozenset[str]  # NAME symbols: the same given name across scripts and spellings
    initial: bool
    numeric: bool
    phonetic: str | None = None  # rigour's metaphone: `alfa`/`alpha`, `treid`/`treyd` (transliteration drift)


def _type_tag(kind: str) -> NameTypeTag:
    return {"person": NameTypeTag.PER, "company": NameTypeTag.ORG}.get(kind, NameTypeTag.ENT)


def kind_of_schema(schema: str) -> str:
    return "person" if schema in PERSON_SCHEMATA else "company" if schema != "LegalEntity" else "entity"


@lru_cache(maxsize=300_000)
def analyse(name: str, kind: str = "entity") -> tuple[Part, ...]:
    """The comparable parts of one name; legal forms (ООО, LLC, GmbH) dropped, stopwords light."""
    found = analyze_names(_type_tag(kind), [name], infer_initials=(kind == "person"), consolidate=False)
    if not found:
        return ()
    n = next(iter(found))
    symbols: dict[int, set[str]] = {}
    for span in n.spans:
        if span.symbol.category == SymbolCategory.NAME and len(span.parts) == 1:
            symbols.setdefault(span.parts[0].index, set()).add(span.symbol.id)
    parts = []
    for p in n.parts:
        if p.tag == NamePartTag.LEGAL and len(n.parts) > 1:
            continue
        text = p.comparable
        initial = len(text) == 1 and text.isalpha()
        weight = 0.3 if (p.tag == NamePartTag.STOP or initial) else min(1.0, 0.4 + 0.1 * len(text))
        parts.append(Part(text, weight, frozenset(symbols.get(p.index, ())), initial, bool(p.numeric),
                          p.metaphone if p.metaphone and len(p.metaphone) >= 2 else None))
    return tuple(parts)


def _part_sim(a: Part, b: Part) -> float:
    if a.text == b.text:
        return 1.0
    if a.numeric or b.numeric:
        return 0.0  # 2004-1 is not 2004-2
    if a.initial or b.initial:
        return 0.9 if a.text[0] == b.text[0] else 0.0
    if a.symbols & b.symbols:
        return 0.95
    s = Levenshtein.normalized_similarity(a.text, b.text)
    if a.phonetic is not None and a.phonetic == b.phonetic:
        s = max(s, PHONETIC_SIM)  # in proportion to the metaphones' similarity was worse: F1 0.808
    return s if s >= MIN_PART_SIM else 0.0


def compare(a: tuple[Part, ...], b: tuple[Part, ...]) -> tuple[float, list[tuple[str, str, float]]]:
    """Similarity 0..1 of two analysed names in any part order, and the aligned parts.

    Greedy one-to-one alignment on the part similarities; an unaligned part counts against the
    pair with its weight, so `WALIJAN` is not `WALIJAN ABDUL GHAFOOR HAQQANI`."""
    if not a or not b:
        return 0.0, []
    pairs = sorted(((s, i, j) for i, pa in enumerate(a) for j, pb in enumerate(b)
                    if (s := _part_sim(pa, pb)) > 0), reverse=True)
    used_a: set[int] = set()
    used_b: set[int] = set()
    got = 0.0
    aligned = []
    for s, i, j in pairs:
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        got += s * (a[i].weight + b[j].weight)
        aligned.append((a[i].text, b[j].text, round(s, 3)))
    total = sum(p.weight for p in a) + sum(p.weight for p in b)
    score = got / total
    if len(a) != len(b):  # a merged or split part: `Ramimakhlouf` / `Rami Makhlouf`, `van der bilt`
        joined = Levenshtein.normalized_similarity("".join(p.text for p in a), "".join(p.text for p in b))
        if joined >= 0.9 and joined > score:
            return joined, [(" ".join(p.text for p in a), " ".join(p.text for p in b), round(joined, 3))]
    return score, aligned


def name_similarity(name1: str, name2: str, kind: str = "entity") -> float:
    """The name score of two raw names (the measured matcher: bench/eval_names.py)."""
    return compare(analyse(name1, kind), analyse(name2, kind))[0]


def _keys(parts: tuple[Part, ...]) -> list[tuple[str, int]]:
    """(blocking key, part number) for the parts that carry weight: metaphone, or digits, and NAME symbols."""
    from rigour.text import metaphone

    out: set[tuple[str, int]] = set()
    for i, p in enumerate(parts):
        if p.initial or p.weight < 0.5 or len(p.text) < 2:
            continue
        out.add(("m:" + (metaphone(p.text) or p.text) if not p.numeric else "n:" + p.text, i))
        out.update(("s:" + s, i) for s in p.symbols)
    return sorted(out)


def identifier_digits(value: str | None) -> str:
    return "".join(ch for ch in str(value or "") if ch.isalnum()).upper()


# --------------------------------------------------------------------------- the list index

@dataclass
class ListIndex:
    """A list prepared once for many screenings: analysed names, key postings, identifiers."""

    listed: pd.DataFrame  # one row per listed entity (the input)
    # one row per listed name: entity (row of `listed`), name, parts, keyed (parts with keys)
    names: pd.DataFrame
    keys: pd.DataFrame  # key, name (row of `names`), part, df (listed names with the key)
    ids: pd.DataFrame  # value, entity (row of `listed`), kind


def prepare(listed: pd.DataFrame) -> ListIndex:
    listed = listed.reset_index(drop=True)
    rows: list[tuple[int, str, tuple[Part, ...]]] = []
    key_rows: list[tuple[str, int, int]] = []
    id_rows: list[tuple[str, int, str]] = []
    for ent, r in enumerate(listed.itertuples(index=False)):
        kind = kind_of_schema(r.schema)
        for nm in dict.fromkeys([r.name, *(r.names or [])]):
            if not nm:
                continue
            parts = analyse(nm, kind)
            if not parts:
                continue
            idx = len(rows)
            rows.append((ent, nm, parts))
            key_rows += [(k, idx, part) for k, part in _keys(parts)]
        for ident in r.identifiers or []:
            v = identifier_digits(ident.get("value"))
            if len(v) >= 5:
                id_rows.append((v, ent, ident.get("kind", "")))
    names = pd.DataFrame(rows, columns=["entity", "name", "parts"])
    keys = pd.DataFrame(key_rows, columns=["key", "name", "part"]).drop_duplicates(["key", "name"])
    keys["df"] = keys.groupby("key")["name"].transform("size")
    names["keyed"] = (keys.groupby("name")["part"].nunique()
                      .reindex(range(len(names)), fill_value=0).to_numpy())
    ids = pd.DataFrame(id_rows, columns=["value", "entity", "kind"]).drop_duplicates()
    return ListIndex(listed, names, keys, ids)


def restrict(index: ListIndex, entities: Iterable[int]) -> ListIndex:
    """The index matching only these listed entities (rows of `index.listed`), its key frequencies
    those of the whole list: a restricted screening (a list's changed entities) finds exactly the
    hits a full one finds for them, where an index of the changed entities alone would block on
    other frequencies."""
    keep = {int(e) for e in entities}
    names = index.names.index[index.names["entity"].isin(keep)]
    return ListIndex(index.listed, index.names, index.keys[index.keys["name"].isin(names)],
                     index.ids[index.ids["entity"].isin(keep)])


# --------------------------------------------------------------------------- subjects

def subjects(parties: pd.DataFrame, officers: pd.DataFrame | None = None) -> pd.DataFrame:
    """Parties and the officers of companies as one table of screening subjects."""
    cols = ["key", "kind", "name", "country", "tax_id", "birth_date"]
    p = pd.DataFrame({
        "key": parties["key"], "kind": parties.get("kind", pd.Series("company", index=parties.index)),
        "name": parties["name"], "country": parties.get("country"),
        "tax_id": parties.get("tax_id_norm"), "birth_date": None,
    })
    p["kind"] = p["kind"].fillna("company")
    if officers is None or officers.empty:
        return p[cols]
    o = officers.dropna(subset=["person"]).drop_duplicates("person")
    o = pd.DataFrame({"key": o["person"], "kind": "person", "name": o["person_name"], "country": None,
                      "tax_id": None, "birth_date": None})
    return pd.concat([p[cols], o[cols]], ignore_index=True)


# --------------------------------------------------------------------------- screening

def _candidates(subj_keys: pd.DataFrame, index: ListIndex) -> pd.DataFrame:
    """(subject name row, listed name row) pairs worth comparing: at least half the parts of the
    shorter name share a key with the other, and one of those keys is rare or two parts do."""
    lk = index.keys[index.keys["df"] <= COMMON_DF]
    m = subj_keys.merge(lk, on="key", suffixes=("_s", "_l"))
    if m.empty:
        return pd.DataFrame({"sname": pd.Series(dtype=int), "lname": pd.Series(dtype=int)})
    m = m.sort_values("df").drop_duplicates(["name_s", "name_l", "part_s"])  # a part counts once
    g = (m.groupby(["name_s", "name_l"], sort=False)
         .agg(shared=("key", "size"), rarest=("df", "min")).reset_index())
    s_keyed = subj_keys.groupby("name")["part"].nunique()
    shorter = np.minimum(s_keyed.reindex(g["name_s"]).to_numpy(),
                         index.names["keyed"].to_numpy()[g["name_l"]])
    g = g[(g["shared"].to_numpy() * 2 >= shorter)
          & ((g["rarest"] <= RARE_DF) | (g["shared"] >= 2)).to_numpy()]
    return g.rename(columns={"name_s": "sname", "name_l": "lname"})[["sname", "lname"]]


def _year(v: object) -> str | None:
    s = str(v or "")[:4]
    return s if s.isdigit() else None


def screen(subj: pd.DataFrame, index: ListIndex, threshold: float = THRESHOLD) -> pd.DataFrame:
    """Every (subject, listed entity) pair scoring at least `threshold`, with its features."""
    subj = subj.reset_index(drop=True)
    listed = index.listed
    # subject names and their keys
    s_parts = [analyse(n if isinstance(n, str) else "", k)
               for n, k in zip(subj["name"], subj["kind"], strict=True)]
    sk = pd.DataFrame([(k, i, part) for i, ps in enumerate(s_parts) for k, part in _keys(ps)],
                      columns=["key", "name", "part"])
    cand = _candidates(sk, index)
    pairs = pd.DataFrame({"subject": cand["sname"].to_numpy(),
                          "entity": index.names["entity"].to_numpy()[cand["lname"].to_numpy()],
                          "lname": cand["lname"].to_numpy()})
    # identifiers: exact value
    tax = subj["tax_id"].map(identifier_digits)
    tax = pd.DataFrame({"subject": np.arange(len(subj)), "value": tax})
    tax = tax[tax["value"].str.len() >= 5]
    id_hits = tax.merge(index.ids, on="value")
    allowed = KIND_SCHEMATA
    best: dict[tuple[int, int], tuple[float, str, list[tuple[str, str, float]]]] = {}
    l_parts = index.names["parts"].to_numpy()
    l_name = index.names["name"].to_numpy()
    schema = listed["schema"].to_numpy()
    kinds = subj["kind"].to_numpy()
    for s, e, ln in zip(pairs["subject"].to_numpy(), pairs["entity"].to_numpy(), pairs["lname"].to_numpy(),
                        strict=True):
        if schema[e] not in allowed.get(kinds[s], allowed["company"]):
            continue
        sim, aligned = compare(s_parts[s], l_parts[ln])
        if sim > best.get((s, e), (-1.0,))[0]:
            best[(s, e)] = (sim, l_name[ln], aligned)
    id_by_pair: dict[tuple[int, int], list[tuple[str, str]]] = {}
    for r in id_hits.itertuples(index=False):
        id_by_pair.setdefault((r.subject, r.entity), []).append((r.kind, r.value))
    # columns as lists: a pandas row lookup per pair cost ~250 us, more than the name comparison
    s_key, s_name = subj["key"].tolist(), subj["name"].tolist()
    s_country, s_birth = subj["country"].tolist(), subj["birth_date"].tolist()
    l_cols = {c: listed[c].tolist() for c in ("key", "list", "entity_id", "name", "countries", "birth_dates")}
    out = []
    for pair in set(best) | set(id_by_pair):
        s, e = pair
        sim, matched, aligned = best.get(pair, (0.0, None, []))
        if pair not in id_by_pair and sim + BEST_QUALIFIERS < threshold:
            continue  # no qualifier can lift it
        feats: list[dict[str, Any]] = []
        if matched is not None:
            feats.append({"feature": "name", "value": round(sim, 4), "contribution": round(sim, 4),
                          "detail": {"subject_name": s_name[s], "listed_name": matched, "aligned": aligned}})
        for kind, value in id_by_pair.get(pair, []):
            feats.append({"feature": "identifier", "value": value, "contribution": ID_SAME,
                          "detail": {"kind": kind}})
        feats += _qualifiers(s_country[s], s_birth[s], l_cols["countries"][e], l_cols["birth_dates"][e])
        score = min(1.0, max(0.0, sum(f["contribution"] for f in feats)))
        if score < threshold:
            continue
        out.append({"subject": s_key[s], "subject_kind": kinds[s], "subject_name": s_name[s],
                    "listed": l_cols["key"][e], "list": l_cols["list"][e],
                    "entity_id": l_cols["entity_id"][e],
                    "listed_name": l_cols["name"][e], "score": round(score, 4), "features": feats})
    cols = ["subject", "subject_kind", "subject_name", "listed", "list", "entity_id", "listed_name", "score",
            "features"]
    return pd.DataFrame(out, columns=cols).sort_values(["score", "subject"], ascending=[False, True],
                                                        ignore_index=True)


def _qualifiers(country: object, birth_date: object, listed_countries: Iterable[str] | None,
                listed_birth_dates: Iterable[str] | None) -> list[dict[str, Any]]:
    """Country and date of birth: small rewards when they agree, larger penalties when they differ."""
    out = []
    countries = {str(c).lower() for c in (listed_countries or []) if c}
    sc = country.lower() if isinstance(country, str) and country else None
    if sc and countries:
        same = sc in countries
        out.append({"feature": "country", "value": sc,
                    "contribution": COUNTRY_SAME if same else COUNTRY_OTHER,
                    "detail": {"listed": sorted(countries)}})
    years = {y for d in (listed_birth_dates or []) if (y := _year(d))}
    sy = _year(birth_date)
    if sy and years:
        same = any(abs(int(sy) - int(y)) <= 1 for y in years)
        out.append({"feature": "birth_date", "value": str(birth_date),
                    "contribution": BIRTH_SAME if same else BIRTH_OTHER, "detail": {"listed": sorted(years)}})
    return out
