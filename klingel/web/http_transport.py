"""The HTTP protocol of the web process: uvicorn's httptools protocol, with bounds on request
heads.

uvicorn sets no limit on the size of a request's line and headers, and no time limit before a
request's head is complete: a 64 MB header was answered, four unfinished 64 MB headers held
300 MB, and thousands of half-sent requests stayed open as long as their clients liked. The
reverse proxy bounds these in production; the server must not depend on it. Here:

- a request line longer than ``MAX_URL_BYTES`` gets 414, a head (line and headers) larger than
  ``MAX_HEAD_BYTES`` gets 431, and the connection closes. The head is measured as it arrives,
  since the parser keeps an unfinished header value in memory until it ends;
- a connection whose request head is not complete within ``HEAD_SECONDS`` of its first byte
  (or of the connection, for its first request) gets 408 and closes. Idle keep-alive
  connections are uvicorn's to close (``timeout_keep_alive``).

The WebSocket handshake is an HTTP request and passes through the same bounds.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["HEAD_SECONDS", "MAX_HEAD_BYTES", "MAX_URL_BYTES", "BoundedHttpProtocol"]

MAX_URL_BYTES = 8 * 1024
"""A room link is under 100 bytes; the longest path of the server under 200."""
MAX_HEAD_BYTES = 64 * 1024
"""Line and headers together: a browser sends 1-2 KiB (Klingel sets no cookies)."""
HEAD_SECONDS = 10.0


def _answer(status: bytes) -> bytes:
    return b"HTTP/1.1 " + status + b"\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


class BoundedHttpProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_bytes = 0
        self._url_bytes = 0
        self._head_deadline: asyncio.TimerHandle | None = None
        self._refused = False
        self._in_head = True
        self._head_received = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # answered and closing: nothing more is read
        if self._in_head:
            # Our requests' bodies are tiny: bytes before the end of a head are head bytes.
            self._head_received += len(data)
            if self._head_received > MAX_HEAD_BYTES:
                self._refuse(b"431 Request Header Fields Too Large")
                return
        super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes = 0
        self._url_bytes = 0
        self._arm_deadline()

    def on_url(self, url: bytes) -> None:
        self._url_bytes += len(url)
        self._head_bytes += len(url)
        if self._url_bytes > MAX_URL_BYTES:
            self._refuse(b"414 URI Too Long")
            return
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_bytes += len(name) + len(value) + 4
        if self._head_bytes > MAX_HEAD_BYTES:
            self._refuse(b"431 Request Header Fields Too Large")
            return
        if not self._refused:
            super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._disarm_deadline()
        if self._refused:
            return
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self._refused:
            super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._in_head = True  # what comes next is the head of the next request
        self._head_received = 0

    def _arm_deadline(self) -> None:
        if self._head_deadline is None:
            self._head_deadline = self.loop.call_later(HEAD_SECONDS, self._head_too_slow)

    def _disarm_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_too_slow(self) -> None:
        self._head_deadline = None
        if self.cycle is not None and not self.cycle.response_complete:
            return  # a request is being answered: its head was complete
        self._refuse(b"408 Request Timeout")

    def _refuse(self, status: bytes) -> None:
        if self._refused:
            return
        self._refused = True
        self._disarm_deadline()
        if not self.transport.is_closing():
            self.transport.write(_answer(status))
            self.transport.close()
