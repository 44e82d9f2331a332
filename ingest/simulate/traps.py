"""Traps: honest structures that look like schemes and must not be scored as risky.

Why a module of its own: a detector that flags shared addresses, busy directors, brand-new firms or
deregistrations is measured against these on purpose. Business centres put 30-80 honest firms at
one address; a holding's director sits on 8-20 clean boards; newcomers register late in the period
and trade at once; some ordinary firms close with no successor and no offence (so a deregistration
alone is not the phoenix scheme). The hub brokers and carriers, the remaining trap, are service
parties and are made with the others in `services`.

Two more only a randomised scenario plants (their knobs are 0 in the fixed world): outsourced
accountants whose phone, email or office address 10-40 honest clients share, and family firms under
one director at one address. Some of them carry a paperwork offence with no duty evaded
(`trap_paperwork_share`, in `offences`): honest behaviour that looks like a ring with a record.
"""

from __future__ import annotations

from ingest.simulate import vocab as V
from ingest.simulate.knobs import DAYS, day
from ingest.simulate.traders import TraderFactory
from ingest.simulate.world import copy_identifier


def close_honest(f: TraderFactory, rng, ordinary: list[int]) -> list[int]:
    """Deregister `closed_honest` ordinary firms after their last declaration; their party numbers."""
    w, k, traders = f.w, f.k, f.traders
    closed: list[int] = []
    for ti in sorted(rng.choice(ordinary, size=min(k["closed_honest"], len(ordinary) // 4), replace=False)):
        t = traders[int(ti)]
        t.start = min(t.start, 100)
        t.end = int(rng.integers(t.start + 200, DAYS - 200))
        w.parties[t.party]["deregistered_on"] = day(t.end + int(rng.integers(30, 180)))
        closed.append(t.party)
    return closed


def business_centres(f: TraderFactory, rng) -> list[dict]:
    """Honest firms registered at one business-centre address each: [{"address", "members"}]."""
    w, k = f.w, f.k
    bc_truth = []
    for b in range(k["business_centres"]):
        city, addr = V.BUSINESS_CENTRES[b % len(V.BUSINESS_CENTRES)]
        if b >= len(V.BUSINESS_CENTRES):
            addr = addr.replace(", ", f", {b // len(V.BUSINESS_CENTRES) + 1}-bino, ", 1)
        cc = "KZ" if city in ("Almaty", "Astana") else "UZ"
        size = int(rng.integers(k["business_centre_size"][0], k["business_centre_size"][1] + 1))
        members = []
        for _ in range(size):
            reg = -int(rng.integers(100, 5000))
            p = w.domestic(rng, cc, registered=reg, city=city, address=V.address_variant(rng, addr))
            w.canon[p]["address"] = addr
            f.director_for(rng, p, reg)
            f.make_trader(rng, p, "bc", noise_ok=False)
            members.append(p)
        bc_truth.append({"address": addr, "members": members})
    return bc_truth


def holdings(f: TraderFactory, rng) -> tuple[list[int], list[int]]:
    """Clean companies of one brand under one person: (member parties, the directors' person numbers)."""
    w, k = f.w, f.k
    holding_members, holding_directors = [], []
    for _h in range(k["holdings"]):
        cc = w.home_country(rng)
        cyr = rng.random() < k["cyrillic_share"]
        boss = w.person(rng, cyr)
        holding_directors.append(boss)
        brand = V.NAME_A[int(rng.integers(len(V.NAME_A)))]
        size = int(rng.integers(k["holding_size"][0], k["holding_size"][1] + 1))
        for j in range(size):
            reg = -int(rng.integers(300, 6000))
            p = w.domestic(rng, cc, registered=reg, a_word=brand)
            w.officer(p, boss, ("director", "founder", "shareholder")[j % 3], reg,
                      None if j % 3 == 0 else float(rng.choice([51.0, 60.0, 75.0, 100.0])))
            if j % 3 != 0:
                w.officer(p, w.person(rng, w.canon[p]["cyr"]), "director", reg)
            f.make_trader(rng, p, "holding", noise_ok=False)
            holding_members.append(p)
    return holding_members, holding_directors


def newcomers(f: TraderFactory, rng) -> list[int]:
    """Honest firms registered in the last year that trade from their first weeks; their parties."""
    w, k = f.w, f.k
    out = []
    for _ in range(k["newcomers"]):
        reg = int(rng.integers(DAYS - 330, DAYS - 90))
        p = w.domestic(rng, w.home_country(rng), registered=reg, flat=rng.random() < 0.3)
        f.director_for(rng, p, reg)
        f.make_trader(rng, p, "newcomer", start=reg + int(rng.integers(10, 40)),
                      weight=float(rng.lognormal(-0.5, 0.6)), min_headers=3, noise_ok=False,
                      first_at_start=True)
        out.append(p)
    return out


def accountants(f: TraderFactory, rng, ordinary: list[int]) -> list[dict]:
    """Outsourced accountants: each keys its own phone, email and/or office address into 10-40
    honest clients' records (as small firms' registrations really carry them). [{"kinds", "members"}]

    Only a randomised scenario plants them (`accountants` knob, 0 in the fixed world)."""
    w, k, traders = f.w, f.k, f.traders
    free = [i for i in ordinary if w.parties[traders[i].party]["kind"] == "company"]
    free = [free[i] for i in rng.permutation(len(free))]
    out = []
    for _a in range(k["accountants"]):
        lo, hi = k["accountant_clients"]
        n = min(int(rng.integers(lo, hi + 1)), len(free))
        if n < 2:
            break
        idx, free = free[:n], free[n:]
        clients = [traders[i].party for i in idx]
        kinds = [kd for kd in ("phone", "email", "address") if rng.random() < 0.5] or ["phone"]
        for kd in kinds:
            for p in clients[1:]:
                copy_identifier(w, rng, clients[0], p, kd)
        for i in idx:
            traders[i].paperwork_trap = True
        out.append({"kinds": kinds, "members": clients})
    return out


def families(f: TraderFactory, rng) -> list[dict]:
    """Family firms: 2-5 honest, established companies of one family under one director, registered
    at one home or office address (sometimes one phone too). [{"director", "shared", "members"}]

    Only a randomised scenario plants them (`families` knob, 0 in the fixed world)."""
    w, k = f.w, f.k
    out = []
    for _fam in range(k["families"]):
        cc = w.home_country(rng)
        city = V.city_for(rng, cc)
        boss = w.person(rng, rng.random() < k["cyrillic_share"])
        size = int(rng.integers(k["family_size"][0], k["family_size"][1] + 1))
        shared = ["director", "address"] + (["phone"] if rng.random() < 0.3 else [])
        members: list[int] = []
        for j in range(size):
            reg = -int(rng.integers(300, 6000))
            p = w.domestic(rng, cc, registered=reg, city=city, flat=rng.random() < 0.5)
            w.officer(p, boss, "director" if j == 0 or rng.random() < 0.6 else "founder", reg,
                      None if j == 0 else 100.0)
            if members:
                for kd in shared[1:]:
                    copy_identifier(w, rng, members[0], p, kd)
            f.make_trader(rng, p, "family", paperwork_trap=True)
            members.append(p)
        out.append({"director": boss, "shared": shared, "members": members})
    return out
