from __future__ import annotations

import hashlib
import hmac
import stat
from pathlib import Path

import pytest

from klingel.store import SecretDigester, StoreError, StoreErrorCode


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_key_is_made_once_in_a_private_file(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    SecretDigester.open(data_dir)
    key = (data_dir / "store.key").read_bytes()
    assert len(key) == 32
    assert mode(data_dir) == 0o700 and mode(data_dir / "store.key") == 0o600
    SecretDigester.open(data_dir)
    assert (data_dir / "store.key").read_bytes() == key
    assert sorted(path.name for path in data_dir.iterdir()) == ["store.key"]


def test_the_same_key_gives_the_same_digests_after_a_restart(tmp_path: Path) -> None:
    before = SecretDigester.open(tmp_path).digest("host-secret")
    after = SecretDigester.open(tmp_path)
    assert after.digest("host-secret") == before
    assert after.matches("host-secret", before)


def test_the_digest_is_hmac_sha256_with_the_key(tmp_path: Path) -> None:
    digester = SecretDigester.open(tmp_path)
    key = (tmp_path / "store.key").read_bytes()
    expected = hmac.new(key, b"Kq9z-secret", hashlib.sha256).digest()
    assert digester.digest("Kq9z-secret") == expected


def test_another_key_gives_other_digests(tmp_path: Path) -> None:
    first = SecretDigester.open(tmp_path / "one")
    second = SecretDigester.open(tmp_path / "two")
    assert first.digest("host-secret") != second.digest("host-secret")
    assert first.digest("host-secret") != first.digest("host-secreT")


def test_only_the_exact_secret_matches(tmp_path: Path) -> None:
    digester = SecretDigester.open(tmp_path)
    digest = digester.digest("host-secret")
    for wrong in ("", "host-secre", "host-secret ", "HOST-SECRET", "\ud800"):
        assert not digester.matches(wrong, digest)
    assert not digester.matches("host-secret", digest[:16])


@pytest.mark.parametrize("size", [0, 16, 31, 33, 64])
def test_a_key_file_of_the_wrong_size_is_refused_and_kept(tmp_path: Path, size: int) -> None:
    key_file = tmp_path / "store.key"
    key_file.write_bytes(b"k" * size)
    with pytest.raises(StoreError) as caught:
        SecretDigester.open(tmp_path)
    assert caught.value.code is StoreErrorCode.CORRUPT
    assert "store.key" not in caught.value.message and str(tmp_path) not in caught.value.message
    assert key_file.read_bytes() == b"k" * size


def test_the_key_is_never_shown(tmp_path: Path) -> None:
    digester = SecretDigester.open(tmp_path)
    key = (tmp_path / "store.key").read_bytes()
    assert key.hex() not in repr(digester) and repr(key) not in repr(digester)
