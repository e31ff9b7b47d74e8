"""Real processes on 127.0.0.1 for service tests: the space, nodes, clients."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from tests.cli_runner import run_tspace
from tests.service.recorder import Recorder
from trusted_space.hazmat.paillier import TEST_ONLY_KEYS_ENV
from trusted_space.transport.tls import tls_context

TSPACE = str(Path(sys.executable).parent / "tspace")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Proc:
    """A background ``tspace`` process whose output goes to a log file."""

    def __init__(self, log: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.args = args
        self.log = log
        self.env = env or {}
        self.proc = self._start()

    def _start(self) -> subprocess.Popen[bytes]:
        env = {**os.environ, "TSPACE_LANG": "en", "PYTHONUNBUFFERED": "1", **self.env}
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


def wait_text(proc: Proc, text: str, count: int = 1, timeout: float = 120.0) -> None:
    """Wait until ``text`` appears ``count`` times in the process's log."""
    deadline = time.monotonic() + timeout
    while proc.text().count(text) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"never saw {text!r} in {proc.log}")
        if proc.proc.poll() is not None:
            raise RuntimeError(f"{proc.log} ended before {text!r}: {proc.text()[-2000:]}")
        time.sleep(0.05)


def wait_healthy(url: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    # One client for every probe (a client per probe rebuilt its TLS context each time).
    with httpx.Client(timeout=1.0, verify=tls_context()) as client:
        while time.monotonic() < deadline:
            try:
                if client.get(f"{url}/v1/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not become healthy")


def admin_key(
    workdir: Path,
    name: str,
    role: str,
    keys: Path,
    suite: str = "default",
    appointments: Sequence[Path] = (),
) -> Path:
    args = ["admin", "add-participant", name, "--role", role, "--workdir", str(workdir)]
    args += ["--suite", suite]
    for appointment in appointments:
        args += ["--appointment", str(appointment)]
    out = run_tspace(*args)
    assert out.returncode == 0, out.stderr
    path = keys / f"{name}.key"
    path.write_text(out.stdout.strip(), encoding="utf-8")
    return path


def appointment(url: str, owner: str, key: Path, node_dir: Path, steward: str, out: Path) -> Path:
    """``owner``'s signed appointment of ``steward``, made with its node's key
    (``tspace client appoint-steward``), in ``out``."""
    args = ["client", "appoint-steward", steward, "--space", url, "--api-key-file", str(key)]
    args += ["--workdir", str(node_dir), "--out", str(out)]
    done = run_tspace(*args)
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def add_steward(
    url: str,
    space_dir: Path,
    keys: Path,
    owners: dict[str, Path],
    name: str = "steward",
    suite: str = "default",
) -> Path:
    """The steward ``name`` added by the operator with the signed appointment
    of each owner (owner -> its node's folder), whose nodes have registered
    their keys; its API key file."""
    papers = [
        appointment(url, owner, keys / f"{owner}.key", node, name, keys / f"{owner}-{name}.json")
        for owner, node in owners.items()
    ]
    return admin_key(space_dir, name, "steward", keys, suite, papers)


class ServiceDeployment:
    """A space and its provider nodes, each a real process on 127.0.0.1, plus
    API keys for consumers and a steward."""

    def __init__(
        self,
        root: Path,
        providers: dict[str, list[str]],
        consumers: list[str],
        lease: float = 4,
        suite: str = "default",
        record: bool = False,
        verbose: bool = False,
        space_env: dict[str, str] | None = None,
        production_keys: bool = False,
    ) -> None:
        """``record``: every party reaches the space through a recording proxy
        (``self.recorder``); ``verbose``: every process logs at DEBUG; without
        ``production_keys`` every process makes and accepts the fast
        TEST_ONLY_PAILLIER_1024 keys (``self.env``, given to each process)."""
        self.root = root
        self.env = {} if production_keys else {TEST_ONLY_KEYS_ENV: "1"}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.recorder: Recorder | None = None
        loud = ["--verbose"] if verbose else []
        keys = root / "keys"
        keys.mkdir()
        space_dir = root / "space"
        self.db_path = space_dir / "space" / "space.sqlite"
        roles = {**dict.fromkeys(providers, "provider"), **dict.fromkeys(consumers, "consumer")}
        self.keys = {
            name: admin_key(space_dir, name, role, keys, suite) for name, role in roles.items()
        }
        self.space = Proc(
            root / "space.log",
            "serve",
            "--workdir",
            str(space_dir),
            "--port",
            str(self.port),
            "--lease-seconds",
            str(lease),
            "--suite",
            suite,
            "--console-insecure-cookie",  # plain HTTP on loopback
            *loud,
            env={**self.env, **(space_env or {})},
        )
        self.space_env = dict(self.space.env)  # what restart_space() goes back to
        wait_healthy(self.url)
        if record:
            self.recorder = Recorder(self.url)
        self.via = self.recorder.url if self.recorder else self.url  # what the parties call
        self.nodes: dict[str, Proc] = {}
        for name, data in providers.items():
            args = [
                "node",
                "--space",
                self.via,
                "--name",
                name,
                "--api-key-file",
                str(self.keys[name]),
                "--workdir",
                str(root / "nodes" / name),
            ]
            for d in data:
                args += ["--data", d]
            args += loud
            self.nodes[name] = Proc(root / f"{name}.log", *args, env=dict(self.env))
        self.clients: list[Proc] = []
        self.read_errors: list[str] = []
        for name in providers:  # every node loaded and offering before anyone asks
            self.wait_for(f"SELECT 1 FROM datasets WHERE provider = '{name}'", timeout=300)
        # The steward, appointed by every provider (their nodes signed in
        # above); without a provider no one could appoint one.
        if providers:
            self.keys["steward"] = add_steward(
                self.url, space_dir, keys, {n: root / "nodes" / n for n in providers}, suite=suite
            )

    def restart_space(self, **env: str) -> None:
        """Stop the space and start it again with ``env`` over the
        environment the deployment gave it (without ``env``: that
        environment, as ``space_changed`` wants it back); wait until it answers."""
        self.space.stop()
        self.space.env = {**self.space_env, **env}
        self.space.restart()
        wait_healthy(self.url)

    @property
    def space_changed(self) -> bool:
        """The space is down, or runs with another environment than the
        deployment's own (``restart_space`` with ``env``)."""
        return self.space.proc.poll() is not None or self.space.env != self.space_env

    def expire_abandoned_jobs(self) -> None:
        """Make the jobs a killed client left behind expire now rather than
        after the deployment's job timeout (which stays long, so that a job
        whose steps a loaded machine slows is never expired by mistake):
        the space starts again with a timeout of one second, counted, as
        always, from the space's start. Call it once the jobs that should
        succeed have; the next test's fixture restores the timeout."""
        self.restart_space(TSPACE_JOB_TIMEOUT_SECONDS="1")

    def steward(self, command: str, *args: str) -> None:
        key = str(self.keys["steward"])
        done = run_tspace(
            "client", command, *args, "--space", self.via, "--api-key-file", key, env=self.env
        )
        assert done.returncode == 0, done.stdout + done.stderr

    def client(
        self, consumer: str, command: str, *args: str, env: dict[str, str] | None = None
    ) -> Proc:
        proc = Proc(
            self.root / f"client-{consumer}.log",
            "client",
            command,
            "--space",
            self.via,
            "--api-key-file",
            str(self.keys[consumer]),
            "--workdir",
            str(self.root / "clients" / consumer),
            *args,
            env={**self.env, **(env or {})},
        )
        self.clients.append(proc)
        return proc

    def db_rows(self, sql: str) -> list[tuple[object, ...]]:
        """Read the space's state beside the running space (WAL allows it)."""
        if not self.db_path.exists():
            return []
        db = sqlite3.connect(self.db_path, timeout=5)
        try:
            return db.execute(sql).fetchall()
        except sqlite3.OperationalError as exc:
            self.read_errors.append(str(exc))
            return []
        finally:
            db.close()

    def wait_for(self, sql: str, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.db_rows(sql):
                return
            time.sleep(0.02)
        tasks = self.db_rows("SELECT node, kind, state, attempt FROM tasks")
        jobs = self.db_rows("SELECT state, step, reasons FROM jobs")
        raise TimeoutError(
            f"never saw: {sql}; tasks {tasks}; jobs {jobs}; read errors {self.read_errors[-3:]}"
        )

    def logs(self) -> str:
        return "".join(p.read_text(errors="replace") for p in self.root.glob("*.log"))

    def stop(self) -> None:
        for proc in [*self.clients, *self.nodes.values(), self.space]:
            proc.stop()
        if self.recorder is not None:
            self.recorder.close()
