"""The server's settings, from command-line flags with ``KLINGEL_*`` environment variables as
their defaults."""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from klingel.brands import Brands, load_brands
from klingel.rooms.naming import is_room_id, slugify
from klingel.sfu.api import SfuSettings
from klingel.store.redis_store import RedisAddress
from klingel.turn.coturn_config import DEFAULT_PORT, DEFAULT_TLS_PORT, CoturnSettings, TlsFiles
from klingel.turn.credentials import DEFAULT_TTL_SECONDS, CredentialIssuer, TurnSecret
from klingel.turn.ice_servers import TurnEndpoint, TurnRelay

__all__ = [
    "DEFAULT_DATA_DIR",
    "DEFAULT_MAX_STANDING_ROOMS",
    "DEFAULT_UNUSED_ROOM_DAYS",
    "LOG_LEVELS",
    "Settings",
    "TurnConfigRequest",
    "add_data_dir_argument",
    "add_redis_arguments",
    "add_serve_arguments",
    "add_turn_config_arguments",
    "add_unused_room_days_argument",
    "parse_serve_arguments",
    "parse_turn_config_arguments",
    "redis_address_from_arguments",
    "room_name_argument",
    "settings_from_arguments",
    "turn_config_from_arguments",
    "turn_relay_from_arguments",
]

LOG_LEVELS = ("debug", "info", "warning", "error")
MIN_CREDENTIAL_LIFETIME_SECONDS = 60
DEFAULT_DATA_DIR = Path("/var/lib/klingel")
"""Where the room store lives unless ``--data-dir`` says otherwise: the root install's (and
the systemd unit's ``StateDirectory``) in docs/deployment.md."""
DEFAULT_UNUSED_ROOM_DAYS = 90
DEFAULT_MAX_VIEWERS = 2_000
"""Viewers of public broadcasts at once: about what the programme relay is meant to hold on a
few cores (docs/public-viewing.md)."""

DEFAULT_MAX_STANDING_ROOMS = 100_000
"""Standing rooms the store holds at most: some 100 MB of store, far beyond a town's needs,
and a bound on what anyone creating rooms all day can fill."""


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    room_capacity: int = 50
    max_rooms: int = 500
    """Rooms the server holds at most; beyond, joining a new room gets ``server_full``."""
    connections_per_address: int = 100
    """Open signaling sockets per client address: a school behind one NAT still fits."""
    sfu: SfuSettings = field(default_factory=SfuSettings)
    log_level: str = "info"
    metrics: bool = False
    proxy_headers: bool = False
    """Trust ``X-Forwarded-For`` from a reverse proxy on the same host."""
    resume_grace_seconds: float = 30.0
    join_timeout_seconds: float = 10.0
    """A socket that has not sent ``join`` by then is closed."""
    idle_timeout_seconds: float = 45.0
    """A joined socket silent this long is closed (clients ping every 10 s)."""
    rate_limited_close_seconds: float = 10.0
    """A socket whose messages keep being refused as ``rate_limited`` this long is closed."""
    turn: TurnRelay | None = None
    """The coturn relay whose credentials every joined participant gets; None: no TURN."""
    brands: Brands | None = None
    """The towns' looks by host name (docs/branding.md); None: Klingel's own look."""
    allowed_hosts: tuple[str, ...] = ()
    """Host names (IDNA, lower case) whose pages may use the API and the signaling socket,
    besides the brands file's and loopback."""
    data_dir: Path = DEFAULT_DATA_DIR
    """The room store's directory (docs/store.md); ``klingel serve`` opens it at start-up."""
    redis: RedisAddress | None = None
    """The Redis that holds the room store instead of SQLite (``--redis``); the key of the
    digests stays in ``data_dir``."""
    node_url: str | None = None
    """With ``redis``: this node's internal URL (``http://10.0.0.2:8080``), where the other
    nodes pass on sockets of the rooms it holds (``--node-url``, docs/scaling.md); None: this
    server is the only node."""
    node_id: str = ""
    """This node's name in the directory of nodes (``--node-id``; the host name if empty)."""
    unused_room_days: int = DEFAULT_UNUSED_ROOM_DAYS
    """A standing room unused this many days is deleted by the server."""
    max_standing_rooms: int = DEFAULT_MAX_STANDING_ROOMS
    """Beyond this many standing rooms, ``POST /api/rooms`` makes none (standing_rooms_full)."""
    max_viewers: int = DEFAULT_MAX_VIEWERS
    """Viewers of public broadcasts this server holds at most (docs/public-viewing.md)."""
    reserved_names: tuple[str, ...] = ()
    """Slugs of the names the town keeps for itself: nobody creates them from the start page
    or joins them before they stand (``klingel rooms create`` makes them stand)."""

    def served_host_names(self) -> tuple[str, ...]:
        """Every host name this server answers for by name: the configured and the brands'."""
        brand_hosts = () if self.brands is None else tuple(self.brands.by_host)
        return tuple(sorted({*self.allowed_hosts, *brand_hosts}))


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


