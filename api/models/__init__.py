"""The API's models: input models (what callers send) kept apart from public models (what we return).

Why separate: an input model validates strictly and forbids unknown fields; a public model says
exactly what leaves the service (never a key hash, never internal fields), so the OpenAPI schema
documents both sides. The declaration input is generated from the data contract in
`graph.domain.schema.FILES`, so the API accepts exactly the columns the ingest accepts.

One module per area (common, entities, lists, intake, admin); this package re-exports them so that
routes import `from api.models import X`.
"""

from api.models.admin import (
    AuditEventOut as AuditEventOut,
)
from api.models.admin import (
    DecisionIn as DecisionIn,
)
from api.models.admin import (
    DecisionKind as DecisionKind,
)
from api.models.admin import (
    IngestRunOut as IngestRunOut,
)
from api.models.admin import (
    KeyCreated as KeyCreated,
)
from api.models.admin import (
    KeyIn as KeyIn,
)
from api.models.admin import (
    KeyOut as KeyOut,
)
from api.models.admin import (
    Role as Role,
)
from api.models.common import (
    Evidence as Evidence,
)
from api.models.common import (
    Health as Health,
)
from api.models.common import (
    Input as Input,
)
from api.models.common import (
    InterruptedRun as InterruptedRun,
)
from api.models.common import (
    Page as Page,
)
from api.models.common import (
    PageTicket as PageTicket,
)
from api.models.common import (
    Problem as Problem,
)
from api.models.common import (
    Public as Public,
)
from api.models.common import (
    Readiness as Readiness,
)
from api.models.common import (
    Reason as Reason,
)
from api.models.common import (
    Reasons as Reasons,
)
from api.models.common import (
    Writer as Writer,
)
from api.models.entities import (
    Alias as Alias,
)
from api.models.entities import (
    Counterparty as Counterparty,
)
from api.models.entities import (
    DecisionOut as DecisionOut,
)
from api.models.entities import (
    EntityCard as EntityCard,
)
from api.models.entities import (
    GraphEdge as GraphEdge,
)
from api.models.entities import (
    GraphNode as GraphNode,
)
from api.models.entities import (
    GroupDetail as GroupDetail,
)
from api.models.entities import (
    GroupMember as GroupMember,
)
from api.models.entities import (
    GroupSummary as GroupSummary,
)
from api.models.entities import (
    HsLine as HsLine,
)
from api.models.entities import (
    Identifier as Identifier,
)
from api.models.entities import (
    Identity as Identity,
)
from api.models.entities import (
    LegendItem as LegendItem,
)
from api.models.entities import (
    OffenceOut as OffenceOut,
)
from api.models.entities import (
    Officer as Officer,
)
from api.models.entities import (
    PartyHit as PartyHit,
)
from api.models.entities import (
    PathStep as PathStep,
)
from api.models.entities import (
    Risk as Risk,
)
from api.models.entities import (
    ScreeningHit as ScreeningHit,
)
from api.models.entities import (
    SearchResult as SearchResult,
)
from api.models.entities import (
    Subgraph as Subgraph,
)
from api.models.entities import (
    Trade as Trade,
)
from api.models.intake import (
    Assessment as Assessment,
)
from api.models.intake import (
    DeclarationIn as DeclarationIn,
)
from api.models.intake import (
    DeclarationsIn as DeclarationsIn,
)
from api.models.intake import (
    DeclarationsOut as DeclarationsOut,
)
from api.models.intake import (
    InspectionIn as InspectionIn,
)
from api.models.intake import (
    InspectionsIn as InspectionsIn,
)
from api.models.intake import (
    IntakeOut as IntakeOut,
)
from api.models.intake import (
    OffenceIn as OffenceIn,
)
from api.models.intake import (
    OffencesIn as OffencesIn,
)
from api.models.intake import (
    ProvisionalReport as ProvisionalReport,
)
from api.models.intake import (
    StoredAssessment as StoredAssessment,
)
from api.models.lists import (
    AuditTarget as AuditTarget,
)
from api.models.lists import (
    CoverAlert as CoverAlert,
)
from api.models.lists import (
    HsSwitch as HsSwitch,
)
from api.models.lists import (
    HsSwitchAlert as HsSwitchAlert,
)
from api.models.lists import (
    LaneCount as LaneCount,
)
from api.models.lists import (
    LaneItem as LaneItem,
)
from api.models.lists import (
    UnitValueAlert as UnitValueAlert,
)
