"""Small constraints, each answering for itself: ``check(job, usage)`` returns
what it found, passed or failed, in words a steward can read.

A policy is the conjunction of its constraints; ``policies.engine`` evaluates
every constraint of every policy that governs a job and keeps every reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from policies.model import ColumnClass, Policy
from products.base import Product
from trusted_space.core.clock import CHINA, period_start
from trusted_space.core.i18n import Text

# What a job needs a class for, in words, keyed by the least class that allows it.
USE_WORDS = {
    "join_key_only": Text("use.join_key_only"),
    "aggregate_only": Text("use.aggregate_only"),
    "encrypted_only": Text("use.encrypted_only"),
    "plaintext": Text("use.plaintext"),
}
# Disclosure classes ordered from most to least restrictive.
CLASS_RANK = {
    "never": 0,
    "join_key_only": 1,
    "aggregate_only": 2,
    "encrypted_only": 3,
    "plaintext": 4,
}


@dataclass(frozen=True)
class JobRequest:
    """What a job asks for, as the engine sees it (no identifiers)."""

    consumer: str
    product: Product
    purpose: str
    batch_size: int
    features: list[str]
    providers: Mapping[str, list[str]]  # role -> provider names
    when: dt.datetime
    model_sha256: str | None = None
    epsilon: float | None = None
    consent_refs: list[str] = field(default_factory=list)
    engine: str | None = None  # the engine the job runs on; None: the product's own

    @property
    def runs_on(self) -> str:
        return self.engine or self.product.engine

    def columns_used(self) -> dict[str, str]:
        """column -> the most demanding use the job makes of it."""
        uses: dict[str, str] = {}
        for name in self.features:
            for column, use in self.product.feature(name).reads.items():
                need = required_class(use, self.product.output_mode)
                if column not in uses or CLASS_RANK[need] > CLASS_RANK[uses[column]]:
                    uses[column] = need
        return uses


def required_class(use: str, mode: str) -> str:
    """The least permissive class that still allows ``use`` in ``mode``."""
    if use == "join":
        return "join_key_only"
    if mode == "aggregate":
        return "aggregate_only"
    if mode == "features" and use == "value":
        return "plaintext"
    return "encrypted_only"


class UsageCounter(Protocol):
    """Counts from the ledger, so a restart never resets a quota."""

    def jobs(self, consumer: str, product: str, since: dt.datetime) -> int: ...
    def subjects(self, consumer: str, product: str, since: dt.datetime) -> int: ...
    def epsilon(self, consumer: str, product: str, since: dt.datetime) -> float: ...


@dataclass(frozen=True)
class Check:
    constraint: str
    ok: bool
    detail: str
    detail_zh: str = ""  # the same in zh-CN, where a constraint gives it

    @classmethod
    def said(cls, constraint: str, ok: bool, key: str, **params: object) -> Check:
        """A check whose detail is a catalog message (trusted_space.core.i18n),
        in English and zh-CN."""
        text = Text(key, **params)
        return cls(constraint, ok, text.text("en"), text.text("zh-CN"))


class Constraint(Protocol):
    name: str

    def check(self, job: JobRequest, usage: UsageCounter | None) -> list[Check]: ...


@dataclass(frozen=True)
class Validity:
    name = "validity"
    valid_from: dt.date
    valid_until: dt.date

    def check(self, job: JobRequest, usage: UsageCounter | None) -> list[Check]:
        today = job.when.astimezone(CHINA).date()
        if today < self.valid_from:
            return [
                Check.said(self.name, False, "policy.not_yet", start=self.valid_from, today=today)
            ]
        if today > self.valid_until:
            return [
                Check.said(self.name, False, "policy.expired", end=self.valid_until, today=today)
            ]
        return [
            Check.said(
                self.name, True, "policy.valid_between", start=self.valid_from, end=self.valid_until
            )
        ]


@dataclass(frozen=True)
class ConsumerAllowed:
    name = "consumer"
    consumers: tuple[str, ...]

    def check(self, job: JobRequest, usage: UsageCounter | None) -> list[Check]:
        ok = job.consumer in self.consumers
        key = "policy.consumer_in" if ok else "policy.consumer_out"
        return [
            Check.said(
                self.name, ok, key, consumer=repr(job.consumer), consumers=list(self.consumers)
            )
        ]


@dataclass(frozen=True)
class PurposeAllowed:
    name = "purpose"
    purposes: tuple[str, ...]

    def check(self, job: JobRequest, usage: UsageCounter | None) -> list[Check]:
        ok = job.purpose in self.purposes
        key = "policy.purpose_in" if ok else "policy.purpose_out"
        return [
            Check.said(self.name, ok, key, purpose=repr(job.purpose), purposes=list(self.purposes))
        ]


@dataclass(frozen=True)
class OutputMode:
    name = "output_mode"
    mode: str

    def check(self, job: JobRequest, usage: UsageCounter | None) -> list[Check]:
        ok = job.product.output_mode == self.mode
        return [
            Check.said(
                self.name,
                ok,
                "policy.output_mode",
                mode=self.mode,
                product=job.product.name,
                produces=job.product.output_mode,
            )
        ]


@dataclass(frozen=True)
class FeaturesAllowed:
    """The job's features computed from this policy's owners' data must be
    among the features the output rule allows."""

    name = "features"
    allowed: tuple[str, ...] | None
    governed: tuple[str, ...]

    def check(self, job: JobRequest, usage: UsageCounter | None) -> list[Check]:
        if self.allowed is None:
            return [Check.said(self.name, True, "policy.features_all")]
        extra = [f for f in self.governed if f not in self.allowed]
        if extra:
            return [Check.said(self.name, False, "policy.features_extra", features=extra)]
        return [Check.said(self.name, True, "policy.features_ok", features=list(self.governed))]


@dataclass(frozen=True)
class ColumnClasses:
    """What the job does with each governed column, against its class."""

    name = "column_class"
    columns: Mapping[str, ColumnClass]
    governed_tables: tuple[str, ...]
    default: ColumnClass

    def check(self, job: JobRequest, usage: UsageCounter | None) -> list[Check]:
        checks = []
        for column, need in sorted(job.columns_used().items()):
            if column.split(".")[0] not in self.governed_tables:
                continue
            have = self.columns.get(column, self.default)
            ok = CLASS_RANK[have.disclosure] >= CLASS_RANK[need]
            key = "policy.column_" + ("allows" if ok else "forbids")
            checks.append(
                Check.said(
                    self.name,
                    ok,
                    key,
                    column=column,
                    disclosure=have.disclosure,
                    listed="" if column in self.columns else Text("policy.column_unlisted"),
                    use=USE_WORDS[need],
                    product=job.product.name,
                )
            )
        return checks


@dataclass(frozen=True)
class BatchSize:
    name = "batch_size"
    minimum: int
    maximum: int

    def check(self, job: JobRequest, usage: UsageCounter | None) -> list[Check]:
        n = job.batch_size
        if n < self.minimum:
            return [Check.said(self.name, False, "policy.batch_below", n=n, minimum=self.minimum)]
        if n > self.maximum:
            return [Check.said(self.name, False, "policy.batch_above", n=n, maximum=self.maximum)]
        return [
            Check.said(
                self.name, True, "policy.batch_ok", n=n, minimum=self.minimum, maximum=self.maximum
            )
        ]


@dataclass(frozen=True)
class DailyJobs:
    name = "jobs_per_day"
    limit: int

    def check(self, job: JobRequest, usage: UsageCounter | None) -> list[Check]:
        if usage is None:
            return [Check.said(self.name, True, "policy.jobs_uncounted", limit=self.limit)]
        done = usage.jobs(job.consumer, job.product.name, period_start(job.when, "day"))
        ok = done + 1 <= self.limit
        return [
            Check.said(
                self.name,
                ok,
                "policy.jobs_used" if ok else "policy.jobs_used_up",
                done=done,
                limit=self.limit,
            )
        ]


@dataclass(frozen=True)
class MonthlySubjects:
    """The space sees no identities, so it counts every submitted subject:
    a person submitted twice counts twice (the conservative reading)."""

    name = "subjects_per_month"
    limit: int

    def check(self, job: JobRequest, usage: UsageCounter | None) -> list[Check]:
        if usage is None:
            return [Check.said(self.name, True, "policy.subjects_uncounted", limit=self.limit)]
        done = usage.subjects(job.consumer, job.product.name, period_start(job.when, "month"))
        ok = done + job.batch_size <= self.limit
        return [
            Check.said(
                self.name,
                ok,
                "policy.subjects_used",
                done=done,
                limit=self.limit,
                adds=job.batch_size,
            )
        ]


@dataclass(frozen=True)
class PrivacyBudget:
    name = "privacy_budget"
    per_query: float
    budget: float
    period: str

    def check(self, job: JobRequest, usage: UsageCounter | None) -> list[Check]:
        if job.epsilon is None:
            if job.product.output_mode == "aggregate":
                return [Check.said(self.name, False, "policy.dp_required")]
            return [Check.said(self.name, True, "policy.no_budget")]
        if job.epsilon > self.per_query:
            return [
                Check.said(
                    self.name,
                    False,
                    "policy.epsilon_over",
                    epsilon=job.epsilon,
                    per_query=self.per_query,
                )
            ]
        if usage is None:
            return [
                Check.said(
                    self.name,
                    True,
                    "policy.budget_uncounted",
                    budget=self.budget,
                    period=Text("period." + self.period),
                )
            ]
        spent = usage.epsilon(job.consumer, job.product.name, period_start(job.when, self.period))
        ok = spent + job.epsilon <= self.budget + 1e-12
        return [
            Check.said(
                self.name,
                ok,
                "policy.budget_spent",
                spent=f"{spent:g}",
                budget=f"{self.budget:g}",
                period=Text("period." + self.period),
                asks=f"{job.epsilon:g}",
            )
        ]


@dataclass(frozen=True)
class ModelApproved:
    name = "model"
    sha256: str | None

    def check(self, job: JobRequest, usage: UsageCounter | None) -> list[Check]:
        if job.product.output_mode != "score":
            return []
        if self.sha256 is None:
            return [Check.said(self.name, False, "policy.no_model")]
        if job.model_sha256 != self.sha256:
            got = job.model_sha256[:12] + "…" if job.model_sha256 else Text("policy.model_unnamed")
            return [
                Check.said(
                    self.name, False, "policy.model_other", got=got, approved=self.sha256[:12]
                )
            ]
        return [Check.said(self.name, True, "policy.model_ok", approved=self.sha256[:12])]


@dataclass(frozen=True)
class ConsentEvidence:
    name = "consent"

    def check(self, job: JobRequest, usage: UsageCounter | None) -> list[Check]:
        if job.consent_refs:
            n = len(job.consent_refs)
            return [Check.said(self.name, True, "policy.consent_attached", n=n)]
        return [Check.said(self.name, False, "policy.consent_missing")]


@dataclass(frozen=True)
class AllOwnersTogether:
    """A per-subject features job under a policy of several owners must ask
    every one of them. A centre's own figures (its minima and maxima above
    all, "never released per centre" for a shared company) would otherwise
    come out exact from a job naming that centre alone; together, the space
    combines them so that no one centre's figure is released."""

    name = "all_owners_together"
    owners: tuple[str, ...]

    def check(self, job: JobRequest, usage: UsageCounter | None) -> list[Check]:
        if job.product.output_mode != "features" or len(self.owners) < 2:
            return []
        named = {n for names in job.providers.values() for n in names}
        missing = sorted(set(self.owners) - named)
        if missing:
            return [Check.said(self.name, False, "policy.owners_missing", missing=missing)]
        return [Check.said(self.name, True, "policy.owners_together", n=len(self.owners))]


