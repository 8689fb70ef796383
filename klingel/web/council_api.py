"""The clerk's HTTP API (``docs/council.md``): read and replace a body's document, make or
renew a member's personal link. The clerk's secret travels in ``Authorization: Bearer``,
never in a URL, so no access log can hold it.

``GET /api/councils/<body>`` → ``{revision, linked, body, sessions}``
``PUT /api/councils/<body>`` ``{revision, body, sessions}`` → the same, at the next revision
``POST /api/councils/<body>/member-links`` ``{revision, member}`` → ``{member, secret,
revision}``: the member's link is ``/r/<body>#member=<secret>``; the old one ends.

Refusals are ``{"error": code, "message"?}``: ``forbidden`` (403; no such body and a wrong
secret are one answer), ``conflict`` (409; changed meanwhile), the council domain's codes
(400; with a message for the clerk), ``bad_json``, ``not_json``, ``too_large``,
``rate_limited``, ``store_unavailable`` (503).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from klingel.rooms.abuse import address_key
from klingel.rooms.council.document import document_fields, document_from_fields, strict_json
from klingel.rooms.council.errors import CouncilCode, CouncilError
from klingel.rooms.council.text import parse_id
from klingel.rooms.council_bodies import ClerkView, CouncilBodies
from klingel.rooms.ratelimit import KeyedRateLimiter, RateLimit
from klingel.store import StoreError
from klingel.store.council import MAX_BODY_DOCUMENT_BYTES
from klingel.web.hosts import ServedHosts
from klingel.web.json_requests import NO_STORE, read_limited_body, refusal_of_origin

__all__ = ["CLERK_REQUEST_LIMIT", "council_routes"]

logger = logging.getLogger(__name__)

CLERK_REQUEST_LIMIT = RateLimit(rate=2.0, burst=60.0)
"""Per client address: a clerk saving as they type is far below it."""
MAX_REQUEST_BYTES = 2 * MAX_BODY_DOCUMENT_BYTES
"""Room for JSON's escapes around the largest document the store keeps."""
_MINUTES_TYPES = {"pdf": "application/pdf", "json": "application/json"}
_MINUTES_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}")
_STATUS = {
    CouncilCode.FORBIDDEN: 403,
    CouncilCode.CONFLICT: 409,
    CouncilCode.UNKNOWN_MEMBER: 404,
    CouncilCode.UNKNOWN_MINUTES: 404,
    CouncilCode.UNREADABLE: 503,
}
"""Other council codes are the clerk's input refused: 400."""

Handler = Callable[[Request, str, str], Awaitable[Response]]


def _error(code: str, status: int, message: str | None = None) -> JSONResponse:
    content = {"error": code} if message is None else {"error": code, "message": message}
    return JSONResponse(content, status_code=status, headers=NO_STORE)


def _view(view: ClerkView) -> JSONResponse:
    content: dict[str, Any] = {
        "revision": view.revision,
        "linked": sorted(view.linked),
        **document_fields(view.document),
    }
    return JSONResponse(content, headers=NO_STORE)


def _bearer(request: Request) -> str | None:
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    return secret.strip() if scheme.lower() == "bearer" and secret.strip() else None


def _revision(data: dict[str, Any]) -> int:
    revision = data.get("revision")
    if isinstance(revision, bool) or not isinstance(revision, int) or revision < 0:
        raise CouncilError(CouncilCode.BAD_VALUE, "The revision is a whole number.")
    return revision


