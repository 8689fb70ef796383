from __future__ import annotations

import stat
from pathlib import Path

import pytest

from klingel.cli import main
from klingel.config import parse_turn_config_arguments
from klingel.turn.coturn_config import TlsFiles

SECRET = "0123456789abcdef" * 4


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "turn-secret"
    path.write_text(SECRET + "\n")
    return path


def test_flags(secret_file: Path, tmp_path: Path) -> None:
    request = parse_turn_config_arguments(
        ["--turn-host", "Turn.Example.de", "--turn-secret-file", str(secret_file),
         "--announce-ip", "198.51.100.20", "--turn-listen-ip", "192.0.2.7",
         "--turn-tls-cert", "/c.pem", "--turn-tls-key", "/k.pem", "--turn-tls-port", "5349",
         "--turn-relay-ports", "50000-50999", "--output", str(tmp_path / "t.conf")],
        {},
    )  # fmt: skip
    coturn = request.coturn
    assert coturn.realm == "turn.example.de"
    assert coturn.secret.value == SECRET
    assert coturn.media_addresses == ("198.51.100.20",)
    assert coturn.listening_ips == coturn.relay_ips == ("192.0.2.7",)
    assert coturn.tls == TlsFiles(Path("/c.pem"), Path("/k.pem"))
    assert (coturn.tls_port, coturn.relay_ports) == (5349, (50000, 50999))
    assert request.output == tmp_path / "t.conf"


def test_environment_supplies_host_secret_and_media_address(
    secret_file: Path, tmp_path: Path
) -> None:
    environ = {
        "KLINGEL_TURN_HOST": "turn.example.de",
        "KLINGEL_TURN_SECRET_FILE": str(secret_file),
        "KLINGEL_ANNOUNCE_IP": "198.51.100.20",
    }
    request = parse_turn_config_arguments(["--output", str(tmp_path / "t.conf")], environ)
    assert request.coturn.realm == "turn.example.de"
    assert request.coturn.media_addresses == ("198.51.100.20",)


@pytest.mark.parametrize(
    "extra",
    [
        [],  # no media address
        ["--announce-ip", "127.0.0.1"],
        ["--announce-ip", "198.51.100.20", "--turn-tls-cert", "/c.pem"],
        ["--announce-ip", "198.51.100.20", "--turn-relay-ports", "80-90"],
    ],
)
def test_bad_flags_exit(extra: list[str], secret_file: Path, tmp_path: Path) -> None:
    argv = ["--turn-host", "turn.example.de", "--turn-secret-file", str(secret_file)]
    with pytest.raises(SystemExit):
        parse_turn_config_arguments([*argv, *extra, "--output", str(tmp_path / "t")], {})


def test_missing_secret_file_exits(tmp_path: Path) -> None:
    argv = ["--turn-host", "t.example.de", "--turn-secret-file", str(tmp_path / "none"),
            "--announce-ip", "198.51.100.20", "--output", str(tmp_path / "t")]  # fmt: skip
    with pytest.raises(SystemExit):
        parse_turn_config_arguments(argv, {})


def test_command_writes_the_file_without_printing_the_secret(
    secret_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "turnserver.conf"
    code = main(
        ["turn-config", "--turn-host", "turn.example.de", "--turn-secret-file",
         str(secret_file), "--announce-ip", "198.51.100.20", "--output", str(output)]
    )  # fmt: skip
    assert code == 0
    assert f"static-auth-secret={SECRET}" in output.read_text().splitlines()
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    printed = capsys.readouterr()
    assert str(output) in printed.out
    assert SECRET not in printed.out + printed.err
