"""When a datagram reached this machine, rather than when Python got to it.

A load process runs many participants on one event loop; the time its callback runs includes
waiting for the others. The transport-wide feedback a receiver sends must carry arrival times,
or the sender's delay-based estimator (draft-ietf-rmcat-gcc-02) reads our own busy loop as a
congested link. Linux keeps the kernel's receive time of the last datagram read from a socket
(``SIOCGSTAMP``, socket(7)); reading it costs about a microsecond.
"""

from __future__ import annotations

import contextlib
import fcntl
import struct
import time

__all__ = ["ArrivalClock"]

_SIOCGSTAMP = 0x8906
_TIMEVAL = struct.Struct("@ll")


class ArrivalClock:
    """Arrival times, on the ``time.monotonic()`` scale, of datagrams read from one socket."""

    __slots__ = ("_fd", "_offset")

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._offset = time.time() - time.monotonic()
        with contextlib.suppress(OSError):  # the first call turns it on
            fcntl.ioctl(fd, _SIOCGSTAMP, bytes(_TIMEVAL.size))

    def last_arrival(self) -> float:
        """The receive time of the datagram read last; now, if the kernel has none."""
        try:
            seconds, microseconds = _TIMEVAL.unpack(
                fcntl.ioctl(self._fd, _SIOCGSTAMP, bytes(_TIMEVAL.size))
            )
        except OSError:
            return time.monotonic()
        arrival: float = seconds + microseconds / 1e6 - self._offset
        return arrival
