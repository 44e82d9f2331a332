"""The state of one generation: parties, persons, officers, and the helpers every scheme uses on them.

Why a module of its own: each scheme adds parties through `World` (which keeps every identifier
unique unless a scheme plants a shared one on purpose), copies identifiers between parties the way
another clerk would key them (`copy_identifier`), and the truth reads the shared ones back
(`shared_by`). `shuffle_ids` renumbers everything at the end, so creation order tells nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ingest.simulate import vocab as V
from ingest.simulate.knobs import START, day


class World:
    """Mutable state of one generation: parties, persons, officers and uniqueness registers."""

    def __init__(self, seed: int, k: dict):
        self.seed, self.k = seed, k
        self.parties: list[dict] = []
        self.canon: list[dict] = []  # canonical identifiers per party (truth side)
        self.persons: list[tuple[str, str]] = []  # (person_id, name)
        self.officers: list[dict] = []
        self.used: set[tuple[str, str]] = set()
        self.names: set[tuple] = set()
        self.hub_carriers: set[int] = set()

    def rng(self, stage: int) -> np.random.Generator:
        """An independent stream per stage, so one stage's draws never shift another's."""
        return np.random.default_rng([self.seed, stage])

    def home_country(self, rng) -> str:
        """Kazakhstan with the `kz_share` knob's probability, Uzbekistan otherwise (one draw)."""
        return "KZ" if rng.random() < self.k["kz_share"] else "UZ"

    # ---- identifiers: unique unless a scheme plants them
    def unique(self, kind: str, make, crowded=None) -> str:
        """A value of `kind` not drawn before; `crowded` draws from a wider space once `make`'s is
        nearly full (after 900 tries: a world that never needs that many draws as it did before)."""
        for attempt in range(1000):
            v = crowded() if crowded is not None and attempt >= 900 else make()
            if v is not None and (kind, v) not in self.used:
                self.used.add((kind, v))
                return v
        raise RuntimeError(f"could not draw a unique {kind}")

    def company_name(self, rng, country: str, cyr: bool, b_word: tuple[str, str] | None = None,
                     a_word: tuple[str, str] | None = None) -> tuple[str, dict]:
        for attempt in range(200):
            a = a_word or V.NAME_A[rng.integers(len(V.NAME_A))]
            a2 = V.NAME_A[rng.integers(len(V.NAME_A))] if (rng.random() < 0.3 or attempt > 50) else None
            b = b_word or V.NAME_B[rng.integers(len(V.NAME_B))]
            c = V.NAME_C[rng.integers(len(V.NAME_C))]
            key = (a, a2, b, c, country)
            if key in self.names:
                continue
            self.names.add(key)
            form = V.LEGAL_FORMS[country][rng.integers(len(V.LEGAL_FORMS[country]))]
            parts = {"a": a, "a2": a2, "b": b, "c": c, "form": form, "country": country}
            return render_name(parts, cyr, int(rng.integers(3))), parts
        raise RuntimeError("name space exhausted: raise the vocabulary or lower traders")

    def person(self, rng, cyr: bool) -> int:
        pid = f"PER{len(self.persons) + 1:07d}"
        self.persons.append((pid, V.person_name(rng, cyr)))
        return len(self.persons) - 1

    def officer(self, company: int, person: int, role: str, since: int, share: float | None = None):
        self.officers.append({
            "company_id": self.parties[company]["party_id"], "person_id": self.persons[person][0],
            "person_name": self.persons[person][1], "role": role,
            "share_pct": share, "since": day(since), "until": None,
        })

    def add_party(self, rec: dict, canon: dict) -> int:
        rec["party_id"] = f"P{len(self.parties) + 1:07d}"
        self.parties.append(rec)
        self.canon.append(canon)
        return len(self.parties) - 1

    def domestic(self, rng, country: str, *, registered: int, city: str | None = None, flat: bool = False,
                 kind: str = "company", b_word=None, a_word=None, address: str | None = None,
                 email: bool | None = None) -> int:
        """A Uzbek or Kazakh company (or individual entrepreneur) with its own unique identifiers."""
        k = self.k
        cyr = rng.random() < k["cyrillic_share"]
        city = city or V.city_for(rng, country)
        messy = k["messy_share"]
        if kind == "person":
            pi = self.person(rng, cyr)
            name = (("ЯТТ " if country == "UZ" else "ИП ") if cyr
                    else ("YaTT " if country == "UZ" else "IP ")) \
                + self.persons[pi][1]
            parts: dict = {"person": pi}  # a company's name parts below
        else:
            name, parts = self.company_name(rng, country, cyr, b_word, a_word)
        reg = START + np.timedelta64(int(registered), "D")
        if country == "UZ":
            tax = self.unique("tax", lambda: V.uz_stir(rng, kind == "person"))
            phone = self.unique("phone", lambda: V.uz_mobile(rng))
            bank = self.unique("bank", lambda: V.uz_account(rng))
        else:
            tax = self.unique("tax", lambda: V.kz_bin(rng, reg, kind == "person"))
            phone = self.unique("phone", lambda: V.kz_mobile(rng))
            bank = self.unique("bank", lambda: V.kz_iban(rng))
        addr = address or self.unique("addr", lambda: V.address(rng, city, cyr, flat))
        mail = self.unique("email", lambda: V.email_for(rng, (parts.get("a") or ("info", ""))[0]
                                                        + (parts.get("b") or ("", ""))[0]))
        want_mail = (rng.random() < 0.7) if email is None else email
        miss = k["missing_share"]
        rec = {
            "name": name, "kind": kind, "country": country,
            "tax_id": V.tax_id_as_recorded(rng, tax, messy) if rng.random() >= miss / 2 else None,
            "registered_on": str(reg), "deregistered_on": None,
            "address": addr if rng.random() >= miss / 2 else None,
            "phone": V.phone_as_recorded(rng, phone, messy) if rng.random() >= miss else None,
            "email": mail if want_mail else None,
            "bank_account": V.account_as_recorded(rng, bank, messy) if rng.random() >= miss * 2 else None,
        }
        canon = {"tax": tax, "phone": phone, "bank": bank, "address": addr, "email": mail, "city": city,
                 "parts": parts, "cyr": cyr, "registered": registered}
        return self.add_party(rec, canon)

    def foreign(self, rng, country: str) -> int:
        first, second, forms = V.FOREIGN_NAMES[country]
        for attempt in range(60):
            name = f"{first[rng.integers(len(first))]} {second[rng.integers(len(second))]} " \
                   f"{forms[rng.integers(len(forms))]}"
            if rng.random() < 0.3 or attempt > 10:
                name = name.replace(" ", f" {('Xin', 'New', 'Global', 'Star', 'Gold')[rng.integers(5)]} ", 1)
            if attempt > 20:  # a crowded name space: registries then carry a branch or series number
                name = name.replace(" ", f" No.{rng.integers(2, 999)} ", 1)
            if ("fname", name) not in self.used:
                self.used.add(("fname", name))
                break
        city = V.FOREIGN_CITIES[country][rng.integers(len(V.FOREIGN_CITIES[country]))]
        phone = self.unique("phone", lambda: V.foreign_phone(rng, country))
        rec = {
            "name": name, "kind": "company", "country": country, "tax_id": None,
            "registered_on": None, "deregistered_on": None,
            "address": self.unique("addr", lambda: f"{city}, No. {rng.integers(1, 2000)}",
                                   lambda: f"{city}, No. {rng.integers(1, 2000)}-{rng.integers(1, 100)}")
            if rng.random() < 0.85 else None,
            "phone": phone if rng.random() < 0.7 else None,
            "email": self.unique("email",
                                 lambda: V.email_for(rng, name.split()[0] + name.split()[1], country))
            if rng.random() < 0.5 else None,
            "bank_account": None,
        }
        return self.add_party(rec, {"phone": phone, "city": city})


