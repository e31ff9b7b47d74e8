"""Published policies inside the space, and the gate that applies them.

Policies are versioned and immutable: a version in force supersedes the one
before it, old versions stay readable, and retiring a policy id stops every
version of it from governing new jobs. Publishing, each approval, retiring
and every decision are ledger entries; a job's decision records the content
hashes of the versions it ran under.

Stewards act only for the owners that appointed them (``stewards.py``). A
policy id belongs to every owner any of its versions names: publishing a
version needs a steward appointed by one of the new version's owners and by
one of the id's earlier owners; the version is ``pending`` (not in force:
the gate and ``policy explain`` leave it out) until the steward of each of
those owners has approved it, the publisher's approval counting for the
owners that appointed it. Retiring needs a steward of one of the id's
owners: any owner may withdraw its data.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field

from policies import request
from policies.constraints import JobRequest
from policies.decision import Decision
from policies.engine import evaluate
from policies.model import Policy, PolicyError, parse_policy
from policies.semantics import semantic_errors
from products.base import Product
from products.registry import get_product
from trusted_space.core.errors import (
    InputError,
    NotAuthorised,
    NotFound,
    NotStewardOf,
    ProtocolError,
)
from trusted_space.core.i18n import Text
from trusted_space.ledger.ledger import Ledger
from trusted_space.protocol.messages import JobSpec, PolicyStatus
from trusted_space.space.gate import OpenGate
from trusted_space.space.participants import Participants
from trusted_space.space.stewards import Stewards
from trusted_space.space.store import SpaceStore
from trusted_space.space.usage import LedgerUsage

SCHEMA = """
CREATE TABLE IF NOT EXISTS policies (
    policy_id TEXT NOT NULL, version INTEGER NOT NULL, content_hash TEXT NOT NULL,
    product TEXT NOT NULL, document TEXT NOT NULL, state TEXT NOT NULL,
    published_at TEXT NOT NULL, published_by TEXT NOT NULL,
    PRIMARY KEY (policy_id, version));
-- The document as the steward wrote it (comments, order, layout), for editors
-- that start a new version from it; the gate reads the validated document above.
CREATE TABLE IF NOT EXISTS policy_sources (
    policy_id TEXT NOT NULL, version INTEGER NOT NULL, text TEXT NOT NULL,
    PRIMARY KEY (policy_id, version));
-- The owners whose steward must approve a version before it is in force; the
-- steward that approved for each (NULL: still awaited).
CREATE TABLE IF NOT EXISTS policy_approvals (
    policy_id TEXT NOT NULL, version INTEGER NOT NULL, owner TEXT NOT NULL,
    steward TEXT, approved_at TEXT, PRIMARY KEY (policy_id, version, owner));
