"""Small helpers shared by the routers: the error responses every route documents."""

from __future__ import annotations

from typing import Any

from api.models import Problem

ERROR_CODES = (400, 401, 403, 404, 408, 409, 413, 422, 429, 500, 503)
_TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           408: "Request Timeout", 409: "Conflict", 413: "Content Too Large",
           422: "Unprocessable Content", 429: "Too Many Requests", 500: "Internal Server Error",
           503: "Service Unavailable"}

#: documented on every API route (rewritten to application/problem+json in `api.app.custom_openapi`)
ERRORS: dict[int | str, dict[str, Any]] = {c: {"model": Problem, "description": _TITLES[c]}
                                           for c in ERROR_CODES}
