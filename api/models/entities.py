"""What an investigator reads: search hits, the entity card, groups, decisions, screening hits, subgraphs."""

from __future__ import annotations

import builtins
import datetime as dt
from typing import Literal

from pydantic import Field

from api.models.common import (
    InterruptedRun,
    Public,
    Reason,
    Reasons,
)

# --------------------------------------------------------------------------- search and entities

class PartyHit(Public):
    key: str
    name: str | None = None
    party_id: str | None = None
    country: str | None = None
    risk_score: float | None = None
    matched_on: Literal["name", "tax_id", "phone", "party_id"]
    score: float = Field(description="match quality 0..100")


class SearchResult(Public):
    query: str
    normalised: str
    items: list[PartyHit]
    limit: int


class Risk(Public):
    key: str
    name: str | None = None
    risk_score: float | None = None
    risk_rank: int | None = None
    reasons: Reasons = []
    group_id: str | None = None
    entity_id: str | None = None
    phoenix_of: str | None = None
    phoenix_score: float | None = None
    scored_at: str | None = None
    risk_provisional: bool = Field(default=False, description="the score is a local update since the last "
                                                              "full scoring run (replaced by the next)")
    provisional_at: str | None = None


class Identity(Public):
    key: str
    party_id: str | None = None
    source: str | None = None
    name: str | None = None
    kind: str | None = None
    country: str | None = None
    tax_id: str | None = None
    registered_on: dt.date | None = None
    deregistered_on: dt.date | None = None
    address: str | None = None
    phone: str | None = None
    email: str | None = None
    bank_account: str | None = None


class Alias(Public):
    key: str
    name: str | None = None
    source: str | None = None
    party_id: str | None = None
    tax_id: str | None = None
    country: str | None = None
    confidence: float | None = None
    risk_score: float | None = None


class Identifier(Public):
    rel: str
    key: str
    value: str | None = None
    degree: int | None = None
    specificity: float | None = None


class Officer(Public):
    key: str
    name: str | None = None
    role: str | None = None
    share_pct: float | None = None
    since: dt.date | None = None
    until: dt.date | None = None


class HsLine(Public):
    hs_code: str | None = None
    items: int
    value: float


class Counterparty(Public):
    key: str
    name: str | None = None
    risk_score: float | None = None
    items: int


class Trade(Public):
    items: int = 0
    declarations: int = 0
    value: float = 0.0
    first_date: dt.date | None = None
    last_date: dt.date | None = None
    top_hs: list[HsLine] = []
    top_counterparties: list[Counterparty] = []


class OffenceOut(Public):
    key: str
    offence_id: str | None = None
    date: dt.date | None = None
    offence_type: str | None = None
    status: str | None = None
    declared_hs_code: str | None = None
    actual_hs_code: str | None = None
    evaded_amount: float | None = None
    declaration_id: str | None = None


class GroupSummary(Public):
    key: str
    risk: float | None = None
    size: int | None = None
    reasons: Reasons = []


class GroupMember(Public):
    key: str
    name: str | None = None
    risk_score: float | None = None
    country: str | None = None
    tax_id: str | None = None


class GroupDetail(GroupSummary):
    links: Reasons = Field(default=[],
                           description="the shared identifiers and officers that hold it together")
    members: list[GroupMember]


class DecisionOut(Public):
    id: str
    kind: str
    subject: str
    object: str | None = None
    value: str | None = None
    note: str | None = None
    user: str | None = None
    at: str | None = None
    deleted_at: str | None = None
    deleted_by: str | None = None
    status: str | None = Field(default=None,
                               description="effective, or pending a second approver (four-eyes)")
    approved_by: str | None = None
    approved_at: str | None = None


class PathStep(Public):
    id: str
    kind: str
    label: str
    link: str | None = Field(default=None, description="relationship type from the previous step")


class ScreeningHit(Public):
    """A screening hit: a party or officer that may be a listed entity (graph.pipeline.screening)."""

    hit_id: str = Field(description="the hit's id (PATCH /screening-hits/{hit_id} sets its state)")
    subject: str = Field(description="the party's or officer's key")
    subject_kind: str = Field(description="Party or Person (an officer)")
    party_id: str | None = Field(default=None, description="the source's party or person id")
    name: str | None = None
    list: str = Field(description="the list's name")
    listed_key: str
    listed_entity_id: str = Field(description="the id the list gives the entity")
    listed_name: str | None = None
    listed_schema: str | None = Field(default=None, description="FtM schema: Person, Company ...")
    score: float
    state: Literal["new", "confirmed", "false_positive"]
    # `builtins.list`: the field `list` above shadows the builtin in this class's namespace
    reasons: builtins.list[Reason] = Field(
        description="the features that made the hit: name, identifier, country, birth date")
    screened_at: str | None = None
    decided_by: str | None = None
    decided_at: str | None = None


class EntityCard(Public):
    key: str = Field(description="the party key the card is built around")
    entity_id: str | None = None
    identity: Identity
    aliases: list[Alias]
    identifiers: list[Identifier]
    officers: list[Officer]
    roles: dict[str, int] = Field(description="declaration items per role: declarant, consignee, ...")
    trade: Trade
    risk: Risk
    group: GroupSummary | None = None
    offences: list[OffenceOut]
    offence_paths: list[list[PathStep]] = Field(
        description="shortest links to known offenders (shared identifiers, officers, groups), nearest first")
    decisions: list[DecisionOut]
    screening: list[ScreeningHit] = Field(
        default_factory=list, description="the party's and its officers' screening hits, best first")
    interrupted_runs: list[InterruptedRun] = Field(
        default_factory=list, description="unfinished runs: this card may show partly updated data")


# --------------------------------------------------------------------------- subgraphs

class GraphNode(Public):
    id: str = Field(description="label:key, unique in the graph")
    key: str
    kind: str = Field(description="node label, see the legend")
    label: str
    risk: float | None = None
    depth: int
    why: str = Field(description="why the node is in the subgraph: the link that brought it in")
    expandable: bool = True


class GraphEdge(Public):
    source: str
    target: str
    type: str


class LegendItem(Public):
    label: str
    color: str
    shape: str
    doc: str


class Subgraph(Public):
    root: str
    depth: int
    max_nodes: int
    rel_types: list[str]
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    truncated: bool = Field(description="true when a cap (node count or per-hop rows) cut the subgraph")
    offence_paths: list[list[str]] = Field(default=[],
                                           description="shortest paths (node ids) from the root to offences "
                                                       "in the subgraph, nearest first")
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    legend: list[LegendItem]
