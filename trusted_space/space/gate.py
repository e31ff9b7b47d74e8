"""The policy gate every job passes before any provider does work.

The space asks its gate for a decision when a job is submitted; a deny stops
the job there, with every reason recorded. The policy engine is one gate;
``OpenGate`` allows everything and says so, for single-owner embedded runs
where no steward has published a policy.
"""

from __future__ import annotations

from typing import Protocol

from policies.decision import Decision, Reason
from trusted_space.core.i18n import text_in
from trusted_space.protocol.messages import JobSpec


class PolicyGate(Protocol):
    def evaluate(self, spec: JobSpec) -> Decision: ...


class OpenGate:
    """No policy published: allow, and record that no policy governed the job."""

    def evaluate(self, spec: JobSpec) -> Decision:
        return Decision(
            True,
            [
                Reason(
                    "no_policy",
                    text_in("en", "policy.no_policy"),
                    text_in("zh-CN", "policy.no_policy"),
                )
            ],
        )
