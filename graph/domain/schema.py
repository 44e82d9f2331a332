"""The domain schema of Tamga, declared once, as data.

Everything that needs to know what the graph looks like reads it from here: the store's
constraints and indexes (`ddl_statements`), the ingest validators (`FILES`), the Cypher linter's
schema (`lint_schema`), the API's models and the legend of the visual graph (`legend`).
Labels and relationship types reach Cypher only from this module, never from user input.

Modelling choices (why):
- One `Declaration` node per goods item (the contract's row). Risk lives on the item: its HS code,
  its value per kg, its cover-code pattern. Items of one declaration share `declaration_key`,
  which is indexed, so a declaration is one index lookup away. A separate item node would double
  the node count for the 1M-row loads with no query that needs it.
- Parties keep one node per (source, party_id) and carry their roles as relationships from the
  declaration; the same party may be declarant in one row and consignee in another.
- Identifiers that link entities (address, phone, email, bank account, tax id) are nodes of their
  own, keyed by their normalised value and shared across sources, so two parties that share a
  phone meet in one node. Each kind has a prior specificity; the analytics lower it by degree
  (a business-centre address shared by 60 firms is weak evidence).
- Goods form a hierarchy: national code -> subheading (6) -> heading (4) -> chapter (2).
- A route is a node keyed by its countries, border post and mode, so parties that use the same
  unusual route meet there; countries hang off the route, not off every declaration (no
  million-edge supernodes). The route's columns (origin, dispatch, transit and destination
  countries, border post, transport mode) live on the Route only, and the item's source is the
  prefix of its key: the embedded store pays ~2.3 us per stored property per node (measured:
  24 properties 14.4k nodes/s, 18 properties 19.7k/s), and these seven were copies.

Length: over 400 lines on purpose: it is almost all declarations (node kinds, their properties
with their docs, relationships, identifier kinds, the bundle contract), and one file is the one
place the graph is declared; the helpers that read it (DDL, lint schema, legend) are short.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from graph.domain.vocabulary import Lane, OffenceStatus, PartyRole

PropType = Literal["str", "int", "float", "date", "bool", "country", "currency", "hs", "json", "datetime"]


@dataclass(frozen=True)
class Prop:
    name: str
    type: PropType = "str"
    doc: str = ""
    indexed: bool = False


@dataclass(frozen=True)
class NodeKind:
    label: str
    doc: str
    props: tuple[Prop, ...] = ()
    color: str = "#9e9e9e"
    shape: str = "dot"
    key: str = "key"  # unique, stable id: derived from source + natural key, or the normalised value

    def prop(self, name: str) -> Prop:
        for p in self.props:
            if p.name == name:
                return p
        raise KeyError(f"{self.label} has no property {name!r}")


@dataclass(frozen=True)
class RelKind:
    type: str
    start: str
    end: str
    doc: str
    props: tuple[Prop, ...] = ()


@dataclass(frozen=True)
class IdentifierKind:
    """A party attribute that becomes a node of its own and links the parties that share it."""

    label: str
    rel: str
    party_column: str
    specificity: float  # prior weight of a shared value as evidence of a real link (0..1)
    same_entity: bool = False  # a shared value means the same legal entity, not merely a link
    doc: str = ""


# --------------------------------------------------------------------------- nodes

_P = Prop

# ------------------------------------------------------------- which side holds an item's columns
#: Per column of declarations.csv copied onto the item: does the graph hold it too (True) or the
#: ledger only (False), and why. The ledger holds every column (graph.ledger: the contract row as
#: validated, the analytics' source of record); the graph, the serving store, holds what serving
#: reads, since every stored property costs the embedded store's ingest ~2.3 us per node (issue 10:
#: the store ceiling at 100k items with and without the ledger-only five, README "Scaling").
#: The route's, parties' and vehicle's columns are nodes and relationships of their own (above).
#: The one place this is decided: the Declaration node's properties below and the loader's copy
#: (ingest.load.declarations) follow it, and tests/graph/ledger/test_lean_graph.py checks both.
_UNREAD = "read by no query, API route or export; the analyses read the ledger"
DECLARATION_ON_GRAPH: dict[str, tuple[bool, str]] = {
    "declaration_id": (True, "subgraph labels, cases, party offences, exports, intake answers"),
    "date": (True, "subgraph date windows, lanes, alerts, party trade (indexed)"),
    "regime": (False, _UNREAD),
    "customs_office": (False, _UNREAD),
    "hs_code": (True, "subgraph labels, alerts, lanes, party top codes, cases (indexed)"),
    "goods_description": (True, "cover and unit-value alerts show it"),
    "net_mass_kg": (True, "value per kg in in-process scoring (Frames.from_store: a store loaded "
                          "before the ledger, `--where in-process`)"),
    "gross_mass_kg": (True, "in-process scoring, as net_mass_kg"),
    "quantity": (False, _UNREAD),
    "quantity_unit": (False, _UNREAD),
    "customs_value": (True, "party trade, alerts, party top codes, cases"),
    "currency": (False, _UNREAD + " (values are compared as declared)"),
    "duty_rate": (True, "cases' duty figures, in-process scoring"),
    "duty_amount": (True, "cases' duty figures, in-process scoring"),
    "channel": (True, "lane counts and lane items: the lane assigned at the time"),
    "inspection_result": (True, "written by intake, read by the inspection routes: mutable state the "
                                "analytics take from the store"),
}
DECLARATION_GRAPH_COLUMNS: tuple[str, ...] = tuple(c for c, (on, _) in DECLARATION_ON_GRAPH.items() if on)

NODES: tuple[NodeKind, ...] = (
    NodeKind(
        "Declaration",
        "One goods item of a customs declaration (SAD / EAEU goods declaration row).",
        (
            _P("declaration_key", doc="source:declaration_id, shared by the items of one declaration",
               indexed=True),
            _P("declaration_id", doc="declaration number (box A)"),
            _P("item_no", "int", "goods item number (box 32)"),
            _P("date", "date", "date of acceptance", indexed=True),
            _P("hs_code", "hs", "declared commodity code", indexed=True),
            _P("goods_description"),
            _P("net_mass_kg", "float"),
            _P("gross_mass_kg", "float"),
            _P("customs_value", "float"),
            _P("duty_rate", "float"),
            _P("duty_amount", "float"),
            _P("channel", doc="selectivity lane assigned at the time: green, yellow, red, blue"),
            _P("inspection_result", doc="empty, clear or violation"),
            _P("extra", "json", "columns outside the contract, kept as JSON"),
            # written by the analytics
            _P("cover_score", "float", "likelihood that the declared code covers other goods"),
            _P("suspected_hs", "hs", "the risk goods the declared code may cover"),
            _P("cover_reasons", "json"),
            _P("assessment_score", "float", "declaration risk: own features plus parties' network risk"),
            _P("lane", doc="lane proposed by Tamga: green, yellow, red"),
            _P("assessment_reasons", "json"),
            _P("selected_at_random", "bool",
               "the proposal is a random pick (graph.declarations.selection): its inspection result "
               "estimates the true compliance rate"),
            _P("uv_z", "float",
               "robust z of the value per kg against the usual price of its HS code (flagged items)"),
            _P("uv_value", "float", "declared value per kg of a flagged item"),
            _P("uv_norm", "float", "usual value per kg of the item's HS code"),
            _P("uv_duties_at_stake", "float", "duties lost if an undervalued item was worth the usual price"),
            _P("uv_reasons", "json"),
            _P("profile_hits", "json", "reasons of the risk profiles that fired on the item"),
            _P("profile_ids", "json", "ids of the risk profiles that fired on the item"),
            _P("profile_action", doc="strictest action of the risk profiles that fired (red, yellow, blue, "
                                     "green)"),
        ),
        color="#607d8b",
        shape="square",
    ),
    NodeKind(
        "Party",
        "A company or person appearing in declarations (declarant, consignee, consignor, carrier, broker).",
        (
            _P("party_id", doc="id used in the source bundle", indexed=True),
            _P("source"),
            _P("name", doc="legal name as recorded"),
            _P("name_norm", doc="normalised name: legal form dropped, Latin transliteration", indexed=True),
            _P("kind", doc="company or person"),
            _P("country", "country"),
            _P("tax_id", doc="as recorded"),
            _P("tax_id_norm", doc="digits only", indexed=True),
            _P("registered_on", "date"),
            _P("deregistered_on", "date"),
            _P("address"),
            _P("phone"),
            _P("email"),
            _P("bank_account"),
            _P("extra", "json"),
            # written by the analytics
            _P("entity_id", doc="resolved entity this party belongs to", indexed=True),
            _P("entity_confidence", "float"),
            _P("group_id", doc="linked group (shell-company network)", indexed=True),
            _P("community_id", "int", "community in the trading network"),
            _P("risk_score", "float", "network risk 0..1", indexed=True),
            _P("risk_rank", "int"),
            _P("risk_reasons", "json", "per-feature contributions and evidence paths"),
            _P("phoenix_of", doc="party key of the offender this firm may succeed"),
            _P("phoenix_score", "float"),
            _P("offender_hops", "int",
               "identifier/officer links from the party's entity to the nearest offender"),
            _P("hs_switches", "json",
               "sudden switches of the trader's HS codes (graph.declarations.goods.hs_switches)"),
            _P("hs_switch_score", "float", "highest score of the trader's HS switches"),
            _P("scored_at", "datetime"),
            _P("risk_provisional", "bool",
               "risk_score is a local update since the last full run (cleared by the next)"),
            _P("provisional_at", "datetime", "when the provisional update was made"),
        ),
        color="#1e88e5",
    ),
    NodeKind(
        "Person",
        "A natural person who runs or owns companies (officers.csv).",
        (
            _P("person_id", indexed=True),
            _P("source"),
            _P("name"),
            _P("name_norm", indexed=True),
        ),
        color="#8e24aa",
        shape="triangle",
    ),
    NodeKind("Address", "A normalised address; specificity tells a private flat from a business centre.",
             (_P("value"), _P("degree", "int"), _P("specificity", "float")), color="#6d4c41",
             shape="diamond"),
    NodeKind("Phone", "A phone number in E.164 where the country is known.",
             (_P("value"), _P("degree", "int"), _P("specificity", "float")), color="#00897b",
             shape="diamond"),
    NodeKind("Email", "A lower-cased email address.",
             (_P("value"), _P("degree", "int"), _P("specificity", "float")), color="#3949ab",
             shape="diamond"),
    NodeKind("BankAccount", "An IBAN or national account number, spaces removed.",
             (_P("value"), _P("degree", "int"), _P("specificity", "float")), color="#f9a825",
             shape="diamond"),
    NodeKind("TaxId", "A tax identification number, digits only (TIN / INN / BIN / STIR).",
             (_P("value"), _P("degree", "int"), _P("specificity", "float")), color="#c0ca33",
             shape="diamond"),
    NodeKind(
        "HSCode",
        "A commodity code at one level of the Harmonized System.",
        (_P("code", "hs", indexed=True), _P("level", doc="chapter, heading, subheading or national"),
         _P("description")),
        color="#43a047",
        shape="star",
    ),
    NodeKind(
        "Route",
        "A route: origin, dispatch, transit and destination countries, border post and transport mode.",
        (_P("origin_country", "country"), _P("dispatch_country", "country"), _P("transit_countries"),
         _P("destination_country", "country"), _P("border_post"), _P("transport_mode")),
        color="#5e35b1",
        shape="hexagon",
    ),
    NodeKind("Country", "An ISO 3166-1 alpha-2 country.", (_P("code", "country"),), color="#90a4ae"),
    NodeKind("Vehicle", "A means of transport: plate, wagon or flight.", (_P("value"),), color="#78909c"),
    NodeKind(
        "Offence",
        "An enforcement record: seizure, violation or audit finding.",
        (
            _P("offence_id"),
            _P("source"),
            _P("date", "date", indexed=True),
            _P("party_id"),
            _P("declaration_id"),
            _P("offence_type"),
            _P("declared_hs_code", "hs"),
            _P("actual_hs_code", "hs"),
            _P("evaded_amount", "float"),
            _P("status", doc="suspected or confirmed"),
            _P("extra", "json"),
        ),
        color="#e53935",
        shape="triangleDown",
    ),
    NodeKind(
        "Entity",
        "A resolved real-world entity: the party records that are the same company.",
        (_P("name"), _P("confidence", "float"), _P("evidence", "json"), _P("size", "int")),
        color="#0d47a1",
    ),
    NodeKind(
        "Group",
        "A linked group of entities (shell-company network) held together by shared identifiers and "
        "officers.",
        (_P("risk", "float"), _P("size", "int"), _P("links", "json"), _P("reasons", "json")),
        color="#ff7043",
    ),
    NodeKind(
        "Decision",
        "A human decision, stored append-only: same entity / not the same, confirmed risk / cleared.",
        (
            _P("kind", doc="same_entity, not_same_entity, confirmed_risk, cleared, inspection"),
            _P("subject", indexed=True),
            _P("object"),
            _P("value"),
            _P("note"),
            _P("user"),
            _P("at", "datetime"),
            _P("deleted_at", "datetime"),
            _P("deleted_by"),
            _P("status", doc="effective, or pending until a second approver (four-eyes)"),
            _P("approved_by"),
            _P("approved_at", "datetime"),
            _P("inspected_on", "date", "inspection: the date of the inspection"),
            _P("officer", doc="inspection: the officer who recorded it"),
        ),
        color="#546e7a",
    ),
    NodeKind(
        "IngestRun",
        "One run of the ingest: what was read, loaded and quarantined.",
        (_P("started_at", "datetime", indexed=True), _P("finished_at", "datetime"), _P("source"),
         _P("path"), _P("status"), _P("report", "json")),
    ),
    NodeKind(
        "ScoreRun",
        "One run of the analytics: when, with what settings, and the figures it produced.",
        (_P("started_at", "datetime", indexed=True), _P("finished_at", "datetime"),
         _P("status", doc="running until the write-back is complete, then done"), _P("report", "json")),
    ),
    NodeKind(
        "AuditEvent",
        "One read or decision by a user, append-only: when, who, what, from where, request id.",
        (_P("at", "datetime", indexed=True), _P("user", indexed=True), _P("action"), _P("target"),
         _P("client"), _P("peer"), _P("request_id"), _P("client_request_id"), _P("status", "int")),
    ),
    NodeKind(
        "ApiKey",
        "An API key, stored as a hash, with its owner, role, scopes and expiry.",
        (_P("key_hash", indexed=True), _P("prefix"), _P("owner"), _P("role"), _P("scopes", "json"),
         _P("created_at", "datetime"), _P("expires_at", "datetime"), _P("revoked_at", "datetime")),
    ),
    NodeKind(
        "RiskProfile",
        "One version of a risk profile (criteria, action, validity, owner, reason), append-only: a change "
        "or a retirement is a new version; key `profile_id@version` (graph.declarations.profiles).",
        (_P("profile_id", doc="the profile's stable id, shared by its versions", indexed=True),
         _P("version", "int"), _P("name"), _P("criteria", doc="criteria in the profile language"),
         _P("action", doc="red, yellow, green, or blue (post-clearance audit)"), _P("reason"), _P("owner"),
         _P("valid_from", "date"), _P("valid_to", "date", "last day the profile applies"),
         _P("expected_rate", "float", "expected share of items it selects"),
         _P("retired", "bool", "this version retires the profile"), _P("created_by"),
         _P("created_at", "datetime")),
        color="#d81b60",
    ),
    NodeKind(
        "TraderCategory",
        "A trader's (resolved entity's) category for one month, append-only: low, medium or high with its "
        "reasons (graph.declarations.categories); key `entity|YYYY-MM`, written once.",
        (_P("entity", doc="the resolved entity's id (Party.entity_id)", indexed=True),
         _P("month", doc="YYYY-MM", indexed=True), _P("category", doc="low, medium or high"),
         _P("score", "float"), _P("reasons", "json"), _P("scored_at", "datetime")),
        color="#8e24aa",
    ),
)

# --------------------------------------------------------------------------- relationships

#: contract column (`declarant_id` ...) -> relationship type from the declaration to the party
PARTY_ROLES: dict[str, str] = {r.column: t for r, t in (
    (PartyRole.DECLARANT, "DECLARED_BY"), (PartyRole.CONSIGNEE, "CONSIGNED_TO"),
    (PartyRole.CONSIGNOR, "CONSIGNED_BY"), (PartyRole.CARRIER, "CARRIED_BY"),
    (PartyRole.BROKER, "BROKERED_BY"))}

IDENTIFIERS: tuple[IdentifierKind, ...] = (
    IdentifierKind("TaxId", "HAS_TAX_ID", "tax_id", 1.0, same_entity=True,
                   doc="the same tax id is the same legal entity"),
    IdentifierKind("BankAccount", "HAS_BANK_ACCOUNT", "bank_account", 0.95,
                   doc="an account belongs to one holder; sharing it is strong evidence"),
    IdentifierKind("Phone", "HAS_PHONE", "phone", 0.85, doc="a mobile shared by firms is strong evidence"),
    IdentifierKind("Email", "HAS_EMAIL", "email", 0.8),
    IdentifierKind("Address", "HAS_ADDRESS", "address", 0.6,
                   doc="a private flat is strong, a business centre weak: lowered by degree"),
)

RELS: tuple[RelKind, ...] = (
    *(RelKind(t, "Declaration", "Party", f"the party is the declaration's {c.removesuffix('_id')}")
      for c, t in PARTY_ROLES.items()),
    RelKind("CLASSIFIED_AS", "Declaration", "HSCode", "the declared commodity code"),
    RelKind("PART_OF", "HSCode", "HSCode", "code hierarchy: national -> subheading -> heading -> chapter"),
    RelKind("ON_ROUTE", "Declaration", "Route", "the declaration's route"),
    RelKind("ROUTE_COUNTRY", "Route", "Country", "a country on the route",
            (_P("role", doc="origin, dispatch, transit, destination"), _P("order", "int"))),
    RelKind("TRANSPORTED_BY", "Declaration", "Vehicle", "means of transport"),
    RelKind("OFFICER_OF", "Person", "Party", "the person runs or owns the company",
            (_P("role"), _P("share_pct", "float"), _P("since", "date"), _P("until", "date"), _P("source"))),
    *(RelKind(i.rel, "Party", i.label, f"the party's {i.party_column}") for i in IDENTIFIERS),
    RelKind("COMMITTED_BY", "Offence", "Party", "the offender"),
    RelKind("CONCERNS", "Offence", "Declaration", "the declaration items concerned"),
    RelKind("DECLARED_AS", "Offence", "HSCode", "the code the goods were declared under"),
    RelKind("FOUND_AS", "Offence", "HSCode", "the code of the goods actually found"),
    RelKind("RESOLVED_TO", "Party", "Entity", "the party record belongs to the entity",
            (_P("confidence", "float"),)),
    RelKind("MEMBER_OF", "Party", "Group", "the party belongs to the linked group"),
)

# --------------------------------------------------------------------------- watchlists (issue 14)
# Sanctions lists and the service's own watchlists (ingest/watchlists.py), one block so that the
# rest of the schema reads as before. A listed entity is its own node, keyed `list:entity_id`,
# never merged into a Party: a list says who is listed, a screening hit says who may be them.
# FtM dates may be partial (`1965`, `2023-02`), so they are kept as the strings the list gives.

WATCHLIST_NODES: tuple[NodeKind, ...] = (
    NodeKind(
        "Watchlist",
        "A sanctions list (FollowTheMoney entities) or the service's own watchlist (CSV), "
        "loaded in versions.",
        (_P("name"), _P("format", doc="ftm or csv"), _P("version", "int", "the latest version loaded"),
         _P("loaded_at", "datetime"), _P("path"), _P("entities", "int"), _P("links", "int")),
        color="#b71c1c",
    ),
    NodeKind(
        "WatchlistVersion",
        "One load of a list (key `list:version`): which entities and links it added, changed or removed.",
        (_P("list", indexed=True), _P("version", "int"), _P("loaded_at", "datetime"), _P("path"),
         _P("added", "int"), _P("changed", "int"), _P("removed", "int"), _P("report", "json")),
    ),
    NodeKind(
        "ListedEntity",
        "A person, company or vessel on a list (key `list:entity_id`), with its names and identifiers.",
        (
            _P("list", indexed=True),
            _P("entity_id", doc="the id the list gives (FtM entity id or the CSV's entity_id)", indexed=True),
            _P("schema", doc="FtM schema: Person, Company, Organization, LegalEntity, Vessel ..."),
            _P("name", doc="the list's caption"),
            _P("names", "json", "every name and alias, any script"),
            _P("countries", "json"),
            _P("birth_dates", "json", "dates of birth or incorporation, as the list writes them"),
            _P("identifiers", "json", "[{kind, value}]: INN, OGRN, tax and registration numbers, passports"),
            _P("addresses", "json"),
            _P("sanctions", "json", "[{authority, program, start}] from the list's Sanction records"),
            _P("content_hash", doc="sha256 of the entity as loaded: a change means re-screen"),
            _P("version", "int", "the list version that last added or changed it"),
        ),
        color="#d32f2f",
        shape="star",
    ),
)
WATCHLIST_RELS: tuple[RelKind, ...] = (
    RelKind("OWNS", "ListedEntity", "ListedEntity", "ownership between listed entities (FtM Ownership)",
            (_P("link_id"), _P("role"), _P("share_pct", "float"), _P("since"), _P("content_hash"))),
    RelKind("DIRECTS", "ListedEntity", "ListedEntity",
            "the director runs the organisation (FtM Directorship)",
            (_P("link_id"), _P("role"), _P("since"), _P("content_hash"))),
    RelKind("RELATED_TO", "ListedEntity", "ListedEntity",
            "family, associates and other links of listed entities (FtM Family, Associate, UnknownLink ...)",
            (_P("link_id"), _P("kind", doc="the FtM schema: family, associate, employment ..."), _P("role"),
             _P("content_hash"))),
    RelKind("SCREENED_AS", "Party", "ListedEntity",
            "a screening hit: the party (or an officer, a Person) may be the listed entity",
            (_P("score", "float"),
             _P("state", doc="new, confirmed or false_positive (set by an investigator)"),
             _P("reasons", "json", "the features that made the hit"),
             _P("listed_hash", doc="the listed entity's content hash when screened"),
             _P("subject_hash", doc="the party's or officer's screened fields, hashed"),
             _P("screened_at", "datetime"), _P("decided_by"), _P("decided_at", "datetime"),
             _P("hit_id",
                doc="the hit's id in the API: a hash of the subject's and the listed entity's keys"))),
)
NODES = (*NODES, *WATCHLIST_NODES)
RELS = (*RELS, *WATCHLIST_RELS)

# --------------------------------------------------------------------------- the triage queue (issue 14)
# Alerts raised after each scoring run (graph/pipeline/alerts.py), grouped into cases (label
# `CaseFile`: `Case` is a Cypher keyword Grafeo refuses as a label) that an investigator takes,
# works and closes (api/routes/cases.py). A closed case's verdict reaches the next scoring run as
# an ordinary Decision (confirmed_risk / cleared), linked to the case.

CASE_NODES: tuple[NodeKind, ...] = (
    NodeKind(
        "Alert",
        "One alert Tamga raised (cover item, unit value, HS switch, profile, screening, entity risk), "
        "kept open and refreshed while later runs raise it again for the same subject and kind.",
        (_P("kind", doc="cover_item, unit_value, hs_switch, profile, screening, entity_risk"),
         _P("subject", doc="the item, party or person key the alert is about", indexed=True),
         _P("party", doc="the party it concerns (the declarant of an item alert)"),
         _P("name"), _P("score", "float"), _P("expected_duties", "float", "expected duties at stake"),
         _P("reasons", "json"), _P("first_seen", "datetime"), _P("last_seen", "datetime"),
         _P("runs", "int", "how many scoring runs raised it"),
         _P("state", doc="open while its case is open, then closed"), _P("case_key")),
        color="#fbc02d",
    ),
    NodeKind(
        "CaseFile",
        "A case: the open alerts of one subject (a party, a person or a linked group), worked by one "
        "investigator.",
        (_P("subject", indexed=True), _P("subject_kind", doc="party, person or group"), _P("name"),
         _P("state", doc="open, in_progress, confirmed, dismissed", indexed=True),
         _P("assignee", indexed=True),
         _P("priority", "float", "expected duties at stake over its alerts"), _P("alerts", "int"),
         _P("opened_at", "datetime"), _P("updated_at", "datetime"), _P("closed_at", "datetime"),
         _P("closed_by"), _P("closing_reason")),
        color="#6a1b9a",
    ),
    NodeKind(
        "CaseNote",
        "An investigator's note on a case, append-only.",
        (_P("case_key", indexed=True), _P("user"), _P("at", "datetime"), _P("text")),
    ),
)
CASE_RELS: tuple[RelKind, ...] = (
    RelKind("IN_CASE", "Alert", "CaseFile", "the alert is worked in the case"),
    RelKind("NOTE_ON", "CaseNote", "CaseFile", "the note was written on the case"),
    RelKind("DECIDED_IN", "Decision", "CaseFile", "the decision closed (or was taken in) the case"),
)
NODES = (*NODES, *CASE_NODES)
RELS = (*RELS, *CASE_RELS)

NODE_BY_LABEL: dict[str, NodeKind] = {n.label: n for n in NODES}
REL_BY_TYPE: dict[str, RelKind] = {r.type: r for r in RELS}
IDENTIFIER_BY_LABEL: dict[str, IdentifierKind] = {i.label: i for i in IDENTIFIERS}


def node_key(source: str, natural: str) -> str:
    """The stable key of a node that comes from a source (party, person, declaration item, offence):
    `source:natural id`, so loading the same bundle again finds the same nodes."""
    return f"{source}:{natural}"


def label(name: str) -> str:
    """Return a label known to the schema; raise for anything else (labels never come from users)."""
    if name not in NODE_BY_LABEL:
        raise ValueError(f"unknown node label {name!r}")
    return name


def rel_type(name: str) -> str:
    """Return a relationship type known to the schema; raise for anything else."""
    if name not in REL_BY_TYPE:
        raise ValueError(f"unknown relationship type {name!r}")
    return name


# --------------------------------------------------------------------------- DDL

def ddl_statements(backend: str) -> list[str]:
    """Constraints and indexes for a store, generated from the schema.

    Every node kind gets a uniqueness constraint on its key. Grafeo's constraint does not build an
    index (MERGE on the key then scans: ~500 rows/s instead of ~70k/s, measured with grafeo 0.6.0),
    so Grafeo also gets a plain index on the key; Neo4j backs the constraint with an index itself
    and refuses a second one on the same schema. See `queries.dialect`.
    """
    out: list[str] = []
    for n in NODES:
        out.append(
            f"CREATE CONSTRAINT {n.label.lower()}_key IF NOT EXISTS "
            f"FOR (n:{n.label}) REQUIRE n.{n.key} IS UNIQUE"
        )
        if backend == "grafeo":
            out.append(f"CREATE INDEX "
                       f"{n.label.lower()}_key_idx IF NOT EXISTS FOR (n:{n.label}) ON (n.{n.key})")
        for p in n.props:
            if p.indexed:
                out.append(
                    f"CREATE INDEX {n.label.lower()}_{p.name} IF NOT EXISTS FOR (n:{n.label}) ON (n.{p.name})"
                )
    return out


# --------------------------------------------------------------------------- other views

def lint_schema() -> dict[str, list[str]]:
    """The schema in the shape Neo4j's language-support linter takes (labels, types, property keys)."""
    keys = sorted({n.key for n in NODES} | {p.name for n in NODES for p in n.props}
                  | {p.name for r in RELS for p in r.props})
    return {
        "labels": [n.label for n in NODES],
        "relationshipTypes": [r.type for r in RELS],
        "propertyKeys": keys,
    }


