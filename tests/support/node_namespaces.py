"""Each node in a network namespace of its own, on an address of its own, as nodes run on
machines of their own: the namespaces hang on one bridge in the test's namespace (which
``scripts/netns-run`` made), where the test's clients and Chromium run. Node ``i`` has
``10.77.0.<i + 1>``; the bridge ``10.77.0.254``. Nothing of this reaches beyond the test's
namespace, and it all goes with it."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Callable, Iterator

__all__ = ["BRIDGE_ADDRESS", "NodeNamespace", "bridge", "node_address"]

BRIDGE = "knbr0"
BRIDGE_ADDRESS = "10.77.0.254"
_PREFIX = 24

# In the node's new namespace: wait for its end of the pair, give it the node's address, run
# the node (exec: the pid stays the node's).
_INSIDE = """
set -e
ip link set lo up
for _ in $(seq 200); do ip link show "$1" >/dev/null 2>&1 && break; sleep 0.02; done
ip addr add "$2/24" dev "$1"
ip link set "$1" up
shift 2
exec "$@"
"""


def node_address(index: int) -> str:
    return f"10.77.0.{index + 1}"


def _ip(*words: str) -> None:
    subprocess.run(["ip", *words], check=True, capture_output=True, timeout=10)


@contextlib.contextmanager
def bridge() -> Iterator[None]:
    if os.environ.get("KLINGEL_NETNS") != "1":
        raise RuntimeError("nodes get namespaces of their own only inside scripts/netns-run")
    _ip("link", "add", BRIDGE, "type", "bridge")
    try:
        _ip("addr", "add", f"{BRIDGE_ADDRESS}/{_PREFIX}", "dev", BRIDGE)
        _ip("link", "set", BRIDGE, "up")
        yield
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            _ip("link", "del", BRIDGE)


class NodeNamespace:
    """How to start node ``index`` in its own namespace: ``launcher`` wraps its command,
    ``on_spawn`` plugs it into the bridge once it runs."""

    def __init__(self, index: int) -> None:
        self.address = node_address(index)
        self._outside = f"knv{index}"
        self._inside = f"knp{index}"

    def launcher(self, command: list[str]) -> list[str]:
        return ["unshare", "--net", "--", "bash", "-c", _INSIDE, "node", self._inside,
                self.address, *command]  # fmt: skip

    def on_spawn(self, pid: int) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            _ip("link", "del", self._outside)  # left by a node of this index that was killed
        _ip("link", "add", self._outside, "type", "veth", "peer", "name", self._inside)
        _ip("link", "set", self._inside, "netns", str(pid))
        _ip("link", "set", self._outside, "master", BRIDGE)
        _ip("link", "set", self._outside, "up")

    @property
    def hooks(self) -> tuple[Callable[[list[str]], list[str]], Callable[[int], None]]:
        return self.launcher, self.on_spawn
