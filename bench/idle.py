"""Memory of an idle server (the server process plus every SFU worker) and time to ready.

Time to ready: from starting ``python -m klingel serve`` until ``/healthz`` answers ok with all
workers up. Memory: resident set size summed over the process tree, after 5 s idle, and the
proportional set size, which counts pages shared between the processes once.
"""

from __future__ import annotations

import time
from pathlib import Path

from harness import median, require_netns, save, start_server

RUNS = 3
PAGE_SIZE = 4096


def process_tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # The command name may hold spaces: the fields after it start past the last ")".
        fields = text.rsplit(")", 1)[1].split()
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        found.append(pid)
        queue.extend(children.get(pid, []))
    return found


def rss_bytes(pid: int) -> int:
    try:
        resident = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, IndexError):
        return 0
    return resident * PAGE_SIZE


def pss_bytes(pid: int) -> int:
    """Proportional set size: shared pages (Python, libraries) divided among their sharers,
    so that the sum over the workers does not count them several times."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return 0


def main() -> None:
    require_netns()
    ready, memory, proportional, processes = [], [], [], 0
    for run in range(RUNS):
        server = start_server(f"idle-{run}")
        try:
            ready.append(server.ready_after)
            time.sleep(5)
            tree = process_tree(server.pid)
            processes = len(tree)
            memory.append(sum(rss_bytes(pid) for pid in tree) / 2**20)
            proportional.append(sum(pss_bytes(pid) for pid in tree) / 2**20)
        finally:
            server.stop()
    save(
        "idle",
        {
            "runs": RUNS,
            "workers": 2,
            "processes": processes,
            "ready_seconds_median": round(median(ready), 3),
            "ready_seconds_max": round(max(ready), 3),
            "idle_rss_mib_median": round(median(memory), 1),
            "idle_pss_mib_median": round(median(proportional), 1),
        },
    )


if __name__ == "__main__":
    main()
