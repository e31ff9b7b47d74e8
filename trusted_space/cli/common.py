"""What every command shares: consoles, error handling, options, work folders."""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt
import functools
import re
import shutil
import tempfile
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from typer.models import OptionInfo

from trusted_space.core.clock import CHINA
from trusted_space.core.errors import PolicyDenied, TspaceError
from trusted_space.core.i18n import MESSAGES, language, t

# Messages are never hard-wrapped: a path or an error line stays whole, so
# it can be copied and searched (logs, pipes, 80-column terminals alike).
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class PathRole:
    """Marks a path parameter of a command (the third item of its ``Annotated``).

    ``input`` paths must exist before the command starts: a missing one is a
    one-line error naming the option and the path (exit 2), never a
    traceback. ``output`` paths are created. ``space`` is the folder of an
    existing space or node: it must exist too (a typo must not create an
    empty space). ``path_of`` picks the path out of a text value (``KIND:PATH``;
    None when the value is not a path)."""

    kind: str  # input | output | space
    path_of: Callable[[str], str | None] | None = None


INPUT = PathRole("input")
OUTPUT = PathRole("output")
SPACE = PathRole("space")


def path_roles(fn: Callable[..., Any]) -> dict[str, tuple[str, PathRole]]:
    """Parameter -> (its option or argument name, its PathRole), for marked parameters."""
    out: dict[str, tuple[str, PathRole]] = {}
    for name, hint in typing.get_type_hints(fn, include_extras=True).items():
        if typing.get_origin(hint) is not Annotated:
            continue
        extras = typing.get_args(hint)[1:]
        role = next((e for e in extras if isinstance(e, PathRole)), None)
        if role is None:
            continue
        label = name.upper()
        for info in extras:
            if isinstance(info, OptionInfo):
                decls = [info.default, *(info.param_decls or ())]
                label = next(
                    (d for d in decls if isinstance(d, str) and d.startswith("--")),
                    "--" + name.replace("_", "-"),
                )
        out[name] = (label, role)
    return out


def check_inputs(roles: dict[str, tuple[str, PathRole]], values: dict[str, Any]) -> None:
    """Exit 2 with one line when an input path does not exist."""
    for name, (label, role) in roles.items():
        if role.kind == "output":
            continue
        value = values.get(name)
        for item in value if isinstance(value, list | tuple) else [value]:
            if item is None:
                continue
            path = role.path_of(str(item)) if role.path_of else str(item)
            if path is not None and not Path(path).exists():
                err_console.print(
                    t("error", message=t("error.missing_path", option=label, path=path)),
                    markup=False,
                    highlight=False,
                )
                raise typer.Exit(2)


def errors(fn: F) -> F:
    """Turn a refusal tspace raises on purpose into clear lines and exit 2.

    Input paths (marked ``INPUT``) are checked first, so a missing file is
    named with its option before any work starts."""
    roles: dict[str, tuple[str, PathRole]] | None = None

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal roles
        if roles is None:
            roles = path_roles(fn)
        check_inputs(roles, kwargs)
        try:
            return fn(*args, **kwargs)
        except PolicyDenied as exc:
            err_console.print(t("policy.denied"), highlight=False)
            for reason in exc.in_language(language()):
                err_console.print(f"  - {reason}", markup=False, highlight=False)
            raise typer.Exit(2) from None
        except TspaceError as exc:
            err_console.print(t("error", message=exc), markup=False, highlight=False)
            raise typer.Exit(2) from None
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError) as exc:
            # A file that went missing or is unreadable: say which, never a traceback.
            message = t("error.os", reason=exc.strerror or type(exc).__name__, path=exc.filename)
            err_console.print(t("error", message=message), markup=False, highlight=False)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def _date_error(option: str, value: str, reason: str) -> typer.Exit:
    message = t("error.date", option=option, value=value, reason=reason)
    err_console.print(t("error", message=message), markup=False, highlight=False)
    return typer.Exit(2)


def parse_date(value: str, option: str = "--as-of") -> dt.date:
    """A YYYY-MM-DD date; an impossible or malformed one is one line naming the option."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        written = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", value.strip())
        if written:
            # Python's reason is English ("day is out of range for month"): say ours.
            year, month = int(written[1]), int(written[2])
            if year < 1:
                reason = t("date.year_range")
            elif not 1 <= month <= 12:
                reason = t("date.month_range")
            else:
                days = calendar.monthrange(year, month)[1]
                reason = t("date.day_range", month=f"{year:04d}-{month:02d}", days=days)
            raise _date_error(option, value, t("date.impossible", reason=reason)) from None
        raise _date_error(option, value, t("date.form")) from None


def today() -> dt.date:
    """Today in China Standard Time (UTC+08:00), tspace's one clock."""
    return dt.datetime.now(CHINA).date()


