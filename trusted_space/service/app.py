"""The FastAPI application: routers, limits, problem details, background work."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from trusted_space import __version__
from trusted_space.hazmat.paillier import process_min_bits
from trusted_space.service import problems
from trusted_space.service.console import views as console
from trusted_space.service.console.sessions import Sessions
from trusted_space.service.long_polls import LongPolls
from trusted_space.service.routers import (
    datasets,
    jobs,
    models,
    participants,
    policies,
    products,
    tasks,
)
from trusted_space.service.settings import ServiceSettings
from trusted_space.space.space import Space, SpaceConfig

log = logging.getLogger("tspace.service")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyLimit:
    """Refuse bodies over ``limit`` bytes with 413, declared or streamed."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                await _too_large(send, self.limit)
                return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _BodyTooLarge:
            await _too_large(send, self.limit)


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


def _worker(space: Space, stop: threading.Event) -> None:
    """Background combination: resumes after a restart, wakes when work is added."""
    while not stop.is_set():
        try:
            space.run_pending_work()
        except Exception as exc:  # keep the worker alive; the job itself records failures
            log.error("background work failed: %s", type(exc).__name__)
        space.wait_for_work(1.0)


def create_app(settings: ServiceSettings) -> FastAPI:
    space = Space(
        settings.workdir / "space",
        SpaceConfig(
            suite=settings.suite,
            lease_seconds=settings.lease_seconds,
            job_timeout_seconds=settings.job_timeout_seconds,
            max_batch=settings.max_batch,
            require_policy=settings.require_policy,
            sqlite_max_pages=settings.sqlite_max_pages,
            min_paillier_bits=process_min_bits(),
        ),
    )
    stop = threading.Event()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Long polls hold a worker thread each; leave room for many nodes.
        anyio.to_thread.current_default_thread_limiter().total_tokens = 200
        worker = threading.Thread(
            target=_worker, args=(space, stop), name="tspace-work", daemon=True
        )
        worker.start()
        log.info("space serving from %s (suite %s)", settings.workdir, space.suite.name)
        try:
            yield
        finally:
            space.stop_waiting()  # long polls answer now, before the space closes
            stop.set()
            space.work_added()
            worker.join(timeout=10)
            space.close()

    app = FastAPI(
        title="tspace trusted data space",
        version=__version__,
        summary="Privacy-preserving joins and aggregates for public data operation.",
        lifespan=lifespan,
        # FastAPI's built-in OpenTelemetry records request bodies and
        # validation inputs, and exports them when FASTAPI_OTEL_AUTO_CONFIGURE
        # is set: protocol payloads must never leave this way. Off entirely.
        telemetry={
            "tracing": False,
            "metrics": False,
            "logs": False,
            "operation_spans": False,
            "auto_configure": False,
            "exclude": lambda scope: True,
        },
    )
    app.state.space = space
    app.state.polls = LongPolls(space, settings.long_poll_seconds)
    app.state.settings = settings
    problems.install(app)
    # Routes are tried in order: first those every job step calls.
    for module in (tasks, jobs, participants, datasets, products, models, policies):
        app.include_router(module.router)
    app.state.console_sessions = Sessions(space.suite)
    app.include_router(console.router)
    app.mount("/console/static", StaticFiles(directory=console.STATIC), name="console-static")

    @app.get("/v1/health", tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok", "suite": space.suite.name, "version": __version__}

    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    return app
