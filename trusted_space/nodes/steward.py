"""The data steward's client: publishes and retires policies. It has no tasks."""

from __future__ import annotations

from pathlib import Path

from trusted_space.core.errors import ProtocolError
from trusted_space.nodes.base import Node
from trusted_space.protocol.messages import Task, TaskResultPayload


class StewardNode(Node):
    role = "steward"

    def handle(self, task: Task) -> TaskResultPayload:
        raise ProtocolError("a steward does no protocol tasks")

    def publish(self, path: Path) -> str:
        """Publish a policy file; return its content hash."""
        return self.transport.publish_policy(Path(path).read_bytes())

    def retire(self, policy_id: str) -> None:
        self.transport.retire_policy(policy_id)
