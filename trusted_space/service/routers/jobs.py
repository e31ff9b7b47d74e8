"""Jobs: consumers submit them and read their own status and results."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from trusted_space.protocol.messages import JobResult, JobStatus, JobSubmission, JobSubmitted
from trusted_space.service.deps import Caller, Limit, SpaceDep, Wait, hot_state
from trusted_space.service.long_polls import inline_or_thread, model_reply

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=JobSubmitted)
async def submit_job(
    request: Request,
    submission: JobSubmission,
    caller: Caller,
    wait: Wait = 0.0,
    limit: Limit = 8,
) -> Response:
    """Consumer: submit a job (idempotent per job id). A denied job comes back
    with state 'denied' and every reason. With ``wait``, the reply also
    carries the caller's tasks leased within that many seconds (the job's
    first step, as a rule): one round trip where a submission and a poll
    would take two."""
    space, polls = hot_state(request)
    size = len(await request.body())  # read already, to validate it
    job = await inline_or_thread(size, space.submit_job, caller, submission)
    tasks = []
    if job.state != "denied" and wait > 0:
        tasks = await polls.pull(caller, limit, wait, request.is_disconnected)
    return model_reply(JobSubmitted(**job.model_dump(), tasks=tasks), status.HTTP_201_CREATED)


@router.get("/{job_id}", response_model=JobStatus)
async def job_status(job_id: str, caller: Caller, space: SpaceDep) -> JobStatus:
    return space.job_status(caller, job_id)  # one indexed read: on the event loop


@router.get("/{job_id}/result", response_model=JobResult)
def job_result(job_id: str, caller: Caller, space: SpaceDep) -> JobResult:
    """Consumer: the re-randomised ciphertexts of a succeeded job."""
    return space.job_result(caller, job_id)