def _host_name(text: str) -> str:
    name = text.strip().lower().rstrip(".")
    if not name or any(c.isspace() or c in "/:#@" for c in name):
        raise argparse.ArgumentTypeError(f"not a host name: {text!r}")
    return name


def _host_names(text: str) -> tuple[str, ...]:
    """A comma-separated list of host names, IDNA-encoded as browsers send them."""
    names = []
    for part in text.split(","):
        if not part.strip():
            continue
        name = _host_name(part)
        try:
            names.append(name.encode("idna").decode("ascii"))
        except UnicodeError:
            raise argparse.ArgumentTypeError(f"not a host name: {part!r}") from None
    return tuple(names)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def room_name_argument(text: str) -> str:
    """A room name as people type it, as its slug (the room's id)."""
    slug = slugify(text)
    if not is_room_id(slug):
        raise argparse.ArgumentTypeError(f"not a room name (no letter or digit): {text!r}")
    return slug


def _room_names(text: str) -> tuple[str, ...]:
    """A comma-separated list of room names, as slugs."""
    return tuple(room_name_argument(part) for part in text.split(",") if part.strip())


def _port(text: str) -> int:
    value = _positive(text)
    if value > 65535:
        raise argparse.ArgumentTypeError("must be at most 65535")
    return value


def _credential_lifetime(text: str) -> int:
    value = _positive(text)
    if value < MIN_CREDENTIAL_LIFETIME_SECONDS:
        raise argparse.ArgumentTypeError(
            f"must be at least {MIN_CREDENTIAL_LIFETIME_SECONDS} seconds"
        )
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
        "--max-rooms",
        type=_positive,
        default=env("MAX_ROOMS", "500"),
        help="most rooms on the server",
    )
    parser.add_argument(
        "--connections-per-address",
        type=_positive,
        default=env("CONNECTIONS_PER_ADDRESS", "100"),
        help="most open signaling sockets per client address",
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
    parser.add_argument(
        "--allowed-hosts",
        type=_host_names,
        default=_host_names(environ.get("KLINGEL_ALLOWED_HOSTS", "")),
        metavar="NAMES",
        help="comma-separated host names the town serves Klingel under (besides the brands "
        "file's and localhost); pages of any other name may not use it",
    )
    parser.add_argument(
        "--brands",
        type=Path,
        default=environ.get("KLINGEL_BRANDS") or None,
        help="TOML file with each town's name, logo, colours and imprint (docs/branding.md)",
    )
    add_data_dir_argument(parser, environ)
    add_redis_arguments(parser, environ)
    parser.add_argument(
        "--node-url",
        metavar="URL",
        default=environ.get("KLINGEL_NODE_URL") or None,
        help="with --redis: this node's internal http:// URL, which the other nodes of the "
        "town reach (KLINGEL_NODE_URL; docs/scaling.md); without it the server is one node",
    )
    add_node_id_argument(parser, environ)
    add_unused_room_days_argument(parser, environ)
    parser.add_argument(
        "--max-standing-rooms",
        type=_positive,
        default=env("MAX_STANDING_ROOMS", str(DEFAULT_MAX_STANDING_ROOMS)),
        help="most standing rooms; beyond, the start page creates none",
    )
    parser.add_argument(
        "--max-viewers",
        type=_positive,
        default=env("MAX_VIEWERS", str(DEFAULT_MAX_VIEWERS)),
        help="most viewers of public broadcasts at once; beyond, viewers get server_full",
    )
    parser.add_argument(
        "--reserved-name",
        dest="reserved_names",
        type=room_name_argument,
        action="append",
        default=None,
        metavar="NAME",
        help="a room name the town keeps for itself (repeatable; KLINGEL_RESERVED_NAMES: "
        "comma-separated): nobody creates or joins it before `klingel rooms create` made it",
    )
    # Read in settings_from_arguments, so that a bad name is a usage error like a flag's.
    parser.set_defaults(reserved_names_of_environment=environ.get("KLINGEL_RESERVED_NAMES", ""))
    _add_turn_serve_arguments(parser, environ)


def add_data_dir_argument(parser: argparse.ArgumentParser, environ: Mapping[str, str]) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(environ.get("KLINGEL_DATA_DIR") or DEFAULT_DATA_DIR),
        help="directory of the room store: standing rooms and the key of their digests "
        f"(docs/store.md; default {DEFAULT_DATA_DIR})",
    )


