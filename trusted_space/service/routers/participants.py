"""Participants: the operator adds them; each registers its own public keys.

A steward is added with the signed appointment of each owner it governs
(``appointments``); the operator cannot make one on its own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from trusted_space.protocol.messages import ParticipantKeys, Role, StewardAppointment
from trusted_space.service.deps import Caller, SpaceDep

router = APIRouter(prefix="/v1/participants", tags=["participants"])


class ParticipantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    role: Role
    # A steward: one per owner it governs, each signed by that owner.
    appointments: Annotated[list[StewardAppointment], Field(max_length=256)] = []
    # The participant's public signing key (hex), bound now when given.
    signing_key: Annotated[str | None, Field(max_length=1024)] = None


class Appointments(BaseModel):
    model_config = ConfigDict(extra="forbid")
    appointments: Annotated[list[StewardAppointment], Field(min_length=1, max_length=256)]


class StewardOwners(BaseModel):
    steward: str
    owners: list[str]


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
    space: str  # the fingerprint of the space's ledger key, which appointments name
    # The most bytes a result's request body may hold: a node sends a larger
    # result in parts (PUT /v1/tasks/{task_id}/parts).
    max_body_bytes: int | None = None


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ParticipantCreated)
def add_participant(body: ParticipantCreate, caller: Caller, space: SpaceDep) -> ParticipantCreated:
    """Operator: add a participant, once (a name that exists is refused, 409); a
    steward with each of its owners' signed appointments."""
    key = space.add_participant(
        caller, body.name, body.role, body.appointments, body.signing_key
    )  # bad hex: 422
    fingerprint = (
        None
        if body.signing_key is None
        else space.suite.identity_fingerprint(bytes.fromhex(body.signing_key))
    )
    return ParticipantCreated(name=body.name, role=body.role, api_key=key, fingerprint=fingerprint)


@router.post("/{steward}/appointments", response_model=StewardOwners)
def appoint_steward(
    steward: str, body: Appointments, caller: Caller, space: SpaceDep
) -> StewardOwners:
    """Operator: bind an existing steward to more owners, by their signed appointments."""
    owners = space.appoint_steward(caller, steward, body.appointments)
    return StewardOwners(steward=steward, owners=owners)


@router.get("/stewards", response_model=list[StewardOwners])
def steward_owners(caller: Caller, space: SpaceDep) -> list[StewardOwners]:
    """Steward or operator: the owners each steward governs."""
    return [StewardOwners(steward=s, owners=o) for s, o in space.steward_owners(caller).items()]


@router.get("/me", response_model=ParticipantPublic)
def whoami(request: Request, caller: Caller, space: SpaceDep) -> ParticipantPublic:
    limit = request.app.state.settings.max_body_bytes
    return ParticipantPublic(**space.whoami(caller), max_body_bytes=limit)


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
