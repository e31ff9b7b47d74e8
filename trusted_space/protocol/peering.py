"""Peering between spaces: the agreement two spaces sign, and how a space
signs each request it sends a peer and each answer it gives one.

**The agreement** (``PeeringTerms``) names the two spaces by their ledger
signing keys (the key each space's ledger is verified with), the products
whose jobs may cross, and which stewards of each space approved it. Its
hash (``agreement_hash``: the suite's hash of its canonical JSON) is the
same at both spaces: each records it in its ledger (``peer_added``) and an
auditor holding both ledgers matches them.

**Requests** between peers carry four headers: the calling space's
fingerprint, a time, a fresh nonce and the calling space's signature over
``request_digest`` (the method, the path with its query, the receiving
space's fingerprint, the time, the nonce and the body's hash). The receiver
checks the signature against the key it pinned for that peer (``tspace admin
add-peer``), the time against its clock, and the nonce against the ones it
saw within the window, so an unsigned, forged, misdirected, stale or
replayed request is refused before its body is used. **Answers** are
signed in turn (``response_digest``, bound to the request's nonce): the
caller knows the answer is its peer's.

Guarantee: under the suite's signature (Ed25519 or SM2), nobody without a
space's ledger key can make a request or an answer that its peers accept,
nor replay one within the window (nonces) or after it (the time). Leakage:
none; every field here is public (the bodies are what the protocol sends).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from trusted_space.core.canonical_json import canonical_json
from trusted_space.crypto import CryptoSuite
from trusted_space.protocol.messages import (
    Base64Bytes,
    EncryptedFeaturesResult,
    JobSubmission,
    Message,
    ParticipantKeys,
    ParticipantName,
)

AGREEMENT_STATEMENT = "tspace peering agreement/1"
REQUEST_STATEMENT = "tspace peer request/1"
RESPONSE_STATEMENT = "tspace peer response/1"

# Headers of a signed request between spaces (and of its signed answer).
PEER_HEADER = "x-tspace-peer"  # the sender's fingerprint
TIME_HEADER = "x-tspace-time"  # unix seconds, an integer
NONCE_HEADER = "x-tspace-nonce"  # 32 hex digits, fresh per request
SIGNATURE_HEADER = "x-tspace-signature"  # hex
PEER_HEADERS = (PEER_HEADER, TIME_HEADER, NONCE_HEADER, SIGNATURE_HEADER)

# How far a request's time may be from the receiver's clock; a nonce is kept
# this long, so a replay is refused by its nonce within the window and by its
# time after it.
WINDOW_SECONDS = 300

Fingerprint = Annotated[str, Field(pattern=r"^[0-9a-f]{16}$")]
KeyHex = Annotated[str, Field(pattern=r"^[0-9a-f]{2,1024}$")]


class PeerSpace(Message):
    """One party to an agreement: a space, by its ledger signing key."""

    signing_key: KeyHex
    stewards: Annotated[list[ParticipantName], Field(min_length=1, max_length=64)]


class PeeringTerms(Message):
    """What two spaces agree: the products whose jobs may cross between
    them, and for each space (by its ledger key) the stewards who approve
    the channel. Both operators add the peer with the same file, so both
    ledgers record the same ``agreement_hash``."""

    statement: Annotated[str, Field(pattern=r"^tspace peering agreement/1$")] = AGREEMENT_STATEMENT
    suite: Annotated[str, Field(max_length=32)]
    spaces: Annotated[list[PeerSpace], Field(min_length=2, max_length=2)]
    products: Annotated[list[str], Field(min_length=1, max_length=32)]
    made: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]  # the day it was drafted

    def digest(self, suite: CryptoSuite) -> bytes:
        return suite.hash(canonical_json(self.model_dump(mode="json")))

    def side(self, suite: CryptoSuite, fingerprint: str) -> PeerSpace | None:
        """The party whose key has ``fingerprint``, if one has."""
        for space in self.spaces:
            if suite.fingerprint(bytes.fromhex(space.signing_key)) == fingerprint:
                return space
        return None

    def other(self, suite: CryptoSuite, fingerprint: str) -> PeerSpace | None:
        """The party whose key does not have ``fingerprint``, when the other does."""
        if self.side(suite, fingerprint) is None:
            return None
        for space in self.spaces:
            if suite.fingerprint(bytes.fromhex(space.signing_key)) != fingerprint:
                return space
        return None


def agreement_hash(suite: CryptoSuite, terms: PeeringTerms) -> str:
    """The agreement's hash (hex), the same at both spaces."""
    return terms.digest(suite).hex()


def draft_terms(
    suite: CryptoSuite,
    *,
    mine: bytes,
    my_stewards: list[str],
    theirs: bytes,
    their_stewards: list[str],
    products: list[str],
    made: str,
) -> PeeringTerms:
    """An agreement between the space with key ``mine`` and the one with
    ``theirs``, in one order whichever side drafts it."""
    spaces = sorted(
        [
            PeerSpace(signing_key=mine.hex(), stewards=sorted(set(my_stewards))),
            PeerSpace(signing_key=theirs.hex(), stewards=sorted(set(their_stewards))),
        ],
        key=lambda s: s.signing_key,
    )
    return PeeringTerms(suite=suite.name, spaces=spaces, products=sorted(set(products)), made=made)


