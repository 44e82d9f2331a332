"""The goods catalogue of a world: HS subheadings, national codes, prices, duties, cover pairs.

Why a module of its own: every scheme trades from this catalogue, and the cover pairs (risk goods
hidden under a low-duty code) and their prices are what the cover-item detector is measured on.
Descriptions come from the HS nomenclature in `../shared/datasets/hs/` (or `$TAMGA_DATASETS`) when
it is present, from the built-in `FALLBACK_HS` list otherwise.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

# chapter: (median USD per kg, duty rates to draw from, typical shipment kg, quantity unit)
CHAPTERS: dict[str, tuple[float, tuple[float, ...], float, str]] = {
    "07": (0.7, (5, 10, 15), 9000, "kg"), "08": (1.3, (5, 10, 15), 8000, "kg"),
    "09": (3.5, (5, 10), 3000, "kg"),
    "15": (1.4, (5, 10), 12000, "kg"), "17": (0.6, (5, 10, 20), 15000, "kg"),
    "19": (2.6, (10, 15), 4000, "kg"),
    "21": (3.2, (10, 15), 3000, "kg"), "22": (1.6, (10, 20), 8000, "l"), "30": (45.0, (0, 5), 600, "kg"),
    "32": (3.0, (5, 10), 4000, "kg"), "33": (9.0, (10, 15), 1500, "kg"), "34": (2.1, (10, 15), 5000, "kg"),
    "39": (2.4, (5, 10, 15), 6000, "kg"), "40": (3.6, (10, 15), 6000, "pcs"),
    "44": (0.5, (0, 5), 20000, "kg"),
    "48": (1.2, (5, 10), 10000, "kg"), "52": (3.1, (5, 10), 8000, "kg"), "55": (3.4, (5, 10), 7000, "kg"),
    "61": (17.0, (15, 20, 30), 2500, "pcs"), "62": (21.0, (15, 20, 30), 2500, "pcs"),
    "64": (19.0, (15, 20), 2500, "pair"), "68": (0.4, (5, 10), 20000, "kg"),
    "69": (1.0, (10, 20), 15000, "kg"),
    "70": (1.5, (5, 10), 10000, "kg"), "72": (0.8, (0, 5), 22000, "kg"), "73": (2.4, (5, 10), 8000, "kg"),
    "76": (4.2, (5, 10), 6000, "kg"), "84": (22.0, (0, 5), 3000, "pcs"),
    "85": (30.0, (5, 10, 15), 2000, "pcs"),
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
    "240220": (32.0, 30, 4000, "1000 pcs"), "220830": (13.0, 40, 6000, "l"),
    "851713": (260.0, 20, 800, "pcs"),
    "870899": (14.0, 15, 5000, "kg"), "620342": (24.0, 30, 2500, "pcs"), "610910": (16.0, 30, 2500, "pcs"),
}
# kg per quantity unit where the unit is not kg (by chapter, or by subheading)
UNIT_KG: dict[str, float] = {
    "61": 0.25, "62": 0.45, "64": 0.9, "40": 9.0, "84": 30.0, "85": 2.5, "87": 4.0, "90": 1.5, "94": 18.0,
    "95": 0.6, "851713": 0.35, "240220": 1.3, "220830": 1.5, "620342": 0.5, "610910": 0.22,
}
FALLBACK_HS: dict[str, str] = {
    "070999": "Vegetables; edible, n.e.c. in chapter 07, fresh or chilled",
    "070200": "Tomatoes; fresh or chilled",
    "080810": "Apples; fresh", "090240": "Tea, black; fermented", "150790": "Soya-bean oil; refined",
    "170199": "Sugars; cane or beet sugar, refined", "190531": "Sweet biscuits",
    "220830": "Whiskies", "240220": "Cigarettes; containing tobacco",
    "300490": "Medicaments; n.e.c., in doses",
    "330499": "Beauty or make-up preparations", "340111": "Soap; for toilet use",
    "392690": "Plastics; other articles",
    "392620": "Plastics; articles of apparel and clothing accessories",
    "401110": "Tyres; new, for motor cars",
    "480256": "Paper; uncoated, for writing", "520942": "Denim fabrics",
    "610910": "T-shirts; of cotton, knitted",
    "620342": "Trousers; men's, of cotton", "640299": "Footwear; rubber or plastics",
    "680299": "Stone; worked, n.e.c.",
    "690721": "Ceramic tiles", "721049": "Flat-rolled iron; zinc coated",
    "732690": "Iron or steel; articles n.e.c.",
    "760429": "Aluminium profiles", "841821": "Refrigerators; household", "847130": "Laptops",
    "851713": "Telephone sets; smartphones", "852872": "Television receivers; colour",
    "870899": "Vehicle parts and accessories n.e.c.", "940360": "Wooden furniture", "950300": "Toys",
}


def _hs_source(path: Path | None) -> Path | None:
    """The HS nomenclature file to read, or None (then the built-in list is used)."""
    if path is not None:
        return Path(path) if Path(path).exists() else None
    base = Path(os.environ.get("TAMGA_DATASETS", Path(__file__).resolve().parents[3] / "shared" / "datasets"))
    p = base / "hs" / "harmonized-system.csv"
    return p if p.exists() else None


def catalogue(hs_path: Path | None = None) -> dict[str, str | int]:
    """Which goods list a world of this checkout draws from: the HS file's name and digest, or the
    built-in list. Why it is said: the file is looked up beside the code (`../shared/datasets`), so a
    copy of the code elsewhere draws other goods, prices and parties for the same seed (issue 12: a
    sweep run from a copy in /tmp scored seed 4 at cover precision 0.812, the worktree at 0.896)."""
    src = _hs_source(hs_path)
    if src is None:
        return {"source": "built-in", "codes": len(FALLBACK_HS)}
    return {"source": src.name, "sha256": hashlib.sha256(src.read_bytes()).hexdigest()[:16]}


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


def make_goods(rng: np.random.Generator, n_codes: int, hs_path: Path | None, spread: float = 0.45) -> Goods:
    """`n_codes` subheadings (every `SPECIAL` one among them) with prices, duties and popularity;
    `spread` is the sigma of a code's log price around its chapter's median."""
    src = _hs_source(hs_path)
    if src is not None:
        hs = pd.read_csv(src, dtype=str, usecols=["hscode", "description", "level"])
        hs = hs[(hs["level"] == "6") & hs["hscode"].str[:2].isin(list(CHAPTERS))]
        table = dict(zip(hs["hscode"], hs["description"], strict=True))
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
            uv[i] = round(m * float(rng.lognormal(0, spread)), 3)
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
    unit_kg = np.array([UNIT_KG.get(c, UNIT_KG.get(c[:2], 1.3 if u == "l" else 1.0))
                        for c, u in zip(pick, unit, strict=True)])
    return Goods(hs6, code, desc, uv, duty, mass, unit.astype(str), pop / pop.sum(), unit_kg,
                 {k2: np.array(v) for k2, v in chap.items()})
