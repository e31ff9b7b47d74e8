"""Settlement across peered spaces (issue 26): each space prices its own
providers' part of a job under its own policies; the consumer's statement at
the home lists both spaces' lines, each naming the space that priced it.

The two ledgers are made here, chained and signed with two spaces' keys, in
the shape a real cross-space lending job writes (the entries and
cross-references of trusted_space/space/federation.py: the peer's
``job_submitted`` names the home's, the home's ``peer_part_accepted`` the
peer's, the peer's ``peer_job_closed`` the home's ``result_collected``; the
service test tests/service/test_federation.py settles two real spaces'
ledgers). The amounts are worked out by hand below."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from trusted_space.core.canonical_json import canonical_json
from trusted_space.core.errors import LedgerTampered
from trusted_space.crypto import CryptoSuite, SigningKey, get_suite
from trusted_space.ledger.settlement import (
    PeerLedgerMissing,
    StatementInvalid,
    compute,
    peer_ledgers,
    sign,
    verify,
)

MONTH = "2026-12"
TIME = "2026-12-01T03:00:00.000+00:00"
AGREEMENT = "ab" * 32

A_TERMS = {  # city A's stewards, for A's centre (and a centre_b of A's own)
    "policy": "centres-a@1:aaa",
    "owners": ["centre_a", "centre_b"],
    "price": {
        "currency": "CNY",
        "per_job": "1.00",
        "per_subject_matched": "0.55",
        "split": {"operator": "0.10", "by": "matched"},
    },
}
B_TERMS = {  # city B's stewards, for B's centre
    "policy": "centres-b@3:bbb",
    "owners": ["centre_b"],
    "price": {
        "currency": "CNY",
        "per_job": "0.50",
        "per_subject_matched": "1.37",
        "split": {"operator": "0.075", "by": "matched"},
    },
}


class Space:
    """One space's ledger entries, chained and signed with its own key."""

    def __init__(
        self, suite: CryptoSuite, participants: dict[str, str], key: SigningKey | None = None
    ) -> None:
        self.suite = suite
        self.key = key or suite.new_signing_key()
        self.entries: list[dict[str, Any]] = []
        self.add("space_created", None, {"suite": suite.name, "signing_key": self.public})
        for name, role in participants.items():
            self.add("participant_added", None, {"name": name, "role": role})

    @property
    def public(self) -> str:
        return self.key.public_bytes().hex()

    @property
    def fingerprint(self) -> str:
        return self.suite.fingerprint(self.key.public_bytes())

    def add(self, kind: str, job: str | None, details: dict[str, Any], actor: str = "space") -> str:
        body = {
            "seq": len(self.entries) + 1,
            "time": TIME,
            "actor": actor,
            "kind": kind,
            "job_id": job,
            "details": details,
            "prev": self.entries[-1]["hash"] if self.entries else "0" * 64,
        }
        digest = self.suite.hash(canonical_json(body))
        signature = self.key.sign(digest).hex()
        self.entries.append({**body, "hash": digest.hex(), "signature": signature})
        return digest.hex()

    def peer(self, name: str, other: Space) -> None:
        self.add(
            "peer_added",
            None,
            {
                "peer": name,
                "fingerprint": other.fingerprint,
                "signing_key": other.public,
                "agreement": AGREEMENT,
                "products": ["tender_lending_features"],
            },
        )


def cross_job(
    a: Space, b: Space, job: str, matched_a: int, matched_b: int, outcome: str = "collected"
) -> None:
    """A lending job of the bank at A naming centre_a (at A) and centre_b (at B)."""
    providers = {"centre": ["centre_a", "centre_b"]}
    submitted = a.add(
        "job_submitted",
        job,
        {
            "providers": providers,
            "engine": "direct_lookup",
            "dataset_versions": {"centre_a": 1, "centre_b": 2},
        },
        actor="bank",
    )
    a.add(
        "policy_decision",
        job,
        {
            "decision": "allow",
            "consumer": "bank",
            "product": "tender_lending_features",
            "batch_size": 5,
            "prices": [A_TERMS],
        },
    )
    at_b = b.add(
        "job_submitted",
        job,
        {
            "home": {"peer": "city-a", "entry": submitted},
            "providers": providers,
            "engine": "direct_lookup",
            "dataset_versions": {"centre_b": 2},
        },
        actor="city-a",
    )
    b.add(
        "policy_decision",
        job,
        {
            "decision": "allow",
            "consumer": "bank",
            "product": "tender_lending_features",
            "batch_size": 5,
            "prices": [B_TERMS],
        },
    )
    a.add(
        "peer_part_accepted",
        job,
        {"peer": "city-b", "providers": ["centre_b"], "peer_entry": at_b},
    )
    matched = {"centre_a": matched_a, "centre_b": matched_b}
    a.add("subjects_relayed", job, {"handles": 5, "matched": matched}, actor="bank")
    b.add("subjects_relayed", job, {"handles": 5, "matched": {"centre_b": matched_b}}, "city-a")
    if outcome == "collected":
        a.add("result_released", job, {"ciphertexts": 5})
        last = a.add("result_collected", job, {}, actor="bank")
    else:
        last = a.add("job_failed", job, {"reason": "failed"})
    closed = b.add("peer_job_closed", job, {"outcome": outcome, "home_entry": last}, "city-a")
    a.add("peer_part_closed", job, {"peer": "city-b", "peer_entry": closed, "outcome": outcome})


