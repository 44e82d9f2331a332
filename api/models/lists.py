"""The analyses' lists: cover items, unit values, HS switches, audit targets, lanes."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from api.models.common import (
    Public,
    Reasons,
)

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
