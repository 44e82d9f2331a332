"""The product's words, declared once: party roles, the liable party, decision kinds, offence
statuses and lanes.

They were strings repeated across modules (the five roles in five places, "consignee, else
declarant" in four) and some copies had drifted apart (an offence status `cleared` that the data
contract never allows). StrEnum members compare and hash as their strings, so frames, stored
properties and JSON keep the plain values.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class PartyRole(StrEnum):
    """A party's role on a declaration item; the frame column is the role, the bundle column `<role>_id`."""

    DECLARANT = "declarant"
    CONSIGNEE = "consignee"
    CONSIGNOR = "consignor"
    CARRIER = "carrier"
    BROKER = "broker"

    @property
    def column(self) -> str:
        """The bundle column naming the party (`declarant_id` ...)."""
        return f"{self.value}_id"


#: every role, in the bundle's column order, as plain strings: frame columns and dict keys made from
#: them reach orjson, which refuses str subclasses as keys
PARTY_ROLE_NAMES: tuple[str, ...] = tuple(r.value for r in PartyRole)
#: the parties who answer for an item's duties, the first present one is liable: the importer
#: (consignee); the declarant only where there is none (exports), since a broker or representative
#: lodging for many clients is not the offender
LIABLE_ROLES: tuple[str, ...] = (PartyRole.CONSIGNEE.value, PartyRole.DECLARANT.value)


def liable_party(consignee: Any, declarant: Any) -> Any:
    """The liable party of items (pandas Series) or of one item (strings): consignee, else declarant."""
    if hasattr(consignee, "where"):
        return consignee.where(consignee.notna(), declarant)
    return consignee or declarant


class DecisionKind(StrEnum):
    """An investigator's decision (api `POST /decisions`); the analytics read them at the next run."""

    SAME_ENTITY = "same_entity"
    NOT_SAME_ENTITY = "not_same_entity"
    CONFIRMED_RISK = "confirmed_risk"
    CLEARED = "cleared"
    INSPECTION = "inspection"


class OffenceStatus(StrEnum):
    """An offence's status (data contract, offences.csv): `suspected` or `confirmed` (the default).

    `cleared` is not an offence status but a decision kind; ingest refuses any other status, so the
    analytics never meet one.
    """

    SUSPECTED = "suspected"
    CONFIRMED = "confirmed"

    @property
    def weight(self) -> float:
        """Weight of the offence in the graded network risk: a suspicion counts half.

        Only the risk seeds grade offences. Cover pairs and assessment labels use an offence as a
        fact (this code hid those goods; this item was a hit), and count a suspected offence fully:
        halving a label or a pair count has no meaning there, and dropping suspicions would throw
        away evidence the investigators recorded.
        """
        return 0.5 if self is OffenceStatus.SUSPECTED else 1.0


DEFAULT_OFFENCE_STATUS = OffenceStatus.CONFIRMED


class Lane(StrEnum):
    """Selectivity lanes: red physical check, yellow documents, green release; blue (post-clearance
    audit) occurs in the bundle's `channel` column but the assessment never proposes it."""

    RED = "red"
    YELLOW = "yellow"
    GREEN = "green"
    BLUE = "blue"


#: the lanes the assessment proposes, strictest first
PROPOSED_LANES: tuple[str, ...] = (Lane.RED.value, Lane.YELLOW.value, Lane.GREEN.value)
