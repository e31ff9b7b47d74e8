"""Other spaces this space peers with, the agreements behind them, and the
check of every request a peer sends.

A peer is added by the operator (``tspace admin add-peer``) with its name,
its base URL, its ledger signing key (pinned: every request from it must
verify under that key) and the signed agreement both spaces hold
(``PeeringTerms``, trusted_space/protocol/peering.py). The operator alone
cannot open a channel: each steward of this space that the agreement names
must have approved it first (``approve``, over the steward's API key, a
``peering_approved`` ledger entry, as a policy's approvals are recorded).
Adding the peer is a ``peer_added`` entry holding the whole agreement, so
an auditor recomputes its hash; the peer's ledger holds the same hash.

A request from a peer is refused, with a typed, localised reason, when it
is unsigned, from a key no active peer has, signed by another key or for
another space, outside the time window, or replays a nonce
(``verify_request``); a replay, whose signature is the peer's, is also a
``message_refused`` entry. Answers to peers are signed with the ledger key
(``sign_response``).
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from products.registry import get_product
from trusted_space.core.errors import (
    CryptoError,
    NotFound,
    PeeringRefused,
    PeerRefused,
    PeerReplayed,
)
from trusted_space.core.i18n import Text, english
from trusted_space.crypto import CryptoSuite, SigningKey
from trusted_space.ledger.ledger import Ledger
from trusted_space.protocol.peering import (
    NONCE_HEADER,
    PEER_HEADER,
    SIGNATURE_HEADER,
    TIME_HEADER,
    WINDOW_SECONDS,
    PeerCatalogue,
    PeerDataset,
    PeerHello,
    PeerHelloReply,
    PeeringTerms,
    agreement_hash,
    request_digest,
    response_digest,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS peers (
    name TEXT PRIMARY KEY, url TEXT NOT NULL, signing_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL, agreement TEXT NOT NULL, terms TEXT NOT NULL,
    state TEXT NOT NULL, added_at TEXT NOT NULL, countersignature TEXT);
CREATE TABLE IF NOT EXISTS peering_approvals (
    agreement TEXT NOT NULL, steward TEXT NOT NULL, approved_at TEXT NOT NULL,
    PRIMARY KEY (agreement, steward));
-- What each peer last said it hosts (``check-peer``): per product of the
-- agreement, its providers, their newest offers and signed keys.
CREATE TABLE IF NOT EXISTS peer_catalogue (
    peer TEXT NOT NULL, product TEXT NOT NULL, provider TEXT NOT NULL, role TEXT NOT NULL,
    entry TEXT NOT NULL, PRIMARY KEY (peer, product, provider, role));
-- Peers' providers' PSI setups a consumer here fetched, by hash.
CREATE TABLE IF NOT EXISTS peer_setups (
    digest TEXT PRIMARY KEY, setup BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS peer_nonces (
    fingerprint TEXT NOT NULL, nonce TEXT NOT NULL, seen REAL NOT NULL,
    PRIMARY KEY (fingerprint, nonce));
"""

NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
URL = re.compile(r"^https?://[^\s/]+(/[^\s]*)?$")
NONCE = re.compile(r"^[0-9a-f]{32}$")
FINGERPRINT = re.compile(r"^[0-9a-f]{16}$")
SIGNATURE = re.compile(r"^[0-9a-f]{2,1024}$")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class PeerRecord:
    name: str
    url: str
    signing_key: str  # hex: the peer's ledger key, pinned
    fingerprint: str
    agreement: str
    terms: PeeringTerms
    state: str  # active | removed
    added_at: str
    countersignature: str | None = None  # the peer's signature over the agreement hash
    approved_by: list[str] = field(default_factory=list)

    @property
    def products(self) -> list[str]:
        return list(self.terms.products)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "url": self.url,
            "fingerprint": self.fingerprint,
            "agreement": self.agreement,
            "products": self.products,
            "state": self.state,
            "added_at": self.added_at,
            "confirmed": self.countersignature is not None,
            "approved_by": self.approved_by,
        }


def read_peers(db: sqlite3.Connection) -> list[PeerRecord]:
    """Every peer, active and removed, by name; empty for a space from before peering."""
    try:
        rows = db.execute(
            "SELECT name, url, signing_key, fingerprint, agreement, terms, state, added_at, "
            "countersignature FROM peers ORDER BY name"
        ).fetchall()
        approvals: dict[str, list[str]] = {}
        for agreement, steward in db.execute(
            "SELECT agreement, steward FROM peering_approvals ORDER BY steward"
        ):
            approvals.setdefault(str(agreement), []).append(str(steward))
    except sqlite3.OperationalError:  # read-only, before the tables existed
        return []
    return [
        PeerRecord(
            name=r[0],
            url=r[1],
            signing_key=r[2],
            fingerprint=r[3],
            agreement=r[4],
            terms=PeeringTerms.model_validate_json(r[5]),
            state=r[6],
            added_at=r[7],
            countersignature=r[8],
            approved_by=approvals.get(r[4], []),
        )
        for r in rows
    ]


