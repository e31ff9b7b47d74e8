"""The decision policies would make for a job, without running anything:
for stewards checking a policy (``tspace policy explain``, the notebooks)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from policies.constraints import JobRequest, UsageCounter
from policies.decision import Decision
from policies.engine import evaluate
from policies.model import Policy
from products.registry import get_product
from products.score_model import ScoreModel
from trusted_space.core.clock import CHINA
from trusted_space.core.errors import InputError


def explain_job(
    policies: Sequence[Policy],
    *,
    consumer: str,
    product: str,
    purpose: str,
    batch_size: int,
    model: Path | None = None,
    features: Sequence[str] | None = None,
    as_of: dt.date | None = None,
    epsilon: float | None = None,
    providers: dict[str, str] | None = None,
    usage: UsageCounter | None = None,
) -> Decision:
    """Evaluate ``policies`` for one job request and return the decision
    with every reason. Features default to those the model weighs (score
    products) or all of the product's; each role's provider defaults to a
    participant named after the role; quotas count from ``usage`` if given."""
    try:
        prod = get_product(product)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if features:
        chosen = list(features)
    elif model is not None and prod.output_mode == "score":
        score_model = ScoreModel.load(model)
        chosen = [f.name for f in prod.features if score_model.weights.get(f.name, 0) != 0]
    else:
        chosen = [f.name for f in prod.features]
    unknown = [f for f in chosen if f not in {x.name for x in prod.features}]
    if unknown:
        raise InputError(f"{product} has no features {unknown}")
    roles = {role: [role] for role in prod.roles_for(chosen)}
    for role, name in (providers or {}).items():
        if role not in roles or not name:
            raise InputError(f"provider {role}={name!r}: expected a role of {sorted(roles)}")
        roles[role] = [name]
    day = as_of or dt.datetime.now(CHINA).date()
    request = JobRequest(
        consumer=consumer,
        product=prod,
        purpose=purpose,
        batch_size=batch_size,
        features=chosen,
        providers=roles,
        when=dt.datetime.combine(day, dt.time(12), CHINA),
        model_sha256=ScoreModel.load(model).sha256() if model is not None else None,
        epsilon=epsilon,
    )
    return evaluate(policies, request, usage)
