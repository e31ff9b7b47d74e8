"""The data steward's client: publishes, approves and retires policies. It has no tasks.

A steward acts only for the owners that appointed it (``Node.appoint_steward``
on the owner's side); a policy of several owners is pending until each
owner's steward has approved it."""

from __future__ import annotations

from pathlib import Path

from trusted_space.core.errors import ProtocolError
from trusted_space.core.i18n import Text
from trusted_space.nodes.base import Node
from trusted_space.protocol.messages import PolicyStatus, Task, TaskResultPayload


class StewardNode(Node):
    role = "steward"

    def handle(self, task: Task) -> TaskResultPayload:
        raise ProtocolError(Text("err.nodes.task.steward"))

    def publish(self, path: Path) -> PolicyStatus:
        """Publish a policy file; return its state (``pending`` while it awaits
        other owners' stewards)."""
        return self.transport.publish_policy(Path(path).read_bytes())

    def approve(self, policy_id: str, version: int) -> PolicyStatus:
        """Approve a pending version for the owners that appointed this steward."""
        return self.transport.approve_policy(policy_id, version)

    def retire(self, policy_id: str) -> None:
        self.transport.retire_policy(policy_id)
