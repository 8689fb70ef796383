"""What every state-changing request of the HTTP API must be: from a page of ours, JSON, and
small. Shared by the room API and the clerk's API."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from klingel.web.hosts import OriginVerdict, ServedHosts

__all__ = ["NO_STORE", "read_limited_body", "refusal_of_origin"]

NO_STORE = {"cache-control": "no-store"}
"""For answers that carry secrets or a body's document: no cache keeps them."""


def _is_json(content_type: str | None) -> bool:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type == "application/json"


def refusal_of_origin(
    served: ServedHosts, request: Request, *, json_body: bool = True
) -> Response | None:
    """A state-changing request must come from a page of ours, as JSON: a foreign page can
    send JSON only after a CORS preflight, which this server never grants (nor does it for a
    DELETE, which ``json_body`` False lets through without a body)."""
    origin = request.headers.get("origin")
    if origin is not None:
        verdict = served.judge(origin)
        if verdict is OriginVerdict.MALFORMED:
            return JSONResponse({"error": "bad_origin"}, status_code=400)
        if verdict is OriginVerdict.FOREIGN:
            return JSONResponse({"error": "foreign_origin"}, status_code=403)
    if json_body and not _is_json(request.headers.get("content-type")):
        return JSONResponse({"error": "not_json"}, status_code=415)
    return None


async def read_limited_body(request: Request, limit: int) -> bytes | None:
    """The request's body, or None once it grows past ``limit`` bytes (read no further)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)
