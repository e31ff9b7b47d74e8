"""Peering between two spaces, in one process (issue 26, federation items 1
and 2): the agreement both ledgers record with one hash, the stewards'
approvals it needs, and the check of every request a peer sends: unsigned,
unknown, forged, misdirected, stale and replayed requests are refused with
a typed reason. Both suites."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from pathlib import Path

import pytest

from products.cohort import COHORT
from tests.stewards import add_steward
from trusted_space.core.errors import (
    CryptoError,
    NotAuthorised,
    NotFound,
    PeeringRefused,
    PeerRefused,
    PeerReplayed,
)
from trusted_space.core.failures import failure_code
from trusted_space.ledger.ledger import verify_entries
from trusted_space.protocol.identity import sign_keys
from trusted_space.protocol.messages import JobSpec, JobSubmission, ParticipantKeys, Role
from trusted_space.protocol.peering import (
    NONCE_HEADER,
    PEER_HEADER,
    PeerCatalogue,
    PeerDataset,
    PeeringTerms,
    PeerJobForward,
    agreement_hash,
    draft_terms,
    response_digest,
)
from trusted_space.space.space import Space, SpaceConfig
from trusted_space.transport.peer import signed_headers

URL_A, URL_B = "http://127.0.0.1:9001", "http://127.0.0.1:9002"


def _pair(root: Path, suite: str) -> tuple[Space, Space, PeeringTerms]:
    a = Space(root / "a", SpaceConfig(suite=suite))
    b = Space(root / "b", SpaceConfig(suite=suite))
    add_steward(a, "steward-a", ["hospital-a"])
    add_steward(b, "steward-b", ["hospital-b"])
    a.add_participant(None, "insurer", "consumer")
    terms = draft_terms(
        a.suite,
        mine=a.key.public_bytes(),
        my_stewards=["steward-a"],
        theirs=b.key.public_bytes(),
        their_stewards=["steward-b"],
        products=["underwriting_score", "claim_verification"],
        made="2026-12-03",
    )
    return a, b, terms


def _kinds(space: Space, kind: str) -> list[dict[str, object]]:
    return [e.details for e in space.ledger.entries() if e.kind == kind]


@pytest.fixture(params=["default", "gm"])
def peered(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Space, Space, PeeringTerms]:
    a, b, terms = _pair(tmp_path, request.param)
    a.approve_agreement("steward-a", terms)
    b.approve_agreement("steward-b", terms)
    a.add_peer(None, "city-b", URL_B, b.key.public_bytes().hex(), terms)
    b.add_peer(None, "city-a", URL_A, a.key.public_bytes().hex(), terms)
    yield a, b, terms
    a.close()
    b.close()


@pytest.mark.parametrize("suite", ["default", "gm"])
def test_both_ledgers_record_one_agreement_approved_by_the_stewards(
    tmp_path: Path, suite: str
) -> None:
    a, b, terms = _pair(tmp_path, suite)
    key_b = b.key.public_bytes().hex()
    # The operator alone cannot open a channel: the steward has not approved.
    with pytest.raises(PeeringRefused) as refused:
        a.add_peer(None, "city-b", URL_B, key_b, terms)
    assert refused.value.key == "peering.awaiting"
    assert "steward-a" in refused.value.text("en") and "steward-a" in refused.value.text("zh-CN")
    # Only a steward the agreement names approves, and only a steward.
    with pytest.raises(NotAuthorised):
        a.approve_agreement("insurer", terms)
    add_steward(a, "steward-x", ["hospital-x"])
    with pytest.raises(PeeringRefused) as refused:
        a.approve_agreement("steward-x", terms)
    assert refused.value.key == "peering.steward_not_named"
    # An agreement that does not name this space is not approved here.
    other = draft_terms(
        a.suite,
        mine=a.suite.new_signing_key().public_bytes(),
        my_stewards=["steward-a"],
        theirs=bytes.fromhex(key_b),
        their_stewards=["steward-b"],
        products=["underwriting_score"],
        made="2026-12-03",
    )
    with pytest.raises(PeeringRefused) as refused:
        a.approve_agreement("steward-a", other)
    assert refused.value.key == "peering.not_this_space"
    unknown = terms.model_copy(update={"products": ["no-such-product"]})
    with pytest.raises(PeeringRefused) as refused:
        a.approve_agreement("steward-a", unknown)
    assert refused.value.key == "peering.unknown_product"

    assert a.approve_agreement("steward-a", terms) == ["steward-a"]
    assert b.approve_agreement("steward-b", terms) == ["steward-b"]
    # The key given must be the one the agreement names for the peer.
    with pytest.raises(PeeringRefused) as refused:
        a.add_peer(None, "city-b", URL_B, a.suite.new_signing_key().public_bytes().hex(), terms)
    assert refused.value.key == "peering.other_key"
    peer_b = a.add_peer(None, "city-b", URL_B, key_b, terms)
    peer_a = b.add_peer(None, "city-a", URL_A, a.key.public_bytes().hex(), terms)
    with pytest.raises(PeeringRefused) as refused:
        a.add_peer(None, "city-b", URL_B, key_b, terms)
    assert refused.value.key == "peering.name_in_use"

    digest = agreement_hash(a.suite, terms)
    assert peer_b.agreement == peer_a.agreement == digest
    assert peer_b.fingerprint == b.fingerprint and peer_a.fingerprint == a.fingerprint
    for space, steward in ((a, "steward-a"), (b, "steward-b")):
        (added,) = _kinds(space, "peer_added")
        assert added["agreement"] == digest
        assert added["approved_by"] == [steward]
        # An auditor recomputes the hash from the entry alone.
        assert agreement_hash(space.suite, PeeringTerms.model_validate(added["terms"])) == digest
        (approved,) = _kinds(space, "peering_approved")
        assert approved["agreement"] == digest
        entries = (e.to_dict() for e in space.ledger.entries())
        assert verify_entries(entries, space.suite, space.key.public_bytes()) > 0
    assert [p.name for p in a.peer_records(None)] == ["city-b"]
    a.remove_peer(None, "city-b")
    assert a.peer_records(None)[0].state == "removed"
    assert _kinds(a, "peer_removed") == [{"peer": "city-b", "fingerprint": b.fingerprint}]
    with pytest.raises(NotFound):
        a.remove_peer(None, "city-b")
    a.close()
    b.close()


def _request(
    sender: Space, receiver: Space, body: bytes = b'{"x":1}', **kw: object
) -> dict[str, str]:
    return signed_headers(
        sender.suite,
        sender.key,
        receiver=receiver.fingerprint,
        method="POST",
        target="/v1/peer/hello",
        body=body,
        **kw,  # type: ignore[arg-type]
    )


def test_a_peer_request_is_refused_unless_signed_fresh_and_new(
    peered: tuple[Space, Space, PeeringTerms],
) -> None:
    a, b, _ = peered
    body = b'{"agreement":"00"}'

    def check(headers: dict[str, str], payload: bytes = body) -> str:
        return b.verify_peer_request(headers, "POST", "/v1/peer/hello", payload).name

    good = _request(a, b, body)
    assert check(good) == "city-a"
    # The same request again: a replay, refused and recorded (never its body).
    with pytest.raises(PeerReplayed) as replayed:
        check(good)
    assert failure_code(replayed.value) == "peer_replayed"
    (refused,) = _kinds(b, "message_refused")
    assert refused == {
        "message": "peer_request",
        "target": "/v1/peer/hello",
        "reason": "peer_replayed",
    }

    def refusal(headers: dict[str, str], payload: bytes = body) -> str:
        with pytest.raises(PeerRefused) as exc:
            check(headers, payload)
        assert failure_code(exc.value) == "peer_refused"
        assert exc.value.text("en") != exc.value.text("zh-CN")
        return exc.value.key

    # Unsigned; from a space that is not a peer; a body other than the signed one.
    assert refusal({}) == "peer.unsigned"
    assert refusal({k: v for k, v in _request(a, b, body).items() if k != NONCE_HEADER}) == (
        "peer.unsigned"
    )
    stranger = Space(b.store.dir.parent / "stranger", SpaceConfig(suite=a.suite.name))
    assert refusal(_request(stranger, b, body)) == "peer.unknown"
    assert refusal(_request(a, b, body), b'{"agreement":"01"}') == "peer.forged"
    # Another key claiming to be city-a; a request city-a made for another space.
    forged = {**_request(stranger, b, body), PEER_HEADER: a.fingerprint}
    assert refusal(forged) == "peer.forged"
    misdirected = signed_headers(
        a.suite,
        a.key,
        receiver=stranger.fingerprint,
        method="POST",
        target="/v1/peer/hello",
        body=body,
    )
    assert refusal(misdirected) == "peer.forged"
    # Outside the window, either way.
    assert refusal(_request(a, b, body, now=time.time() - 1000)) == "peer.stale"
    assert refusal(_request(a, b, body, now=time.time() + 1000)) == "peer.stale"
    # A removed peer is refused from then on.
    b.remove_peer(None, "city-a")
    assert refusal(_request(a, b, body)) == "peer.unknown"
    stranger.close()


def test_answers_are_signed_for_the_request(peered: tuple[Space, Space, PeeringTerms]) -> None:
    a, b, _ = peered
    headers = _request(a, b)
    signature = b.sign_peer_response(a.fingerprint, headers[NONCE_HEADER], 200, b"{}")
    digest = response_digest(
        a.suite,
        sender=b.fingerprint,
        receiver=a.fingerprint,
        nonce=headers[NONCE_HEADER],
        status=200,
        body=b"{}",
    )
    a.suite.verify(b.key.public_bytes(), digest, bytes.fromhex(signature))
    other = response_digest(
        a.suite,
        sender=b.fingerprint,
        receiver=a.fingerprint,
        nonce="0" * 32,
        status=200,
        body=b"{}",
    )
    with pytest.raises(CryptoError):
        a.suite.verify(b.key.public_bytes(), other, bytes.fromhex(signature))


def test_a_cohort_job_across_spaces_is_refused_with_a_reason_in_both_languages(
    tmp_path: Path,
) -> None:
    """The space-aided join does not cross spaces: a cohort job naming a
    peer's provider is refused at its home, and a peer refuses one forwarded
    to it, each with a typed reason that says why, in Chinese and English."""
    a = Space(tmp_path / "a", SpaceConfig())
    b = Space(tmp_path / "b", SpaceConfig())
    add_steward(a, "steward-a", ["hospital-a"])
    add_steward(b, "steward-b", ["hospital-b"])
    a.add_participant(None, "insurer", "consumer")
    terms = draft_terms(
        a.suite,
        mine=a.key.public_bytes(),
        my_stewards=["steward-a"],
        theirs=b.key.public_bytes(),
        their_stewards=["steward-b"],
        products=["cohort_statistics"],
        made="2026-12-03",
    )
    a.approve_agreement("steward-a", terms)
    b.approve_agreement("steward-b", terms)
    a.add_peer(None, "city-b", URL_B, b.key.public_bytes().hex(), terms)
    b.add_peer(None, "city-a", URL_A, a.key.public_bytes().hex(), terms)

    def keys(name: str, role: Role) -> ParticipantKeys:
        sealing = a.suite.new_sealing_key().public_bytes()
        return sign_keys(
            a.suite, a.suite.new_signing_key(), name=name, role=role, sealing_key=sealing, serial=1
        )

    offered = PeerDataset(
        provider="cdc-b",
        role="cdc",
        dataset=COHORT.role("cdc").dataset,
        version=1,
        max_items=0,
        setup_hash="0" * 64,
        keys=keys("cdc-b", "provider"),
    )
    with a.store.transaction():
        a.peers.store_catalogue("city-b", PeerCatalogue(products={COHORT.name: [offered]}))
    spec = JobSpec(
        job_id=uuid.uuid4().hex,
        product=COHORT.name,
        consumer="insurer",
        purpose="research",
        as_of=dt.date(2026, 10, 31),
        batch_size=1,
        providers={"hospital": ["hospital-a"], "cdc": ["cdc-b"]},
        paillier_public_key="00",
    )
    with pytest.raises(PeeringRefused) as refused:
        a.submit_job("insurer", JobSubmission(spec=spec))
    assert refused.value.key == "peering.engine_not_federated"
    assert "cdc-b" in refused.value.text("en") and "do not cross spaces" in refused.value.text("en")
    assert "cdc-b" in refused.value.text("zh-CN") and "不能跨空间" in refused.value.text("zh-CN")
    assert failure_code(refused.value) == "peering_refused"
    # The refusal is recorded, and no job was made.
    assert _kinds(a, "message_refused")[-1]["error"] == "PeeringRefused"
    assert not a.store.db.execute("SELECT 1 FROM jobs").fetchall()

    # A peer refuses such a job forwarded to it, saying why.
    forward = PeerJobForward(
        submission=JobSubmission(spec=spec),
        consumer_keys=keys("insurer", "consumer"),
        home_entry="0" * 64,
    )
    with pytest.raises(PeeringRefused) as refused:
        b.peer_submit(b.peers.get("city-a"), forward)
    assert refused.value.key == "peering.engine_not_federated_peer"
    assert "city-a" in refused.value.text("en") and "space_join" in refused.value.text("zh-CN")
    assert not b.store.db.execute("SELECT 1 FROM jobs").fetchall()
    a.close()
    b.close()
