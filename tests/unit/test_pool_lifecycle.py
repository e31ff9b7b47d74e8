"""Pool workers end with their parent, however it ends: a space or node
killed with SIGKILL must not leave its workers running (each holds memory;
a fault test once left hundreds behind)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

CHILD = """
import time
from trusted_space.bulk import parallel
pool = parallel._get_pool()
list(pool.map(abs, [1, -2, 3]))
print(" ".join(str(p) for p in pool._processes), flush=True)
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_workers_die_when_their_parent_is_killed() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert proc.stdout is not None
    with proc.stdout:
        workers = [int(p) for p in proc.stdout.readline().split()]
    assert workers and all(_alive(p) for p in workers)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in workers)


INTERRUPTED = """
import os, signal, time
from trusted_space.bulk import parallel
pool = parallel._get_pool()
list(pool.map(abs, [1, -2, 3]))
try:
    os.killpg(os.getpgid(0), signal.SIGINT)  # as Ctrl-C or a kernel interrupt does
    time.sleep(5)
except KeyboardInterrupt:
    pass
time.sleep(0.5)
print(list(pool.map(abs, [1, -2, 3])), flush=True)
"""


def test_an_interrupt_leaves_the_workers_quiet_and_the_pool_usable() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", INTERRUPTED],
        capture_output=True,
        text=True,
        timeout=120,
        start_new_session=True,  # its own process group: the SIGINT stays there
    )
    assert proc.stdout.strip() == "[1, 2, 3]", proc.stderr
    assert "KeyboardInterrupt" not in proc.stderr and "Traceback" not in proc.stderr
