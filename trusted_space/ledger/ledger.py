"""The audit ledger: append-only, hash-chained, signed entries.

Each entry is canonical JSON of ``{seq, time, actor, kind, job_id, details,
prev}``; its hash is ``H(canonical entry)`` under the space's crypto suite and
its signature is the space's signature over that hash. Changing, removing or
reordering any entry breaks the chain at the first entry affected, and
``verify`` names it.

Every CHECKPOINT_EVERY entries, and after each job's last entry, the ledger
appends a ``checkpoint`` entry holding the Merkle root (trusted_space/ledger/merkle.py)
of every entry before it; ``proof`` gives an entry's inclusion proof against
a checkpoint, which anyone holding the space's public key can check
(``verify_proof``).

Nodes sign the results of the steps they perform (``step_digest``); the
space records each signature in a ``task_result`` entry, and ``verify``
checks it against the signing key the node registered (a ``keys_registered``
or ``keys_rotated`` entry), so the space cannot forge a provider's
participation without that provider's key. In the same way ``verify``
checks each ``steward_appointed`` entry against the owner's registered key
and the space's own, and that every approval of a policy
(``policy_published``, ``policy_approved``) came from a steward the owner had
appointed, and that a version was in force only once each owner it needed
had approved: the space cannot make a steward for an owner, nor put a
policy in force, without the owners.

Entries hold no identifier and no raw value: callers pass counts, versions,
hashes of messages and decisions only.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from trusted_space.core.canonical_json import canonical_json
from trusted_space.core.errors import CryptoError, LedgerTampered, NotFound
from trusted_space.core.i18n import Text
from trusted_space.crypto import CryptoSuite, SigningKey
from trusted_space.ledger import merkle
from trusted_space.protocol.messages import appointment_digest

GENESIS = "0" * 64
CHECKPOINT_EVERY = 64
# A job's last entry: a checkpoint follows, so its history can be proved at once.
END_OF_JOB = ("result_collected", "job_failed")
KEY_ENTRIES = ("keys_registered", "keys_rotated")
APPROVALS = ("policy_published", "policy_approved")


def step_digest(
    suite: CryptoSuite, job_id: str, task_id: str, kind: str, result_hash: str
) -> bytes:
    """What a node signs for one step's result (and the ledger re-checks)."""
    return suite.hash(
        canonical_json(
            {"job_id": job_id, "task_id": task_id, "kind": kind, "result_hash": result_hash}
        )
    )


@dataclass(frozen=True)
class LedgerEntry:
    seq: int
    time: str
    actor: str
    kind: str
    job_id: str | None
    details: dict[str, Any]
    prev: str
    hash: str
    signature: str

    def body(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "time": self.time,
            "actor": self.actor,
            "kind": self.kind,
            "job_id": self.job_id,
            "details": self.details,
            "prev": self.prev,
        }

    def to_dict(self) -> dict[str, Any]:
        return {**self.body(), "hash": self.hash, "signature": self.signature}


@dataclass
class _Head:
    """The last entry's sequence number, hash and kind, the Merkle frontier
    of every entry up to it, and the connection's data version they were
    read or written at."""

    seq: int
    hash: str
    kind: str | None
    frontier: merkle.Frontier
    version: int


