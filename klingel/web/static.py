"""The pages and files of the browser client (``klingel/static``, written without a build step).

Missing files give 404, so the server runs before the client exists.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from klingel.rooms.naming import is_room_id

__all__ = ["STATIC_DIRECTORY", "static_routes"]

STATIC_DIRECTORY = Path(__file__).resolve().parent.parent / "static"
_PAGE_HEADERS = {"cache-control": "no-cache"}


def _page(name: str) -> Response:
    path = STATIC_DIRECTORY / name
    if not path.is_file():
        return PlainTextResponse("Not Found", status_code=404)
    return FileResponse(path, media_type="text/html; charset=utf-8", headers=_PAGE_HEADERS)


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
    if not is_room_id(request.path_params["room"]):
        return PlainTextResponse("Not Found", status_code=404)
    return _page("room.html")


def static_routes() -> list[Route | Mount]:
    return [
        Route("/", start_page, methods=["GET", "HEAD"]),
        Route("/r/{room}", room_page, methods=["GET", "HEAD"]),
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