class _ClerkApi:
    def __init__(self, bodies: CouncilBodies, served: ServedHosts) -> None:
        self._bodies = bodies
        self._served = served
        self._requests = KeyedRateLimiter(CLERK_REQUEST_LIMIT)

    def guarded(
        self, handler: Handler, *, changes: bool, needs_json: bool = True
    ) -> Callable[[Request], Awaitable[Response]]:
        """``handler`` behind the checks every clerk request passes, with its refusals."""

        async def endpoint(request: Request) -> Response:
            address = address_key(request.client.host if request.client else "")
            if not self._requests.take(address, time.monotonic()):
                return _error("rate_limited", 429)
            if changes:
                refused = refusal_of_origin(self._served, request, json_body=needs_json)
                if refused is not None:
                    return refused
            secret = _bearer(request)
            try:
                body_id = parse_id(request.path_params["body"], "body")
            except CouncilError:
                body_id = None
            if secret is None or body_id is None:
                return _error(CouncilCode.FORBIDDEN, 403)
            try:
                return await handler(request, body_id, secret)
            except CouncilError as error:
                return _error(error.code, _STATUS.get(CouncilCode(error.code), 400), error.message)
            except StoreError as error:
                logger.warning("The council store failed: %s", error.code)
                return _error("store_unavailable", 503)

        return endpoint

    async def read(self, request: Request, body_id: str, secret: str) -> Response:
        return _view(await self._bodies.view(body_id, secret))

    async def replace(self, request: Request, body_id: str, secret: str) -> Response:
        data = await _json_object(request)
        if isinstance(data, Response):
            return data
        revision = _revision(data)
        document = document_from_fields({k: v for k, v in data.items() if k != "revision"})
        return _view(await self._bodies.replace_document(body_id, secret, document, revision))

    async def member_link(self, request: Request, body_id: str, secret: str) -> Response:
        data = await _json_object(request)
        if isinstance(data, Response):
            return data
        member = data.get("member")
        if set(data) != {"revision", "member"} or not isinstance(member, str):
            raise CouncilError(CouncilCode.BAD_VALUE, "Send the revision and the member's id.")
        link_secret, revision = await self._bodies.renew_member_link(
            body_id, secret, member, _revision(data)
        )
        return JSONResponse(
            {"member": member, "secret": link_secret, "revision": revision}, headers=NO_STORE
        )

    async def minutes_list(self, request: Request, body_id: str, secret: str) -> Response:
        entries = await self._bodies.minutes_list(body_id, secret)
        listed = [
            {
                "id": entry.minutes_id,
                "session": entry.session_id,
                "title": entry.title,
                "closedAt": entry.closed_at,
            }
            for entry in entries
        ]
        return JSONResponse({"minutes": listed}, headers=NO_STORE)

    async def minutes_file(self, request: Request, body_id: str, secret: str) -> Response:
        stem, _, kind = request.path_params["file"].rpartition(".")
        if kind not in _MINUTES_TYPES:
            stem = ""
        minutes = await self._bodies.minutes(body_id, secret, _minutes_id(stem))
        content = minutes.pdf if kind == "pdf" else minutes.json
        filename = f"niederschrift-{body_id}-{stem}.{kind}"
        return Response(
            content,
            media_type=_MINUTES_TYPES[kind],
            headers={**NO_STORE, "content-disposition": f'attachment; filename="{filename}"'},
        )

    async def minutes_delete(self, request: Request, body_id: str, secret: str) -> Response:
        stem = _minutes_id(request.path_params["file"])
        await self._bodies.delete_minutes(body_id, secret, stem)
        return JSONResponse({"deleted": stem}, headers=NO_STORE)


def _minutes_id(text: str) -> str:
    """A minutes id as the server makes them; ``unknown_minutes`` for anything else."""
    if _MINUTES_ID.fullmatch(text) is None:
        raise CouncilError(CouncilCode.UNKNOWN_MINUTES, "There are no such minutes.")
    return text


async def _json_object(request: Request) -> dict[str, Any] | Response:
    raw = await read_limited_body(request, MAX_REQUEST_BYTES)
    if raw is None:
        return _error("too_large", 413)
    try:
        data = strict_json(raw)
    except CouncilError:
        return _error("bad_json", 400)
    if not isinstance(data, dict):
        return _error("bad_json", 400)
    return data


def council_routes(bodies: CouncilBodies, served: ServedHosts) -> list[Route]:
    api = _ClerkApi(bodies, served)
    return [
        Route(
            "/api/councils/{body}",
            api.guarded(api.read, changes=False),
            methods=["GET"],
        ),
        Route(
            "/api/councils/{body}",
            api.guarded(api.replace, changes=True),
            methods=["PUT"],
        ),
        Route(
            "/api/councils/{body}/member-links",
            api.guarded(api.member_link, changes=True),
            methods=["POST"],
        ),
        Route(
            "/api/councils/{body}/minutes",
            api.guarded(api.minutes_list, changes=False),
            methods=["GET"],
        ),
        Route(
            "/api/councils/{body}/minutes/{file}",
            api.guarded(api.minutes_file, changes=False),
            methods=["GET"],
        ),
        Route(
            "/api/councils/{body}/minutes/{file}",
            api.guarded(api.minutes_delete, changes=True, needs_json=False),
            methods=["DELETE"],
        ),
    ]
