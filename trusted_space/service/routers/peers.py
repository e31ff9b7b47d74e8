"""Peering: stewards approve agreements with other spaces; peers call in.

``/v1/peering/...`` are participants' routes (a steward's API key).
``/v1/peer/...`` are the routes other spaces call: no API key, but every
request signed with the calling space's ledger key and checked against the
key this space pinned for it (``Space.verify_peer_request``), and every
answer, refusals included, signed with this space's ledger key."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ValidationError

from trusted_space.core.errors import ProtocolError, TspaceError
from trusted_space.protocol.peering import PeerHello, PeeringTerms
from trusted_space.service.deps import Caller, SpaceDep
from trusted_space.service.peer_answers import signed_answer, signed_refusal
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


@router.post("/v1/peer/hello")
async def peer_hello(request: Request) -> Response:
    """A peer names the agreement it holds with this space; the answer is
    this space's countersignature of it."""
    space: Space = request.app.state.space
    headers = {k.lower(): v for k, v in request.headers.items()}
    body = await request.body()
    try:
        peer = space.verify_peer_request(headers, request.method, request.url.path, body)
        try:
            hello = PeerHello.model_validate_json(body)
        except ValidationError:
            raise ProtocolError("not a peer hello") from None
        reply = space.peer_hello(peer, hello)
    except TspaceError as exc:
        return signed_refusal(space, headers, exc)
    return signed_answer(space, headers, 200, reply.model_dump_json().encode())
