"""What the service checks of a request before it reads one byte of its
body: the caller's API key, then the body's size against its route's limit.

FastAPI reads and parses a body before it solves a route's dependencies, so
the key check of ``deps.get_caller`` used to come after the body: a 60 MB
body without a key was read and parsed (4.7 s, the server growing from 233
MB to 1.44 GB, other requests stalled) before its 401 (issue 22, item 6).
Here, in front of the application, a request to a route that needs a key is
answered 401 before its body is read, and an authenticated one 413 as soon
as its declared or streamed size passes its route's limit. Each route's
limit is sized to the message it takes: a few KiB for keys and failure
reports, a policy or model document, a job's batch, and the bulk limit
(``TSPACE_MAX_BODY_BYTES``) only where whole datasets travel (results,
which include join uploads, and dataset offers with their PSI setups).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from policies.model import MAX_POLICY_BYTES
from trusted_space.core.errors import PeerRefused, TspaceError, Unauthenticated, status_of
from trusted_space.core.i18n import Text
from trusted_space.protocol.peering import PEER_HEADER
from trusted_space.service import problems
from trusted_space.service.console.views import MAX_FORM_BYTES
from trusted_space.service.peer_answers import signed_refusal
from trusted_space.space.space import Space

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

KIB = 1024
MIB = 1024 * KIB
# Participants' keys, a failure report, and any route without a body.
SMALL = 64 * KIB
# A policy document (policies refuse more than MAX_POLICY_BYTES) or a model file.
DOCUMENT = MAX_POLICY_BYTES + SMALL
# A console form: a sign-in, or a policy draft.
SIGN_IN_FORM = 16 * KIB
CONSOLE_FORM = MAX_FORM_BYTES + SMALL
# A job: per subject, its PSI request item or blinded point (35 bytes, 47 in
# base64), with room to spare; plus a model, a query and sealed keys.
JOB_BYTES_PER_SUBJECT = 128
JOB_BASE = DOCUMENT

# Where the service reads the caller's name once it is authenticated here.
CALLER = "tspace_caller"
# Routes that need no API key: everything outside /v1/, and these.
OPEN_ROUTES = frozenset({"/v1/health"})
# Routes other spaces call: no API key, but signed by a peer this space added
# (checked here by its fingerprint before the body is read, then the
# signature by the route: routers/peers.py).
PEER_ROUTES = "/v1/peer/"


@dataclass(frozen=True)
class RouteLimit:
    method: str
    pattern: re.Pattern[str]
    limit: int


def _route(method: str, template: str, limit: int) -> RouteLimit:
    pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
    return RouteLimit(method, re.compile(pattern), limit)


def route_limits(*, bulk: int, max_batch: int) -> list[RouteLimit]:
    """Each route that takes a body and its limit; any other request's body
    is held to ``SMALL``. ``bulk``: TSPACE_MAX_BODY_BYTES; ``max_batch``:
    the largest batch a job may declare."""
    job = min(bulk, JOB_BASE + max_batch * JOB_BYTES_PER_SUBJECT)
    return [
        _route("POST", "/v1/tasks/exchange", bulk),
        _route("POST", "/v1/tasks/{task_id}/result", bulk),
        # a part of a result larger than one request (nodes/base.py's _fitted)
        _route("PUT", "/v1/tasks/{task_id}/parts", bulk),
        _route("POST", "/v1/datasets", bulk),
        _route("POST", "/v1/jobs", job),
        # a job a peer forwards, the subjects sealed to this space's providers,
        # and a blind lookup's tokens and mask removals for them
        _route("POST", "/v1/peer/jobs", job),
        _route("POST", "/v1/peer/jobs/{job_id}/subjects", bulk),
        _route("POST", "/v1/peer/jobs/{job_id}/masks", bulk),
        _route("POST", "/v1/policies", DOCUMENT),
        _route("POST", "/v1/models", DOCUMENT),
        _route("POST", "/console/login", SIGN_IN_FORM),
        _route("POST", "/console/{page}", CONSOLE_FORM),
        _route("POST", "/console/{page}/{action}", CONSOLE_FORM),
        _route("POST", "/console/{page}/{id}/{action}", CONSOLE_FORM),
    ]


def needs_key(path: str) -> bool:
    return path.startswith("/v1/") and path not in OPEN_ROUTES and not is_peer_route(path)


def is_peer_route(path: str) -> bool:
    return path.startswith(PEER_ROUTES)


class Admission:
    """Authenticate, then hold the body to its route's limit (ASGI middleware)."""

    def __init__(self, app: ASGIApp, space: Space, limits: list[RouteLimit]) -> None:
        self.app = app
        self.space = space
        self.limits = limits

    def limit_for(self, method: str, path: str) -> int:
        for route in self.limits:
            if route.method == method and route.pattern.match(path):
                return route.limit
        return SMALL

    def caller(self, scope: Scope) -> str:
        """The participant named by ``Authorization: Bearer <api key>``."""
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                text = value.decode("latin-1")
                if text.startswith("Bearer "):
                    return self.space.authenticate(text.removeprefix("Bearer ").strip())
                break
        raise Unauthenticated(Text("err.nodes.service.api_key_required"))

    def peer_refusal(self, scope: Scope) -> ASGIApp | None:
        """A signed refusal of a request that names no peer of this space."""
        headers = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope.get("headers", [])
        }
        sender = headers.get(PEER_HEADER)
        if not sender:
            error = PeerRefused("peer.unsigned")
        elif not self.space.peer_known(sender):
            error = PeerRefused("peer.unknown", peer=sender if _FINGERPRINT.match(sender) else "?")
        else:
            return None
        return signed_refusal(self.space, headers, error)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if needs_key(path):
            try:
                caller = self.caller(scope)
            except TspaceError as exc:  # 401 before one byte of the body is read
                await problems.problem(status_of(exc), str(exc))(scope, receive, send)
                return
            scope.setdefault("state", {})[CALLER] = caller
        elif is_peer_route(path):
            refusal = self.peer_refusal(scope)
            if refusal is not None:  # before one byte of the body is read
                await refusal(scope, receive, send)
                return
        limit = self.limit_for(scope["method"], path)
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await _too_large(send, limit)
                return
        seen, started, refused = 0, False, False

        async def limited() -> Message:
            # A streamed body is counted as it is read; past the limit the
            # 413 goes out at once and the application's own answer to the
            # interrupted read (FastAPI makes it a 400) is dropped.
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    if not started and not refused:
                        refused = True
                        await _too_large(send, limit)
                    raise _BodyTooLarge
            return message

        async def answer(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = True
            await send(message)

        try:
            await self.app(scope, limited, answer)
        except _BodyTooLarge:
            if not refused:
                raise


_FINGERPRINT = re.compile(r"^[0-9a-f]{16}$")


class _BodyTooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    body = (
        '{"type":"about:blank","title":"Payload too large","status":413,'
        f'"detail":"the body exceeds {limit} bytes"}}'
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