@pytest.fixture(params=["default", "gm"])
def suite(request: pytest.FixtureRequest) -> CryptoSuite:
    return get_suite(str(request.param))


def two_spaces(suite: CryptoSuite) -> tuple[Space, Space]:
    a = Space(suite, {"bank": "consumer", "centre_a": "provider"})
    b = Space(suite, {"centre_b": "provider"})
    a.peer("city-b", b)
    b.peer("city-a", a)
    cross_job(a, b, "j1", matched_a=2, matched_b=3)
    cross_job(a, b, "j2", matched_a=1, matched_b=1, outcome="failed")  # charged nowhere
    return a, b


def totals(statements: dict[tuple[str, str], dict[str, Any]]) -> dict[tuple[str, str], str]:
    return {party: s["total"] for party, s in statements.items()}


def test_each_space_prices_its_own_providers_part_and_the_consumer_sees_both(
    suite: CryptoSuite,
) -> None:
    a, b = two_spaces(suite)
    peers = peer_ledgers(a.entries, suite, [("b.jsonl", b.entries)])
    at_a = compute(a.entries, MONTH, suite, peers)
    at_b = compute(b.entries, MONTH, suite)
    # A: 1.00 + 0.55 x 2 (centre_a's matches only: B's centre_b is not A's
    # owner of the same name) = 2.10; operator 0.21; centre_a 1.89.
    # B: 0.50 + 1.37 x 3 = 4.61; operator 0.34575 -> 0.35 (half up); centre_b 4.26.
    assert totals(at_a) == {
        ("consumer", "bank"): "6.71",
        ("provider", "centre_a"): "1.89",
        ("operator", "operator"): "0.21",
        ("home", "city-b"): "0.00",
        ("peer", "city-b"): "4.61",
    }
    assert totals(at_b) == {
        ("provider", "centre_b"): "4.26",
        ("operator", "operator"): "0.35",
        ("home", "city-a"): "4.61",
        ("peer", "city-a"): "0.00",
    }
    consumer = at_a[("consumer", "bank")]
    lines = [(ln["space"], ln["policy"], ln["charge"], ln["matched"]) for ln in consumer["lines"]]
    assert lines == [
        (a.fingerprint, "centres-a@1:aaa", "2.10", 2),
        (b.fingerprint, "centres-b@3:bbb", "4.61", 3),
    ]
    assert consumer["jobs"] == 1 and consumer["direction"] == "owes"
    assert consumer["peers"] == [
        {
            "peer": "city-b",
            "space": b.fingerprint,
            "ledger_head": {"seq": b.entries[-1]["seq"], "hash": b.entries[-1]["hash"]},
        }
    ]
    # The consumer's B line counts B's entries (B's decision among them).
    b_decision = next(e["hash"] for e in b.entries if e["kind"] == "policy_decision")
    assert b_decision in consumer["entries"]
    assert at_a[("peer", "city-b")]["direction"] == "earns"
    assert at_b[("home", "city-a")]["direction"] == "owes"
    # Nothing counted twice: what the consumer owes is what A's and B's
    # providers and operators earn; A passes B's part on, which B expects.
    fen = {k: int(v.replace(".", "")) for k, v in {**totals(at_a)}.items()}
    fen_b = {k: int(v.replace(".", "")) for k, v in totals(at_b).items()}
    earned = sum(v for (role, _), v in fen.items() if role in ("provider", "operator"))
    earned += sum(v for (role, _), v in fen_b.items() if role in ("provider", "operator"))
    assert fen[("consumer", "bank")] == earned == 671
    assert at_a[("peer", "city-b")]["lines"] == at_b[("home", "city-a")]["lines"]
    for statements in (at_a, at_b):  # each space's books balance
        owed = sum(int(s["total"].replace(".", "")) for s in statements.values()
                   if s["direction"] == "owes")  # fmt: skip
        earns = sum(int(s["total"].replace(".", "")) for s in statements.values()
                    if s["direction"] == "earns")  # fmt: skip
        assert owed == earns


def test_a_peers_part_needs_its_ledger_and_the_console_says_which(suite: CryptoSuite) -> None:
    a, _ = two_spaces(suite)
    with pytest.raises(PeerLedgerMissing) as refused:
        compute(a.entries, MONTH, suite)
    assert refused.value.peers == ["city-b"]
    shown = compute(a.entries, MONTH, suite, partial=True)
    assert shown[("consumer", "bank")]["total"] == "2.10"  # A's own line only
    assert shown[("consumer", "bank")]["peers_missing"] == ["city-b"]
    # Another month: no charged job, nothing missing.
    assert "peers_missing" not in compute(a.entries, "2026-11", suite)[("consumer", "bank")]


