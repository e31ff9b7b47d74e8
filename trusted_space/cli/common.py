"""What every command shares: consoles, error handling, options, work folders."""

from __future__ import annotations

import datetime as dt
import functools
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console

from trusted_space.errors import PolicyDenied, TspaceError
from trusted_space.i18n import t

console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


def errors(fn: F) -> F:
    """Turn a refusal tspace raises on purpose into clear lines and exit 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except PolicyDenied as exc:
            err_console.print(t("policy.denied"), highlight=False)
            for reason in exc.reasons:
                err_console.print(f"  - {reason}", markup=False, highlight=False)
            raise typer.Exit(2) from None
        except TspaceError as exc:
            err_console.print(t("error", message=exc), markup=False, highlight=False)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date in YYYY-MM-DD form") from None


class workdir:
    """The given folder, or a temporary one removed afterwards."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.temp: str | None = None

    def __enter__(self) -> Path:
        if self.path is not None:
            self.path.mkdir(parents=True, exist_ok=True)
            return self.path
        self.temp = tempfile.mkdtemp(prefix="tspace-")
        return Path(self.temp)

    def __exit__(self, *exc: object) -> None:
        if self.temp is not None:
            shutil.rmtree(self.temp, ignore_errors=True)
