"""What every engine shares: the space's port and the parts of it each step
uses, the job's Paillier key at the space's minimum size, the job's product
as this engine may run it, the plan a job stored when it started, and its
released result. An engine subclasses ``EngineBase`` and names itself
(``name``, its key in ``ENGINES``); the rest of ``Engine`` is its own."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from products.base import Product
from products.registry import PRODUCTS, get_product
from trusted_space.core.errors import NotFound, ProtocolError
from trusted_space.core.i18n import Text
from trusted_space.hazmat.paillier import PaillierPublicKey
from trusted_space.protocol.messages import JobResult, JobSpec
from trusted_space.space.policy_registry import job_features
from trusted_space.space.port import JobContext


def providers_of(spec: JobSpec) -> list[str]:
    """Every provider the job names, role after role."""
    return [n for names in spec.providers.values() for n in names]


def known_product(name: str) -> Product:
    """The registered product of that name (ProtocolError if there is none)."""
    try:
        return get_product(name)
    except ValueError:
        raise ProtocolError(
            Text("err.space.product.unknown", product=name, known=", ".join(PRODUCTS))
        ) from None


class EngineBase:
    name: ClassVar[str]  # the engine's name: its key in ENGINES, a product's engine

    def __init__(self, space: JobContext) -> None:
        self.space = space
        self.store = space.store
        self.ledger = space.ledger
        self.suite = space.suite

    def public_key(self, spec: JobSpec) -> PaillierPublicKey:
        """The consumer's key; refuses one under the space's minimum size."""
        return PaillierPublicKey.from_wire(
            spec.paillier_public_key, min_bits=self.space.config.min_paillier_bits
        )

    def local(self, name: str) -> bool:
        return self.space.is_local_provider(name)

    def product_of(self, spec: JobSpec) -> Product:
        """The job's product, which must run on this engine (ProtocolError if not)."""
        product = known_product(spec.product)
        if self.name not in product.engines:
            raise ProtocolError(
                Text("err.space.product.not_on_engine", product=product.name, engine=self.name)
            )
        return product

    def features_and_roles(self, spec: JobSpec, product: Product) -> list[str]:
        """The features the job computes; it must name providers for exactly
        the roles they read."""
        features = job_features(spec, product)
        if not features:
            raise ProtocolError(Text("err.space.job.no_feature"))
        roles = sorted(product.roles_for(features))
        if sorted(spec.providers) != roles:
            raise ProtocolError(Text("err.space.job.roles", roles=", ".join(roles)))
        return features

    def provider_versions(
        self, spec: JobSpec, product: Product, *, for_peer: bool, bounded: bool
    ) -> dict[str, int]:
        """The dataset version each provider's step will use. A provider that
        is not this space's must be an active peer's (``for_peer``: a job a
        peer forwarded, whose other providers are not this space's to check).
        ``bounded``: the batch must fit the items each provider's setup admits."""
        versions: dict[str, int] = {}
        for role, names in spec.providers.items():
            if not names or len(set(names)) != len(names):
                raise ProtocolError(Text("err.space.job.distinct_providers", role=role))
            dataset = product.role(role).dataset
            for name in names:
                if not self.local(name):
                    if for_peer:
                        continue  # the home space's or another peer's provider
                    remote = self.space.remote_dataset(name, product.name, role)
                    if remote is None:
                        raise ProtocolError(Text("err.space.provider.not_provider", name=name))
                    if bounded and spec.batch_size > remote[1].max_items:
                        raise ProtocolError(
                            Text(
                                "err.space.provider.batch_over_setup",
                                batch=spec.batch_size,
                                items=remote[1].max_items,
                                name=name,
                            )
                        )
                    versions[name] = remote[1].version
                    continue
                offer = self.space.latest_offer(name, dataset)
                if offer is None:
                    raise ProtocolError(
                        Text("err.space.provider.no_dataset", name=name, dataset=dataset)
                    )
                if bounded and spec.batch_size > offer[1]:
                    raise ProtocolError(
                        Text(
                            "err.space.provider.batch_over_setup",
                            batch=spec.batch_size,
                            items=offer[1],
                            name=name,
                        )
                    )
                versions[name] = offer[0]
        return versions

    def one_provider_per_role(self, spec: JobSpec, product: Product) -> list[str]:
        """The product's roles, in order; the job names one provider of each."""
        roles = [r.role for r in product.roles]
        if sorted(spec.providers) != sorted(roles) or any(
            len(names) != 1 for names in spec.providers.values()
        ):
            raise ProtocolError(
                f"a {product.name} job needs exactly one provider of each role: "
                + " and ".join(roles)
            )
        return roles

    def stored_plan(self, job_id: str) -> dict[str, Any]:
        """What the job's ``start`` stored of its plan."""
        data = self.store.get_data(job_id, "plan")
        if data is None:
            raise ProtocolError(Text("err.space.job.no_plan", job=job_id))
        plan: dict[str, Any] = json.loads(data)
        return plan

    def with_peer_duties(self, job_id: str, duties: dict[str, int]) -> dict[str, int]:
        """``duties`` joined with those the job's peers sent: the most restrictive holds."""
        for key in self.store.data_keys(job_id, "peer_duties/"):
            for duty, value in json.loads(self.store.get_data(job_id, key) or b"{}").items():
                duties[duty] = min(int(value), duties.get(duty, int(value)))
        return duties

    def result(self, job_id: str) -> JobResult:
        data = self.store.get_data(job_id, "result")
        if data is None:
            raise NotFound(Text("err.space.job.result_removed", job=job_id))
        return JobResult.model_validate_json(data)
