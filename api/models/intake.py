"""Assessment and intake: the declaration input generated from the data contract, and what it answers."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, Field, create_model

from api.models.common import (
    Input,
    Public,
    Reasons,
)
from graph.domain import schema

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