class Peers:
    def __init__(
        self, db: sqlite3.Connection, suite: CryptoSuite, ledger: Ledger, key: SigningKey
    ) -> None:
        self.db = db
        self.suite = suite
        self.ledger = ledger
        self.key = key
        self.fingerprint = suite.fingerprint(key.public_bytes())
        db.executescript(SCHEMA)

    # -- the agreement ---------------------------------------------------------------
    def _check_terms(self, terms: PeeringTerms) -> None:
        if terms.suite != self.suite.name:
            raise PeeringRefused("peering.other_suite", suite=terms.suite, mine=self.suite.name)
        if terms.side(self.suite, self.fingerprint) is None:
            raise PeeringRefused("peering.not_this_space", space=self.fingerprint)
        for product in terms.products:
            try:
                get_product(product)
            except ValueError:
                raise PeeringRefused("peering.unknown_product", product=product) from None

    def approve(self, steward: str, terms: PeeringTerms) -> list[str]:
        """``steward`` approves the agreement for this space; return every
        steward of this space that has approved it. Call inside a transaction."""
        self._check_terms(terms)
        mine = terms.side(self.suite, self.fingerprint)
        assert mine is not None
        if steward not in mine.stewards:
            raise PeeringRefused(
                "peering.steward_not_named", steward=steward, stewards=", ".join(mine.stewards)
            )
        digest = agreement_hash(self.suite, terms)
        known = self.db.execute(
            "SELECT 1 FROM peering_approvals WHERE agreement = ? AND steward = ?",
            (digest, steward),
        ).fetchone()
        if known is None:
            self.db.execute(
                "INSERT INTO peering_approvals VALUES (?, ?, ?)", (digest, steward, _now())
            )
            other = terms.other(self.suite, self.fingerprint)
            assert other is not None
            self.ledger.append(
                steward,
                "peering_approved",
                {
                    "agreement": digest,
                    "peer_fingerprint": self.suite.fingerprint(bytes.fromhex(other.signing_key)),
                    "products": list(terms.products),
                },
            )
        return self.approvals(digest)

    def approvals(self, agreement: str) -> list[str]:
        rows = self.db.execute(
            "SELECT steward FROM peering_approvals WHERE agreement = ? ORDER BY steward",
            (agreement,),
        )
        return [str(r[0]) for r in rows]

    # -- peers -----------------------------------------------------------------------
    def add(
        self, actor: str, name: str, url: str, signing_key: str, terms: PeeringTerms
    ) -> PeerRecord:
        """Pin a peer's key and URL under the agreement both spaces hold.
        Call inside a transaction."""
        if not NAME.match(name):
            raise ValueError(english(Text("err.base.value.peer_name", name=repr(name))))
        if not URL.match(url):
            raise ValueError(english(Text("err.base.value.peer_url", url=repr(url))))
        try:
            key = bytes.fromhex(signing_key)
        except ValueError:
            raise ValueError(english(Text("err.base.value.not_hex"))) from None
        self._check_terms(terms)
        other = terms.other(self.suite, self.fingerprint)
        assert other is not None
        if other.signing_key != key.hex():
            raise PeeringRefused("peering.other_key", peer=name)
        fingerprint = self.suite.fingerprint(key)
        digest = agreement_hash(self.suite, terms)
        mine = terms.side(self.suite, self.fingerprint)
        assert mine is not None
        approved = self.approvals(digest)
        awaiting = sorted(set(mine.stewards) - set(approved))
        if awaiting:
            raise PeeringRefused("peering.awaiting", stewards=", ".join(awaiting))
        for row in self.db.execute(
            "SELECT name, fingerprint FROM peers WHERE state = 'active'"
        ).fetchall():
            if row[0] == name:
                raise PeeringRefused("peering.name_in_use", peer=name)
            if row[1] == fingerprint:
                raise PeeringRefused("peering.key_in_use", peer=str(row[0]))
        self.db.execute(
            "INSERT INTO peers (name, url, signing_key, fingerprint, agreement, terms, state, "
            "added_at, countersignature) VALUES (?, ?, ?, ?, ?, ?, 'active', ?, NULL) "
            "ON CONFLICT(name) DO UPDATE SET url = excluded.url, "
            "signing_key = excluded.signing_key, fingerprint = excluded.fingerprint, "
            "agreement = excluded.agreement, terms = excluded.terms, state = 'active', "
            "added_at = excluded.added_at, countersignature = NULL",
            (
                name,
                url.rstrip("/"),
                key.hex(),
                fingerprint,
                digest,
                terms.model_dump_json(),
                _now(),
            ),
        )
        self.ledger.append(
            actor,
            "peer_added",
            {
                "peer": name,
                "url": url.rstrip("/"),
                "signing_key": key.hex(),
                "fingerprint": fingerprint,
                "agreement": digest,
                "products": list(terms.products),
                "approved_by": approved,
                "terms": terms.model_dump(mode="json"),
            },
        )
        return self.get(name)

    def remove(self, actor: str, name: str) -> None:
        """Stop peering with ``name``: its requests are refused from now on.
        Call inside a transaction."""
        peer = self.get(name)
        if peer.state != "active":
            raise NotFound(Text("err.space.peer.inactive", name=name))
        self.db.execute("UPDATE peers SET state = 'removed' WHERE name = ?", (name,))
        self.ledger.append(actor, "peer_removed", {"peer": name, "fingerprint": peer.fingerprint})

    def records(self) -> list[PeerRecord]:
        return read_peers(self.db)

    def get(self, name: str) -> PeerRecord:
        for peer in self.records():
            if peer.name == name:
                return peer
        raise NotFound(Text("err.space.peer.unknown", name=name))

    def active_by_fingerprint(self, fingerprint: str) -> PeerRecord | None:
        for peer in self.records():
            if peer.fingerprint == fingerprint and peer.state == "active":
                return peer
        return None

    def known(self, fingerprint: str) -> bool:
        """Whether an active peer has this fingerprint (cheap: before a body is read)."""
        row = self.db.execute(
            "SELECT 1 FROM peers WHERE fingerprint = ? AND state = 'active'", (fingerprint,)
        ).fetchone()
        return row is not None

    # -- requests from peers -----------------------------------------------------------
    def verify_request(
        self,
        headers: Mapping[str, str],
        method: str,
        target: str,
        body: bytes,
        now: float | None = None,
    ) -> PeerRecord:
        """The peer that sent this request, once its signature, time and
        nonce check out; else ``PeerRefused`` (or ``PeerReplayed``). Call
        inside a transaction (the nonce is kept)."""
        sender = headers.get(PEER_HEADER)
        stamp = headers.get(TIME_HEADER)
        nonce = headers.get(NONCE_HEADER)
        signature = headers.get(SIGNATURE_HEADER)
        if not sender or not stamp or not nonce or not signature:
            raise PeerRefused("peer.unsigned")
        peer = self.active_by_fingerprint(sender)
        if peer is None:
            raise PeerRefused("peer.unknown", peer=sender if FINGERPRINT.match(sender) else "?")
        if not stamp.isdigit() or not NONCE.match(nonce) or not SIGNATURE.match(signature):
            raise PeerRefused("peer.forged", peer=peer.name)
        now = time.time() if now is None else now
        skew = int(abs(now - int(stamp)))
        if skew > WINDOW_SECONDS:
            raise PeerRefused("peer.stale", peer=peer.name, seconds=skew, window=WINDOW_SECONDS)
        digest = request_digest(
            self.suite,
            sender=sender,
            receiver=self.fingerprint,
            method=method,
            target=target,
            time=int(stamp),
            nonce=nonce,
            body=body,
        )
        try:
            self.suite.verify(bytes.fromhex(peer.signing_key), digest, bytes.fromhex(signature))
        except (CryptoError, ValueError):
            raise PeerRefused("peer.forged", peer=peer.name) from None
        self.db.execute("DELETE FROM peer_nonces WHERE seen < ?", (now - 2 * WINDOW_SECONDS,))
        seen = self.db.execute(
            "SELECT 1 FROM peer_nonces WHERE fingerprint = ? AND nonce = ?", (sender, nonce)
        ).fetchone()
        if seen is not None:
            raise PeerReplayed("peer.replayed", peer=peer.name)
        self.db.execute("INSERT INTO peer_nonces VALUES (?, ?, ?)", (sender, nonce, now))
        return peer

    def record_replay(self, peer: str, target: str) -> None:
        """A replayed request, signed by the peer: recorded, never its body."""
        self.ledger.append(
            peer,
            "message_refused",
            {"message": "peer_request", "target": target, "reason": "peer_replayed"},
        )

    def sign_response(self, receiver: str, nonce: str, status: int, body: bytes) -> str:
        """This space's signature over its answer to a peer's request."""
        digest = response_digest(
            self.suite,
            sender=self.fingerprint,
            receiver=receiver,
            nonce=nonce,
            status=status,
            body=body,
        )
        return self.key.sign(digest).hex()

    # -- the handshake -----------------------------------------------------------------
    def hello(self, peer: PeerRecord, hello: PeerHello) -> PeerHelloReply:
        """A peer names the agreement it holds with this space: the same one,
        countersigned, or a refusal."""
        if hello.agreement != peer.agreement:
            raise PeeringRefused("peering.other_agreement", peer=peer.name)
        return PeerHelloReply(
            agreement=peer.agreement,
            products=peer.products,
            signature=self.key.sign(bytes.fromhex(peer.agreement)).hex(),
        )

    # -- catalogues: what each peer hosts -------------------------------------------------
    def store_catalogue(self, name: str, catalogue: PeerCatalogue) -> int:
        """Keep what peer ``name`` says it hosts, for the products of the
        agreement only; return the number of providers kept. Call inside a
        transaction."""
        peer = self.get(name)
        self.db.execute("DELETE FROM peer_catalogue WHERE peer = ?", (name,))
        local = {str(r[0]) for r in self.db.execute("SELECT name FROM participants")}
        kept = 0
        for product, datasets in catalogue.products.items():
            if product not in peer.products:
                continue
            for item in datasets:
                if item.provider in local or item.keys.name != item.provider:
                    continue  # a name this space uses itself is never a peer's
                self.db.execute(
                    "INSERT OR REPLACE INTO peer_catalogue VALUES (?, ?, ?, ?, ?)",
                    (name, product, item.provider, item.role, item.model_dump_json()),
                )
                kept += 1
        return kept

    def remote_providers(self, product: str) -> dict[str, list[str]]:
        """Per role of ``product``, the active peers' providers."""
        out: dict[str, list[str]] = {}
        for role, provider in self.db.execute(
            "SELECT c.role, c.provider FROM peer_catalogue c JOIN peers p ON p.name = c.peer "
            "WHERE p.state = 'active' AND c.product = ? ORDER BY c.provider",
            (product,),
        ):
            out.setdefault(str(role), []).append(str(provider))
        return out

    def remote_dataset(
        self, provider: str, product: str, role: str
    ) -> tuple[str, PeerDataset] | None:
        """The active peer hosting ``provider`` for ``role`` of ``product``, and its offer."""
        row = self.db.execute(
            "SELECT c.peer, c.entry FROM peer_catalogue c JOIN peers p ON p.name = c.peer "
            "WHERE p.state = 'active' AND c.product = ? AND c.provider = ? AND c.role = ?",
            (product, provider, role),
        ).fetchone()
        if row is None:
            return None
        return str(row[0]), PeerDataset.model_validate_json(row[1])

    def cached_setup(self, digest: str) -> bytes | None:
        row = self.db.execute(
            "SELECT setup FROM peer_setups WHERE digest = ?", (digest,)
        ).fetchone()
        return None if row is None else bytes(row[0])

    def cache_setup(self, digest: str, setup: bytes) -> None:
        self.db.execute("INSERT OR IGNORE INTO peer_setups VALUES (?, ?)", (digest, setup))

    def confirmed(self, actor: str, name: str, reply: PeerHelloReply) -> bool:
        """Record the peer's countersignature of the agreement (once); True
        when it is new. Call inside a transaction."""
        peer = self.get(name)
        if reply.agreement != peer.agreement:
            raise PeeringRefused("peering.other_agreement", peer=name)
        try:
            self.suite.verify(
                bytes.fromhex(peer.signing_key),
                bytes.fromhex(peer.agreement),
                bytes.fromhex(reply.signature),
            )
        except (CryptoError, ValueError):
            raise PeerRefused("peer.forged", peer=name) from None
        if peer.countersignature is not None:
            return False
        self.db.execute(
            "UPDATE peers SET countersignature = ? WHERE name = ?", (reply.signature, name)
        )
        self.ledger.append(
            actor,
            "peer_confirmed",
            {"peer": name, "agreement": peer.agreement, "countersignature": reply.signature},
        )
        return True


def terms_from_json(text: bytes | str) -> PeeringTerms:
    """An agreement file (``tspace admin draft-agreement``)."""
    return PeeringTerms.model_validate_json(text)
