"""Shared shapes: public and input bases, the one reason type, problems, health, pages."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


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
    kind: Literal["ingest", "score", "intake"] = Field(description="a job of this kind, or an intake call")
    job: str | None = Field(default=None, description="the job holding the store's writer")
    what: str | None = Field(default=None, description="the intake call holding it")
    phase: str | None = None
    started_at: str | None = Field(default=None, description="when the job started")
    since: str | None = Field(default=None, description="since when it holds the writer")


class Readiness(Health):
    writer: Writer | None = Field(default=None, description="who writes now: a job (between its batches it "
                                                            "lets intake calls in) or an intake call; "
                                                            "reads answer from the last committed state")
    writers_waiting: int = Field(default=0, description="intake calls waiting for the writer")
    queue_length: int = Field(default=0, description="jobs waiting for the writer")
    next_score_at: str | None = Field(default=None, description="the next scheduled full scoring run "
                                                                 "(setting score_schedule), or none")


class Page[T](Public):
    items: list[T]
    skip: int
    limit: int
    total: int | None = None
