"""Screening: names across scripts and orders, identifiers as strong evidence, qualifiers, blocking."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.network import screening as S


def listed(*rows: dict) -> pd.DataFrame:
    base = {"list": "t", "schema": "Person", "names": [], "countries": [], "birth_dates": [],
            "identifiers": []}
    out = []
    for r in rows:
        x = {**base, **r}
        x["key"] = f"t:{x['entity_id']}"
        out.append(x)
    return pd.DataFrame(out)


def subjects(*rows: dict) -> pd.DataFrame:
    base = {"kind": "company", "country": None, "tax_id": None, "birth_date": None}
    return pd.DataFrame([{**base, **r} for r in rows])


LIST = listed(
    {"entity_id": "osetrova", "name": "OSETROVA, Maria Aleksandrovna", "countries": ["ru"],
     "birth_dates": ["1988-01-07"]},
    {"entity_id": "cst", "schema": "Company", "name": 'Limited Liability Company "CST"',
     "names": ["ООО «ЦСТ»"], "countries": ["ru"], "identifiers": [{"kind": "inn", "value": "1841015504"}]},
    {"entity_id": "kalashnikov", "schema": "Company", "name": "Concern Kalashnikov", "countries": ["ru"]},
)


def test_a_name_in_another_script_and_order_matches():
    assert S.name_similarity("Мария Александровна Осетрова", "OSETROVA, Maria Aleksandrovna", "person") > 0.95
    hits = S.screen(subjects({"key": "p1", "kind": "person", "name": "Мария Александровна Осетрова",
                              "country": "ru"}), S.prepare(LIST))
    assert hits["entity_id"].tolist() == ["osetrova"]
    feats = {f["feature"]: f for f in hits.at[0, "features"]}
    assert set(feats) == {"name", "country"}
    assert all(set(f) == {"feature", "value", "contribution", "detail"} for f in hits.at[0, "features"])
    assert hits.at[0, "score"] == min(1.0, sum(f["contribution"] for f in hits.at[0, "features"]))


def test_a_shared_tax_id_is_a_hit_whatever_the_name():
    hits = S.screen(subjects({"key": "c1", "name": "Vostok Trade", "tax_id": "1841015504"}), S.prepare(LIST))
    assert hits["entity_id"].tolist() == ["cst"]
    f = hits.at[0, "features"]
    assert [x["feature"] for x in f] == ["identifier"] and f[0]["detail"] == {"kind": "inn"}
    assert hits.at[0, "score"] == 1.0


def test_an_unrelated_name_with_the_same_country_is_not_a_hit():
    subj = subjects({"key": "c2", "name": "OOO Ural Metall Servis", "country": "ru"},
                    {"key": "p2", "kind": "person", "name": "Ivan Petrovich Sidorov", "country": "ru"})
    nan_list = listed({"entity_id": "nan", "schema": "Company", "name": "NAN"},
                      {"entity_id": "none", "schema": "Company", "name": "None"})
    assert S.screen(subj, S.prepare(nan_list)).empty


def test_a_person_is_not_screened_against_a_company():
    subj = subjects({"key": "p3", "kind": "person", "name": "Concern Kalashnikov"})
    nan_list = listed({"entity_id": "nan", "schema": "Company", "name": "NAN"},
                      {"entity_id": "none", "schema": "Company", "name": "None"})
    assert S.screen(subj, S.prepare(nan_list)).empty
    hits = S.screen(subjects({"key": "c3", "name": "CONCERN KALASHNIKOV JSC"}), S.prepare(LIST))
    assert hits["entity_id"].tolist() == ["kalashnikov"]


def test_a_different_birth_year_lowers_the_score_below_the_threshold():
    same = S.screen(subjects({"key": "p", "kind": "person", "name": "Maria Osetrova Aleksandrovna",
                              "birth_date": "1988"}), S.prepare(LIST))
    other = S.screen(subjects({"key": "p", "kind": "person", "name": "Maria Osetrova Aleksandrovna",
                               "birth_date": "1961-03-02"}), S.prepare(LIST), threshold=0.0)
    assert same.at[0, "score"] > other.at[0, "score"]
    assert {f["feature"]: f["contribution"] for f in other.at[0, "features"]}["birth_date"] == S.BIRTH_OTHER


def test_near_miss_names_are_told_apart():
    assert S.name_similarity("WALIJAN", "WALIJAN ABDUL GHAFOOR HAQQANI", "person") < S.THRESHOLD
    assert S.name_similarity("Goldman Sachs Trust 2004-1", "Goldman Sachs Trust 2004-2", "company") < 1.0
    assert S.name_similarity("Olaf Scholze", "Olaf Scholz", "person") >= S.THRESHOLD


def test_officers_are_subjects_too():
    parties = pd.DataFrame({"key": ["s:1"], "name": ["Vostok"], "kind": ["company"], "country": ["uz"],
                            "tax_id_norm": ["123"]})
    officers = pd.DataFrame({"person": ["s:o1", "s:o1"], "person_name": ["Осетрова Мария Александровна"] * 2,
                             "company": ["s:1", "s:2"]})
    subj = S.subjects(parties, officers)
    assert subj["key"].tolist() == ["s:1", "s:o1"] and subj["kind"].tolist() == ["company", "person"]
    assert S.screen(subj, S.prepare(LIST))["subject"].tolist() == ["s:o1"]


@settings(max_examples=40, deadline=None)
@given(st.permutations(["maria", "aleksandrovna", "osetrova"]), st.booleans())
def test_part_order_and_case_do_not_matter(order, upper):
    name = " ".join(order)
    name = name.upper() if upper else name.title()
    assert S.name_similarity(name, "OSETROVA, Maria Aleksandrovna", "person") == 1.0


def test_blocking_finds_the_planted_names_without_a_cross_product():
    rng = np.random.default_rng(5)
    syll = ["ka", "ro", "mi", "tan", "sel", "vor", "du", "len", "pa", "shi", "gor", "bek", "ul", "zan"]

    def word() -> str:
        return "".join(rng.choice(syll, size=rng.integers(2, 4))).title()

    ents = [{"entity_id": str(i), "name": f"{word()} {word()} {word()}"} for i in range(3000)]
    subj = [{"key": f"s{i}", "kind": "person", "name": f"{word()} {word()}"} for i in range(3000)]
    planted = {f"s{i}": str(i * 7) for i in range(0, 300, 3)}  # the listed name, parts reversed
    for s, e in planted.items():
        subj[int(s[1:])]["name"] = " ".join(reversed(ents[int(e)]["name"].split()))
    index = S.prepare(listed(*ents))
    hits = S.screen(subjects(*subj), index)
    found = set(zip(hits["subject"], hits["entity_id"], strict=True))
    assert set(planted.items()) <= found


def test_missing_names_and_ids_are_no_evidence():
    subj = subjects({"key": "x", "name": None, "tax_id": None},
                    {"key": "y", "name": float("nan"), "tax_id": "12"},
                    {"key": "z", "name": "", "tax_id": float("nan")})
    nan_list = listed({"entity_id": "nan", "schema": "Company", "name": "NAN"},
                      {"entity_id": "none", "schema": "Company", "name": "None"})
    assert S.screen(subj, S.prepare(nan_list)).empty


_SYLL = ["ka", "ro", "mi", "tan", "sel", "vor", "du", "len", "pa", "shi"]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), keep=st.sets(st.integers(0, 59), max_size=20))
def test_a_restricted_screening_finds_what_the_full_one_finds_for_its_entities(seed, keep):
    """`restrict` (a list's changed entities only) keeps the whole list's key frequencies, so its
    hits are exactly the full screening's hits on those entities (an index of the changed entities
    alone would block differently)."""
    rng = np.random.default_rng(seed)

    def word() -> str:
        return "".join(rng.choice(_SYLL, size=rng.integers(2, 3))).title()

    ents = [{"entity_id": str(i), "name": f"{word()} {word()}"} for i in range(60)]
    subj = [{"key": f"s{i}", "kind": "person", "name": f"{word()} {word()}"} for i in range(40)]
    for i in range(0, 40, 4):  # some planted variants, so there are hits to compare
        subj[i]["name"] = " ".join(reversed(ents[i]["name"].split()))
    frame = listed(*ents)
    index = S.prepare(frame)
    full = S.screen(subjects(*subj), index)
    part = S.screen(subjects(*subj), S.restrict(index, keep))
    want = full[full["entity_id"].astype(int).isin(keep)]
    cols = ["subject", "entity_id", "score"]
    assert (part[cols].sort_values(cols).to_numpy().tolist()
            == want[cols].sort_values(cols).to_numpy().tolist())
