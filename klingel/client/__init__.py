"""Klingel's signaling protocol (``docs/protocol.md``) from the client's side, in Python.

One client for every Python participant: the test participants, the benchmarks and the
``klingel-load`` command. It needs nothing but ``websockets`` and ``klingel.protocol``: no media
stack, no browser driver, no test runner.
"""

from klingel.client.pairing import PendingRequests
from klingel.client.signaling import (
    Disconnected,
    Ended,
    Refused,
    SignalingClient,
    SignalingError,
    decode_server_frame,
)
from klingel.client.url import SignalingAddress

__all__ = [
    "Disconnected",
    "Ended",
    "PendingRequests",
    "Refused",
    "SignalingAddress",
    "SignalingClient",
    "SignalingError",
    "decode_server_frame",
]
