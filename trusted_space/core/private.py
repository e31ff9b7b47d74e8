"""State folders and files readable by their owner only.

A node's DuckDB file holds a provider's rows; the space's SQLite file holds
its ledger, sealed boxes and ciphertexts; key folders hold secret keys.
Each is created in a folder of mode 0700 and is itself 0600. The databases
create side files later (DuckDB's write-ahead log is made 0644 whenever it
reappears), so a process that opens a state folder also narrows its umask to
077: everything it creates afterwards is its owner's alone.
"""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def owner_only_umask() -> None:
    """Narrow this process's umask so new files and folders are its owner's only."""
    os.umask(os.umask(0o077) | 0o077)


def private_dir(path: Path) -> Path:
    """Create ``path`` (and its missing parents) and make it 0700."""
    path = Path(path)
    owner_only_umask()
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, DIR_MODE)
    return path


def private_files(folder: Path, *names: str) -> None:
    """Make the named files of ``folder`` that exist 0600."""
    for name in names:
        target = Path(folder) / name
        if target.exists():
            os.chmod(target, FILE_MODE)