class Ledger:
    """The ledger table inside the space's SQLite database."""

    def __init__(self, db: sqlite3.Connection, suite: CryptoSuite, key: SigningKey | None) -> None:
        self.db = db
        self.suite = suite
        self._key = key
        self._head: _Head | None = None  # kept between appends (``_current_head``)
        if key is None:
            return  # a reader (``reader``): the tables exist already
        db.execute(
            "CREATE TABLE IF NOT EXISTS ledger (seq INTEGER PRIMARY KEY, entry TEXT NOT NULL, "
            "job_id TEXT, kind TEXT NOT NULL)"
        )
        db.execute("CREATE INDEX IF NOT EXISTS ledger_job ON ledger(job_id)")
        db.execute(
            "CREATE TABLE IF NOT EXISTS ledger_frontier "
            "(id INTEGER PRIMARY KEY CHECK (id = 1), subtrees TEXT NOT NULL)"
        )

    @classmethod
    def reader(cls, db: sqlite3.Connection, suite: CryptoSuite) -> Ledger:
        """A ledger that reads (entries, proofs) and cannot append."""
        return cls(db, suite, None)

    @property
    def key(self) -> SigningKey:
        if self._key is None:
            raise CryptoError(Text("err.base.ledger.read_only"))
        return self._key

    # -- the running Merkle frontier --------------------------------------------
    def _frontier(self) -> merkle.Frontier:
        row = self.db.execute("SELECT subtrees FROM ledger_frontier WHERE id = 1").fetchone()
        if row is not None:
            return merkle.Frontier.from_json(self.suite.hash, json.loads(row[0]))
        frontier = merkle.Frontier(self.suite.hash)  # a ledger from before checkpoints
        for entry in self.entries():
            frontier.add(merkle.leaf_hash(self.suite.hash, bytes.fromhex(entry.hash)))
        return frontier

    def _save_frontier(self, frontier: merkle.Frontier) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO ledger_frontier (id, subtrees) VALUES (1, ?)",
            (json.dumps(frontier.to_json()),),
        )

    def _current_head(self) -> _Head:
        """The head as kept after the last append, while it is still the
        database's: no other connection has committed since (SQLite's
        data_version) and no rollback has taken entries back (the highest
        sequence number is the one kept). Else read again."""
        (version,) = self.db.execute("PRAGMA data_version").fetchone()
        (top,) = self.db.execute("SELECT coalesce(max(seq), 0) FROM ledger").fetchone()
        head = self._head
        if head is not None and head.version == version and head.seq == top:
            return head
        last = self.db.execute("SELECT entry FROM ledger ORDER BY seq DESC LIMIT 1").fetchone()
        entry = None if last is None else LedgerEntry(**json.loads(last[0]))
        head = _Head(
            seq=0 if entry is None else entry.seq,
            hash=GENESIS if entry is None else entry.hash,
            kind=None if entry is None else entry.kind,
            frontier=self._frontier(),
            version=int(version),
        )
        self._head = head
        return head

    def append(
        self, actor: str, kind: str, details: dict[str, Any], job_id: str | None = None
    ) -> LedgerEntry:
        """Append one entry. Call inside the caller's transaction so the entry
        commits with the state change it records."""
        head = self._current_head()
        seq, prev = head.seq + 1, head.hash
        body: dict[str, Any] = {
            "seq": seq,
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            "actor": actor,
            "kind": kind,
            "job_id": job_id,
            "details": details,
            "prev": prev,
        }
        digest = self.suite.hash(canonical_json(body))
        entry = LedgerEntry(
            seq=seq,
            time=str(body["time"]),
            actor=actor,
            kind=kind,
            job_id=job_id,
            details=details,
            prev=prev,
            hash=digest.hex(),
            signature=self.key.sign(digest).hex(),
        )
        frontier = merkle.Frontier(self.suite.hash, head.frontier.subtrees)
        self.db.execute(
            "INSERT INTO ledger (seq, entry, job_id, kind) VALUES (?, ?, ?, ?)",
            (seq, json.dumps(entry.to_dict(), ensure_ascii=False), job_id, kind),
        )
        frontier.add(merkle.leaf_hash(self.suite.hash, digest))
        self._save_frontier(frontier)
        self._head = _Head(seq, entry.hash, kind, frontier, head.version)
        if kind != "checkpoint" and (seq % CHECKPOINT_EVERY == 0 or kind in END_OF_JOB):
            self.checkpoint(actor="space")
        return entry

    def checkpoint(self, actor: str = "space") -> LedgerEntry:
        """Publish the Merkle root of every entry so far (a no-op when the
        last entry already is a checkpoint)."""
        head = self._current_head()
        if head.kind == "checkpoint":
            last = self.last()
            assert last is not None
            return last
        frontier = head.frontier
        return self.append(
            actor, "checkpoint", {"size": frontier.size, "root": frontier.root().hex()}
        )

    def latest_checkpoint(self) -> LedgerEntry | None:
        """The last checkpoint entry: what nodes and auditors keep outside the
        space (trusted_space/ledger/checkpoints.py)."""
        row = self.db.execute(
            "SELECT entry FROM ledger WHERE kind = 'checkpoint' ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        return None if row is None else LedgerEntry(**json.loads(row[0]))

    def last(self) -> LedgerEntry | None:
        row = self.db.execute("SELECT entry FROM ledger ORDER BY seq DESC LIMIT 1").fetchone()
        return None if row is None else LedgerEntry(**json.loads(row[0]))

    def proof(self, seq: int) -> dict[str, Any]:
        """The inclusion proof of entry ``seq`` in the first checkpoint that covers it."""
        row = self.db.execute(
            "SELECT entry FROM ledger WHERE kind = 'checkpoint' AND seq > ? ORDER BY seq LIMIT 1",
            (seq,),
        ).fetchone()
        if row is None:
            raise NotFound(Text("err.base.ledger.no_checkpoint_for", seq=seq))
        checkpoint = LedgerEntry(**json.loads(row[0]))
        size = int(checkpoint.details["size"])
        hashes = [
            merkle.leaf_hash(self.suite.hash, bytes.fromhex(json.loads(text)["hash"]))
            for (text,) in self.db.execute(
                "SELECT entry FROM ledger WHERE seq <= ? ORDER BY seq", (size,)
            )
        ]
        if not 1 <= seq <= len(hashes):
            raise NotFound(Text("err.base.ledger.no_entry", seq=seq))
        entry = json.loads(
            self.db.execute("SELECT entry FROM ledger WHERE seq = ?", (seq,)).fetchone()[0]
        )
        return {
            "entry": entry,
            "checkpoint": checkpoint.to_dict(),
            "index": seq - 1,
            "size": size,
            "proof": [h.hex() for h in merkle.inclusion_proof(self.suite.hash, hashes, seq - 1)],
        }

    def entries(self, job_id: str | None = None) -> Iterator[LedgerEntry]:
        if job_id is None:
            rows = self.db.execute("SELECT entry FROM ledger ORDER BY seq")
        else:
            rows = self.db.execute(
                "SELECT entry FROM ledger WHERE job_id = ? ORDER BY seq", (job_id,)
            )
        for (text,) in rows:
            yield LedgerEntry(**json.loads(text))

    def verify(self) -> int:
        """Check the whole chain; return the number of entries."""
        return verify_entries(
            (e.to_dict() for e in self.entries()), self.suite, self.key.public_bytes()
        )


def check_signed(data: dict[str, Any], suite: CryptoSuite, public_key: bytes) -> bytes:
    """The entry's digest, once its hash and the space's signature check out."""
    body = {k: data.get(k) for k in ("seq", "time", "actor", "kind", "job_id", "details", "prev")}
    digest = suite.hash(canonical_json(body))
    if digest.hex() != data.get("hash"):
        raise LedgerTampered(int(data.get("seq") or 0), Text("ledger.bad_hash"))
    try:
        suite.verify(public_key, digest, bytes.fromhex(str(data.get("signature", ""))))
    except (CryptoError, ValueError) as exc:
        raise LedgerTampered(int(data.get("seq") or 0), Text("ledger.bad_signature")) from exc
    return digest


def verify_entries(entries: Iterator[dict[str, Any]], suite: CryptoSuite, public_key: bytes) -> int:
    """Verify a whole ledger (or its export) from the first entry: sequence,
    chain, hashes, the space's signatures, every checkpoint's Merkle root and
    every node's signature on its steps. Raise ``LedgerTampered`` naming the
    first entry that fails; return the number of entries."""
    prev = GENESIS
    count = 0
    frontier = merkle.Frontier(suite.hash)
    node_keys: dict[str, bytes] = {}
    governance = _Governance(suite, suite.fingerprint(public_key))
    for count, data in enumerate(entries, start=1):
        seq = data.get("seq", count)
        if seq != count:
            raise LedgerTampered(count, Text("ledger.bad_seq", expected=count, found=seq))
        if data.get("prev") != prev:
            raise LedgerTampered(count, Text("ledger.bad_chain"))
        digest = check_signed(data, suite, public_key)
        kind, details = data.get("kind"), data.get("details") or {}
        if kind == "checkpoint" and (
            details.get("size") != frontier.size or details.get("root") != frontier.root().hex()
        ):
            raise LedgerTampered(count, Text("ledger.bad_root"))
        if kind in KEY_ENTRIES and "signing_key" in details:
            node_keys[str(details.get("name"))] = bytes.fromhex(str(details["signing_key"]))
        if kind == "task_result":
            _check_node_signature(count, data, details, node_keys, suite)
        if kind == "steward_appointed":
            governance.appointed(count, details, node_keys)
        if kind in APPROVALS and "approved" in details:  # entries before approvals: none
            governance.approval(count, str(data.get("actor")), details)
        frontier.add(merkle.leaf_hash(suite.hash, digest))
        prev = digest.hex()
    return count


class _Governance:
    """What ``verify_entries`` checks of stewards: each appointment signed by
    its owner's registered key for this space; each approval by a steward
    its owner appointed; a version in force only with every approval."""

    def __init__(self, suite: CryptoSuite, space: str) -> None:
        self.suite = suite
        self.space = space
        self.owners: dict[str, set[str]] = {}  # steward -> owners that appointed it
        self.approved: dict[tuple[str, str], set[str]] = {}
        self.required: dict[tuple[str, str], set[str]] = {}

    def appointed(self, count: int, details: dict[str, Any], node_keys: dict[str, bytes]) -> None:
        owner, steward = str(details.get("owner")), str(details.get("steward"))
        key = node_keys.get(owner)
        if key is None:
            raise LedgerTampered(count, Text("ledger.unkeyed_appointment", owner=repr(owner)))
        if details.get("space") != self.space:
            raise LedgerTampered(count, Text("ledger.other_space"))
        digest = appointment_digest(self.suite, owner, steward, self.space)
        try:
            self.suite.verify(key, digest, bytes.fromhex(str(details.get("signature", ""))))
        except (CryptoError, ValueError) as exc:
            raise LedgerTampered(
                count, Text("ledger.unsigned_appointment", steward=repr(steward), owner=repr(owner))
            ) from exc
        self.owners.setdefault(steward, set()).add(owner)

    def approval(self, count: int, actor: str, details: dict[str, Any]) -> None:
        version = (str(details.get("policy")), str(details.get("version")))
        approved = {str(o) for o in details.get("approved") or ()}
        stray = sorted(approved - self.owners.get(actor, set()))
        if stray:
            raise LedgerTampered(
                count, Text("ledger.stray_approval", actor=repr(actor), owners=", ".join(stray))
            )
        if "requires" in details:
            self.required[version] = {str(o) for o in details["requires"]}
        done = self.approved.setdefault(version, set())
        done |= approved
        if details.get("state") == "published" and not self.required.get(version, set()) <= done:
            missing = sorted(self.required[version] - done)
            raise LedgerTampered(
                count, Text("ledger.unapproved_policy", stewards=", ".join(missing))
            )


def _check_node_signature(
    count: int,
    data: dict[str, Any],
    details: dict[str, Any],
    node_keys: dict[str, bytes],
    suite: CryptoSuite,
) -> None:
    actor = str(data.get("actor"))
    key = node_keys.get(actor)
    if key is None:
        raise LedgerTampered(count, Text("ledger.unkeyed_step", actor=repr(actor)))
    digest = step_digest(
        suite,
        str(data.get("job_id")),
        str(details.get("task_id")),
        str(details.get("result")),
        str(details.get("result_hash")),
    )
    try:
        suite.verify(key, digest, bytes.fromhex(str(details.get("node_signature", ""))))
    except (CryptoError, ValueError) as exc:
        raise LedgerTampered(count, Text("ledger.unsigned_step", actor=repr(actor))) from exc


def verify_proof(proof: dict[str, Any], suite: CryptoSuite, public_key: bytes) -> None:
    """Check an inclusion proof from ``Ledger.proof`` with the space's public
    key alone; raise ``LedgerTampered`` when it does not hold."""
    entry, checkpoint = proof["entry"], proof["checkpoint"]
    digest = check_signed(entry, suite, public_key)
    check_signed(checkpoint, suite, public_key)
    size = int(checkpoint["details"]["size"])
    if checkpoint.get("kind") != "checkpoint" or int(proof["size"]) != size:
        raise LedgerTampered(int(checkpoint["seq"]), Text("ledger.proof_size"))
    if int(proof["index"]) != int(entry["seq"]) - 1:
        raise LedgerTampered(int(entry["seq"]), Text("ledger.proof_position"))
    ok = merkle.verify_inclusion(
        suite.hash,
        merkle.leaf_hash(suite.hash, digest),
        int(proof["index"]),
        size,
        [bytes.fromhex(h) for h in proof["proof"]],
        bytes.fromhex(checkpoint["details"]["root"]),
    )
    if not ok:
        raise LedgerTampered(int(entry["seq"]), Text("ledger.proof_missing"))