def request_digest(
    suite: CryptoSuite,
    *,
    sender: str,
    receiver: str,
    method: str,
    target: str,
    time: int,
    nonce: str,
    body: bytes,
) -> bytes:
    """What the sending space signs for one request. ``target`` is the path
    with its query string; ``sender`` and ``receiver`` are fingerprints."""
    return suite.hash(
        canonical_json(
            {
                "statement": REQUEST_STATEMENT,
                "from": sender,
                "to": receiver,
                "method": method.upper(),
                "target": target,
                "time": time,
                "nonce": nonce,
                "body": suite.hex_hash(body),
            }
        )
    )


def response_digest(
    suite: CryptoSuite, *, sender: str, receiver: str, nonce: str, status: int, body: bytes
) -> bytes:
    """What the answering space signs: its answer to the request ``nonce``."""
    return suite.hash(
        canonical_json(
            {
                "statement": RESPONSE_STATEMENT,
                "from": sender,
                "to": receiver,
                "nonce": nonce,
                "status": status,
                "body": suite.hex_hash(body),
            }
        )
    )


class PeerHello(Message):
    """Space -> peer: the agreement the caller holds with it."""

    agreement: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class PeerHelloReply(Message):
    """Peer -> space: the agreement the peer holds with the caller, its
    products, and the peer's signature over the agreement's hash (its
    countersignature, which the caller records)."""

    agreement: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    products: list[str]
    signature: KeyHex  # the peer's ledger key over bytes.fromhex(agreement)


Hash = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class PeerDataset(Message):
    """One provider of the answering space for one role of a product the
    agreement covers: its newest offer and its keys as it signed them."""

    provider: ParticipantName
    role: str
    dataset: str
    version: int
    max_items: int
    setup_hash: Hash
    keys: ParticipantKeys
    # ids of the answering space's published policies that require the blind
    # lookup for jobs of the product on this provider's data
    blind_required_by: list[str] = Field(default_factory=list)


class PeerCatalogue(Message):
    """Peer -> space: per product of the agreement, the providers it hosts."""

    products: dict[str, list[PeerDataset]]


class PeerJobForward(Message):
    """Home space -> peer: a consumer's job whose providers include the
    peer's. The submission is the consumer's, signed by it (the peer's
    providers check it against the consumer's keys, which come as the
    consumer signed them). ``home_entry``: the hash of the home ledger's
    ``job_submitted`` entry, which the peer's ledger records."""

    submission: JobSubmission
    consumer_keys: ParticipantKeys
    home_entry: Hash


class PeerSubjects(Message):
    """Home -> peer: the consumer's fresh handles and, sealed to each of the
    peer's providers, the subjects it holds (the space can open none)."""

    handles: Base64Bytes
    sealed: dict[str, Base64Bytes]
    counts: dict[str, int]


class PeerBlindMasks(Message):
    """Home -> peer, in a blind lookup: per provider of the peer, the
    consumer's OPRF token and Enc(-r) (under the consumer's key) for each
    subject of the batch, in batch order. The peer joins them with its
    providers' masked uploads and answers one re-randomised ciphertext per
    subject (``PeerJobState.partial``): its providers' summed score parts,
    Enc(0) where none holds the subject."""

    tokens: dict[str, Base64Bytes]
    removals: dict[str, Base64Bytes]


class PeerSetupRequest(Message):
    """Home -> peer: one of the peer's providers' PSI setups, for a consumer
    of the home space (a setup is built for consumers)."""

    provider: ParticipantName
    dataset: str
    version: int


class PeerClose(Message):
    """Home -> peer: the job ended at home (``entry``: the hash of the home
    ledger's last entry for it); the peer drops the job's data."""

    outcome: Annotated[str, Field(pattern=r"^(collected|failed)$")]
    entry: Hash


class PeerJobState(Message):
    """Peer -> home: the peer's part of a job. ``entry``: the hash of the
    peer ledger's entry that accepted it; ``psi_responses`` once every
    provider of the peer answered the PSI step, ``features`` once each
    computed its ciphertexts (under the consumer's key). ``reasons``: a
    denial's (both languages) or a failure's typed code."""

    job_id: Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]
    state: str
    step: str
    reasons: list[str] = Field(default_factory=list)
    reasons_zh: list[str] = Field(default_factory=list)
    entry: Hash | None = None
    duties: dict[str, int] = Field(default_factory=dict)
    providers: list[PeerDataset] = Field(default_factory=list)
    psi_responses: dict[str, Base64Bytes] | None = None
    features: dict[str, EncryptedFeaturesResult] | None = None
    # A blind lookup: once every provider of the peer evaluated the blinded
    # points, their answers and their upload's mask keys (sealed to the
    # consumer); once the peer joined the consumer's masks, one ciphertext
    # per subject (under the consumer's key, re-randomised).
    evaluated: dict[str, Base64Bytes] | None = None
    sealed_keys: dict[str, Base64Bytes] | None = None
    partial: Base64Bytes | None = None


__all__ = [
    "AGREEMENT_STATEMENT",
    "NONCE_HEADER",
    "PEER_HEADER",
    "PEER_HEADERS",
    "SIGNATURE_HEADER",
    "TIME_HEADER",
    "WINDOW_SECONDS",
    "PeerHello",
    "PeerHelloReply",
    "PeerSpace",
    "PeeringTerms",
    "agreement_hash",
    "draft_terms",
    "request_digest",
    "response_digest",
]
