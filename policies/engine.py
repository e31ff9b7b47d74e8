"""The policy engine: every policy that governs a job must allow it.

A job is governed by each published policy for its product whose owners
include one of the job's providers; every provider must be covered by at
least one. Each policy's constraints are checked on their own, so the most
restrictive setting wins automatically for limits; settings that shape the
job itself (rounding, minimum counts, epsilon, retention) are merged to the
most restrictive value and returned as obligations (``policies.obligations``).

The decision lists every failed check when it denies and every passed check
when it allows, and carries the content hashes of the policies it used.
"""

from __future__ import annotations

from collections.abc import Sequence

from connectors.canonical import dataset_tables
from policies.constraints import Check, JobRequest, UsageCounter, constraints_of
from policies.decision import Decision, Reason
from policies.model import Policy
from policies.obligations import NO_OBLIGATIONS, merge
from trusted_space.core.i18n import text_in


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
                    Check.said(
                        "coverage",
                        False,
                        "policy.coverage",
                        product=job.product.name,
                        provider=repr(provider),
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
        Reason(
            c.constraint,
            text_in("en", "policy.reason_of", policy=p.id, version=p.version, detail=c.detail)
            if p
            else c.detail,
            (
                text_in(
                    "zh-CN", "policy.reason_of", policy=p.id, version=p.version, detail=c.detail_zh
                )
                if p
                else c.detail_zh
            )
            if c.detail_zh
            else "",
        )
        for p, c in shown
    ]
    return Decision(
        allowed=not failed,
        reasons=reasons,
        policy_versions=[f"{p.id}@{p.version}:{p.content_hash()}" for p in used],
        obligations=merge(used, job.features, job.product) if not failed else NO_OBLIGATIONS,
        engine=job.runs_on,
        prices=[terms for p in used if (terms := p.price_terms()) is not None],
    )
