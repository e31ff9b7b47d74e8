"""Operating a space: a backup taken while it runs restores into an empty
folder with every ledger entry verifying, the restored space serves the same
participants; a damaged archive or a non-empty target is refused; rotating a
participant's key revokes the old ones."""

from __future__ import annotations

import io
import json
import re
import sqlite3
import subprocess
import tarfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.service.procs import TSPACE
from tests.service.world import World
from trusted_space.core.errors import InputError
from trusted_space.service.app import create_app
from trusted_space.service.settings import ServiceSettings
from trusted_space.space.backup import backup, restore


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = World(tmp_path_factory.mktemp("operating"), "default")
    yield w
    w.space.close()


def tspace(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TSPACE, "--lang", "en", *args], capture_output=True, text=True, timeout=120
    )


def _count(db: Path, sql: str) -> int:
    con = sqlite3.connect(db)
    try:
        return int(con.execute(sql).fetchone()[0])
    finally:
        con.close()


def test_a_live_backup_restores_and_verifies(world: World, tmp_path: Path) -> None:
    """A backup taken while the space writes (a participant and its ledger
    entry per transaction) holds a consistent snapshot: some of the writes,
    each whole, in order, and the ledger a prefix of the live one."""
    workdir = world.space.store.dir.parent  # the service's folder (DIR/space/space.sqlite)
    live = world.space.store.dir / "space.sqlite"
    archive = tmp_path / "b" / "space.tar.gz"
    added: list[str] = []
    stop = threading.Event()

    def write() -> None:
        while not stop.is_set():
            world.space.add_participant(None, f"live-{len(added)}", "consumer")
            added.append(f"live-{len(added)}")

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(added) < 3:  # writing before the backup starts
            time.sleep(0.01)
        started = _count(live, "SELECT max(seq) FROM ledger")
        done = tspace("admin", "backup", "--workdir", str(workdir), "--out", str(archive))
        ended = _count(live, "SELECT max(seq) FROM ledger")
    finally:
        stop.set()
        writer.join()
    assert done.returncode == 0, done.stderr
    snap = int(re.search(r"(\d+) ledger entries", done.stdout).group(1))  # type: ignore[union-attr]
    assert started < snap < ended, (started, snap, ended)  # taken during the writes
    assert [p.name for p in archive.parent.iterdir()] == ["space.tar.gz"]  # nothing left over
    target = tmp_path / "restored"
    done = tspace("admin", "restore", str(archive), "--workdir", str(target))
    assert done.returncode == 0, done.stderr
    verified = tspace("ledger", "verify", "--workdir", str(target))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    restored_db = target / "space" / "space.sqlite"
    # Every write whole, the first ones: each live participant with its ledger entry.
    con = sqlite3.connect(restored_db)
    names = sorted(n for (n,) in con.execute("SELECT name FROM participants"))
    names = [n for n in names if n.startswith("live-")]
    logged = [
        json.loads(e)["details"].get("name", "") for (e,) in con.execute("SELECT entry FROM ledger")
    ]
    con.close()
    assert names == sorted(n for n in logged if n.startswith("live-"))
    assert names == sorted(added[: len(names)]) and 0 < len(names) < len(added)
    assert _count(restored_db, "SELECT count(*) FROM ledger") == snap
    prefix = "SELECT seq, entry FROM ledger WHERE seq <= ? ORDER BY seq"
    ours, theirs = sqlite3.connect(restored_db), sqlite3.connect(live)
    assert ours.execute(prefix, (snap,)).fetchall() == theirs.execute(prefix, (snap,)).fetchall()
    ours.close()
    theirs.close()
    restored = create_app(ServiceSettings(workdir=target))
    with TestClient(restored) as client:
        me = client.get(
            "/v1/participants/me", headers={"Authorization": f"Bearer {world.keys['steward']}"}
        )
        assert me.status_code == 200 and me.json()["name"] == "steward"
        assert restored.state.space.key.public_bytes() == world.space.key.public_bytes()
    again = tspace("admin", "restore", str(archive), "--workdir", str(target))
    assert again.returncode == 2 and "already holds a space" in again.stderr


def test_a_damaged_or_foreign_archive_is_refused(world: World, tmp_path: Path) -> None:
    archive = tmp_path / "space.tar.gz"
    manifest = backup(world.space.store.dir.parent, archive)
    with tarfile.open(archive, "r:gz") as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]
    key = next(n for n in members if n.startswith("space/keys/"))
    cases = {
        "changed key": {**members, key: members[key][:-1] + b"!"},
        "extra file": {**members, "../evil": b"x"},
        "no manifest": {k: v for k, v in members.items() if k != "manifest.json"},
    }
    for label, files in cases.items():
        bad = tmp_path / f"{label}.tar.gz"
        with tarfile.open(bad, "w:gz") as tar:
            for name, data in files.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        with pytest.raises(InputError):
            restore(bad, tmp_path / label)
        assert not (tmp_path / label / "space").exists(), label
    assert json.loads(members["manifest.json"])["files"] == manifest["files"]


def test_rotating_a_key_revokes_the_old_ones(world: World) -> None:
    old = world.keys["other_consumer"]
    assert world.space.authenticate(old) == "insurer2"
    new = world.space.rotate_key(None, "insurer2")
    assert world.space.authenticate(new) == "insurer2"
    with pytest.raises(Exception, match="revoked"):
        world.space.authenticate(old)
    # A checkpoint may close the ledger between the two at any moment.
    kinds = [e.kind for e in world.space.ledger.entries() if e.kind != "checkpoint"][-2:]
    assert kinds == ["api_keys_revoked", "api_key_issued"]
