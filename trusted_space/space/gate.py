"""The policy gate every job passes before any provider does work.

The space asks its gate for a decision when a job is submitted; a deny stops
the job there, with every reason recorded. The policy engine is one gate;
``OpenGate`` allows everything and says so, for single-owner embedded runs
where no steward has published a policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from trusted_space.protocol.messages import JobSpec


@dataclass(frozen=True)
class Reason:
    constraint: str
    detail: str


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reasons: list[Reason] = field(default_factory=list)
    policy_versions: list[str] = field(default_factory=list)  # id@version:content hash
    obligations: dict[str, Any] = field(default_factory=dict)  # what the job must do

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision": "allow" if self.allowed else "deny",
            "reasons": [{"constraint": r.constraint, "detail": r.detail} for r in self.reasons],
            "policy_versions": list(self.policy_versions),
            "obligations": self.obligations,
        }


class PolicyGate(Protocol):
    def evaluate(self, spec: JobSpec) -> Decision: ...


class OpenGate:
    """No policy published: allow, and record that no policy governed the job."""

    def evaluate(self, spec: JobSpec) -> Decision:
        return Decision(
            True, [Reason("no_policy", "no policy configured; embedded single-owner run")]
        )
