"""Entity resolution on frames built in code: scripts, tax-id spellings, shared identifiers, human
decisions."""

from __future__ import annotations

import pandas as pd

from graph.network.resolution import pairwise_f1, resolve
from graph.store.frames import Frames, frame
from ingest.normalise import normalise_name, normalise_tax_id


def _frames(parties, identifiers=(), decisions=()):
    rows = []
    for p in parties:
        rows.append({**p, "key": f"s:{p['party_id']}", "name_norm": normalise_name(p["name"]),
                     "tax_id_norm": normalise_tax_id(p.get("tax_id")), "kind": p.get("kind", "company")})
    ids = [{"party": f"s:{a}", "label": lab, "value": v} for a, lab, v in identifiers]
    dec = [{"kind": k, "subject": f"s:{a}", "object": f"s:{b}", "user": "anna",
            "at": f"2026-01-0{i + 1}T00:00:00Z"}
           for i, (k, a, b) in enumerate(decisions)]
    return Frames(parties=frame("parties", rows), identifiers=frame("identifiers", ids),
                  decisions=frame("decisions", dec))


def test_cyrillic_latin_and_tax_spelling_merge():
    f = _frames([
        {"party_id": "a", "name": "ООО «Восток Трейд»", "tax_id": "7701 234 567"},
        {"party_id": "b", "name": "OOO Vostok Treyd", "tax_id": "7701-234-567"},
        {"party_id": "c", "name": "Vostok Treyd LLC"},  # no tax id, but phone, bank and address shared
        {"party_id": "d", "name": "Zapad Logistik"},
    ], identifiers=[("b", "Phone", "+77011112233"), ("c", "Phone", "+77011112233"),
                    ("b", "BankAccount", "KZ001"), ("c", "BankAccount", "KZ001"),
                    ("b", "Address", "almaty abay 1 kv 5"), ("c", "Address", "almaty abay 1 kv 5")])
    r = resolve(f)
    assert r.entity_of["s:a"] == r.entity_of["s:b"] == r.entity_of["s:c"] == "entity:s:a"
    assert r.entity_of["s:d"] == "entity:s:d"
    ev = r.evidence["entity:s:a"]
    assert any("same tax id" in " ".join(e["reasons"]) for e in ev)
    assert 0.8 <= r.confidence["s:c"] <= 1.0
    assert r.confidence["s:d"] == 1.0


def test_different_tax_ids_and_ring_members_stay_apart():
    # a phoenix successor with a similar name, its own tax id and the predecessor's phone: not the
    # same company
    f = _frames([
        {"party_id": "old", "name": "Vostok Trade", "tax_id": "111"},
        {"party_id": "new", "name": "Vostok Trade Plus", "tax_id": "222"},
        {"party_id": "r1", "name": "Alfa Import"},
        {"party_id": "r2", "name": "Beta Logistic"},
    ], identifiers=[("old", "Phone", "+7700"), ("new", "Phone", "+7700"),
                    ("r1", "BankAccount", "KZ9"), ("r2", "BankAccount", "KZ9")])
    r = resolve(f)
    assert r.entity_of.nunique() == 4


def test_same_name_without_shared_identifiers_is_not_enough():
    f = _frames([{"party_id": "a", "name": "Global Trade"}, {"party_id": "b", "name": "Global Trade"}],
                identifiers=[("a", "Phone", "+1"), ("b", "Phone", "+2")])
    assert resolve(f).entity_of.nunique() == 2


def test_business_centre_address_is_not_evidence():
    parties = [{"party_id": f"p{i}", "name": "Kazakh Trade"} for i in range(2)]
    parties += [{"party_id": f"x{i}", "name": f"Firm {i}"} for i in range(58)]
    ids = [(p["party_id"], "Address", "business centre nurly tau") for p in parties]
    r = resolve(_frames(parties, ids))
    assert r.entity_of["s:p0"] != r.entity_of["s:p1"]


def test_human_decisions_override_and_persist():
    parties = [{"party_id": "a", "name": "Alma Trade"}, {"party_id": "b", "name": "Alma Trade"},
               {"party_id": "c", "name": "Silk Road Cargo"}, {"party_id": "d", "name": "Shelkovy Put"}]
    ids = [("a", "Phone", "+7"), ("b", "Phone", "+7"), ("a", "BankAccount", "B1"), ("b", "BankAccount", "B1")]
    assert resolve(_frames(parties, ids)).entity_of.nunique() == 3
    # the investigator rejects a=b and confirms c=d: the machine must follow, run after run
    r = resolve(_frames(parties, ids, [("not_same_entity", "a", "b"), ("same_entity", "c", "d")]))
    assert r.entity_of["s:a"] != r.entity_of["s:b"]
    assert r.entity_of["s:c"] == r.entity_of["s:d"]
    # a later decision on the same pair wins over an earlier one
    r = resolve(_frames(parties, ids, [("not_same_entity", "a", "b"), ("same_entity", "a", "b")]))
    assert r.entity_of["s:a"] == r.entity_of["s:b"]


def test_rejection_blocks_transitive_merge():
    # b-c share a tax id, a-b look alike: with a != c rejected, a must not join through b
    parties = [{"party_id": "a", "name": "Nur Invest"},
               {"party_id": "b", "name": "Nur Invest", "tax_id": "770100005"},
               {"party_id": "c", "name": "Nur Invest Group", "tax_id": "770100005"}]
    ids = [("a", "Phone", "+7"), ("b", "Phone", "+7"), ("a", "BankAccount", "B"), ("b", "BankAccount", "B")]
    r = resolve(_frames(parties, ids, [("not_same_entity", "a", "c")]))
    assert r.entity_of["s:b"] == r.entity_of["s:c"]
    assert r.entity_of["s:a"] != r.entity_of["s:c"]


def test_pairwise_f1():
    pred = pd.Series({"a": "1", "b": "1", "c": "1", "d": "2"})
    m = pairwise_f1(pred, [["a", "b"], ["c", "d"]])
    assert m["precision"] == 1 / 3 and m["recall"] == 0.5
    assert pairwise_f1(pd.Series({"a": "1", "b": "1"}), [["a", "b"]])["f1"] == 1.0
