"""The ledger detects and locates edits, removals, reorderings and forged signatures."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest

from tests.stories import resign
from trusted_space.core.errors import LedgerTampered
from trusted_space.crypto import get_suite
from trusted_space.ledger.ledger import Ledger, verify_entries

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


def _resign(entries: list[dict[str, Any]], key: Any, start: int) -> None:
    resign(entries, SUITE, key, start)


def _sign_only(entry: dict[str, Any], key: Any) -> None:
    """Give one entry a hash and signature that check out for what it now says,
    touching no other entry: what a key holder can forge in place."""
    from trusted_space.core.canonical_json import canonical_json

    body = {k: entry[k] for k in ("seq", "time", "actor", "kind", "job_id", "details", "prev")}
    digest = SUITE.hash(canonical_json(body))
    entry["hash"], entry["signature"] = digest.hex(), key.sign(digest).hex()


def test_an_entry_that_skips_its_predecessor_is_located_by_the_chain_alone(
    ledger: Ledger,
) -> None:
    """Entry 3 is signed and hashed correctly and numbered right; only its
    ``prev`` names entry 1 instead of entry 2. Only the chain check sees it."""
    entries = _entries(ledger)
    entries[2]["prev"] = entries[0]["hash"]
    _sign_only(entries[2], ledger.key)
    entries[3]["prev"] = entries[2]["hash"]  # later entries chain to the forgery
    _resign(entries, ledger.key, 4)
    with pytest.raises(LedgerTampered, match="does not chain") as info:
        verify_entries(iter(entries), SUITE, ledger.key.public_bytes())
    assert info.value.seq == 3


def test_a_wrong_sequence_number_is_located_by_the_sequence_check_alone(
    ledger: Ledger,
) -> None:
    """Entry 3 says it is entry 9; it is signed, hashed and chained correctly."""
    entries = _entries(ledger)
    entries[2]["seq"] = 9
    _resign(entries, ledger.key, 3)
    with pytest.raises(LedgerTampered, match="expected sequence number 3") as info:
        verify_entries(iter(entries), SUITE, ledger.key.public_bytes())
    assert info.value.seq == 3


def test_a_hash_that_does_not_match_the_content_is_located_by_the_hash_check_alone(
    ledger: Ledger,
) -> None:
    """Entry 3's content changes under its old hash and signature, which still
    verify as a pair, and the chain still holds (it links hashes)."""
    entries = _entries(ledger)
    entries[2]["actor"] = "someone else"
    with pytest.raises(LedgerTampered, match="does not match its hash") as info:
        verify_entries(iter(entries), SUITE, ledger.key.public_bytes())
    assert info.value.seq == 3


def test_checkpoints_publish_the_merkle_root_and_prove_inclusion() -> None:
    from trusted_space.ledger import ledger as ledger_module
    from trusted_space.ledger.ledger import CHECKPOINT_EVERY, verify_proof

    db = sqlite3.connect(":memory:", isolation_level=None)
    led = Ledger(db, SUITE, SUITE.new_signing_key())
    for i in range(CHECKPOINT_EVERY + 10):
        led.append("space", "step", {"n": i})
    kinds = [e.kind for e in led.entries()]
    assert kinds[CHECKPOINT_EVERY] == "checkpoint"  # right after entry 64
    assert led.verify() == CHECKPOINT_EVERY + 11
    with pytest.raises(ledger_module.NotFound):
        led.proof(CHECKPOINT_EVERY + 5)  # no checkpoint covers it yet
    led.checkpoint()
    for seq in (1, 17, CHECKPOINT_EVERY, CHECKPOINT_EVERY + 5):
        proof = led.proof(seq)
        verify_proof(proof, SUITE, led.key.public_bytes())
    forged = led.proof(17)
    forged["entry"]["details"] = {"n": 999}
    with pytest.raises(LedgerTampered):
        verify_proof(forged, SUITE, led.key.public_bytes())
    moved = led.proof(17)
    moved["proof"] = moved["proof"][::-1]
    with pytest.raises(LedgerTampered, match="not included"):
        verify_proof(moved, SUITE, led.key.public_bytes())


def test_a_checkpoint_over_other_entries_is_located() -> None:
    from trusted_space.ledger.ledger import CHECKPOINT_EVERY

    db = sqlite3.connect(":memory:", isolation_level=None)
    key = SUITE.new_signing_key()
    led = Ledger(db, SUITE, key)
    for i in range(CHECKPOINT_EVERY + 3):
        led.append("space", "step", {"n": i})
    entries = _entries(led)
    entries[CHECKPOINT_EVERY]["details"]["root"] = "00" * 32
    _resign(entries, key, CHECKPOINT_EVERY + 1)  # signed, but the root is wrong
    with pytest.raises(LedgerTampered, match="checkpoint root") as info:
        verify_entries(iter(entries), SUITE, key.public_bytes())
    assert info.value.seq == CHECKPOINT_EVERY + 1


def test_a_step_the_node_did_not_sign_is_located() -> None:
    from trusted_space.ledger.ledger import step_digest

    db = sqlite3.connect(":memory:", isolation_level=None)
    key = SUITE.new_signing_key()
    node = SUITE.new_signing_key()
    led = Ledger(db, SUITE, key)
    led.append(
        "hospital",
        "keys_registered",
        {"name": "hospital", "signing_key": node.public_bytes().hex()},
    )
    digest = step_digest(SUITE, "job-1", "task-1", "psi_response", "ab" * 32)
    details = {
        "task_id": "task-1",
        "result": "psi_response",
        "result_hash": "ab" * 32,
        "node_signature": node.sign(digest).hex(),
    }
    led.append("hospital", "task_result", details, job_id="job-1")
    assert led.verify() == 2
    entries = _entries(led)
    entries[1]["details"]["result_hash"] = "cd" * 32  # the space swaps the result...
    _resign(entries, key, 2)  # ...and signs the entry with its own, valid key
    with pytest.raises(LedgerTampered, match="registered key") as info:
        verify_entries(iter(entries), SUITE, key.public_bytes())
    assert info.value.seq == 2


def test_appends_chain_after_another_connection_and_after_a_rollback(
    tmp_path: pytest.TempPathFactory,
) -> None:
    """The ledger keeps its head between appends; an append by another
    connection (``tspace admin`` beside a running service) or a rolled-back
    transaction must not leave it chaining to a stale entry."""
    path = f"{tmp_path}/space.sqlite"
    key = SUITE.new_signing_key()
    mine = Ledger(sqlite3.connect(path, isolation_level=None), SUITE, key)
    other = Ledger(sqlite3.connect(path, isolation_level=None), SUITE, key)
    mine.append("space", "step", {"n": 1})
    other.append("admin", "step", {"n": 2})  # committed by another connection
    mine.append("space", "step", {"n": 3})
    for n, by in ((4, other), (7, mine)):
        mine.db.execute("BEGIN IMMEDIATE")
        mine.append("space", "step", {"n": n})
        mine.db.execute("ROLLBACK")
        by.append("space", "step", {"n": n + 1})  # the same sequence number
        mine.append("space", "step", {"n": n + 2})
    mine.checkpoint()
    assert [e.details.get("n") for e in mine.entries()] == [1, 2, 3, 5, 6, 8, 9, None]
    assert mine.verify() == 8
    assert mine.proof(7)["size"] == 7


@pytest.mark.parametrize("edit", ["content", "removed", "reordered", "foreign key"])
def test_a_tampered_ledger_is_reported_in_the_readers_language(ledger: Ledger, edit: str) -> None:
    """Issue 24 item 9: ``ledger verify``'s reasons were English under zh-CN."""
    from tests.unit.test_cli_language import CJK, _english_left
    from trusted_space.core.i18n import speaking

    entries = _entries(ledger)
    key = ledger.key.public_bytes()
    if edit == "content":
        entries[2]["details"] = {"n": 99}
    elif edit == "removed":
        del entries[1]
    elif edit == "reordered":
        entries[3], entries[4] = entries[4], entries[3]
    else:
        key = SUITE.new_signing_key().public_bytes()
    with pytest.raises(LedgerTampered) as info:
        verify_entries(iter(entries), SUITE, key)
    with speaking("zh-CN"):
        zh = str(info.value)
    with speaking("en"):
        en = str(info.value)
    assert CJK.search(zh) and _english_left(zh) == [], zh
    assert en.startswith("ledger entry ") and not CJK.search(en), en
