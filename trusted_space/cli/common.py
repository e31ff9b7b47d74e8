"""What every command shares: consoles, error handling, options, work folders."""

from __future__ import annotations

import datetime as dt
import functools
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from trusted_space.core.errors import PolicyDenied, TspaceError
from trusted_space.core.i18n import t

# Messages are never hard-wrapped: a path or an error line stays whole, so
# it can be copied and searched (logs, pipes, 80-column terminals alike).
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

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


# Options several commands share, declared once (Typer reads the Annotated metadata).
SpaceUrl = Annotated[str, typer.Option("--space", help="The space's URL.")]
ApiKeyFile = Annotated[
    Path, typer.Option("--api-key-file", help="File holding this participant's API key.")
]
AsOf = Annotated[str, typer.Option("--as-of", help="Evaluation date, YYYY-MM-DD.")]
Purpose = Annotated[str, typer.Option("--purpose", help="Purpose of use.")]
Suite = Annotated[
    str,
    typer.Option(
        "--suite",
        help="Crypto suite of the space: default (SHA-256, Ed25519, X25519) or "
        "gm (SM3, SM2, SM4); fixed when the space is created.",
    ),
]
LOOKUP_ENGINES = ("direct_lookup", "blind_lookup")


def _lookup_engine(value: str) -> str:
    if value not in LOOKUP_ENGINES:
        raise typer.BadParameter(f"expected one of {', '.join(LOOKUP_ENGINES)}")
    return value


LookupEngine = Annotated[
    str,
    typer.Option(
        "--engine",
        help="direct_lookup, or blind_lookup: the insurer learns each score and not "
        "whether a provider holds the applicant.",
        callback=_lookup_engine,
    ),
]
ConsentRefs = Annotated[
    list[str] | None,
    typer.Option(
        "--consent-ref",
        help="Evidence reference of the applicants' consent (repeatable); "
        "a policy with consent_required needs one.",
    ),
]
Policies = Annotated[
    list[Path] | None,
    typer.Option("--policy", help="A steward's policy to publish and obey (repeatable)."),
]
EmbeddedWorkdir = Annotated[
    Path | None,
    typer.Option("--workdir", help="Keep the space and nodes here (default: a temporary folder)."),
]
Ray = Annotated[
    str | None,
    typer.Option(
        "--ray",
        envvar="TSPACE_RAY",
        metavar="ADDRESS",
        help="Run bulk work (PSI setups, tokens, encryption) on the Ray cluster at ADDRESS "
        "('local' starts one on this machine; needs the extra tspace\\[ray]). "
        "Default: a process pool on every core here.",
    ),
]


def use_backend(ray_address: str | None) -> None:
    """Send bulk work to Ray when an address is given; else the local pool."""
    from trusted_space.bulk import parallel

    if ray_address:
        parallel.use_ray(ray_address)
