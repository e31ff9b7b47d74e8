"""Cross-references of a blind lookup across spaces (trusted_space/ledger/crossref.py):
the home's ``peer_partial_received`` must match a ``peer_partial_released``
of the same job, with the same hash, in the peer's ledger."""

from __future__ import annotations

from typing import Any

from trusted_space.crypto import get_suite
from trusted_space.ledger.crossref import Ledger, check_cross_references

JOB = "0" * 32


def _ledgers(released_hash: str, job_id: str = JOB) -> tuple[Ledger, Ledger]:
    suite = get_suite()
    key_a, key_b = (suite.new_signing_key().public_bytes() for _ in range(2))
    peer_b = {"peer": "city-b", "fingerprint": suite.fingerprint(key_b)}
    home: list[dict[str, Any]] = [
        {"seq": 1, "hash": "a1", "kind": "peer_added", "job_id": None, "details": peer_b},
        {
            "seq": 2,
            "hash": "a2",
            "kind": "peer_partial_received",
            "job_id": JOB,
            "details": {"peer": "city-b", "providers": ["cdc"], "partial_hash": "ff" * 32},
        },
    ]
    peer: list[dict[str, Any]] = [
        {
            "seq": 1,
            "hash": "b1",
            "kind": "peer_partial_released",
            "job_id": job_id,
            "details": {"ciphertexts": 3, "partial_hash": released_hash},
        }
    ]
    return Ledger("a", home, suite, key_a), Ledger("b", peer, suite, key_b)


def _blind_problems(released_hash: str, job_id: str = JOB) -> list[str]:
    report = check_cross_references(_ledgers(released_hash, job_id))
    return [p for p in report.problems if "released no such part" in p]


def test_the_part_the_peer_released_matches() -> None:
    assert _blind_problems("ff" * 32) == []


def test_a_part_the_peer_never_released_is_named() -> None:
    assert _blind_problems("ee" * 32) == [
        "a entry 2: the peer's ledger released no such part of this job"
    ]
    assert len(_blind_problems("ff" * 32, job_id="1" * 32)) == 1


def test_a_peer_whose_ledger_is_not_given_is_counted_not_checked() -> None:
    home, _ = _ledgers("ff" * 32)
    report = check_cross_references([home])
    assert report.unchecked >= 1
    assert not [p for p in report.problems if "released no such part" in p]
