"""Rich progress bars for long work, as a plain ``(stage, done, total)`` callback.

Library code takes an optional callback and knows nothing of the terminal;
the command line passes one of these. Each bar shows items done of all, the
rate (items a second) and the time left as well as the time spent.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

ProgressCallback = Callable[[str, int, int], None]

# (label, items done, items in all) as labelled long work advances (bulk
# work on the pool, a load's rows); set by ``reporting``: the command line
# shows a bar per label.
_reporter: ProgressCallback | None = None


@contextmanager
def reporting(callback: ProgressCallback | None) -> Iterator[None]:
    """Send the progress of labelled long work to ``callback`` meanwhile."""
    global _reporter
    previous, _reporter = _reporter, callback
    try:
        yield
    finally:
        _reporter = previous


def reporter() -> ProgressCallback | None:
    """Where progress goes now (None: nobody is watching)."""
    return _reporter


@contextmanager
def sql_progress(
    con: Any, label: str, rows: int, step: int, steps: int, every: float = 0.25
) -> Iterator[None]:
    """While the block runs a DuckDB statement on ``con``, step ``step`` of
    ``steps`` that each pass over the same ``rows``, report the rows done:
    ``rows`` times the share of the steps done, the running one's share from
    DuckDB's own progress of the query, polled every ``every`` seconds on a
    thread. Nothing when nobody is watching."""
    report = _reporter
    if report is None or rows <= 0:
        yield
        return
    stop = threading.Event()

    def at(share: float) -> int:
        return min(rows, int(rows * (step + share) / steps))

    def poll() -> None:
        while not stop.wait(every):
            try:
                percent = float(con.query_progress())
            except Exception:  # the connection is busy closing: no figure this time
                continue
            if percent >= 0:
                report(label, at(min(percent, 100.0) / 100.0), rows)

    report(label, at(0.0), rows)
    watcher = threading.Thread(target=poll, name="sql-progress", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join()
        report(label, at(1.0), rows)


class CountColumn(ProgressColumn):
    """``done/total`` for counted work; nothing for a stage that is only
    started and finished (its bar pulses with the time it has taken)."""

    def render(self, task: Task) -> Text:
        if task.total is None or task.total <= 1:
            return Text("")
        return Text(f"{int(task.completed):,}/{int(task.total):,}", style="progress.download")


class RateColumn(ProgressColumn):
    """Items a second, once there is a rate to show."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        if not speed or task.total is None or task.total <= 1:
            return Text("")
        return Text(
            f"{speed:,.0f}/s" if speed >= 10 else f"{speed:.1f}/s", style="progress.data.speed"
        )


@contextmanager
def stage_progress(
    console: Console, describe: Callable[[str], str] | None = None
) -> Iterator[ProgressCallback]:
    """A progress callback drawing one bar per stage; ``describe`` names a
    stage for people (default: the stage as given). A stage that starts
    again after finishing (a second provider's encryption) restarts its bar."""
    bars = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        CountColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )
    tasks: dict[str, TaskID] = {}

    def update(stage: str, done: int, total: int) -> None:
        # A stage only started and finished (one of one) pulses until it ends.
        shown: int | None = None if total == 1 and done == 0 else total
        if stage not in tasks:
            tasks[stage] = bars.add_task(describe(stage) if describe else stage, total=shown)
        elif done == 0 and bars.tasks[tasks[stage]].finished:
            bars.reset(tasks[stage], total=shown)
        bars.update(tasks[stage], completed=done, total=shown)

    with bars:
        yield update