@dataclass(frozen=True)
class LookupEngine:
    """Which engine a per-subject job runs on, and whether the owner's policy
    lets it: ``lookup: blind`` admits only the blind lookup, under which the
    consumer never learns whether this owner holds a subject."""

    name = "lookup"
    required: str  # any | blind

    def check(self, job: JobRequest, usage: UsageCounter | None) -> list[Check]:
        if job.product.output_mode == "aggregate":
            return []
        engine = job.runs_on
        product = job.product.name
        if self.required != "blind":
            return [
                Check(
                    self.name,
                    True,
                    f"runs on {engine}; the policy allows any lookup",
                    f"以 {engine} 运行；本策略允许任一查找方式",
                )
            ]
        if "blind_lookup" not in job.product.engines:
            return [
                Check(
                    self.name,
                    False,
                    f"the policy requires the blind lookup and {product} cannot run blind",
                    f"本策略要求盲查，而 {product} 不能以盲查运行",
                )
            ]
        if engine == "blind_lookup":
            return [
                Check(
                    self.name,
                    True,
                    "runs on blind_lookup, as the policy requires: the consumer learns "
                    "the score only, not whether this owner holds a subject",
                    "按本策略要求以盲查（blind_lookup）运行：使用方只得到评分，"
                    "不知道本提供方是否持有该对象",
                )
            ]
        return [
            Check(
                self.name,
                False,
                f"the policy requires the blind lookup; the job asks for {engine}, "
                "which reveals to the consumer which subjects this owner holds",
                f"本策略要求盲查；该任务要求以 {engine} 运行，会让使用方得知本提供方持有哪些对象",
            )
        ]


