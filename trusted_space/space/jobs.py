"""Jobs at the space: submission, refusal, status, result, failing, expiry,
the background worker's steps, and the privacy report.

A job runs through the engine its product names (``Product.engine``, looked
up in ``trusted_space.space.engines.ENGINES``): the engine checks the job
before the policy gate, plans its first tasks after an allow, moves it on
with each node's result and does its heavy step in the background. Every
change commits with its ledger entry.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from policies.obligations import Obligations
from products.registry import get_product
from trusted_space.core.clock import period_start
from trusted_space.core.errors import (
    Conflict,
    CryptoError,
    NotAuthorised,
    NotFound,
    PayloadTooLarge,
    PeeringRefused,
    ProtocolError,
    TspaceError,
    UntrustedKey,
)
from trusted_space.core.failures import failure_code, failure_reason
from trusted_space.core.i18n import Text, english, logged, speaking, t
from trusted_space.core.timing import StageTimer
from trusted_space.hazmat.paillier import PaillierPublicKey
from trusted_space.ledger.ledger import Ledger
from trusted_space.protocol.identity import signing_chain, verify_job
from trusted_space.protocol.messages import (
    JobResult,
    JobSpec,
    JobStatus,
    JobSubmission,
    ParticipantKeys,
    SignedJob,
)
from trusted_space.space.config import SpaceConfig
from trusted_space.space.engines import Engine
from trusted_space.space.engines.base import known_product
from trusted_space.space.gate import PolicyGate
from trusted_space.space.participants import Participants
from trusted_space.space.policy_registry import model_hash
from trusted_space.space.port import SPACE
from trusted_space.space.store import SpaceStore
from trusted_space.space.usage import LedgerUsage, record_usage

log = logging.getLogger("tspace.space")

# For fault tests only: the space's worker holds forever before doing this
# background step ("joining", "combining"), the job left running at that
# step, so a test can kill the space there (the step can be shorter than
# two looks at the space's tables).
TEST_ONLY_HOLD_STEP = "TSPACE_TEST_ONLY_HOLD_BEFORE_STEP"

SPECS_KEPT = 256  # parsed job specs kept (jobs in flight)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class PeerHome:
    """A job a peer forwarded: the peer (its home space), the consumer's
    keys as the consumer signed them, and the hash of the home ledger's
    ``job_submitted`` entry."""

    peer: str
    consumer_keys: ParticipantKeys
    entry: str


class Jobs:
    def __init__(
        self,
        *,
        store: SpaceStore,
        ledger: Ledger,
        participants: Participants,
        config: SpaceConfig,
        gate: PolicyGate,
        lock: threading.RLock,
        timer: StageTimer,
        engines: Mapping[str, Engine],
    ) -> None:
        self.store = store
        self.ledger = ledger
        self.participants = participants
        self.config = config
        self.gate = gate
        self.lock = lock  # the space's lock
        self.timer = timer
        self.engines = engines
        self._specs: dict[str, JobSpec] = {}  # stored spec text -> parsed
        self._work_cv = threading.Condition()
        # A job's clock for expiry starts again when the space starts: the
        # time a space was down is no job's lack of progress.
        self._started = dt.datetime.now(dt.UTC)

    # -- submission ------------------------------------------------------------------------
    def submit(
        self, caller: str, submission: JobSubmission, home: PeerHome | None = None
    ) -> JobStatus:
        """A consumer's job (``caller``: the consumer), or with ``home`` a
        job a peer forwarded for its providers here (``caller``: the peer)."""
        with self.lock:
            try:
                return self._submit(caller, submission, home)
            except (ProtocolError, CryptoError, NotAuthorised) as exc:
                self.refused(caller, "job", exc, None, {"product": submission.spec.product})
                raise

    def is_local_provider(self, name: str) -> bool:
        """Whether ``name`` is a provider of this space (else a peer's, or nobody's)."""
        try:
            return self.participants.role(name) == "provider"
        except NotAuthorised:
            return False

    def local_spec(self, spec: JobSpec) -> JobSpec:
        """The job as this space's policies judge it: its providers here only.
        Each space judges its own providers, so the most restrictive of both
        spaces' decisions holds."""
        local = {
            role: [n for n in names if self.is_local_provider(n)]
            for role, names in spec.providers.items()
        }
        return spec if local == spec.providers else spec.model_copy(update={"providers": local})

    def home_of(self, job_id: str) -> str | None:
        """The peer that forwarded this job, when a peer did."""
        data = self.store.get_data(job_id, "home")
        return None if data is None else str(json.loads(data)["peer"])

    def refused(
        self,
        caller: str,
        message: str,
        exc: Exception,
        job_id: str | None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        """Record a refused message from an authenticated participant: who
        sent what and why (never the message itself). The reason is kept in
        English, whatever the space's language: the ledger is one record for
        every reader, and scripts read it."""
        with speaking("en"):
            reason = str(exc)[:300]
        with self.store.transaction():
            self.ledger.append(
                caller,
                "message_refused",
                {
                    "message": message,
                    "error": type(exc).__name__,
                    "reason": reason,
                    **(extra or {}),
                },
                job_id=job_id,
            )

    def _submit(
        self, caller: str, submission: JobSubmission, home: PeerHome | None = None
    ) -> JobStatus:
        spec = submission.spec
        if home is None:
            self.participants.require(caller, "consumer")
            if spec.consumer != caller:
                raise NotAuthorised(Text("err.space.job.own_name"))
        elif self._known(spec.consumer):
            # Names are each space's own: a foreign consumer that shares a
            # local participant's name would be judged as that participant.
            raise PeeringRefused("peering.consumer_name_clash", consumer=spec.consumer)
        if spec.batch_size > self.config.max_batch:
            raise PayloadTooLarge(
                Text(
                    "err.space.job.batch_limit", batch=spec.batch_size, limit=self.config.max_batch
                )
            )
        existing = self.store.db.execute(
            "SELECT spec FROM jobs WHERE job_id = ?", (spec.job_id,)
        ).fetchone()
        if existing is not None:
            if json.loads(existing[0]) != json.loads(spec.model_dump_json()):
                raise Conflict(Text("err.space.job.id_used"))
            if home is not None and self.home_of(spec.job_id) != home.peer:
                raise Conflict(Text("err.space.job.id_used"))
            return self.status(spec.consumer, spec.job_id)
        engine = self.engine_for(spec)
        if home is None:
            checked = engine.check(spec, submission)
        else:
            if not engine.federates:
                raise PeeringRefused(
                    "peering.engine_not_federated_peer",
                    peer=home.peer,
                    product=spec.product,
                    engine=spec.engine or get_product(spec.product).engine,
                )
            checked = engine.check(spec, submission, for_peer=True)
            if not checked[2]:  # of a forwarded job's providers, at least one is this space's
                raise ProtocolError(Text("err.space.job.no_local_provider"))
        versions = checked[2]
        signed = self._signed(spec, submission, home)
        decision = self.gate.evaluate(self.local_spec(spec))
        state, step = ("queued", "start") if decision.allowed else ("denied", "denied")
        # A denial's reasons in English and, in a second list, zh-CN (the
        # English text where a constraint gives no zh-CN one).
        stored: list[str] | dict[str, list[str]] = (
            []
            if decision.allowed
            else {
                "en": [f"{r.constraint}: {r.detail}" for r in decision.reasons],
                "zh-CN": [f"{r.constraint}: {r.text('zh-CN')}" for r in decision.reasons],
            }
        )
        with self.store.transaction() as db:
            db.execute(
                "INSERT INTO jobs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    spec.job_id,
                    spec.consumer,
                    spec.product,
                    spec.model_dump_json(),
                    state,
                    step,
                    json.dumps(stored, ensure_ascii=False),
                    _now(),
                    _now(),
                ),
            )
            self.ledger.append(
                caller,
                "job_submitted",
                {
                    **({"home": {"peer": home.peer, "entry": home.entry}} if home else {}),
                    "product": spec.product,
                    "engine": spec.engine or get_product(spec.product).engine,
                    "purpose": spec.purpose,
                    "as_of": spec.as_of.isoformat(),
                    "batch_size": spec.batch_size,
                    "providers": spec.providers,
                    "dataset_versions": versions,
                    "model_hash": model_hash(spec.model) if spec.model else None,
                    "paillier_bits": PaillierPublicKey.from_wire(
                        spec.paillier_public_key, min_bits=0
                    ).bits,
                    "signed_by": self.participants.suite.identity_fingerprint(
                        bytes.fromhex(signed["consumer_keys"]["signing_key"])
                    ),
                },
                job_id=spec.job_id,
            )
            decided = self.ledger.append(
                SPACE,
                "policy_decision",
                {
                    **decision.to_dict(),
                    "engine": spec.engine or get_product(spec.product).engine,
                    "consumer": spec.consumer,
                    "product": spec.product,
                    "batch_size": spec.batch_size,
                    "epsilon": spec.epsilon,
                },
                job_id=spec.job_id,
            )
            record_usage(db, decided)
            if home is not None:
                self.store.put_data(
                    spec.job_id,
                    "home",
                    json.dumps({"peer": home.peer, "entry": home.entry}).encode(),
                )
            if decision.allowed:
                self.store.put_data(spec.job_id, "signed", json.dumps(signed).encode())
                if home is not None:
                    self.store.put_data(
                        spec.job_id, "duties", json.dumps(decision.obligations.duties()).encode()
                    )
                engine.start(spec, decision.obligations, submission, checked)
        said = logged(
            "log.space.job",
            job=spec.job_id,
            state=state,
            product=spec.product,
            batch=spec.batch_size,
        )
        log.info("%s", said)
        return self.status(spec.consumer, spec.job_id)

    def _known(self, name: str) -> bool:
        try:
            self.participants.role(name)
        except NotAuthorised:
            return False
        return True

    def _signed(
        self, spec: JobSpec, submission: JobSubmission, home: PeerHome | None = None
    ) -> dict[str, Any]:
        """The consumer's signature over the job, checked against its
        registered key (for a peer's job: the keys the consumer signed,
        relayed by its home space): what every provider task carries
        (``SignedJob``), for the providers to check against the key they
        pinned."""
        suite = self.participants.suite
        if home is not None:
            keys = home.consumer_keys
            signing_chain(suite, keys)  # signed by the consumer's own key (UntrustedKey)
        else:
            try:
                keys = self.participants.keys_of(spec.consumer)
            except NotFound:
                raise UntrustedKey(t("keys.unsigned", name=spec.consumer)) from None
        signed = {
            "psi_request_hash": (
                None if submission.psi_request is None else suite.hex_hash(submission.psi_request)
            ),
            "blinded_hash": (
                None if submission.blinded is None else suite.hex_hash(submission.blinded)
            ),
            "signature": submission.signature,
            "consumer_keys": keys.model_dump(mode="json"),
        }
        verify_job(suite, SignedJob.model_validate({"spec": spec, **signed}), keys.signing_key)
        return signed

    def signed_job(self, spec: JobSpec) -> SignedJob:
        """The job as its consumer signed it (stored when it was allowed)."""
        data = self.store.get_data(spec.job_id, "signed")
        if data is None:
            raise ProtocolError(Text("err.space.job.no_signature", job=spec.job_id))
        return SignedJob.model_validate({"spec": spec, **json.loads(data)})

    def engine_for(self, spec: JobSpec) -> Engine:
        """The engine the job asks for (``JobSpec.engine``) among those its
        product allows, or else the one its product names."""
        product = known_product(spec.product)
        name = spec.engine or product.engine
        if name not in product.engines:
            raise ProtocolError(
                Text(
                    "err.space.product.engines",
                    product=product.name,
                    engines=", ".join(product.engines),
                    engine=name,
                )
            )
        engine = self.engines.get(name)
        if engine is None:
            raise ProtocolError(
                Text("err.space.product.engine_elsewhere", product=product.name, engine=name)
            )
        return engine

    def privacy_report(self, spec: JobSpec, obligations: Obligations) -> dict[str, Any]:
        """Epsilon this job spent, and what is left of the strictest budget."""
        report: dict[str, Any] = {"epsilon": spec.epsilon or 0.0}
        budget = obligations.epsilon_budget
        if budget is not None:
            since = period_start(dt.datetime.now(dt.UTC), budget.period)
            spent = LedgerUsage(self.store.db).epsilon(spec.consumer, spec.product, since)
            report.update(
                {
                    "budget": budget.epsilon,
                    "period": budget.period,
                    "spent": spent,
                    "remaining": max(0.0, budget.epsilon - spent),
                }
            )
        return report

    # -- state -----------------------------------------------------------------------------
    def spec(self, job_id: str) -> JobSpec:
        row = self.store.db.execute("SELECT spec FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
        if row is None:
            raise NotFound(Text("err.space.job.unknown", job=job_id))
        # A job's steps each read its spec: parsed once per stored text.
        spec = self._specs.get(row[0])
        if spec is None:
            spec = self._specs[row[0]] = JobSpec.model_validate_json(row[0])
            if len(self._specs) > SPECS_KEPT:
                del self._specs[next(iter(self._specs))]
        return spec

    def status(self, caller: str, job_id: str) -> JobStatus:
        with self.lock:
            row = self.store.db.execute(
                "SELECT consumer, state, step, reasons FROM jobs WHERE job_id = ?", (job_id,)
            ).fetchone()
            if row is None or row[0] != caller:
                raise NotFound(Text("err.space.job.unknown_for", job=job_id, caller=caller))
            stored = json.loads(row[3])
            if isinstance(stored, dict):  # a denial: English and zh-CN
                return JobStatus(
                    job_id=job_id,
                    state=row[1],
                    step=row[2],
                    reasons=stored["en"],
                    reasons_zh=stored["zh-CN"],
                )
            return JobStatus(job_id=job_id, state=row[1], step=row[2], reasons=stored)

    def result(self, caller: str, job_id: str) -> JobResult:
        with self.lock:
            status = self.status(caller, job_id)
            if status.state != "succeeded":
                raise NotFound(Text("err.space.job.no_result", job=job_id, state=status.state))
            return self.stored_result(job_id)

    def stored_result(self, job_id: str) -> JobResult:
        """A released job's result, as its engine stored it (call under the lock)."""
        return self.engine_for(self.spec(job_id)).result(job_id)

    def set_step(self, job_id: str, state: str, step: str) -> None:
        self.store.db.execute(
            "UPDATE jobs SET state = ?, step = ?, updated_at = ? WHERE job_id = ?",
            (state, step, _now(), job_id),
        )

    def fail_job(self, job_id: str, reason: str) -> None:
        """End a job as failed (in the caller's transaction): its open tasks
        cancelled, its data dropped. A job already ended is left alone."""
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
        entry = self.ledger.append(SPACE, "job_failed", {"reason": reason}, job_id=job_id)
        # The peers that hold parts of it are told it ended (trusted_space/space/federation.py).
        parts = self.store.data_keys(job_id, "peer/")
        for key in parts:
            part = json.loads(self.store.get_data(job_id, key) or b"{}")
            if part.get("step") != "closed":
                part.update(step="close", outcome="failed", close_entry=entry.hash)
                part.pop("since", None)
            self.store.put_data(job_id, key, json.dumps(part).encode())
        self.store.drop_data(job_id, keep=tuple(parts))
        self.store.drop_parts(job_id=job_id)
        log.warning("%s", logged("log.space.job_failed", job=job_id))

    # -- background work -------------------------------------------------------------------
    def work_added(self) -> None:
        with self._work_cv:
            self._work_cv.notify_all()

    def wait_for_work(self, timeout: float) -> None:
        with self._work_cv:
            self._work_cv.wait(timeout)

    def expire_stalled(self) -> int:
        """Fail every job that has made no progress for ``job_timeout_seconds``
        (counted from its last step or from the space's start, the later)."""
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=self.config.job_timeout_seconds)
        if self._started > cutoff:
            return 0
        with self.lock:
            stalled = [
                r[0]
                for r in self.store.db.execute(
                    "SELECT job_id FROM jobs WHERE state IN ('queued', 'running') "
                    "AND updated_at < ?",
                    (cutoff.isoformat(timespec="milliseconds"),),
                ).fetchall()
            ]
            for job_id in stalled:
                with self.store.transaction():
                    self.fail_job(
                        job_id,
                        english(
                            Text(
                                "err.base.failure.expired",
                                seconds=f"{self.config.job_timeout_seconds:.0f}",
                            )
                        ),
                    )
            return len(stalled)

    def run_pending_work(self) -> int:
        """Do every job's heavy step (each engine's background step). The
        arithmetic runs outside the lock; a job that changed meanwhile is
        left alone, and a restarted space simply does the step again."""
        steps = tuple(engine.background_step for engine in self.engines.values())
        self.expire_stalled()
        with self.lock:
            jobs = [
                r[0]
                for r in self.store.db.execute(
                    "SELECT job_id FROM jobs WHERE state = 'running' AND step IN "
                    f"({', '.join('?' for _ in steps)})",
                    steps,
                ).fetchall()
            ]
        done = 0
        for job_id in jobs:
            with self.lock:
                spec = self.spec(job_id)
                engine = self.engine_for(spec)
                inputs = engine.work_inputs(spec)
            if os.environ.get(TEST_ONLY_HOLD_STEP) == engine.background_step:
                log.warning("holding before %s (%s)", engine.background_step, TEST_ONLY_HOLD_STEP)
                while True:
                    time.sleep(3600)
            try:
                with self.timer.stage("combine"):
                    out: Any = engine.work(spec, inputs)
            except TspaceError as exc:
                with self.lock, self.store.transaction():
                    self.fail_job(job_id, failure_reason(failure_code(exc), step="space"))
                continue
            with self.lock:
                row = self.store.db.execute(
                    "SELECT step FROM jobs WHERE job_id = ?", (job_id,)
                ).fetchone()
                if row is None or row[0] != engine.background_step:
                    continue
                with self.store.transaction():
                    engine.finish_work(spec, out)
            log.info("%s", logged("log.space.step_done", job=job_id, step=engine.background_step))
            done += 1
        return done
