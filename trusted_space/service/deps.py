"""Dependencies shared by the routers: the space, and the authenticated caller.

They are coroutines so FastAPI runs them on the event loop: a plain function
would cost each request a hop to a worker thread and back per dependency.
Authentication is one indexed SQLite lookup of a key hash."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query, Request

from trusted_space.core.errors import Unauthenticated
from trusted_space.core.i18n import Text
from trusted_space.service.admission import CALLER
from trusted_space.service.long_polls import LongPolls
from trusted_space.space.space import Space


async def get_space(request: Request) -> Space:
    space: Space = request.app.state.space
    return space


def hot_state(request: Request) -> tuple[Space, LongPolls]:
    """The space and its long polls, read directly: for the routes every job
    step calls, where each dependency FastAPI solves costs a few hundredths
    of a millisecond of the event loop."""
    state = request.app.state
    return state.space, state.polls


SpaceDep = Annotated[Space, Depends(get_space)]


async def get_caller(
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
) -> str:
    """The participant named by ``Authorization: Bearer <api key>``: as
    ``service.admission`` authenticated it before the body was read (every
    route under /v1/ that names a caller), else checked here."""
    known = request.scope.get("state", {}).get(CALLER)
    if known is not None:
        return str(known)
    if not authorization or not authorization.startswith("Bearer "):
        raise Unauthenticated(Text("err.nodes.service.api_key_required"))
    space: Space = request.app.state.space
    return space.authenticate(authorization.removeprefix("Bearer ").strip())


Caller = Annotated[str, Depends(get_caller)]

# A long poll's query: wait up to ``wait`` seconds for a task, lease up to ``limit``.
Wait = Annotated[float, Query(ge=0, le=60)]
Limit = Annotated[int, Query(ge=1, le=64)]
