"""Wall-clock time per named stage, for the demo table and the benchmarks.

A caller can also watch stages as they start and finish (``watching``): the
demo draws a progress bar per stage this way, whichever party's timer the
stage runs under.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# (stage, finished, started) each time a stage starts or finishes.
StageWatcher = Callable[[str, int, int], None]

_watchers: list[StageWatcher] = []
_counts: dict[str, list[int]] = {}
_lock = threading.Lock()


@contextmanager
def watching(watcher: StageWatcher) -> Iterator[None]:
    """Call ``watcher`` whenever any stage in this process starts or finishes."""
    with _lock:
        _watchers.append(watcher)
        _counts.clear()
    try:
        yield
    finally:
        with _lock:
            _watchers.remove(watcher)


def _notify(name: str, started: int, finished: int) -> None:
    with _lock:
        if not _watchers:
            return
        counts = _counts.setdefault(name, [0, 0])
        counts[0] += started
        counts[1] += finished
        done, total = counts[1], counts[0]
        watchers = list(_watchers)
    for watcher in watchers:
        watcher(name, done, total)


class StageTimer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        _notify(name, 1, 0)
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - start)
            _notify(name, 0, 1)

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def merge(self, other: StageTimer) -> None:
        for name, seconds in other.seconds.items():
            self.add(name, seconds)
