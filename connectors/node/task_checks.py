"""A provider's checks of a task against the job its consumer signed.

The space relays every task and could alter any field of it: put its own
Paillier key in place of the consumer's (and read the features), change the
model's weights (so one feature comes out alone), ask for other features,
send a PSI request or blinded points of its own choosing. Before it opens a
sealed subject or reads a row, a provider checks:

1. the consumer's signed keys against the signing key it pinned
   (trusted_space/nodes/pins.py), then the consumer's signature over the job
   (``SignedJob``): the spec, and the hashes of its PSI request or blinded
   points;
2. that the job is the task's job and names this provider in the task's role;
3. every field the task carries against the signed spec: product, as_of,
   purpose, the consumer's Paillier key, the features (the model's non-zero
   weights, or those requested), the weights (recomputed here from the
   signed model file), the PSI request or the blinded points (by hash), the
   batch size, the query and this provider's sealed job key; for an overlap
   count (PSI between two providers), the other provider's signature on
   what the space relays from it (its request, or its setup and answer),
   against the key this node pinned for it;
4. for a score product, the model against the one its owner approved: the
   provider's own list (``ApprovedModels``, set by ``tspace node
   --approve-model``) when it keeps one, else the model its policies pin, as
   the task carries it.

A difference fails the task with ``task_altered`` (``model_not_approved``)
before anything is computed. Not checked, as the consumer does not sign
them: the policies' obligations the space applies (release transforms,
consent, min_count, product parameters); a provider that keeps its own model list does not
depend on the space for the model.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from policies.request import job_features, model_sha256
from products.base import Product
from products.registry import get_product
from products.score_model import ScoreModel
from trusted_space.core.errors import (
    CryptoError,
    InputError,
    ModelNotApproved,
    ProtocolError,
    TaskAltered,
)
from trusted_space.core.i18n import Text, recognised
from trusted_space.crypto import CryptoSuite
from trusted_space.crypto.keyfiles import WatchedJson
from trusted_space.hazmat.oprf import POINT_BYTES
from trusted_space.ledger.ledger import step_digest
from trusted_space.nodes.pins import Pins
from trusted_space.protocol.identity import verify_job
from trusted_space.protocol.messages import (
    BlindEvaluateTask,
    ComputeFeaturesTask,
    JobSpec,
    JoinUploadTask,
    OverlapFinishTask,
    OverlapRequestResult,
    OverlapRequestTask,
    OverlapRespondTask,
    OverlapResponseResult,
    PsiRespondTask,
    SignedJob,
    SignedStep,
    Task,
)

OverlapTask = OverlapRequestTask | OverlapRespondTask | OverlapFinishTask
ProviderTask = (
    PsiRespondTask | ComputeFeaturesTask | JoinUploadTask | BlindEvaluateTask | OverlapTask
)


class ApprovedModels:
    """The models this provider's owner approved (their SHA-256), kept in the
    node's folder: when it holds any, a score task's model must be one."""

    def __init__(self, node_dir: Path) -> None:
        self.path = Path(node_dir) / "approved_models.json"
        # Read at every task, parsed again only when it changed: an approval
        # withdrawn while the node runs holds from its next task.
        self._file = WatchedJson(self.path)
        self._seen: dict[str, Any] | None = None
        self._hashes: frozenset[str] = frozenset()

    def hashes(self) -> frozenset[str]:
        on_disk = self._file.read()
        if on_disk is not self._seen:
            self._hashes = frozenset(str(h) for h in on_disk.get("sha256", []))
            self._seen = on_disk
        return self._hashes

    def approve(self, document: bytes) -> str:
        """Approve a model file; its SHA-256 (the form policies pin it in)."""
        digest = model_sha256(document)
        self._file.write({"sha256": sorted(self.hashes() | {digest})})
        return digest


def _altered(field: Text, consumer: str) -> TaskAltered:
    return TaskAltered(Text("err.nodes.task.altered", consumer=consumer, field=field))


# Signed jobs whose signature verified here, by the hash of the whole signed
# job (spec, request hashes, signature and the consumer's signed keys): each
# of a job's tasks carries it again (a PSI answer, then features), and under
# the gm suite a verification costs milliseconds. A signature verifies or
# not for good, so this hides nothing; the pin is checked at every task.
VERIFIED_JOBS_KEPT = 1024
_verified_jobs: OrderedDict[str, None] = OrderedDict()
_verified_lock = threading.Lock()


def signed_spec(suite: CryptoSuite, pins: Pins, task: Task, job: SignedJob) -> JobSpec:
    """The job's spec, once the consumer's keys check against this node's pin
    and its signature against them, and the job is the task's."""
    pins.check(job.consumer_keys, "consumer")
    digest = f"{suite.name}:{suite.hex_hash(job.model_dump_json().encode())}"
    with _verified_lock:
        known = digest in _verified_jobs
    if not known:
        verify_job(suite, job, job.consumer_keys.signing_key)
        with _verified_lock:
            _verified_jobs[digest] = None
            while len(_verified_jobs) > VERIFIED_JOBS_KEPT:
                _verified_jobs.popitem(last=False)
    if job.spec.job_id != task.job_id:
        raise _altered(Text("err.nodes.field.job"), job.spec.consumer)
    return job.spec


