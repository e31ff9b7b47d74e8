"""The space's API: every transport (embedded or HTTP) calls these methods.

Each method takes the authenticated caller's name first and refuses what
that caller may not do; a lock makes each call atomic for the service's
threads. State lives in ``SpaceStore`` (SQLite) and each change commits with
its ledger entry, so a restarted space carries on where it stopped: leases
expire, tasks are offered again, a combination in progress is redone.

What the space learns (DESIGN.md, direct PSI lookup): batch size, which
providers each fresh per-job handle matched, ciphertext sizes, dataset sizes
implied by PSI setups. It never receives an identifier or a plaintext value.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from products.registry import get_product
from products.score_model import ScoreModel
from trusted_space.core.clock import period_start
from trusted_space.core.errors import (
    Conflict,
    CryptoError,
    InputError,
    NotAuthorised,
    NotFound,
    PayloadTooLarge,
    ProtocolError,
    TspaceError,
    status_of,
)
from trusted_space.core.timing import StageTimer
from trusted_space.crypto import CryptoSuite, SigningKey, get_suite
from trusted_space.crypto.keyfiles import load_or_create_signing_key
from trusted_space.hazmat.paillier import MIN_PRODUCTION_BITS, PaillierPublicKey
from trusted_space.ledger.ledger import Ledger, step_digest
from trusted_space.protocol.messages import (
    DatasetOffer,
    JobResult,
    JobSpec,
    JobStatus,
    JobSubmission,
    ParticipantKeys,
    ResultOutcome,
    ResultReadyTask,
    Task,
    TaskExchangeReply,
    TaskPayload,
    TaskResult,
)
from trusted_space.space.gate import PolicyGate
from trusted_space.space.join import JoinProtocol
from trusted_space.space.lookup import SPACE, LookupProtocol
from trusted_space.space.participants import Participants
from trusted_space.space.policy_registry import PolicyRecord, PolicyRegistry, RegistryGate
from trusted_space.space.store import SpaceStore
from trusted_space.space.usage import LedgerUsage, record_usage

log = logging.getLogger("tspace.space")

F = TypeVar("F", bound=Callable[..., Any])

RESULT_KINDS = {
    "psi_respond": "psi_response",
    "psi_finish": "matched_subjects",
    "compute_features": "encrypted_features",
    "result_ready": "ack",
    "join_upload": "join_upload",
    "join_unpack": "join_unpacked",
    "join_threshold": "join_threshold",
}


@dataclass(frozen=True)
class SpaceConfig:
    suite: str = "default"
    min_paillier_bits: int = MIN_PRODUCTION_BITS
    lease_seconds: float = 120.0
    max_attempts: int = 5
    # A job that makes no progress for this long fails (a consumer that
    # never came back for its step must not leave a job running forever).
    job_timeout_seconds: float = 6 * 3600.0
    max_batch: int = 100_000
    # A service requires a published policy for every job; an embedded
    # single-owner run may go without one (and the ledger says so).
    require_policy: bool = False
    # A cap on the database's size in pages (None: only the disk's); past
    # it a write fails as on a full disk and its transaction rolls back.
    sqlite_max_pages: int | None = None


SPECS_KEPT = 256  # parsed job specs kept (jobs in flight)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def _locked(fn: F) -> F:
    @functools.wraps(fn)
    def wrapper(self: Space, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            return fn(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


class Space:
    def __init__(
        self, space_dir: Path, config: SpaceConfig | None = None, gate: PolicyGate | None = None
    ) -> None:
        self.config = config or SpaceConfig()
        self.lock = threading.RLock()
        # One condition per node over one lock: a task for a node wakes only
        # that node's long polls, not every waiting node.
        self._tasks_lock = threading.Lock()
        self._node_cvs: dict[str, threading.Condition] = {}
        self._task_generation: dict[str, int] = {}  # node -> tasks added so far
        self._setup_hashes: dict[tuple[str, str, int], str] = {}
        self._specs: dict[str, JobSpec] = {}  # stored spec text -> parsed
        self._closing = False  # set on shutdown: long polls answer at once
        # Called with a node's name when a task is added for it (from any
        # thread), and with None on shutdown: how the service wakes the long
        # polls it waits on the event loop.
        self._task_listeners: list[Callable[[str | None], None]] = []
        self._work_cv = threading.Condition()
        self.store = SpaceStore(space_dir, max_pages=self.config.sqlite_max_pages)
        recorded = self.store.get_meta("suite")
        if recorded is not None and recorded != self.config.suite:
            raise CryptoError(
                f"this space was created with the {recorded!r} suite, not {self.config.suite!r}"
            )
        self.suite: CryptoSuite = get_suite(self.config.suite)
        self.key: SigningKey = load_or_create_signing_key(self.suite, Path(space_dir) / "keys")
        self.ledger = Ledger(self.store.db, self.suite, self.key)
        self.participants = Participants(self.store.db, self.suite, self.ledger)
        self.policies = PolicyRegistry(self)
        self.gate: PolicyGate = gate or RegistryGate(
            self.policies, require_policy=self.config.require_policy
        )
        # Differential-privacy noise; tests may seed their own generator.
        self.dp_rng: random.Random = random.SystemRandom()
        self.lookup = LookupProtocol(self)
        self.join = JoinProtocol(self)
        self.timer = StageTimer()
        if recorded is None:
            with self.store.transaction():
                self.store.set_meta("suite", self.suite.name)
                self.ledger.append(
                    SPACE,
                    "space_created",
                    {
                        "suite": self.suite.name,
                        "signing_key": self.key.public_bytes().hex(),
                        "min_paillier_bits": self.config.min_paillier_bits,
                    },
                )

    def close(self) -> None:
        with self.lock:
            self.store.close()

    # -- participants --------------------------------------------------------------
    @_locked
    def add_participant(self, caller: str | None, name: str, role: str) -> str:
        """Add a participant and return its API key (shown once). ``caller``
        None is the operator at the space's own console (``tspace admin``)."""
        if caller is not None:
            self.participants.require(caller, "operator")
        with self.store.transaction():
            return self.participants.add(caller or "admin-console", name, role)

    @_locked
    def rotate_key(self, caller: str | None, name: str) -> str:
        """Revoke every API key of ``name`` and return a new one (shown once)."""
        if caller is not None:
            self.participants.require(caller, "operator")
        with self.store.transaction():
            return self.participants.rotate_key(caller or "admin-console", name)

    @_locked
    def register(self, keys: ParticipantKeys) -> None:
        """Embedded convenience: add a participant and record its keys at once."""
        with self.store.transaction() as db:
            row = db.execute(
                "SELECT role FROM participants WHERE name = ?", (keys.name,)
            ).fetchone()
            if row is None:
                self.participants.add("admin-console", keys.name, keys.role)
            self.participants.register_keys(keys.name, keys)

    @_locked
    def register_keys(self, caller: str, keys: ParticipantKeys) -> None:
        with self.store.transaction():
            self.participants.register_keys(caller, keys)

    @_locked
    def authenticate(self, api_key: str) -> str:
        return self.participants.authenticate(api_key)

    @_locked
    def whoami(self, caller: str) -> dict[str, str]:
        return {"name": caller, "role": self.participants.role(caller), "suite": self.suite.name}

    @_locked
    def public_keys(self, caller: str) -> list[ParticipantKeys]:
        self.participants.role(caller)
        return self.participants.public_keys()

    def _require(self, caller: str, *roles: str) -> None:
        self.participants.require(caller, *roles)

    # -- datasets ------------------------------------------------------------------
    @_locked
    def offer_dataset(self, caller: str, offer: DatasetOffer) -> None:
        self._require(caller, "provider")
        if offer.provider != caller:
            raise NotAuthorised("a provider may only offer its own datasets")
        with self.store.transaction() as db:
            exists = db.execute(
                "SELECT setup FROM datasets WHERE provider = ? AND dataset = ? AND version = ?",
                (offer.provider, offer.dataset, offer.version),
            ).fetchone()
            if exists is not None:
                if bytes(exists[0]) != offer.psi_setup:
                    raise ProtocolError("a different setup was already offered for this version")
                return
            db.execute(
                "INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    offer.provider,
                    offer.dataset,
                    offer.version,
                    offer.max_client_items,
                    offer.fpr,
                    offer.psi_setup,
                    _now(),
                ),
            )
            self.ledger.append(
                caller,
                "dataset_offered",
                {
                    "dataset": offer.dataset,
                    "version": offer.version,
                    "max_client_items": offer.max_client_items,
                    "setup_hash": self.suite.hex_hash(offer.psi_setup),
                    "setup_bytes": len(offer.psi_setup),
                    "stats": offer.stats,
                },
            )

    def latest_offer(self, provider: str, dataset: str) -> tuple[int, int] | None:
        """(version, max_client_items) of the provider's newest offer of a dataset."""
        row = self.store.db.execute(
            "SELECT version, max_client_items FROM datasets "
            "WHERE provider = ? AND dataset = ? ORDER BY version DESC LIMIT 1",
            (provider, dataset),
        ).fetchone()
        return None if row is None else (int(row[0]), int(row[1]))

    def setup(self, provider: str, dataset: str, version: int) -> bytes:
        row = self.store.db.execute(
            "SELECT setup FROM datasets WHERE provider = ? AND dataset = ? AND version = ?",
            (provider, dataset, version),
        ).fetchone()
        if row is None:
            raise NotFound(f"no setup {provider}/{dataset}/v{version}")
        return bytes(row[0])

    def setup_hash(self, provider: str, dataset: str, version: int) -> str:
        """The hash of an offered setup, computed once: an offered version's
        setup never changes (offer_dataset refuses a different one)."""
        key = (provider, dataset, version)
        digest = self._setup_hashes.get(key)
        if digest is None:
            digest = self._setup_hashes[key] = self.suite.hex_hash(
                self.setup(provider, dataset, version)
            )
        return digest

    @_locked
    def dataset_setup(self, caller: str, provider: str, dataset: str, version: int) -> bytes:
        """A provider's cached PSI setup, for consumers (it is built for them)."""
        self._require(caller, "consumer", "provider")
        if self.participants.role(caller) == "provider" and caller != provider:
            raise NotFound(f"no setup {provider}/{dataset}/v{version} for {caller!r}")
        return self.setup(provider, dataset, version)

    @_locked
    def product_providers(self, caller: str, product: str) -> dict[str, list[str]]:
        """Per role of ``product``, the providers offering its dataset."""
        self._require(caller, "consumer", "steward", "operator")
        try:
            prod = get_product(product)
        except ValueError as exc:
            raise NotFound(str(exc)) from None
        out: dict[str, list[str]] = {}
        for role in prod.roles:
            rows = self.store.db.execute(
                "SELECT DISTINCT provider FROM datasets WHERE dataset = ? ORDER BY provider",
                (role.dataset,),
            ).fetchall()
            out[role.role] = [r[0] for r in rows]
        return out

    # -- models --------------------------------------------------------------------------
    @_locked
    def publish_model(self, caller: str, document: bytes) -> str:
        """A steward publishes a model file; policies pin it by its SHA-256."""
        self._require(caller, "steward")
        try:
            ScoreModel.parse(document)
        except InputError as exc:
            raise ProtocolError(f"model refused: {exc}") from exc
        digest = self.model_hash(document)
        with self.store.transaction() as db:
            if db.execute("SELECT 1 FROM models WHERE sha256 = ?", (digest,)).fetchone() is None:
                db.execute(
                    "INSERT INTO models VALUES (?, ?, ?, ?)", (digest, document, caller, _now())
                )
                self.ledger.append(caller, "model_published", {"sha256": digest})
        return digest

    @_locked
    def approved_model(self, caller: str, product: str) -> bytes:
        """The model every active policy of ``product`` pins, if the space holds it."""
        self._require(caller, "consumer", "steward")
        pins = {p.model.sha256 for p in self.policies.active(product) if p.model is not None}
        if len(pins) != 1:
            raise NotFound(f"no single approved model for {product} ({len(pins)} pinned)")
        row = self.store.db.execute(
            "SELECT document FROM models WHERE sha256 = ?", (pins.pop(),)
        ).fetchone()
        if row is None:
            raise NotFound(f"the approved model of {product} was not published to the space")
        return bytes(row[0])

    @staticmethod
    def model_hash(document: bytes) -> str:
        """SHA-256 of a model file, the form policies pin it in."""
        return hashlib.sha256(document).hexdigest()

    # -- policies ---------------------------------------------------------------------------
    def publish_policy(self, caller: str, document: bytes | str) -> PolicyRecord:
        with self.lock:
            return self.policies.publish(caller, document)

    def retire_policy(self, caller: str, policy_id: str) -> None:
        with self.lock:
            self.policies.retire(caller, policy_id)

    @_locked
    def policy_records(self, caller: str) -> list[PolicyRecord]:
        self._require(caller, "steward", "operator")
        return self.policies.records()

    # -- jobs --------------------------------------------------------------------------------
    @_locked
    def submit_job(self, caller: str, submission: JobSubmission) -> JobStatus:
        try:
            return self._submit_job(caller, submission)
        except (ProtocolError, CryptoError, NotAuthorised) as exc:
            self._refused(caller, "job", exc, None, {"product": submission.spec.product})
            raise

    def _refused(
        self,
        caller: str,
        message: str,
        exc: Exception,
        job_id: str | None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        """Record a refused message from an authenticated participant: who
        sent what and why (never the message itself)."""
        with self.store.transaction():
            self.ledger.append(
                caller,
                "message_refused",
                {
                    "message": message,
                    "error": type(exc).__name__,
                    "reason": str(exc)[:300],
                    **(extra or {}),
                },
                job_id=job_id,
            )

    def _submit_job(self, caller: str, submission: JobSubmission) -> JobStatus:
        spec = submission.spec
        self._require(caller, "consumer")
        if spec.consumer != caller:
            raise NotAuthorised("a consumer may only submit jobs in its own name")
        if spec.batch_size > self.config.max_batch:
            raise PayloadTooLarge(f"batch of {spec.batch_size} exceeds {self.config.max_batch}")
        existing = self.store.db.execute(
            "SELECT spec FROM jobs WHERE job_id = ?", (spec.job_id,)
        ).fetchone()
        if existing is not None:
            if json.loads(existing[0]) != json.loads(spec.model_dump_json()):
                raise Conflict("job id already used for a different job")
            return self.job_status(caller, spec.job_id)
        engine = self._engine(spec)
        if isinstance(engine, LookupProtocol):
            if submission.psi_request is None:
                raise ProtocolError("a lookup job needs a PSI request")
            product, features, versions = engine.check(spec, submission.psi_request)
        else:
            product, features, versions = engine.check(spec)
        decision = self.gate.evaluate(spec)
        state, step = ("queued", "start") if decision.allowed else ("denied", "denied")
        reasons = (
            [] if decision.allowed else [f"{r.constraint}: {r.detail}" for r in decision.reasons]
        )
        with self.store.transaction() as db:
            db.execute(
                "INSERT INTO jobs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    spec.job_id,
                    caller,
                    spec.product,
                    spec.model_dump_json(),
                    state,
                    step,
                    json.dumps(reasons),
                    _now(),
                    _now(),
                ),
            )
            self.ledger.append(
                caller,
                "job_submitted",
                {
                    "product": spec.product,
                    "purpose": spec.purpose,
                    "as_of": spec.as_of.isoformat(),
                    "batch_size": spec.batch_size,
                    "providers": spec.providers,
                    "dataset_versions": versions,
                    "model_hash": self.model_hash(spec.model) if spec.model else None,
                    "paillier_bits": PaillierPublicKey.from_wire(
                        spec.paillier_public_key, min_bits=0
                    ).bits,
                },
                job_id=spec.job_id,
            )
            decided = self.ledger.append(
                SPACE,
                "policy_decision",
                {
                    **decision.to_dict(),
                    "consumer": spec.consumer,
                    "product": spec.product,
                    "batch_size": spec.batch_size,
                    "epsilon": spec.epsilon,
                },
                job_id=spec.job_id,
            )
            record_usage(db, decided)
            if decision.allowed:
                if isinstance(engine, LookupProtocol):
                    assert submission.psi_request is not None
                    engine.start(
                        spec,
                        product,
                        features,
                        versions,
                        decision.obligations,
                        submission.psi_request,
                    )
                else:
                    engine.start(spec, decision.obligations)
        log.info("job %s %s (%s, batch %d)", spec.job_id, state, spec.product, spec.batch_size)
        return self.job_status(caller, spec.job_id)

    def _engine(self, spec: JobSpec) -> LookupProtocol | JoinProtocol:
        try:
            product = get_product(spec.product)
        except ValueError as exc:
            raise ProtocolError(str(exc)) from None
        return self.lookup if product.engine == "direct_lookup" else self.join

    def privacy_report(self, spec: JobSpec, obligations: dict[str, Any]) -> dict[str, Any]:
        """Epsilon this job spent, and what is left of the strictest budget."""
        report: dict[str, Any] = {"epsilon": spec.epsilon or 0.0}
        budget = obligations.get("epsilon_budget")
        if budget:
            since = period_start(dt.datetime.now(dt.UTC), budget["period"])
            spent = LedgerUsage(self.store.db).epsilon(spec.consumer, spec.product, since)
            report.update(
                {
                    "budget": budget["epsilon"],
                    "period": budget["period"],
                    "spent": spent,
                    "remaining": max(0.0, budget["epsilon"] - spent),
                }
            )
        return report

    def _spec(self, job_id: str) -> JobSpec:
        row = self.store.db.execute("SELECT spec FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
        if row is None:
            raise NotFound(f"no job {job_id}")
        # A job's steps each read its spec: parsed once per stored text.
        spec = self._specs.get(row[0])
        if spec is None:
            spec = self._specs[row[0]] = JobSpec.model_validate_json(row[0])
            if len(self._specs) > SPECS_KEPT:
                del self._specs[next(iter(self._specs))]
        return spec

    @_locked
    def job_status(self, caller: str, job_id: str) -> JobStatus:
        row = self.store.db.execute(
            "SELECT consumer, state, step, reasons FROM jobs WHERE job_id = ?", (job_id,)
        ).fetchone()
        if row is None or row[0] != caller:
            raise NotFound(f"no job {job_id} for {caller!r}")
        return JobStatus(job_id=job_id, state=row[1], step=row[2], reasons=json.loads(row[3]))

    @_locked
    def job_result(self, caller: str, job_id: str) -> JobResult:
        status = self.job_status(caller, job_id)
        if status.state != "succeeded":
            raise NotFound(f"job {job_id} has no result ({status.state})")
        return self._engine(self._spec(job_id)).result(job_id)

    def set_step(self, job_id: str, state: str, step: str) -> None:
        self.store.db.execute(
            "UPDATE jobs SET state = ?, step = ?, updated_at = ? WHERE job_id = ?",
            (state, step, _now(), job_id),
        )

    # -- tasks ----------------------------------------------------------------------------------
    def add_task(self, job_id: str, node: str, payload: TaskPayload) -> str:
        task_id = uuid.uuid4().hex
        self.store.db.execute(
            "INSERT INTO tasks VALUES (?, ?, ?, ?, ?, 'pending', 0, NULL, NULL, ?)",
            (task_id, job_id, node, payload.kind, payload.model_dump_json(), _now()),
        )
        with self._tasks_lock:  # lock order: space lock, then this lock
            self._task_generation[node] = self._task_generation.get(node, 0) + 1
            self._node_cv(node).notify_all()
        for listener in self._task_listeners:
            listener(node)
        return task_id

    def on_tasks(self, listener: Callable[[str | None], None]) -> None:
        """Call ``listener(node)`` whenever a task is added for ``node`` (from
        any thread, possibly before its transaction commits: the listener
        only schedules a new look), and ``listener(None)`` on shutdown."""
        self._task_listeners.append(listener)

    @property
    def closing(self) -> bool:
        return self._closing

    def _node_cv(self, node: str) -> threading.Condition:
        """The condition a node's long polls wait on (call with _tasks_lock held)."""
        cv = self._node_cvs.get(node)
        if cv is None:
            cv = self._node_cvs[node] = threading.Condition(self._tasks_lock)
        return cv

    def pull_tasks(self, caller: str, limit: int = 8, wait: float = 0.0) -> list[Task]:
        """Lease up to ``limit`` of the caller's pending tasks (or expired
        leases), waiting up to ``wait`` seconds for one to appear."""
        deadline = time.monotonic() + max(0.0, wait)
        while True:
            with self._tasks_lock:
                generation = self._task_generation.get(caller, 0)
            # Never hold the condition while taking the space lock (add_task
            # takes them the other way round).
            tasks = self.pull_now(caller, limit)
            remaining = deadline - time.monotonic()
            if tasks or remaining <= 0 or self._closing:
                return tasks
            with self._tasks_lock:
                # Sleep until a task for this node appears (or a second passes,
                # for leases that expire); other nodes' tasks do not wake us.
                cv = self._node_cv(caller)
                end = time.monotonic() + min(remaining, 1.0)
                while self._task_generation.get(caller, 0) == generation and not self._closing:
                    left = end - time.monotonic()
                    if left <= 0:
                        break
                    cv.wait(left)

    @_locked
    def pull_now(self, caller: str, limit: int = 8) -> list[Task]:
        """Lease up to ``limit`` of the caller's pending tasks (or expired
        leases) without waiting."""
        self._require(caller, "provider", "consumer")
        now = time.time()
        out: list[Task] = []
        # Under the space lock no other thread writes, so a poll that finds
        # nothing opens no transaction (most long-poll wake-ups).
        rows = self.store.db.execute(
            "SELECT t.task_id, t.job_id, t.payload, t.attempt FROM tasks t "
            "JOIN jobs j ON j.job_id = t.job_id "
            "WHERE t.node = ? AND j.state IN ('queued', 'running', 'succeeded') AND "
            "(t.state = 'pending' OR (t.state = 'leased' AND t.lease_until < ?)) "
            "ORDER BY t.created_at LIMIT ?",
            (caller, now, limit),
        ).fetchall()
        if not rows:
            return out
        # Leases are soft state; a task tried too often fails its job, durably.
        failing = any(row[3] >= self.config.max_attempts for row in rows)
        with self.store.transaction(durable=failing) as db:
            for task_id, job_id, payload, attempt in rows:
                if attempt >= self.config.max_attempts:
                    self._fail_job(job_id, f"a task at {caller} was tried {attempt} times")
                    continue
                db.execute(
                    "UPDATE tasks SET state = 'leased', attempt = attempt + 1, lease_until = ? "
                    "WHERE task_id = ?",
                    (now + self.config.lease_seconds, task_id),
                )
                task = Task.model_validate(
                    {
                        "task_id": task_id,
                        "job_id": job_id,
                        "node": caller,
                        "attempt": attempt + 1,
                        "payload": json.loads(payload),
                    }
                )
                if isinstance(task.payload, ResultReadyTask):
                    # The result travels with the task: no second request for it.
                    result = self._engine(self._spec(job_id)).result(job_id)
                    task = task.model_copy(
                        update={"payload": task.payload.model_copy(update={"result": result})}
                    )
                out.append(task)
        return out

    def exchange(
        self, caller: str, results: list[TaskResult], limit: int = 8, wait: float = 0.0
    ) -> TaskExchangeReply:
        """Take a node's results, each on its own (one refused result fails
        only its job), then lease its next tasks as ``pull_tasks`` does."""
        outcomes = self.take_results(caller, results)
        return TaskExchangeReply(outcomes=outcomes, tasks=self.pull_tasks(caller, limit, wait))

    def take_results(self, caller: str, results: list[TaskResult]) -> list[ResultOutcome]:
        """Take a node's results, each on its own: one refused result fails
        only its job. The outcome of each, in order."""
        with self.lock:
            self._require(caller, "provider", "consumer")  # before any result is looked at
        outcomes = []
        for result in results:
            try:
                self.complete_task(caller, result)
            except TspaceError as exc:
                outcomes.append(
                    ResultOutcome(task_id=result.task_id, status=status_of(exc), detail=str(exc))
                )
            else:
                outcomes.append(ResultOutcome(task_id=result.task_id, status=204))
        return outcomes

    @_locked
    def complete_task(self, caller: str, result: TaskResult) -> None:
        try:
            self._complete_task(caller, result)
        except (ProtocolError, CryptoError, NotFound) as exc:
            row = self.store.db.execute(
                "SELECT job_id FROM tasks WHERE task_id = ? AND node = ?", (result.task_id, caller)
            ).fetchone()
            self._refused(
                caller,
                f"{result.payload.kind} result",
                exc,
                row[0] if row else None,
                {"task_id": result.task_id[:64]},
            )
            raise

    def _complete_task(self, caller: str, result: TaskResult) -> None:
        log.debug("result of task %s from %s (%s)", result.task_id, caller, result.payload.kind)
        row = self.store.db.execute(
            "SELECT job_id, node, kind, state, result_hash FROM tasks WHERE task_id = ?",
            (result.task_id,),
        ).fetchone()
        if row is None or row[1] != caller:
            raise NotFound(f"no task {result.task_id} for {caller!r}")
        job_id, _, kind, state, done_hash = row
        result_hash = self.suite.hex_hash(result.model_dump_json().encode())
        if state == "done":
            if done_hash == result_hash:
                return  # the same result posted again: nothing to do
            raise Conflict("task already completed (a replayed or duplicate result)")
        if state == "cancelled":
            raise Conflict("task was cancelled; its job has ended")
        if state != "leased":
            raise Conflict("task was not handed out; pull it first")
        status = self.store.db.execute(
            "SELECT state FROM jobs WHERE job_id = ?", (job_id,)
        ).fetchone()
        if status is None or status[0] in ("failed", "denied"):
            raise Conflict(f"job {job_id} is no longer running")
        expected = RESULT_KINDS[kind]
        if result.payload.kind != expected:
            raise ProtocolError(
                f"a {kind} task takes a {expected} result, not {result.payload.kind}"
            )
        spec = self._spec(job_id)
        try:
            payload_hash = self._check_node_signature(caller, job_id, result)
            with self.store.transaction() as db:
                db.execute(
                    "UPDATE tasks SET state = 'done', result_hash = ? WHERE task_id = ?",
                    (result_hash, result.task_id),
                )
                self.ledger.append(
                    caller,
                    "task_result",
                    {
                        "task_id": result.task_id,
                        "result": result.payload.kind,
                        "result_hash": payload_hash,
                        "node_signature": result.signature,
                    },
                    job_id=job_id,
                )
                self._engine(spec).advance(spec, caller, result.payload)
        except (CryptoError, ProtocolError) as exc:
            with self.store.transaction():
                self._fail_job(job_id, f"{caller} sent an unacceptable {expected}: {exc}")
            raise

    def _check_node_signature(self, caller: str, job_id: str, result: TaskResult) -> str:
        """The payload's hash, once the result is signed by the caller's registered key."""
        row = self.store.db.execute(
            "SELECT signing_key FROM participants WHERE name = ?", (caller,)
        ).fetchone()
        payload_hash = self.suite.hex_hash(result.payload.model_dump_json().encode())
        digest = step_digest(self.suite, job_id, result.task_id, result.payload.kind, payload_hash)
        try:
            if row is None or row[0] is None:
                raise CryptoError("no signing key registered")
            self.suite.verify(bytes.fromhex(row[0]), digest, bytes.fromhex(result.signature))
        except (CryptoError, ValueError) as exc:
            raise ProtocolError(f"the result is not signed by {caller}'s registered key") from exc
        return payload_hash

    @_locked
    def report_failure(self, caller: str, task_id: str, reason: str) -> None:
        """A node could not do its step; the job fails cleanly, nothing released."""
        row = self.store.db.execute(
            "SELECT job_id, node FROM tasks WHERE task_id = ?", (task_id,)
        ).fetchone()
        if row is None or row[1] != caller:
            exc = NotFound(f"no task {task_id[:64]} for {caller!r}")
            self._refused(caller, "failure report", exc, None)
            raise exc
        with self.store.transaction():
            self._fail_job(row[0], f"{caller}: {reason[:300]}")

    def _fail_job(self, job_id: str, reason: str) -> None:
        db = self.store.db
        changed = db.execute(
            "UPDATE jobs SET state = 'failed', step = 'failed', reasons = ?, updated_at = ? "
            "WHERE job_id = ? AND state NOT IN ('succeeded', 'failed', 'denied')",
            (json.dumps([reason]), _now(), job_id),
        ).rowcount
        if not changed:
            return
        db.execute(
            "UPDATE tasks SET state = 'cancelled' WHERE job_id = ? AND state <> 'done'", (job_id,)
        )
        self.store.drop_data(job_id)
        self.ledger.append(SPACE, "job_failed", {"reason": reason}, job_id=job_id)
        log.warning("job %s failed", job_id)

    def stop_waiting(self) -> None:
        """Shutting down: every long poll answers now (with what it has), so
        the server does not wait out each node's poll before it exits."""
        with self._tasks_lock:
            self._closing = True
            for cv in self._node_cvs.values():
                cv.notify_all()
        for listener in self._task_listeners:
            listener(None)
        self.work_added()

    # -- background work ---------------------------------------------------------------------------
    def work_added(self) -> None:
        with self._work_cv:
            self._work_cv.notify_all()

    def wait_for_work(self, timeout: float) -> None:
        with self._work_cv:
            self._work_cv.wait(timeout)

    @_locked
    def expire_stalled_jobs(self) -> int:
        """Fail every job that has made no progress for ``job_timeout_seconds``."""
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=self.config.job_timeout_seconds)
        stalled = [
            r[0]
            for r in self.store.db.execute(
                "SELECT job_id FROM jobs WHERE state IN ('queued', 'running') AND updated_at < ?",
                (cutoff.isoformat(timespec="milliseconds"),),
            ).fetchall()
        ]
        for job_id in stalled:
            with self.store.transaction():
                self._fail_job(
                    job_id, f"no progress for {self.config.job_timeout_seconds:.0f} s; job expired"
                )
        return len(stalled)

    def run_pending_work(self) -> int:
        """Do every job's heavy step (a lookup's combination, a join's join).
        The arithmetic runs outside the lock; a job that changed meanwhile is
        left alone, and a restarted space simply does the step again."""
        steps = (self.lookup.background_step, self.join.background_step)
        self.expire_stalled_jobs()
        with self.lock:
            jobs = [
                r[0]
                for r in self.store.db.execute(
                    "SELECT job_id FROM jobs WHERE state = 'running' AND step IN (?, ?)", steps
                ).fetchall()
            ]
        done = 0
        for job_id in jobs:
            with self.lock:
                spec = self._spec(job_id)
                engine = self._engine(spec)
                inputs = engine.work_inputs(spec)
            try:
                with self.timer.stage("combine"):
                    out: Any = engine.work(spec, inputs)
            except TspaceError as exc:
                with self.lock, self.store.transaction():
                    self._fail_job(job_id, f"the space's step failed: {exc}")
                continue
            with self.lock:
                row = self.store.db.execute(
                    "SELECT step FROM jobs WHERE job_id = ?", (job_id,)
                ).fetchone()
                if row is None or row[0] != engine.background_step:
                    continue
                with self.store.transaction():
                    engine.finish_work(spec, out)
            log.info("job %s: %s done", job_id, engine.background_step)
            done += 1
        return done
