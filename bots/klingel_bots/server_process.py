"""A Klingel server run as a child process on loopback, for tests and benchmarks."""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

__all__ = ["ServerProcess", "free_tcp_port", "free_udp_port_range"]

_HOST = "127.0.0.1"


def free_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((_HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def free_udp_port_range(size: int, *, attempts: int = 50) -> tuple[int, int]:
    """A range of ``size`` consecutive UDP ports on 127.0.0.1 that are free right now."""
    rng = random.Random()
    for _ in range(attempts):
        first = rng.randrange(20000, 60000 - size)
        sockets: list[socket.socket] = []
        try:
            for port in range(first, first + size):
                probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                sockets.append(probe)
                probe.bind((_HOST, port))
        except OSError:
            continue
        finally:
            for probe in sockets:
                probe.close()
        return first, first + size - 1
    raise RuntimeError(f"no {size} consecutive free UDP ports found")


@dataclass(slots=True)
class ServerProcess:
    """``python -m klingel serve`` on 127.0.0.1 with free ports; its output goes to ``log_path``.

    Its room store lies in ``data_dir``; without one, in a temporary directory of its own that
    ``stop`` deletes (a server started again on a given ``data_dir`` finds its rooms there).
    Use as a context manager, or call ``start`` and ``stop``.
    """

    log_path: Path
    workers: int = 2
    metrics: bool = True
    announce_ip: str = _HOST
    extra_args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None  # the server's working directory (default: the caller's)
    python: str = sys.executable  # the interpreter that runs ``-m klingel`` (another venv's)
    data_dir: Path | None = None
    node_id: str | None = None
    """With ``--redis`` in ``extra_args``: the node's name; its node URL is its own address."""
    host: str = _HOST
    """The address the server listens on (its web side; its SFU announces ``announce_ip``)."""
    launcher: Callable[[list[str]], list[str]] | None = None
    """Wraps the command (to start it in a network namespace of its own, say)."""
    on_spawn: Callable[[int], None] | None = None
    """Called with the new process's pid before ``start`` waits for it to be ready."""
    ready_poll_seconds: float = 0.05  # how often ``start`` asks ``/healthz``
    port: int = 0
    udp_ports: tuple[int, int] = (0, 0)
    started_at: float = 0.0
    ready_after: float = 0.0
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _own_data_dir: Path | None = field(default=None, init=False, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        if self._process is None:
            raise RuntimeError("server not started")
        return self._process.pid

    def command(self) -> list[str]:
        command = [
            self.python,
            "-m",
            "klingel",
            "serve",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--announce-ip",
            self.announce_ip,
            "--udp-ports",
            f"{self.udp_ports[0]}-{self.udp_ports[1]}",
            "--workers",
            str(self.workers),
            "--data-dir",
            str(self._store_directory()),
        ]
        if self.metrics:
            command.append("--metrics")
        if self.node_id is not None:
            command.extend(("--node-id", self.node_id, "--node-url", self.base_url))
        command.extend(self.extra_args)
        return command if self.launcher is None else self.launcher(command)

    def _store_directory(self) -> Path:
        if self.data_dir is not None:
            return self.data_dir
        if self._own_data_dir is None:
            self._own_data_dir = Path(tempfile.mkdtemp(prefix="klingel-data-"))
        return self._own_data_dir

    def start(self, *, timeout: float = 30.0) -> None:
        """Start the server and wait until ``/healthz`` says ok with every worker up."""
        self.port = free_tcp_port()
        self.udp_ports = free_udp_port_range(max(self.workers, 1) * 4)
        self._launch(timeout)

    def start_again(self, *, timeout: float = 30.0) -> None:
        """After ``kill``: start the server on the same ports and data directory, as its
        service manager would, and wait until it is ready."""
        if self.is_running():
            raise RuntimeError("the server is still running")
        self._launch(timeout)

    def kill(self, *, timeout: float = 10.0) -> None:
        """SIGKILL the server process alone, as a crash would, and wait until its worker
        processes (which see their socketpair close) have gone too; whatever of its process
        group still lives after ``timeout`` is killed."""
        process = self._process
        if process is None:
            raise RuntimeError("server not started")
        process.kill()
        process.wait(timeout)
        deadline = time.monotonic() + timeout
        while _group_alive(process.pid):
            if time.monotonic() > deadline:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                break
            time.sleep(0.01)

    def _launch(self, timeout: float) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.started_at = time.monotonic()
            self._process = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1", **self.env},
                cwd=self.cwd,
                # A group of its own, so that stopping it also stops its worker processes.
                start_new_session=True,
            )
        try:
            if self.on_spawn is not None:
                self.on_spawn(self._process.pid)
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        self.ready_after = time.monotonic() - self.started_at

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last_problem = "no answer"
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"klingel serve exited with {self._process.returncode} before it was "
                    f"ready; its log: {self.log_path}\n{self.log_tail()}"
                )
            try:
                health = self.get_json("/healthz", timeout=2.0)
            except (OSError, ValueError) as problem:
                last_problem = repr(problem)
            else:
                if health.get("status") == "ok" and health.get("workers") == self.workers:
                    return
                last_problem = f"/healthz said {health!r}"
            time.sleep(self.ready_poll_seconds)
        raise TimeoutError(
            f"klingel serve not ready within {timeout} s ({last_problem}); "
            f"its log: {self.log_path}\n{self.log_tail()}"
        )

    def get_text(self, path: str, *, timeout: float = 5.0) -> str:
        with urllib.request.urlopen(self.base_url + path, timeout=timeout) as response:
            body: bytes = response.read()
            return body.decode()

    def get_json(self, path: str, *, timeout: float = 5.0) -> dict[str, object]:
        value = json.loads(self.get_text(path, timeout=timeout))
        if not isinstance(value, dict):
            raise ValueError(f"{path} did not return a JSON object")
        return value

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self, *, timeout: float = 10.0) -> int | None:
        """Stop the server (SIGTERM, then SIGKILL) and its whole process group."""
        process = self._process
        if process is None:
            self._forget_own_data_dir()
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)
        # Worker processes that outlived their parent belong to its group: end them too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        self._forget_own_data_dir()
        return process.returncode

    def _forget_own_data_dir(self) -> None:
        if self._own_data_dir is not None:
            shutil.rmtree(self._own_data_dir, ignore_errors=True)
            self._own_data_dir = None

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _group_alive(group: int) -> bool:
    """Whether a process of process group ``group`` still runs (zombies do not count)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # After the command's closing parenthesis: state, ppid, pgrp.
        if int(fields[2]) == group and fields[0] != "Z":
            return True
    return False
