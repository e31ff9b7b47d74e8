"""The decision policies would make for a job, without running anything:
for stewards checking a policy (``tspace policy explain``, the notebooks).

The request is built by ``policies.request.job_request``, the builder the
space's gate uses, so the explanation is the gate's decision for the same
job (given the same ``usage``, and the moment ``as_of`` noon in China)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path

from policies.constraints import UsageCounter
from policies.decision import Decision
from policies.engine import evaluate
from policies.lookup import EngineChoice, choose_engine
from policies.model import Policy
from policies.request import job_features, job_request
from products.registry import get_product
from trusted_space.core.clock import CHINA
from trusted_space.core.errors import InputError, Location
from trusted_space.core.i18n import OnlyInEnglish, Text, recognised


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
    providers: Mapping[str, str | Sequence[str]] | None = None,
    usage: UsageCounter | None = None,
    consent_refs: Sequence[str] = (),
    engine: str | None = None,
) -> Decision:
    """Evaluate ``policies`` for one job request and return the decision
    with every reason, as the space's gate would. A score product computes
    the features its model weighs (the model is required, ``features`` is
    refused); any other product the given ``features`` or all of its own.
    Each role's provider defaults to a participant named after the role
    (``providers`` names one or several per role);
    quotas count from ``usage`` if given; ``consent_refs`` is the consent
    evidence the job carries. ``engine`` is the engine the job asks for;
    by default the one the policies choose (``explain_engine``: the blind
    lookup when a policy requires it and the product can run blind, else the
    product's own); the decision's ``engine`` says which, its ``lookup``
    reason why."""
    try:
        prod = get_product(product)
    except ValueError as exc:
        raise InputError(recognised(str(exc))) from None
    if features and prod.output_mode == "score":
        raise InputError(Text("err.products.policy.model_not_features", product=product))
    document = None
    if model is not None:
        try:
            document = Path(model).read_bytes()
        except OSError as exc:
            raise InputError(
                Text("err.products.policy.model_unreadable", reason=OnlyInEnglish(f": {exc}")),
                Location(str(model), None, None),
            ) from exc
    chosen = job_features(prod, document, features, model_origin=str(model))
    roles = {role: [role] for role in prod.roles_for(chosen)}
    for role, name in (providers or {}).items():
        names = [name] if isinstance(name, str) else list(name)
        if role not in roles or not names or not all(names):
            raise InputError(
                Text(
                    "err.products.policy.provider_role",
                    role=role,
                    name=repr(name),
                    roles=sorted(roles),
                )
            )
        roles[role] = names
    if engine is None:
        engine = choose_engine(policies, prod, roles).engine
    elif engine not in prod.engines:
        raise InputError(
            Text(
                "err.products.policy.engine",
                product=product,
                engines=", ".join(prod.engines),
                engine=repr(engine),
            )
        )
    day = as_of or dt.datetime.now(CHINA).date()
    request = job_request(
        prod,
        consumer=consumer,
        purpose=purpose,
        batch_size=batch_size,
        providers=roles,
        when=dt.datetime.combine(day, dt.time(12), CHINA),
        model=document,
        model_origin=str(model),
        features=chosen,
        epsilon=epsilon,
        consent_refs=consent_refs,
        engine=engine,
    )
    return evaluate(policies, request, usage)


def explain_engine(
    policies: Sequence[Policy],
    *,
    product: str,
    providers: Mapping[str, str | Sequence[str]] | None = None,
) -> EngineChoice:
    """The engine a job of ``product`` would run on by default, and why (in
    zh-CN and English). Each role's provider defaults to a participant named
    after the role, as in ``explain_job``."""
    try:
        prod = get_product(product)
    except ValueError as exc:
        raise InputError(recognised(str(exc))) from None
    roles: dict[str, list[str]] = {r.role: [r.role] for r in prod.roles}
    for role, name in (providers or {}).items():
        roles[role] = [name] if isinstance(name, str) else list(name)
    return choose_engine(policies, prod, roles)
