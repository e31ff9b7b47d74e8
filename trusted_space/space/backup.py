"""Back up and restore a space's folder.

``backup`` takes a consistent snapshot while the space runs: the SQLite
database through SQLite's online backup API (every committed transaction,
none half-written), the space's keys as files, and a manifest with each
file's SHA-256 and the ledger's size and last hash. The archive is written
to a temporary file and renamed, so a failed backup leaves nothing.
``restore`` unpacks an archive into an empty folder, checking every hash,
and refuses anything else. Provider and consumer nodes keep their own
folders and back them up themselves (docs/operating.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import sqlite3
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from trusted_space.core.errors import InputError, NotFound
from trusted_space.core.i18n import OnlyInEnglish, Text

FORMAT = 1
DATABASE = "space/space.sqlite"
MANIFEST = "manifest.json"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def backup(workdir: Path, out: Path) -> dict[str, Any]:
    """Write a .tar.gz of the space in ``workdir`` to ``out``; return its manifest."""
    source = Path(workdir) / DATABASE
    if not source.exists():
        raise NotFound(Text("err.space.folder.no_space", path=str(workdir)))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".tspace-backup-") as tmp:
        snapshot = Path(tmp) / "space.sqlite"
        src = sqlite3.connect(source)
        dst = sqlite3.connect(snapshot)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        files = {DATABASE: snapshot.read_bytes()}
        for key in sorted((Path(workdir) / "space" / "keys").glob("*")):
            if key.is_file():
                files[f"space/keys/{key.name}"] = key.read_bytes()
        db = sqlite3.connect(snapshot)
        try:
            suite = db.execute("SELECT value FROM meta WHERE key = 'suite'").fetchone()
            last = db.execute("SELECT seq, entry FROM ledger ORDER BY seq DESC LIMIT 1").fetchone()
        finally:
            db.close()
        manifest = {
            "format": FORMAT,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "suite": suite[0] if suite else None,
            "ledger_entries": int(last[0]) if last else 0,
            "ledger_last_hash": json.loads(last[1])["hash"] if last else None,
            "files": {name: _sha256(data) for name, data in files.items()},
        }
        partial = Path(tmp) / "backup.tar.gz"
        with tarfile.open(partial, "w:gz") as tar:
            for name, data in [(MANIFEST, json.dumps(manifest, indent=1).encode()), *files.items()]:
                info = tarfile.TarInfo(name)
                info.size = len(data)
                info.mode = 0o600
                tar.addfile(info, io.BytesIO(data))
        os.replace(partial, out)
    return manifest


def restore(archive: Path, workdir: Path) -> dict[str, Any]:
    """Unpack ``archive`` into ``workdir`` (which must hold no space); return its manifest."""
    target = Path(workdir)
    if (target / "space").exists() and any((target / "space").iterdir()):
        raise InputError(Text("err.space.backup.target_in_use", path=str(target)))
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = {m.name: m for m in tar.getmembers()}
            if MANIFEST not in members:
                raise InputError(
                    Text("err.space.backup.no_manifest", path=str(archive), manifest=MANIFEST)
                )
            manifest: dict[str, Any] = json.loads(_read(tar, members[MANIFEST]))
            if manifest.get("format") != FORMAT:
                raise InputError(
                    Text(
                        "err.space.backup.format",
                        path=str(archive),
                        format=str(manifest.get("format")),
                    )
                )
            expected = dict(manifest["files"])
            if set(members) != {MANIFEST, *expected}:
                raise InputError(Text("err.space.backup.files", path=str(archive)))
            contents = {}
            for name, digest in expected.items():
                if not (name == DATABASE or name.startswith("space/keys/")) or ".." in name:
                    raise InputError(
                        Text("err.space.backup.archive_member", path=str(archive), member=name)
                    )
                data = _read(tar, members[name])
                if _sha256(data) != digest:
                    raise InputError(
                        Text("err.space.backup.digest", path=str(archive), member=name)
                    )
                contents[name] = data
    except (tarfile.TarError, OSError, ValueError, KeyError) as exc:
        raise InputError(
            Text("err.space.backup.unreadable", path=str(archive), reason=OnlyInEnglish(f": {exc}"))
        ) from None
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target, prefix=".tspace-restore-") as tmp:
        for name, data in contents.items():
            path = Path(tmp) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            path.chmod(0o600)
        if (target / "space").exists():
            (target / "space").rmdir()  # empty, checked above
        os.replace(Path(tmp) / "space", target / "space")
    return manifest


def _read(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    if not member.isfile():
        raise InputError(Text("err.space.backup.unexpected_member", member=member.name))
    handle = tar.extractfile(member)
    if handle is None:
        raise InputError(Text("err.space.backup.unreadable_member", member=member.name))
    return handle.read()
