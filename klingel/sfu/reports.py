"""The RTCP reports the SFU sends every second as the middlebox between the two ends (RFC 3550
section 6.4, RFC 7667 section 3.7): receiver reports (and REMB) to each publisher about what
it received of each layer, sender reports to each subscriber about what it was sent of each
stream, with the publisher's timing carried into the subscriber's timestamps for lip sync."""

from __future__ import annotations

from klingel.sfu.published import Publisher
from klingel.sfu.rtcp import ReceiverReport, Remb, RtcpPacket, SenderReport
from klingel.sfu.subscribed import StreamSubscription, Subscriber

__all__ = ["receiver_report", "sender_report", "sender_reports"]

_NTP_UNITS = 4_294_967_296
_MAX_REPORT_BLOCKS = 31  # a report's block count has five bits


def receiver_report(publisher: Publisher, now: float) -> list[RtcpPacket]:
    """A block for each layer that sent anything, and a REMB when the publisher's estimate
    comes from REMB (no transport-wide feedback negotiated): its rate follows the worst loss."""
    blocks = []
    worst_loss = 0
    for ssrc, layer in publisher.by_ssrc.items():
        if layer.reception.received:
            block = layer.reception.report_block(ssrc, now)
            worst_loss = max(worst_loss, block.fraction_lost)
            blocks.append(block)
    compound: list[RtcpPacket] = [
        ReceiverReport(publisher.rtcp_ssrc, tuple(blocks[:_MAX_REPORT_BLOCKS]))
    ]
    if publisher.remb is not None and publisher.by_ssrc:
        bitrate = publisher.remb.update(now, worst_loss / 256)
        compound.append(Remb.for_bitrate(publisher.rtcp_ssrc, bitrate, tuple(publisher.by_ssrc)))
    return compound


def sender_report(subscription: StreamSubscription, now: float) -> SenderReport | None:
    """The publisher's last (NTP, RTP) pair of the layer forwarded, carried forward to now and
    into the subscriber's timestamp space, so its audio and video stay in sync."""
    layer = subscription.current
    if (
        layer is None
        or layer.sender_report is None
        or layer.ssrc is None
        or not subscription.packets
    ):
        return None
    ntp, rtp, arrival = layer.sender_report
    mapped = subscription.rewriter.map_timestamp(layer.ssrc, rtp)
    if mapped is None:
        return None
    elapsed = max(0.0, now - arrival)
    return SenderReport(
        ssrc=subscription.ssrc,
        ntp_timestamp=(ntp + int(elapsed * _NTP_UNITS)) & 0xFFFF_FFFF_FFFF_FFFF,
        rtp_timestamp=(mapped + int(elapsed * subscription.stream.clock_rate)) & 0xFFFF_FFFF,
        packet_count=subscription.packets & 0xFFFF_FFFF,
        octet_count=subscription.octets & 0xFFFF_FFFF,
    )


def sender_reports(subscriber: Subscriber, now: float) -> list[RtcpPacket]:
    """A sender report for each stream the subscriber was sent and has timing for."""
    reports: list[RtcpPacket] = []
    for subscription in subscriber.by_mid.values():
        report = sender_report(subscription, now)
        if report is not None:
            reports.append(report)
    return reports
