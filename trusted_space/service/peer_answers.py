"""Answers to other spaces, signed with this space's ledger key.

Every answer to a request on a peer route (``/v1/peer/...``), refusals
included, carries this space's signature over its status and body, bound to
the request's nonce (``trusted_space/protocol/peering.py``): the calling
space checks it against the key it pinned for this one."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Response

from trusted_space.core.errors import Localised, TspaceError, status_of
from trusted_space.protocol.peering import NONCE_HEADER, PEER_HEADER, SIGNATURE_HEADER
from trusted_space.service import problems
from trusted_space.space.space import Space


def signed_answer(space: Space, headers: Mapping[str, str], status: int, body: bytes) -> Response:
    """An answer to a peer's request, signed for the request's nonce."""
    signature = space.sign_peer_response(
        headers.get(PEER_HEADER, ""), headers.get(NONCE_HEADER, ""), status, body
    )
    return Response(
        body,
        status_code=status,
        media_type=problems.PROBLEM if status >= 400 else "application/json",
        headers={SIGNATURE_HEADER: signature},
    )


def signed_refusal(space: Space, headers: Mapping[str, str], exc: TspaceError) -> Response:
    """A refusal as a problem document (with its code, key and parameters
    when it is said in words), signed."""
    extra = (
        {"code": exc.code, "key": exc.key, "params": exc.params}
        if isinstance(exc, Localised)
        else {}
    )
    status = status_of(exc)
    document = problems.problem(status, str(exc), **extra)
    return signed_answer(space, headers, status, bytes(document.body))
