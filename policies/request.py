"""The policy request for a job: one builder for the space's gate and the dry run.

The gate (``trusted_space.space.policy_registry.RegistryGate``) builds the
request from a submitted job spec, ``policies.explain`` from a steward's
arguments; both call ``job_request`` so the explanation is the decision the
gate would make for the same job at the same moment with the same usage.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence

from policies.constraints import JobRequest
from products.base import Product
from products.score_model import ScoreModel
from trusted_space.core.errors import InputError
from trusted_space.core.i18n import Text


def job_features(
    product: Product,
    model: bytes | None = None,
    requested: Sequence[str] | None = None,
    *,
    model_origin: str = "model",
) -> list[str]:
    """The features a job computes: the model's non-zero weights for a score
    product (``requested`` plays no part), the requested ones (default all)
    for any other. ``model`` is the model file, byte for byte. Raises
    ``InputError`` for a missing or refused model and unknown features."""
    if product.output_mode == "score":
        if model is None:
            raise InputError(Text("err.products.policy.needs_model", product=product.name))
        try:
            score_model = ScoreModel.parse(model, model_origin)
            score_model.check_features(product)
        except InputError as exc:
            raise InputError(Text("err.products.policy.model_refused", reason=exc)) from exc
        return [f.name for f in product.features if score_model.weights.get(f.name, 0) != 0]
    names = list(requested) if requested else [f.name for f in product.features]
    unknown = [n for n in names if n not in {f.name for f in product.features}]
    if unknown:
        raise InputError(
            Text("err.products.policy.no_features", product=product.name, unknown=unknown)
        )
    return names


def model_sha256(model: bytes) -> str:
    """SHA-256 of a model file, the form policies pin it in."""
    return hashlib.sha256(model).hexdigest()


def job_request(
    product: Product,
    *,
    consumer: str,
    purpose: str,
    batch_size: int,
    providers: Mapping[str, Sequence[str]],
    when: dt.datetime,
    model: bytes | None = None,
    model_origin: str = "model",
    features: Sequence[str] | None = None,
    epsilon: float | None = None,
    consent_refs: Sequence[str] = (),
    engine: str | None = None,
) -> JobRequest:
    """What the policy engine judges of one job (see ``job_features``);
    ``providers`` maps each role to its provider names."""
    return JobRequest(
        consumer=consumer,
        product=product,
        purpose=purpose,
        batch_size=batch_size,
        features=job_features(product, model, features, model_origin=model_origin),
        providers={role: list(names) for role, names in providers.items()},
        when=when,
        model_sha256=model_sha256(model) if model is not None else None,
        epsilon=epsilon,
        consent_refs=list(consent_refs),
        engine=engine,
    )
