"""Real processes on 127.0.0.1 for service tests: the space, nodes, clients."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

TSPACE = str(Path(sys.executable).parent / "tspace")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Proc:
    """A background ``tspace`` process whose output goes to a log file."""

    def __init__(self, log: Path, *args: str) -> None:
        self.args = args
        self.log = log
        self.proc = self._start()

    def _start(self) -> subprocess.Popen[bytes]:
        env = {**os.environ, "TSPACE_LANG": "en", "PYTHONUNBUFFERED": "1"}
        with self.log.open("ab") as fh:  # the child keeps its own copy of the descriptor
            return subprocess.Popen(
                [TSPACE, *self.args], stdout=fh, stderr=subprocess.STDOUT, env=env
            )

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def restart(self) -> None:
        if self.proc.poll() is None:
            self.kill9()
        self.proc = self._start()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill9()

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def wait_healthy(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/v1/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not become healthy")


def admin_key(workdir: Path, name: str, role: str, keys: Path) -> Path:
    out = subprocess.run(
        [TSPACE, "admin", "add-participant", name, "--role", role, "--workdir", str(workdir)],
        capture_output=True,
        text=True,
        check=True,
    )
    path = keys / f"{name}.key"
    path.write_text(out.stdout.strip(), encoding="utf-8")
    return path
