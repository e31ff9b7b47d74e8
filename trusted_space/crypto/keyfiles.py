"""Secret key files: created once, readable only by their owner.

Each party's keys live in its own folder (a node's ``keys/``, the space's
``space/keys/``). Files are written through a temporary file and a rename
with mode 0600, so a crash never leaves half a key.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from trusted_space.core.private import private_dir
from trusted_space.crypto import CryptoSuite, SealingKey, SigningKey


def write_secret(path: Path, data: bytes) -> None:
    private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_or_create_signing_key(suite: CryptoSuite, key_dir: Path) -> SigningKey:
    path = Path(key_dir) / f"signing.{suite.name}.key"
    if path.exists():
        return suite.load_signing_key(path.read_bytes())
    key = suite.new_signing_key()
    write_secret(path, key.export_secret())
    return key


def load_or_create_sealing_key(suite: CryptoSuite, key_dir: Path) -> SealingKey:
    path = Path(key_dir) / f"sealing.{suite.name}.key"
    if path.exists():
        return suite.load_sealing_key(path.read_bytes())
    key = suite.new_sealing_key()
    write_secret(path, key.export_secret())
    return key


def write_secret_json(path: Path, data: dict[str, Any]) -> None:
    write_secret(path, json.dumps(data).encode())


def read_secret_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(Path(path).read_text())
    return data


class WatchedJson:
    """A small JSON file (pins, approved models) as it is on disk now.

    ``read`` reads the file's bytes on every call and parses them again only
    when they differ from the last ones seen: a file another process
    rewrote (``tspace keys trust``, ``tspace node --approve-model``, a
    person's edit) is seen at the very next call, however soon, and an
    unchanged one costs one read, not a parse. Callers must not change the
    dict returned. A missing file reads as ``{}``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._raw: bytes | None = None
        self._data: dict[str, Any] = {}

    def read(self) -> dict[str, Any]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            self._raw, self._data = None, {}
            return self._data
        if raw != self._raw:
            data: dict[str, Any] = json.loads(raw)
            self._raw, self._data = raw, data
        return self._data

    def write(self, data: dict[str, Any]) -> None:
        """Write ``data`` (through a temporary file and a rename, mode 0600)."""
        raw = json.dumps(data).encode()
        write_secret(self.path, raw)
        self._raw, self._data = raw, json.loads(raw)
