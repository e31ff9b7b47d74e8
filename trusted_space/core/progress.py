"""Rich progress bars for long work, as a plain ``(stage, done, total)`` callback.

Library code takes an optional callback and knows nothing of the terminal;
the command line passes one of these. Each bar shows items done of all, the
rate (items a second) and the time left as well as the time spent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
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
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )
    tasks: dict[str, TaskID] = {}

    def update(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bars.add_task(describe(stage) if describe else stage, total=total)
        elif done == 0 and bars.tasks[tasks[stage]].finished:
            bars.reset(tasks[stage], total=total)
        bars.update(tasks[stage], completed=done, total=total)

    with bars:
        yield update
