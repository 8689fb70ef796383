"""Synthetic Klingel participants and the tools to drive a server with them.

Used by the integration tests, the benchmarks and load tools: a ``ProtocolClient`` speaks the
signaling protocol of ``docs/protocol.md`` and sends and receives media with aiortc, without a
browser.
"""

from klingel_bots.client import ProtocolClient, ReceivedCounts
from klingel_bots.media_file import make_test_media
from klingel_bots.metrics import MetricSample, parse_metrics, sum_metric
from klingel_bots.server_process import ServerProcess

__all__ = [
    "MetricSample",
    "ProtocolClient",
    "ReceivedCounts",
    "ServerProcess",
    "make_test_media",
    "parse_metrics",
    "sum_metric",
]
