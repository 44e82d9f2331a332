"""The API's models: input models (what callers send) kept apart from public models (what we return).

Why separate: an input model validates strictly and forbids unknown fields; a public model says
exactly what leaves the service (never a key hash, never internal fields), so the OpenAPI schema
documents both sides. The declaration input is generated from the data contract in
`graph.domain.schema.FILES`, so the API accepts exactly the columns the ingest accepts.
"""

from __future__ import annotations

import builtins
import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from graph.domain import schema


class Public(BaseModel):
    model_config = ConfigDict(extra="ignore")


# --------------------------------------------------------------------------- reasons

class Evidence(Public):
    """What a reason points at (`graph.domain.reasons.Evidence`)."""

    kind: str = Field(description="entity, party, group, item, or an identifier kind "
                                  "(TaxId, Phone, Address, ...)")
    id: str = Field(description="its key or value")
    label: str | None = Field(default=None, description="its name, when it has one")
    weight: float | None = Field(default=None, description="how much it says, e.g. a shared identifier's "
                                                           "specificity or a link's weight")


class Reason(Public):
    """Why an analysis flagged something (`graph.domain.reasons.Reason`): the same shape for risk,
    cover items, unit values, HS switches, assessment, audit targets and linked groups."""

    feature: str = Field(description="the signal, e.g. offender_links, unit_value, cover_pair")
    detail: str = Field(description="the reason in plain words")
    value: int | float | str | bool | None = Field(default=None, description="the signal's value")
    contribution: float | None = Field(
        default=None, description="its part of the score, in the analysis's unit (risk share, log-odds or "
                                  "log-likelihood ratio); absent where the analysis does not add parts up")
    evidence: list[Evidence] = Field(default=[], description="the entities, parties, identifiers, groups or "
                                                             "declaration items it rests on")


Reasons = list[Reason]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --------------------------------------------------------------------------- errors and health

class Problem(Public):
    """RFC 9457 problem details; every error the API returns has this shape."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    errors: list[dict[str, Any]] | None = None


class InterruptedRun(Public):
    kind: Literal["ingest", "score"]
    key: str = Field(description="the run's key")
    started_at: str | None = None
    source: str | None = None
    path: str | None = Field(None, description="the bundle an ingest run read")
    rerun: str = Field(description="what a re-run will do")


class PageTicket(Public):
    url: str = Field(description="open this URL (same origin) within expires_in_s; it works once")
    expires_in_s: int


class Health(Public):
    status: Literal["ok", "unavailable"]
    store: str | None = None
    detail: str | None = None
    interrupted_runs: list[InterruptedRun] = Field(
        default_factory=list, description="ingest or scoring runs left unfinished (killed, or still running)")


class Writer(Public):
    job: str = Field(description="the job holding the store's writer")
    kind: Literal["ingest", "score"]
    phase: str | None = None
    started_at: str | None = None


class Readiness(Health):
    writer: Writer | None = Field(default=None, description="the job writing now (reads answer from the last "
                                                            "committed state meanwhile), or none")
    queue_length: int = Field(default=0, description="jobs waiting for the writer")


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


# --------------------------------------------------------------------------- lists

class CoverAlert(Public):
    key: str
    declaration_key: str | None = None
    date: dt.date | None = None
    hs_code: str | None = None
    suspected_hs: str | None = None
    cover_score: float | None = None
    reasons: Reasons = []
    customs_value: float | None = None
    goods_description: str | None = None


class UnitValueAlert(Public):
    """A declaration item whose value per kg is far from the usual price of its HS code."""

    key: str
    declaration_key: str | None = None
    date: dt.date | None = None
    hs_code: str | None = None
    unit_value: float | None = Field(default=None, description="declared value per kg")
    norm_unit_value: float | None = Field(default=None, description="usual value per kg of the HS code")
    robust_z: float | None = Field(default=None, description="robust z of log value per kg (median / MAD)")
    direction: Literal["under", "over"] | None = None
    duties_at_stake: float | None = Field(default=None,
                                          description="duties lost if undervalued (0 when over)")
    reasons: Reasons = []
    customs_value: float | None = None
    goods_description: str | None = None


class HsSwitch(Public):
    """One sudden switch of a trader's HS code (`graph.declarations.goods.hs_switches`)."""

    date: dt.date | None = Field(default=None, description="first item under the new code")
    from_hs: str | None = None
    to_hs: str | None = None
    n_before: int | None = Field(default=None, description="the trader's items before the switch")
    n_new: int | None = Field(default=None, description="items under the new code within the window")
    n_old_after: int | None = Field(default=None,
                                    description="items still under the old code within the window")
    duty_rate_before: float | None = None
    duty_rate_after: float | None = None
    score: float | None = None
    keys: list[str] = Field(default=[], description="declaration items under the new code (the first 20)")
    reasons: Reasons = []


