"""The vocabulary is the one list of each kind of word: the schema, the contract and the API agree with it."""

from __future__ import annotations

import typing

import numpy as np
import pandas as pd

from graph.domain import schema
from graph.domain.vocabulary import (
    LIABLE_ROLES,
    PARTY_ROLE_NAMES,
    DecisionKind,
    Lane,
    OffenceStatus,
    PartyRole,
    liable_party,
)


def test_roles_are_the_contract_columns_and_plain_strings():
    assert [f"{r}_id" for r in PARTY_ROLE_NAMES] == list(schema.PARTY_ROLES)
    assert all(type(r) is str for r in (*PARTY_ROLE_NAMES, *LIABLE_ROLES))
    assert PartyRole.BROKER.column == "broker_id"


def test_the_liable_party_is_the_consignee_else_the_declarant_for_rows_and_columns():
    c = pd.Series(["imp", None, np.nan], dtype=object)
    d = pd.Series(["dec1", "dec2", "dec3"], dtype=object)
    assert liable_party(c, d).tolist() == ["imp", "dec2", "dec3"]
    assert liable_party("imp", "dec") == "imp" and liable_party(None, "dec") == "dec"
    assert LIABLE_ROLES == (PartyRole.CONSIGNEE, PartyRole.DECLARANT)


def test_statuses_and_lanes_are_the_contract_choices():
    by_name = {c.name: c for f in schema.FILES for c in f.columns}
    assert by_name["status"].choices == ("suspected", "confirmed")
    assert "cleared" not in set(OffenceStatus) and "cleared" in set(DecisionKind)
    assert OffenceStatus.SUSPECTED.weight == 0.5 and OffenceStatus.CONFIRMED.weight == 1.0
    assert set(by_name["channel"].choices) == set(Lane)


def test_the_api_decision_kinds_are_the_vocabulary():
    from api.models import DecisionKind as ApiDecisionKind

    assert set(typing.get_args(ApiDecisionKind)) == {k.value for k in DecisionKind}
