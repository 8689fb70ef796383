"""Packet counters of one worker process, shared by its transports and routers."""

from dataclasses import dataclass

__all__ = ["WorkerCounters"]


@dataclass(slots=True)
class WorkerCounters:
    rtp_received: int = 0
    rtp_forwarded: int = 0
    rtcp_received: int = 0
    rtcp_sent: int = 0
    retransmitted: int = 0
    dropped: int = 0
