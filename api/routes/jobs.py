"""Jobs: start an ingest or a scoring run inside the server, follow it, cancel it, re-run it.

`POST /api/v1/ingest-runs` (scope ingest:write) takes JSON naming a bundle folder under the
server's `ingest_roots`, or the bundle itself (multipart/form-data of its files, a .zip or a
.tar.gz; see `api.services.bundles`); `POST /api/v1/score-runs` (scope score:run) starts a scoring
run. Both answer 202 with the job and its `Location`. `GET /api/v1/jobs/{job_id}` gives its state,
progress per phase, the report when done and the error when failed; `DELETE` cancels it;
`POST .../rerun` submits the same input again. Who may see or touch a job: a key with the scope of
its kind, or the CLI's hand-off token (`api.deps.JobAccess`). Every action is audited.
"""

from __future__ import annotations

import re
from pathlib import Path as FsPath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from api.deps import CLI, AnyJob, ApiError, Ctx, IngestJob, ScoreJob
from api.routes.common import ERRORS
from api.services.bundles import UploadError, allowed_path, unpack
from api.services.jobs import Job, JobRunner, QueueFull, new_job_id

router = APIRouter(prefix="/api/v1", responses=ERRORS, tags=["jobs"])

JobId = Annotated[str, Path(pattern=r"^j[0-9T]{15}-[0-9a-f]{10}$", description="the job's id")]
_PROFILE = re.compile(r"^[a-z0-9_-]{1,40}$")
KIND_SCOPE = {"ingest": "ingest:write", "score": "score:run"}


class IngestRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    path: str = Field(min_length=1, max_length=4096, description="a bundle folder under one of the server's "
                                                                  "ingest roots (setting TAMGA_INGEST_ROOTS)")
    profile: str = Field(default="contract", max_length=40, description="mapping profile: contract, kcs, ...")
    source: str | None = Field(default=None, max_length=100, description="source name used in node keys")


class ScoreRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    communities: bool = Field(default=True, description="run community detection on the trading network")
    retrain: bool = Field(default=False, description="train the assessment model even when the stored one "
                                                    "is fresh (by default it is reused)")


class JobPhase(BaseModel):
    model_config = ConfigDict(extra="ignore")
    started_at: str | None = None
    seconds: float | None = Field(default=None, description="how long the phase took, once it ended")
    rows: int | None = Field(default=None, description="rows read so far (ingest phases)")
    let_in: int | None = Field(default=None, description="intake writes let in between this phase's batches")