def test_the_peer_charges_only_once_the_home_says_the_result_was_collected(
    suite: CryptoSuite,
) -> None:
    a, b = two_spaces(suite)
    cut = next(i for i, e in enumerate(b.entries) if e["kind"] == "peer_job_closed")
    assert totals(compute(b.entries[:cut], MONTH, suite))[("home", "city-a")] == "0.00"
    # ... and then the home's statement computed with that early export lacks it too.
    a_cut = next(i for i, e in enumerate(a.entries) if e["kind"] == "peer_part_closed")
    peers = peer_ledgers(a.entries[:a_cut], suite, [("b.jsonl", b.entries[:cut])])
    early = compute(a.entries[:a_cut], MONTH, suite, peers)
    assert early[("consumer", "bank")]["total"] == "2.10"
    assert early[("peer", "city-b")]["total"] == "0.00"


def test_a_signed_statement_verifies_with_both_ledgers_and_fails_when_either_is_edited(
    suite: CryptoSuite,
) -> None:
    a, b = two_spaces(suite)
    exports = [("b.jsonl", b.entries)]
    peers = peer_ledgers(a.entries, suite, exports)
    statement = sign(compute(a.entries, MONTH, suite, peers)[("consumer", "bank")], suite, a.key)
    public = a.key.public_bytes()
    verify(statement, a.entries, suite, public, exports)
    # Later entries in either ledger change nothing: each is cut at its head.
    b.add("participant_added", None, {"name": "centre_c", "role": "provider"})
    verify(statement, a.entries, suite, public, [("b.jsonl", b.entries)])
    b.entries.pop()

    # Without B's ledger: B's lines cannot be checked.
    with pytest.raises(PeerLedgerMissing):
        verify(statement, a.entries, suite, public)
    # An entry of B's ledger edited (its decision's batch size): refused, named.
    edited = copy.deepcopy(b.entries)
    decision = next(e for e in edited if e["kind"] == "policy_decision")
    decision["details"]["batch_size"] += 1
    with pytest.raises(StatementInvalid, match=f"b.jsonl: ledger entry {decision['seq']}"):
        verify(statement, a.entries, suite, public, [("b.jsonl", edited)])
    # B's ledger re-signed by someone else (not the key A pins): refused.
    forged = Space(suite, {"centre_b": "provider"})
    with pytest.raises(StatementInvalid, match="not the ledger of a peer this space pins"):
        verify(statement, a.entries, suite, public, [("forged.jsonl", forged.entries)])
    # B's ledger cut before the head the statement names.
    with pytest.raises(StatementInvalid):
        verify(statement, a.entries, suite, public, [("b.jsonl", b.entries[:-1])])
    # An entry of A's ledger edited.
    a_edited = copy.deepcopy(a.entries)
    next(e for e in a_edited if e["kind"] == "subjects_relayed")["details"]["matched"][
        "centre_a"
    ] = 3
    with pytest.raises(LedgerTampered):
        verify(statement, a_edited, suite, public, exports)
    # An amount of B's line edited in the statement.
    changed = copy.deepcopy(statement)
    changed["lines"][1]["amount"] = "4.62"
    with pytest.raises(StatementInvalid, match=r"statement.lines\[1\].amount"):
        verify(changed, a.entries, suite, public, exports)


def test_the_peers_statements_verify_from_its_own_ledger(suite: CryptoSuite) -> None:
    a, b = two_spaces(suite)
    statement = sign(compute(b.entries, MONTH, suite)[("home", "city-a")], suite, b.key)
    verify(statement, b.entries, suite, b.key.public_bytes())
    # With A's ledger too, the cross-references are checked and nothing changes.
    verify(statement, b.entries, suite, b.key.public_bytes(), [("a.jsonl", a.entries)])


def test_a_peer_ledger_that_does_not_cross_reference_is_refused(suite: CryptoSuite) -> None:
    a, b = two_spaces(suite)
    entries = copy.deepcopy(b.entries)
    # B's ledger, re-chained and re-signed by B, whose job names another home entry.
    other = Space(suite, {"centre_b": "provider"}, key=b.key)
    other.peer("city-a", a)
    for e in entries[len(other.entries) :]:
        d = copy.deepcopy(e["details"])
        if e["kind"] == "job_submitted":
            d["home"]["entry"] = "cd" * 32
        other.add(e["kind"], e["job_id"], d, e["actor"])
    with pytest.raises(StatementInvalid, match="the peer's ledger holds no entry"):
        peer_ledgers(other.entries, suite, [("a.jsonl", a.entries)])
    with pytest.raises(StatementInvalid, match="holds no entry"):
        peer_ledgers(a.entries, suite, [("b.jsonl", other.entries)])
