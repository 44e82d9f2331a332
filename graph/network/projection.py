"""Frames -> integer-id graphs over resolved entities, the nodes that link them, and their trade.

One projection feeds every whole-graph algorithm (groups, risk propagation, phoenix, communities):
- entities 0..E-1 (resolved parties: brokers and carriers are entities too);
- link nodes E..E+L-1: the identifiers (bank account, phone, email, address) and people (officers)
  entities share, each with its degree (how many entities carry it) and kind;
- trade between entities from the declarations: declarant-consignee, consignee-consignor (the
  supplier), consignee-broker, consignee-carrier, with counts;
- goods (HS6) and suppliers per entity, for phoenix continuity and the trading network.

Why link nodes instead of entity-entity cliques: a value shared by k entities is k edges, not k^2,
so a business centre with 60 tenants costs 60 edges, and its specificity lives on one node.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from graph.domain.types import HSCode
from graph.domain.vocabulary import LIABLE_ROLES, PARTY_ROLE_NAMES, PartyRole
from graph.engine import csr
from graph.network.resolution import Resolution
from graph.store.frames import Frames

# the trade relations the projection keeps: (from column, to column, edge kind)
TRADE_PAIRS: tuple[tuple[PartyRole, PartyRole, str], ...] = (
    (PartyRole.DECLARANT, PartyRole.CONSIGNEE, "declarant"),
    (PartyRole.CONSIGNEE, PartyRole.CONSIGNOR, "supplier"),
    (PartyRole.CONSIGNEE, PartyRole.BROKER, "broker"),
    (PartyRole.CONSIGNEE, PartyRole.CARRIER, "carrier"),
)


@dataclass
class Projection:
    entity_ids: np.ndarray  # entity index -> entity id (str)
    entity_index: dict[str, int]
    party_keys: np.ndarray  # party keys (str), aligned with party_entity
    party_entity: np.ndarray  # party row -> entity index
    entities: pd.DataFrame  # per entity: registered_on, deregistered_on, kind, name, n_parties
    links: pd.DataFrame  # entity, node (link node index 0..L-1), kind, value, role (for people)
    link_nodes: pd.DataFrame  # per link node: kind, value, degree (distinct entities)
    trade: pd.DataFrame  # a, b (entity indices), kind, count
    goods: pd.DataFrame  # entity, hs6, count (as consignee or declarant)
    suppliers: pd.DataFrame  # entity, supplier (entity index), count
    role_counts: pd.DataFrame  # per entity: declarations as declarant/consignee/consignor/carrier/broker
    reference_date: pd.Timestamp  # the latest declaration date: "now" for the data

    @property
    def n_entities(self) -> int:
        return len(self.entity_ids)

    @property
    def n_links(self) -> int:
        return len(self.link_nodes)

    def link_graph(self, link_weight: np.ndarray) -> csr.CSR:
        """Bipartite entity - link-node graph; node ids: entities first, then link nodes (E + node)."""
        e = self.links["entity"].to_numpy()
        node = self.links["node"].to_numpy()
        return csr.from_edges(e, self.n_entities + node, link_weight[node], n=self.n_entities + self.n_links)


def _entity_index(series: pd.Series, party_pos: dict[str, int], party_entity: np.ndarray) -> np.ndarray:
    """Map party keys to entity indices (-1 where missing or unknown)."""
    codes = series.map(party_pos)
    out = np.full(len(series), -1, dtype=np.int64)
    ok = codes.notna().to_numpy()
    out[ok] = party_entity[codes[ok].astype(np.int64).to_numpy()]
    return out


def project(frames: Frames, resolution: Resolution) -> Projection:
    """Build the projection (see the module docstring)."""
    parties = frames.parties.reset_index(drop=True)
    party_keys = parties["key"].astype(object).to_numpy()
    entity_of = resolution.entity_of.reindex(party_keys)
    entity_ids, party_entity = np.unique(entity_of.astype(object).to_numpy().astype(str), return_inverse=True)
    entity_index = {e: i for i, e in enumerate(entity_ids)}
    party_pos = {k: i for i, k in enumerate(party_keys)}
    n_ent = len(entity_ids)

    pe = pd.DataFrame({"entity": party_entity, "registered_on": parties["registered_on"],
                       "deregistered_on": parties["deregistered_on"], "kind": parties["kind"].astype(object)})
    agg = pe.groupby("entity").agg(registered_on=("registered_on", "min"), n_parties=("entity", "size"),
                                   kind=("kind", "first"))
    # an entity is deregistered when all its records are
    by_entity = pe.groupby("entity")["deregistered_on"]
    dereg = by_entity.max().where(by_entity.count() == by_entity.size())
    agg["deregistered_on"] = pd.to_datetime(dereg)
    agg["name"] = [resolution.names.get(e, "") for e in entity_ids[agg.index.to_numpy()]]
    entities = agg.reindex(range(n_ent))

    # link nodes: identifiers other than the tax id (the tax id defines the entity) and officers
    ids = frames.identifiers[frames.identifiers["label"] != "TaxId"]
    id_rows = pd.DataFrame({"entity": _entity_index(ids["party"], party_pos, party_entity),
                            "kind": ids["label"].astype(object).to_numpy(),
                            "value": ids["value"].astype(object).to_numpy(), "role": None})
    off = frames.officers
    off_rows = pd.DataFrame({"entity": _entity_index(off["company"], party_pos, party_entity),
                             "kind": "Person",
                             "value": off["person"].astype(object).to_numpy(),
                             "role": off["role"].astype(object).to_numpy()})
    links = pd.concat([id_rows, off_rows], ignore_index=True)
    links = links[links["entity"] >= 0].dropna(subset=["value"])
    links = links.sort_values(["kind", "value", "entity"]).drop_duplicates(["entity", "kind", "value"])
    node_codes, node_keys = pd.factorize(pd.MultiIndex.from_arrays([links["kind"], links["value"]]),
                                         sort=True)
    links = links.assign(node=node_codes).reset_index(drop=True)
    link_nodes = pd.DataFrame({"kind": node_keys.get_level_values(0), "value": node_keys.get_level_values(1)})
    link_nodes["degree"] = np.bincount(node_codes, minlength=len(link_nodes)) if len(link_nodes) else 0

    d = frames.declarations
    role_ent = {c: _entity_index(d[c], party_pos, party_entity) for c in PARTY_ROLE_NAMES}
    parts = []
    for a, b, kind in TRADE_PAIRS:
        ea, eb = role_ent[a], role_ent[b]
        ok = (ea >= 0) & (eb >= 0) & (ea != eb)
        if ok.any():
            t = pd.DataFrame({"a": ea[ok], "b": eb[ok]}).value_counts().rename("count").reset_index()
            t["kind"] = kind
            parts.append(t)
    trade = (pd.concat(parts, ignore_index=True) if parts
             else pd.DataFrame({"a": pd.Series(dtype=np.int64), "b": pd.Series(dtype=np.int64),
                                "count": pd.Series(dtype=np.int64), "kind": pd.Series(dtype=object)}))

    hs6 = HSCode.prefixes(d["hs_code"], 6).astype(object).to_numpy()
    g_parts = []
    for c in LIABLE_ROLES:
        ok = role_ent[c] >= 0
        g_parts.append(pd.DataFrame({"entity": role_ent[c][ok], "hs6": hs6[ok]}))
    goods = pd.concat(g_parts, ignore_index=True).dropna()
    goods = goods.value_counts().rename("count").reset_index() if len(goods) else \
        pd.DataFrame({"entity": [], "hs6": [], "count": []})
    sup = trade[trade["kind"] == "supplier"].rename(columns={"a": "entity", "b": "supplier"})[
        ["entity", "supplier", "count"]].reset_index(drop=True)

    rc = pd.DataFrame({c: np.bincount(role_ent[c][role_ent[c] >= 0], minlength=n_ent) for c in role_ent})
    ref = d["date"].max() if len(d) else pd.NaT
    if pd.isna(ref):
        ref = pd.Timestamp.now().normalize()
    return Projection(entity_ids=entity_ids, entity_index=entity_index, party_keys=party_keys,
                      party_entity=party_entity, entities=entities, links=links, link_nodes=link_nodes,
                      trade=trade, goods=goods, suppliers=sup, role_counts=rc,
                      reference_date=pd.Timestamp(ref))
