"""What an allowed job must do: the settings of its governing policies that
shape the job itself, merged so the most restrictive one wins.

Each policy's limits are checked on their own (``policies.constraints``); the
settings here are not checks but duties the space and the providers carry
out: the coarsest release transform of each feature, the largest
``min_count``, the smallest epsilon cap and budget, the shortest retention,
which providers check each subject's consent, the strictest setting of
each product parameter (a date tolerance...), and the model each owner's
policies pin (which that owner's provider checks a score task against).

``Obligations`` travels as JSON (the decision in the ledger, a job's plan);
``to_dict`` writes exactly the form the engine always wrote and ``from_dict``
reads it back, so ``from_dict(d).to_dict() == d``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeAlias, TypeVar

from policies.model import Buckets, Policy, Rounding
from products.base import Product

V = TypeVar("V")

# The wire form of one feature's release transform, as ComputeFeaturesTask carries it.
TransformDict: TypeAlias = dict[str, float | list[float]]


@dataclass(frozen=True)
class RoundTo:
    """Release the feature rounded to a multiple of ``step``."""

    step: float

    def to_dict(self) -> TransformDict:
        return {"round_to": self.step}


@dataclass(frozen=True)
class BucketEdges:
    """Release the feature as the lower edge of its bucket."""

    edges: tuple[float, ...]

    def to_dict(self) -> TransformDict:
        return {"buckets": list(self.edges)}


Transform: TypeAlias = RoundTo | BucketEdges


def transform_from_dict(data: Mapping[str, Any]) -> Transform:
    if set(data) == {"round_to"}:
        return RoundTo(data["round_to"])
    if set(data) == {"buckets"}:
        return BucketEdges(tuple(data["buckets"]))
    raise ValueError(f"not a release transform: {dict(data)!r}")


@dataclass(frozen=True)
class EpsilonBudget:
    """The strictest privacy budget of one consumer for one product."""

    epsilon: float
    period: str  # day | month | quarter | year

    def to_dict(self) -> dict[str, Any]:
        return {"epsilon": self.epsilon, "period": self.period}


def _frozen(mapping: Mapping[str, V]) -> Mapping[str, V]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class Obligations:
    """The duties of an allowed job. ``NO_OBLIGATIONS`` (``{}`` on the wire)
    is a job no policy shaped: a deny, or an open gate's allow; its
    transforms are empty and its ``min_count`` is 0, like a policy's."""

    transforms: Mapping[str, Transform] = field(default_factory=lambda: _frozen({}))
    min_count: int = 0
    max_epsilon: float | None = None
    epsilon_budget: EpsilonBudget | None = None
    retention_days: int | None = None
    consent_owners: tuple[str, ...] = ()  # these providers check each subject's consent
    # The product parameters the policies set, each at its strictest value.
    parameters: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    # owner -> the model (SHA-256) its policies pin: each provider checks a
    # score task's model against its own (issue 22, item 5)
    model_pins: Mapping[str, str] = field(default_factory=lambda: _frozen({}))
    # False only for NO_OBLIGATIONS: no policy set these values.
    from_policies: bool = True

    def __post_init__(self) -> None:
        # An immutable copy, whatever mapping the caller passed.
        object.__setattr__(self, "transforms", _frozen(self.transforms))
        object.__setattr__(self, "parameters", MappingProxyType(dict(self.parameters)))
        object.__setattr__(self, "model_pins", _frozen(self.model_pins))

    def transforms_for(self, features: Sequence[str]) -> dict[str, TransformDict]:
        """The wire form of the transforms of ``features`` that have one."""
        return {f: self.transforms[f].to_dict() for f in features if f in self.transforms}

    def duties(self) -> dict[str, int]:
        """What the consumer accepts with the result (``JobResult.duties``)."""
        return {} if self.retention_days is None else {"retention_days": self.retention_days}

    def to_dict(self) -> dict[str, Any]:
        if not self.from_policies:
            return {}
        out: dict[str, Any] = {
            "transforms": {f: t.to_dict() for f, t in self.transforms.items()},
            "min_count": self.min_count,
        }
        if self.max_epsilon is not None:
            out["max_epsilon"] = self.max_epsilon
        if self.epsilon_budget is not None:
            out["epsilon_budget"] = self.epsilon_budget.to_dict()
        if self.retention_days is not None:
            out["retention_days"] = self.retention_days
        if self.consent_owners:
            out["consent_owners"] = list(self.consent_owners)
        if self.parameters:
            out["parameters"] = dict(self.parameters)
        if self.model_pins:
            out["model_pins"] = dict(sorted(self.model_pins.items()))
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Obligations:
        if not data:
            return NO_OBLIGATIONS
        budget = data.get("epsilon_budget")
        return cls(
            transforms={
                f: transform_from_dict(t) for f, t in dict(data.get("transforms", {})).items()
            },
            min_count=int(data.get("min_count", 0)),
            max_epsilon=data.get("max_epsilon"),
            epsilon_budget=EpsilonBudget(budget["epsilon"], budget["period"]) if budget else None,
            retention_days=data.get("retention_days"),
            consent_owners=tuple(data.get("consent_owners", ())),
            parameters={str(k): int(v) for k, v in dict(data.get("parameters", {})).items()},
            model_pins={str(k): str(v) for k, v in dict(data.get("model_pins", {})).items()},
        )


NO_OBLIGATIONS = Obligations(from_policies=False)


def merge(
    policies: Sequence[Policy], features: Sequence[str], product: Product | None = None
) -> Obligations:
    """The most restrictive job-shaping settings of the governing policies
    for a job computing ``features`` (of ``product``, whose parameters say
    which of several policies' settings is the stricter)."""
    transforms: dict[str, Transform] = {}
    for feature in features:
        steps = [p.output.transforms[feature] for p in policies if feature in p.output.transforms]
        rounding = [t.round_to for t in steps if isinstance(t, Rounding)]
        buckets = [t.buckets for t in steps if isinstance(t, Buckets)]
        if buckets:
            # Coarsest bucketing wins: the one with the fewest edges.
            fewest = min(buckets, key=len)
            transforms[feature] = BucketEdges(tuple(fewest))
        elif rounding:
            transforms[feature] = RoundTo(max(rounding))
    min_count = max(
        [p.output.min_count for p in policies]
        + [
            p.column_class(c).min_count or 0
            for p in policies
            for c in p.columns
            if p.column_class(c).disclosure == "aggregate_only"
        ],
        default=0,
    )
    privacy = [p.privacy for p in policies if p.privacy is not None]
    strictest = min((q.budget_per_consumer for q in privacy), key=lambda b: b.epsilon, default=None)
    retention = [p.duties.retention_days for p in policies if p.duties is not None]
    parameters: dict[str, int] = {}
    for parameter in product.parameters if product is not None else ():
        set_to = [
            p.output.parameters[parameter.name]
            for p in policies
            if parameter.name in p.output.parameters
        ]
        if set_to:
            parameters[parameter.name] = parameter.strictest(set_to)
    return Obligations(
        transforms=transforms,
        min_count=min_count,
        max_epsilon=min(q.epsilon_per_query for q in privacy) if privacy else None,
        epsilon_budget=(
            EpsilonBudget(strictest.epsilon, strictest.period) if strictest is not None else None
        ),
        retention_days=min(retention) if retention else None,
        consent_owners=tuple(sorted({o for p in policies if p.consent_required for o in p.owners})),
        parameters=parameters,
        model_pins={o: p.model.sha256 for p in policies if p.model is not None for o in p.owners},
    )
