from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from pathlib import Path

import pytest

from klingel.turn.credentials import (
    DEFAULT_TTL_SECONDS,
    CredentialIssuer,
    TurnSecret,
    password_for,
)

SECRET = TurnSecret("north-wind-0123456789-abcdefghijklmnop")
NOW = 1_700_000_000.75


def test_password_matches_an_independent_hmac_sha1() -> None:
    # printf '%s' '1700000000:opaque' | openssl dgst -sha1 -hmac '<secret>' -binary | base64
    assert password_for(SECRET, "1700000000:opaque") == "73+zlNAqWBlZXBzpcE9hh2uO4GM="


def test_issued_username_carries_the_expiry_and_a_random_id() -> None:
    issuer = CredentialIssuer(SECRET, ttl_seconds=3600)
    first, second = issuer.issue(NOW), issuer.issue(NOW)
    expiry, _, opaque = first.username.partition(":")
    assert int(expiry) == first.expires_at == int(NOW) + 3600
    assert len(opaque) >= 16 and ":" not in opaque
    assert first.username != second.username


def test_issued_password_is_base64_hmac_sha1_of_the_username() -> None:
    credentials = CredentialIssuer(SECRET).issue(NOW)
    digest = hmac.new(SECRET.value.encode(), credentials.username.encode(), hashlib.sha1)
    assert base64.b64decode(credentials.password) == digest.digest()


def test_default_lifetime_is_a_few_hours() -> None:
    credentials = CredentialIssuer(SECRET).issue(NOW)
    assert credentials.expires_at - int(NOW) == DEFAULT_TTL_SECONDS
    assert 2 * 3600 <= DEFAULT_TTL_SECONDS <= 12 * 3600


def test_another_secret_gives_another_password() -> None:
    other = TurnSecret("south-wind-0123456789-abcdefghijklmnop")
    assert password_for(SECRET, "1:x") != password_for(other, "1:x")


@pytest.mark.parametrize("value", ["short", "x" * 31, "has space" + "x" * 40, "#" + "x" * 40])
def test_weak_or_unwritable_secrets_are_refused(value: str) -> None:
    with pytest.raises(ValueError):
        TurnSecret(value)


def test_lifetime_below_a_minute_is_refused() -> None:
    with pytest.raises(ValueError):
        CredentialIssuer(SECRET, ttl_seconds=59)


def test_secret_from_file_ignores_surrounding_whitespace(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_text(f"  {SECRET.value}\n\n")
    assert TurnSecret.from_file(path) == SECRET


def test_empty_secret_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_text("\n")
    with pytest.raises(ValueError):
        TurnSecret.from_file(path)


def test_secret_and_password_never_show_in_reprs_or_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    issuer = CredentialIssuer(SECRET)
    credentials = issuer.issue(NOW)
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("klingel.turn").info("issued %r with %r", credentials, issuer)
    assert credentials.username in caplog.text
    assert SECRET.value not in caplog.text
    assert credentials.password not in caplog.text


def test_values_are_frozen() -> None:
    credentials = CredentialIssuer(SECRET).issue(NOW)
    with pytest.raises(AttributeError):
        credentials.password = "changed"  # type: ignore[misc]
