"""Issue 22, item 6: the API key is checked before a body is read, and each
route holds its body to a limit sized to its message.

The attack: a 60 MB body without a key took 4.7 s to answer 401 and grew the
server from 233 MB to 1.44 GB, stalling other requests, because FastAPI reads
and parses a body before the key check of a route's dependencies. Here each
request is driven through the application with a body that counts what is
read of it (``Body``), and, against a real ``tspace serve``, sent as headers
alone: the answer must come before any of the body.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from trusted_space.service.admission import CONSOLE_FORM, DOCUMENT, SIGN_IN_FORM, SMALL
from trusted_space.service.app import create_app
from trusted_space.service.settings import ServiceSettings

MIB = 1 << 20
ATTACK = 60 * MIB
CHUNK = b"x" * MIB
TASK = "0" * 32


@dataclass
class Body:
    """A request body of ``size`` bytes, handed over in 1 MiB chunks as the
    application asks for them; ``read`` counts what it took."""

    size: int
    read: int = 0
    asked: int = 0

    async def receive(self) -> dict[str, Any]:
        self.asked += 1
        if self.read >= self.size:
            await asyncio.sleep(3600)  # a client that sends nothing more
        part = CHUNK[: min(MIB, self.size - self.read)]
        self.read += len(part)
        return {"type": "http.request", "body": part, "more_body": self.read < self.size}


@dataclass
class Answer:
    status: int = 0
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def call(
    app: FastAPI,
    method: str,
    path: str,
    body: Body,
    *,
    key: str | None = None,
    declare: bool = True,
    cookies: str | None = None,
) -> Answer:
    headers = [(b"content-type", b"application/json")]
    if declare:
        headers.append((b"content-length", str(body.size).encode()))
    if key is not None:
        headers.append((b"authorization", f"Bearer {key}".encode()))
    if cookies is not None:
        headers.append((b"cookie", cookies.encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    answer = Answer()

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            answer.headers = {k.decode(): v.decode() for k, v in message.get("headers", [])}
        elif message["type"] == "http.response.body":
            answer.body += message.get("body", b"")

    async def run() -> None:
        await asyncio.wait_for(app(scope, body.receive, send), timeout=60)

    asyncio.run(run())
    return answer


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, dict[str, str]]]:
    application = create_app(ServiceSettings(workdir=tmp_path_factory.mktemp("admission")))
    space = application.state.space
    keys = {
        role: space.add_participant(None, name, role)
        for name, role in (
            ("operator", "operator"),
            ("steward", "steward"),
            ("insurer", "consumer"),
            ("hospital", "provider"),
        )
    }
    yield application, keys
    space.close()


# Every route that takes a body, each with its limit (the bulk routes and
# the job's follow the settings: 64 MiB, and 100,000 subjects x 128 bytes).
BODY_ROUTES = [
    ("POST", "/v1/tasks/exchange", 64 * MIB),
    ("POST", f"/v1/tasks/{TASK}/result", 64 * MIB),
    ("POST", "/v1/datasets", 64 * MIB),
    ("POST", "/v1/jobs", DOCUMENT + 100_000 * 128),
    ("POST", "/v1/policies", DOCUMENT),
    ("POST", "/v1/models", DOCUMENT),
    ("POST", "/v1/participants", SMALL),
    ("PUT", "/v1/participants/me/keys", SMALL),
    ("POST", f"/v1/tasks/{TASK}/failure", SMALL),
    ("DELETE", "/v1/policies/p1", SMALL),
]


@pytest.mark.parametrize("declare", [True, False], ids=["declared", "streamed"])
@pytest.mark.parametrize("key", [None, "tsk_" + "A" * 43], ids=["no key", "bad key"])
@pytest.mark.parametrize(("method", "path", "_limit"), BODY_ROUTES)
def test_a_large_body_without_a_valid_key_is_answered_401_unread(
    app: tuple[FastAPI, dict[str, str]],
    method: str,
    path: str,
    _limit: int,
    key: str | None,
    declare: bool,
) -> None:
    body = Body(ATTACK)
    answer = call(app[0], method, path, body, key=key, declare=declare)
    assert answer.status == 401, answer.body[:200]
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["www-authenticate"] == "Bearer"
    assert (body.read, body.asked) == (0, 0), "not one byte of the body was read"


@pytest.mark.parametrize(("method", "path", "limit"), BODY_ROUTES)
def test_each_route_holds_an_authenticated_body_to_its_own_limit(
    app: tuple[FastAPI, dict[str, str]], method: str, path: str, limit: int
) -> None:
    application, keys = app
    key = keys["operator"]
    declared = Body(limit + 1)
    answer = call(application, method, path, declared, key=key)
    assert answer.status == 413, answer.body[:200]
    assert f"exceeds {limit} bytes" in answer.body.decode()
    assert declared.read == 0, "a declared size over the limit is refused unread"
    streamed = Body(limit + 1)
    answer = call(application, method, path, streamed, key=key, declare=False)
    if method == "DELETE":  # a route without a body does not read one at all
        assert streamed.read == 0
    else:
        assert answer.status == 413, answer.body[:200]
        assert streamed.read <= limit + MIB, "reading stops at the limit"


def test_a_body_within_its_routes_limit_is_read(app: tuple[FastAPI, dict[str, str]]) -> None:
    """A body within its route's limit is read whole (and here refused as no
    valid message): 2 MiB on the exchange route, 64 KiB on a failure report."""
    application, keys = app
    body = Body(2 * MIB)
    answer = call(application, "POST", "/v1/tasks/exchange", body, key=keys["provider"])
    assert answer.status == 422 and body.read == 2 * MIB
    small = Body(SMALL)
    answer = call(application, "POST", f"/v1/tasks/{TASK}/failure", small, key=keys["provider"])
    assert answer.status == 422 and small.read == SMALL


def test_the_console_reads_no_form_without_a_session(
    app: tuple[FastAPI, dict[str, str]],
) -> None:
    application, _ = app
    for path in (
        "/console/policies/publish",
        "/console/policies/check",
        "/console/policies/p/retire",
    ):
        body = Body(CONSOLE_FORM)
        answer = call(application, "POST", path, body)
        assert answer.status in (303, 401), (path, answer.status)
        assert body.read == 0, path
    over = Body(CONSOLE_FORM + 1)
    assert call(application, "POST", "/console/policies/publish", over).status == 413
    assert over.read == 0
    sign_in = Body(SIGN_IN_FORM + 1)
    assert call(application, "POST", "/console/login", sign_in).status == 413
    assert sign_in.read == 0


def _headers_only(port: int, request: str) -> bytes:
    """Send a request's head and no body; return what the server answers
    within 30 s (nothing, if it waits for the body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(request.encode())
        received = b""
        try:
            while b"\r\n\r\n" not in received:
                part = conn.recv(65536)
                if not part:
                    break
                received += part
        except TimeoutError:
            pass
    return received


@pytest.mark.slow
def test_a_real_server_answers_before_the_body_arrives(tmp_path: Path) -> None:
    """``tspace serve`` on 127.0.0.1: the head of a 60 MB upload without a
    key gets its 401 with no byte of the body sent; an authenticated one
    over its route's limit its 413."""
    from tests.service.procs import ServiceDeployment

    dep = ServiceDeployment(tmp_path, {}, ["insurer"])
    try:
        head = (
            "POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/json\r\nContent-Length: {size}\r\n{auth}\r\n"
        )
        answer = _headers_only(dep.port, head.format(size=ATTACK, auth=""))
        assert answer.startswith(b"HTTP/1.1 401"), answer[:200]
        key = dep.keys["insurer"].read_text().strip()
        auth = f"Authorization: Bearer {key}\r\n"
        answer = _headers_only(dep.port, head.format(size=ATTACK, auth=auth))
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        small = head.replace("/v1/jobs", "/v1/participants/me/keys").replace("POST", "PUT")
        answer = _headers_only(dep.port, small.format(size=SMALL + 1, auth=auth))
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    finally:
        dep.stop()
