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
    layer_switches: int = 0  # a subscription moved from one layer of a stream to another
    held_below_request: int = 0  # now: video subscriptions that bandwidth keeps below their request