def _product(spec: JobSpec) -> Product:
    try:
        return get_product(spec.product)
    except ValueError as exc:
        raise ProtocolError(recognised(str(exc))) from None


def _my_roles(spec: JobSpec, me: str) -> list[str]:
    roles = [role for role, names in spec.providers.items() if me in names]
    if not roles:
        raise _altered(Text("err.nodes.field.provider"), spec.consumer)
    return roles


def _role_features(spec: JobSpec, product: Product, role: str) -> list[str]:
    try:
        features = _job_features(
            product.name, spec.model, None if spec.features is None else tuple(spec.features)
        )
    except InputError as exc:
        raise ProtocolError(recognised(str(exc))) from None
    return [f for f in features if product.feature(f).role == role]


# The signed model file, parsed once per file and product (a job's tasks and
# every job of one insurer carry the same few bytes); keyed by the bytes
# themselves, so another model is parsed afresh. A refused model raises and
# is not kept.
@functools.lru_cache(maxsize=64)
def _job_features(
    product: str, model: bytes | None, requested: tuple[str, ...] | None
) -> tuple[str, ...]:
    return tuple(job_features(get_product(product), model, requested))


@functools.lru_cache(maxsize=64)
def _model_weights(product: str, model: bytes) -> Mapping[str, int]:
    return MappingProxyType(ScoreModel.parse(model).integer_weights(get_product(product)))


def _check_model(spec: JobSpec, pinned: str | None, approved: ApprovedModels) -> None:
    if spec.model is None:
        raise _altered(Text("err.nodes.field.model"), spec.consumer)
    digest = model_sha256(spec.model)
    own = approved.hashes()
    if (own and digest not in own) or (not own and pinned is not None and pinned != digest):
        raise ModelNotApproved(Text("err.nodes.task.model_not_approved", digest=digest[:12]))


def check_task(
    suite: CryptoSuite, pins: Pins, approved: ApprovedModels, me: str, task: Task
) -> JobSpec:
    """The signed spec of ``task``, once every field of it is the consumer's
    (``TaskAltered``) and its model the owner's (``ModelNotApproved``)."""
    t = task.payload
    if not isinstance(t, ProviderTask):
        raise ProtocolError(
            Text("err.nodes.task.kind", party=Text("err.nodes.party.provider"), kind=t.kind)
        )
    job = t.job
    spec = signed_spec(suite, pins, task, job)
    product = _product(spec)
    roles = _my_roles(spec, me)
    consumer = spec.consumer
    if isinstance(t, OverlapTask):
        _check_overlap(suite, pins, spec, product, roles, t)
        return spec
    if isinstance(t, PsiRespondTask):
        if job.psi_request_hash != suite.hex_hash(t.psi_request):
            raise _altered(Text("err.nodes.field.psi_request"), consumer)
        if t.max_items != spec.batch_size:
            raise _altered(Text("err.nodes.field.batch_size"), consumer)
        if t.dataset not in {product.role(role).dataset for role in roles}:
            raise _altered(Text("err.nodes.field.dataset"), consumer)
        return spec
    if isinstance(t, JoinUploadTask):
        if t.role not in roles:
            raise _altered(Text("err.nodes.field.role"), consumer)
        if (t.product, t.query, t.paillier_public_key) != (
            spec.product,
            spec.query,
            spec.paillier_public_key,
        ):
            raise _altered(Text("err.nodes.field.product_query_key"), consumer)
        if spec.sealed_keys is None or spec.sealed_keys.get(me) != t.sealed_key:
            raise _altered(Text("err.nodes.field.job_key"), consumer)
        if t.clip != (spec.epsilon is not None):
            raise _altered(Text("err.nodes.field.clipping"), consumer)
        return spec
    if isinstance(t, ComputeFeaturesTask):
        if t.role not in roles:
            raise _altered(Text("err.nodes.field.role"), consumer)
        if (t.product, t.as_of, t.purpose, t.paillier_public_key) != (
            spec.product,
            spec.as_of,
            spec.purpose,
            spec.paillier_public_key,
        ):
            raise _altered(Text("err.nodes.field.product_terms_paillier"), consumer)
        if t.consent_for not in (None, consumer) or t.subject_count > spec.batch_size:
            raise _altered(Text("err.nodes.field.consent_batch"), consumer)
        features = _role_features(spec, product, t.role)
        if t.features != features:
            raise _altered(Text("err.nodes.field.features"), consumer)
        if product.output_mode == "score":
            _check_weights(spec, product, features, t.weights)
            _check_model(spec, t.approved_model, approved)
        elif t.weights is not None:
            raise _altered(Text("err.nodes.field.weights"), consumer)
        return spec
    r = t.upload
    if r.role not in roles or t.dataset != product.role(r.role).dataset:
        raise _altered(Text("err.nodes.field.role"), consumer)
    if job.blinded_hash != suite.hex_hash(t.blinded) or len(t.blinded) != (
        spec.batch_size * POINT_BYTES
    ):
        raise _altered(Text("err.nodes.field.blinded_points"), consumer)
    if (r.consumer, r.product, r.as_of, r.purpose, r.consumer_sealing_key) != (
        consumer,
        spec.product,
        spec.as_of,
        spec.purpose,
        job.consumer_keys.sealing_key,
    ):
        raise _altered(Text("err.nodes.field.product_terms_sealing"), consumer)
    if r.consent_for not in (None, consumer):
        raise _altered(Text("err.nodes.field.consent"), consumer)
    features = _role_features(spec, product, r.role)
    if r.features != features:
        raise _altered(Text("err.nodes.field.features"), consumer)
    _check_weights(spec, product, features, r.weights)
    if spec.model is None or r.model_hash != model_sha256(spec.model):
        raise _altered(Text("err.nodes.field.model"), consumer)
    _check_model(spec, r.approved_model, approved)
    return spec


