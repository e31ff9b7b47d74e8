"""Dependencies shared by the routers: the space, and the authenticated caller.

They are coroutines so FastAPI runs them on the event loop: a plain function
would cost each request a hop to a worker thread and back per dependency.
Authentication is one indexed SQLite lookup of a key hash."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from trusted_space.errors import Unauthenticated
from trusted_space.service.long_polls import LongPolls
from trusted_space.service.settings import ServiceSettings
from trusted_space.space.space import Space


async def get_space(request: Request) -> Space:
    space: Space = request.app.state.space
    return space


async def get_settings(request: Request) -> ServiceSettings:
    settings: ServiceSettings = request.app.state.settings
    return settings


async def get_polls(request: Request) -> LongPolls:
    polls: LongPolls = request.app.state.polls
    return polls


SpaceDep = Annotated[Space, Depends(get_space)]
PollsDep = Annotated[LongPolls, Depends(get_polls)]
SettingsDep = Annotated[ServiceSettings, Depends(get_settings)]


async def get_caller(
    space: SpaceDep,
    authorization: Annotated[str | None, Header()] = None,
) -> str:
    """The participant named by ``Authorization: Bearer <api key>``."""
    if not authorization or not authorization.startswith("Bearer "):
        raise Unauthenticated("an API key is required: Authorization: Bearer <key>")
    return space.authenticate(authorization.removeprefix("Bearer ").strip())


Caller = Annotated[str, Depends(get_caller)]
