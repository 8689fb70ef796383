from __future__ import annotations

import pytest

from klingel.rooms.keys import HostKeys, new_host_keys
from klingel.store import SecretDigester

DIGESTER = SecretDigester(bytes(range(32)))


def keys_of(host: str, cohost: str) -> HostKeys:
    return HostKeys(DIGESTER, DIGESTER.digest(host), DIGESTER.digest(cohost), host, cohost)


def test_fresh_keys_are_long_random_and_different() -> None:
    keys = [new_host_keys(DIGESTER) for _ in range(20)]
    secrets = [k.host for k in keys] + [k.cohost for k in keys]
    assert len(set(secrets)) == 40
    assert all(secret is not None and len(secret) >= 32 for secret in secrets)  # 192 bits


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
    assert keys_of("host-secret", "cohost-secret").role_for(claimed) == role


def test_the_digests_alone_give_the_same_roles() -> None:
    """After a restart the store's digests are all there is: the host link still works."""
    known = new_host_keys(DIGESTER)
    assert known.host is not None and known.cohost is not None
    restored = HostKeys.of_digests(DIGESTER, known.host_digest, known.cohost_digest)
    assert (restored.host, restored.cohost) == (None, None)
    assert restored.role_for(known.host) == "host"
    assert restored.role_for(known.cohost) == "cohost"
    assert restored.role_for("someone's guess") == "guest"
    # Another server key makes nothing match: the digests are keyed.
    other = HostKeys.of_digests(SecretDigester(bytes(32)), known.host_digest, known.cohost_digest)
    assert other.role_for(known.host) == "guest"


def test_a_secret_seen_in_a_join_is_known_from_then_on() -> None:
    known = new_host_keys(DIGESTER)
    assert known.host is not None and known.cohost is not None
    restored = HostKeys.of_digests(DIGESTER, known.host_digest, known.cohost_digest)
    after_host = restored.knowing("host", known.host)
    assert (after_host.host, after_host.cohost) == (known.host, None)
    after_both = after_host.knowing("cohost", known.cohost)
    assert (after_both.host, after_both.cohost) == (known.host, known.cohost)
    assert after_both.knowing("guest", "anything") is after_both


def test_keys_are_never_shown() -> None:
    keys = keys_of("Kq9zHost", "Kq9zCohost")
    assert "Kq9z" not in repr(keys) and "Kq9z" not in str(keys)
    assert keys.host_digest.hex() not in repr(keys)


def test_rotating_a_secret_ends_only_that_secret() -> None:
    keys = new_host_keys(DIGESTER)
    after_hand_over = keys.with_new_host_secret()
    assert after_hand_over.role_for(keys.host) == "guest"
    assert after_hand_over.role_for(after_hand_over.host) == "host"
    assert after_hand_over.role_for(keys.cohost) == "cohost"
    assert after_hand_over.host_digest != keys.host_digest
    assert after_hand_over.cohost_digest == keys.cohost_digest
    after_removal = keys.with_new_cohost_secret()
    assert after_removal.role_for(keys.cohost) == "guest"
    assert after_removal.role_for(after_removal.cohost) == "cohost"
    assert after_removal.role_for(keys.host) == "host"
