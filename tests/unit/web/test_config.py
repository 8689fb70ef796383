from __future__ import annotations

from pathlib import Path

import pytest

from klingel.config import parse_serve_arguments
from klingel.sfu.api import SfuSettings


def test_defaults() -> None:
    settings = parse_serve_arguments([], {})
    assert (settings.host, settings.port, settings.room_capacity) == ("127.0.0.1", 8080, 50)
    assert settings.sfu.workers >= 1
    assert (settings.sfu.announce_ip, settings.sfu.bind_ip) == ("127.0.0.1", "127.0.0.1")
    assert (settings.metrics, settings.proxy_headers, settings.log_level) == (False, False, "info")


def test_flags_win_over_environment() -> None:
    environ = {"KLINGEL_PORT": "9000", "KLINGEL_ROOM_CAPACITY": "7", "KLINGEL_METRICS": "1"}
    from_env = parse_serve_arguments([], environ)
    assert (from_env.port, from_env.room_capacity, from_env.metrics) == (9000, 7, True)
    flags = ["--port", "9100", "--no-metrics", "--workers", "2", "--udp-ports", "40010-40011",
             "--announce-ip", "203.0.113.5", "--bind-ip", "10.0.0.5"]  # fmt: skip
    settings = parse_serve_arguments(flags, environ)
    assert (settings.port, settings.metrics) == (9100, False)
    assert settings.sfu == SfuSettings(
        workers=2, announce_ip="203.0.113.5", bind_ip="10.0.0.5", port_min=40010, port_max=40011
    )


@pytest.mark.parametrize(
    "flags",
    [
        ["--port", "0"],
        ["--port", "70000"],
        ["--udp-ports", "5000-4000"],
        ["--udp-ports", "abc"],
        ["--announce-ip", "example.org"],
        ["--workers", "0"],
        ["--workers", "3", "--udp-ports", "40000-40001"],
        ["--log-level", "chatty"],
    ],
)
def test_bad_flags_are_refused(flags: list[str]) -> None:
    with pytest.raises(SystemExit):
        parse_serve_arguments(flags, {})


def test_limits_from_flags_and_environment() -> None:
    defaults = parse_serve_arguments([], {})
    assert (defaults.max_rooms, defaults.connections_per_address) == (500, 100)
    environ = {"KLINGEL_MAX_ROOMS": "20", "KLINGEL_CONNECTIONS_PER_ADDRESS": "300"}
    from_env = parse_serve_arguments([], environ)
    assert (from_env.max_rooms, from_env.connections_per_address) == (20, 300)
    flags = parse_serve_arguments(["--max-rooms", "7", "--connections-per-address", "5"], environ)
    assert (flags.max_rooms, flags.connections_per_address) == (7, 5)
    with pytest.raises(SystemExit):
        parse_serve_arguments(["--connections-per-address", "0"], {})


def test_the_room_store_settings_from_flags_and_environment(tmp_path: Path) -> None:
    defaults = parse_serve_arguments([], {})
    assert (defaults.data_dir, defaults.unused_room_days) == (Path("/var/lib/klingel"), 90)
    environ = {"KLINGEL_DATA_DIR": str(tmp_path / "env"), "KLINGEL_UNUSED_ROOM_DAYS": "30"}
    from_env = parse_serve_arguments([], environ)
    assert (from_env.data_dir, from_env.unused_room_days) == (tmp_path / "env", 30)
    flags = ["--data-dir", str(tmp_path / "flag"), "--unused-room-days", "7"]
    from_flags = parse_serve_arguments(flags, environ)
    assert (from_flags.data_dir, from_flags.unused_room_days) == (tmp_path / "flag", 7)
    assert parse_serve_arguments([], {"KLINGEL_DATA_DIR": ""}).data_dir == defaults.data_dir
    for days in ("0", "-1", "soon"):
        with pytest.raises(SystemExit):
            parse_serve_arguments(["--unused-room-days", days], {})


def test_reserved_names_are_slugs_from_flags_or_environment() -> None:
    assert parse_serve_arguments([], {}).reserved_names == ()
    environ = {"KLINGEL_RESERVED_NAMES": "Gemeinderat, Bürgerbüro,,Gemeinderat"}
    assert parse_serve_arguments([], environ).reserved_names == ("gemeinderat", "buergerbuero")
    # Flags replace the variable's names, as every flag does.
    flags = ["--reserved-name", "Musikschule Geige", "--reserved-name", "Standesamt"]
    from_flags = parse_serve_arguments(flags, environ)
    assert from_flags.reserved_names == ("musikschule-geige", "standesamt")
    with pytest.raises(SystemExit):
        parse_serve_arguments(["--reserved-name", "!!!"], {})
    with pytest.raises(SystemExit):
        parse_serve_arguments([], {"KLINGEL_RESERVED_NAMES": "Gemeinderat,???"})


@pytest.mark.parametrize(
    ("field", "flag", "variable", "default"),
    [
        ("max_standing_rooms", "--max-standing-rooms", "KLINGEL_MAX_STANDING_ROOMS", 100_000),
        ("max_viewers", "--max-viewers", "KLINGEL_MAX_VIEWERS", 2_000),
    ],
)
def test_a_cap_from_flags_and_environment(
    field: str, flag: str, variable: str, default: int
) -> None:
    assert getattr(parse_serve_arguments([], {}), field) == default
    assert getattr(parse_serve_arguments([], {variable: "500"}), field) == 500
    assert getattr(parse_serve_arguments([flag, "9"], {variable: "500"}), field) == 9
    with pytest.raises(SystemExit):
        parse_serve_arguments([flag, "0"], {})
