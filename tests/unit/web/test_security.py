from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from klingel.web.security import SECURITY_HEADERS, SecurityHeadersMiddleware


async def lax_page(request: Request) -> Response:
    return PlainTextResponse("hi", headers={"Referrer-Policy": "unsafe-url"})


async def test_every_response_carries_the_headers_and_they_win() -> None:
    app = Starlette(
        routes=[Route("/", lax_page)], middleware=[Middleware(SecurityHeadersMiddleware)]
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        for path in ("/", "/missing"):
            response = await client.get(path)
            for name, value in SECURITY_HEADERS:
                assert response.headers.get_list(name) == [value]
