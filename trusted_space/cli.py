"""The ``tspace`` command line.

Every command has ``--help``. Errors tspace raises on purpose print one clear
line (naming file, row and field where there is one) and exit with status 2;
a demo whose private result differs from the plaintext reference exits 1.
Heavy modules are imported inside commands so ``tspace --help`` stays fast.
"""

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

from trusted_space import __version__
from trusted_space.errors import TspaceError
from trusted_space.i18n import LANGUAGES, set_language, t

app = typer.Typer(
    name="tspace",
    help="tspace: a privacy-preserving trusted data space (可信数据空间). "
    "Providers keep their rows; the space joins them with PSI and Paillier "
    "encryption; consumers receive only product outputs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


def _errors(fn: F) -> F:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TspaceError as exc:
            err_console.print(t("error", message=exc), markup=False, highlight=False)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        console.print(f"tspace {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help=f"Console language: {' or '.join(LANGUAGES)} (default zh-CN, or TSPACE_LANG).",
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    try:
        set_language(lang)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date in YYYY-MM-DD form") from None


@app.command()
@_errors
def load(
    kind: Annotated[
        str, typer.Argument(help="Source kind: csv, parquet, duckdb, synthea, fhir or hl7v2.")
    ],
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to load.")],
    node_dir: Annotated[Path, typer.Option("--node-dir", help="The provider node's folder.")],
    mapping: Annotated[
        Path | None,
        typer.Option("--mapping", help="Column mapping (YAML or JSON) to a canonical table."),
    ] = None,
    id_map: Annotated[
        str | None,
        typer.Option("--id-map", help="CSV of source_id,person_id, or 'pseudonymous' (demo ids)."),
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Where to write the JSON quality report.")
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace the target tables instead of adding rows.")
    ] = False,
) -> None:
    """加载数据: load a source into a node's canonical tables and report its quality."""
    from connectors.base import LoadOptions, load_source

    result = load_source(kind, paths, node_dir, LoadOptions(mapping, id_map, replace))
    target = report or node_dir / "quality" / f"load-{dt.datetime.now():%Y%m%dT%H%M%S}.json"
    result.write(target)
    console.print(
        t(
            "load.done",
            read=result.rows_read,
            loaded=result.rows_loaded,
            rejected=result.rows_rejected,
            report=target,
        ),
        highlight=False,
    )
    for r in result.rejections[:10]:
        console.print(
            f"  {r.file}, row {r.row}, {r.field}: {r.reason}", markup=False, highlight=False
        )
    if len(result.rejections) > 10:
        console.print(f"  … {len(result.rejections) - 10} more in the report", highlight=False)


@app.command()
@_errors
def synth(
    people: Annotated[
        int, typer.Option("--people", min=1, help="Size of the synthetic population.")
    ] = 10_000,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed; the same seed writes the same files.")
    ] = 2026,
    out: Annotated[Path, typer.Option("--out", help="Folder for the CSV files.")] = Path("synth"),
    applicants: Annotated[
        int | None,
        typer.Option(
            "--applicants",
            min=1,
            help="Applicants in the insurer's batch (default min(1000, people)).",
        ),
    ] = None,
) -> None:
    """生成模拟数据: write every canonical table as CSV, from a seed."""
    from trusted_space.progress import stage_progress
    from trusted_space.synth import generate_health

    with stage_progress(console) as progress:
        generate_health(people, seed, out, applicants=applicants, progress=progress)
    console.print(t("synth.done", path=out), highlight=False)


@app.command()
@_errors
def underwrite(
    hospital: Annotated[
        list[Path], typer.Option("--hospital", help="Hospital visits CSV (canonical columns).")
    ],
    cdc_reports: Annotated[list[Path], typer.Option("--cdc-reports", help="CDC case reports CSV.")],
    cdc_registry: Annotated[
        list[Path], typer.Option("--cdc-registry", help="CDC chronic registry CSV.")
    ],
    applicants: Annotated[
        Path, typer.Option("--applicants", help="The insurer's batch: applicant_ref,person_id.")
    ],
    model: Annotated[Path, typer.Option("--model", help="The approved scoring model (JSON).")],
    as_of: Annotated[str, typer.Option("--as-of", help="Evaluation date, YYYY-MM-DD.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write scores.csv.")],
    workdir: Annotated[
        Path | None,
        typer.Option(
            "--workdir", help="Keep the space and nodes here (default: a temporary folder)."
        ),
    ] = None,
    purpose: Annotated[str, typer.Option("--purpose", help="Purpose of use.")] = "underwriting",
    suite: Annotated[str, typer.Option("--suite", help="Crypto suite of the space.")] = "default",
) -> None:
    """核保评分: score an insurer's applicants against hospital and CDC data, privately."""
    from products.underwriting.runner import run_underwriting

    with _workdir(workdir) as wd:
        run = run_underwriting(
            workdir=wd,
            hospital=hospital,
            cdc_reports=cdc_reports,
            cdc_registry=cdc_registry,
            applicants=applicants,
            model=model,
            as_of=_date(as_of),
            out=out,
            purpose=purpose,
            suite=suite,
        )
    scored = sum(r.status == "scored" for r in run.rows)
    console.print(
        t("underwrite.done", path=out, scored=scored, invalid=len(run.rows) - scored),
        highlight=False,
    )


@app.command()
@_errors
def demo(
    people: Annotated[
        int, typer.Option("--people", min=100, help="Synthetic population size.")
    ] = 20_000,
    applicants: Annotated[
        int | None,
        typer.Option(
            "--applicants", min=1, help="Applicants in the batch (default min(1000, people/10))."
        ),
    ] = None,
    workdir: Annotated[
        Path | None,
        typer.Option(
            "--workdir", help="Keep data, space and nodes here (default: a temporary folder)."
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic data.")] = 2026,
) -> None:
    """演示: generate data, run the underwriting story privately, check it against plaintext."""
    from trusted_space.demo import run_demo

    with _workdir(workdir) as wd:
        if workdir is None:
            console.print(t("demo.workdir_temp"), highlight=False)
        else:
            console.print(t("demo.workdir", path=wd), highlight=False)
        mismatches = run_demo(console, wd, people=people, applicants=applicants, seed=seed)
    if mismatches:
        raise typer.Exit(1)


class _workdir:
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


def main() -> None:
    app(prog_name="tspace")


if __name__ == "__main__":
    main()
