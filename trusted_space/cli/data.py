"""Commands for providers' data engineers: load sources, generate data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from trusted_space.cli.common import INPUT, OUTPUT, PathRole, bulk_progress, console, errors
from trusted_space.core.errors import row_label
from trusted_space.core.i18n import recognised, t

# Reasons of rejected rows that `tspace load` prints (the report has them all).
REASONS_SHOWN = 10


@errors
def load(
    kind: Annotated[
        str, typer.Argument(help="Source kind: csv, parquet, duckdb, synthea, fhir, hl7v2 or ocds.")
    ],
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to load."), INPUT],
    node_dir: Annotated[
        Path, typer.Option("--node-dir", help="The provider node's folder."), OUTPUT
    ],
    mapping: Annotated[
        Path | None,
        typer.Option("--mapping", help="Column mapping (YAML or JSON) to a canonical table."),
        INPUT,
    ] = None,
    id_map: Annotated[
        str | None,
        typer.Option("--id-map", help="CSV of source_id,person_id, or 'pseudonymous' (demo ids)."),
        PathRole("input", path_of=lambda v: None if v == "pseudonymous" else v),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option("--report", help="Where to write the JSON quality report."),
        OUTPUT,
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace the target tables instead of adding rows.")
    ] = False,
) -> None:
    """加载数据: load a source into a node's canonical tables and report its quality."""
    from connectors.base import LoadOptions, load_source
    from connectors.quality import EXIT_NOTHING_LOADED, Rejection

    with bulk_progress():
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
    unreadable = [r for r in result.rejections if r.row is None]
    if unreadable:
        console.print(t("load.files_rejected", n=len(unreadable)), highlight=False)
        for r in unreadable:
            console.print(f"  {r.file}: {recognised(r.reason)}", markup=False, highlight=False)
    rows = [r for r in result.rejections if r.row is not None]
    # By reason, the commonest first: a provider acts on reasons (declare a
    # scheme, map a class), and the first ten rows hid every reason below them.
    by_reason: dict[str, list[Rejection]] = {}
    for r in rows:
        by_reason.setdefault(str(r.reason), []).append(r)
    if rows:
        console.print(t("load.rows_rejected", n=len(rows), reasons=len(by_reason)), highlight=False)
    ranked = sorted(by_reason.items(), key=lambda kv: -len(kv[1]))
    for reason, group in ranked[:REASONS_SHOWN]:
        first = group[0]
        assert first.row is not None
        field = first.field or t("err.connectors.load.record")
        where = t(
            "err.connectors.load.where",
            file=first.file,
            row=row_label(first.file, first.row),
            field=field,
        )
        # The report keeps the reason in English; the terminal says it in the reader's language.
        console.print(f"  {len(group)} × {recognised(reason)}", markup=False, highlight=False)
        console.print("    " + t("load.first_at", where=where), markup=False, highlight=False)
    if len(ranked) > REASONS_SHOWN:
        console.print(t("load.more_reasons", n=len(ranked) - REASONS_SHOWN), highlight=False)
    for warning in result.warnings:
        console.print(f"  ! {recognised(warning)}", markup=False, highlight=False)
    if result.rows_loaded == 0 and result.rows_merged == 0:
        console.print(t("load.nothing", code=EXIT_NOTHING_LOADED), highlight=False)
        raise typer.Exit(EXIT_NOTHING_LOADED)


@errors
def synth(
    people: Annotated[
        int, typer.Option("--people", min=1, help="Size of the synthetic population.")
    ] = 10_000,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed; the same seed writes the same files.")
    ] = 2026,
    out: Annotated[Path, typer.Option("--out", help="Folder for the CSV files."), OUTPUT] = Path(
        "synth"
    ),
    applicants: Annotated[
        int | None,
        typer.Option(
            "--applicants",
            min=1,
            help="Applicants in the insurer's batch (default min(1000, people)).",
        ),
    ] = None,
    companies: Annotated[
        int | None,
        typer.Option(
            "--companies",
            min=100,
            help="Companies bidding at the trading centres (default max(200, people/20)).",
        ),
    ] = None,
    claims: Annotated[
        int | None,
        typer.Option(
            "--claims",
            min=1,
            help="Claims in the insurer's claims file (default min(500, people)).",
        ),
    ] = None,
) -> None:
    """生成模拟数据: write every canonical table as CSV, and OCDS for two trading centres.

    OUT holds hospital_visits.csv, cdc_case_reports.csv, cdc_chronic_registry.csv,
    applicants.csv and claims.csv (an insurer's claims: honest, inflated, misdated,
    unknown and invalid); OUT/tenders holds centre_a/ and centre_b/ (OCDS release
    packages) and bank_applicants.csv. The same seed writes the same files."""
    from trusted_space.core.progress import stage_progress
    from trusted_space.synth import generate_claims, generate_health, generate_tenders

    with stage_progress(console) as progress:
        health = generate_health(people, seed, out, applicants=applicants, progress=progress)
        generate_tenders(
            companies or max(200, people // 20), seed, out / "tenders", progress=progress
        )
    made = generate_claims(
        health.paths["hospital_visits"], out / "claims.csv", claims or min(500, people), seed
    )
    console.print(t("synth.done", path=out), highlight=False)
    mix = ", ".join(f"{kind} {n}" for kind, n in made.mix.items())
    console.print(t("synth.claims", n=made.rows, path=made.path, mix=mix), highlight=False)
