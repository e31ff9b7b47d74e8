"""The space's API: every transport (embedded or HTTP) calls these methods.

Each method takes the authenticated caller's name first and refuses what
that caller may not do. State lives in ``SpaceStore``; each change commits
with its ledger entry.

What the space learns (DESIGN.md, direct PSI lookup): batch size, which
providers each fresh per-job handle matched, ciphertext sizes, dataset sizes
implied by PSI setups. It never receives an identifier or a plaintext value.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from products.base import Product
from products.registry import get_product
from products.score_model import ScoreModel
from trusted_space.crypto import CryptoSuite, SigningKey, get_suite
from trusted_space.errors import (
    CryptoError,
    NotAuthorised,
    NotFound,
    ProtocolError,
    TspaceError,
)
from trusted_space.hazmat import psi
from trusted_space.hazmat.paillier import MIN_PRODUCTION_BITS, PaillierPublicKey
from trusted_space.keyfiles import load_or_create_signing_key
from trusted_space.ledger import Ledger
from trusted_space.parallel import rerandomise_values
from trusted_space.protocol.messages import (
    HANDLE_BYTES,
    AckResult,
    ComputeFeaturesTask,
    DatasetOffer,
    EncryptedFeaturesResult,
    JobResult,
    JobSpec,
    JobStatus,
    JobSubmission,
    MatchedSubjectsResult,
    ParticipantKeys,
    PsiFinishTask,
    PsiRespondTask,
    PsiResponseResult,
    ResultReadyTask,
    Task,
    TaskPayload,
    TaskResult,
    split_handles,
)
from trusted_space.space.combine import linear_scores
from trusted_space.space.gate import PolicyGate
from trusted_space.space.policy_registry import PolicyRegistry, RegistryGate, job_features
from trusted_space.space.store import SpaceStore
from trusted_space.timing import StageTimer

log = logging.getLogger("tspace.space")

SPACE = "space"


@dataclass(frozen=True)
class SpaceConfig:
    suite: str = "default"
    min_paillier_bits: int = MIN_PRODUCTION_BITS
    # A service requires a published policy for every job; an embedded
    # single-owner run may go without one (and the ledger says so).
    require_policy: bool = False
    lease_seconds: float = 120.0
    max_attempts: int = 5


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


class Space:
    def __init__(
        self, space_dir: Path, config: SpaceConfig | None = None, gate: PolicyGate | None = None
    ) -> None:
        self.config = config or SpaceConfig()
        self.store = SpaceStore(space_dir)
        recorded = self.store.get_meta("suite")
        if recorded is not None and recorded != self.config.suite:
            raise CryptoError(
                f"this space was created with the {recorded!r} suite, not {self.config.suite!r}"
            )
        self.suite: CryptoSuite = get_suite(self.config.suite)
        self.key: SigningKey = load_or_create_signing_key(self.suite, Path(space_dir) / "keys")
        self.ledger = Ledger(self.store.db, self.suite, self.key)
        self.policies = PolicyRegistry(self)
        self.gate: PolicyGate = gate or RegistryGate(
            self.policies, require_policy=self.config.require_policy
        )
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
        self.store.close()

    # -- participants ------------------------------------------------------------
    def register(self, keys: ParticipantKeys) -> None:
        """Record a participant's public keys (operator act; idempotent)."""
        if keys.suite != self.suite.name:
            raise ProtocolError(
                f"participant uses suite {keys.suite!r}; this space uses {self.suite.name!r}"
            )
        with self.store.transaction() as db:
            row = db.execute(
                "SELECT role, signing_key, sealing_key FROM participants WHERE name = ?",
                (keys.name,),
            ).fetchone()
            if row is not None:
                if tuple(row) == (keys.role, keys.signing_key, keys.sealing_key):
                    return
                db.execute(
                    "UPDATE participants SET role = ?, signing_key = ?, sealing_key = ? "
                    "WHERE name = ?",
                    (keys.role, keys.signing_key, keys.sealing_key, keys.name),
                )
                kind = "participant_keys_rotated"
            else:
                db.execute(
                    "INSERT INTO participants VALUES (?, ?, ?, ?, ?, ?)",
                    (keys.name, keys.role, keys.suite, keys.signing_key, keys.sealing_key, _now()),
                )
                kind = "participant_registered"
            self.ledger.append(
                SPACE,
                kind,
                {
                    "name": keys.name,
                    "role": keys.role,
                    "signing_key_fp": self.suite.fingerprint(bytes.fromhex(keys.signing_key)),
                    "sealing_key_fp": self.suite.fingerprint(bytes.fromhex(keys.sealing_key)),
                },
            )

    def participants(self) -> list[ParticipantKeys]:
        rows = self.store.db.execute(
            "SELECT name, role, suite, signing_key, sealing_key FROM participants ORDER BY name"
        ).fetchall()
        return [
            ParticipantKeys(name=r[0], role=r[1], suite=r[2], signing_key=r[3], sealing_key=r[4])
            for r in rows
        ]

    def _role(self, name: str) -> str:
        row = self.store.db.execute(
            "SELECT role FROM participants WHERE name = ?", (name,)
        ).fetchone()
        if row is None:
            raise NotAuthorised(f"{name!r} is not a registered participant")
        return str(row[0])

    def _require(self, caller: str, role: str) -> None:
        if self._role(caller) != role:
            raise NotAuthorised(f"{caller!r} is not a {role}")

    # -- datasets ------------------------------------------------------------------
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
                SPACE,
                "dataset_offered",
                {
                    "provider": offer.provider,
                    "dataset": offer.dataset,
                    "version": offer.version,
                    "max_client_items": offer.max_client_items,
                    "setup_hash": self.suite.hex_hash(offer.psi_setup),
                    "setup_bytes": len(offer.psi_setup),
                },
            )

    def _latest_offer(self, provider: str, dataset: str) -> tuple[int, int, bytes] | None:
        row = self.store.db.execute(
            "SELECT version, max_client_items, setup FROM datasets "
            "WHERE provider = ? AND dataset = ? "
            "ORDER BY version DESC LIMIT 1",
            (provider, dataset),
        ).fetchone()
        return None if row is None else (int(row[0]), int(row[1]), bytes(row[2]))

    # -- jobs ------------------------------------------------------------------------
    def submit_job(self, caller: str, submission: JobSubmission) -> JobStatus:
        spec = submission.spec
        self._require(caller, "consumer")
        if spec.consumer != caller:
            raise NotAuthorised("a consumer may only submit jobs in its own name")
        existing = self.store.db.execute(
            "SELECT spec FROM jobs WHERE job_id = ?", (spec.job_id,)
        ).fetchone()
        if existing is not None:
            if json.loads(existing[0]) != json.loads(spec.model_dump_json()):
                raise ProtocolError("job id already used for a different job")
            return self.job_status(caller, spec.job_id)

        product, features, versions = self._check_job(spec, submission.psi_request)
        decision = self.gate.evaluate(spec)
        state, step = ("queued", "psi") if decision.allowed else ("denied", "denied")
        reasons = [f"{r.constraint}: {r.detail}" for r in decision.reasons]
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
                    json.dumps(reasons if not decision.allowed else []),
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
                    "model_hash": self.suite.hex_hash(spec.model) if spec.model else None,
                    "paillier_bits": PaillierPublicKey.from_wire(
                        spec.paillier_public_key, min_bits=0
                    ).bits,
                },
                job_id=spec.job_id,
            )
            self.ledger.append(
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
            if decision.allowed:
                self.store.put_data(spec.job_id, "versions", json.dumps(versions).encode())
                plan = {"features": features, "obligations": decision.obligations}
                self.store.put_data(spec.job_id, "plan", json.dumps(plan).encode())
                for role, names in spec.providers.items():
                    dataset = product.role(role).dataset
                    for name in names:
                        self._add_task(
                            spec.job_id,
                            name,
                            PsiRespondTask(
                                dataset=dataset,
                                version=versions[name],
                                max_items=spec.batch_size,
                                psi_request=submission.psi_request,
                            ),
                        )
        log.info("job %s %s (%s, batch %d)", spec.job_id, state, spec.product, spec.batch_size)
        return self.job_status(caller, spec.job_id)

    def _check_job(
        self, spec: JobSpec, psi_request: bytes
    ) -> tuple[Product, list[str], dict[str, int]]:
        """Structural checks before the policy gate: the product, key, model,
        providers, batch and PSI request must fit together."""
        try:
            product = get_product(spec.product)
        except ValueError as exc:
            raise ProtocolError(str(exc)) from exc
        if product.engine != "direct_lookup":
            raise ProtocolError(f"{product.name} does not run as a per-subject lookup")
        PaillierPublicKey.from_wire(
            spec.paillier_public_key, min_bits=self.config.min_paillier_bits
        )
        features = job_features(spec, product)
        if not features:
            raise ProtocolError("the job uses no feature")
        roles = sorted(product.roles_for(features))
        if sorted(spec.providers) != roles:
            raise ProtocolError(f"this job needs providers for roles {roles}")
        items = psi.request_size(psi_request)
        if items != spec.batch_size:
            raise ProtocolError(
                f"PSI request holds {items} items but the job declares a batch of {spec.batch_size}"
            )
        versions: dict[str, int] = {}
        for role, names in spec.providers.items():
            if not names:
                raise ProtocolError(f"no provider named for role {role!r}")
            dataset = product.role(role).dataset
            for name in names:
                if self._role(name) != "provider":
                    raise ProtocolError(f"{name!r} is not a provider")
                offer = self._latest_offer(name, dataset)
                if offer is None:
                    raise ProtocolError(f"{name!r} offers no {dataset!r} dataset")
                if spec.batch_size > offer[1]:
                    raise ProtocolError(
                        f"batch of {spec.batch_size} exceeds the {offer[1]} items "
                        f"{name!r}'s setup admits"
                    )
                versions[name] = offer[0]
        return product, features, versions

    @staticmethod
    def model_hash(document: bytes) -> str:
        """SHA-256 of a model file, the form policies pin it in."""
        return hashlib.sha256(document).hexdigest()

    def _plan(self, job_id: str) -> tuple[list[str], dict[str, Any]]:
        data = self.store.get_data(job_id, "plan")
        if data is None:
            raise ProtocolError(f"job {job_id} has no plan")
        plan = json.loads(data)
        return list(plan["features"]), dict(plan["obligations"])

    def _add_task(self, job_id: str, node: str, payload: TaskPayload) -> str:
        task_id = uuid.uuid4().hex
        self.store.db.execute(
            "INSERT INTO tasks VALUES (?, ?, ?, ?, ?, 'pending', 0, NULL, NULL, ?)",
            (task_id, job_id, node, payload.kind, payload.model_dump_json(), _now()),
        )
        return task_id

    def _spec(self, job_id: str) -> JobSpec:
        row = self.store.db.execute("SELECT spec FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
        if row is None:
            raise NotFound(f"no job {job_id}")
        return JobSpec.model_validate_json(row[0])

    def job_status(self, caller: str, job_id: str) -> JobStatus:
        row = self.store.db.execute(
            "SELECT consumer, state, step, reasons FROM jobs WHERE job_id = ?", (job_id,)
        ).fetchone()
        if row is None or row[0] != caller:
            raise NotFound(f"no job {job_id} for {caller!r}")
        return JobStatus(job_id=job_id, state=row[1], step=row[2], reasons=json.loads(row[3]))

    # -- tasks -------------------------------------------------------------------------
    def pull_tasks(self, caller: str, limit: int = 8) -> list[Task]:
        """Lease up to ``limit`` of the caller's pending tasks (or expired leases)."""
        self._role(caller)
        now = time.time()
        out: list[Task] = []
        with self.store.transaction() as db:
            rows = db.execute(
                "SELECT t.task_id, t.job_id, t.payload, t.attempt FROM tasks t "
                "JOIN jobs j ON j.job_id = t.job_id "
                "WHERE t.node = ? AND j.state IN ('queued', 'running', 'succeeded') AND "
                "(t.state = 'pending' OR (t.state = 'leased' AND t.lease_until < ?)) "
                "ORDER BY t.created_at LIMIT ?",
                (caller, now, limit),
            ).fetchall()
            for task_id, job_id, payload, attempt in rows:
                if attempt >= self.config.max_attempts:
                    self._fail_job(job_id, f"a task at {caller} was tried {attempt} times")
                    continue
                db.execute(
                    "UPDATE tasks SET state = 'leased', attempt = attempt + 1, lease_until = ? "
                    "WHERE task_id = ?",
                    (now + self.config.lease_seconds, task_id),
                )
                out.append(
                    Task.model_validate(
                        {
                            "task_id": task_id,
                            "job_id": job_id,
                            "node": caller,
                            "attempt": attempt + 1,
                            "payload": json.loads(payload),
                        }
                    )
                )
        return out

    def complete_task(self, caller: str, result: TaskResult) -> None:
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
                return  # a retried post of the same result
            raise ProtocolError("task already completed with a different result")
        if state == "cancelled":
            raise ProtocolError("task was cancelled")
        status = self.store.db.execute(
            "SELECT state FROM jobs WHERE job_id = ?", (job_id,)
        ).fetchone()
        if status is None or status[0] in ("failed", "denied"):
            raise ProtocolError(f"job {job_id} is no longer running")
        expected = {
            "psi_respond": "psi_response",
            "psi_finish": "matched_subjects",
            "compute_features": "encrypted_features",
            "result_ready": "ack",
        }[kind]
        if result.payload.kind != expected:
            raise ProtocolError(
                f"a {kind} task takes a {expected} result, not {result.payload.kind}"
            )
        spec = self._spec(job_id)
        try:
            with self.store.transaction() as db:
                db.execute(
                    "UPDATE tasks SET state = 'done', result_hash = ? WHERE task_id = ?",
                    (result_hash, result.task_id),
                )
                self._advance(spec, caller, result.payload)
        except (CryptoError, ProtocolError) as exc:
            with self.store.transaction():
                self._fail_job(job_id, f"{caller} sent an unacceptable {expected}: {exc}")
            raise

    def report_failure(self, caller: str, task_id: str, reason: str) -> None:
        """A node could not do its step; the job fails cleanly, nothing released."""
        row = self.store.db.execute(
            "SELECT job_id, node FROM tasks WHERE task_id = ?", (task_id,)
        ).fetchone()
        if row is None or row[1] != caller:
            raise NotFound(f"no task {task_id} for {caller!r}")
        with self.store.transaction():
            self._fail_job(row[0], f"{caller}: {reason[:300]}")

    def _fail_job(self, job_id: str, reason: str) -> None:
        db = self.store.db
        db.execute(
            "UPDATE jobs SET state = 'failed', step = 'failed', reasons = ?, updated_at = ? "
            "WHERE job_id = ? AND state NOT IN ('succeeded', 'failed', 'denied')",
            (json.dumps([reason]), _now(), job_id),
        )
        db.execute(
            "UPDATE tasks SET state = 'cancelled' WHERE job_id = ? AND state <> 'done'", (job_id,)
        )
        self.store.drop_data(job_id)
        self.ledger.append(SPACE, "job_failed", {"reason": reason}, job_id=job_id)
        log.warning("job %s failed", job_id)

    def _set_step(self, job_id: str, state: str, step: str) -> None:
        self.store.db.execute(
            "UPDATE jobs SET state = ?, step = ?, updated_at = ? WHERE job_id = ?",
            (state, step, _now(), job_id),
        )

    # -- the protocol's state machine ----------------------------------------------------
    def _advance(self, spec: JobSpec, node: str, payload: object) -> None:
        job_id = spec.job_id
        providers = [n for names in spec.providers.values() for n in names]
        if isinstance(payload, PsiResponseResult):
            self.store.put_data(job_id, f"psi_response/{node}", payload.psi_response)
            self._set_step(job_id, "running", "psi")
            self.ledger.append(
                node,
                "psi_responded",
                {
                    "response_hash": self.suite.hex_hash(payload.psi_response),
                    "response_bytes": len(payload.psi_response),
                },
                job_id=job_id,
            )
            answered = self.store.data_keys(job_id, "psi_response/")
            if len(answered) == len(providers):
                product = get_product(spec.product)
                setups: dict[str, bytes] = {}
                responses: dict[str, bytes] = {}
                for role, names in spec.providers.items():
                    for name in names:
                        version = self._job_json(job_id, "versions")[name]
                        setups[name] = self._setup(name, product.role(role).dataset, version)
                        responses[name] = self.store.get_data(job_id, f"psi_response/{name}") or b""
                self._add_task(
                    job_id, spec.consumer, PsiFinishTask(setups=setups, responses=responses)
                )
                self._set_step(job_id, "running", "intersect")
        elif isinstance(payload, MatchedSubjectsResult):
            self._accept_matches(spec, providers, payload)
        elif isinstance(payload, EncryptedFeaturesResult):
            self._accept_features(spec, node, payload)
            received = self.store.data_keys(job_id, "features/")
            if len(received) == len(providers):
                with self.timer.stage("combine"):
                    self._release(spec)
        elif isinstance(payload, AckResult):
            self.ledger.append(node, "result_collected", {}, job_id=job_id)
            self.store.drop_data(job_id, keep=("result",))

    def _job_json(self, job_id: str, key: str) -> dict[str, int]:
        data = self.store.get_data(job_id, key)
        if data is None:
            raise ProtocolError(f"job {job_id} is not at the step that needs {key}")
        return {str(k): int(v) for k, v in json.loads(data).items()}

    def _setup(self, provider: str, dataset: str, version: int) -> bytes:
        row = self.store.db.execute(
            "SELECT setup FROM datasets WHERE provider = ? AND dataset = ? AND version = ?",
            (provider, dataset, version),
        ).fetchone()
        if row is None:
            raise NotFound(f"setup {provider}/{dataset}/v{version} is gone")
        return bytes(row[0])

    def _accept_matches(
        self, spec: JobSpec, providers: list[str], m: MatchedSubjectsResult
    ) -> None:
        handles = split_handles(m.handles)
        if len(handles) > spec.batch_size:
            raise ProtocolError("more handles than the declared batch")
        if len(set(handles)) != len(handles):
            raise ProtocolError("repeated handles")
        if set(m.sealed) != set(providers) or set(m.counts) != set(providers):
            raise ProtocolError("sealed subjects must name exactly the job's providers")
        if any(not 0 <= c <= len(handles) for c in m.counts.values()):
            raise ProtocolError("a matched count exceeds the number of handles")
        product = get_product(spec.product)
        features, obligations = self._plan(spec.job_id)
        transforms = obligations.get("transforms", {})
        self.store.put_data(spec.job_id, "handles", m.handles)
        self.store.put_data(spec.job_id, "counts", json.dumps(m.counts).encode())
        for role, names in spec.providers.items():
            mine = [f for f in features if product.feature(f).role == role]
            for name in names:
                self._add_task(
                    spec.job_id,
                    name,
                    ComputeFeaturesTask(
                        product=spec.product,
                        role=role,
                        as_of=spec.as_of,
                        features=mine,
                        transforms={f: transforms[f] for f in mine if f in transforms},
                        paillier_public_key=spec.paillier_public_key,
                        sealed_subjects=m.sealed[name],
                        subject_count=m.counts[name],
                    ),
                )
        self._set_step(spec.job_id, "running", "features")
        self.ledger.append(
            spec.consumer,
            "subjects_relayed",
            {
                "handles": len(handles),
                "matched": dict(m.counts),
            },
            job_id=spec.job_id,
        )

    def _accept_features(self, spec: JobSpec, node: str, r: EncryptedFeaturesResult) -> None:
        role = next(role for role, names in spec.providers.items() if node in names)
        product = get_product(spec.product)
        features, _ = self._plan(spec.job_id)
        expected = [f for f in features if product.feature(f).role == role]
        if r.features != expected:
            raise ProtocolError(f"features must be {expected}")
        all_handles = set(split_handles(self.store.get_data(spec.job_id, "handles") or b""))
        handles = split_handles(r.handles)
        if len(set(handles)) != len(handles) or not set(handles) <= all_handles:
            raise ProtocolError("features for handles that are not this job's")
        declared = self._job_json(spec.job_id, "counts")[node]
        if len(handles) != declared:
            raise ProtocolError(f"{len(handles)} subjects answered, {declared} were sent")
        pk = PaillierPublicKey.from_wire(
            spec.paillier_public_key, min_bits=self.config.min_paillier_bits
        )
        cts = pk.unpack(r.ciphertexts)  # refuses anything outside Z*_{n^2}
        if len(cts) != len(handles) * len(expected):
            raise ProtocolError("ciphertext count does not match handles x features")
        self.store.put_data(spec.job_id, f"features/{node}", r.model_dump_json().encode())
        self.ledger.append(
            node,
            "features_received",
            {
                "subjects": len(handles),
                "features": expected,
                "ciphertext_hash": self.suite.hex_hash(r.ciphertexts),
            },
            job_id=spec.job_id,
        )

    def _release(self, spec: JobSpec) -> None:
        product = get_product(spec.product)
        pk = PaillierPublicKey.from_wire(
            spec.paillier_public_key, min_bits=self.config.min_paillier_bits
        )
        handles = split_handles(self.store.get_data(spec.job_id, "handles") or b"")
        parts = []
        for key in self.store.data_keys(spec.job_id, "features/"):
            r = EncryptedFeaturesResult.model_validate_json(
                self.store.get_data(spec.job_id, key) or b""
            )
            cts = pk.unpack(r.ciphertexts)
            k = len(r.features)
            by_handle = {
                h: cts[i * k : (i + 1) * k] for i, h in enumerate(split_handles(r.handles))
            }
            parts.append((r.features, by_handle))
        if product.output_mode != "score" or spec.model is None:
            raise TspaceError(
                f"output mode {product.output_mode} is not released by this engine yet"
            )
        model = ScoreModel.parse(spec.model)
        _, obligations = self._plan(spec.job_id)
        duties = (
            {"retention_days": obligations["retention_days"]}
            if "retention_days" in obligations
            else {}
        )
        scores = linear_scores(
            pk, handles, parts, model.integer_weights(product), model.integer_intercept(product)
        )
        out = rerandomise_values(pk, scores)
        result = JobResult(
            job_id=spec.job_id,
            output_mode="score",
            features=[],
            handles=b"".join(handles),
            ciphertexts=pk.pack(out),
            duties=duties,
        )
        self.store.drop_data(spec.job_id)
        self.store.put_data(spec.job_id, "result", result.model_dump_json().encode())
        self._set_step(spec.job_id, "succeeded", "released")
        self._add_task(spec.job_id, spec.consumer, ResultReadyTask())
        self.ledger.append(
            SPACE,
            "result_released",
            {
                "ciphertexts": len(out),
                "result_hash": self.suite.hex_hash(result.ciphertexts),
            },
            job_id=spec.job_id,
        )
        log.info("job %s released %d ciphertexts", spec.job_id, len(out))

    def job_result(self, caller: str, job_id: str) -> JobResult:
        status = self.job_status(caller, job_id)
        if status.state != "succeeded":
            raise NotFound(f"job {job_id} has no result ({status.state})")
        data = self.store.get_data(job_id, "result")
        if data is None:
            raise NotFound(f"job {job_id}'s result was already removed")
        return JobResult.model_validate_json(data)


__all__ = ["HANDLE_BYTES", "Space", "SpaceConfig"]
