"""An SFU worker process: ``python -m klingel.sfu FD``, started by ``klingel.sfu.pool``.

FD is this process's end of the socketpair to the parent. The first message on it is
``Start``: the parent's import path and the worker's settings. Starting the worker as a plain
``python -m`` keeps it light: it imports only the media code, not the web server that started
it, and no helper process of ``multiprocessing`` runs beside it.
"""

from __future__ import annotations

import pickle
import socket
import sys

from klingel.sfu.ipc import Start, read_frame_blocking
from klingel.sfu.worker import WorkerSpec, run_worker


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not (argv[0].isascii() and argv[0].isdigit()):
        print("usage: python -m klingel.sfu FD (started by the SFU pool)", file=sys.stderr)
        return 2
    sock = socket.socket(fileno=int(argv[0]))
    start = read_frame_blocking(sock)
    if not isinstance(start, Start):
        return 2  # the parent went away before saying how to start
    sys.path[:] = start.search_path
    spec = pickle.loads(start.spec)
    if not isinstance(spec, WorkerSpec):
        return 2
    run_worker(spec, sock)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