class HsSwitchAlert(Public):
    """A party whose HS codes switched suddenly, with its switch events (highest score first)."""

    key: str
    party_id: str | None = None
    name: str | None = None
    risk_score: float | None = None
    score: float | None = Field(default=None, description="highest score of the party's switches")
    switches: list[HsSwitch]


class AuditTarget(Public):
    """One audit of the plan (`graph.declarations.audit_plan`): ranked by duties expected to be recovered."""

    rank: int
    target_id: str
    target_kind: str
    name: str | None = None
    expected_amount: float | None = None
    risk: float | None = None
    duties_at_stake: float | None = None
    pick: str | None = Field(default=None,
                             description="why it is in the plan: by expected amount, or a random draw")
    reasons: Reasons = []


class LaneCount(Public):
    lane: str
    channel: str | None = None
    items: int


class LaneItem(Public):
    key: str
    declaration_key: str | None = None
    date: dt.date | None = None
    hs_code: str | None = None
    assessment_score: float | None = None
    reasons: Reasons = []
    channel: str | None = None


class Page[T](Public):
    items: list[T]
    skip: int
    limit: int
    total: int | None = None


# --------------------------------------------------------------------------- assessment

_PY_TYPES: dict[str, Any] = {
    "str": str, "int": int, "float": float, "date": dt.date, "bool": bool, "country": str, "currency": str,
    "hs": str, "json": str, "datetime": str, "hs_list": str, "country_list": str,
}
_CONSTRAINTS: dict[str, dict[str, Any]] = {
    "hs": {"pattern": r"^\d{2,10}$"},
    "country": {"pattern": r"^[A-Z]{2}$"},
    "currency": {"pattern": r"^[A-Z]{3}$"},
    "country_list": {"pattern": r"^([A-Z]{2}(;[A-Z]{2})*)?$"},
}


def _contract_model(file: str, name: str) -> type[BaseModel]:
    """A row of the data contract's `file`, as a strict input model (generated from the schema)."""
    fields: dict[str, Any] = {}
    for c in schema.FILE_BY_NAME[file].columns:
        typ: Any = Literal[c.choices] if c.choices else _PY_TYPES[c.type]
        kw: dict[str, Any] = dict(_CONSTRAINTS.get(c.type, {}))
        if c.type in ("str",):
            kw["max_length"] = 500
        if c.min is not None:
            kw["ge"] = c.min
        if c.max is not None:
            kw["le"] = c.max
        if c.doc:
            kw["description"] = c.doc
        if c.type == "float":
            kw["allow_inf_nan"] = False
            kw.setdefault("le", 1e15)
        if c.type == "int":
            kw.setdefault("le", 100_000)
        if c.required:
            fields[c.name] = (Annotated[typ, Field(**kw)], ...)
        else:
            fields[c.name] = (Annotated[typ | None, Field(**kw)], None)
    return create_model(name, __base__=Input, **fields)


if TYPE_CHECKING:  # generated at import: to mypy, the pydantic models they are
    DeclarationIn = BaseModel
    OffenceIn = BaseModel
else:
    DeclarationIn = _contract_model("declarations", "DeclarationIn")
    OffenceIn = _contract_model("offences", "OffenceIn")


class Assessment(Public):
    score: float = Field(description="declaration risk 0..1")
    model_score: float | None = Field(default=None,
                                      description="the model's part of the score, before network risk")
    lane: str = Field(description="proposed lane: green, yellow or red")
    expected_rate: float | None = Field(default=None,
                                        description="hit rate seen in this lane when the model was fitted")
    hit_rate: float | None = Field(default=None,
                                   description="calibrated hit rate of this score: the share of items "
                                               "scored alike in the tuning period found with an offence "
                                               "(isotonic; comparable across runs)")
    reasons: Reasons = []
    source: str | None = Field(default=None, description="source whose party ids the row uses")
    stored: bool = Field(description="whether the declaration was written to the store by this request")
    stored_reason: str | None = Field(default=None, description="why it was not stored, when store=true")


