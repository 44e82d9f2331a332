"""The investigator's page and its assets, served by Tamga itself (no CDN: works offline).

vis-network comes from the copy pyvis ships (`pyvis/templates/lib/vis-9.1.2`), so the page and
the pyvis export use the same library version. The page holds no data: it asks the API with the
key the investigator enters, so these routes need no key.
"""

from __future__ import annotations

from pathlib import Path

import pyvis
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from api.deps import Ctx, client_of, peer_of

router = APIRouter(include_in_schema=False)

PAGE = Path(__file__).resolve().parents[1] / "page"
VIS = Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2"
ASSETS = {
    "app.js": (PAGE / "app.js", "text/javascript"),
    "riskareas.js": (PAGE / "riskareas.js", "text/javascript"),
    "app.css": (PAGE / "app.css", "text/css"),
    "docs.js": (PAGE / "docs.js", "text/javascript"),
    "effectiveness.js": (PAGE / "effectiveness.js", "text/javascript"),
    "vis-network.min.js": (VIS / "vis-network.min.js", "text/javascript"),
    "vis-network.css": (VIS / "vis-network.css", "text/css"),
}
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "connect-src 'self'; font-src 'self' data:; base-uri 'none'; form-action 'none'; "
            "frame-ancestors 'none'")


@router.get("/")
async def root() -> RedirectResponse:
    return RedirectResponse("/ui", status_code=307)


@router.get("/ui")
async def ui() -> FileResponse:
    return FileResponse(PAGE / "index.html", media_type="text/html; charset=utf-8",
                        headers={"Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-store"})


@router.get("/docs")
async def docs() -> FileResponse:
    """A plain list of the operations, offline (Swagger UI would load its scripts from a CDN)."""
    return FileResponse(PAGE / "docs.html", media_type="text/html; charset=utf-8",
                        headers={"Content-Security-Policy": PAGE_CSP})


@router.get("/ui/network/{ticket}")
async def standalone_network(request: Request, ticket: str) -> HTMLResponse:
    """The standalone network page for a one-time ticket (`POST /api/v1/entities/{id}/network-page`):
    served from its own URL with its own hash-based CSP, read under the ticket holder's name."""
    from api.routes.entities import network_page

    state = request.app.state.tamga
    t = state.tickets.redeem(ticket) if len(ticket) <= 64 else None
    if t is None:
        raise HTTPException(404, "this page link is unknown, used or expired: open it again from the page")
    ctx = Ctx(t.principal, state, getattr(request.state, "request_id", ""), client_of(request),
              peer_of(request), getattr(request.state, "client_request_id", ""))
    p = t.params
    page, csp = await state.limits.run(network_page, ctx, t.entity_id, p["depth"], p["max_nodes"], p["rel"],
                                       p["date_from"], p["date_to"])
    return HTMLResponse(page, headers={"Content-Security-Policy": csp, "Cache-Control": "no-store",
                                       "Referrer-Policy": "no-referrer"})


@router.get("/ui/assets/{name}")
async def asset(name: str) -> FileResponse:
    if name not in ASSETS:
        raise HTTPException(404, f"no asset {name!r}")
    path, media = ASSETS[name]
    return FileResponse(path, media_type=media, headers={"Cache-Control": "max-age=300"})
