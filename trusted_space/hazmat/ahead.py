"""Work done ahead, in idle time: a long-running process's secrets made
before a burst of requests needs them (Paillier encryptions of zero, PSI
client keys).

Each pool is one background thread at the lowest CPU priority that makes one
item at a time, and only while its process and the machine are mostly idle:
nice 19 alone would let it take the gaps of a busy pipeline (and now and then
the GIL from its own process's requests). A pool is off until ``start()``; a
forked child starts with empty pools, so parent and child never hand out the
same secret.

Idleness is judged by an ``Idleness``: a call that starts watching now and
returns a call saying whether the process and the machine have been idle
since. Production pools use ``machine_idleness`` (the process's CPU clocks
and Linux's /proc/stat); a test passes its own, to say idle or busy itself.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
import weakref
from collections.abc import Callable
from typing import Generic, TypeAlias, TypeVar

# Idleness: other work used under QUIET_SHARE of the process's core and of
# the machine's cores, judged over at least WINDOW_SECONDS (the machine's
# clock ticks every 10 ms); when it is not, wait BACK_OFF_SECONDS.
QUIET_SHARE = 0.25
WINDOW_SECONDS = 0.02
BACK_OFF_SECONDS = 0.05

Idleness: TypeAlias = Callable[[], Callable[[], bool]]
"""Starts watching now; the call it returns says whether the process and the
machine have been idle since (waiting first if the watch is too short to
tell)."""


def machine_idleness() -> Callable[[], bool]:
    """The production ``Idleness``: other work used under ``QUIET_SHARE`` of
    the process's core and of the machine's cores, judged over at least
    ``WINDOW_SECONDS``."""
    since = Usage()

    def quiet() -> bool:
        short = WINDOW_SECONDS - (time.monotonic() - since.wall)
        if short > 0:
            time.sleep(short)  # judged over a moment, not over no time at all
        return since.quiet()

    return quiet


Target = TypeVar("Target")
Item = TypeVar("Item")


class IdlePool(Generic[Target, Item]):
    """The thread and its idleness test. A subclass says, with the lock held,
    what it wants next (``_wanted``: a target, or None when full) and keeps
    what was made (``_keep``); ``_make`` runs without the lock."""

    thread_name = "ahead"

    def __init__(self, idleness: Idleness = machine_idleness) -> None:
        self._idleness = idleness
        self._cv = threading.Condition()
        self._thread: threading.Thread | None = None
        self._running = False
        me = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: _after_fork(me))

    # -- what a subclass provides -------------------------------------------------
    def _wanted(self) -> Target | None:
        raise NotImplementedError

    def _make(self, target: Target) -> Item:
        raise NotImplementedError

    def _keep(self, target: Target, item: Item) -> None:
        raise NotImplementedError

    def _clear(self) -> None:
        raise NotImplementedError

    # -- the thread ------------------------------------------------------------------
    def start(self) -> None:
        with self._cv:
            if self._running:
                return
            self._running = True
            self._thread = threading.Thread(target=self._fill, name=self.thread_name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        with self._cv:
            self._running = False
            self._clear()
            self._cv.notify_all()
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=30)

    def _fill(self) -> None:
        lowest_priority()
        quiet = self._idleness()
        while True:
            with self._cv:
                target = self._wanted() if self._running else None
                while self._running and target is None:
                    self._cv.wait()
                    target = self._wanted()
                    quiet = self._idleness()
                if not self._running or target is None:
                    return
            if not quiet():
                quiet = self._idleness()
                time.sleep(BACK_OFF_SECONDS)
                continue
            item = self._make(target)
            quiet = self._idleness()
            with self._cv:
                if self._running:
                    self._keep(target, item)

    def _after_fork_in_child(self) -> None:
        # The child must not hand out a secret its parent may also hand out.
        self._cv = threading.Condition()
        self._clear()
        self._thread = None
        self._running = False


def _after_fork(ref: weakref.ReferenceType[IdlePool[Target, Item]]) -> None:
    pool = ref()
    if pool is not None:
        pool._after_fork_in_child()


class Usage:
    """The wall clock, the process's and this thread's CPU clocks and the
    machine's busy time, at one moment."""

    def __init__(self) -> None:
        self.wall = time.monotonic()
        self.process = time.process_time()
        self.thread = time.thread_time()
        self.machine = _machine_busy()

    def quiet(self) -> bool:
        """Whether, since then, other work used under ``QUIET_SHARE`` of the
        process's core and of the machine's cores."""
        wall = time.monotonic() - self.wall
        own = time.thread_time() - self.thread
        if (time.process_time() - self.process) - own >= QUIET_SHARE * wall:
            return False
        machine = _machine_busy()
        if machine is None or self.machine is None:
            return True
        return (machine - self.machine) - own < QUIET_SHARE * wall * _CPUS


_CPUS = os.cpu_count() or 1
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _machine_busy() -> float | None:
    """CPU seconds the whole machine has been busy since boot (Linux's
    /proc/stat); None where there is no such file."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            ticks = [int(v) for v in fh.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    return (sum(ticks) - ticks[3] - ticks[4]) / _TICKS  # less idle and iowait


def lowest_priority() -> None:
    """Nice 19 for the calling thread (Linux schedules threads on their own),
    so work done ahead takes only CPU that requests leave idle."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):  # a refusal only costs speed
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
