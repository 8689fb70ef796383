from __future__ import annotations

import pytest

from klingel.rooms.keys import HostKeys, new_host_keys


def test_fresh_keys_are_long_random_and_different() -> None:
    keys = [new_host_keys() for _ in range(20)]
    secrets = [k.host for k in keys] + [k.cohost for k in keys]
    assert len(set(secrets)) == 40
    assert all(len(secret) >= 32 for secret in secrets)  # 192 bits in URL-safe base64


@pytest.mark.parametrize(
    ("claimed", "role"),
    [
        ("host-secret", "host"),
        ("cohost-secret", "cohost"),
        (None, "guest"),
        ("", "guest"),
        ("host-secre", "guest"),
        ("host-secret ", "guest"),
        ("HOST-SECRET", "guest"),
        ("\ud800", "guest"),
    ],
)
def test_only_the_exact_secret_gives_a_role(claimed: str | None, role: str) -> None:
    keys = HostKeys(host="host-secret", cohost="cohost-secret")
    assert keys.role_for(claimed) == role


def test_keys_are_never_shown() -> None:
    keys = HostKeys(host="Kq9zHost", cohost="Kq9zCohost")
    assert "Kq9z" not in repr(keys) and "Kq9z" not in str(keys)


def test_rotating_a_secret_ends_only_that_secret() -> None:
    keys = new_host_keys()
    after_hand_over = keys.with_new_host_secret()
    assert after_hand_over.role_for(keys.host) == "guest"
    assert after_hand_over.role_for(after_hand_over.host) == "host"
    assert after_hand_over.role_for(keys.cohost) == "cohost"
    after_removal = keys.with_new_cohost_secret()
    assert after_removal.role_for(keys.cohost) == "guest"
    assert after_removal.role_for(after_removal.cohost) == "cohost"
    assert after_removal.role_for(keys.host) == "host"
