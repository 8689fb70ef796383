"""The town's look for the pages: ``GET /api/brand`` and each brand's logo.

The request's ``Host`` picks the brand; the header itself is never echoed. Without a brands
file the answer is ``{}`` and the pages keep Klingel's own look.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from klingel.brands import Brand, Brands

__all__ = ["brand_json", "brand_routes"]

# The answer depends on the host name: a shared cache must keep one per host.
_BRAND_HEADERS = {"cache-control": "no-cache", "vary": "Host"}
_LOGO_HEADERS = {"cache-control": "public, max-age=3600"}


def brand_json(brand: Brand) -> dict[str, Any]:
    """What the pages need of a brand: plain texts, checked colours, the logo's own address."""
    colours = brand.colours
    imprint = brand.imprint
    return {
        "id": brand.id,
        "town": brand.town,
        "heading": brand.heading,
        "text": brand.text,
        "logo": brand.logo_path,
        "colours": None
        if colours is None
        else {
            "accent": colours.accent,
            "accentStrong": colours.accent_strong or colours.accent,
            "accentSoft": colours.accent_soft,
        },
        "imprint": {
            "controller": imprint.controller,
            "address": imprint.address,
            "email": imprint.email,
            "phone": imprint.phone,
            "representative": imprint.representative,
            "dpo": imprint.dpo,
            "supervisoryAuthority": imprint.supervisory_authority,
            "hosting": imprint.hosting,
            "accessLogs": imprint.access_logs,
            "turnLogs": imprint.turn_logs,
            "logRetention": imprint.log_retention,
            "legalBasis": imprint.legal_basis,
        },
    }


def brand_routes(brands: Brands | None) -> list[Route]:
    async def current_brand(request: Request) -> Response:
        if brands is None:
            return JSONResponse({}, headers=_BRAND_HEADERS)
        brand = brands.for_host(request.headers.get("host"))
        return JSONResponse(brand_json(brand), headers=_BRAND_HEADERS)

    async def logo(request: Request) -> Response:
        brand = None if brands is None else brands.by_id.get(request.path_params["brand"])
        if (
            brand is None
            or brand.logo is None
            or request.path_params["suffix"] != brand.logo.suffix
        ):
            return PlainTextResponse("Not Found", status_code=404)
        # Served as a file of its own under the strict CSP: a script inside an SVG never runs.
        return Response(brand.logo.content, media_type=brand.logo.media_type, headers=_LOGO_HEADERS)

    return [
        Route("/api/brand", current_brand, methods=["GET", "HEAD"]),
        Route("/brand/{brand}/logo.{suffix}", logo, methods=["GET", "HEAD"]),
    ]