def render_name(parts: dict, cyr: bool, style: int, form: str | None = None) -> str:
    """A company name as a registry writes it: legal form before or after, «», "" or no quotes."""
    i = 1 if cyr else 0
    words = [parts["a"][i]] + ([parts["a2"][i]] if parts.get("a2") else []) + [parts["b"][i]]
    if parts["c"][i]:
        words.append(parts["c"][i])
    core = " ".join(words)
    f = form or parts["form"][i]
    if cyr:
        return (f"{f} «{core}»", f"{f} \"{core}\"", f"{core} {f}")[style % 3]
    return (f"\"{core}\" {f}", f"{f} \"{core}\"", f"{core} {f}")[style % 3]


_CANON_KEY = {"phone": "phone", "address": "address", "bank": "bank", "email": "email"}
_COLUMN = {"phone": "phone", "address": "address", "bank": "bank_account", "email": "email"}


def copy_identifier(w: World, rng, src: int, dst: int, kind: str) -> None:
    """Give `dst` the identifier of `src`, recorded the way another clerk would type it."""
    v = w.canon[src][_CANON_KEY[kind]]
    w.canon[dst][_CANON_KEY[kind]] = v
    messy = w.k["messy_share"]
    if w.parties[src][_COLUMN[kind]] is None:  # a planted link is never hidden by a missing cell
        w.parties[src][_COLUMN[kind]] = v
    rec = w.parties[dst]
    if kind == "phone":
        rec["phone"] = V.phone_as_recorded(rng, v, 0.6)
    elif kind == "bank":
        rec["bank_account"] = V.account_as_recorded(rng, v, messy)
    elif kind == "address":
        rec["address"] = V.address_variant(rng, v)
    else:
        rec["email"] = v


