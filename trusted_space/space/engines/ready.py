"""What an engine does once every part of a job is in: a small batch is
combined at once, in the caller's transaction (handing it to the background
worker would cost more than the work); a larger one waits at the
``combining`` step for the worker, outside the space's lock."""

from __future__ import annotations

from typing import Any, Protocol

from trusted_space.core.errors import TspaceError
from trusted_space.core.failures import failure_code, failure_reason
from trusted_space.protocol.messages import JobSpec
from trusted_space.space.port import JobContext

INLINE_BATCH = 16  # subjects: combined at once up to this many


class Combines(Protocol):
    def work_inputs(self, spec: JobSpec) -> Any: ...

    def work(self, spec: JobSpec, inputs: Any) -> Any: ...

    def finish_work(self, spec: JobSpec, out: Any) -> None: ...


def combine_when_ready(engine: Combines, space: JobContext, spec: JobSpec) -> None:
    if spec.batch_size > INLINE_BATCH:
        space.set_step(spec.job_id, "running", "combining")
        space.work_added()
        return
    try:
        with space.timer.stage("combine"):
            result = engine.work(spec, engine.work_inputs(spec))
    except TspaceError as exc:
        space.fail_job(spec.job_id, failure_reason(failure_code(exc), step="space"))
        return
    engine.finish_work(spec, result)
