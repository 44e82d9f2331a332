"""A small hand-built world as frames, for the network analytics' unit tests.

Planted: a shell ring R1..R5 (R1, R2 with offences) sharing a mobile, a bank account, a nominee
director and a flat; a phoenix successor Y of the deregistered offender X (same director and phone,
same goods from the same supplier); and traps that must stay low: a business centre with 40
tenants (one an offender), a clean holding whose director sits on 12 old boards (one firm with an
honest violation), a hub broker and carrier serving everyone, and an honest newcomer.
"""

from __future__ import annotations

import pandas as pd

from graph.store.frames import Frames, frame

SRC = "t"


def k(pid: str) -> str:
    return f"{SRC}:{pid}"


def build() -> Frames:  # noqa: C901 (a linear script of planted facts, one loop per scheme)
    parties, ids, officers, decl, offences = [], [], [], [], []

    def party(pid, name, registered="2015-01-01", deregistered=None, kind="company"):
        parties.append({"key": k(pid), "party_id": pid, "source": SRC, "name": name,
                        "name_norm": name.lower(),
                        "kind": kind, "country": "UZ", "tax_id_norm": f"T{pid}", "registered_on": registered,
                        "deregistered_on": deregistered})

    def ident(pid, label, value):
        ids.append({"party": k(pid), "label": label, "value": value})

    def officer(pid, person, role="director"):
        officers.append({"person": k(person), "person_name": person, "company": k(pid), "role": role})

    n = [0]

    def declare(consignee, supplier, hs, date="2025-06-01", violation=False, broker="K", carrier="C"):
        n[0] += 1
        decl.append({"key": k(f"D{n[0]}/1"), "declaration_key": k(f"D{n[0]}"), "declaration_id": f"D{n[0]}",
                     "item_no": 1, "date": date, "hs_code": hs, "customs_value": 1000.0, "net_mass_kg": 100.0,
                     "declarant": k(broker), "consignee": k(consignee), "consignor": k(supplier),
                     "broker": k(broker), "carrier": k(carrier),
                     "inspection_result": "violation" if violation else None})

    def offence(pid, date="2025-03-01", kind="undervaluation", amount=20000.0):
        offences.append({"key": k(f"O{len(offences)}"), "offence_id": f"O{len(offences)}", "date": date,
                         "party": k(pid), "offence_type": kind, "evaded_amount": amount,
                         "status": "confirmed"})

    for pid, name in (("K", "Hub Broker"), ("C", "Hub Carrier")):
        party(pid, name, "2005-01-01")
    for i in range(3):
        party(f"S{i}", f"Supplier {i}", "2010-01-01")
    # the ring: recent registrations, identifiers shared partially and unevenly
    for i, name in enumerate(["Alfa Shell", "Beta Shell", "Gamma Shell", "Delta Shell", "Epsilon Shell"], 1):
        party(f"R{i}", name, f"2024-0{i}-15")
    for pid in ("R1", "R2", "R3"):
        ident(pid, "Phone", "+998901111111")
    for pid in ("R2", "R3", "R4"):
        ident(pid, "BankAccount", "UZ00RING")
    for pid in ("R1", "R4", "R5"):
        officer(pid, "nominee")
    for pid in ("R3", "R5"):
        ident(pid, "Address", "tashkent chilanzar 5 kv 12")
    offence("R1")
    offence("R2", kind="misclassification")
    # phoenix: X deregistered 2024-06-01, Y registered a month later, same director, phone, goods, supplier
    party("X", "Old Textile", "2016-01-01", deregistered="2024-06-01")
    party("Y", "New Textile Line", "2024-07-01")
    officer("X", "owner_x")
    officer("Y", "owner_x")
    ident("X", "Phone", "+998902222222")
    ident("Y", "Phone", "+998902222222")
    offence("X", date="2024-03-01", kind="smuggling", amount=80000.0)
    # business centre: 40 tenants, one of them an offender
    for i in range(40):
        party(f"B{i}", f"Centre Tenant {i}", "2012-01-01")
        ident(f"B{i}", "Address", "tashkent business centre 1")
    offence("B0")
    # holding: one director on 12 old boards, one honest violation
    for i in range(12):
        party(f"H{i}", f"Holding Firm {i}", "2008-01-01")
        officer(f"H{i}", "holding_director")
    party("N", "Honest Newcomer", "2025-09-01")
    # trade: everyone imports through the hub broker and carrier; ring and phoenix share suppliers
    for i in range(1, 6):
        for _ in range(4):
            declare(f"R{i}", "S0", "610910")
    for _ in range(6):
        declare("X", "S1", "620342", date="2024-01-10")
        declare("Y", "S1", "620342")
    for i in range(40):
        declare(f"B{i}", "S2", "940360")
    for i in range(12):
        for j in range(3):
            declare(f"H{i}", "S2", "841821", violation=(i == 0 and j == 0))
    declare("N", "S2", "950300", date="2025-12-01")

    return Frames(declarations=frame("declarations", decl), parties=frame("parties", parties),
                  officers=frame("officers", officers), identifiers=frame("identifiers", ids),
                  offences=frame("offences", offences))


PLANTED = ("R3", "R4", "R5", "Y")
TRAPS = ("K", "C", "N", *(f"B{i}" for i in range(1, 40)), *(f"H{i}" for i in range(12)))
RING = ("R1", "R2", "R3", "R4", "R5")


def frames_with(**extra: pd.DataFrame) -> Frames:
    f = build()
    for name, df in extra.items():
        setattr(f, name, df)
    return f
