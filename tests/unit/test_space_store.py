"""The space's SQLite store: transactions, durable or soft."""

from __future__ import annotations

from pathlib import Path

import pytest

from trusted_space.space.store import SpaceStore

FULL, NORMAL = 2, 1


def synchronous(store: SpaceStore) -> int:
    return int(store.db.execute("PRAGMA synchronous").fetchone()[0])


def test_a_soft_transaction_skips_the_flush_then_restores_full_durability(
    tmp_path: Path,
) -> None:
    store = SpaceStore(tmp_path)
    assert synchronous(store) == FULL
    with store.transaction(durable=False):
        assert synchronous(store) == NORMAL  # this commit skips the flush
        store.set_meta("lease", "1")
    assert synchronous(store) == FULL and store.get_meta("lease") == "1"
    with pytest.raises(RuntimeError), store.transaction(durable=False):
        store.set_meta("lease", "2")
        raise RuntimeError("boom")
    # Rolled back, and the next commit is durable again.
    assert synchronous(store) == FULL and store.get_meta("lease") == "1"
    assert not store.db.in_transaction
    store.close()
    again = SpaceStore(tmp_path)
    assert again.get_meta("lease") == "1"
    again.close()
