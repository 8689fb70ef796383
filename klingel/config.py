"""The server's settings, from command-line flags with ``KLINGEL_*`` environment variables as
their defaults."""

from __future__ import annotations

import argparse
import ipaddress
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from klingel.sfu.api import SfuSettings

__all__ = [
    "LOG_LEVELS",
    "Settings",
    "add_serve_arguments",
    "parse_serve_arguments",
    "settings_from_arguments",
]

LOG_LEVELS = ("debug", "info", "warning", "error")


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    room_capacity: int = 50
    sfu: SfuSettings = field(default_factory=SfuSettings)
    log_level: str = "info"
    metrics: bool = False
    proxy_headers: bool = False
    """Trust ``X-Forwarded-For`` from a reverse proxy on the same host."""
    resume_grace_seconds: float = 30.0
    join_timeout_seconds: float = 10.0
    """A socket that has not sent ``join`` by then is closed."""


def _port_range(text: str) -> tuple[int, int]:
    low, sep, high = text.partition("-")
    try:
        port_min, port_max = int(low), int(high if sep else low)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a range like 40000-40099") from None
    if not 1024 <= port_min <= port_max <= 65535:
        raise argparse.ArgumentTypeError("ports must be 1024-65535, low before high")
    return port_min, port_max


def _ip(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an IP address: {text!r}") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _port(text: str) -> int:
    value = _positive(text)
    if value > 65535:
        raise argparse.ArgumentTypeError("must be at most 65535")
    return value


def _flag(text: str | None) -> bool:
    return (text or "").strip().lower() in {"1", "true", "yes", "on"}


def add_serve_arguments(parser: argparse.ArgumentParser, environ: Mapping[str, str]) -> None:
    """The flags of ``klingel serve``; each falls back to its ``KLINGEL_*`` variable."""

    def env(name: str, default: str | None) -> str | None:
        return environ.get(f"KLINGEL_{name}", default)

    parser.add_argument("--host", default=env("HOST", "127.0.0.1"), help="HTTP listen address")
    parser.add_argument("--port", type=_port, default=env("PORT", "8080"), help="HTTP port")
    parser.add_argument(
        "--announce-ip",
        type=_ip,
        default=env("ANNOUNCE_IP", "127.0.0.1"),
        help="address of the SFU put into ICE candidates",
    )
    parser.add_argument(
        "--bind-ip",
        type=_ip,
        default=env("BIND_IP", None),
        help="address the SFU's UDP sockets bind to (default: the announce address)",
    )
    parser.add_argument(
        "--udp-ports",
        type=_port_range,
        default=env("UDP_PORTS", "40000-40099"),
        help="UDP port range of the SFU workers, e.g. 40000-40099",
    )
    parser.add_argument(
        "--workers",
        type=_positive,
        default=env("WORKERS", str(os.cpu_count() or 1)),
        help="SFU worker processes (default: number of cores)",
    )
    parser.add_argument(
        "--room-capacity",
        type=_positive,
        default=env("ROOM_CAPACITY", "50"),
        help="most participants per room",
    )
    parser.add_argument(
        "--log-level", choices=LOG_LEVELS, default=env("LOG_LEVEL", "info"), help="log level"
    )
    parser.add_argument(
        "--metrics",
        action=argparse.BooleanOptionalAction,
        default=_flag(env("METRICS", None)),
        help="serve Prometheus metrics at /metrics",
    )
    parser.add_argument(
        "--proxy-headers",
        action=argparse.BooleanOptionalAction,
        default=_flag(env("PROXY_HEADERS", None)),
        help="trust X-Forwarded-For from a local reverse proxy",
    )


def settings_from_arguments(arguments: argparse.Namespace) -> Settings:
    port_min, port_max = arguments.udp_ports
    if port_max - port_min + 1 < arguments.workers:
        raise ValueError("the UDP port range must hold at least one port per worker")
    sfu = SfuSettings(
        workers=arguments.workers,
        announce_ip=arguments.announce_ip,
        bind_ip=arguments.bind_ip or arguments.announce_ip,
        port_min=port_min,
        port_max=port_max,
    )
    return Settings(
        host=arguments.host,
        port=arguments.port,
        room_capacity=arguments.room_capacity,
        sfu=sfu,
        log_level=arguments.log_level,
        metrics=arguments.metrics,
        proxy_headers=arguments.proxy_headers,
    )


def parse_serve_arguments(argv: Sequence[str], environ: Mapping[str, str]) -> Settings:
    """Settings for ``klingel serve ARGV`` (used by tests and tools)."""
    parser = argparse.ArgumentParser(prog="klingel serve")
    add_serve_arguments(parser, environ)
    arguments = parser.parse_args(list(argv))
    try:
        return settings_from_arguments(arguments)
    except ValueError as error:
        parser.error(str(error))