def legend() -> list[dict[str, str]]:
    """Colour, shape and description per node kind: the legend of the visual graph."""
    return [{"label": n.label, "color": n.color, "shape": n.shape, "doc": n.doc} for n in NODES]


# --------------------------------------------------------------------------- the ingest contract

@dataclass(frozen=True)
class Column:
    name: str
    type: PropType | Literal["hs_list", "country_list"] = "str"
    required: bool = False
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()
    doc: str = ""


@dataclass(frozen=True)
class BundleFile:
    """One file of the ingest bundle (../shared/data-contract.md), read as `<name>.csv|.csv.gz|.parquet`."""

    name: str
    required: bool
    key: tuple[str, ...]
    columns: tuple[Column, ...] = field(default_factory=tuple)

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


_C = Column
FILES: tuple[BundleFile, ...] = (
    BundleFile("parties", True, ("party_id",), (
        _C("party_id", required=True), _C("name", required=True),
        _C("kind", choices=("company", "person")), _C("country", "country"), _C("tax_id"),
        _C("registered_on", "date"), _C("deregistered_on", "date"), _C("address"), _C("phone"),
        _C("email"), _C("bank_account"),
    )),
    BundleFile("declarations", True, ("declaration_id", "item_no"), (
        _C("declaration_id", required=True), _C("item_no", "int", min=1), _C("date", "date", required=True),
        _C("regime"), _C("customs_office"), _C("border_post"),
        _C("declarant_id", required=True), _C("consignee_id", doc="required for imports"),
        _C("consignor_id"), _C("carrier_id"), _C("broker_id"), _C("vehicle_id"), _C("transport_mode"),
        _C("hs_code", "hs", required=True), _C("goods_description"),
        _C("origin_country", "country"), _C("dispatch_country", "country"),
        _C("destination_country", "country"), _C("transit_countries", "country_list"),
        _C("net_mass_kg", "float", min=0), _C("gross_mass_kg", "float", min=0),
        _C("quantity", "float", min=0), _C("quantity_unit"),
        _C("customs_value", "float", required=True, min=0), _C("currency", "currency"),
        # duty rate in %: ad-valorem rates above 100 % exist (Korea's 513 % on rice; 607.5 in the KCS data)
        _C("duty_rate", "float", min=0, max=1000), _C("duty_amount", "float", min=0),
        _C("channel", choices=(Lane.GREEN.value, Lane.YELLOW.value, Lane.RED.value, Lane.BLUE.value)),
        _C("inspection_result", choices=("clear", "violation")),
    )),
    BundleFile("officers", False, ("company_id", "person_id", "role"), (
        _C("company_id", required=True), _C("person_id", required=True), _C("person_name"),
        _C("role", choices=("director", "founder", "shareholder", "accountant", "beneficial_owner")),
        _C("share_pct", "float", min=0, max=100), _C("since", "date"), _C("until", "date"),
    )),
    BundleFile("offences", False, ("offence_id",), (
        _C("offence_id", required=True), _C("date", "date", required=True), _C("party_id", required=True),
        _C("declaration_id"),
        _C("offence_type", choices=("undervaluation", "misclassification", "smuggling", "origin",
                                    "prohibited", "documentation", "other")),
        _C("declared_hs_code", "hs"), _C("actual_hs_code", "hs"),
        _C("evaded_amount", "float", min=0), _C("status", choices=tuple(st.value for st in OffenceStatus)),
    )),
)
FILE_BY_NAME: dict[str, BundleFile] = {f.name: f for f in FILES}
