"""Participants: the operator adds them; each registers its own public keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field

from trusted_space.protocol.messages import ParticipantKeys, Role
from trusted_space.service.deps import Caller, SpaceDep

router = APIRouter(prefix="/v1/participants", tags=["participants"])


class ParticipantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    role: Role
    # The participant's public signing key (hex), bound now when given.
    signing_key: Annotated[str | None, Field(max_length=1024)] = None


class ParticipantCreated(BaseModel):
    """Returned once: the API key is not stored and cannot be shown again.
    ``fingerprint`` is the bound signing key's, for the other parties to pin."""

    name: str
    role: Role
    api_key: str
    fingerprint: str | None = None


class ParticipantPublic(BaseModel):
    name: str
    role: str
    suite: str


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ParticipantCreated)
def add_participant(body: ParticipantCreate, caller: Caller, space: SpaceDep) -> ParticipantCreated:
    """Operator: add a participant, once (a name that exists is refused, 409)."""
    key = space.add_participant(caller, body.name, body.role, body.signing_key)  # bad hex: 422
    fingerprint = (
        None
        if body.signing_key is None
        else space.suite.fingerprint(bytes.fromhex(body.signing_key))
    )
    return ParticipantCreated(name=body.name, role=body.role, api_key=key, fingerprint=fingerprint)


@router.get("/me", response_model=ParticipantPublic)
def whoami(caller: Caller, space: SpaceDep) -> ParticipantPublic:
    return ParticipantPublic(**space.whoami(caller))


@router.put("/me/keys", status_code=status.HTTP_204_NO_CONTENT)
def register_keys(keys: ParticipantKeys, caller: Caller, space: SpaceDep) -> Response:
    """Record (or rotate) the caller's own public keys, signed by its signing key
    (a new signing key only with a rotation signed by the one it replaces)."""
    space.register_keys(caller, keys)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/keys", response_model=list[ParticipantKeys])
def public_keys(caller: Caller, space: SpaceDep) -> list[ParticipantKeys]:
    """Every participant's signed public keys: what nodes check against the keys
    they pinned, then seal to and verify with."""
    return space.public_keys(caller)
