"""How nodes reach the space.

``SpaceAPI`` is what a node may ask of the space, in the caller's name. The
embedded transport calls a ``Space`` in the same process but still passes
every message through its JSON wire form, so it carries exactly what the
HTTP transport will carry and nothing more.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from pydantic import BaseModel

from trusted_space.protocol.messages import (
    DatasetOffer,
    JobResult,
    JobStatus,
    JobSubmission,
    ParticipantKeys,
    Task,
    TaskResult,
)
from trusted_space.space.space import Space

M = TypeVar("M", bound=BaseModel)


class SpaceAPI(Protocol):
    name: str

    def register(self, keys: ParticipantKeys) -> None: ...
    def participants(self) -> list[ParticipantKeys]: ...
    def offer_dataset(self, offer: DatasetOffer) -> None: ...
    def submit_job(self, submission: JobSubmission) -> JobStatus: ...
    def pull_tasks(self, limit: int = 8) -> list[Task]: ...
    def complete_task(self, result: TaskResult) -> None: ...
    def report_failure(self, task_id: str, reason: str) -> None: ...
    def job_status(self, job_id: str) -> JobStatus: ...
    def job_result(self, job_id: str) -> JobResult: ...
    def publish_policy(self, document: bytes) -> str: ...
    def retire_policy(self, policy_id: str) -> None: ...


def _wire(message: M) -> M:
    """Round-trip through JSON, as a network hop would."""
    return type(message).model_validate_json(message.model_dump_json())


class EmbeddedTransport:
    """A node's view of an in-process space, authenticated as ``name``."""

    def __init__(self, space: Space, name: str) -> None:
        self.space = space
        self.name = name
        self.sent: list[str] = []  # message kinds this node sent, for tests and metering

    def register(self, keys: ParticipantKeys) -> None:
        self.space.register(_wire(keys))

    def participants(self) -> list[ParticipantKeys]:
        return [_wire(p) for p in self.space.participants()]

    def offer_dataset(self, offer: DatasetOffer) -> None:
        self.sent.append("dataset_offer")
        self.space.offer_dataset(self.name, _wire(offer))

    def submit_job(self, submission: JobSubmission) -> JobStatus:
        self.sent.append("job_submission")
        return _wire(self.space.submit_job(self.name, _wire(submission)))

    def pull_tasks(self, limit: int = 8) -> list[Task]:
        return [_wire(t) for t in self.space.pull_tasks(self.name, limit)]

    def complete_task(self, result: TaskResult) -> None:
        self.sent.append(result.payload.kind)
        self.space.complete_task(self.name, _wire(result))

    def report_failure(self, task_id: str, reason: str) -> None:
        self.sent.append("failure")
        self.space.report_failure(self.name, task_id, reason)

    def job_status(self, job_id: str) -> JobStatus:
        return _wire(self.space.job_status(self.name, job_id))

    def job_result(self, job_id: str) -> JobResult:
        return _wire(self.space.job_result(self.name, job_id))

    def publish_policy(self, document: bytes) -> str:
        self.sent.append("policy")
        return self.space.policies.publish(self.name, document).content_hash

    def retire_policy(self, policy_id: str) -> None:
        self.sent.append("policy_retirement")
        self.space.policies.retire(self.name, policy_id)
