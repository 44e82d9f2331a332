"""The typology simulator: contract-valid, deterministic worlds whose planted schemes are really there.

The checks read the written CSV files back (as any ingest would), so they test the bundle, not the
simulator's internal state; identifiers are compared after a deliberately simple normalisation
written here (digits of phones and accounts, whitespace- and case-free addresses).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from graph.domain.schema import FILES
from ingest.simulate import COVER_PAIRS, SPECIAL, generate_world

BUNDLE = ("parties", "declarations", "officers", "offences")


def read(world: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(world / f"{name}.csv", dtype=str, keep_default_na=False, na_values=[""])


@pytest.fixture(scope="module")
def world(small_world: Path) -> dict:
    w = {n: read(small_world, n) for n in BUNDLE}
    w["truth"] = json.loads((small_world / "truth.json").read_text(encoding="utf-8"))
    w["path"] = small_world
    return w


def norm_phone(p) -> str | None:
    if not isinstance(p, str):
        return None
    d = re.sub(r"\D", "", p)
    if len(d) == 11 and d.startswith("8"):
        d = "7" + d[1:]
    if len(d) == 9:
        d = "998" + d
    return "+" + d


def norm_addr(a) -> str | None:
    return "".join(a.lower().split()) if isinstance(a, str) else None


def norm_digits(v) -> str | None:
    return re.sub(r"[\s-]", "", v) if isinstance(v, str) else None


def party_links(parties: pd.DataFrame) -> dict[str, dict[str, list[str]]]:
    """identifier kind -> normalised value -> party ids holding it."""
    out: dict[str, dict[str, list[str]]] = {}
    for kind, col, f in (("phone", "phone", norm_phone), ("address", "address", norm_addr),
                         ("bank", "bank_account", norm_digits), ("email", "email", lambda x: x),
                         ("tax", "tax_id", norm_digits)):
        m: dict[str, list[str]] = defaultdict(list)
        for pid, v in zip(parties["party_id"], parties[col], strict=True):
            nv = f(v)
            if isinstance(nv, str):
                m[nv].append(pid)
        out[kind] = {v: ps for v, ps in m.items() if len(ps) > 1}
    return out


def files_digest(d: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(d.iterdir())}


# --------------------------------------------------------------------------- determinism

def test_same_seed_same_bytes_other_seed_other_world(tmp_path: Path, small_world: Path):
    a = generate_world(tmp_path / "a", seed=7, declarations=3000)
    assert files_digest(tmp_path / "a") == files_digest(small_world)
    generate_world(tmp_path / "b", seed=8, declarations=3000)
    da, db = files_digest(tmp_path / "a"), files_digest(tmp_path / "b")
    assert all(da[n] != db[n] for n in da), "a different seed must change every file"
    assert a["declarations"] == 3000


# made by the simulator before scenario randomisation (issue 12): the fixed world must not move
FIXED_7_2000 = {
    "declarations.csv": "a01b4dbb8ce1ee9812567f1b81cf0f7265d3abcc89eef2e2f87e15ac328aae5c",
    "offences.csv": "ec3da6eefacacb5565abbace95c91bdd9b009ec70b1ca9bb7ce9866145cc03b5",
    "officers.csv": "bcb7f14502a4d1325ea8bfab36fa6af28c60229fda91272a78b8916824aae31c",
    "parties.csv": "e07ca8c291b99de08b611c522c76463b4d59ffacafb18b7d27f46f1a2853d3dd",
    "truth.json": "95f3989c22729547bc3b355df51070da90a51d802f3ea35117bcf885f63c6a9d",  # + "compliance"
}


def test_fixed_world_bytes_did_not_move(tmp_path: Path):
    """The default (fixed) world is today's, byte for byte: the built-in goods list (an HS file that
    does not exist, so the digest does not depend on the nomenclature being present), seed 7, 2,000
    rows; `scenario="fixed"` is the default."""
    generate_world(tmp_path / "d", seed=7, declarations=2000, hs_path="/nonexistent")
    generate_world(tmp_path / "f", seed=7, declarations=2000, hs_path="/nonexistent", scenario="fixed")
    assert files_digest(tmp_path / "d") == files_digest(tmp_path / "f") == FIXED_7_2000


def test_same_bytes_in_another_process(tmp_path: Path, small_world: Path):
    """No set or hash order leaks into the output: another interpreter with another hash seed agrees."""
    code = ("import sys; from ingest.simulate import generate_world; "
            "generate_world(sys.argv[1], seed=7, declarations=3000)")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "p")], check=True, env=env, timeout=300)
    assert files_digest(tmp_path / "p") == files_digest(small_world)


def test_knobs_override_and_unknown_knobs_are_refused(tmp_path: Path):
    s = generate_world(tmp_path / "k", seed=3, declarations=2000, rings=5, phoenix=4, duplicates=6)
    truth = json.loads((tmp_path / "k" / "truth.json").read_text())
    assert s["rings"] == len(truth["rings"]) == 5
    assert len(truth["phoenix"]) == 4 and len(truth["duplicates"]) == 6
    assert truth["knobs"]["rings"] == 5 and truth["seed"] == 3
    with pytest.raises(TypeError, match="unknown knobs"):
        generate_world(tmp_path / "x", declarations=2000, ringz=3)


# --------------------------------------------------------------------------- the contract

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@pytest.mark.parametrize("spec", FILES, ids=lambda f: f.name)
def test_bundle_follows_the_contract(world, spec):
    df = world[spec.name]
    assert list(df.columns) == [c.name for c in spec.columns]
    assert len(df) > 0
    for c in spec.columns:
        col = df[c.name]
        if c.required:
            assert col.notna().all(), f"{spec.name}.{c.name} has empty required cells"
        v = col.dropna()
        if c.type == "date":
            assert v.str.match(DATE).all()
            pd.to_datetime(v, format="%Y-%m-%d")  # raises on an impossible date
        elif c.type in ("int", "float"):
            x = pd.to_numeric(v, errors="raise")
            if c.type == "int":
                assert (x == x.round()).all()
            if c.min is not None:
                assert (x >= c.min).all(), f"{spec.name}.{c.name} below {c.min}"
            if c.max is not None:
                assert (x <= c.max).all()
        elif c.type == "hs":
            assert v.str.fullmatch(r"\d{6,10}").all()
        elif c.type == "country":
            assert v.str.fullmatch(r"[A-Z]{2}").all()
        elif c.type == "country_list":
            assert v.str.fullmatch(r"[A-Z]{2}(;[A-Z]{2})*").all()
        elif c.type == "currency":
            assert v.str.fullmatch(r"[A-Z]{3}").all()
        if c.choices:
            assert set(v) <= set(c.choices), f"{spec.name}.{c.name}: {set(v) - set(c.choices)}"
    assert not df.duplicated(list(spec.key)).any(), f"{spec.name} key {spec.key} not unique"


def test_references_resolve_and_imports_have_consignees(world):
    parties = set(world["parties"]["party_id"])
    dec = world["declarations"]
    for col in ("declarant_id", "consignee_id", "consignor_id", "carrier_id", "broker_id"):
        assert set(dec[col].dropna()) <= parties, col
    assert set(world["officers"]["company_id"]) <= parties
    assert set(world["offences"]["party_id"]) <= parties
    assert set(world["offences"]["declaration_id"].dropna()) <= set(dec["declaration_id"])
    assert dec.loc[dec["regime"].str.startswith("IM"), "consignee_id"].notna().all()
    used = set(dec[["declarant_id", "consignee_id", "consignor_id", "carrier_id", "broker_id"]].stack())
    assert parties <= used, "every party in parties.csv appears in a declaration"
    assert len(dec) == 3000


def test_codes_keep_leading_zeros_and_items_number_from_one(world):
    dec = world["declarations"]
    assert dec["hs_code"].str.startswith("0").any(), "chapter 07 cover goods keep their leading zero"
    assert (dec["hs_code"].str.len() == 10).all()
    first = dec.groupby("declaration_id")["item_no"].apply(lambda s: sorted(map(int, s)))
    assert all(v == list(range(1, len(v) + 1)) for v in first)
    assert (first.map(len) > 1).any(), "some declarations carry several goods items"
    d = pd.to_datetime(dec["date"])
    assert d.min() >= pd.Timestamp("2024-01-01") and d.max() <= pd.Timestamp("2025-12-31")
    assert (d.max() - d.min()).days > 600


def test_world_looks_like_central_asian_customs(world):
    p = world["parties"]
    names = " ".join(p["name"])
    assert re.search(r"[А-Яа-я]", names) and re.search(r"[A-Za-z]", names), "Latin and Cyrillic names"
    for form in ("MChJ", "МЧЖ", "ТОО"):
        assert form in names
    dom = p[p["country"].isin(["UZ", "KZ"]) & p["tax_id"].notna()]
    tax = dom["tax_id"].map(norm_digits)
    assert (tax[dom["country"] == "UZ"].str.len() == 9).all()
    assert (tax[dom["country"] == "KZ"].str.len() == 12).all()
    assert dom["tax_id"].str.contains(r"[\s-]").any(), "some tax ids carry spaces or dashes"
    ph = p["phone"].dropna()
    assert ph.str.startswith("+998").any() and ph.str.startswith("8").any() and ph.str.contains(" ").any()
    assert p["email"].isna().any() and p["phone"].isna().any()
    assert p["address"].str.contains("Ташкент|Toshkent", na=False).any()
    assert p["address"].str.contains("Алматы|Almaty", na=False).any()
    dec = world["declarations"]
    assert {"CN", "TR", "RU"} <= set(dec["dispatch_country"]) and dec["transit_countries"].notna().any()
    assert {"IM40", "EX10"} <= set(dec["regime"])
    country = p.set_index("party_id")["country"]
    imp = dec[dec["regime"].str.startswith("IM") & dec["broker_id"].notna()]
    assert (imp["broker_id"].map(country) == imp["consignee_id"].map(country)).all(), "brokers act at home"
    assert (imp["destination_country"] == imp["consignee_id"].map(country)).all()
    # unit values follow the code: the same HS code keeps a stable value per kg for honest trade
    clean = dec[dec["inspection_result"].ne("violation")].copy()
    clean["uv"] = clean["customs_value"].astype(float) / clean["net_mass_kg"].astype(float)
    spread = clean.groupby("hs_code")["uv"].agg(lambda s: np.log(s).std())
    assert spread.median() < 1.0


# --------------------------------------------------------------------------- planted schemes

def components(members: list[str], edges: list[tuple[str, str]]) -> int:
    parent = {m: m for m in members}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x
    for a, b in edges:
        parent[find(a)] = find(b)
    return len({find(m) for m in members})


def test_rings_share_identifiers_and_directors_as_declared(world):
    t, p = world["truth"], world["parties"].set_index("party_id")
    officers, offences, dec = world["officers"], world["offences"], world["declarations"]
    offenders = set(offences["party_id"])
    links = party_links(p.reset_index())
    assert len(t["rings"]) >= 3
    for ring in t["rings"]:
        m = ring["members"]
        assert 4 <= len(m) <= 10
        assert set(ring["offenders"]) | set(ring["clean_members"]) == set(m)
        assert ring["offenders"] and ring["clean_members"]
        assert set(ring["offenders"]) <= offenders and not set(ring["clean_members"]) & offenders
        # recently registered: within a few months before their first declaration
        first = dec[dec["consignee_id"].isin(m)].groupby("consignee_id")["date"].min()
        reg = pd.to_datetime(p.loc[m, "registered_on"])
        assert ((pd.to_datetime(first.reindex(m)) - reg).dt.days.between(0, 120)).all()
        # shared values declared in truth really sit on those members (after normalisation)
        for kind, f, col in (("phones", norm_phone, "phone"), ("addresses", norm_addr, "address"),
                             ("banks", norm_digits, "bank_account")):
            for value, holders in ring["shared_by"][kind].items():
                assert len(holders) >= 2
                assert {f(p.at[h, col]) for h in holders} == {f(value)}
        d = officers[officers["company_id"].isin(m) & (officers["role"] == "director")]
        for person, holders in ring["shared_by"]["directors"].items():
            assert set(d.loc[d["person_id"] == person, "company_id"]) == set(holders)
        # the ring is one connected group through its shared identifiers and directors
        edges = []
        for kind in ("phone", "address", "bank", "email"):
            for ps in links[kind].values():
                inside = [x for x in ps if x in m]
                edges += list(itertools.pairwise(inside))
        for _, g in d.groupby("person_id"):
            ids = list(g["company_id"])
            edges += list(itertools.pairwise(ids))
        assert components(m, edges) == 1, ring["ring_id"]
        # links are partial: not every member shares everything
        assert not all(len(v) == 1 and len(next(iter(v.values()))) == len(m)
                       for v in ring["shared_by"].values())
        # all of them trade through the one captured broker
        rows = dec[dec["consignee_id"].isin(m)]
        assert set(rows["broker_id"]) == {ring["broker"]}
        # clean members' declarations never show a violation
        clean_rows = dec[dec["consignee_id"].isin(ring["clean_members"])]
        assert not clean_rows["inspection_result"].eq("violation").any()


def test_phoenix_successor_follows_a_deregistered_offender(world):
    t = world["truth"]
    p = world["parties"].set_index("party_id")
    dec, off, offi = world["declarations"], world["offences"], world["officers"]
    assert len(t["phoenix"]) >= 2
    for ph in t["phoenix"]:
        a, b = ph["predecessor"], ph["successor"]
        dereg = pd.Timestamp(p.at[a, "deregistered_on"])
        assert pd.Timestamp(p.at[b, "registered_on"]) > dereg
        assert pd.isna(p.at[b, "deregistered_on"])
        assert a in set(off["party_id"]) and b not in set(off["party_id"])
        assert (pd.to_datetime(off.loc[off["party_id"] == a, "date"]) < dereg).all()
        da, db = dec[dec["consignee_id"] == a], dec[dec["consignee_id"] == b]
        assert (pd.to_datetime(da["date"]) <= dereg).all() and (pd.to_datetime(db["date"]) > dereg).all()
        assert db["hs_code"].isin(set(da["hs_code"])).mean() >= 0.5, "the successor trades the same goods"
        assert set(db["consignor_id"]) & set(da["consignor_id"])
        shared = []
        if set(offi.loc[(offi["company_id"] == a) & (offi["role"] == "director"), "person_id"]) & \
                set(offi.loc[(offi["company_id"] == b) & (offi["role"] == "director"), "person_id"]):
            shared.append("director")
        for kind, col, f in (("phone", "phone", norm_phone), ("bank", "bank_account", norm_digits),
                             ("address", "address", norm_addr)):
            if f(p.at[a, col]) is not None and f(p.at[a, col]) == f(p.at[b, col]):
                shared.append(kind)
        assert shared, "a successor shares something with its predecessor"
        assert set(shared) <= set(ph["shared"])


def test_cover_items_are_declared_cheap_but_priced_like_risk_goods(world):
    cov = world["truth"]["cover"]
    dec = world["declarations"].copy()
    dec["key"] = dec["declaration_id"] + "/" + dec["item_no"]
    dec["uv"] = dec["customs_value"].astype(float) / dec["net_mass_kg"].astype(float)
    planted, caught = set(cov["planted_declarations"]), set(cov["caught_declarations"])
    assert len(planted) >= 10 and len(caught) >= 3 and not planted & caught
    assert [list(x) for x in COVER_PAIRS] == cov["pairs"]
    cover_codes = {c for c, _ in cov["pairs"]}
    rows = dec[dec["key"].isin(planted | caught)]
    assert len(rows) == len(planted | caught)
    assert rows["hs_code"].str[:6].isin(cover_codes).all()
    honest = dec[~dec["key"].isin(planted | caught)]
    for code, g in rows.groupby(rows["hs_code"].str[:6]):
        normal = honest.loc[honest["hs_code"].str[:6] == code, "uv"]
        assert len(normal) >= 5, f"cover code {code} also carries honest trade"
        risks = np.array([SPECIAL[r][0] for c, r in COVER_PAIRS if c == code])
        # every item's value per kg sits nearer the risk goods than the honest trade of its code
        to_risk = np.abs(np.log(g["uv"].to_numpy()[:, None] / risks[None, :])).min(axis=1)
        to_cover = np.abs(np.log(g["uv"].to_numpy() / normal.median()))
        assert (to_risk < to_cover).all(), code
        assert g["uv"].min() > 2.5 * normal.median()
    # caught ones have an offence naming declared and actual codes; the uncaught ones have none
    off = world["offences"]
    cov_off = off[off["declared_hs_code"].notna() & off["declared_hs_code"].str[:6].isin(cover_codes)
                  & off["actual_hs_code"].notna()]
    pairs = {tuple(x) for x in cov["pairs"]}
    assert {(a[:6], b[:6])
            for a, b in zip(cov_off["declared_hs_code"], cov_off["actual_hs_code"], strict=True)} & pairs
    caught_decl = {k.rsplit("/", 1)[0] for k in caught}
    assert caught_decl <= set(off["declaration_id"])
    assert not rows[rows["key"].isin(planted)]["inspection_result"].eq("violation").any()
    assert rows[rows["key"].isin(caught)]["inspection_result"].eq("violation").all()


def test_duplicates_are_one_company_spelt_differently(world):
    p = world["parties"].set_index("party_id")
    dec = world["declarations"]
    groups = world["truth"]["duplicates"]
    assert len(groups) >= 3
    for g in groups:
        assert len(set(p.loc[g, "name"])) == len(g), "each record spells the name differently"
        taxes = {norm_digits(x) for x in p.loc[g, "tax_id"] if isinstance(x, str)}
        assert len(taxes) <= 1, "records with a tax id carry the same one, however formatted"
        fingerprint = {pid: (norm_phone(p.at[pid, "phone"]), norm_addr(p.at[pid, "address"]),
                             norm_digits(p.at[pid, "bank_account"])) for pid in g}
        for pid in g:
            # no tax id: phone, address and bank match another record
            if not isinstance(p.at[pid, "tax_id"], str):
                assert None not in fingerprint[pid]
                assert any(fingerprint[o] == fingerprint[pid] for o in g if o != pid)
        assert set(g) <= set(dec["consignee_id"]) | set(dec["consignor_id"])


def test_traps_have_intended_sizes_and_stay_clean(world):
    t = world["truth"]["traps"]
    p = world["parties"].set_index("party_id")
    dec, off, offi = world["declarations"], world["offences"], world["officers"]
    offenders = set(off["party_id"])
    for bc in t["business_centres"]:
        assert 30 <= len(bc["members"]) <= 80
        assert len({norm_addr(a) for a in p.loc[bc["members"], "address"].dropna()}) == 1
        assert not set(bc["members"]) & offenders
    assert 8 <= len(t["holding"]) <= 20 and not set(t["holding"]) & offenders
    boss = t["holding_director"][0]
    assert set(offi.loc[offi["person_id"] == boss, "company_id"]) == set(t["holding"])
    imports = dec[dec["regime"].str.startswith("IM")]
    importers = imports["consignee_id"].nunique()
    home = imports.groupby(imports["consignee_id"].map(p["country"]))["consignee_id"].nunique()
    served = imports.groupby("broker_id")["consignee_id"].nunique()
    for b in t["hub_brokers"]:  # brokers act at home: a share of their own country's importers
        assert served.get(b, 0) >= 0.15 * home[p.at[b, "country"]], "a hub broker serves many traders"
    assert set(dec.loc[dec["broker_id"].isin(t["hub_brokers"]), "consignee_id"]) & offenders
    carried = dec.groupby("carrier_id")["consignee_id"].nunique()
    assert all(carried.get(c, 0) >= 0.1 * importers for c in t["hub_carriers"])
    reg = pd.to_datetime(p.loc[t["newcomers"], "registered_on"])
    assert (reg > pd.Timestamp("2024-12-31")).all() and not set(t["newcomers"]) & offenders
    # honest firms close too, so a deregistration alone is not the phoenix scheme
    closed = t["closed_honest"]
    assert closed and p.loc[closed, "deregistered_on"].notna().all()
    last = pd.to_datetime(dec[dec["consignee_id"].isin(closed)].groupby("consignee_id")["date"].max())
    assert (last < pd.to_datetime(p.loc[last.index, "deregistered_on"])).all()
    assert not set(closed) & {x["predecessor"] for x in world["truth"]["phoenix"]}
    # traps declare no violations at all
    trap_ids = set(t["business_centre"]) | set(t["holding"]) | set(t["newcomers"])
    assert not dec[dec["consignee_id"].isin(trap_ids)]["inspection_result"].eq("violation").any()


def test_every_shared_identifier_is_planted(world):
    """Honest firms never share a phone, account, email, tax id or address by accident."""
    t = world["truth"]
    explained: list[set[str]] = [set(r["members"]) for r in t["rings"]]
    explained += [{x["predecessor"], x["successor"]} for x in t["phoenix"]]
    explained += [set(g) for g in t["duplicates"]]
    explained += [set(b["members"]) for b in t["traps"]["business_centres"]]
    for kind, values in party_links(world["parties"]).items():
        for v, holders in values.items():
            assert any(set(holders) <= e for e in explained), f"unplanted shared {kind} {v}: {holders}"


def test_noise_exists_among_ordinary_traders(world):
    t, off = world["truth"], world["offences"]
    planted = set(t["offenders"]) - {x for r in t["rings"] for x in r["members"]} \
        - {x["predecessor"] for x in t["phoenix"]} - set(t["smugglers"])
    assert planted, "ordinary traders carry some honest violations"
    assert (off["offence_type"] == "documentation").any()
    assert set(off["party_id"]) == set(t["offenders"])


def test_timing_is_reported(tmp_path: Path):
    """Not an assertion on speed: prints how long a 20k-row world takes on this machine."""
    t0 = time.perf_counter()
    s = generate_world(tmp_path / "t", seed=11, declarations=20000)
    print(f"\nsimulator: 20,000 rows in {time.perf_counter() - t0:.2f} s, "
          f"declarations.csv {s['bytes']['declarations'] / 1e6:.1f} MB")
    assert s["declarations"] == 20000


def test_goods_come_from_the_hs_nomenclature_when_present(world):
    from conftest import dataset

    hs = pd.read_csv(dataset("hs", "harmonized-system.csv"), dtype=str)
    desc = dict(zip(hs["hscode"], hs["description"], strict=True))
    dec = world["declarations"].dropna(subset=["goods_description"])
    assert dec["hs_code"].str[:6].isin(desc.keys()).all()
    assert (dec["goods_description"] == dec["hs_code"].str[:6].map(desc)).all()


def test_builtin_goods_list_when_the_nomenclature_is_absent(tmp_path: Path):
    from ingest.simulate import FALLBACK_HS

    generate_world(tmp_path / "f", seed=5, declarations=1500, hs_path=tmp_path / "missing.csv")
    dec = read(tmp_path / "f", "declarations")
    assert dec["hs_code"].str[:6].isin(FALLBACK_HS.keys()).all()
    assert json.loads((tmp_path / "f" / "truth.json").read_text())["cover"]["caught_declarations"]