def parse_as_of(value: str, allow_future: bool) -> dt.date:
    """The evaluation date: refused after today unless ``--allow-future``
    (a 2030-for-2026 typo gives plausible, wrong scores), and then warned."""
    day = parse_date(value, "--as-of")
    now = today()
    if day > now:
        if not allow_future:
            raise _date_error("--as-of", value, t("date.future", today=now))
        warn(t("warn.future_as_of", as_of=day, today=now))
    return day


def warn(message: str) -> None:
    err_console.print(t("warning", message=message), markup=False, highlight=False)


def warn_stale(as_of: dt.date, newest: dict[str, dt.date | None]) -> None:
    """Warn when the evaluation date is after every provider's newest record."""
    dates = {name: d for name, d in newest.items() if d is not None}
    if dates and all(as_of > d for d in dates.values()):
        latest = ", ".join(f"{name} {d.isoformat()}" for name, d in sorted(dates.items()))
        warn(t("warn.stale_as_of", as_of=as_of, newest=latest))


def show_invalid(
    details: list[Any], out: Path, limit: int = 10, header: str = "invalid.header"
) -> None:
    """Name each invalid identifier of a batch (row, line, field, reason) on stderr."""
    found = [d for d in details if d is not None]
    if not found:
        return
    err_console.print(t(header, n=len(found), path=out), highlight=False)
    for d in found[:limit]:
        line = t("invalid.row", row=d.row, line=d.line, field=d.column, reason=d.reason)
        err_console.print(f"  {line}", markup=False, highlight=False)
    if len(found) > limit:
        err_console.print(t("invalid.more", n=len(found) - limit, path=out), highlight=False)


Patience = Annotated[
    float,
    typer.Option(
        "--patience",
        min=1,
        help="Seconds to keep retrying while the space does not answer, then give up.",
    ),
]


def client_transport(space: str, api_key_file: Path, patience: float) -> Any:
    """An HttpTransport for a client command: each retry is one line on
    stderr, and after ``patience`` seconds the command fails with one line."""
    from trusted_space.transport.http import HttpTransport, read_api_key

    def retrying(failure: str, delay: float, left: float) -> None:
        err_console.print(
            t("client.retry", space=space, failure=failure, delay=delay, left=max(left, 0.0)),
            markup=False,
            highlight=False,
        )

    return HttpTransport(space, read_api_key(api_key_file), patience=patience, on_retry=retrying)


@contextlib.contextmanager
def bulk_progress() -> Iterator[None]:
    """On a terminal, bars for the long work of a run (a load's rows, PSI
    setups, tokens, encryption, re-randomisation): items done, rate and
    time left."""
    if not err_console.is_terminal:
        yield
        return
    from trusted_space.bulk import parallel
    from trusted_space.core.progress import stage_progress

    with stage_progress(err_console, describe=bulk_label) as update, parallel.reporting(update):
        yield


def bulk_label(stage: str) -> str:
    key = f"progress.{stage}"
    return t(key) if key in MESSAGES else stage


def report_scores(
    rows: list[Any], duties: dict[str, int], out: Path, engine: str | None = None
) -> None:
    """What underwrite and client underwrite print: the same lines. A blind
    job's line counts no subject without consent: the insurer cannot know."""
    show_invalid([r.detail for r in rows], out)
    scored = sum(r.status == "scored" for r in rows)
    invalid = sum(r.status == "invalid_id" for r in rows)
    if engine == "blind_lookup":
        console.print(
            t("underwrite.blind", path=out, scored=scored, invalid=invalid), highlight=False
        )
    else:
        console.print(
            t(
                "underwrite.done",
                path=out,
                scored=scored,
                invalid=invalid,
                no_consent=sum(r.status == "no_consent" for r in rows),
            ),
            highlight=False,
        )
    if "retention_days" in duties:
        console.print(t("duty.retention", days=duties["retention_days"]), highlight=False)


