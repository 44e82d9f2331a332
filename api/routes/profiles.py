"""Risk profiles over HTTP: list, read with history, create, change (a new version), retire.

Reading needs `entity:read` (every role: the reasons on assessed items name the profiles); writing
needs `profiles:write`. A bad criterion is a 422 problem+json whose detail names the profile, the
field, the criterion and the column. Every write is audited; so is every read of a profile's history.
The models live here, not in `api.models`, because no other route uses them.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path
from pydantic import Field

from api.deps import ApiError, Ctx, EntityRead, Require
from api.models import Input, Public
from api.routes.common import ERRORS
from graph.declarations.profile_criteria import fields_doc
from graph.declarations.profiles import Profile, ProfileError
from graph.pipeline import profile_store as service

router = APIRouter(prefix="/api/v1", tags=["risk profiles"], responses=ERRORS)

ProfilesWrite = Annotated[Ctx, Depends(Require("profiles:write"))]
Action = Literal["red", "yellow", "blue", "green"]
ProfileId = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")]


class ProfileChange(Input):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    criteria: Annotated[str, Field(min_length=1, max_length=4000, description=(
        "criteria in the profile language, e.g. "
        "`hs ^= \"2402\" and origin in [\"AE\"] and consignee.risk >= 0.6`; "
        "fields: " + "; ".join(f"{k} ({v})" for k, v in fields_doc().items())))]
    action: Annotated[Action, Field(description="lane: red, yellow, green, or blue (post-clearance audit)")]
    reason: Annotated[str, Field(min_length=1, max_length=2000, description="why, in plain words")]
    owner: Annotated[str, Field(max_length=200)] = ""
    valid_from: dt.date | None = None
    valid_to: Annotated[dt.date | None, Field(description="last day the profile applies")] = None
    expected_rate: Annotated[float | None, Field(ge=0, le=1,
                                                 description="expected share of items selected")] = None


class ProfileIn(ProfileChange):
    id: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")]


class ProfileOut(Public):
    id: str
    version: int
    name: str
    criteria: str
    action: str
    reason: str
    owner: str
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    expected_rate: float | None = None
    retired: bool
    created_by: str | None = None
    created_at: str | None = None


class ProfileHistory(Public):
    profile: ProfileOut
    versions: list[ProfileOut]


def _out(p: Profile) -> dict[str, Any]:
    return p.as_dict()


def _write(ctx: Ctx, action: str, fn, status: int = 200) -> dict[str, Any]:
    """Run a write, turning a bad profile into 422 and a history conflict into 404/409; audit it."""
    try:
        p = fn()
    except ProfileError as e:
        ctx.audit(action, e.profile, 422)
        raise ApiError(422, "Unprocessable Content", str(e)) from None
    except service.ProfileConflict as e:
        raise ApiError(e.status, "Not Found" if e.status == 404 else "Conflict", str(e)) from None
    ctx.audit(action, f"{p.id}@{p.version}", status)
    return _out(p)


@router.get("/risk-profiles", operation_id="list_risk_profiles", response_model=list[ProfileOut],
            summary="The latest version of every risk profile (retired ones marked retired)")
async def list_risk_profiles(ctx: EntityRead) -> list[dict[str, Any]]:
    def work() -> list[dict[str, Any]]:
        out = [_out(p) for p in service.latest(ctx.store)]
        ctx.audit("profile.list", "")
        return out

    return await ctx.limits.run(work)


@router.get("/risk-profiles/{profile_id}", operation_id="get_risk_profile", response_model=ProfileHistory,
            summary="A risk profile's latest version and its whole history, oldest first")
async def get_risk_profile(ctx: EntityRead, profile_id: ProfileId) -> dict[str, Any]:
    def work() -> dict[str, Any]:
        versions = service.history(ctx.store, profile_id)
        if not versions:
            raise ApiError(404, "Not Found", f"no risk profile {profile_id!r}")
        ctx.audit("profile.read", profile_id)
        return {"profile": _out(versions[-1]), "versions": [_out(v) for v in versions]}

    return await ctx.limits.run(work)


@router.post("/risk-profiles", operation_id="create_risk_profile", response_model=ProfileOut, status_code=201,
             summary="Create a risk profile (version 1); a bad criterion is refused naming it",
             responses={409: {"description": "a profile with this id exists"}})
async def create_risk_profile(ctx: ProfilesWrite, body: ProfileIn) -> dict[str, Any]:
    data = body.model_dump()
    return await ctx.limits.run(lambda: _write(
        ctx, "profile.create",
        lambda: service.save(ctx.store, data, ctx.principal.owner, must_exist=False)[0], 201))


@router.put("/risk-profiles/{profile_id}", operation_id="change_risk_profile", response_model=ProfileOut,
            summary="Change a risk profile: the change is its next version, earlier versions stay",
            responses={409: {"description": "the profile is unchanged"}})
async def change_risk_profile(ctx: ProfilesWrite, profile_id: ProfileId,
                              body: ProfileChange) -> dict[str, Any]:
    data = {**body.model_dump(), "id": profile_id}

    def change() -> Profile:
        p, new = service.save(ctx.store, data, ctx.principal.owner, must_exist=True)
        if not new:
            raise service.ProfileConflict(f"risk profile {profile_id!r} is unchanged (version {p.version})")
        return p

    return await ctx.limits.run(lambda: _write(ctx, "profile.change", change))


@router.delete("/risk-profiles/{profile_id}", operation_id="retire_risk_profile", response_model=ProfileOut,
               summary="Retire a risk profile: a retiring version is appended; it stops firing, "
                       "its history stays",
               responses={409: {"description": "already retired"}})
async def retire_risk_profile(ctx: ProfilesWrite, profile_id: ProfileId) -> dict[str, Any]:
    return await ctx.limits.run(lambda: _write(
        ctx, "profile.retire", lambda: service.retire(ctx.store, profile_id, ctx.principal.owner)))
