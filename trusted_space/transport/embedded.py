"""The embedded transport: nodes reach a space in the same process.

It implements ``trusted_space.protocol.api.SpaceAPI``. It calls a ``Space`` in
the same process but still passes every message through its JSON wire form,
so it carries exactly what the HTTP transport will carry and nothing more.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel

from trusted_space.protocol.messages import (
    DatasetOffer,
    JobResult,
    JobStatus,
    JobSubmission,
    JobSubmitted,
    ParticipantKeys,
    PolicyStatus,
    TaskExchangeReply,
    TaskResult,
)
from trusted_space.space.space import Space

M = TypeVar("M", bound=BaseModel)


def _wire(message: M) -> M:
    """Round-trip through JSON, as a network hop would."""
    return type(message).model_validate_json(message.model_dump_json())


class EmbeddedTransport:
    """A node's view of an in-process space, authenticated as ``name``."""

    def __init__(self, space: Space, name: str) -> None:
        self.space = space
        self.name = name
        self.sent: list[str] = []  # message kinds this node sent, for tests and metering

    def whoami(self) -> dict[str, str]:
        return self.space.whoami(self.name)

    def register_keys(self, keys: ParticipantKeys) -> None:
        self.space.register_keys(self.name, _wire(keys))

    def participants(self) -> list[ParticipantKeys]:
        return [_wire(p) for p in self.space.public_keys(self.name)]

    def offer_dataset(self, offer: DatasetOffer) -> None:
        self.sent.append("dataset_offer")
        self.space.offer_dataset(self.name, _wire(offer))

    def dataset_setup(self, provider: str, dataset: str, version: int) -> bytes:
        return self.space.dataset_setup(self.name, provider, dataset, version)

    def product_providers(self, product: str) -> dict[str, list[str]]:
        return self.space.product_providers(self.name, product)

    def submit_job(
        self, submission: JobSubmission, limit: int = 8, wait: float = 0.0
    ) -> JobSubmitted:
        """In process no other party works while this waits: the first task
        comes with the next poll, after the caller drives the providers."""
        self.sent.append("job_submission")
        status = self.space.submit_job(self.name, _wire(submission))
        return _wire(JobSubmitted(**status.model_dump()))

    def exchange(
        self, results: list[TaskResult], limit: int = 8, wait: float = 0.0
    ) -> TaskExchangeReply:
        self.sent.extend(r.payload.kind for r in results)
        return _wire(self.space.exchange(self.name, [_wire(r) for r in results], limit, wait))

    def report_failure(self, task_id: str, reason: str) -> None:
        self.sent.append("failure")
        self.space.report_failure(self.name, task_id, reason)

    def job_status(self, job_id: str) -> JobStatus:
        return _wire(self.space.job_status(self.name, job_id))

    def job_result(self, job_id: str) -> JobResult:
        return _wire(self.space.job_result(self.name, job_id))

    def publish_policy(self, document: bytes) -> PolicyStatus:
        self.sent.append("policy")
        return _wire(self.space.publish_policy(self.name, document).status())

    def approve_policy(self, policy_id: str, version: int) -> PolicyStatus:
        self.sent.append("policy_approval")
        return _wire(self.space.approve_policy(self.name, policy_id, version).status())

    def retire_policy(self, policy_id: str) -> None:
        self.sent.append("policy_retirement")
        self.space.retire_policy(self.name, policy_id)

    def publish_model(self, document: bytes) -> str:
        self.sent.append("model")
        return self.space.publish_model(self.name, document)

    def approved_model(self, product: str) -> bytes:
        return self.space.approved_model(self.name, product)