def add_redis_arguments(parser: argparse.ArgumentParser, environ: Mapping[str, str]) -> None:
    parser.add_argument(
        "--redis",
        metavar="URL",
        default=environ.get("KLINGEL_REDIS_URL") or None,
        help="keep the room store in this Redis (redis://, rediss:// with TLS, or unix://) "
        "instead of SQLite in the data directory (KLINGEL_REDIS_URL; docs/store.md)",
    )
    parser.add_argument(
        "--redis-password-file",
        type=Path,
        metavar="FILE",
        default=environ.get("KLINGEL_REDIS_PASSWORD_FILE") or None,
        help="file whose first line is the Redis password, if the URL holds none "
        "(KLINGEL_REDIS_PASSWORD_FILE)",
    )


def add_node_id_argument(parser: argparse.ArgumentParser, environ: Mapping[str, str]) -> None:
    parser.add_argument(
        "--node-id",
        type=_node_id,
        default=environ.get("KLINGEL_NODE_ID") or _host_node_id(),
        metavar="NAME",
        help="this node's name among the town's nodes (KLINGEL_NODE_ID; default: host name)",
    )


def _host_node_id() -> str:
    name = re.sub(r"[^A-Za-z0-9._-]", "-", socket.gethostname()).strip(".-_")[:63]
    return name or "klingel"


def _node_id(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}", text):
        raise argparse.ArgumentTypeError(
            "a node name is 1-63 letters, digits, dots, dashes or underscores"
        )
    return text


def _node_url(text: str | None, redis: RedisAddress | None) -> str | None:
    if text is None:
        return None
    if redis is None:
        raise ValueError("--node-url needs --redis, which the nodes share")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise ValueError("--node-url is an http:// or https:// URL of this node")
    return text.rstrip("/")


def redis_address_from_arguments(arguments: argparse.Namespace) -> RedisAddress | None:
    """The Redis of ``--redis``, or None; ValueError if the URL is not one (the message
    never repeats the URL, which may hold the password)."""
    if arguments.redis is None:
        if arguments.redis_password_file is not None:
            raise ValueError("--redis-password-file needs --redis")
        return None
    return RedisAddress(arguments.redis, arguments.redis_password_file)


def add_unused_room_days_argument(
    parser: argparse.ArgumentParser, environ: Mapping[str, str]
) -> None:
    parser.add_argument(
        "--unused-room-days",
        type=_positive,
        default=environ.get("KLINGEL_UNUSED_ROOM_DAYS", str(DEFAULT_UNUSED_ROOM_DAYS)),
        help="delete a standing room after this many days without use",
    )


