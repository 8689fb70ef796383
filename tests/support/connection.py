"""A signaling connection that records what the server sends instead of writing to a socket."""

from __future__ import annotations

import json
from typing import Any

from klingel.web.connection import Connection


class RecordingConnection(Connection):
    """Keeps every frame it is sent, decoded, until it is closed, and the code it was closed
    with. It never queues, so no number of frames makes it a slow reader."""

    def __init__(self) -> None:
        super().__init__()
        self.frames: list[dict[str, Any]] = []
        self.close_code: int | None = None

    def send_encoded(self, frame: str) -> None:
        if not self.closing:
            self.frames.append(json.loads(frame))

    def close(self, code: int = 1000, reason: str = "") -> None:
        if not self.closing:
            self.close_code = code
        super().close(code, reason)

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [frame for frame in self.frames if frame["type"] == kind]
