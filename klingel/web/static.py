"""The pages and files of the browser client (``klingel/static``, written without a build step).

Missing files give 404, so the server runs before the client exists.

A room path is taken as people type it: ``/r/Elternabend-3b``, ``/r/elternabend%203b`` and
``/r/ELTERNABEND_3B`` are redirected to ``/r/elternabend-3b``, the slug the start page makes of
the same name (``slugify``, kept in step with ``klingel/static/js/slug.js``). The query string
goes along; the fragment (``#host=…``, ``#key=…``) never reaches the server, and the browser
keeps it across the redirect.

A viewer link, ``/live/<key>``, gets the viewer page whatever key it holds, as long as it is
made of the characters a key is made of: the page asks the server, which knows whether a
broadcast has that key. Anything else there gets the 404 page, as a room path with no letter or
digit does.

A clerk's link, ``/rat/<body>``, gets the clerk's page for any path that could be a council's
id; the page's secret is in the fragment, and the page asks the clerk's API, which knows
whether there is such a body.

Every unknown path gets the German 404 page (``404.html``, English one click away), a room
path that holds no letter or digit too; paths under ``/api/`` get ``{"error": "not_found"}``.
"""

from __future__ import annotations

import re
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from klingel.rooms.naming import is_room_id, slugify
from klingel.web.security import relative_location

__all__ = [
    "NOT_FOUND_PAGE",
    "STATIC_DIRECTORY",
    "not_found",
    "not_found_handler",
    "room_path",
    "static_routes",
]

STATIC_DIRECTORY = Path(__file__).resolve().parent.parent / "static"
NOT_FOUND_PAGE = "404.html"
_PAGE_HEADERS = {"cache-control": "no-cache"}
_HTML = "text/html; charset=utf-8"
_VIEWER_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")
_BODY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
"""A council's id, as ``klingel.rooms.council.text.parse_id`` takes it."""


def _page(name: str) -> Response:
    path = STATIC_DIRECTORY / name
    if not path.is_file():
        return _not_found_page()
    return FileResponse(path, media_type=_HTML, headers=_PAGE_HEADERS)


def _not_found_page() -> Response:
    path = STATIC_DIRECTORY / NOT_FOUND_PAGE
    if not path.is_file():
        return PlainTextResponse("Not Found", status_code=404)
    return FileResponse(path, status_code=404, media_type=_HTML, headers=_PAGE_HEADERS)


def not_found(request: Request) -> Response:
    """404: the page for people, or ``{"error": "not_found"}`` for the API's callers."""
    if request.url.path == "/api" or request.url.path.startswith("/api/"):
        return JSONResponse({"error": "not_found"}, status_code=404)
    return _not_found_page()


async def not_found_handler(request: Request, error: Exception) -> Response:
    """The app's handler of ``HTTPException(404)``: unknown paths, missing static files."""
    if isinstance(error, HTTPException) and error.status_code != 404:
        raise error
    return not_found(request)


def room_path(typed: str) -> str | None:
    """The canonical path of the room a typed room path means, or ``None`` when the text holds
    no letter or digit (``"Elternabend 3b"`` -> ``"/r/elternabend-3b"``)."""
    slug = slugify(typed)
    return f"/r/{slug}" if slug else None


async def start_page(request: Request) -> Response:
    return _page("index.html")


async def help_page(request: Request) -> Response:
    """Roles, the lobby and office hours explained for hosts, in German and English."""
    return _page("help.html")


async def easy_help_page(request: Request) -> Response:
    """Help for everyone in Leichte Sprache (plain German) and plain English."""
    return _page("leicht.html")


async def easy_help_redirect(request: Request) -> Response:
    """The longer address of the plain-language help leads to the short one."""
    return RedirectResponse("/leicht", status_code=301)


async def imprint_page(request: Request) -> Response:
    """The town's imprint, its details filled in from the brand (docs/branding.md)."""
    return _page("impressum.html")


async def privacy_page(request: Request) -> Response:
    """What Klingel processes, and the town's details as controller (docs/privacy.md)."""
    return _page("datenschutz.html")


async def room_page(request: Request) -> Response:
    room = request.path_params["room"]
    canonical = room_path(room)
    if canonical is None:
        return not_found(request)
    if canonical == f"/r/{room}" and is_room_id(room):
        return _page("room.html")
    query = request.url.query
    target = f"{canonical}?{query}" if query else canonical
    # Temporary (307), so browsers do not keep it: the slug rules may still change one day.
    return RedirectResponse(relative_location(target), status_code=307)


async def live_page(request: Request) -> Response:
    """A public broadcast for its viewers, and its hall view (``?halle``)."""
    if _VIEWER_KEY.fullmatch(request.path_params["key"]) is None:
        return not_found(request)
    return _page("live.html")


async def clerk_page(request: Request) -> Response:
    """The clerk's page of a council or committee; its secret stays in the fragment."""
    if _BODY_ID.fullmatch(request.path_params["body"]) is None:
        return not_found(request)
    return _page("rat.html")


def static_routes() -> list[Route | Mount]:
    return [
        Route("/", start_page, methods=["GET", "HEAD"]),
        Route("/r/{room}", room_page, methods=["GET", "HEAD"]),
        Route("/live/{key}", live_page, methods=["GET", "HEAD"]),
        Route("/rat/{body}", clerk_page, methods=["GET", "HEAD"]),
        Route("/help", help_page, methods=["GET", "HEAD"]),
        Route("/leicht", easy_help_page, methods=["GET", "HEAD"]),
        Route("/leichte-sprache", easy_help_redirect, methods=["GET", "HEAD"]),
        Route("/impressum", imprint_page, methods=["GET", "HEAD"]),
        Route("/datenschutz", privacy_page, methods=["GET", "HEAD"]),
        Mount(
            "/static",
            app=StaticFiles(directory=STATIC_DIRECTORY, check_dir=False),
            name="static",
        ),
    ]
