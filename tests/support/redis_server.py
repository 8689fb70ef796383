"""A ``redis-server`` (Debian's package) started as a child process for a test: listening on
a Unix socket only (no TCP port), with a password, keeping nothing on disk."""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from klingel.store.redis_store import RedisAddress

__all__ = ["RedisServer", "redis_server_binary", "running_redis"]


def redis_server_binary() -> str:
    """The path of ``redis-server``; the test is skipped without it (scripts/test.sh installs
    the package)."""
    path = shutil.which("redis-server")
    if path is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    return path


@dataclass
class RedisServer:
    """One ``redis-server`` in its own temporary directory (short, for the socket's path)."""

    directory: Path
    password: str = field(default_factory=lambda: secrets.token_urlsafe(24))
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
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        assert self._process.stdin is not None
        self._process.stdin.write(f"requirepass {self.password}\n".encode())
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


def running_redis() -> Iterator[RedisServer]:
    """A started server in a fresh temporary directory; stopped and removed after."""
    directory = Path(tempfile.mkdtemp(prefix="klingel-redis-"))
    server = RedisServer(directory)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)
