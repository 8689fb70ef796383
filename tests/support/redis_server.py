"""A ``redis-server`` (Debian's package) started as a child process for a test: listening on
a Unix socket (no plain TCP port), with a password, keeping nothing on disk. With ``tls=True``
it also listens with TLS on a free port of 127.0.0.1, with a certificate for that address
from a throwaway CA made in its temporary directory."""

from __future__ import annotations

import datetime
import ipaddress
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from klingel.store.redis_store import RedisAddress

__all__ = ["RedisServer", "TlsFiles", "make_tls_files", "redis_server_binary", "running_redis"]

TLS_HOST = "127.0.0.1"


def redis_server_binary() -> str:
    """The path of ``redis-server``; the test is skipped without it (scripts/test.sh installs
    the package)."""
    path = shutil.which("redis-server")
    if path is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    return path


@dataclass(frozen=True)
class TlsFiles:
    """PEM files: a throwaway CA, and a certificate for 127.0.0.1 it signed, with its key."""

    ca: Path
    certificate: Path
    key: Path


def make_tls_files(directory: Path, name: str = "Klingel test") -> TlsFiles:
    """A fresh CA (its key is thrown away) and a server certificate for 127.0.0.1 (an IP
    subject alternative name, which the client checks), valid for a day, in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signs_certificates=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, TLS_HOST)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(TLS_HOST))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signs_certificates=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    files = TlsFiles(
        ca=directory / "ca.pem", certificate=directory / "redis.crt", key=directory / "redis.key"
    )
    files.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.certificate.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    files.key.touch(mode=0o600)
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


def _key_usage(*, signs_certificates: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not signs_certificates,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=signs_certificates,
        crl_sign=signs_certificates,
        encipher_only=False,
        decipher_only=False,
    )


def _free_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((TLS_HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class RedisServer:
    """One ``redis-server`` in its own temporary directory (short, for the socket's path).
    With ``tls``, it also listens with TLS on 127.0.0.1 (``tls_port``, ``tls_url``)."""

    directory: Path
    password: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    tls: bool = False
    tls_files: TlsFiles | None = field(default=None, init=False)
    tls_port: int | None = field(default=None, init=False)
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def socket_path(self) -> Path:
        return self.directory / "redis.sock"

    @property
    def url(self) -> str:
        """The ``unix://`` URL with the password in it."""
        return f"unix://:{self.password}@{self.socket_path}"

    @property
    def bare_url(self) -> str:
        """The ``unix://`` URL without a password (for ``--redis-password-file``)."""
        return f"unix://{self.socket_path}"

    def address(self) -> RedisAddress:
        return RedisAddress(self.url)

    def tls_url(self, *, ca: Path | None = None, with_password: bool = True) -> str:
        """The ``rediss://`` URL of the TLS port, database 0, trusting ``ca`` (by default the
        CA that signed the server's certificate) through redis-py's ``ssl_ca_certs``."""
        if self.tls_files is None or self.tls_port is None:
            raise RuntimeError("this redis-server was not started with tls=True")
        credentials = f":{self.password}@" if with_password else ""
        ca_file = quote(str(ca or self.tls_files.ca), safe="/")
        return f"rediss://{credentials}{TLS_HOST}:{self.tls_port}/0?ssl_ca_certs={ca_file}"

    def start(self, *, timeout: float = 10.0) -> None:
        # The password goes in on standard input (a config file read from "-"), not in argv,
        # where every user of the machine could read it.
        command = [
            redis_server_binary(),
            "-",
            "--port",
            "0",
            "--unixsocket",
            str(self.socket_path),
            "--unixsocketperm",
            "700",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.directory),
            "--logfile",
            str(self.directory / "redis.log"),
        ]
        settings = [f"requirepass {self.password}"]
        if self.tls:
            settings += self._tls_settings()
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        assert self._process.stdin is not None
        self._process.stdin.write("".join(f"{line}\n" for line in settings).encode())
        self._process.stdin.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"redis-server ended at start: {self.log_tail()}")
            if self._answers_ping():
                return
            time.sleep(0.02)
        self.stop()
        raise RuntimeError("redis-server did not answer PING in time")

    def _tls_settings(self) -> list[str]:
        """redis.conf lines, as docs/store.md gives them (``port 0`` is in the command)."""
        if self.tls_files is None:
            self.tls_files = make_tls_files(self.directory / "tls")
        self.tls_port = _free_tcp_port()
        return [
            f"bind {TLS_HOST}",
            f"tls-port {self.tls_port}",
            f"tls-cert-file {self.tls_files.certificate}",
            f"tls-key-file {self.tls_files.key}",
            f"tls-ca-cert-file {self.tls_files.ca}",
            "tls-auth-clients no",
        ]

    def _answers_ping(self) -> bool:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                client.settimeout(1.0)
                client.connect(str(self.socket_path))
                client.sendall(_command("AUTH", self.password) + _command("PING"))
                answer = b""
                while b"+PONG" not in answer:
                    chunk = client.recv(256)
                    if not chunk:
                        return False
                    answer += chunk
                return True
        except OSError:
            return False

    def flush(self) -> None:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(5.0)
            client.connect(str(self.socket_path))
            client.sendall(_command("AUTH", self.password) + _command("FLUSHALL"))
            answer = b""
            while answer.count(b"+OK") < 2:  # AUTH's and FLUSHALL's
                chunk = client.recv(256)
                if not chunk:
                    raise RuntimeError(f"redis-server did not flush: {answer!r}")
                answer += chunk

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def log_tail(self) -> str:
        try:
            return (self.directory / "redis.log").read_text(errors="replace")[-2000:]
        except OSError:
            return ""


def _command(*words: str) -> bytes:
    encoded = [word.encode() for word in words]
    return b"*%d\r\n" % len(encoded) + b"".join(
        b"$%d\r\n%s\r\n" % (len(word), word) for word in encoded
    )


def running_redis(*, tls: bool = False) -> Iterator[RedisServer]:
    """A started server in a fresh temporary directory (with ``tls``, also on a TLS port);
    stopped and removed after."""
    directory = Path(tempfile.mkdtemp(prefix="klingel-redis-"))
    server = RedisServer(directory, tls=tls)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)
