"""Operating a space: a backup taken while it runs restores into an empty
folder with every ledger entry verifying, the restored space serves the same
participants; a damaged archive or a non-empty target is refused; rotating a
participant's key revokes the old ones."""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
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


def test_a_live_backup_restores_and_verifies(world: World, tmp_path: Path) -> None:
    workdir = world.space.store.dir.parent  # the service's folder (DIR/space/space.sqlite)
    archive = tmp_path / "b" / "space.tar.gz"
    done = tspace("admin", "backup", "--workdir", str(workdir), "--out", str(archive))
    assert done.returncode == 0, done.stderr
    entries = sum(1 for _ in world.space.ledger.entries())
    assert f"{entries} ledger entries" in done.stdout
    assert [p.name for p in archive.parent.iterdir()] == ["space.tar.gz"]  # nothing left over
    target = tmp_path / "restored"
    done = tspace("admin", "restore", str(archive), "--workdir", str(target))
    assert done.returncode == 0, done.stderr
    verified = tspace("ledger", "verify", "--workdir", str(target))
    assert verified.returncode == 0, verified.stdout + verified.stderr
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
    kinds = [e.kind for e in world.space.ledger.entries()][-2:]
    assert kinds == ["api_keys_revoked", "api_key_issued"]
