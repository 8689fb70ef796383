"""A short downlink for one WebRTC peer in tests and benchmarks: ``tc`` limits what goes to one
UDP port on loopback.

Inside the isolated namespace (``scripts/netns-run``) loopback is the only link, and it is the
namespace's own, so shaping it touches nothing else on the machine; outside it, ``shape``
refuses.
"""

from __future__ import annotations

import os
import re
import subprocess
from types import TracebackType

__all__ = ["LoopbackShaper", "NotIsolatedError"]

_RATE = re.compile(r"[1-9][0-9]*(kbit|mbit)")
_QUEUE_PACKETS = 50  # a short queue, like a home router's


class NotIsolatedError(RuntimeError):
    """Shaping was asked for outside the isolated namespace."""


class LoopbackShaper:
    """An HTB class with a short queue for one destination UDP port (a u32 filter), the rest of
    loopback unlimited. One port at a time; ``clear`` (or leaving the ``with`` block) removes
    it."""

    def __init__(self) -> None:
        self.active = False

    def __enter__(self) -> LoopbackShaper:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.clear()

    def shape(self, port: int, rate: str) -> None:
        """Limit what goes to UDP ``port`` on loopback to ``rate`` (``tc`` syntax, e.g.
        ``"500kbit"``)."""
        if os.environ.get("KLINGEL_NETNS") != "1":
            raise NotIsolatedError("shape loopback only inside scripts/netns-run")
        if not _RATE.fullmatch(rate):
            raise ValueError(f"not a rate tc understands here: {rate!r}")
        if not 0 < port < 65536:
            raise ValueError(f"not a port: {port}")
        self.clear()
        commands = [
            "qdisc add dev lo root handle 1: htb default 10",
            "class add dev lo parent 1: classid 1:10 htb rate 10gbit",
            f"class add dev lo parent 1: classid 1:20 htb rate {rate} ceil {rate}",
            f"qdisc add dev lo parent 1:20 handle 20: pfifo limit {_QUEUE_PACKETS}",
            f"filter add dev lo parent 1: protocol ip prio 1 u32 match ip dport {port} 0xffff "
            "flowid 1:20",
        ]
        self.active = True
        for command in commands:
            subprocess.run(["tc", *command.split()], check=True, capture_output=True)

    def clear(self) -> None:
        if self.active:
            subprocess.run(["tc", "qdisc", "del", "dev", "lo", "root"], capture_output=True)
            self.active = False