"""


@dataclass(frozen=True)
class PolicyRecord:
    policy: Policy
    state: str  # pending | published | superseded | retired
    content_hash: str
    published_at: str
    # owner -> the steward that approved for it, None while awaited; empty for
    # versions published before approvals were recorded.
    approvals: dict[str, str | None] = field(default_factory=dict)

    @property
    def awaiting(self) -> list[str]:
        return sorted(o for o, steward in self.approvals.items() if steward is None)

    def status(self) -> PolicyStatus:
        return PolicyStatus(
            id=self.policy.id,
            version=self.policy.version,
            content_hash=self.content_hash,
            state=self.state,
            approvals=dict(self.approvals),
        )


def job_features(spec: JobSpec, product: Product) -> list[str]:
    """The features a job computes: the model's non-zero weights for a score
    product, the requested ones for a features product."""
    try:
        return request.job_features(product, spec.model, spec.features)
    except InputError as exc:
        raise ProtocolError(str(exc)) from exc


def job_request(spec: JobSpec, product: Product, when: dt.datetime) -> JobRequest:
    """The policy request of a submitted job, by the builder ``policies.explain`` uses."""
    try:
        return request.job_request(
            product,
            consumer=spec.consumer,
            purpose=spec.purpose,
            batch_size=spec.batch_size,
            providers=spec.providers,
            when=when,
            model=spec.model,
            features=spec.features,
            epsilon=spec.epsilon,
            consent_refs=spec.consent_refs,
            engine=spec.engine,
        )
    except InputError as exc:
        raise ProtocolError(str(exc)) from exc


def model_hash(document: bytes) -> str:
    """SHA-256 of a model file, the form policies pin it in."""
    return hashlib.sha256(document).hexdigest()


def read_policy_records(db: sqlite3.Connection, product: str | None = None) -> list[PolicyRecord]:
    """Every stored version, oldest first, with its state."""
    rows = db.execute(
        "SELECT document, state, content_hash, published_at, policy_id, version FROM policies "
        "WHERE ? IS NULL OR product = ? ORDER BY policy_id, version",
        (product, product),
    ).fetchall()
    approvals = _approvals(db)
    return [
        PolicyRecord(_policy(r[0]), r[1], r[2], r[3], approvals.get((r[4], r[5]), {})) for r in rows
    ]


def _approvals(db: sqlite3.Connection) -> dict[tuple[str, int], dict[str, str | None]]:
    try:
        rows = db.execute(
            "SELECT policy_id, version, owner, steward FROM policy_approvals ORDER BY owner"
        ).fetchall()
    except sqlite3.OperationalError:  # a space opened read-only before the table existed
        return {}
    out: dict[tuple[str, int], dict[str, str | None]] = {}
    for policy_id, version, owner, steward in rows:
        out.setdefault((str(policy_id), int(version)), {})[str(owner)] = (
            None if steward is None else str(steward)
        )
    return out


def read_policy_source(db: sqlite3.Connection, policy_id: str, version: int) -> str | None:
    """A version's document as published, comments and all; None when the
    space predates stored sources."""
    try:
        row = db.execute(
            "SELECT text FROM policy_sources WHERE policy_id = ? AND version = ?",
            (policy_id, version),
        ).fetchone()
    except sqlite3.OperationalError:  # a space opened read-only before the table existed
        return None
    return None if row is None else str(row[0])


@functools.lru_cache(maxsize=256)
def _policy(document: str) -> Policy:
    """A stored policy document, parsed once (every job's gate reads them)."""
    return Policy.model_validate(json.loads(document))


class PolicyRegistry:
    def __init__(
        self, store: SpaceStore, ledger: Ledger, participants: Participants, stewards: Stewards
    ) -> None:
        self.store = store
        self.ledger = ledger
        self.participants = participants
        self.stewards = stewards
        store.db.executescript(SCHEMA)

    def publish(self, caller: str, document: bytes | str) -> PolicyRecord:
        """Store a new version; in force at once when the caller's owners are
        all the owners whose approval it needs, else ``pending``. Publishing
        a stored version again (same content) approves it for the caller's
        owners."""
        self.participants.require(caller, "steward")
        try:
            policy = parse_policy(document, "policy")
        except PolicyError as exc:
            raise InputError(str(exc)) from None
        problems = semantic_errors(policy)
        if problems:
            raise InputError(str(PolicyError(policy.id, problems)))
        digest = policy.content_hash()
        db = self.store.db
        with self.store.transaction():
            governed = self.stewards.owners_of(caller)
            row = db.execute(
                "SELECT content_hash FROM policies WHERE policy_id = ? AND version = ?",
                (policy.id, policy.version),
            ).fetchone()
            if row is not None:
                if row[0] != digest:
                    raise ProtocolError(
                        Text(
                            "err.space.policy.other_content",
                            policy=policy.id,
                            version=policy.version,
                        )
                    )
                return self._approve(caller, policy.id, policy.version, governed)
            latest = db.execute(
                "SELECT max(version) FROM policies WHERE policy_id = ?", (policy.id,)
            ).fetchone()
            if latest is not None and latest[0] is not None and latest[0] > policy.version:
                raise ProtocolError(
                    Text("err.space.policy.version_taken", policy=policy.id, version=latest[0])
                )
            if not governed & set(policy.owners):
                raise NotStewardOf(
                    "steward.not_governing",
                    steward=caller,
                    policy=policy.id,
                    owners=", ".join(policy.owners),
                )
            earlier = self._id_owners(policy.id)
            if earlier and not governed & earlier:
                raise NotStewardOf(
                    "steward.not_superseding",
                    steward=caller,
                    policy=policy.id,
                    owners=", ".join(sorted(earlier)),
                )
            required = sorted(set(policy.owners) | earlier)
            approved = [o for o in required if o in governed]
            awaiting = [o for o in required if o not in governed]
            # A version never in force gives way to a newer one.
            db.execute(
                "UPDATE policies SET state = 'superseded' "
                "WHERE policy_id = ? AND state = 'pending'",
                (policy.id,),
            )
            text = document.decode("utf-8") if isinstance(document, bytes) else document
            db.execute(
                "INSERT INTO policy_sources VALUES (?, ?, ?)", (policy.id, policy.version, text)
            )
            now = _now()
            db.execute(
                "INSERT INTO policies VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)",
                (
                    policy.id,
                    policy.version,
                    digest,
                    policy.product,
                    policy.model_dump_json(by_alias=True),
                    now,
                    caller,
                ),
            )
            db.executemany(
                "INSERT INTO policy_approvals VALUES (?, ?, ?, ?, ?)",
                [
                    (policy.id, policy.version, o, caller, now)
                    if o in governed
                    else (policy.id, policy.version, o, None, None)
                    for o in required
                ],
            )
            self.ledger.append(
                caller,
                "policy_published",
                {
                    "policy": policy.id,
                    "version": policy.version,
                    "content_hash": digest,
                    "product": policy.product,
                    "owners": policy.owners,
                    "requires": required,
                    "approved": approved,
                    "awaiting": awaiting,
                    "state": "pending" if awaiting else "published",
                },
            )
            if not awaiting:
                self._take_effect(policy.id, policy.version)
        return self._record(policy.id, policy.version)

    def approve(self, caller: str, policy_id: str, version: int) -> PolicyRecord:
        """The caller approves a pending version for the owners that
        appointed it; the version is in force once every owner it needs has
        approved."""
        self.participants.require(caller, "steward")
        with self.store.transaction():
            return self._approve(caller, policy_id, version, self.stewards.owners_of(caller))

    def _approve(
        self, caller: str, policy_id: str, version: int, governed: frozenset[str]
    ) -> PolicyRecord:
        db = self.store.db
        row = db.execute(
            "SELECT state, content_hash, product FROM policies WHERE policy_id = ? AND version = ?",
            (policy_id, version),
        ).fetchone()
        if row is None:
            raise NotFound(Text("err.space.policy.unknown", policy=policy_id, version=version))
        state, digest, product = str(row[0]), str(row[1]), str(row[2])
        approvals = {
            str(o): s
            for o, s in db.execute(
                "SELECT owner, steward FROM policy_approvals WHERE policy_id = ? AND version = ?",
                (policy_id, version),
            )
        }
        owners = set(approvals) or self._id_owners(policy_id)
        mine = sorted(o for o in owners if o in governed)
        if not mine:
            raise NotStewardOf(
                "steward.not_governing",
                steward=caller,
                policy=f"{policy_id} v{version}",
                owners=", ".join(sorted(owners)),
            )
        if state in ("superseded", "retired"):
            raise ProtocolError(
                Text(
                    "err.space.policy.not_approvable",
                    policy=policy_id,
                    version=version,
                    state=state,
                )
            )
        new = [o for o in mine if o in approvals and approvals[o] is None]
        if state != "pending" or not new:
            return self._record(policy_id, version)  # approved already: nothing changes
        db.executemany(
            "UPDATE policy_approvals SET steward = ?, approved_at = ? "
            "WHERE policy_id = ? AND version = ? AND owner = ?",
            [(caller, _now(), policy_id, version, o) for o in new],
        )
        awaiting = sorted(o for o, s in approvals.items() if s is None and o not in new)
        self.ledger.append(
            caller,
            "policy_approved",
            {
                "policy": policy_id,
                "version": version,
                "content_hash": digest,
                "product": product,
                "approved": new,
                "awaiting": awaiting,
                "state": "pending" if awaiting else "published",
            },
        )
        if not awaiting:
            self._take_effect(policy_id, version)
        return self._record(policy_id, version)

    def _take_effect(self, policy_id: str, version: int) -> None:
        db = self.store.db
        db.execute(
            "UPDATE policies SET state = 'superseded' "
            "WHERE policy_id = ? AND version <> ? AND state IN ('published', 'pending')",
            (policy_id, version),
        )
        db.execute(
            "UPDATE policies SET state = 'published' WHERE policy_id = ? AND version = ?",
            (policy_id, version),
        )

    def _id_owners(self, policy_id: str) -> set[str]:
        """Every owner any stored version of ``policy_id`` names."""
        rows = self.store.db.execute(
            "SELECT document FROM policies WHERE policy_id = ?", (policy_id,)
        ).fetchall()
        return {o for (document,) in rows for o in _policy(document).owners}

    def retire(self, caller: str, policy_id: str) -> None:
        self.participants.require(caller, "steward")
        db = self.store.db
        with self.store.transaction():
            live = db.execute(
                "SELECT 1 FROM policies WHERE policy_id = ? AND state IN ('published', 'pending')",
                (policy_id,),
            ).fetchone()
            if live is None:
                raise NotFound(Text("err.space.policy.unpublished", policy=policy_id))
            owners = self._id_owners(policy_id)
            if not owners & self.stewards.owners_of(caller):
                raise NotStewardOf(
                    "steward.not_governing",
                    steward=caller,
                    policy=policy_id,
                    owners=", ".join(sorted(owners)),
                )
            db.execute(
                "UPDATE policies SET state = 'retired' "
                "WHERE policy_id = ? AND state IN ('published', 'pending')",
                (policy_id,),
            )
            self.ledger.append(caller, "policy_retired", {"policy": policy_id})

    def _record(self, policy_id: str, version: int) -> PolicyRecord:
        for record in read_policy_records(self.store.db):
            if (record.policy.id, record.policy.version) == (policy_id, version):
                return record
        raise NotFound(Text("err.space.policy.unknown", policy=policy_id, version=version))

    def records(self, product: str | None = None) -> list[PolicyRecord]:
        return read_policy_records(self.store.db, product)

    def active(self, product: str) -> list[Policy]:
        return [r.policy for r in self.records(product) if r.state == "published"]


class RegistryGate:
    """The space's gate: the published policies decide.

    With ``require_policy`` off (an embedded single-owner run) a product with
    no published policy at all is allowed, and the decision says so; a space
    operated as a service requires a policy for every job."""

    def __init__(
        self,
        registry: PolicyRegistry,
        *,
        require_policy: bool,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.registry = registry
        self.require_policy = require_policy
        self.now = now  # the moment a job is judged at (validity, quota periods)

    def evaluate(self, spec: JobSpec) -> Decision:
        product = get_product(spec.product)
        policies = self.registry.active(product.name)
        if not policies and not self.require_policy:
            return OpenGate().evaluate(spec)
        job = job_request(spec, product, self.now())
        return evaluate(policies, job, LedgerUsage(self.registry.store.db))


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


__all__ = [
    "NotAuthorised",
    "PolicyRecord",
    "PolicyRegistry",
    "RegistryGate",
    "job_features",
    "model_hash",
]
