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

Scenarios: `scenario="fixed"` (the default) is the world above, its bytes pinned by a test;
`scenario="randomised"` draws the scheme parameters per seed from wide ranges (`scenario`): counts,
ring sizes, which identifiers tie a ring and how unevenly (nominees only, at times), rings with no
recorded offence or no captured broker, wider supplier pools, price spreads and cover price factors,
caught shares, offence types and amounts, record quality, hub sizes, and two more honest
look-alikes: outsourced accountants whose phone/email/address 10-40 clients share, and family firms
under one director at one address, some with a paperwork offence and no duty evaded, and premium
importers (`premium`: honest firms whose low-duty code is priced 1.8-4x its usual value per kg, some
declaring a higher-duty heading openly: the candidate cover's look-alike). The drawn
values go to truth.json "scenario"; the caller's knobs still win over them.

Sizes: `default_knobs(declarations)` lists every knob and its default (they scale with the number of
rows), `knobs.SCENARIO_KNOBS` the scheme parameters a scenario moves; truth.json records the
resolved values (a scenario knob only where it differs from the fixed world's). Measured on the
2-core build machine shared with other jobs (load average 7-10): 40,000 rows in 2-4 s, peak RSS
0.2 GB (declarations.csv 14.5 MB); 1,000,000 rows in 50-65 s, peak RSS 1.2 GB (declarations.csv
364 MB, parties.csv 13 MB). CSV is written by Arrow: every text cell quoted, whole floats without
".0".

truth.json:
    {
      "seed": int, "knobs": {resolved knob values}, "period": [first_date, last_date],
      "rings": [{"ring_id": "R01", "members": [party_id], "offenders": [party_id],
                 "clean_members": [party_id], "broker": party_id,   # null: no captured broker
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
                "closed_honest": [party_id],                 # deregistered honest firms, no successor
                # randomised scenarios only (absent otherwise):
                "accountant_clients": [party_id], "accountants": [{"kinds": [kind], "members": [...]}],
                "family_firms": [party_id],
                "families": [{"director": person_id, "shared": [kind], "members": [...]}],
                "paperwork_offenders": [party_id],           # look-alikes with a paperwork offence
                "premium_importers": [party_id],
                "premium": [{"party": party_id, "code": code, "factor": float, "share": float,
                             "open_code": code or null}],    # the higher-duty code declared openly
                "premium_items": ["declaration_id/item_no"]},  # their luxury-priced items
      "offenders": [party_id],                          # every party with at least one offence
      "smugglers": [party_id],                          # stand-alone cover-item traders
      "compliance": {"items": int, "non_compliant": int,  # the world's true compliance rate: items
                     "rate": float},                       # with a violation or a planted scheme
                                                           # (ingest.simulate.inspect)
      "scenario": {"name": "randomised", drawn knob: value}  # randomised scenarios only
    }
Canonical identifier values in truth: phones E.164, accounts without spaces, addresses as first
recorded (other records may differ in case and spacing only), tax ids digits only.

Layout: one module per part of the world. `knobs` (sizes, calendar), `goods` (catalogue, cover
pairs), `logistics` (offices, routes), `vocab` (names, addresses, identifier formats), `world` (the
mutable state, unique identifiers, id shuffling); `services` (brokers, carriers, suppliers, the hub
trap), `traders` (trader profiles, ordinary traders), `traps`, `rings`, `phoenix`, `cover` (cover
items and undervaluation), `duplicates`; `declarations`, `offences`, `write` (bundle, truth,
summary).

Random streams: each stage draws from its own `World.rng(stage)`: 1 goods, 2 service parties, 3
ordinary traders and traps, 4 rings, 5 phoenix firms, smugglers and duplicates, 6 accountants and
family firms, 7 premium importers (8 their rows, after the priced schemes), 10 declarations (and
[seed, 11, carrier] for each fleet's plates), 20 offences, 30 id shuffle; [seed, 40] the scenario
([seed, 42] its premium importers' knobs), 120/121 its paperwork offences (offenders / look-alikes).
A change inside one stage moves no other stage's draws; within a stage, the order of the calls in
`generate_world` is part of the world.
"""

from __future__ import annotations

import time
from pathlib import Path

from ingest.simulate.cover import smugglers
from ingest.simulate.declarations import draw_declarations
from ingest.simulate.duplicates import duplicates
from ingest.simulate.goods import COVER_PAIRS, FALLBACK_HS, SPECIAL, make_goods
from ingest.simulate.inspect import compliance_truth
from ingest.simulate.knobs import default_knobs, resolve_knobs
from ingest.simulate.offences import draw_offences
from ingest.simulate.phoenix import phoenix_firms
from ingest.simulate.premium import premium_importers
from ingest.simulate.rings import shell_rings
from ingest.simulate.scenario import SCENARIOS, draw_scenario
from ingest.simulate.services import make_services
from ingest.simulate.traders import TraderFactory, ordinary_traders
from ingest.simulate.traps import accountants, business_centres, close_honest, families, holdings, newcomers
from ingest.simulate.world import World, shuffle_ids
from ingest.simulate.write import Planted, summary, world_truth, write_bundle, write_truth

__all__ = ["COVER_PAIRS", "FALLBACK_HS", "SPECIAL", "default_knobs", "generate_world"]


def generate_world(out_dir: Path, *, seed: int = 7, declarations: int = 40000, scenario: str = "fixed",
                   **knobs) -> dict:
    """Write a seeded world (contract bundle + truth.json) to `out_dir` and return its summary.

    `declarations` is the number of goods-item rows of declarations.csv (the contract's row);
    `scenario="randomised"` draws the scheme parameters per seed (`scenario.draw_scenario`);
    `knobs` override both (unknown names are refused).
    """
    t0 = time.perf_counter()
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}: choose one of {', '.join(SCENARIOS)}")
    drawn = draw_scenario(seed, declarations) if scenario == "randomised" else {}
    k = resolve_knobs(declarations, drawn | knobs)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    w = World(seed, k)
    goods = make_goods(w.rng(1), int(k["hs_codes"]), k["hs_path"], k["goods_price_spread"])
    svc = make_services(w, w.rng(2))
    f = TraderFactory(w, goods, svc)

    # ordinary traders, then the traps, in one stream
    rng = w.rng(3)
    ordinary = ordinary_traders(f, rng)
    closed = close_honest(f, rng, ordinary)
    centres = business_centres(f, rng)
    holding, holding_directors = holdings(f, rng)
    fresh = newcomers(f, rng)
    # the honest look-alikes of a randomised scenario, in a stream of their own (none in the fixed world)
    rng = w.rng(6)
    accts = accountants(f, rng, ordinary)
    fams = families(f, rng)
    # the schemes
    rings = shell_rings(f, w.rng(4), ordinary)
    rng = w.rng(5)
    phoenix = phoenix_firms(f, rng)
    lone = smugglers(f, rng, first=len(rings))
    dups = duplicates(f, rng, ordinary)
    # honest premium importers (randomised scenarios only), in a stream of their own, after every
    # other stage took its firms
    taken = set(closed) | {p for a in accts for p in a["members"]} | {p for g in dups for p in g}
    premium = premium_importers(f, w.rng(7), ordinary, taken)
    planted = Planted(rings=rings, phoenix=phoenix, duplicates=dups, business_centres=centres,
                      holding=holding, holding_directors=holding_directors, hub_brokers=svc.hub_brokers,
                      hub_carriers=svc.hub_carriers, newcomers=fresh, closed_honest=closed, smugglers=lone,
                      accountants=accts, families=fams,
                      premium=[{"party": f.traders[p.trader].party, "code": str(goods.code[p.code]),
                                "factor": p.factor, "share": p.share,
                                "open_code": str(goods.code[p.open_code]) if p.open_code >= 0 else None}
                               for p in premium])

    # the rows, and what of them is caught
    stages = {"parties": time.perf_counter() - t0}
    dec, items, priced = draw_declarations(w, f.traders, goods, int(declarations), k, premium)
    if premium:
        planted.premium_items = (dec["declaration_id"].astype(str) + "/" + dec["item_no"].astype(str)
                                 ).to_numpy()[priced.premium_rows].tolist()
    stages["declarations"] = time.perf_counter() - t0 - sum(stages.values())
    offences, cover_truth, under_truth = draw_offences(w, f.traders, goods, dec, items, priced, k)
    stages["offences"] = time.perf_counter() - t0 - sum(stages.values())

    # creation order (a ring's members and its broker made one after another) must not show in the
    # ids, or an id's neighbours would betray the scheme
    shuffle_ids(w, dec, offences)

    files, parties, officers = write_bundle(out, w, dec, offences)
    stages["write"] = time.perf_counter() - t0 - sum(stages.values())
    truth = world_truth(w, seed, k, planted, offences, cover_truth, under_truth)
    truth["compliance"] = compliance_truth(dec, cover_truth, under_truth)
    if scenario == "randomised":
        truth["scenario"] = {"name": scenario, **drawn}
    write_truth(out, truth)
    return summary(out, seed, truth, parties, dec, officers, offences, files, t0, stages)
