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
    detail_zh: str = ""  # the same in zh-CN, where the constraint gives it

    def to_dict(self) -> dict[str, str]:
        out = {"constraint": self.constraint, "detail": self.detail}
        if self.detail_zh:
            out["detail_zh"] = self.detail_zh
        return out

    def text(self, language: str) -> str:
        """The detail in ``language`` (zh-CN or en), English where no zh-CN is given."""
        return self.detail_zh if language == "zh-CN" and self.detail_zh else self.detail


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reasons: list[Reason] = field(default_factory=list)
    policy_versions: list[str] = field(default_factory=list)  # id@version:content hash
    obligations: Obligations = NO_OBLIGATIONS  # what the job must do
    engine: str | None = None  # the engine the job was judged to run on
    # The price terms of the policies that governed the job (``Policy.price_terms``),
    # recorded with the decision so settlement reads them from the ledger alone.
    prices: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "decision": "allow" if self.allowed else "deny",
            "reasons": [r.to_dict() for r in self.reasons],
            "policy_versions": list(self.policy_versions),
            "obligations": self.obligations.to_dict(),
        }
        if self.engine is not None:
            out["engine"] = self.engine
        if self.prices:
            out["prices"] = list(self.prices)
        return out
