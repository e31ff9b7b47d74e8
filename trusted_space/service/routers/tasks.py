"""Tasks: nodes pull their work (long-poll) and post results. A provider
node only ever makes outbound requests."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from trusted_space.core.errors import ProtocolError
from trusted_space.core.i18n import Text
from trusted_space.protocol.messages import Task, TaskExchange, TaskExchangeReply, TaskResult
from trusted_space.service.deps import Caller, Limit, SpaceDep, Wait, hot_state
from trusted_space.service.long_polls import inline_or_thread, model_reply

router = APIRouter(prefix="/v1/tasks", tags=["tasks"])


class Failure(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, Field(max_length=2000)]


@router.get("", response_model=list[Task])
async def pull_tasks(
    request: Request,
    caller: Caller,
    wait: Wait = 0.0,
    limit: Limit = 8,
) -> list[Task]:
    """Lease the caller's pending tasks, waiting up to ``wait`` seconds for one."""
    return await hot_state(request)[1].pull(caller, limit, wait, request.is_disconnected)


@router.post("/exchange", response_model=TaskExchangeReply)
async def exchange(
    request: Request,
    body: TaskExchange,
    caller: Caller,
    wait: Wait = 0.0,
    limit: Limit = 8,
) -> Response:
    """Post results and lease the next tasks in one round trip: each result is
    taken or refused on its own (``outcomes``), then the caller's pending
    tasks are leased, waiting up to ``wait`` seconds for one."""
    space, polls = hot_state(request)
    size = len(await request.body())  # read already, to validate it
    outcomes = await inline_or_thread(size, space.take_results, caller, body.results)
    tasks = await polls.pull(caller, limit, wait, request.is_disconnected)
    checkpoint = space.latest_checkpoint()  # the node keeps it outside the space
    return model_reply(TaskExchangeReply(outcomes=outcomes, tasks=tasks, checkpoint=checkpoint))


@router.post("/{task_id}/result", status_code=status.HTTP_204_NO_CONTENT)
def complete_task(task_id: str, result: TaskResult, caller: Caller, space: SpaceDep) -> Response:
    if result.task_id != task_id:
        raise ProtocolError(Text("err.nodes.service.other_task"))
    space.complete_task(caller, result)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


class PartStored(BaseModel):
    digest: str  # the part's hash, as the result's PartsResult names it


@router.put("/{task_id}/parts", response_model=PartStored)
async def put_part(task_id: str, request: Request, caller: Caller, space: SpaceDep) -> PartStored:
    """A part of a result too large for one request (the body limit), for a
    task leased to the caller; the result then names its parts in order."""
    data = await request.body()
    digest = await inline_or_thread(len(data), space.put_part, caller, task_id, data)
    return PartStored(digest=digest)


@router.post("/{task_id}/failure", status_code=status.HTTP_204_NO_CONTENT)
def report_failure(task_id: str, body: Failure, caller: Caller, space: SpaceDep) -> Response:
    """The node cannot do its step: the job fails cleanly, nothing is released."""
    space.report_failure(caller, task_id, body.reason)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