# --------------------------------------------------------------------------- intake (api.routes.intake)

_SOURCE = Field(default=None, min_length=1, max_length=50, pattern=r"^[A-Za-z0-9_.-]+$",
                description="source whose party ids the rows use (default: the latest ingest's)")


class DeclarationsIn(Input):
    source: Annotated[str | None, _SOURCE] = None
    items: Annotated[list[DeclarationIn], Field(min_length=1, max_length=1000,
                                                description="declaration items, the contract's columns")]


class StoredAssessment(Public):
    key: str = Field(description="the item's node key (source:declaration_id/item_no)")
    stored: bool = Field(description="written by this call (false: the item was already stored, "
                                     "never overwritten)")
    score: float = Field(description="declaration risk 0..1")
    model_score: float | None = None
    lane: str = Field(description="proposed lane: green, yellow or red")
    expected_rate: float | None = None
    reasons: Reasons = []


class ProvisionalReport(Public):
    touched: int = Field(description="parties the new data touched")
    neighbourhood: int = Field(description="parties read around them for the local update")
    updated: int = Field(description="parties whose risk was rewritten as provisional")
    seconds: float = 0.0


class DeclarationsOut(Public):
    source: str
    items: list[StoredAssessment]
    provisional: ProvisionalReport | None = Field(
        default=None, description="the provisional risk update, when it ran in the call (refresh=sync)")


class InspectionIn(Input):
    item: Annotated[str, Field(min_length=1, max_length=300, description="declaration item key")]
    result: Literal["clear", "violation"]
    date: dt.date = Field(description="date of the inspection")
    officer: Annotated[str | None, Field(max_length=200)] = None
    note: Annotated[str | None, Field(max_length=2000)] = None


class InspectionsIn(Input):
    items: Annotated[list[InspectionIn], Field(min_length=1, max_length=1000)]


class OffencesIn(Input):
    source: Annotated[str | None, _SOURCE] = None
    items: Annotated[list[OffenceIn], Field(min_length=1, max_length=1000)]


class IntakeOut(Public):
    stored: int = Field(description="records written by this call")
    keys: list[str] = Field(description="keys of the records (decision ids for inspections, offence keys)")
    provisional: ProvisionalReport | None = None


# --------------------------------------------------------------------------- decisions

DecisionKind = Literal["same_entity", "not_same_entity", "confirmed_risk", "cleared", "inspection"]


class DecisionIn(Input):
    kind: DecisionKind
    subject: Annotated[str, Field(min_length=1, max_length=300, description="party or declaration key")]
    object: Annotated[str | None, Field(max_length=300,
                                        description="the other party (same / not same entity)")] = None
    value: Annotated[str | None, Field(max_length=100, description="inspection: clear or violation")] = None
    note: Annotated[str | None, Field(max_length=2000)] = None


# --------------------------------------------------------------------------- runs, audit, keys

class IngestRunOut(BaseModel):
    """An ingest run's stored report (as `ingest.load.last_reports` parses it); extra fields pass through."""

    model_config = ConfigDict(extra="allow")
    run_id: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    source: str | None = None
    path: str | None = None
    status: str | None = None


class AuditEventOut(Public):
    id: str
    at: str
    user: str
    action: str
    target: str | None = None
    client: str | None = Field(default=None,
                               description="the caller: the peer, or the address a trusted proxy forwarded")
    peer: str | None = Field(default=None, description="the TCP peer (a proxy, when there is one)")
    request_id: str | None = Field(default=None, description="the server's id of the request")
    client_request_id: str | None = Field(default=None,
                                          description="the X-Request-ID the caller sent, if well-formed")
    status: int | None = None


Role = Literal["investigator", "auditor", "system", "admin"]


class KeyIn(Input):
    owner: Annotated[str, Field(min_length=1, max_length=200)]
    role: Role = "investigator"
    expires_days: Annotated[int, Field(ge=1, le=3660)] = 90
    scopes: list[str] | None = Field(default=None, description="a subset of the role's scopes")


class KeyOut(Public):
    prefix: str
    owner: str
    role: str
    scopes: list[str]
    created_at: str | None = None
    expires_at: str | None = None
    revoked_at: str | None = None
    state: Literal["active", "expired", "revoked"]


class KeyCreated(Public):
    key: str = Field(description="the API key, shown once; only its hash is stored")
    prefix: str
    owner: str
    role: str
    expires_days: int