def _reserved_names(arguments: argparse.Namespace) -> tuple[str, ...]:
    """The flags' names if any were given (they replace the variable's, as every flag does),
    else those of ``KLINGEL_RESERVED_NAMES``; raises ``ValueError`` on a name that is none."""
    if arguments.reserved_names is not None:
        return tuple(dict.fromkeys(arguments.reserved_names))
    try:
        names = _room_names(arguments.reserved_names_of_environment)
    except argparse.ArgumentTypeError as error:
        raise ValueError(f"KLINGEL_RESERVED_NAMES: {error}") from None
    return tuple(dict.fromkeys(names))


def _add_turn_serve_arguments(parser: argparse.ArgumentParser, environ: Mapping[str, str]) -> None:
    """The relay browsers may use when UDP to the SFU is blocked (docs/turn.md); without
    ``--turn-host`` and ``--turn-secret-file`` there is none."""

    def env(name: str, default: str | None = None) -> str | None:
        return environ.get(f"KLINGEL_{name}") or default

    turn = parser.add_argument_group("TURN relay (coturn, see docs/turn.md)")
    turn.add_argument(
        "--turn-host",
        type=_host_name,
        default=env("TURN_HOST"),
        help="host name browsers use for the TURN server (default: no TURN)",
    )
    turn.add_argument(
        "--turn-secret-file",
        type=Path,
        default=env("TURN_SECRET_FILE"),
        help="file holding the secret shared with coturn; read once at start",
    )
    turn.add_argument(
        "--turn-port",
        type=_port,
        default=env("TURN_PORT", str(DEFAULT_PORT)),
        help="coturn's UDP and TCP port",
    )
    turn.add_argument(
        "--turn-tls-port",
        type=_port,
        default=env("TURN_TLS_PORT"),
        help="coturn's TLS port, e.g. 443 (default: no TURN over TLS)",
    )
    turn.add_argument(
        "--turn-credential-lifetime",
        type=_credential_lifetime,
        default=env("TURN_CREDENTIAL_LIFETIME", str(DEFAULT_TTL_SECONDS)),
        help="seconds each participant's TURN credentials stay valid",
    )


def _read_secret(path: Path) -> TurnSecret:
    """The secret, with an error that names the file and never its content."""
    try:
        return TurnSecret.from_file(path)
    except UnicodeDecodeError:
        raise ValueError(f"the TURN secret file {path} is not ASCII text") from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ValueError(f"cannot read the TURN secret file {path}: {reason}") from None
    except ValueError as error:
        raise ValueError(f"the TURN secret file {path}: {error}") from None


