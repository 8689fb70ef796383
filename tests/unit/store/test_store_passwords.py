from __future__ import annotations

import hashlib

import pytest

from klingel.store.passwords import PasswordDigest, hash_password


def test_a_digest_matches_its_password_and_no_other() -> None:
    digest = hash_password("Geige am Dienstag")
    assert digest.matches("Geige am Dienstag")
    for wrong in ("Geige am dienstag", "Geige am Dienstag ", "", "\ud800"):
        assert not digest.matches(wrong)


def test_one_password_hashed_twice_gives_two_digests() -> None:
    first, second = hash_password("Bürgerbüro"), hash_password("Bürgerbüro")
    assert first.salt != second.salt and first.hashed != second.hashed
    assert first.matches("Bürgerbüro") and second.matches("Bürgerbüro")


def test_the_digest_uses_the_current_scrypt_parameters() -> None:
    digest = hash_password("Gemeinderat")
    assert (digest.n, digest.r, digest.p) == (2**14, 8, 1)
    assert (len(digest.salt), len(digest.hashed)) == (16, 32)
    assert digest.uses_current_parameters


def test_the_encoding_round_trips_with_its_parameters() -> None:
    digest = hash_password("Bürgerbüro")
    text = digest.encode()
    assert text.startswith("$scrypt$ln=14,r=8,p=1$")
    assert PasswordDigest.decode(text) == digest


def test_a_digest_made_with_other_parameters_still_verifies() -> None:
    """Raising the parameters later leaves the rooms' older digests working."""
    salt = bytes(range(16))
    hashed = hashlib.scrypt(b"Musikschule", salt=salt, n=2**10, r=4, p=2, dklen=32)
    text = PasswordDigest(salt=salt, hashed=hashed, n=2**10, r=4, p=2).encode()
    older = PasswordDigest.decode(text)
    assert older.matches("Musikschule") and not older.matches("musikschule")
    assert not older.uses_current_parameters


@pytest.mark.parametrize(
    "text",
    [
        "",
        "geheim",
        "$scrypt$ln=14,r=8,p=1$$",
        "$scrypt$ln=14,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$not*base64",
        "$scrypt$ln=14,r=8,p=1$AAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  # short salt
        "$scrypt$ln=0,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        # would need 128 GiB: a damaged store must not make one check allocate that
        "$scrypt$ln=30,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=14,r=0,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$scrypt$ln=14,r=8,p=99$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$argon2id$v=19$m=65536,t=3,p=4$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ],
)
def test_anything_but_a_sound_scrypt_digest_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        PasswordDigest.decode(text)


def test_the_digest_does_not_show_its_salt_or_hash() -> None:
    digest = hash_password("Gemeinderat")
    assert digest.salt.hex() not in repr(digest) and repr(digest.hashed) not in repr(digest)
