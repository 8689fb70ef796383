"""``klingel serve``'s TURN settings: flags, ``KLINGEL_*`` variables, and a secret read once."""

from __future__ import annotations

from pathlib import Path

import pytest

from klingel.config import parse_serve_arguments
from klingel.turn.credentials import DEFAULT_TTL_SECONDS, password_for
from klingel.turn.ice_servers import TurnEndpoint

SECRET = "0123456789abcdef" * 4


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "turn-secret"
    path.write_text(SECRET + "\n")
    return path


def test_no_turn_without_its_settings() -> None:
    assert parse_serve_arguments([], {}).turn is None


def test_flags_give_the_endpoint_and_the_secret(secret_file: Path) -> None:
    flags = ["--turn-host", "Turn.Example.DE", "--turn-secret-file", str(secret_file),
             "--turn-port", "3479", "--turn-tls-port", "443",
             "--turn-credential-lifetime", "7200"]  # fmt: skip
    turn = parse_serve_arguments(flags, {}).turn
    assert turn is not None
    assert turn.endpoint == TurnEndpoint("turn.example.de", 3479, 443)
    assert turn.issuer.ttl_seconds == 7200
    credentials = turn.issuer.issue(1_700_000_000)
    assert credentials.password == password_for(turn.issuer.secret, credentials.username)
    assert turn.issuer.secret.value == SECRET


def test_environment_gives_the_same(secret_file: Path) -> None:
    environ = {
        "KLINGEL_TURN_HOST": "turn.example.de",
        "KLINGEL_TURN_SECRET_FILE": str(secret_file),
        "KLINGEL_TURN_PORT": "3480",
        "KLINGEL_TURN_TLS_PORT": "5349",
        "KLINGEL_TURN_CREDENTIAL_LIFETIME": "3600",
    }
    turn = parse_serve_arguments([], environ).turn
    assert turn is not None
    assert turn.endpoint == TurnEndpoint("turn.example.de", 3480, 5349)
    assert turn.issuer.ttl_seconds == 3600


def test_defaults_udp_and_tcp_on_3478_no_tls_six_hours(secret_file: Path) -> None:
    flags = ["--turn-host", "turn.example.de", "--turn-secret-file", str(secret_file)]
    turn = parse_serve_arguments(flags, {}).turn
    assert turn is not None
    assert turn.endpoint == TurnEndpoint("turn.example.de", 3478, None)
    assert turn.issuer.ttl_seconds == DEFAULT_TTL_SECONDS


def test_the_secret_is_read_once_at_start(secret_file: Path) -> None:
    flags = ["--turn-host", "turn.example.de", "--turn-secret-file", str(secret_file)]
    turn = parse_serve_arguments(flags, {}).turn
    secret_file.write_text("z" * 64)
    assert turn is not None and turn.issuer.secret.value == SECRET
    assert SECRET not in repr(turn)


def _refusal(
    capsys: pytest.CaptureFixture[str], flags: list[str], environ: dict[str, str] | None = None
) -> str:
    with pytest.raises(SystemExit) as stopped:
        parse_serve_arguments(flags, environ or {})
    assert stopped.value.code == 2
    return capsys.readouterr().err


@pytest.mark.parametrize(
    "content", ["too-short-secret", "", "has spaces in it " * 4, "ä" * 40, "#" * 40]
)
def test_a_bad_secret_file_stops_the_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str
) -> None:
    path = tmp_path / "turn-secret"
    path.write_text(content, encoding="utf-8")
    error = _refusal(capsys, ["--turn-host", "turn.example.de", "--turn-secret-file", str(path)])
    assert "TURN secret" in error and str(path) in error
    if content.strip():
        assert content.strip() not in error


def test_a_missing_secret_file_stops_the_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "nowhere"
    error = _refusal(capsys, ["--turn-host", "turn.example.de", "--turn-secret-file", str(path)])
    assert "cannot read the TURN secret file" in error and str(path) in error


@pytest.mark.parametrize(
    "flags",
    [
        ["--turn-host", "turn.example.de"],
        ["--turn-tls-port", "443"],
        ["--turn-host", "turn.example.de", "--turn-port", "0"],
        ["--turn-host", "turn example"],
    ],
)
def test_incomplete_or_bad_turn_flags_are_refused(
    capsys: pytest.CaptureFixture[str], flags: list[str]
) -> None:
    assert _refusal(capsys, flags)


def test_the_secret_file_alone_is_refused(
    secret_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    error = _refusal(capsys, ["--turn-secret-file", str(secret_file)])
    assert "--turn-host and --turn-secret-file go together" in error


def test_a_short_credential_lifetime_is_refused(
    secret_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flags = ["--turn-host", "turn.example.de", "--turn-secret-file", str(secret_file),
             "--turn-credential-lifetime", "30"]  # fmt: skip
    assert "at least 60 seconds" in _refusal(capsys, flags)