def _check_weights(
    spec: JobSpec, product: Product, features: list[str], weights: dict[str, int] | None
) -> None:
    """The weights must be the signed model's, on exactly this role's features."""
    if spec.model is None or weights is None:
        raise _altered(Text("err.nodes.field.weights"), spec.consumer)
    try:
        model = _model_weights(product.name, spec.model)
    except InputError as exc:
        raise ProtocolError(recognised(str(exc))) from None
    if weights != {f: model[f] for f in features}:
        raise _altered(Text("err.nodes.field.weights"), spec.consumer)


def _check_overlap(
    suite: CryptoSuite,
    pins: Pins,
    spec: JobSpec,
    product: Product,
    roles: list[str],
    t: OverlapTask,
) -> None:
    """An overlap count's step: this node's role in it, and the other
    provider's signature on what the space relays from it."""
    consumer = spec.consumer
    if "psi_cardinality" not in product.engines or len(product.roles) != 2:
        raise _altered(Text("err.nodes.field.product"), consumer)
    server, client = (r.role for r in product.roles)
    mine = server if isinstance(t, OverlapRespondTask) else client
    if t.role != mine or t.role not in roles or t.product != spec.product:
        raise _altered(Text("err.nodes.field.role"), consumer)
    if isinstance(t, OverlapRequestTask):
        if t.dataset != product.role(t.role).dataset:
            raise _altered(Text("err.nodes.field.dataset"), consumer)
    elif isinstance(t, OverlapRespondTask):
        if t.dataset != product.role(t.role).dataset:
            raise _altered(Text("err.nodes.field.dataset"), consumer)
        _check_step(
            suite,
            pins,
            spec,
            spec.providers[client][0],
            t.request,
            OverlapRequestResult(psi_request=t.psi_request),
        )
    else:
        if t.paillier_public_key != spec.paillier_public_key:
            raise _altered(Text("err.nodes.field.paillier_key"), consumer)
        _check_step(
            suite,
            pins,
            spec,
            spec.providers[server][0],
            t.response,
            OverlapResponseResult(psi_setup=t.psi_setup, psi_response=t.psi_response),
        )


def _check_step(
    suite: CryptoSuite,
    pins: Pins,
    spec: JobSpec,
    signer: str,
    step: SignedStep,
    payload: OverlapRequestResult | OverlapResponseResult,
) -> None:
    """``payload`` is what ``signer`` returned in this job, as it signed it
    (``ledger.step_digest``), under the key this node pinned for it."""
    if step.keys.name != signer:
        raise _altered(Text("err.nodes.field.other_provider"), spec.consumer)
    keys = pins.check(step.keys, "provider")
    result_hash = suite.hex_hash(payload.model_dump_json().encode())
    digest = step_digest(suite, spec.job_id, step.task_id, payload.kind, result_hash)
    try:
        suite.verify(bytes.fromhex(keys.signing_key), digest, bytes.fromhex(step.signature))
    except (CryptoError, ValueError):
        raise TaskAltered(
            Text("err.nodes.task.relayed", signer=signer, kind=payload.kind)
        ) from None


def offered_product(name: str, role: str, features: list[str]) -> Product:
    """The task's product, once its role is one the product has and its
    features ones the product offers that role (a provider computes nothing
    else)."""
    try:
        product = get_product(name)
        product.role(role)
    except (ValueError, KeyError) as exc:
        raise ProtocolError(recognised(str(exc))) from exc
    offered = {f.name for f in product.features_for(role)}
    if not features or not set(features) <= offered:
        raise ProtocolError(
            Text(
                "err.nodes.provider.features_offered",
                role=role,
                offered=sorted(offered),
                product=product.name,
            )
        )
    return product