def turn_relay_from_arguments(arguments: argparse.Namespace) -> TurnRelay | None:
    """Reads the secret file once; raises ``ValueError`` on incomplete or bad settings."""
    host, secret_file = arguments.turn_host, arguments.turn_secret_file
    if host is None and secret_file is None:
        if arguments.turn_tls_port is not None:
            raise ValueError("--turn-tls-port needs --turn-host and --turn-secret-file")
        return None
    if host is None or secret_file is None:
        raise ValueError("--turn-host and --turn-secret-file go together")
    issuer = CredentialIssuer(_read_secret(secret_file), arguments.turn_credential_lifetime)
    endpoint = TurnEndpoint(host, arguments.turn_port, arguments.turn_tls_port)
    return TurnRelay(endpoint, issuer)


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
    redis = redis_address_from_arguments(arguments)
    return Settings(
        host=arguments.host,
        port=arguments.port,
        room_capacity=arguments.room_capacity,
        max_rooms=arguments.max_rooms,
        connections_per_address=arguments.connections_per_address,
        sfu=sfu,
        log_level=arguments.log_level,
        metrics=arguments.metrics,
        proxy_headers=arguments.proxy_headers,
        turn=turn_relay_from_arguments(arguments),
        brands=None if arguments.brands is None else load_brands(arguments.brands),
        allowed_hosts=arguments.allowed_hosts,
        data_dir=arguments.data_dir,
        redis=redis,
        node_url=_node_url(arguments.node_url, redis),
        node_id=arguments.node_id,
        unused_room_days=arguments.unused_room_days,
        max_standing_rooms=arguments.max_standing_rooms,
        max_viewers=arguments.max_viewers,
        reserved_names=_reserved_names(arguments),
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


@dataclass(frozen=True, slots=True)
class TurnConfigRequest:
    """What ``klingel turn-config`` writes, and where."""

    coturn: CoturnSettings
    output: Path


def add_turn_config_arguments(parser: argparse.ArgumentParser, environ: Mapping[str, str]) -> None:
    """The flags of ``klingel turn-config``; the shared ones fall back to ``KLINGEL_*``."""

    def env(name: str) -> str | None:
        return environ.get(f"KLINGEL_{name}") or None

    parser.add_argument(
        "--turn-host",
        type=_host_name,
        default=env("TURN_HOST"),
        required=env("TURN_HOST") is None,
        help="host name browsers use for the TURN server; also coturn's realm",
    )
    parser.add_argument(
        "--turn-secret-file",
        type=Path,
        default=env("TURN_SECRET_FILE"),
        required=env("TURN_SECRET_FILE") is None,
        help="file holding the secret shared with coturn (e.g. `openssl rand -hex 32`)",
    )
    parser.add_argument(
        "--announce-ip",
        type=_ip,
        default=env("ANNOUNCE_IP"),
        required=env("ANNOUNCE_IP") is None,
        help="the SFU's announced address: the only address the relay may reach",
    )
    parser.add_argument(
        "--turn-listen-ip",
        type=_ip,
        action="append",
        default=[],
        help="address coturn listens and relays on (repeatable; default: all)",
    )
    parser.add_argument(
        "--turn-external-ip",
        default=None,
        help="PUBLIC or PUBLIC/PRIVATE address when coturn sits behind a 1:1 NAT",
    )
    parser.add_argument(
        "--turn-port", type=_port, default=env("TURN_PORT") or DEFAULT_PORT, help="UDP and TCP port"
    )
    parser.add_argument("--turn-tls-cert", type=Path, default=None, help="PEM certificate chain")
    parser.add_argument("--turn-tls-key", type=Path, default=None, help="PEM private key")
    parser.add_argument(
        "--turn-tls-port",
        type=_port,
        default=env("TURN_TLS_PORT") or DEFAULT_TLS_PORT,
        help="TLS port",
    )
    parser.add_argument(
        "--turn-relay-ports",
        type=_port_range,
        default="49152-65535",
        help="UDP ports of coturn's relay endpoints",
    )
    parser.add_argument("--output", type=Path, required=True, help="where to write turnserver.conf")


def turn_config_from_arguments(arguments: argparse.Namespace) -> TurnConfigRequest:
    """Reads the secret file; raises ``ValueError`` (or ``OSError``) on bad input."""
    cert, key = arguments.turn_tls_cert, arguments.turn_tls_key
    if (cert is None) != (key is None):
        raise ValueError("--turn-tls-cert and --turn-tls-key go together")
    listen = tuple(arguments.turn_listen_ip)
    coturn = CoturnSettings(
        realm=arguments.turn_host,
        secret=TurnSecret.from_file(arguments.turn_secret_file),
        media_addresses=(arguments.announce_ip,),
        listening_ips=listen,
        relay_ips=listen,
        external_ip=arguments.turn_external_ip,
        port=arguments.turn_port,
        tls=None if cert is None else TlsFiles(certificate=cert, private_key=key),
        tls_port=arguments.turn_tls_port,
        relay_ports=arguments.turn_relay_ports,
    )
    return TurnConfigRequest(coturn=coturn, output=arguments.output)


def parse_turn_config_arguments(
    argv: Sequence[str], environ: Mapping[str, str]
) -> TurnConfigRequest:
    """The request of ``klingel turn-config ARGV`` (used by tests and tools)."""
    parser = argparse.ArgumentParser(prog="klingel turn-config")
    add_turn_config_arguments(parser, environ)
    arguments = parser.parse_args(list(argv))
    try:
        return turn_config_from_arguments(arguments)
    except (ValueError, OSError) as error:
        parser.error(str(error))