@dataclass(frozen=True)
class ParameterSettings:
    """The settings of the product's computation this policy fixes (a date
    tolerance...), and the product's defaults for the others: passed checks
    that say what the job will compute with, unless a setting is not one
    the product admits."""

    name = "parameters"
    settings: Mapping[str, int]

    def check(self, job: JobRequest, usage: UsageCounter | None) -> list[Check]:
        checks = []
        for parameter in job.product.parameters:
            if parameter.name in self.settings:
                value = self.settings[parameter.name]
                why = parameter.check(value)
                detail = f"{parameter.name} = {value}, set by the policy"
                detail_zh = f"{parameter.name} = {value}（{parameter.label_zh}），由本策略设定"
                allowed_zh = f"：须为 {parameter.minimum} 至 {parameter.maximum} 之间的整数"
                checks.append(
                    Check(
                        self.name,
                        why is None,
                        detail + (f": {why}" if why else ""),
                        detail_zh + (allowed_zh if why else ""),
                    )
                )
            else:
                checks.append(
                    Check(
                        self.name,
                        True,
                        f"{parameter.name} = {parameter.default}, the product's default "
                        "(the policy sets none)",
                        f"{parameter.name} = {parameter.default}（{parameter.label_zh}），"
                        "产品默认值（本策略未设定）",
                    )
                )
        unknown = sorted(set(self.settings) - {p.name for p in job.product.parameters})
        if unknown:
            checks.append(
                Check.said(
                    self.name,
                    False,
                    "policy.unknown_parameters",
                    product=job.product.name,
                    unknown=unknown,
                )
            )
        return checks


