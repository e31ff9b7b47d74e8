"""Jobs: consumers submit them and read their own status and results."""

from __future__ import annotations

from fastapi import APIRouter, status

from trusted_space.protocol.messages import JobResult, JobStatus, JobSubmission
from trusted_space.service.deps import Caller, SpaceDep

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=JobStatus)
def submit_job(submission: JobSubmission, caller: Caller, space: SpaceDep) -> JobStatus:
    """Consumer: submit a job (idempotent per job id). A denied job comes back
    with state 'denied' and every reason."""
    return space.submit_job(caller, submission)


@router.get("/{job_id}", response_model=JobStatus)
def job_status(job_id: str, caller: Caller, space: SpaceDep) -> JobStatus:
    return space.job_status(caller, job_id)


@router.get("/{job_id}/result", response_model=JobResult)
def job_result(job_id: str, caller: Caller, space: SpaceDep) -> JobResult:
    """Consumer: the re-randomised ciphertexts of a succeeded job."""
    return space.job_result(caller, job_id)
