"""What the policy engine says of a job: allow or deny, with every reason.

The space's gate, the dry run (``policies.explain``) and the console all
speak this vocabulary; it sits here, below the space, so that none of them
imports another to share it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from policies.obligations import NO_OBLIGATIONS, Obligations


@dataclass(frozen=True)
class Reason:
    constraint: str
    detail: str


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reasons: list[Reason] = field(default_factory=list)
    policy_versions: list[str] = field(default_factory=list)  # id@version:content hash
    obligations: Obligations = NO_OBLIGATIONS  # what the job must do

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision": "allow" if self.allowed else "deny",
            "reasons": [{"constraint": r.constraint, "detail": r.detail} for r in self.reasons],
            "policy_versions": list(self.policy_versions),
            "obligations": self.obligations.to_dict(),
        }