def constraints_of(
    policy: Policy, product: Product, owner_tables: tuple[str, ...], owner_features: list[str]
) -> list[Constraint]:
    out: list[Constraint] = [
        Validity(policy.valid_from, policy.valid_until),
        ConsumerAllowed(tuple(policy.consumers)),
        PurposeAllowed(tuple(policy.purposes)),
        OutputMode(policy.output.mode),
        FeaturesAllowed(
            tuple(policy.output.features) if policy.output.features is not None else None,
            tuple(owner_features),
        ),
        ColumnClasses(
            {c: policy.column_class(c) for c in policy.columns},
            owner_tables,
            ColumnClass(disclosure="never"),
        ),
        BatchSize(policy.limits.batch.min, policy.limits.batch.max),
        AllOwnersTogether(tuple(policy.owners)),
    ]
    if policy.limits.jobs_per_consumer_per_day is not None:
        out.append(DailyJobs(policy.limits.jobs_per_consumer_per_day))
    if policy.limits.subjects_per_consumer_per_month is not None:
        out.append(MonthlySubjects(policy.limits.subjects_per_consumer_per_month))
    if policy.privacy is not None:
        out.append(
            PrivacyBudget(
                policy.privacy.epsilon_per_query,
                policy.privacy.budget_per_consumer.epsilon,
                policy.privacy.budget_per_consumer.period,
            )
        )
    out.append(ModelApproved(policy.model.sha256 if policy.model else None))
    out.append(LookupEngine(policy.lookup))
    if product.parameters or policy.output.parameters:
        out.append(ParameterSettings(dict(policy.output.parameters)))
    if policy.consent_required:
        out.append(ConsentEvidence())
    return out
