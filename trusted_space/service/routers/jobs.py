"""Jobs: consumers submit them and read their own status and results."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from trusted_space.protocol.messages import JobResult, JobStatus, JobSubmission
from trusted_space.service.deps import Caller, SpaceDep, hot_state
from trusted_space.service.long_polls import inline_or_thread

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=JobStatus)
async def submit_job(request: Request, submission: JobSubmission, caller: Caller) -> Response:
    """Consumer: submit a job (idempotent per job id). A denied job comes back
    with state 'denied' and every reason."""
    space = hot_state(request)[0]
    size = len(await request.body())  # read already, to validate it
    reply = await inline_or_thread(size, space.submit_job, caller, submission)
    # Already a validated model: written out as is, as the exchange's reply.
    return Response(
        reply.model_dump_json(), status_code=status.HTTP_201_CREATED, media_type="application/json"
    )


@router.get("/{job_id}", response_model=JobStatus)
async def job_status(job_id: str, caller: Caller, space: SpaceDep) -> JobStatus:
    return space.job_status(caller, job_id)  # one indexed read: on the event loop


@router.get("/{job_id}/result", response_model=JobResult)
def job_result(job_id: str, caller: Caller, space: SpaceDep) -> JobResult:
    """Consumer: the re-randomised ciphertexts of a succeeded job."""
    return space.job_result(caller, job_id)
