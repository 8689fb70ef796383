"""The worker's self-signed DTLS certificate and SDP fingerprints (RFC 8122).

Browsers check a DTLS peer only against the fingerprint in the SDP answer, so the certificate
carries a random name and nothing else. Written against ``cryptography`` directly: importing
aiortc's helpers would load all of aiortc (and PyAV) into every worker.
"""

from __future__ import annotations

import datetime
import secrets

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

__all__ = ["DIGEST_ALGORITHMS", "certificate_fingerprint", "self_signed_certificate"]

DIGEST_ALGORITHMS: dict[str, hashes.HashAlgorithm] = {
    "sha-256": hashes.SHA256(),
    "sha-384": hashes.SHA384(),
    "sha-512": hashes.SHA512(),
}
VALIDITY = datetime.timedelta(days=365)


def self_signed_certificate(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, secrets.token_hex(16))])
    now = datetime.datetime.now(tz=datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + VALIDITY)
        .sign(key, hashes.SHA256())
    )


def certificate_fingerprint(certificate: x509.Certificate, algorithm: str) -> str:
    """Upper-case hex pairs joined by colons, as ``a=fingerprint`` writes them."""
    return certificate.fingerprint(DIGEST_ALGORITHMS[algorithm]).hex(":").upper()