class JobOut(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    kind: Literal["ingest", "score"]
    state: Literal["queued", "running", "done", "failed", "cancelled", "interrupted"]
    location: str
    input: dict[str, Any] = Field(description="what the job runs on (a folder, or the uploaded files' names)")
    user: str = Field(description="who submitted it (a key's owner, or cli)")
    submitted_at: str
    started_at: str | None = None
    finished_at: str | None = None
    phase: str | None = Field(default=None, description="the phase running now, or the last one")
    phases: dict[str, JobPhase] = Field(default_factory=dict)
    cancel_requested: bool = False
    rerun_of: str | None = None
    report: dict[str, Any] | None = Field(default=None, description="the run's report, when it ended")
    summary: str | None = Field(default=None, description="the report for a human at a terminal")
    error: str | None = None
    error_kind: Literal["bad_input", "failure"] | None = None


def _out(job: Job) -> dict[str, Any]:
    d = job.to_dict()
    p = job.params
    d["input"] = ({"files": p.get("upload"), "profile": p.get("profile"), "source": p.get("source")}
                  if p.get("upload") else dict(p))
    d["location"] = f"/api/v1/jobs/{job.id}"
    return d


def _runner(ctx: Ctx) -> JobRunner:
    if ctx.state.jobs is None:
        raise ApiError(503, "Service Unavailable", "this server runs no jobs")
    return ctx.state.jobs


def _accepted(response: Response, job: Job) -> dict[str, Any]:
    response.headers["Location"] = f"/api/v1/jobs/{job.id}"
    return _out(job)


def _submit(ctx: Ctx, runner: JobRunner, kind: str, params: dict[str, Any], job_id: str) -> Job:
    try:
        job = runner.submit(kind, params, user=ctx.principal.owner, client=ctx.client, job_id=job_id)
    except QueueFull as e:
        raise ApiError(503, "Service Unavailable", str(e), {"Retry-After": "30"}) from None
    ctx.audit("job.submit", f"{kind} job {job.id} {params.get('path', '')}"[:500], 202)
    return job


def _profile(name: str) -> str:
    from ingest.profiles import available

    if not _PROFILE.match(name) or name not in available():
        raise ApiError(422, "Unprocessable Content",
                       f"no mapping profile {name!r}; available: {', '.join(available())}")
    return name


_UPLOAD_BODY = {"content": {
    "application/json": {"schema": IngestRunIn.model_json_schema()},
    "multipart/form-data": {"schema": {"type": "object", "additionalProperties": {"type": "string",
                                                                                  "format": "binary"}}},
    "application/zip": {"schema": {"type": "string", "format": "binary"}},
    "application/gzip": {"schema": {"type": "string", "format": "binary"}}}, "required": True}


@router.post("/ingest-runs", operation_id="start_ingest_run", response_model=JobOut, status_code=202,
             openapi_extra={"requestBody": _UPLOAD_BODY},
             summary="Start an ingest job: a bundle folder under the allowed roots, or an uploaded bundle")
async def start_ingest_run(ctx: IngestJob, request: Request, response: Response,
                           profile: Annotated[str, Query(max_length=40,
                                                         description="uploads: mapping profile")]
                           = "contract",
                           source: Annotated[str | None, Query(max_length=100,
                                                               description="uploads: source name")] = None,
                           ) -> dict[str, Any]:
    runner = _runner(ctx)
    ctype = request.headers.get("content-type", "")
    body = await request.body()

    def work() -> Job:
        job_id = new_job_id()
        try:
            if ctype.split(";")[0].strip().lower() == "application/json":
                try:
                    given = IngestRunIn.model_validate_json(body)
                except ValidationError as e:
                    raise ApiError(422, "Unprocessable Content", "; ".join(
                        f"{'.'.join(str(x) for x in err['loc']) or 'body'}: {err['msg']}"
                        for err in e.errors(include_input=False))) from None
                # the hand-off token is the data folder's owner, who could ingest any folder without
                # the server; a key's holder may name only folders under the allowed roots
                folder = (_own_folder(given.path) if ctx.principal is CLI
                          else allowed_path(given.path, ctx.state.settings.ingest_roots))
                params: dict[str, Any] = {"path": str(folder), "profile": _profile(given.profile),
                                          "source": given.source}
            else:
                dest = runner.upload_dir(job_id)
                names = unpack(body, ctype, dest, ctx.state.settings)
                params = {"path": str(dest), "upload": names, "profile": _profile(profile), "source": source}
        except UploadError as e:
            status = 413 if e.too_large else 422
            ctx.audit("job.submit", f"ingest refused: {e}"[:500], status)
            raise ApiError(status, "Content Too Large" if e.too_large else "Unprocessable Content",
                           str(e)) from None
        return _submit(ctx, runner, "ingest", params, job_id)

    return _accepted(response, await ctx.limits.run(work, bulk=True))


def _own_folder(given: str) -> FsPath:
    p = FsPath(given).expanduser()
    if not p.is_absolute() or not p.is_dir():
        raise UploadError(f"no such bundle folder: {given} (the CLI sends an absolute path)")
    return p.resolve()


@router.post("/score-runs", operation_id="start_score_run", response_model=JobOut, status_code=202,
             summary="Start a scoring job (every analysis, results written back)")
async def start_score_run(ctx: ScoreJob, response: Response,
                          body: ScoreRunIn | None = None) -> dict[str, Any]:
    runner = _runner(ctx)
    b = body or ScoreRunIn()
    params = {"communities": b.communities, "retrain": b.retrain}
    job = await ctx.limits.run(_submit, ctx, runner, "score", params, new_job_id())
    return _accepted(response, job)


def _job(ctx: Ctx, job_id: str) -> Job:
    job = _runner(ctx).get(job_id)
    if job is None:
        raise ApiError(404, "Not Found", f"no job {job_id!r}")
    if not ctx.principal.has(KIND_SCOPE[job.kind]):
        raise ApiError(403, "Forbidden", f"this key (role {ctx.principal.role}) lacks the scope "
                                         f"{KIND_SCOPE[job.kind]!r} for {job.kind} jobs")
    return job


@router.get("/jobs", operation_id="list_jobs", response_model=list[JobOut],
            summary="Jobs, newest first (those of the kinds this key may run)")
async def list_jobs(ctx: AnyJob, limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[dict[str, Any]]:
    def work() -> list[dict[str, Any]]:
        kinds = {k for k, sc in KIND_SCOPE.items() if ctx.principal.has(sc)}
        rows = [_out(j) for j in _runner(ctx).list(limit=10_000) if j.kind in kinds][:limit]
        ctx.audit("job.list", f"limit={limit}")
        return rows

    return await ctx.limits.run(work)


@router.get("/jobs/{job_id}", operation_id="get_job", response_model=JobOut,
            summary="A job's state, progress per phase, report (done) or error (failed)")
async def get_job(ctx: AnyJob, job_id: JobId) -> dict[str, Any]:
    def work() -> dict[str, Any]:
        job = _job(ctx, job_id)
        if ctx.principal is not CLI:  # the CLI polls its own job every second: its start and end are audited
            ctx.audit("job.read", f"{job.kind} job {job.id}")
        return _out(job)

    return await ctx.limits.run(work)


@router.delete("/jobs/{job_id}", operation_id="cancel_job", response_model=JobOut, status_code=202,
               summary="Cancel a job: a queued one at once, a running one at its next batch or step boundary")
async def cancel_job(ctx: AnyJob, job_id: JobId) -> dict[str, Any]:
    def work() -> dict[str, Any]:
        job = _job(ctx, job_id)
        if job.state not in ("queued", "running"):
            raise ApiError(409, "Conflict",
                           f"job {job.id} is {job.state}: only a queued or running job can be cancelled")
        _runner(ctx).cancel(job)
        ctx.audit("job.cancel", f"{job.kind} job {job.id} {job.state}", 202)
        return _out(job)

    return await ctx.limits.run(work)


@router.post("/jobs/{job_id}/rerun", operation_id="rerun_job", response_model=JobOut, status_code=202,
             summary="Submit a job's input again (after it failed, was cancelled or interrupted)")
async def rerun_job(ctx: AnyJob, job_id: JobId, response: Response) -> dict[str, Any]:
    def work() -> Job:
        job = _job(ctx, job_id)
        if job.state in ("queued", "running"):
            raise ApiError(409, "Conflict", f"job {job.id} is {job.state}: wait for it to end or cancel it")
        try:
            new = _runner(ctx).rerun(job, user=ctx.principal.owner, client=ctx.client)
        except QueueFull as e:
            raise ApiError(503, "Service Unavailable", str(e), {"Retry-After": "30"}) from None
        except ValueError as e:
            raise ApiError(409, "Conflict", str(e)) from None
        ctx.audit("job.rerun", f"{job.kind} job {new.id} re-runs {job.id}", 202)
        return new

    return _accepted(response, await ctx.limits.run(work))
