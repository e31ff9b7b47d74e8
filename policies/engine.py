"""The policy engine: every policy that governs a job must allow it.

A job is governed by each published policy for its product whose owners
include one of the job's providers; every provider must be covered by at
least one. Each policy's constraints are checked on their own, so the most
restrictive setting wins automatically for limits; settings that shape the
job itself (rounding, minimum counts, epsilon, retention) are merged to the
most restrictive value and returned as obligations.

The decision lists every failed check when it denies and every passed check
when it allows, and carries the content hashes of the policies it used.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from connectors.canonical import dataset_tables
from policies.constraints import Check, JobRequest, UsageCounter, constraints_of
from policies.decision import Decision, Reason
from policies.model import Buckets, Policy, Rounding


def governed_roles(policy: Policy, job: JobRequest) -> list[str]:
    """The roles a policy's owners play in this job."""
    return [role for role, names in job.providers.items() if set(names) & set(policy.owners)]


def owner_tables(policy: Policy, job: JobRequest) -> tuple[str, ...]:
    """The canonical tables a policy governs in this job."""
    return tuple(
        t
        for role in governed_roles(policy, job)
        for t in dataset_tables(job.product.role(role).dataset)
    )


def owner_features(policy: Policy, job: JobRequest) -> list[str]:
    """The job's features computed from the policy owners' data."""
    roles = set(governed_roles(policy, job))
    return [f for f in job.features if job.product.feature(f).role in roles]


def evaluate(policies: Sequence[Policy], job: JobRequest, usage: UsageCounter | None) -> Decision:
    governing = [p for p in policies if p.product == job.product.name]
    checks: list[tuple[Policy | None, Check]] = []
    providers = sorted({n for names in job.providers.values() for n in names})
    for provider in providers:
        covered = [p for p in governing if provider in p.owners]
        if not covered:
            checks.append(
                (
                    None,
                    Check(
                        "coverage",
                        False,
                        f"no published policy for {job.product.name} "
                        f"governs the data of {provider!r}",
                    ),
                )
            )
    used = [p for p in governing if set(p.owners) & set(providers)]
    for policy in used:
        constraints = constraints_of(
            policy, job.product, owner_tables(policy, job), owner_features(policy, job)
        )
        for constraint in constraints:
            for check in constraint.check(job, usage):
                checks.append((policy, check))
    failed = [(p, c) for p, c in checks if not c.ok]
    shown = failed if failed else checks
    reasons = [
        Reason(c.constraint, f"{p.id} v{p.version}: {c.detail}" if p else c.detail)
        for p, c in shown
    ]
    return Decision(
        allowed=not failed,
        reasons=reasons,
        policy_versions=[f"{p.id}@{p.version}:{p.content_hash()}" for p in used],
        obligations=obligations(used, job) if not failed else {},
    )


def obligations(policies: Sequence[Policy], job: JobRequest) -> dict[str, Any]:
    """The most restrictive job-shaping settings of the governing policies."""
    transforms: dict[str, dict[str, Any]] = {}
    for feature in job.features:
        steps = [p.output.transforms[feature] for p in policies if feature in p.output.transforms]
        rounding = [t.round_to for t in steps if isinstance(t, Rounding)]
        buckets = [t.buckets for t in steps if isinstance(t, Buckets)]
        if buckets:
            # Coarsest bucketing wins: the one with the fewest edges.
            transforms[feature] = {"buckets": min(buckets, key=len)}
        elif rounding:
            transforms[feature] = {"round_to": max(rounding)}
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
    out: dict[str, Any] = {"transforms": transforms, "min_count": min_count}
    eps = [p.privacy.epsilon_per_query for p in policies if p.privacy is not None]
    if eps:
        out["max_epsilon"] = min(eps)
        strictest = min(
            (p.privacy.budget_per_consumer for p in policies if p.privacy is not None),
            key=lambda b: b.epsilon,
        )
        out["epsilon_budget"] = {"epsilon": strictest.epsilon, "period": strictest.period}
    retention = [p.duties.retention_days for p in policies if p.duties is not None]
    if retention:
        out["retention_days"] = min(retention)
    consent = sorted({o for p in policies if p.consent_required for o in p.owners})
    if consent:
        out["consent_owners"] = consent  # these providers check each subject's consent
    return out
