"""Participants: the operator adds them; each registers its own public keys."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, ConfigDict

from trusted_space.protocol.messages import ParticipantKeys, Role
from trusted_space.service.deps import Caller, SpaceDep

router = APIRouter(prefix="/v1/participants", tags=["participants"])


class ParticipantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    role: Role


class ParticipantCreated(BaseModel):
    """Returned once: the API key is not stored and cannot be shown again."""

    name: str
    role: Role
    api_key: str


class ParticipantPublic(BaseModel):
    name: str
    role: str
    suite: str
    # The most bytes a request body may hold: a node sends a larger result in
    # parts (PUT /v1/tasks/{task_id}/parts).
    max_body_bytes: int | None = None


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ParticipantCreated)
def add_participant(body: ParticipantCreate, caller: Caller, space: SpaceDep) -> ParticipantCreated:
    """Operator: add a participant (or issue another key for one)."""
    key = space.add_participant(caller, body.name, body.role)
    return ParticipantCreated(name=body.name, role=body.role, api_key=key)


@router.get("/me", response_model=ParticipantPublic)
def whoami(request: Request, caller: Caller, space: SpaceDep) -> ParticipantPublic:
    limit = request.app.state.settings.max_body_bytes
    return ParticipantPublic(**space.whoami(caller), max_body_bytes=limit)


@router.put("/me/keys", status_code=status.HTTP_204_NO_CONTENT)
def register_keys(keys: ParticipantKeys, caller: Caller, space: SpaceDep) -> Response:
    """Record (or rotate) the caller's own public signing and sealing keys."""
    space.register_keys(caller, keys)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/keys", response_model=list[ParticipantKeys])
def public_keys(caller: Caller, space: SpaceDep) -> list[ParticipantKeys]:
    """Every participant's public keys: what nodes seal to and verify with."""
    return space.public_keys(caller)
