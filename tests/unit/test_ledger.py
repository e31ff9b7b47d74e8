"""The ledger detects and locates edits, removals, reorderings and forged signatures."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest

from trusted_space.crypto import get_suite
from trusted_space.errors import LedgerTampered
from trusted_space.ledger import Ledger, verify_entries

SUITE = get_suite("default")


@pytest.fixture()
def ledger() -> Ledger:
    db = sqlite3.connect(":memory:", isolation_level=None)
    led = Ledger(db, SUITE, SUITE.new_signing_key())
    for i in range(5):
        led.append("space", "step", {"n": i}, job_id="j1")
    return led


def _entries(led: Ledger) -> list[dict[str, Any]]:
    return [e.to_dict() for e in led.entries()]


def test_an_intact_ledger_verifies(ledger: Ledger) -> None:
    assert ledger.verify() == 5
    assert [e.details["n"] for e in ledger.entries("j1")] == [0, 1, 2, 3, 4]


def test_an_edited_entry_is_located(ledger: Ledger) -> None:
    entries = _entries(ledger)
    entries[2]["details"] = {"n": 99}
    with pytest.raises(LedgerTampered) as info:
        verify_entries(iter(entries), SUITE, ledger.key.public_bytes())
    assert info.value.seq == 3


def test_a_removed_entry_is_located(ledger: Ledger) -> None:
    entries = _entries(ledger)
    del entries[1]
    with pytest.raises(LedgerTampered) as info:
        verify_entries(iter(entries), SUITE, ledger.key.public_bytes())
    assert info.value.seq == 2


def test_reordered_entries_are_located(ledger: Ledger) -> None:
    entries = _entries(ledger)
    entries[3], entries[4] = entries[4], entries[3]
    with pytest.raises(LedgerTampered) as info:
        verify_entries(iter(entries), SUITE, ledger.key.public_bytes())
    assert info.value.seq == 4


def test_resigned_with_another_key_is_located(ledger: Ledger) -> None:
    entries = _entries(ledger)
    other = SUITE.new_signing_key()
    entries[0]["signature"] = other.sign(bytes.fromhex(entries[0]["hash"])).hex()
    with pytest.raises(LedgerTampered) as info:
        verify_entries(iter(entries), SUITE, ledger.key.public_bytes())
    assert info.value.seq == 1


def test_tampering_in_the_database_is_found_by_verify(ledger: Ledger) -> None:
    row = ledger.db.execute("SELECT entry FROM ledger WHERE seq = 4").fetchone()
    entry = json.loads(row[0])
    entry["actor"] = "someone else"
    ledger.db.execute("UPDATE ledger SET entry = ? WHERE seq = 4", (json.dumps(entry),))
    with pytest.raises(LedgerTampered) as info:
        ledger.verify()
    assert info.value.seq == 4
