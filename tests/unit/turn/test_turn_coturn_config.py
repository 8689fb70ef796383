from __future__ import annotations

import dataclasses
import stat
from pathlib import Path

import pytest

from klingel.turn.coturn_config import (
    CoturnSettings,
    TlsFiles,
    render_coturn_config,
    write_coturn_config,
)
from klingel.turn.credentials import TurnSecret
from klingel.turn.peer_ranges import DENIED_PEER_RANGES, coturn_range

SECRET = TurnSecret("s" * 64)
SETTINGS = CoturnSettings(
    realm="turn.example.de", secret=SECRET, media_addresses=("198.51.100.20",)
)


def lines(settings: CoturnSettings = SETTINGS) -> list[str]:
    return [line for line in render_coturn_config(settings).splitlines() if line[:1] != "#"]


def values(key: str, settings: CoturnSettings = SETTINGS) -> list[str]:
    return [line.partition("=")[2] for line in lines(settings) if line.startswith(key + "=")]


@pytest.mark.parametrize(
    "flag",
    ["use-auth-secret", "fingerprint", "no-cli", "no-multicast-peers", "no-rfc5780",
     "no-stun-backward-compatibility", "no-dtls", "no-tls", "no-tcp-relay",
     "no-software-attribute", "secure-stun"],
)  # fmt: skip
def test_hardening_flags(flag: str) -> None:
    assert flag in lines()


def test_shared_secret_and_realm() -> None:
    assert values("static-auth-secret") == [SECRET.value]
    assert values("realm") == ["turn.example.de"]


def test_limits() -> None:
    assert values("listening-port") == ["3478"]
    assert [int(v) for v in values("stale-nonce")] == [SETTINGS.stale_nonce_seconds]
    assert [int(v) for v in values("user-quota")] == [SETTINGS.user_quota]
    assert [int(v) for v in values("total-quota")] == [SETTINGS.total_quota]
    assert [int(v) for v in values("max-bps")] == [SETTINGS.max_bytes_per_second]


def test_only_the_media_address_is_allowed() -> None:
    assert values("allowed-peer-ip") == ["198.51.100.20"]


def test_every_named_range_and_the_rest_of_both_families_are_denied() -> None:
    denied = values("denied-peer-ip")
    named = [coturn_range(d.parsed) for d in DENIED_PEER_RANGES]
    assert denied[: len(denied) - 2] == [rule for rule in named if rule is not None]
    assert denied[-2:] == ["0.0.0.1-255.255.255.255", "::1-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"]


def test_without_the_catch_all_only_named_ranges_are_denied() -> None:
    settings = dataclasses.replace(SETTINGS, deny_all_other_peers=False)
    assert len(values("denied-peer-ip", settings)) == len(values("denied-peer-ip")) - 2


def test_every_rule_comes_with_its_reason() -> None:
    text = render_coturn_config(SETTINGS)
    for denied in DENIED_PEER_RANGES:
        assert f"# {denied.network}: {denied.reason}" in text


def test_tls_listener_with_certificate() -> None:
    tls = TlsFiles(certificate=Path("/etc/klingel/turn.pem"), private_key=Path("/etc/klingel/k"))
    settings = dataclasses.replace(SETTINGS, tls=tls)
    assert values("tls-listening-port", settings) == ["443"]
    assert values("cert", settings) == ["/etc/klingel/turn.pem"]
    assert values("pkey", settings) == ["/etc/klingel/k"]
    assert {"no-tlsv1", "no-tlsv1_1", "no-dtls"} <= set(lines(settings))
    assert "no-tls" not in lines(settings)


def test_tcp_relays_only_when_asked_for() -> None:
    assert "no-tcp-relay" not in lines(dataclasses.replace(SETTINGS, tcp_relay=True))


def test_addresses_and_logging() -> None:
    settings = dataclasses.replace(
        SETTINGS,
        listening_ips=("192.0.2.7",),
        relay_ips=("192.0.2.7",),
        external_ip="198.51.100.20/192.0.2.7",
        log_file="stdout",
        pid_file=Path("/run/x.pid"),
    )
    assert values("listening-ip", settings) == values("relay-ip", settings) == ["192.0.2.7"]
    assert values("external-ip", settings) == ["198.51.100.20/192.0.2.7"]
    assert values("log-file", settings) == ["stdout"]
    assert values("pidfile", settings) == ["/run/x.pid"]


@pytest.mark.parametrize(
    "media", ["127.0.0.1", "::1", "0.0.0.0", "::", "224.0.0.1", "::ffff:198.51.100.20", "turn"]
)
def test_unusable_media_addresses_are_refused(media: str) -> None:
    with pytest.raises(ValueError):
        dataclasses.replace(SETTINGS, media_addresses=(media,))


@pytest.mark.parametrize(
    "changes",
    [
        {"media_addresses": ()},
        {"realm": "two words"},
        {"realm": ""},
        {"relay_ports": (50000, 40000)},
        {"user_quota": 0},
        {"listening_ips": ("nowhere",)},
        {"external_ip": "198.51.100.20/private"},
    ],
)
def test_bad_settings_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        dataclasses.replace(SETTINGS, **changes)  # type: ignore[arg-type]


def test_written_file_is_private_and_replaced(tmp_path: Path) -> None:
    path = tmp_path / "turnserver.conf"
    path.write_text("old\n")
    path.chmod(0o644)
    write_coturn_config(SETTINGS, path)
    assert path.read_text() == render_coturn_config(SETTINGS)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["turnserver.conf"]
