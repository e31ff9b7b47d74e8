"""A space's calls to a peer space over HTTP, signed with its ledger key.

Every request carries the calling space's fingerprint, the time, a fresh
nonce and its signature (trusted_space/protocol/peering.py); every answer
must carry the peer's signature over it, bound to that nonce, under the key
pinned for the peer: an answer that is not the peer's is refused
(``peer.bad_answer``). A call is bounded by ``timeout``: a peer that is
down or slow raises ``PeerUnavailable`` with the reason, never hangs. A
refusal the peer says in words (its stewards' policies, its peering
checks) comes back as the same localised error, so the caller can pass the
peer's reason on.
"""

from __future__ import annotations

import json
import time

import httpx
from pydantic import BaseModel

from trusted_space.core.errors import (
    Conflict,
    NotAuthorised,
    NotFound,
    PayloadTooLarge,
    PeerUnavailable,
    ProtocolError,
    TspaceError,
    Unauthenticated,
    localised_error,
)
from trusted_space.crypto import CryptoSuite, SigningKey
from trusted_space.protocol.peering import (
    NONCE_HEADER,
    PEER_HEADER,
    SIGNATURE_HEADER,
    TIME_HEADER,
    request_digest,
    response_digest,
)
from trusted_space.transport.tls import tls_context

_ERRORS: dict[int, type[TspaceError]] = {
    401: Unauthenticated,
    403: NotAuthorised,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    422: ProtocolError,
}


def signed_headers(
    suite: CryptoSuite,
    key: SigningKey,
    *,
    receiver: str,
    method: str,
    target: str,
    body: bytes,
    now: float | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The headers that sign one request to the space whose fingerprint is
    ``receiver``."""
    sender = suite.fingerprint(key.public_bytes())
    stamp = int(time.time() if now is None else now)
    nonce = nonce or suite.random_bytes(16).hex()
    digest = request_digest(
        suite,
        sender=sender,
        receiver=receiver,
        method=method,
        target=target,
        time=stamp,
        nonce=nonce,
        body=body,
    )
    return {
        PEER_HEADER: sender,
        TIME_HEADER: str(stamp),
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: key.sign(digest).hex(),
    }


class PeerClient:
    def __init__(
        self,
        suite: CryptoSuite,
        key: SigningKey,
        *,
        peer_name: str,
        url: str,
        peer_key: bytes,
        timeout: float = 10.0,
    ) -> None:
        self.suite = suite
        self.key = key
        self.peer_name = peer_name
        self.base_url = url.rstrip("/")
        self.peer_key = peer_key
        self.receiver = suite.fingerprint(peer_key)
        self.sender = suite.fingerprint(key.public_bytes())
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)), verify=tls_context()
        )

    def close(self) -> None:
        self._client.close()

    def call(self, method: str, path: str, message: BaseModel | bytes | None = None) -> bytes:
        """Send one signed request; return the body of the peer's signed
        answer, or raise the peer's refusal (``PeerUnavailable`` when it
        cannot be reached or its answer is not its own)."""
        if isinstance(message, BaseModel):
            body = message.model_dump_json().encode()
        else:
            body = message or b""
        headers = signed_headers(
            self.suite, self.key, receiver=self.receiver, method=method, target=path, body=body
        )
        headers["content-type"] = "application/json"
        try:
            response = self._client.request(
                method, self.base_url + path, content=body, headers=headers
            )
        except httpx.TimeoutException:
            raise _unreachable(self.peer_name, "timeout") from None
        except httpx.TransportError:
            raise _unreachable(self.peer_name, "connection_refused") from None
        answer = response.content
        signature = response.headers.get(SIGNATURE_HEADER, "")
        digest = response_digest(
            self.suite,
            sender=self.receiver,
            receiver=self.sender,
            nonce=headers[NONCE_HEADER],
            status=response.status_code,
            body=answer,
        )
        try:
            self.suite.verify(self.peer_key, digest, bytes.fromhex(signature))
        except (TspaceError, ValueError):
            if response.status_code >= 500:  # a proxy's or a crashing peer's answer
                raise _unreachable(self.peer_name, f"http_{response.status_code}") from None
            raise PeerUnavailable("peer.bad_answer", peer=self.peer_name) from None
        if response.status_code < 400:
            return answer
        raise _refusal(response.status_code, answer)


# A peer's silence, said per cause in the reader's language (an HTTP status
# is a code in both); the cause stays in the params, a code for clients and logs.
_UNREACHABLE = {"timeout": "err.nodes.peer.timeout", "connection_refused": "err.nodes.peer.refused"}


def _unreachable(peer: str, cause: str) -> PeerUnavailable:
    return PeerUnavailable(_UNREACHABLE.get(cause, "peer.unreachable"), peer=peer, reason=cause)


def _refusal(status: int, body: bytes) -> TspaceError:
    """The peer's refusal as the exception it means (its own words, when localised)."""
    try:
        problem = json.loads(body)
    except ValueError:
        problem = {}
    if not isinstance(problem, dict):
        problem = {}
    error = localised_error(problem.get("code"), problem.get("key"), problem.get("params"))
    if error is not None:
        return error
    kind = _ERRORS.get(status, ProtocolError)
    return kind(str(problem.get("detail") or f"the peer answered {status}"))
