"""The FastAPI application: routers, limits, problem details, background work."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from trusted_space import __version__
from trusted_space.core.i18n import logged
from trusted_space.hazmat.paillier import process_min_bits
from trusted_space.service import problems
from trusted_space.service.admission import Admission, route_limits
from trusted_space.service.console import views as console
from trusted_space.service.console.sessions import Sessions
from trusted_space.service.long_polls import LongPolls
from trusted_space.service.routers import (
    datasets,
    jobs,
    models,
    participants,
    peers,
    policies,
    products,
    tasks,
)
from trusted_space.service.settings import ServiceSettings
from trusted_space.space.space import Space, SpaceConfig

log = logging.getLogger("tspace.service")


def _worker(space: Space, stop: threading.Event) -> None:
    """Background combination: resumes after a restart, wakes when work is added."""
    while not stop.is_set():
        try:
            space.run_pending_work()
        except Exception as exc:  # keep the worker alive; the job itself records failures
            log.error("%s", logged("log.space.background_failed", kind=type(exc).__name__))
        space.wait_for_work(1.0)


def _peer_worker(space: Space, stop: threading.Event) -> None:
    """Jobs' parts at peer spaces: calls them outside the space's lock,
    resumes after a restart (the parts' states are in the database)."""
    while not stop.is_set():
        try:
            calls = space.run_peer_work()
        except Exception as exc:  # keep the worker alive; a job records its own failure
            log.error("%s", logged("log.space.peer_failed", kind=type(exc).__name__))
            calls = 0
        if calls:
            stop.wait(0.02)  # parts in flight: poll the peers again soon
        else:
            space.wait_for_peer_work(1.0)


def create_app(settings: ServiceSettings) -> FastAPI:
    space = Space(
        settings.workdir / "space",
        SpaceConfig(
            suite=settings.suite,
            lease_seconds=settings.lease_seconds,
            job_timeout_seconds=settings.job_timeout_seconds,
            max_batch=settings.max_batch,
            max_result_bytes=settings.max_result_bytes,
            require_policy=settings.require_policy,
            sqlite_max_pages=settings.sqlite_max_pages,
            min_paillier_bits=process_min_bits(),
            peer_patience_seconds=settings.peer_patience_seconds,
            peer_timeout_seconds=settings.peer_timeout_seconds,
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
        peers = threading.Thread(
            target=_peer_worker, args=(space, stop), name="tspace-peers", daemon=True
        )
        peers.start()
        said = logged("log.space.serving", workdir=settings.workdir, suite=space.suite.name)
        log.info("%s", said)
        try:
            yield
        finally:
            space.stop_waiting()  # long polls answer now, before the space closes
            stop.set()
            space.work_added()
            space.federation.wake()
            worker.join(timeout=10)
            peers.join(timeout=15)
            space.federation.close_clients()
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
    for module in (tasks, jobs, participants, datasets, products, models, policies, peers):
        app.include_router(module.router)
    app.state.console_sessions = Sessions(space.suite)
    app.include_router(console.router)
    app.mount("/console/static", StaticFiles(directory=console.STATIC), name="console-static")

    @app.get("/v1/health", tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok", "suite": space.suite.name, "version": __version__}

    # The API key first, then the body's size against its route's limit:
    # nothing of a body is read before both pass (service/admission.py).
    app.add_middleware(
        Admission,
        space=space,
        limits=route_limits(bulk=settings.max_body_bytes, max_batch=settings.max_batch),
    )
    return app