def report_features(rows: list[Any], duties: dict[str, int], out: Path) -> None:
    """What lend and client lend print: the same lines (features, not scores)."""
    show_invalid([r.detail for r in rows], out)
    found = sum(r.status == "found" for r in rows)
    invalid = sum(r.status == "invalid_id" for r in rows)
    console.print(
        t("lend.done", path=out, found=found, missing=len(rows) - found - invalid, invalid=invalid),
        highlight=False,
    )
    if "retention_days" in duties:
        console.print(t("duty.retention_features", days=duties["retention_days"]), highlight=False)


def report_claims(rows: list[Any], duties: dict[str, int], out: Path) -> None:
    """What claims and client claims print: the same lines."""
    show_invalid([r.detail for r in rows], out, header="claims.invalid_header")
    counts = {s: sum(r.status == s for r in rows) for s in CLAIM_STATUSES}
    console.print(t("claims.done", path=out, **counts), highlight=False)
    if "retention_days" in duties:
        console.print(t("duty.retention_claims", days=duties["retention_days"]), highlight=False)


CLAIM_STATUSES = ("verified", "mismatch", "not_found", "invalid", "no_consent")


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

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        if self.temp is not None:
            shutil.rmtree(self.temp, ignore_errors=True)
            from connectors.quality import NoUsableData

            if isinstance(exc, NoUsableData):
                # its report was in the folder just removed: do not name it
                raise exc.report_not_kept() from None


# Options several commands share, declared once (Typer reads the Annotated metadata).
SpaceUrl = Annotated[str, typer.Option("--space", help="The space's URL.")]
ApiKeyFile = Annotated[
    Path, typer.Option("--api-key-file", help="File holding this participant's API key."), INPUT
]
AsOf = Annotated[str, typer.Option("--as-of", help="Evaluation date, YYYY-MM-DD.")]
AllowFuture = Annotated[
    bool,
    typer.Option(
        "--allow-future",
        help="Accept an --as-of after today (China time); refused otherwise, as a likely typo.",
    ),
]
Purpose = Annotated[str, typer.Option("--purpose", help="Purpose of use.")]
# Options an embedded command and its HTTP twin (client ...) share, declared once.
Applicants = Annotated[
    Path,
    typer.Option("--applicants", help="The insurer's batch: applicant_ref,person_id."),
    INPUT,
]
Companies = Annotated[
    Path, typer.Option("--applicants", help="The bank's batch: company_ref,company_id."), INPUT
]
ScoresOut = Annotated[Path, typer.Option("--out", help="Where to write scores.csv."), OUTPUT]
FeaturesOut = Annotated[Path, typer.Option("--out", help="Where to write features.csv."), OUTPUT]
ClaimsFile = typer.Option(
    "--claims",
    help="The insurer's claims: claim_ref,person_id,hospital_id,visit_date,"
    "visit_type,claimed_amount,icd10 (visit_type and icd10 may be empty).",
)
ClaimOutputs = Annotated[
    str | None,
    typer.Option(
        "--outputs",
        help="Comma-separated outputs: visit_found, billed_total, within_bill, dx_match, "
        "inpatient_days (default: all the policies allow).",
    ),
]
ClaimsConsentRefs = Annotated[
    list[str] | None,
    typer.Option(
        "--consent-ref",
        help="Evidence reference of the claimants' consent (repeatable); "
        "a policy with consent_required needs one.",
    ),
]
Features = Annotated[
    str | None,
    typer.Option("--features", help="Comma-separated features (default: all the policies allow)."),
]


def feature_list(features: str | None) -> list[str] | None:
    return [f.strip() for f in features.split(",") if f.strip()] if features else None


Suite = Annotated[
    str,
    typer.Option(
        "--suite",
        help="Crypto suite of the space: default (SHA-256, Ed25519, X25519) or "
        "gm (SM3, SM2, SM4); fixed when the space is created.",
    ),
]
LOOKUP_ENGINES = ("direct_lookup", "blind_lookup")


def _lookup_engine(value: str | None) -> str | None:
    if value is not None and value not in LOOKUP_ENGINES:
        raise typer.BadParameter(t("err.base.cli.engine_choice", choices=", ".join(LOOKUP_ENGINES)))
    return value


# None: the engine the published policies choose (the blind lookup when an
# owner's policy requires it), else the product's own.
LookupEngine = Annotated[
    str | None,
    typer.Option(
        "--engine",
        help="direct_lookup or blind_lookup (the insurer learns each score and not "
        "whether a provider holds the applicant); default: the one the policies choose.",
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
    INPUT,
]
EmbeddedWorkdir = Annotated[
    Path | None,
    typer.Option("--workdir", help="Keep the space and nodes here (default: a temporary folder)."),
    OUTPUT,
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
