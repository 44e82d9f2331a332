"""A small seeded customs world built directly as `Frames` (no store), for the declaration tests.

Genuine trade under a cheap code D (low duty), risk goods A declared openly (high duty), and a
cover scheme: a few suppliers ship A declared as D via one route; half of those items were caught
(offences with declared D, found A), the other half are the planted uncaught covers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from graph.store.frames import COLUMNS, Frames

D, A, OTHER = "940510", "852352", "392690"


def _decl_frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    for c in COLUMNS["declarations"]:
        if c not in df:
            df[c] = None
    df["date"] = pd.to_datetime(df["date"])
    return df[list(COLUMNS["declarations"])]


def cover_world(seed: int = 1, n_genuine: int = 400, n_cover: int = 40, n_open: int = 120,
                n_other: int = 300) -> tuple[Frames, set[str]]:
    """Returns the frames and the keys of the planted, not caught, cover items."""
    rng = np.random.default_rng(seed)
    rows: list[dict] = []
    start = pd.Timestamp("2024-01-01")
    importers = [f"t:imp{i}" for i in range(120)]
    declarants = [f"t:dec{i}" for i in range(15)]
    suppliers = [f"t:sup{i}" for i in range(60)]

    def row(i, hs, uv, mass, consignor, origin, consignee, declarant, rate, result=None):
        day = start + pd.Timedelta(days=int(rng.integers(0, 365)))
        return {
            "key": f"t:D{i}/1", "declaration_key": f"t:D{i}", "declaration_id": f"D{i}", "item_no": 1,
            "date": day, "hs_code": hs, "customs_value": round(uv * mass, 2), "net_mass_kg": round(mass, 1),
            "duty_rate": rate, "duty_amount": round(uv * mass * rate / 100, 2), "origin_country": origin,
            "dispatch_country": origin, "transport_mode": "road", "consignor": consignor,
            "consignee": consignee,
            "declarant": declarant, "inspection_result": result, "currency": "USD",
        }

    i = 0
    for _ in range(n_genuine):
        i += 1
        rows.append(row(i, D, rng.lognormal(np.log(3.0), 0.45), rng.lognormal(np.log(800), 0.8),
                        rng.choice(suppliers[:50]), rng.choice(["DE", "PL", "TR", "CN", "IT"],
                                                              p=[.3, .2, .2, .15, .15]),
                        rng.choice(importers), rng.choice(declarants), 2.0))
    for _ in range(n_open):
        i += 1
        rows.append(row(i, A, rng.lognormal(np.log(40.0), 0.4), rng.lognormal(np.log(300), 0.7),
                        rng.choice(suppliers[50:]), rng.choice(["CN", "HK"]), rng.choice(importers),
                        rng.choice(declarants), 15.0))
    for _ in range(n_other):
        i += 1
        rows.append(row(i, OTHER, rng.lognormal(np.log(5.0), 0.5), rng.lognormal(np.log(500), 0.8),
                        rng.choice(suppliers), rng.choice(["DE", "CN", "TR"]), rng.choice(importers),
                        rng.choice(declarants), 6.5))
    cover_keys: list[str] = []
    cover_importers = importers[100:]
    for _ in range(n_cover):
        i += 1
        # covers declare a lower price than the real goods, but far above D's usual price
        rows.append(row(i, D, rng.lognormal(np.log(18.0), 0.45), rng.lognormal(np.log(300), 0.7),
                        rng.choice(suppliers[50:56]), rng.choice(["CN", "HK"]), rng.choice(cover_importers),
                        rng.choice(declarants), 2.0))
        cover_keys.append(rows[-1]["key"])
    decl = _decl_frame(rows)
    caught = cover_keys[: n_cover // 2]
    planted = set(cover_keys[n_cover // 2:])
    off = []
    for j, k in enumerate(caught):
        r = decl[decl["key"] == k].iloc[0]
        decl.loc[decl["key"] == k, "inspection_result"] = "violation"
        off.append({"key": f"t:O{j}", "offence_id": f"O{j}", "date": r["date"] + pd.Timedelta(days=3),
                    "party": r["consignee"], "declaration_key": r["declaration_key"],
                    "offence_type": "misclassification", "declared_hs_code": D, "actual_hs_code": A,
                    "evaded_amount": float(r["customs_value"]) * 0.13, "status": "confirmed"})
    offences = pd.DataFrame(off, columns=list(COLUMNS["offences"]))
    offences["date"] = pd.to_datetime(offences["date"])
    parties = pd.DataFrame({"key": importers + declarants + suppliers})
    parties["party_id"] = parties["key"].str.slice(2)
    parties["source"] = "t"
    for c in COLUMNS["parties"]:
        if c not in parties:
            parties[c] = None
    return Frames(declarations=decl, parties=parties[list(COLUMNS["parties"])], offences=offences), planted


def labelled_world(seed: int = 11, n: int = 3000) -> Frames:
    """Two years of items with inspection outcomes. Violations come from a few risky importers (and
    the brokers they share), from undervalued items and from one risky origin, so every feature
    group has signal; outcomes are recorded for ~60 % of items."""
    rng = np.random.default_rng(seed)
    importers = [f"t:imp{i}" for i in range(150)]
    risky = set(importers[:15])
    brokers = [f"t:br{i}" for i in range(12)]
    codes = {"847130": (200.0, 0.0), "940510": (3.0, 2.0), "852352": (40.0, 15.0), "392690": (5.0, 6.5)}
    rows = []
    start = pd.Timestamp("2023-01-01")
    for i in range(n):
        imp = importers[int(rng.integers(0, len(importers)))]
        broker = (brokers[0] if imp in risky and rng.random() < 0.7
                  else brokers[int(rng.integers(1, len(brokers)))])
        hs = list(codes)[int(rng.integers(0, len(codes)))]
        uv, rate = codes[hs]
        under = rng.random() < 0.1
        m = float(rng.lognormal(np.log(500), 0.8))
        price = uv * float(rng.lognormal(0, 0.3)) * (0.2 if under else 1.0)
        origin = str(rng.choice(["CN", "DE", "TR", "XX"], p=[.4, .3, .2, .1]))
        p = 0.04 + 0.45 * (imp in risky) + 0.35 * under + 0.15 * (origin == "XX")
        inspected = rng.random() < 0.6
        rows.append({
            "key": f"t:L{i}/1", "declaration_key": f"t:L{i}", "declaration_id": f"L{i}", "item_no": 1,
            "date": start + pd.Timedelta(days=int(i * 730 / n)), "hs_code": hs,
            "customs_value": round(price * m, 2),
            "net_mass_kg": round(m, 1), "duty_rate": rate, "origin_country": origin,
            "dispatch_country": origin,
            "transport_mode": "road", "consignee": imp, "declarant": broker, "broker": None,
            "consignor": f"t:sup{int(rng.integers(0, 80))}",
            "inspection_result": (("violation" if rng.random() < p else "clear") if inspected else None),
        })
    return Frames(declarations=_decl_frame(rows))