def shared_by(w: World, members: list[int], dirs: list[int]) -> dict:
    """Identifier values recorded on at least two members (canonical form) -> the members."""
    out: dict[str, dict[str, list[str]]] = {}
    for kd, key, col in (("phones", "phone", "phone"), ("addresses", "address", "address"),
                         ("banks", "bank", "bank_account"), ("emails", "email", "email")):
        m: dict[str, list[str]] = {}
        for p in members:
            if w.parties[p][col]:
                m.setdefault(w.canon[p][key], []).append(w.parties[p]["party_id"])
        out[kd] = {v: ps for v, ps in m.items() if len(ps) > 1}
    dm: dict[str, list[str]] = {}
    for p, d in zip(members, dirs, strict=True):
        dm.setdefault(w.persons[d][0], []).append(w.parties[p]["party_id"])
    out["directors"] = {v: ps for v, ps in dm.items() if len(ps) > 1}
    return out


def shuffle_ids(w: World, dec: pd.DataFrame, offences: pd.DataFrame) -> None:
    """Renumber parties and persons by a seeded permutation, everywhere they are referenced."""
    rng = w.rng(30)
    pmap = {r["party_id"]: f"P{n + 1:07d}" for r, n in zip(w.parties, rng.permutation(len(w.parties)),
                                                           strict=True)}
    for r in w.parties:
        r["party_id"] = pmap[r["party_id"]]
    qmap = {pid: f"PER{n + 1:07d}" for (pid, _), n in zip(w.persons, rng.permutation(len(w.persons)),
                                                          strict=True)}
    w.persons = [(qmap[pid], name) for pid, name in w.persons]
    for o in w.officers:
        o["company_id"], o["person_id"] = pmap[o["company_id"]], qmap[o["person_id"]]
    for col in ("declarant_id", "consignee_id", "consignor_id", "carrier_id", "broker_id"):
        dec[col] = dec[col].cat.rename_categories(lambda c: pmap[c])
    offences["party_id"] = offences["party_id"].map(pmap)
