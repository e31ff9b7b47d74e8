"""Nodes' long polls and results, handled on the event loop.

A node waiting for work holds no thread: its poll is a coroutine woken when
the space adds a task for it (``Space.on_tasks``), or each second, for
leases that expire. Small requests call the space directly on the event
loop; each call is a short, indexed step under the space's lock, cheaper
than the hop to a worker thread and back (and the threads' contention for
the GIL that hop brings). A large body (a big batch's ciphertexts) still
goes to a worker thread, so one job's heavy step does not hold up the
other nodes' requests.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from trusted_space.protocol.messages import Task
from trusted_space.space.space import Space

# Requests with a body up to this size run on the event loop.
INLINE_BYTES = 64 * 1024
RECHECK_SECONDS = 1.0  # leases that expire wake nobody: look again this often

T = TypeVar("T")


class LongPolls:
    def __init__(self, space: Space, max_wait: float) -> None:
        self.space = space
        self.max_wait = max_wait  # the service's cap on any poll's wait
        self._loop: asyncio.AbstractEventLoop | None = None  # the one polls wait on
        self._waiting: dict[str, set[asyncio.Event]] = {}
        space.on_tasks(self._added)

    def _added(self, node: str | None) -> None:
        """From any thread: wake ``node``'s polls (every poll, for None)."""
        loop = self._loop
        if loop is None:
            return  # nobody has waited yet
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits
            loop.call_soon_threadsafe(self._wake, node)

    def _wake(self, node: str | None) -> None:
        if node is None:
            events = [e for waiting in self._waiting.values() for e in waiting]
        else:
            events = list(self._waiting.get(node, ()))
        for event in events:
            event.set()

    async def pull(
        self,
        caller: str,
        limit: int,
        wait: float,
        gone: Callable[[], Awaitable[bool]] | None = None,
    ) -> list[Task]:
        """Lease up to ``limit`` of the caller's tasks, waiting up to ``wait``
        seconds (at most ``max_wait``) for one to appear.

        ``gone`` tells whether the caller has hung up: a poll left behind by
        a node that died (or restarted) leases nothing when it wakes, or the
        lease would be lost to a dead socket, and a task has only
        ``max_lost_leases`` of them."""
        loop = self._loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, min(wait, self.max_wait))
        first = True
        while not self.space.closing:
            if not first and gone is not None and await gone():
                return []
            first = False
            event = asyncio.Event()
            # Listen before looking: a task added in between still wakes us.
            self._waiting.setdefault(caller, set()).add(event)
            try:
                tasks = self.space.pull_now(caller, limit)
                remaining = deadline - loop.time()
                if tasks or remaining <= 0:
                    return tasks
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), min(remaining, RECHECK_SECONDS))
            finally:
                waiting = self._waiting.get(caller)
                if waiting is not None:
                    waiting.discard(event)
                    if not waiting:
                        del self._waiting[caller]
        return []  # shutting down: answer at once


async def inline_or_thread(size: int, fn: Callable[..., T], *args: object) -> T:
    """``fn(*args)`` on the event loop for a small request, else on a worker thread."""
    if size <= INLINE_BYTES:
        return fn(*args)
    return await run_in_threadpool(fn, *args)


def model_reply(reply: BaseModel, status_code: int = 200) -> Response:
    """A reply that is already a validated model, written out as is rather
    than validated again against the route's response_model: for the routes
    every job step calls."""
    return Response(reply.model_dump_json(), status_code=status_code, media_type="application/json")
