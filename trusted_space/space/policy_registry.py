"""Published policies inside the space, and the gate that applies them.

Policies are versioned and immutable: publishing version n+1 supersedes n,
old versions stay readable, and retiring a policy id stops every version of
it from governing new jobs. Publishing, retiring and every decision are
ledger entries; a job's decision records the content hashes of the versions
it ran under.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from policies import request
from policies.constraints import JobRequest
from policies.decision import Decision
from policies.engine import evaluate
from policies.model import Policy, PolicyError, parse_policy
from policies.semantics import semantic_errors
from products.base import Product
from products.registry import get_product
from trusted_space.core.errors import InputError, NotAuthorised, NotFound, ProtocolError
from trusted_space.ledger.ledger import Ledger
from trusted_space.protocol.messages import JobSpec
from trusted_space.space.gate import OpenGate
from trusted_space.space.participants import Participants
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
"""


@dataclass(frozen=True)
class PolicyRecord:
    policy: Policy
    state: str  # published | superseded | retired
    content_hash: str
    published_at: str


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
        "SELECT document, state, content_hash, published_at FROM policies "
        "WHERE ? IS NULL OR product = ? ORDER BY policy_id, version",
        (product, product),
    ).fetchall()
    return [PolicyRecord(_policy(r[0]), r[1], r[2], r[3]) for r in rows]


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
    def __init__(self, store: SpaceStore, ledger: Ledger, participants: Participants) -> None:
        self.store = store
        self.ledger = ledger
        self.participants = participants
        store.db.executescript(SCHEMA)

    def publish(self, caller: str, document: bytes | str) -> PolicyRecord:
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
            row = db.execute(
                "SELECT content_hash FROM policies WHERE policy_id = ? AND version = ?",
                (policy.id, policy.version),
            ).fetchone()
            if row is not None:
                if row[0] != digest:
                    raise ProtocolError(
                        f"{policy.id} v{policy.version} is already published with other content; "
                        "publish a new version"
                    )
                return self._record(policy.id, policy.version)
            latest = db.execute(
                "SELECT max(version) FROM policies WHERE policy_id = ?", (policy.id,)
            ).fetchone()
            if latest is not None and latest[0] is not None and latest[0] > policy.version:
                raise ProtocolError(f"{policy.id} already has version {latest[0]}")
            db.execute(
                "UPDATE policies SET state = 'superseded' "
                "WHERE policy_id = ? AND state = 'published'",
                (policy.id,),
            )
            text = document.decode("utf-8") if isinstance(document, bytes) else document
            db.execute(
                "INSERT INTO policy_sources VALUES (?, ?, ?)", (policy.id, policy.version, text)
            )
            db.execute(
                "INSERT INTO policies VALUES (?, ?, ?, ?, ?, 'published', ?, ?)",
                (
                    policy.id,
                    policy.version,
                    digest,
                    policy.product,
                    policy.model_dump_json(by_alias=True),
                    _now(),
                    caller,
                ),
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
                },
            )
        return self._record(policy.id, policy.version)

    def retire(self, caller: str, policy_id: str) -> None:
        self.participants.require(caller, "steward")
        db = self.store.db
        with self.store.transaction():
            changed = db.execute(
                "UPDATE policies SET state = 'retired' WHERE policy_id = ? AND state = 'published'",
                (policy_id,),
            ).rowcount
            if not changed:
                raise NotFound(f"no published policy {policy_id!r}")
            self.ledger.append(caller, "policy_retired", {"policy": policy_id})

    def _record(self, policy_id: str, version: int) -> PolicyRecord:
        for record in read_policy_records(self.store.db):
            if (record.policy.id, record.policy.version) == (policy_id, version):
                return record
        raise NotFound(f"no policy {policy_id} v{version}")

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
