"""The typology simulator: seeded customs worlds with planted fraud schemes and their ground truth.

Why: no public customs data carries realistic fraud *networks* (the Korea Customs sample's party ids
were synthesised column by column), so the analytics are measured on worlds whose schemes we plant
ourselves and whose answers we keep. A world is an ordinary contract bundle
(`../shared/data-contract.md`, `graph.domain.schema.FILES`) plus `truth.json`.

`generate_world(out_dir, seed=7, declarations=40000, **knobs)` writes `parties.csv`,
`declarations.csv` (exactly `declarations` goods-item rows), `officers.csv`, `offences.csv` and
`truth.json`, and returns a summary of counts. Same seed and knobs -> the same bytes.

The world (Uzbekistan and Kazakhstan importers, foreign suppliers, brokers, carriers):
- ordinary traders with stable goods, suppliers, brokers, routes and prices, and a low base rate of
  honest violations and documentation offences (noise);
- shell-company rings (4-10 recently registered firms sharing nominee directors, phones, private
  flats, bank accounts and emails, partially and unevenly, through one captured broker); some
  members have offences, the others have none of their own;
- phoenix firms: an offender deregisters, a successor registered afterwards shares its director
  and/or phone/bank/address and trades the same goods with the same suppliers, without offences;
- cover items: risk goods declared under a low-duty cover code at a value per kg that fits the risk
  goods; some caught (offences with declared != actual code), the rest uncaught;
- duplicates: one company recorded under two or three party ids (script, legal form, tax id format,
  or a missing tax id with the same phone, address and bank);
- traps that must not look risky: business centres shared by 30-80 honest firms, a holding whose
  director sits on 8-20 clean boards, hub brokers and carriers serving hundreds of traders, honest
  newcomers.
Every shared identifier in a world is planted: honest firms get unique phones, accounts, emails,
tax ids and addresses (outside business centres), so the truth below is complete. Party and person
ids are renumbered by a seeded permutation, so creation order tells nothing. Messiness is on purpose:
phones as clerks type them (spaces, dashes, brackets, the Kazakh 8-prefix, no country code), tax ids
and accounts with spaces or dashes, a share of empty optional cells, names in either script.

Also on purpose: a captured broker serves a couple of honest clients besides its ring; hub brokers
and carriers serve offenders too; honest firms close (deregistered, no successor); individual
entrepreneurs may share a person's name (namesakes, different tax ids).

Sizes: `default_knobs(declarations)` lists every knob and its default (they scale with the number of
rows); truth.json records the resolved values. Measured on the 2-core build machine shared with
other jobs (load average 7-10): 40,000 rows in 2-4 s, peak RSS 0.2 GB (declarations.csv 14.5 MB);
1,000,000 rows in 50-65 s, peak RSS 1.2 GB (declarations.csv 364 MB, parties.csv 13 MB). CSV is
written by Arrow: every text cell quoted, whole floats without ".0".

truth.json:
    {
      "seed": int, "knobs": {resolved knob values}, "period": [first_date, last_date],
      "rings": [{"ring_id": "R01", "members": [party_id], "offenders": [party_id],
                 "clean_members": [party_id], "broker": party_id,
                 "shared": {"phones": [e164], "addresses": [address], "banks": [account],
                            "emails": [email], "directors": [person_id]},
                 "shared_by": {"phones": {value: [party_id]}, ...same kinds...}}],
      "phoenix": [{"predecessor": party_id, "successor": party_id, "deregistered_on": date,
                   "successor_registered_on": date, "shared": ["director", "phone", ...]}],
      "cover": {"pairs": [[cover_hs6, risk_hs6]],
                "pairs_national": [[cover_code, risk_code]],   # the codes written in the bundle
                "planted_declarations": ["declaration_id/item_no"],  # uncaught cover items
                "caught_declarations": ["declaration_id/item_no"]},  # cover items with an offence
      "undervaluation": {"planted_declarations": [...],   # ring imports priced at 25-55 %, uncaught
                         "caught_declarations": [...]},   # ... and those found (offenders only)
      "duplicates": [[party_id, party_id, ...]],        # the first is the original record
      "traps": {"business_centre": [party_id], "business_centres": [{"address": str, "members": [...]}],
                "holding": [party_id], "holding_director": [person_id],
                "hub_brokers": [party_id], "hub_carriers": [party_id], "newcomers": [party_id],
                "closed_honest": [party_id]},                # deregistered honest firms, no successor
      "offenders": [party_id],                          # every party with at least one offence
      "smugglers": [party_id]                           # stand-alone cover-item traders
    }
Canonical identifier values in truth: phones E.164, accounts without spaces, addresses as first
recorded (other records may differ in case and spacing only), tax ids digits only.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from graph.domain.encoding import json_default
from graph.domain.schema import FILE_BY_NAME
from ingest import sim_vocab as V

START = np.datetime64("2024-01-01")
DAYS = 731  # two years of declarations: 2024-01-01 .. 2025-12-31

# --------------------------------------------------------------------------- goods

# chapter: (median USD per kg, duty rates to draw from, typical shipment kg, quantity unit)
CHAPTERS: dict[str, tuple[float, tuple[float, ...], float, str]] = {
    "07": (0.7, (5, 10, 15), 9000, "kg"), "08": (1.3, (5, 10, 15), 8000, "kg"), "09": (3.5, (5, 10), 3000, "kg"),
    "15": (1.4, (5, 10), 12000, "kg"), "17": (0.6, (5, 10, 20), 15000, "kg"), "19": (2.6, (10, 15), 4000, "kg"),
    "21": (3.2, (10, 15), 3000, "kg"), "22": (1.6, (10, 20), 8000, "l"), "30": (45.0, (0, 5), 600, "kg"),
    "32": (3.0, (5, 10), 4000, "kg"), "33": (9.0, (10, 15), 1500, "kg"), "34": (2.1, (10, 15), 5000, "kg"),
    "39": (2.4, (5, 10, 15), 6000, "kg"), "40": (3.6, (10, 15), 6000, "pcs"), "44": (0.5, (0, 5), 20000, "kg"),
    "48": (1.2, (5, 10), 10000, "kg"), "52": (3.1, (5, 10), 8000, "kg"), "55": (3.4, (5, 10), 7000, "kg"),
    "61": (17.0, (15, 20, 30), 2500, "pcs"), "62": (21.0, (15, 20, 30), 2500, "pcs"),
    "64": (19.0, (15, 20), 2500, "pair"), "68": (0.4, (5, 10), 20000, "kg"), "69": (1.0, (10, 20), 15000, "kg"),
    "70": (1.5, (5, 10), 10000, "kg"), "72": (0.8, (0, 5), 22000, "kg"), "73": (2.4, (5, 10), 8000, "kg"),
    "76": (4.2, (5, 10), 6000, "kg"), "84": (22.0, (0, 5), 3000, "pcs"), "85": (30.0, (5, 10, 15), 2000, "pcs"),
    "87": (9.0, (10, 15), 5000, "pcs"), "90": (80.0, (0, 5), 400, "pcs"), "94": (4.0, (10, 20), 5000, "pcs"),
    "95": (6.0, (10, 20), 3000, "pcs"),
}
# (cover hs6, risk hs6): risk goods hidden under a low-duty code
COVER_PAIRS: tuple[tuple[str, str], ...] = (
    ("070999", "240220"), ("680299", "220830"), ("392690", "851713"), ("732690", "870899"),
    ("392620", "620342"), ("070999", "220830"), ("392690", "610910"),
)
# overrides: hs6 -> (USD per kg, duty %, typical kg, unit)
SPECIAL: dict[str, tuple[float, float, float, str]] = {
    "070999": (0.8, 5, 9000, "kg"), "680299": (0.35, 5, 20000, "kg"), "392690": (2.8, 5, 6000, "kg"),
    "732690": (2.5, 5, 8000, "kg"), "392620": (3.4, 10, 4000, "kg"),
    "240220": (32.0, 30, 4000, "1000 pcs"), "220830": (13.0, 40, 6000, "l"), "851713": (260.0, 20, 800, "pcs"),
    "870899": (14.0, 15, 5000, "kg"), "620342": (24.0, 30, 2500, "pcs"), "610910": (16.0, 30, 2500, "pcs"),
}
# kg per quantity unit where the unit is not kg (by chapter, or by subheading)
UNIT_KG: dict[str, float] = {
    "61": 0.25, "62": 0.45, "64": 0.9, "40": 9.0, "84": 30.0, "85": 2.5, "87": 4.0, "90": 1.5, "94": 18.0,
    "95": 0.6, "851713": 0.35, "240220": 1.3, "220830": 1.5, "620342": 0.5, "610910": 0.22,
}
FALLBACK_HS: dict[str, str] = {
    "070999": "Vegetables; edible, n.e.c. in chapter 07, fresh or chilled", "070200": "Tomatoes; fresh or chilled",
    "080810": "Apples; fresh", "090240": "Tea, black; fermented", "150790": "Soya-bean oil; refined",
    "170199": "Sugars; cane or beet sugar, refined", "190531": "Sweet biscuits",
    "220830": "Whiskies", "240220": "Cigarettes; containing tobacco", "300490": "Medicaments; n.e.c., in doses",
    "330499": "Beauty or make-up preparations", "340111": "Soap; for toilet use", "392690": "Plastics; other articles",
    "392620": "Plastics; articles of apparel and clothing accessories", "401110": "Tyres; new, for motor cars",
    "480256": "Paper; uncoated, for writing", "520942": "Denim fabrics", "610910": "T-shirts; of cotton, knitted",
    "620342": "Trousers; men's, of cotton", "640299": "Footwear; rubber or plastics", "680299": "Stone; worked, n.e.c.",
    "690721": "Ceramic tiles", "721049": "Flat-rolled iron; zinc coated", "732690": "Iron or steel; articles n.e.c.",
    "760429": "Aluminium profiles", "841821": "Refrigerators; household", "847130": "Laptops",
    "851713": "Telephone sets; smartphones", "852872": "Television receivers; colour",
    "870899": "Vehicle parts and accessories n.e.c.", "940360": "Wooden furniture", "950300": "Toys",
}


def _hs_source(path: Path | None) -> Path | None:
    if path is not None:
        return Path(path) if Path(path).exists() else None
    base = Path(os.environ.get("TAMGA_DATASETS", Path(__file__).resolve().parents[2] / "shared" / "datasets"))
    p = base / "hs" / "harmonized-system.csv"
    return p if p.exists() else None


@dataclass
class Goods:
    """The goods catalogue of a world: one national (10-digit) code per HS6 subheading."""

    hs6: np.ndarray          # str
    code: np.ndarray         # str, 10 digits, the code written in the bundle
    desc: np.ndarray         # str
    uv: np.ndarray           # USD per kg
    duty: np.ndarray         # %
    mass: np.ndarray         # typical shipment kg
    unit: np.ndarray         # quantity unit
    pop: np.ndarray          # popularity weights
    unit_kg: np.ndarray      # kg per quantity unit (a piece, a litre, a thousand cigarettes)
    chapter_idx: dict[str, np.ndarray]

    def index(self, hs6: str) -> int:
        return int(np.flatnonzero(self.hs6 == hs6)[0])


def _goods(rng: np.random.Generator, n_codes: int, hs_path: Path | None) -> Goods:
    src = _hs_source(hs_path)
    if src is not None:
        hs = pd.read_csv(src, dtype=str, usecols=["hscode", "description", "level"])
        hs = hs[(hs["level"] == "6") & hs["hscode"].str[:2].isin(list(CHAPTERS))]
        table = dict(zip(hs["hscode"], hs["description"]))
    else:
        table = dict(FALLBACK_HS)
    must = sorted(SPECIAL)
    others = sorted(c for c in table if c not in SPECIAL)
    k = max(0, min(len(others), n_codes - len(must)))
    pick = sorted(must + [others[i] for i in rng.choice(len(others), size=k, replace=False)])
    hs6 = np.array(pick)
    n = len(hs6)
    uv, duty, mass, unit = np.empty(n), np.empty(n), np.empty(n), np.empty(n, dtype=object)
    for i, c in enumerate(pick):
        if c in SPECIAL:
            uv[i], duty[i], mass[i], unit[i] = SPECIAL[c]
        else:
            m, rates, kg, u = CHAPTERS[c[:2]]
            uv[i] = round(m * float(rng.lognormal(0, 0.45)), 3)
            duty[i] = float(rates[rng.integers(len(rates))])
            mass[i] = kg * float(rng.lognormal(0, 0.3))
            unit[i] = u
    suffix = np.array(["0000", "1000", "9000", "9009", "1100", "9800"])
    code = np.array([c + suffix[rng.integers(len(suffix))] for c in pick])
    pop = rng.pareto(1.2, n) + 0.2
    for c, _r in COVER_PAIRS:  # cover codes are common honest goods: the value per kg is what betrays them
        pop[pick.index(c)] = pop.max() * 0.6
    chap: dict[str, list[int]] = {}
    for i, c in enumerate(pick):
        chap.setdefault(c[:2], []).append(i)
    desc = np.array([table.get(c, FALLBACK_HS.get(c, "Goods")) for c in pick], dtype=object)
    unit_kg = np.array([UNIT_KG.get(c, UNIT_KG.get(c[:2], 1.3 if u == "l" else 1.0)) for c, u in zip(pick, unit)])
    return Goods(hs6, code, desc, uv, duty, mass, unit.astype(str), pop / pop.sum(), unit_kg,
                 {k2: np.array(v) for k2, v in chap.items()})


# --------------------------------------------------------------------------- logistics

OFFICES: tuple[tuple[str, str, str], ...] = (
    # code, name, city
    ("26001", "26001 Toshkent shahar bojxona boshqarmasi", "Tashkent"),
    ("26003", "26003 Chuqursoy TIF bojxona posti", "Tashkent"),
    ("18001", "18001 Samarqand viloyat bojxona boshqarmasi", "Samarkand"),
    ("50510", "50510 ДГД по г. Алматы, т/п «Алматы-ЦТО»", "Almaty"),
    ("50515", "50515 ДГД по г. Алматы, т/п «Достык-ЦТО»", "Almaty"),
    ("62001", "62001 ДГД по г. Астана, т/п «Астана-ЦТО»", "Astana"),
)
# (destination, dispatch) -> [(transit, border post, mode)]
ROUTES: dict[tuple[str, str], tuple[tuple[str, str, str], ...]] = {
    ("UZ", "CN"): (("KZ", "Keles", "rail"), ("KG", "Dostlik (Andijon)", "road"), ("KZ", "Yallama", "road")),
    ("UZ", "TR"): (("GE;AZ;TM", "Alat", "road"), ("IR;TM", "Farap", "road"), ("", "Toshkent-Aero", "air")),
    ("UZ", "RU"): (("KZ", "Keles", "rail"), ("KZ", "Yallama", "road")),
    ("UZ", "DE"): (("PL;BY;RU;KZ", "Yallama", "road"), ("", "Toshkent-Aero", "air")),
    ("UZ", "KR"): (("CN;KZ", "Keles", "rail"), ("", "Toshkent-Aero", "air")),
    ("UZ", "IN"): (("IR;TM", "Alat", "road"), ("", "Toshkent-Aero", "air")),
    ("UZ", "AE"): (("IR;TM", "Farap", "road"), ("", "Toshkent-Aero", "air")),
    ("UZ", "IR"): (("TM", "Farap", "road"), ("TM", "Alat", "rail")),
    ("KZ", "CN"): (("", "Khorgos", "road"), ("", "Dostyk", "rail"), ("", "Khorgos", "rail")),
    ("KZ", "TR"): (("GE;AZ", "Aktau port", "sea"), ("", "Almaty-Aero", "air")),
    ("KZ", "RU"): (("", "Zhaisan", "road"), ("", "Petropavlovsk", "rail")),
    ("KZ", "DE"): (("PL;BY;RU", "Syrym", "road"), ("", "Almaty-Aero", "air")),
    ("KZ", "KR"): (("CN", "Dostyk", "rail"), ("", "Almaty-Aero", "air")),
    ("KZ", "IN"): (("IR;TM;UZ", "Zhibek Zholy", "road"), ("", "Almaty-Aero", "air")),
    ("KZ", "AE"): (("", "Almaty-Aero", "air"), ("IR;TM;UZ", "Zhibek Zholy", "road")),
    ("KZ", "IR"): (("TM;UZ", "Zhibek Zholy", "road"), ("", "Aktau port", "sea")),
}
FOREIGN_COUNTRIES = ("CN", "TR", "RU", "DE", "KR", "IN", "AE", "IR")
FOREIGN_WEIGHTS = np.array([0.36, 0.15, 0.14, 0.06, 0.08, 0.07, 0.09, 0.05])


# --------------------------------------------------------------------------- knobs

def default_knobs(declarations: int) -> dict:
    """Sizes that scale with the number of goods-item rows; every one may be overridden."""
    n = declarations
    return {
        "traders": max(80, n // 20),
        "consignors": max(40, n // 80),
        "brokers": max(8, n // 1500),
        "carriers": max(8, n // 1200),
        "hub_brokers": 3,
        "hub_carriers": 3,
        "hub_broker_share": 0.55,
        "hub_carrier_share": 0.5,
        "rings": max(3, n // 4000),
        "ring_size": [4, 10],
        "ring_offender_share": 0.4,
        "ring_undervaluation_share": 0.3,
        "ring_min_headers": 6,
        "phoenix": max(2, n // 6000),
        "duplicates": max(3, n // 2500),
        "business_centres": max(1, n // 25000),
        "business_centre_size": [30, 80],
        "holdings": max(1, n // 250000),
        "holding_size": [8, 20],
        "newcomers": max(5, n // 1500),
        "closed_honest": max(3, n // 3000),
        "smugglers": max(2, n // 10000),
        "cover_items": max(24, n // 300),
        "cover_caught_share": 0.35,
        "export_share": 0.06,
        "honest_violation_rate": 0.004,
        "documentation_offences": max(3, n // 4000),
        "kz_share": 0.35,
        "cyrillic_share": 0.4,
        "messy_share": 0.3,
        "missing_share": 0.05,
        "hs_codes": min(600, max(80, n // 100)),
        "hs_path": None,
    }


def _day(d: int) -> str:
    return str(START + np.timedelta64(int(d), "D"))


# --------------------------------------------------------------------------- the world

class _World:
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

    # ---- identifiers: unique unless a scheme plants them
    def unique(self, kind: str, make) -> str:
        for _ in range(1000):
            v = make()
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
            "share_pct": share, "since": _day(since), "until": None,
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
            name = (("ЯТТ " if country == "UZ" else "ИП ") if cyr else ("YaTT " if country == "UZ" else "IP ")) \
                + self.persons[pi][1]
            parts = {"person": pi}
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
            "address": self.unique("addr", lambda: f"{city}, No. {rng.integers(1, 2000)}")
            if rng.random() < 0.85 else None,
            "phone": phone if rng.random() < 0.7 else None,
            "email": self.unique("email", lambda: V.email_for(rng, name.split()[0] + name.split()[1], country))
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


# --------------------------------------------------------------------------- trader profiles

@dataclass
class Trader:
    party: int
    country: str
    city: str
    start: int
    end: int
    weight: float
    kind: str                  # ordinary, ring, phoenix_pred, phoenix_succ, smuggler, newcomer, bc, holding
    hs: list[int]
    sup: list[int]
    routes: list[int]
    broker: int
    carriers: list[int]
    office: int
    price: float
    min_headers: int = 1
    undervalue: float = 0.0
    cover_pair: int = -1
    offender: bool = False      # planted offender: gets offences
    noise_ok: bool = True       # may receive honest violations / documentation offences
    exports_ok: bool = True
    dup: list[int] | None = None
    dup_share: float = 0.0
    first_at_start: bool = False  # a firm that starts trading right after registration declares on day one


def generate_world(out_dir: Path, *, seed: int = 7, declarations: int = 40000, **knobs) -> dict:
    """Write a seeded world (contract bundle + truth.json) to `out_dir` and return its summary.

    `declarations` is the number of goods-item rows of declarations.csv (the contract's row);
    `knobs` override `default_knobs(declarations)` (unknown names are refused).
    """
    t0 = time.perf_counter()
    if declarations < 500:
        raise ValueError("a world needs at least 500 declaration rows to hold its schemes")
    k = default_knobs(declarations)
    unknown = sorted(set(knobs) - set(k))
    if unknown:
        raise TypeError(f"unknown knobs {unknown}; known: {sorted(k)}")
    k.update(knobs)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    w = _World(seed, k)
    goods = _goods(w.rng(1), int(k["hs_codes"]), k["hs_path"])
    routes = [(dest, disp, tr, bp, mode) for (dest, disp), opts in ROUTES.items() for tr, bp, mode in opts]
    route_opts = {}
    for i, (dest, disp, *_r) in enumerate(routes):
        route_opts.setdefault((dest, disp), []).append(i)

    # ---------------- hubs and service parties
    rng = w.rng(2)
    def svc_country() -> str:
        return "KZ" if rng.random() < k["kz_share"] else "UZ"
    hub_brokers = [w.domestic(rng, ("UZ", "KZ")[i % 2], registered=-int(rng.integers(3000, 7000)),
                              b_word=("Broker", "Брокер"), email=True) for i in range(k["hub_brokers"])]
    hub_carriers = [w.domestic(rng, ("UZ", "KZ")[i % 2], registered=-int(rng.integers(3000, 7000)),
                               b_word=("Trans", "Транс"), email=True) for i in range(k["hub_carriers"])]
    brokers = [w.domestic(rng, svc_country(), registered=-int(rng.integers(400, 6000)),
                          b_word=("Broker", "Брокер")) for _ in range(k["brokers"])]
    carriers = [w.domestic(rng, svc_country(), registered=-int(rng.integers(400, 6000)),
                           b_word=(("Trans", "Транс"), ("Logistik", "Логистик"))[int(rng.integers(2))])
                for _ in range(k["carriers"])]
    for f in ("TR", "RU"):  # foreign hauliers
        for _ in range(max(1, k["carriers"] // 6)):
            carriers.append(w.foreign(rng, f))
    w.hub_carriers = set(hub_carriers)
    consignors = [w.foreign(rng, FOREIGN_COUNTRIES[int(rng.choice(8, p=FOREIGN_WEIGHTS))])
                  for _ in range(k["consignors"])]
    cons_country = np.array([w.parties[i]["country"] for i in consignors])
    cons_pop = rng.lognormal(0, 1.0, len(consignors))
    cons_pop /= cons_pop.sum()
    for p in hub_brokers + hub_carriers + brokers + [c for c in carriers if w.parties[c]["country"] in ("UZ", "KZ")]:
        w.officer(p, w.person(rng, w.canon[p]["cyr"]), "director", w.canon[p]["registered"] + 1)

    # ---------------- trader factory
    rng = w.rng(3)
    traders: list[Trader] = []
    office_by_city = {}
    for i, (_code, _n, city) in enumerate(OFFICES):
        office_by_city.setdefault(city, []).append(i)

    # weighted draws by inverse CDF: rng.choice(p=...) costs O(len(p)) per call, quadratic at 1M rows
    hs_cum = np.cumsum(goods.pop)
    cons_cum = np.cumsum(cons_pop)

    def popular_hs() -> int:
        return min(int(np.searchsorted(hs_cum, rng.random() * hs_cum[-1])), len(hs_cum) - 1)

    def pick_hs(n: int, first: int | None = None) -> list[int]:
        f = popular_hs() if first is None else first
        out_ = [f]
        same = goods.chapter_idx[goods.hs6[f][:2]]
        while len(out_) < n:
            cand = int(same[rng.integers(len(same))]) if rng.random() < 0.7 else popular_hs()
            if cand not in out_:
                out_.append(cand)
            elif len(same) <= len(out_):
                cand = popular_hs()
                if cand not in out_:
                    out_.append(cand)
        return out_

    def pick_sup(country: str, n: int) -> tuple[list[int], list[int]]:
        idx: list[int] = []
        while len(idx) < n:
            i = min(int(np.searchsorted(cons_cum, rng.random() * cons_cum[-1])), len(consignors) - 1)
            if i not in idx:
                idx.append(i)
        sups = [consignors[i] for i in idx]
        rts = [int(rng.choice(route_opts[(country, cons_country[i])])) for i in idx]
        return sups, rts

    hub_by_country: dict[str, list[int]] = {}
    for b in hub_brokers:
        hub_by_country.setdefault(w.parties[b]["country"], []).append(b)
    brokers_by_country: dict[str, list[int]] = {}
    for b in brokers:
        brokers_by_country.setdefault(w.parties[b]["country"], []).append(b)
    hub_turn = itertools.count()  # hubs take clients in turn: each one ends up serving a like share

    def make_trader(party: int, kind: str, *, start: int = 0, end: int = DAYS - 1, weight: float | None = None,
                    broker: int | None = None, hs: list[int] | None = None, sup=None, **extra) -> Trader:
        c = w.canon[party]
        country = w.parties[party]["country"]
        if broker is None:  # a customs broker works for the country's customs: same country as the trader
            u = rng.random()
            hubs = hub_by_country.get(country) or hub_brokers
            local = brokers_by_country.get(country) or brokers
            broker = (hubs[next(hub_turn) % len(hubs)] if u < k["hub_broker_share"]
                      else local[int(rng.integers(len(local)))] if u < 0.9 else -1)
        cs = [hub_carriers[next(hub_turn) % len(hub_carriers)] if rng.random() < k["hub_carrier_share"]
              else carriers[int(rng.integers(len(carriers)))] for _ in range(int(rng.integers(1, 3)))]
        sups, rts = sup if sup is not None else pick_sup(country, int(rng.integers(1, 4)))
        t = Trader(party=party, country=country, city=c["city"], start=start, end=end,
                   weight=float(rng.lognormal(0, 1.0)) if weight is None else weight, kind=kind,
                   hs=hs if hs is not None else pick_hs(int(rng.integers(1, 5))), sup=sups, routes=rts,
                   broker=broker, carriers=cs, office=int(rng.choice(office_by_city[c["city"]])),
                   price=float(rng.lognormal(0, 0.12)), **extra)
        traders.append(t)
        return t

    def country() -> str:
        return "KZ" if rng.random() < k["kz_share"] else "UZ"

    def director_for(p: int, since: int, extra_founder: bool = True) -> int:
        pi = w.person(rng, w.canon[p]["cyr"])
        w.officer(p, pi, "director", since)
        if extra_founder:
            u = rng.random()
            if u < 0.5:
                w.officer(p, pi, "founder", since, 100.0)
            elif u < 0.8:
                w.officer(p, w.person(rng, w.canon[p]["cyr"]), "founder", since, 100.0)
        return pi

    # ordinary traders
    closed: list[int] = []
    n_special = (k["rings"] * 7 + 2 * k["phoenix"] + k["newcomers"] + k["smugglers"]
                 + k["business_centres"] * sum(k["business_centre_size"]) // 2
                 + k["holdings"] * sum(k["holding_size"]) // 2)
    n_ord = max(20, k["traders"] - n_special)
    for _ in range(n_ord):
        reg = -int(rng.integers(200, 7500))
        p = w.domestic(rng, country(), registered=reg, kind="person" if rng.random() < 0.04 else "company",
                       flat=rng.random() < 0.1)
        if w.parties[p]["kind"] == "company":
            director_for(p, reg)
        u = rng.random()
        s, e = (0, DAYS - 1) if u < 0.85 else ((int(rng.integers(0, 500)), DAYS - 1) if u < 0.93
                                               else (0, int(rng.integers(230, DAYS - 1))))
        make_trader(p, "ordinary", start=s, end=e)
    ordinary = list(range(len(traders)))
    # honest firms close too (no successor, no offence needed): deregistration alone is no scheme
    for ti in sorted(rng.choice(ordinary, size=min(k["closed_honest"], len(ordinary) // 4), replace=False)):
        t = traders[int(ti)]
        t.start = min(t.start, 100)
        t.end = int(rng.integers(t.start + 200, DAYS - 200))
        w.parties[t.party]["deregistered_on"] = _day(t.end + int(rng.integers(30, 180)))
        closed.append(t.party)

    # business centres (trap): 30-80 honest firms at one address
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
            director_for(p, reg)
            make_trader(p, "bc", noise_ok=False)
            members.append(p)
        bc_truth.append({"address": addr, "members": members})

    # holdings (trap): one director on 8-20 clean boards
    holding_members, holding_directors = [], []
    for _h in range(k["holdings"]):
        cc = country()
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
            make_trader(p, "holding", noise_ok=False)
            holding_members.append(p)

    # honest newcomers (trap)
    newcomers = []
    for _ in range(k["newcomers"]):
        reg = int(rng.integers(DAYS - 330, DAYS - 90))
        p = w.domestic(rng, country(), registered=reg, flat=rng.random() < 0.3)
        director_for(p, reg)
        make_trader(p, "newcomer", start=reg + int(rng.integers(10, 40)), weight=float(rng.lognormal(-0.5, 0.6)),
                    min_headers=3, noise_ok=False, first_at_start=True)
        newcomers.append(p)

    # ---------------- shell-company rings
    rng = w.rng(4)
    n_pairs = len(COVER_PAIRS)
    ring_truth = []
    pair_cursor = 0
    ring_traders: list[list[Trader]] = []
    for r in range(k["rings"]):
        cc = "KZ" if rng.random() < k["kz_share"] else "UZ"
        city = V.city_for(rng, cc)
        size = int(rng.integers(k["ring_size"][0], k["ring_size"][1] + 1))
        captured = w.domestic(rng, cc, registered=-int(rng.integers(700, 4000)), city=city,
                              b_word=("Broker", "Брокер"))
        w.officer(captured, w.person(rng, w.canon[captured]["cyr"]), "director",
                  w.canon[captured]["registered"])
        first_reg = int(rng.integers(-30, DAYS - 420))
        pair = pair_cursor % n_pairs
        pair_cursor += 1
        cover_i = goods.index(COVER_PAIRS[pair][0])
        sups, rts = pick_sup(cc, 2)
        members, mts = [], []
        for m in range(size):
            reg = first_reg + int(rng.integers(0, 120))
            p = w.domestic(rng, cc, registered=reg, city=city, flat=True, email=True)
            members.append(p)
        # nominee directors: each member its own at first; the linking below makes them shared
        dirs = [w.person(rng, w.canon[p]["cyr"]) for p in members]
        kinds = ("director", "phone", "address", "bank", "email")
        # extra links first, then a random spanning tree of shared identifiers: step m only rewrites
        # member m, so every tree link survives and the ring stays connected, unevenly
        for _x in range(int(rng.integers(0, size))):
            a, b = rng.choice(size, 2, replace=False)
            _share(w, rng, members, dirs, str(rng.choice(kinds)), int(max(a, b)), int(min(a, b)))
        for m in range(1, size):
            parent = int(rng.integers(0, m))
            for kd in rng.choice(kinds, size=int(rng.integers(1, 3)), replace=False, p=[.3, .25, .2, .15, .1]):
                _share(w, rng, members, dirs, kd, m, parent)
        for p, d in zip(members, dirs):
            w.officer(p, d, "director", w.canon[p]["registered"])
            if rng.random() < 0.4:
                w.officer(p, d, "founder", w.canon[p]["registered"], 100.0)
        n_off = max(1, min(size - 1, round(size * k["ring_offender_share"])))
        off_set = set(rng.choice(size, n_off, replace=False).tolist())
        for m, p in enumerate(members):
            reg = w.canon[p]["registered"]
            s = reg + int(rng.integers(15, 60))
            hs = [cover_i] + [h for h in pick_hs(int(rng.integers(1, 3))) if h != cover_i]
            t = make_trader(p, "ring", start=max(0, s), end=min(DAYS - 1, max(0, s) + int(rng.integers(200, 450))),
                            weight=float(rng.lognormal(0.3, 0.5)), broker=captured, hs=hs, sup=(sups, rts),
                            min_headers=k["ring_min_headers"], undervalue=k["ring_undervaluation_share"],
                            cover_pair=pair, offender=m in off_set, noise_ok=False, exports_ok=False,
                            first_at_start=True)
            t.carriers = [hub_carriers[int(rng.integers(len(hub_carriers)))], carriers[int(rng.integers(len(carriers)))]]
            mts.append(t)
        ring_traders.append(mts)
        ring_truth.append({"ring_id": f"R{r + 1:02d}", "members": members, "broker": captured, "dirs": dirs})
    # a captured broker also serves a couple of honest clients (realistic, and a test of caution)
    ordinary_by_country: dict[str, list[int]] = {}
    for i in ordinary:
        ordinary_by_country.setdefault(traders[i].country, []).append(i)
    for rt in ring_truth:
        same = ordinary_by_country.get(w.parties[rt["broker"]]["country"], [])
        for ti in rng.choice(same, size=min(len(same), int(rng.integers(0, 3))), replace=False):
            traders[int(ti)].broker = rt["broker"]

    # ---------------- phoenix firms
    rng = w.rng(5)
    phoenix_truth = []
    for _ph in range(k["phoenix"]):
        cc = country()
        reg = -int(rng.integers(400, 3000))
        pred = w.domestic(rng, cc, registered=reg)
        d_pred = director_for(pred, reg, extra_founder=False)
        dereg = int(rng.integers(300, DAYS - 240))
        w.parties[pred]["deregistered_on"] = _day(dereg)
        tp = make_trader(pred, "phoenix_pred", start=0, end=dereg - 20, weight=float(rng.lognormal(0.5, 0.4)),
                         min_headers=8, offender=True, noise_ok=False, exports_ok=False)
        sreg = dereg + int(rng.integers(7, 90))
        succ = w.domestic(rng, cc, registered=sreg, city=w.canon[pred]["city"])
        shared = []
        if rng.random() < 0.8:
            w.officer(succ, d_pred, "director", sreg)
            shared.append("director")
        else:
            director_for(succ, sreg, extra_founder=False)
        for kd in ("phone", "bank", "address"):
            if rng.random() < 0.5 or (not shared and kd == "address"):
                _copy_identifier(w, rng, pred, succ, kd)
                shared.append(kd)
        make_trader(succ, "phoenix_succ", start=sreg + int(rng.integers(5, 30)), weight=tp.weight,
                    broker=tp.broker, hs=list(tp.hs), sup=(list(tp.sup), list(tp.routes)), min_headers=6,
                    noise_ok=False, exports_ok=False, first_at_start=True)
        phoenix_truth.append({"predecessor": pred, "successor": succ, "deregistered_on": _day(dereg),
                              "successor_registered_on": _day(sreg), "shared": shared})

    # ---------------- stand-alone smugglers (cover items outside rings)
    smugglers = []
    for _s in range(k["smugglers"]):
        reg = -int(rng.integers(200, 2500))
        p = w.domestic(rng, country(), registered=reg)
        director_for(p, reg)
        pair = pair_cursor % n_pairs
        pair_cursor += 1
        make_trader(p, "smuggler", hs=[goods.index(COVER_PAIRS[pair][0])] + pick_hs(1),
                    min_headers=6, cover_pair=pair, offender=True, noise_ok=False, exports_ok=False)
        smugglers.append(p)

    # ---------------- duplicates: one company, several party records
    dup_truth = []
    eligible = [i for i in ordinary if w.parties[traders[i].party]["kind"] == "company"]
    for ti in rng.choice(eligible, size=min(len(eligible), k["duplicates"]), replace=False):
        t = traders[int(ti)]
        group = [t.party]
        taken = {w.parties[t.party]["name"]}
        for _v in range(1 if rng.random() < 0.8 else 2):
            group.append(_duplicate(w, rng, t.party, taken))
        t.dup = group[1:]
        t.dup_share = float(rng.uniform(0.2, 0.5))
        t.min_headers = max(t.min_headers, 2 * len(group))
        dup_truth.append(group)

    # ---------------- declarations
    N = int(declarations)
    stages = {"parties": time.perf_counter() - t0}
    dec, cover_info, under_info = _declarations(w, traders, goods, routes, N, k)
    stages["declarations"] = time.perf_counter() - t0 - sum(stages.values())
    offences, cover_truth, under_truth = _offences(w, traders, goods, dec, cover_info, under_info, k)
    stages["offences"] = time.perf_counter() - t0 - sum(stages.values())

    # ---------------- shuffle ids: creation order (a ring's members and its broker made one after
    # another) must not show in the ids, or an id's neighbours would betray the scheme
    _shuffle_ids(w, dec, offences)

    # ---------------- write
    used = set()
    for col in ("declarant_id", "consignee_id", "consignor_id", "carrier_id", "broker_id"):
        used.update(dec[col].dropna().unique().tolist())
    parties = pd.DataFrame(w.parties)
    keep_ids = set(parties["party_id"][parties["party_id"].isin(used)])
    parties = parties[parties["party_id"].isin(keep_ids)].sort_values("party_id")
    officers = pd.DataFrame(w.officers)
    officers = officers[officers["company_id"].isin(keep_ids)].drop_duplicates(["company_id", "person_id", "role"])
    officers = officers.sort_values(["company_id", "person_id", "role"], kind="stable")
    files = {}
    files["parties"] = _write(out / "parties.csv", parties, "parties")
    files["declarations"] = _write(out / "declarations.csv", dec, "declarations")
    files["officers"] = _write(out / "officers.csv", officers, "officers")
    files["offences"] = _write(out / "offences.csv", offences, "offences")
    stages["write"] = time.perf_counter() - t0 - sum(stages.values())

    def pid(i: int) -> str:
        return w.parties[i]["party_id"]
    offender_ids = set(offences["party_id"])
    rings_out = []
    for rt in ring_truth:
        members = [pid(p) for p in rt["members"]]
        shared_by = _shared_by(w, rt["members"], rt["dirs"])
        rings_out.append({
            "ring_id": rt["ring_id"], "members": members,
            "offenders": [m for m in members if m in offender_ids],
            "clean_members": [m for m in members if m not in offender_ids],
            "broker": pid(rt["broker"]),
            "shared": {kd: sorted(v) for kd, v in shared_by.items()},
            "shared_by": shared_by,
        })
    truth = {
        "seed": seed, "knobs": k, "period": [_day(0), _day(DAYS - 1)],
        "rings": rings_out,
        "phoenix": [{**p, "predecessor": pid(p["predecessor"]), "successor": pid(p["successor"])}
                    for p in phoenix_truth],
        "cover": cover_truth,
        "undervaluation": under_truth,
        "duplicates": [[pid(p) for p in g] for g in dup_truth],
        "traps": {
            "business_centre": [pid(p) for b in bc_truth for p in b["members"]],
            "business_centres": [{"address": b["address"], "members": [pid(p) for p in b["members"]]}
                                 for b in bc_truth],
            "holding": [pid(p) for p in holding_members],
            "holding_director": [w.persons[d][0] for d in holding_directors],
            "hub_brokers": [pid(p) for p in hub_brokers],
            "hub_carriers": [pid(p) for p in hub_carriers],
            "newcomers": [pid(p) for p in newcomers],
            "closed_honest": [pid(p) for p in closed],
        },
        "offenders": sorted(offender_ids),
        "smugglers": [pid(p) for p in smugglers],
    }
    (out / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1, default=json_default),
                                    encoding="utf-8")
    return {
        "out_dir": str(out), "seed": seed,
        "parties": len(parties), "declarations": len(dec), "declaration_headers": int(dec["declaration_id"].nunique()),
        "officers": len(officers), "offences": len(offences), "persons": int(officers["person_id"].nunique()),
        "rings": len(rings_out), "ring_members": sum(len(r["members"]) for r in rings_out),
        "ring_clean_members": sum(len(r["clean_members"]) for r in rings_out),
        "phoenix": len(phoenix_truth), "duplicates": len(dup_truth),
        "cover_planted": len(cover_truth["planted_declarations"]),
        "cover_caught": len(cover_truth["caught_declarations"]),
        "bytes": files, "seconds": round(time.perf_counter() - t0, 2),
        "stage_seconds": {s_: round(v, 2) for s_, v in stages.items()},
    }


def _shuffle_ids(w: _World, dec: pd.DataFrame, offences: pd.DataFrame) -> None:
    """Renumber parties and persons by a seeded permutation, everywhere they are referenced."""
    rng = w.rng(30)
    pmap = {r["party_id"]: f"P{n + 1:07d}" for r, n in zip(w.parties, rng.permutation(len(w.parties)))}
    for r in w.parties:
        r["party_id"] = pmap[r["party_id"]]
    qmap = {pid: f"PER{n + 1:07d}" for (pid, _), n in zip(w.persons, rng.permutation(len(w.persons)))}
    w.persons = [(qmap[pid], name) for pid, name in w.persons]
    for o in w.officers:
        o["company_id"], o["person_id"] = pmap[o["company_id"]], qmap[o["person_id"]]
    for col in ("declarant_id", "consignee_id", "consignor_id", "carrier_id", "broker_id"):
        dec[col] = dec[col].cat.rename_categories(lambda c: pmap[c])
    offences["party_id"] = offences["party_id"].map(pmap)


# --------------------------------------------------------------------------- identifier sharing

_CANON_KEY = {"phone": "phone", "address": "address", "bank": "bank", "email": "email"}
_COLUMN = {"phone": "phone", "address": "address", "bank": "bank_account", "email": "email"}


def _copy_identifier(w: _World, rng, src: int, dst: int, kind: str) -> None:
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


def _share(w: _World, rng, members: list[int], dirs: list[int], kind: str, m: int, parent: int) -> None:
    if kind == "director":
        dirs[m] = dirs[parent]
    else:
        _copy_identifier(w, rng, members[parent], members[m], kind)


def _shared_by(w: _World, members: list[int], dirs: list[int]) -> dict:
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
    for p, d in zip(members, dirs):
        dm.setdefault(w.persons[d][0], []).append(w.parties[p]["party_id"])
    out["directors"] = {v: ps for v, ps in dm.items() if len(ps) > 1}
    return out


def _duplicate(w: _World, rng, orig: int, taken: set[str]) -> int:
    """A second record of the same company: other script or legal form, tax id reformatted or missing."""
    c, r = w.canon[orig], w.parties[orig]
    parts = c["parts"]
    mode = int(rng.integers(3))
    for attempt in range(50):
        if mode == 0 and attempt < 10:   # the other script
            name = render_name(parts, not c["cyr"], int(rng.integers(3)))
        else:                            # a legal-form variant, maybe upper-cased
            form = V.FORM_VARIANTS.get(parts["form"][0], (parts["form"][0],))
            name = render_name(parts, c["cyr"], int(rng.integers(3)), form=form[int(rng.integers(len(form)))])
            if rng.random() < 0.3 or attempt > 40:
                name = name.upper()
        if name not in taken:
            break
    taken.add(name)
    rec = dict(r)
    rec.pop("party_id")
    rec["name"] = name
    for col, key in (("phone", "phone"), ("address", "address"), ("bank_account", "bank")):
        if r[col] is None:  # a firm keyed in twice is one the registers know well: no holes here
            r[col] = c[key]
    if mode == 2:      # no tax id: phone, address and bank say it is the same firm
        rec["tax_id"] = None
        rec["phone"] = V.phone_as_recorded(rng, c["phone"], 0.8)
        rec["address"] = V.address_variant(rng, c["address"])
        rec["bank_account"] = V.account_as_recorded(rng, c["bank"], 0.5)
    else:
        tax = c["tax"]
        rec["tax_id"] = V.tax_id_as_recorded(rng, tax, 1.0) if r["tax_id"] == tax else tax
        if rng.random() < 0.4:
            rec["phone"] = V.phone_as_recorded(rng, c["phone"], 0.8)
    if rng.random() < 0.5:
        rec["email"] = None
    return w.add_party(rec, dict(c))


# --------------------------------------------------------------------------- declarations (vectorised)

ITEMS_P = np.array([0.64, 0.16, 0.09, 0.06, 0.05])


def _declarations(w: _World, traders: list[Trader], goods: Goods, routes: list, N: int, k: dict):
    rng = w.rng(10)
    T = len(traders)
    pid = np.array([p["party_id"] for p in w.parties], dtype=object)
    n_parties = len(pid)
    start = np.array([t.start for t in traders])
    end = np.maximum(np.array([t.end for t in traders]), start)
    weight = np.array([t.weight for t in traders]) * (end - start + 1)

    # items per header, exactly N rows
    kk = rng.choice(np.arange(1, 6), size=int(N / 1.2) + 10, p=ITEMS_P)
    cs = np.cumsum(kk)
    H = int(np.searchsorted(cs, N)) + 1
    kk = kk[:H].copy()
    kk[-1] -= int(cs[H - 1] - N)
    forced = np.repeat(np.arange(T), [t.min_headers for t in traders])
    if len(forced) > H:
        raise ValueError(f"{N} rows cannot hold {len(forced)} required declarations: lower traders or schemes")
    htr = np.concatenate([forced, rng.choice(T, size=H - len(forced), p=weight / weight.sum())])
    rng.shuffle(htr)
    hdate = start[htr] + (rng.random(H) * (end[htr] - start[htr] + 1)).astype(np.int64)
    fas = np.array([t.first_at_start for t in traders])
    _, first_h = np.unique(htr, return_index=True)
    first_h = first_h[fas[htr[first_h]]]
    hdate[first_h] = start[htr[first_h]]
    order = np.lexsort((htr, hdate))
    htr, hdate = htr[order], hdate[order]
    # kk stays in its own random order: the items count is independent of the trader

    # trader arrays
    party = np.array([t.party for t in traders])
    nsup = np.array([len(t.sup) for t in traders])
    sup = np.full((T, 3), -1)
    rte = np.full((T, 3), -1)
    ncar = np.array([len(t.carriers) for t in traders])
    car = np.full((T, 2), -1)
    nhs = np.array([len(t.hs) for t in traders])
    hs_tab = np.full((T, 4), -1)
    for i, t in enumerate(traders):
        sup[i, :len(t.sup)] = t.sup
        rte[i, :len(t.routes)] = t.routes
        car[i, :len(t.carriers)] = t.carriers
        hs_tab[i, :len(t.hs[:4])] = t.hs[:4]
    nhs = np.minimum(nhs, 4)
    broker = np.array([t.broker for t in traders])
    office = np.array([t.office for t in traders])
    price = np.array([t.price for t in traders])
    exports_ok = np.array([t.exports_ok for t in traders])

    # header attributes
    s_slot = (rng.random(H) * nsup[htr]).astype(int)
    consignor = sup[htr, s_slot]
    route = rte[htr, s_slot]
    carrier = car[htr, (rng.random(H) * ncar[htr]).astype(int)]
    hbroker = broker[htr]
    trader_party = party[htr].copy()
    # duplicates: part of a trader's declarations carry another record of the same firm
    for i, t in enumerate(traders):
        if t.dup:
            hs_ = rng.permutation(np.flatnonzero(htr == i))
            # the first header keeps the original record, the next ones go one to each duplicate
            # (so every record is seen), the rest by the trader's share
            rest = hs_[1 + len(t.dup):]
            sel = np.concatenate([hs_[1:1 + len(t.dup)], rest[rng.random(len(rest)) < t.dup_share]])
            pick = np.concatenate([np.arange(len(t.dup)), rng.integers(0, len(t.dup), len(sel) - len(t.dup))])
            trader_party[sel] = np.array(t.dup)[pick[:len(sel)]]
    self_decl = (hbroker < 0) | (rng.random(H) < 0.4)
    declarant = np.where(self_decl, trader_party, hbroker)
    is_export = exports_ok[htr] & (rng.random(H) < k["export_share"])
    consignee = np.where(is_export, consignor, trader_party)
    consignor_p = np.where(is_export, trader_party, consignor)
    regime = np.where(is_export, "EX10", np.where(rng.random(H) < 0.03, "IM70", "IM40"))
    channel = rng.choice(np.array(["green", "yellow", "red", "blue"]), size=H, p=[0.62, 0.22, 0.12, 0.04])

    r_dest = np.array([r[0] for r in routes])
    r_disp = np.array([r[1] for r in routes])
    r_tr = np.array([r[2] for r in routes], dtype=object)
    r_bp = np.array([r[3] for r in routes], dtype=object)
    r_mode = np.array([r[4] for r in routes], dtype=object)
    rev_tr = np.array([";".join(reversed(x.split(";"))) if x else "" for x in r_tr], dtype=object)
    dest = np.where(is_export, r_disp[route], r_dest[route])
    disp = np.where(is_export, r_dest[route], r_disp[route])
    transit = np.where(is_export, rev_tr[route], r_tr[route])
    mode = r_mode[route]

    # vehicles: a carrier's fleet of plates; rail wagons and flights drawn per declaration
    fleet = np.zeros(n_parties, dtype=int)
    for t in traders:
        for c in t.carriers:
            fleet[c] = 1
    fleet_size = {int(c): (200 if int(c) in w.hub_carriers else int(rng.integers(5, 40))) for c in np.flatnonzero(fleet)}
    veh = np.empty(H, dtype=object)
    plate_no = rng.integers(0, 40, H)
    road = mode == "road"
    for c, fs in fleet_size.items():
        m = road & (carrier == c)
        if not m.any():
            continue
        cc = w.parties[c]["country"]
        sub = np.random.default_rng([w.seed, 11, int(c)])
        plates = [_plate(sub, cc) for _ in range(fs)]
        veh[m] = np.array(plates, dtype=object)[plate_no[m] % fs]
    rail = mode == "rail"
    veh[rail] = np.char.add("wagon ", rng.integers(50_000_000, 99_999_999, rail.sum()).astype(str)).astype(object)
    air = mode == "air"
    flights = np.array(["HY-0602", "HY-0272", "KC-0921", "TK-0370", "CZ-6029", "FZ-0761", "KE-0941", "AI-0143"])
    veh[air] = flights[rng.integers(0, len(flights), air.sum())]
    sea = mode == "sea"
    veh[sea] = np.char.add("MV Caspian ", rng.integers(1, 30, sea.sum()).astype(str)).astype(object)
    veh[rng.random(H) < k["missing_share"] * 2] = None

    # ids: office code / date / running number, in date order
    off_code = np.array([o[0] for o in OFFICES])
    off_name = np.array([o[1] for o in OFFICES], dtype=object)
    dates = (START + hdate.astype("timedelta64[D]")).astype(str)
    kzo = np.array([o[2] in ("Almaty", "Astana") for o in OFFICES])
    ho = office[htr]
    # Uzbek GTD numbers read office/dd.mm.yyyy/number, Kazakh ones office/ddmmyy/number
    did = np.array([f"{oc}/{d[8:10]}{d[5:7]}{d[2:4]}/{i:07d}" if kz else f"{oc}/{d[8:10]}.{d[5:7]}.{d[:4]}/{i:07d}"
                    for i, (oc, d, kz) in enumerate(zip(off_code[ho], dates, kzo[ho]), start=1)], dtype=object)

    # items
    hi = np.repeat(np.arange(H), kk)
    starts = np.cumsum(kk) - kk
    item_no = np.arange(N) - starts[hi] + 1
    itr = htr[hi]
    u = rng.random(N)
    base_p = np.array([0.55, 0.25, 0.12, 0.08])
    probs = np.where(np.arange(4)[None, :] < nhs[:, None], base_p[None, :], 0.0)
    cum = np.cumsum(probs / probs.sum(1, keepdims=True), axis=1)
    slot = np.minimum((u[:, None] > cum[itr]).sum(1), nhs[itr] - 1)
    hs = hs_tab[itr, slot]
    mass = np.round(goods.mass[hs] * rng.lognormal(0, 0.7, N) / np.sqrt(kk[hi]), 1) + 1.0
    value = mass * goods.uv[hs] * price[itr] * rng.lognormal(0, 0.2, N)

    # undervaluation on ring imports (the clean members' ones are never caught)
    under = np.array([t.undervalue for t in traders])[itr]
    imp = ~is_export[hi]
    under_m = imp & (under > 0) & (rng.random(N) < under)
    # cover items on the imports of cover traders
    cpair = np.array([t.cover_pair for t in traders])[itr]
    cand = np.flatnonzero(imp & (cpair >= 0))
    n_cover = min(int(k["cover_items"]), len(cand))
    cover_rows = np.sort(rng.choice(cand, size=n_cover, replace=False)) if n_cover else np.array([], int)
    under_m[cover_rows] = False
    under_rows = np.flatnonzero(under_m)
    value[under_rows] *= rng.uniform(0.25, 0.55, len(under_rows))
    risk_hs = np.array([goods.index(COVER_PAIRS[p][1]) for p in cpair[cover_rows]], dtype=int)
    cov_hs = np.array([goods.index(COVER_PAIRS[p][0]) for p in cpair[cover_rows]], dtype=int)
    hs[cover_rows] = cov_hs
    mass[cover_rows] = np.round(goods.mass[risk_hs] * rng.lognormal(0, 0.5, n_cover), 1) + 1.0
    value[cover_rows] = mass[cover_rows] * goods.uv[risk_hs] * price[itr[cover_rows]] \
        * rng.uniform(0.75, 1.0, n_cover)
    # planted rows never sit in a red lane by chance: only the offences below put them there
    planted_h = np.unique(hi[np.concatenate([cover_rows, under_rows])])
    channel[planted_h] = np.where(rng.random(len(planted_h)) < 0.8, "green", "yellow")

    air_i = mode[hi] == "air"
    air_mass = np.round(mass[air_i] * 0.12, 1) + 1.0
    value[air_i] *= air_mass / mass[air_i]
    mass[air_i] = air_mass
    duty_rate = goods.duty[hs].copy()
    duty_rate[is_export[hi]] = 0.0
    value = np.round(value, 2)
    gross = np.round(mass * rng.uniform(1.02, 1.15, N), 1)
    unit = goods.unit[hs].copy()
    qty = np.round(mass / goods.unit_kg[hs], 0)
    unit[cover_rows] = goods.unit[cov_hs]
    qty[cover_rows] = np.round(mass[cover_rows], 1)

    miss = k["missing_share"]

    def hole() -> np.ndarray:
        return rng.random(N) < miss

    # string columns as categoricals over small per-header or per-code tables: a million rows cost
    # codes, not a million Python strings (peak memory and to_csv time both drop)
    veh_codes, veh_vals = pd.factorize(veh)
    insp0 = np.isin(channel[hi], ["red", "yellow"]) & (rng.random(N) < 0.7)
    dec = pd.DataFrame({
        "declaration_id": _cat(did, hi),
        "item_no": item_no,
        "date": _cat(dates, hi),
        "regime": _cat(regime, hi),
        "customs_office": _cat(off_name, ho[hi]),
        "border_post": _cat(r_bp, route[hi]),
        "declarant_id": _cat(pid, declarant[hi]),
        "consignee_id": _cat(pid, consignee[hi]),
        "consignor_id": _cat(pid, consignor_p[hi]),
        "carrier_id": _cat(pid, np.maximum(carrier[hi], 0), (carrier[hi] < 0) | hole()),
        "broker_id": _cat(pid, np.maximum(hbroker[hi], 0), hbroker[hi] < 0),
        "vehicle_id": pd.Categorical.from_codes(veh_codes[hi], categories=veh_vals.astype(str)),
        "transport_mode": _cat(r_mode, route[hi]),
        "hs_code": _cat(goods.code, hs),
        "goods_description": _cat(goods.desc, hs, hole()),
        "origin_country": pd.Categorical(np.where(is_export[hi], r_dest[route[hi]], _origin(rng, disp[hi]))),
        "dispatch_country": _cat(disp, hi),
        "destination_country": _cat(dest, hi),
        "transit_countries": _cat(transit, hi, transit[hi] == ""),
        "net_mass_kg": mass,
        "gross_mass_kg": np.where(hole(), np.nan, gross),
        "quantity": np.where(hole(), np.nan, qty),
        "quantity_unit": pd.Categorical(unit),
        "customs_value": value,
        "currency": pd.Categorical.from_codes(np.where(hole(), -1, 0), categories=["USD"]),
        "duty_rate": duty_rate,
        "duty_amount": np.round(value * duty_rate / 100, 2),
        "channel": _cat(channel, hi),
        "inspection_result": pd.Categorical.from_codes(np.where(insp0, 0, -1), categories=["clear", "violation"]),
    })
    info = {"trader": itr, "is_export": is_export[hi], "hi": hi, "cover_rows": cover_rows,
            "cover_hs": cov_hs, "risk_hs": risk_hs, "hdate": hdate[hi], "cpair": cpair}
    return dec, info, under_rows


def _cat(table: np.ndarray, codes: np.ndarray, missing: np.ndarray | None = None) -> pd.Categorical:
    """`table[codes]` as a categorical (None where `missing`), without materialising the strings."""
    cats, inv = np.unique(np.asarray(table).astype(str), return_inverse=True)
    c = inv.reshape(-1)[codes]
    if missing is not None:
        c = np.where(missing, -1, c)
    return pd.Categorical.from_codes(c, categories=cats)


def _origin(rng, disp: np.ndarray) -> np.ndarray:
    """Goods dispatched from the Emirates were mostly made elsewhere (re-export)."""
    out = disp.astype(object).copy()
    ae = disp == "AE"
    out[ae] = np.array(["CN", "CN", "IN", "KR", "AE"], dtype=object)[rng.integers(0, 5, ae.sum())]
    return out


def _plate(rng, country: str) -> str:
    L = "ABCDEFHKMOPTXYZ"
    if country == "UZ":
        return f"{rng.integers(1, 96):02d} {L[rng.integers(15)]} {rng.integers(100, 999)} {L[rng.integers(15)]}{L[rng.integers(15)]}"
    if country == "KZ":
        return f"{rng.integers(100, 999)} {L[rng.integers(15)]}{L[rng.integers(15)]}{L[rng.integers(15)]} {rng.integers(1, 19):02d}"
    if country == "TR":
        return f"{rng.integers(1, 81):02d} {L[rng.integers(15)]}{L[rng.integers(15)]} {rng.integers(100, 9999)}"
    return f"{L[rng.integers(15)]}{rng.integers(100, 999)}{L[rng.integers(15)]}{L[rng.integers(15)]}{rng.integers(10, 199)}"


# --------------------------------------------------------------------------- offences

def _offences(w: _World, traders: list[Trader], goods: Goods, dec: pd.DataFrame, info: dict,
              under_rows: np.ndarray, k: dict):
    rng = w.rng(20)
    N = len(dec)
    itr, is_exp, hi = info["trader"], info["is_export"], info["hi"]
    value = dec["customs_value"].to_numpy(copy=True)
    duty = dec["duty_rate"].to_numpy()
    hdate = info["hdate"]
    channel = dec["channel"].to_numpy(dtype=object).copy()
    insp = dec["inspection_result"].to_numpy(dtype=object).copy()
    rows: list[dict] = []
    caught_rows: set[int] = set()

    def catch(r: int, otype: str, declared: str | None = None, actual: str | None = None, evaded: float = 0.0,
              status: str | None = None):
        h = hi[r]
        same = np.arange(*np.searchsorted(hi, [h, h + 1]))  # the items of one declaration are contiguous
        channel[same] = "red"
        insp[same] = np.where(insp[same] == "violation", "violation", "clear")
        insp[r] = "violation"
        caught_rows.add(int(r))
        rows.append({
            "_row": int(r), "date": min(int(hdate[r]) + int(rng.integers(0, 40)), DAYS - 1),
            "party_id": dec["consignee_id"].iat[r], "declaration_id": dec["declaration_id"].iat[r],
            "offence_type": otype, "declared_hs_code": declared, "actual_hs_code": actual,
            "evaded_amount": round(max(evaded, 0.0), 2),
            "status": status or ("confirmed" if rng.random() < 0.85 else "suspected"),
        })

    offender = np.array([t.offender for t in traders])
    cover_rows, cov_hs, risk_hs = info["cover_rows"], info["cover_hs"], info["risk_hs"]
    # caught cover items: only on offenders' rows; each cover pair caught at least once where possible
    off_c = np.flatnonzero(offender[itr[cover_rows]])
    n_caught = min(len(off_c), round(len(cover_rows) * k["cover_caught_share"]))
    chosen: list[int] = []
    pairs = info["cpair"][cover_rows]
    for p in range(len(COVER_PAIRS)):
        c = off_c[pairs[off_c] == p]
        if len(c):
            chosen.append(int(rng.choice(c)))
    rest = np.setdiff1d(off_c, chosen)
    if n_caught > len(chosen) and len(rest):
        chosen += rng.choice(rest, size=min(len(rest), n_caught - len(chosen)), replace=False).tolist()
    for j in sorted(chosen):
        r = int(cover_rows[j])
        ev = value[r] / 0.8 * (goods.duty[risk_hs[j]] - duty[r]) / 100
        catch(r, "misclassification" if rng.random() < 0.75 else "smuggling",
              goods.code[cov_hs[j]], goods.code[risk_hs[j]], ev, "confirmed")
    caught_cover = {int(cover_rows[j]) for j in chosen}

    under_set = set(under_rows.tolist())
    imp_rows_by_trader: dict[int, np.ndarray] = {}
    imp = ~is_exp
    special = np.flatnonzero(offender)
    order = np.argsort(itr, kind="stable")
    bounds = np.searchsorted(itr[order], np.arange(len(traders) + 1))
    for ti in special:
        rs = order[bounds[ti]:bounds[ti + 1]]
        imp_rows_by_trader[int(ti)] = rs[imp[rs]]
    caught_under: list[int] = []
    uncaught_cover = set(cover_rows.tolist()) - caught_cover
    for ti in special:
        t = traders[ti]
        rs = imp_rows_by_trader[int(ti)]
        have = sum(1 for o in rows if itr[o["_row"]] == ti)
        want = int(rng.integers(1, 4)) if t.kind in ("ring", "phoenix_pred") else 1
        if t.kind == "phoenix_pred":  # caught well before it was wound up
            rs = rs[hdate[rs] <= t.end - 45] if (hdate[rs] <= t.end - 45).any() else rs
        free = np.array([r for r in rs if r not in caught_rows and r not in uncaught_cover], dtype=int)
        if len(free) == 0:
            continue
        for r in rng.choice(free, size=min(len(free), max(0, want - have)), replace=False):
            r = int(r)
            if r in under_set:
                caught_under.append(r)
                catch(r, "undervaluation", evaded=value[r] * 1.5 * duty[r] / 100)
            elif t.kind == "phoenix_pred" and rng.random() < 0.5:
                value[r] = round(value[r] * 0.4, 2)
                caught_under.append(r)
                catch(r, "undervaluation", evaded=value[r] * 1.5 * duty[r] / 100)
            else:
                catch(r, ("smuggling", "origin")[int(rng.integers(2))], evaded=value[r] * 0.3)

    # honest noise: a few violations and documentation offences among ordinary traders
    noise = np.array([t.noise_ok for t in traders])[itr] & imp
    cand = np.flatnonzero(noise & np.isin(channel, ["red", "yellow"]))
    n_v = min(len(cand), round(N * k["honest_violation_rate"]))
    code_by_hs6 = {h: c for h, c in zip(goods.hs6, goods.code)}
    hs_arr = dec["hs_code"].to_numpy()
    for r in np.sort(rng.choice(cand, size=n_v, replace=False)):
        r = int(r)
        t = rng.choice(["undervaluation", "origin", "other", "misclassification"], p=[.45, .25, .15, .15])
        declared = actual = None
        if t == "misclassification":  # a neighbouring code of the same heading
            h4 = hs_arr[r][:4]
            alt = [c for h6, c in code_by_hs6.items() if h6[:4] == h4 and c != hs_arr[r]]
            if alt:
                declared, actual = hs_arr[r], alt[int(rng.integers(len(alt)))]
            else:
                t = "other"
        if t == "undervaluation":  # the inspection found it because the price really was low
            full = value[r]
            value[r] = round(full * float(rng.uniform(0.4, 0.8)), 2)
            catch(r, "undervaluation", evaded=(full - value[r]) * duty[r] / 100)
            continue
        catch(r, str(t), declared, actual, value[r] * duty[r] / 100 * float(rng.uniform(0.05, 0.4)))
    cand = np.flatnonzero(noise)
    for r in rng.choice(cand, size=min(len(cand), int(k["documentation_offences"])), replace=False):
        rows.append({"_row": int(r), "date": min(int(hdate[r]) + int(rng.integers(0, 20)), DAYS - 1),
                     "party_id": dec["consignee_id"].iat[int(r)], "declaration_id": dec["declaration_id"].iat[int(r)],
                     "offence_type": "documentation", "declared_hs_code": None, "actual_hs_code": None,
                     "evaded_amount": 0.0, "status": "confirmed"})

    dec["customs_value"] = value
    dec["duty_amount"] = np.round(value * duty / 100, 2)
    dec["channel"] = pd.Categorical(channel, categories=["green", "yellow", "red", "blue"])
    dec["inspection_result"] = pd.Categorical(insp, categories=["clear", "violation"])
    off = pd.DataFrame(rows, columns=["_row", "date", "party_id", "declaration_id", "offence_type",
                                      "declared_hs_code", "actual_hs_code", "evaded_amount", "status"])
    off = off.sort_values(["date", "_row", "offence_type"], kind="stable").reset_index(drop=True)
    year = (START + off["date"].to_numpy().astype("timedelta64[D]")).astype(str)
    off["offence_id"] = [f"OF-{y[:4]}-{i:06d}" for i, y in enumerate(year, start=1)]
    off["date"] = year
    off = off.drop(columns="_row")

    key = (dec["declaration_id"].astype(str) + "/" + dec["item_no"].astype(str)).to_numpy()
    cover_truth = {
        "pairs": [list(p) for p in COVER_PAIRS],
        "pairs_national": [[goods.code[goods.index(c)], goods.code[goods.index(r)]] for c, r in COVER_PAIRS],
        "planted_declarations": [key[r] for r in cover_rows if int(r) not in caught_cover],
        "caught_declarations": [key[r] for r in sorted(caught_cover)],
    }
    cu = set(caught_under)
    under_truth = {
        "planted_declarations": [key[r] for r in under_rows if int(r) not in cu],
        "caught_declarations": [key[r] for r in sorted(cu)],
    }
    return off, cover_truth, under_truth


# --------------------------------------------------------------------------- output

def _write(path: Path, df: pd.DataFrame, name: str, chunk: int = 100_000) -> int:
    """Write a bundle file: the contract's columns in its order, UTF-8, empty cell = missing.

    Arrow's CSV writer is ~4x faster than pandas' at a million rows (measured: 1.25 s against 5.3 s
    for 300k rows); it quotes every text cell and writes whole floats without ".0", both plain CSV.
    """
    spec = FILE_BY_NAME[name].columns
    cols = [c.name for c in spec]
    # the contract's types, so every chunk has one schema (a chunk whose cells are all empty included)
    schema = pa.schema([(c.name, {"int": pa.int64(), "float": pa.float64()}.get(c.type, pa.string()))
                        for c in spec])
    df = df.reindex(columns=cols)
    with pa_csv.CSVWriter(path, schema, write_options=pa_csv.WriteOptions(quoting_style="needed")) as out:
        for i in range(0, max(len(df), 1), chunk):  # in slices: peak memory stays near the frame's own
            part = pa.Table.from_pandas(df.iloc[i:i + chunk], preserve_index=False)
            out.write_table(pa.table([c.cast(f.type) for c, f in zip(part.columns, schema)], schema=schema))
    return path.stat().st_size
