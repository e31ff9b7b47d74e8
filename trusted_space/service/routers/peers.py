"""Peering: stewards approve agreements with other spaces; peers call in.

``/v1/peering/...`` are participants' routes (a steward's API key).
``/v1/peer/...`` are the routes other spaces call: no API key, but every
request signed with the calling space's ledger key and checked against the
key this space pinned for it (``Space.verify_peer_request``), and every
answer, refusals included, signed with this space's ledger key."""

from __future__ import annotations

from collections.abc import Callable

import anyio
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ValidationError

from trusted_space.core.errors import ProtocolError, TspaceError
from trusted_space.core.i18n import Text
from trusted_space.protocol.peering import (
    PeerBlindMasks,
    PeerClose,
    PeerHello,
    PeeringTerms,
    PeerJobForward,
    PeerSetupRequest,
    PeerSubjects,
)
from trusted_space.service.deps import Caller, SpaceDep
from trusted_space.service.peer_answers import signed_answer, signed_refusal
from trusted_space.space.peers import PeerRecord
from trusted_space.space.space import Space

router = APIRouter(tags=["peering"])


class AgreementApproved(BaseModel):
    agreement: str
    approved_by: list[str]


class PeerPublic(BaseModel):
    name: str
    url: str
    fingerprint: str
    agreement: str
    products: list[str]
    state: str
    added_at: str
    confirmed: bool
    approved_by: list[str]


@router.post("/v1/peering/approvals")
def approve_agreement(terms: PeeringTerms, caller: Caller, space: SpaceDep) -> AgreementApproved:
    """A steward approves a peering agreement that names it (before the
    operator can add the peer)."""
    approved = space.approve_agreement(caller, terms)
    return AgreementApproved(agreement=terms.digest(space.suite).hex(), approved_by=approved)


@router.get("/v1/peering/peers")
def list_peers(caller: Caller, space: SpaceDep) -> list[PeerPublic]:
    """This space's peers, active and removed (operator, steward)."""
    return [PeerPublic(**p.to_dict()) for p in space.peer_records(caller)]


PeerHandler = Callable[[Space, PeerRecord, bytes], bytes]


async def _answer(request: Request, handle: PeerHandler) -> Response:
    """Check the peer's signature, run ``handle`` on a worker thread (it
    may wait for the space's lock), and sign the answer or the refusal."""
    space: Space = request.app.state.space
    headers = {k.lower(): v for k, v in request.headers.items()}
    body = await request.body()

    def run() -> bytes:
        peer = space.verify_peer_request(headers, request.method, request.url.path, body)
        try:
            return handle(space, peer, body)
        except ValidationError:
            raise ProtocolError(Text("err.nodes.service.schema")) from None

    try:
        answer = await anyio.to_thread.run_sync(run)
    except TspaceError as exc:
        return signed_refusal(space, headers, exc)
    return signed_answer(space, headers, 200, answer)


@router.post("/v1/peer/hello")
async def peer_hello(request: Request) -> Response:
    """A peer names the agreement it holds with this space; the answer is
    this space's countersignature of it."""

    def handle(space: Space, peer: PeerRecord, body: bytes) -> bytes:
        reply = space.peer_hello(peer, PeerHello.model_validate_json(body))
        return reply.model_dump_json().encode()

    return await _answer(request, handle)


@router.post("/v1/peer/catalogue")
async def peer_catalogue(request: Request) -> Response:
    """Per product of the agreement, the providers this space hosts."""
    return await _answer(
        request, lambda space, peer, body: space.peer_catalogue(peer).model_dump_json().encode()
    )


@router.post("/v1/peer/setup")
async def peer_setup(request: Request) -> Response:
    """One provider's PSI setup, for the peer's consumers."""

    def handle(space: Space, peer: PeerRecord, body: bytes) -> bytes:
        return space.peer_setup(peer, PeerSetupRequest.model_validate_json(body))

    return await _answer(request, handle)


@router.post("/v1/peer/jobs")
async def peer_job(request: Request) -> Response:
    """A job of the peer's consumer whose providers include this space's:
    judged by this space's policies for its providers, run by them."""

    def handle(space: Space, peer: PeerRecord, body: bytes) -> bytes:
        state = space.peer_submit(peer, PeerJobForward.model_validate_json(body))
        return state.model_dump_json().encode()

    return await _answer(request, handle)


@router.post("/v1/peer/jobs/{job_id}/state")
async def peer_job_state(request: Request, job_id: str) -> Response:
    """This space's part of a job: its decision, then its providers' answers."""
    return await _answer(
        request,
        lambda space, peer, body: space.peer_job_state(peer, job_id).model_dump_json().encode(),
    )


@router.post("/v1/peer/jobs/{job_id}/subjects")
async def peer_job_subjects(request: Request, job_id: str) -> Response:
    """The consumer's handles and the subjects sealed to this space's providers."""

    def handle(space: Space, peer: PeerRecord, body: bytes) -> bytes:
        state = space.peer_subjects(peer, job_id, PeerSubjects.model_validate_json(body))
        return state.model_dump_json().encode()

    return await _answer(request, handle)


@router.post("/v1/peer/jobs/{job_id}/masks")
async def peer_job_masks(request: Request, job_id: str) -> Response:
    """A blind lookup: the consumer's tokens and mask removals for this
    space's providers; the answer carries this space's part of the scores
    once joined."""

    def handle(space: Space, peer: PeerRecord, body: bytes) -> bytes:
        state = space.peer_masks(peer, job_id, PeerBlindMasks.model_validate_json(body))
        return state.model_dump_json().encode()

    return await _answer(request, handle)


@router.post("/v1/peer/jobs/{job_id}/close")
async def peer_job_close(request: Request, job_id: str) -> Response:
    """The job ended at its home: this space records it and drops its data."""

    def handle(space: Space, peer: PeerRecord, body: bytes) -> bytes:
        state = space.peer_close(peer, job_id, PeerClose.model_validate_json(body))
        return state.model_dump_json().encode()

    return await _answer(request, handle)
