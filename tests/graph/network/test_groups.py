"""Linked groups: specificity by kind, degree and recency; rings recovered; traps not grouped."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from network_world import RING, build, k

from graph.engine.stats import damping
from graph.network.groups import GroupSettings, find_groups, link_pairs, specificity
from graph.network.projection import project
from graph.network.resolution import resolve
from graph.network.risk import offence_seeds
from graph.store.frames import frame


def _setup(settings: GroupSettings | None = None):
    f = build()
    res = resolve(f)
    proj = project(f, res)
    seeds = offence_seeds(f, proj)
    return f, proj, seeds, find_groups(proj, seeds, settings)


def _spec_of(proj, spec, kind, value):
    ln = proj.link_nodes
    i = ln.index[(ln["kind"] == kind) & (ln["value"] == value)][0]
    return float(spec[i])


def test_damping_shape():
    d = damping(np.array([1, 2, 5, 15, 60]), 7.0)
    assert d[0] == 1.0 and d[1] > 0.95 and d[2] > 0.7
    assert d[3] < 0.25 and d[4] < 0.02
    assert np.all(np.diff(d) < 0)


def test_specificity_ranks_ring_over_traps():
    _, proj, _, g = _setup()
    spec = g.specificity
    ring_phone = _spec_of(proj, spec, "Phone", "+998901111111")
    ring_bank = _spec_of(proj, spec, "BankAccount", "UZ00RING")
    nominee = _spec_of(proj, spec, "Person", k("nominee"))
    holding = _spec_of(proj, spec, "Person", k("holding_director"))
    centre = _spec_of(proj, spec, "Address", "tashkent business centre 1")
    assert min(ring_phone, ring_bank, nominee) > 0.6
    assert holding < 0.2
    assert centre < 0.02
    assert ring_phone > holding > centre


def test_recency_makes_sharing_more_suspicious():
    _, proj, _, _ = _setup()
    fresh = specificity(proj, GroupSettings(recency_weight=0.3))
    ring_phone = proj.link_nodes.index[proj.link_nodes["value"] == "+998901111111"][0]
    holding = proj.link_nodes.index[proj.link_nodes["value"] == k("holding_director")][0]
    flat = specificity(proj, GroupSettings(recency_weight=0.0))
    # the ring's phone (recent registrations) keeps its weight; the old holding's director loses 30 %
    assert fresh[ring_phone] == flat[ring_phone]
    assert fresh[holding] < flat[holding] * 0.71


def test_ring_is_one_group_without_outsiders():
    _, proj, _seeds, g = _setup()
    ring = [proj.entity_index[f"entity:{k(p)}"] for p in RING]
    gid = {int(g.group_of[e]) for e in ring}
    assert len(gid) == 1 and -1 not in gid
    members = set(np.flatnonzero(g.group_of == gid.pop()).tolist())
    assert members == set(ring)
    row = g.table[g.table["size"] == len(RING)].iloc[0]
    kinds = {x["kind"] for x in row["links"]}
    assert {"Phone", "BankAccount", "Person", "Address"} <= kinds
    assert row["risk"] > 0.3  # two of five members offended
    assert row["group_id"] == f"group:{k('R1')}"


def test_traps_are_not_grouped():
    _, proj, _, g = _setup()
    for pid in ["B0", "B1", "B39", "H0", "H5", "K", "C", "N"]:
        assert g.group_of[proj.entity_index[f"entity:{k(pid)}"]] == -1, pid


def test_pairs_skip_huge_values_and_are_noisy_or():
    _, proj, _, g = _setup()
    pairs = link_pairs(proj, g.specificity, GroupSettings())
    # the 40-tenant centre yields no pairs (each tenant shares only the centre address)
    b = {proj.entity_index[f"entity:{k(f'B{i}')}"] for i in range(40)}
    assert not ((pairs["a"].isin(b)) & (pairs["b"].isin(b))).any()
    # R2-R3 share the phone and the bank account: stronger than either alone
    r2, r3 = (proj.entity_index[f"entity:{k(p)}"] for p in ("R2", "R3"))
    pair = pairs[(pairs["a"] == min(r2, r3)) & (pairs["b"] == max(r2, r3))]
    w = float(pair["weight"].iloc[0])
    assert w > max(g.specificity[pair["nodes"].iloc[0]])


def test_stricter_threshold_splits_weakly_linked_members():
    _, _proj, _seeds, loose = _setup(GroupSettings(threshold=0.5))
    _, _, _, strict = _setup(GroupSettings(threshold=0.99))
    assert (strict.group_of >= 0).sum() < (loose.group_of >= 0).sum()


def test_registration_pattern_separates_mass_registration_from_established_families():
    """Issue 12: an uncaught ring shows how it was set up (firms all registered recently, close
    together); an established family firm (registered years apart) and a pair do not."""
    import pandas as pd

    from graph.network.groups import registration_pattern

    ref = pd.Timestamp("2025-12-31")
    ring = pd.Series(pd.to_datetime(["2024-05-01", "2024-06-10", "2024-07-02", "2024-08-20", "2024-09-01"]))
    family = pd.Series(pd.to_datetime(["2008-01-10", "2012-03-01", "2016-05-05", "2021-02-02"]))
    assert registration_pattern(ring, ref) > 0.8
    assert registration_pattern(family, ref) < 0.02
    assert registration_pattern(ring.iloc[:2], ref) == 0.0
    assert registration_pattern(pd.Series([pd.NaT] * 4), ref) == 0.0


def test_unrecorded_mass_registered_group_carries_risk_with_a_reason():
    """The hand-built ring (registered month after month in 2024) with every record removed still
    carries a group risk (pattern_weight x pattern), explained; registered years apart, none."""
    import pandas as pd

    from graph.network.groups import registration_pattern

    def ring_row(f):
        proj = project(f, resolve(f))
        g = find_groups(proj, np.zeros(proj.n_entities))
        row = g.table.iloc[int(g.group_of[proj.entity_index[f"entity:{k('R1')}"]])]
        return row, pd.to_datetime(proj.entities["registered_on"]).iloc[row["members"]], proj.reference_date

    f = build()
    row, reg, ref = ring_row(f)
    assert len(row["members"]) == len(RING) and registration_pattern(reg, ref) > 0.8
    expected = GroupSettings().pattern_weight * registration_pattern(reg, ref)
    assert row["risk"] == pytest.approx(round(expected, 4))
    assert any("mass-registration pattern" in r for r in row["reasons"])
    parties = f.parties.copy()
    ring = parties["key"].isin([k(p) for p in RING])
    parties.loc[ring, "registered_on"] = pd.to_datetime(["2009-01-01", "2012-01-01", "2015-01-01",
                                                         "2018-01-01", "2021-01-01"])
    row, _, _ = ring_row(type(f)(**{**f.__dict__, "parties": parties}))
    assert row["risk"] == 0.0 and not any("mass-registration" in r for r in row["reasons"])


def test_a_closed_established_circle_weighs_its_record_less_than_a_ring():
    """Issue 12: a family's firms share one director, address and phone among themselves only (a
    closed circle) and were registered years apart; a ring shares its nominees and flats unevenly.
    A member's record weighs half in the first (with the reason), fully in the ring; a closed pair
    where one firm closed (the phoenix shape) is not a family."""
    f = build()
    fam = [{"key": k(f"F{i}"), "party_id": f"F{i}", "source": "t", "name": f"Family Trade {i}",
            "name_norm": f"family trade {i}", "kind": "company", "country": "UZ", "tax_id_norm": f"TF{i}",
            "registered_on": f"20{10 + 3 * i}-03-01"} for i in (1, 2, 3)]
    f.parties = pd.concat([f.parties, frame("parties", fam)], ignore_index=True)
    f.officers = pd.concat([f.officers, frame("officers", [
        {"person": k("head"), "person_name": "head", "company": k(f"F{i}"), "role": "director"}
        for i in (1, 2, 3)])], ignore_index=True)
    f.identifiers = pd.concat([f.identifiers, frame("identifiers", [
        {"party": k(f"F{i}"), "label": lab, "value": v} for i in (1, 2, 3)
        for lab, v in (("Address", "samarkand family st 3"), ("Phone", "+998905550003"))])],
        ignore_index=True)
    f.offences = pd.concat([f.offences, frame("offences", [
        {"key": k("OF1"), "offence_id": "OF1", "date": "2025-03-01", "party": k("F1"),
         "offence_type": "origin", "evaded_amount": 3000.0, "status": "confirmed"}])], ignore_index=True)
    proj = project(f, resolve(f))
    seeds = offence_seeds(f, proj)
    spec = specificity(proj)
    g = find_groups(proj, seeds, spec=spec, pairs=link_pairs(proj, spec))
    t = g.table

    def row_of(pid):
        return t.iloc[g.group_of[proj.entity_index[f"entity:{k(pid)}"]]]

    fam_row, ring_row = row_of("F2"), row_of("R3")
    assert fam_row["size"] == 3 and fam_row["record_factor"] == pytest.approx(0.5)
    assert any(r.startswith("closed circle") for r in fam_row["reasons"])
    assert ring_row["record_factor"] == 1.0 and not any(r.startswith("closed") for r in ring_row["reasons"])
    # the same circle's risk without the discount: the record's noisy-OR x sqrt(1/3)
    sev = 1 - np.exp(-seeds[proj.entity_index[f"entity:{k('F1')}"]])
    assert fam_row["risk"] == pytest.approx(0.5 * sev * np.sqrt(1 / 3), abs=1e-3)
    # X and Y (phoenix) share a director and a phone only between them, but X closed: no discount
    xy = row_of("Y")
    assert xy["record_factor"] == 1.0
