"""An idleness a test sets itself, for the pools that work ahead in idle time
(``trusted_space.hazmat.ahead``): the tests then say when the machine is idle
or busy instead of depending on the machine's real load. The real judgement
from /proc/stat is measured by ``bench/idle_ahead.py``."""

from __future__ import annotations

import threading
from collections.abc import Callable


class Switch:
    """An ``Idleness``: idle or busy as the test sets it; counts how often the
    pool asked."""

    def __init__(self, idle: bool = True) -> None:
        self._cv = threading.Condition()
        self._idle = idle
        self.asked = 0

    def __call__(self) -> Callable[[], bool]:
        return self._quiet

    def _quiet(self) -> bool:
        with self._cv:
            self.asked += 1
            self._cv.notify_all()
            return self._idle

    def set(self, idle: bool) -> None:
        with self._cv:
            self._idle = idle

    def wait_asked(self, times: int, timeout: float = 60) -> None:
        """Until the pool has asked ``times`` more times from now."""
        with self._cv:
            until = self.asked + times
            assert self._cv.wait_for(lambda: self.asked >= until, timeout), "the pool never asked"
