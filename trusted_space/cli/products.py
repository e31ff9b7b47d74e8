"""Commands that run products: the demo and the insurer's underwriting."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from trusted_space.cli.common import (
    AsOf,
    ConsentRefs,
    EmbeddedWorkdir,
    Policies,
    Purpose,
    Ray,
    Suite,
    console,
    err_console,
    errors,
    parse_date,
    use_backend,
    workdir,
)
from trusted_space.core.i18n import t


@errors
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
    as_of: AsOf,
    out: Annotated[Path, typer.Option("--out", help="Where to write scores.csv.")],
    workdir_: EmbeddedWorkdir = None,
    policy: Policies = None,
    consumer: Annotated[
        str, typer.Option("--consumer", help="The insurer's participant id.")
    ] = "insurer",
    purpose: Purpose = "underwriting",
    consent_ref: ConsentRefs = None,
    suite: Suite = "default",
    ray: Ray = None,
) -> None:
    """核保评分: score an insurer's applicants against hospital and CDC data, privately."""
    use_backend(ray)
    from products.underwriting.runner import run_underwriting

    with workdir(workdir_) as wd:
        run = run_underwriting(
            workdir=wd,
            hospital=hospital,
            cdc_reports=cdc_reports,
            cdc_registry=cdc_registry,
            applicants=applicants,
            model=model,
            as_of=parse_date(as_of),
            out=out,
            purpose=purpose,
            consumer=consumer,
            policies=policy or [],
            consent_refs=consent_ref or [],
            suite=suite,
        )
    scored = sum(r.status == "scored" for r in run.rows)
    console.print(
        t(
            "underwrite.done",
            path=out,
            scored=scored,
            invalid=sum(r.status == "invalid_id" for r in run.rows),
            no_consent=sum(r.status == "no_consent" for r in run.rows),
        ),
        highlight=False,
    )
    if "retention_days" in run.duties:
        console.print(t("duty.retention", days=run.duties["retention_days"]), highlight=False)


@errors
def demo(
    people: Annotated[
        int, typer.Option("--people", min=100, help="Synthetic population size.")
    ] = 200_000,
    applicants: Annotated[
        int | None,
        typer.Option(
            "--applicants", min=1, help="Applicants in the batch (default min(1000, people/10))."
        ),
    ] = None,
    workdir_: Annotated[
        Path | None,
        typer.Option(
            "--workdir", help="Keep data, space and nodes here (default: a temporary folder)."
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic data.")] = 2026,
    suite: Suite = "default",
    ray: Ray = None,
) -> None:
    """演示: generate data, run the underwriting story privately, check it against plaintext."""
    use_backend(ray)
    from trusted_space.demo import run_demo

    with workdir(workdir_) as wd:
        if workdir_ is None:
            console.print(t("demo.workdir_temp"), highlight=False)
        else:
            console.print(t("demo.workdir", path=wd), highlight=False)
        mismatches = run_demo(
            console, wd, people=people, applicants=applicants, seed=seed, suite=suite
        )
    if mismatches:
        raise typer.Exit(1)


@errors
def lend(
    tenders: Annotated[
        list[Path],
        typer.Option("--tenders", help="One trading centre's OCDS file or folder (repeatable)."),
    ],
    applicants: Annotated[
        Path, typer.Option("--applicants", help="The bank's batch: company_ref,company_id.")
    ],
    as_of: AsOf,
    out: Annotated[Path, typer.Option("--out", help="Where to write features.csv.")],
    workdir_: EmbeddedWorkdir = None,
    policy: Policies = None,
    consumer: Annotated[
        str, typer.Option("--consumer", help="The bank's participant id.")
    ] = "bank",
    purpose: Purpose = "credit",
    rates: Annotated[
        Path | None,
        typer.Option(
            "--rates", help="Currency rate table (currency,base_currency,rate); never guessed."
        ),
    ] = None,
    suite: Suite = "default",
    ray: Ray = None,
) -> None:
    """信贷特征: a bank's bid-history features per company, from trading centres' OCDS data."""
    use_backend(ray)
    from products.lending.runner import run_lending

    with workdir(workdir_) as wd:
        run = run_lending(
            workdir=wd,
            tenders=tenders,
            applicants=applicants,
            as_of=parse_date(as_of),
            out=out,
            purpose=purpose,
            consumer=consumer,
            policies=policy or [],
            rates=rates,
            suite=suite,
        )
    found = sum(r.status == "found" for r in run.rows)
    invalid = sum(r.status == "invalid_id" for r in run.rows)
    console.print(
        t(
            "lend.done",
            path=out,
            found=found,
            missing=len(run.rows) - found - invalid,
            invalid=invalid,
        ),
        highlight=False,
    )
    if "retention_days" in run.duties:
        console.print(t("duty.retention", days=run.duties["retention_days"]), highlight=False)


@errors
def cohort(
    hospital: Annotated[
        list[Path], typer.Option("--hospital", help="Hospital visits CSV (canonical columns).")
    ],
    cdc_reports: Annotated[list[Path], typer.Option("--cdc-reports", help="CDC case reports CSV.")],
    cdc_registry: Annotated[
        list[Path], typer.Option("--cdc-registry", help="CDC chronic registry CSV.")
    ],
    query: Annotated[Path, typer.Option("--query", help="The cohort query (YAML).")],
    out: Annotated[Path, typer.Option("--out", help="Where to write result.csv.")],
    workdir_: EmbeddedWorkdir = None,
    policy: Policies = None,
    consumer: Annotated[
        str, typer.Option("--consumer", help="The requester's participant id.")
    ] = "analyst",
    purpose: Annotated[str, typer.Option("--purpose", help="Purpose of use.")] = "research",
    suite: Suite = "default",
    ray: Ray = None,
) -> None:
    """人群统计: counts and sums over a hospital cohort x CDC cohort, with suppression and DP."""
    use_backend(ray)
    from products.cohort.runner import run_cohort

    with workdir(workdir_) as wd:
        run = run_cohort(
            workdir=wd,
            hospital=hospital,
            cdc_reports=cdc_reports,
            cdc_registry=cdc_registry,
            query=query,
            out=out,
            purpose=purpose,
            consumer=consumer,
            policies=policy or [],
            suite=suite,
        )
    suppressed = sum(r["status"] == "suppressed" for r in run.rows)
    console.print(
        t("cohort.done", path=out, cells=len(run.rows), suppressed=suppressed), highlight=False
    )
    privacy = run.privacy
    if privacy.get("epsilon"):
        console.print(
            t(
                "cohort.privacy",
                epsilon=privacy["epsilon"],
                spent=privacy.get("spent", privacy["epsilon"]),
                remaining=privacy.get("remaining", "-"),
            ),
            highlight=False,
        )
    from products.cohort.noise import noise_lines

    for line in noise_lines(run.rows, privacy):
        console.print(line, markup=False, highlight=False)


@errors
def overlap(
    a: Annotated[Path, typer.Argument(help="The first id file (CSV); plays the PSI client.")],
    b: Annotated[Path, typer.Argument(help="The second id file (CSV); plays the PSI server.")],
    column: Annotated[str, typer.Option("--column", help="The identifier column.")] = "person_id",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """交集规模: how many identifiers two files share, by PSI cardinality (nothing else)."""
    import json

    from trusted_space.overlap import overlap as psi_overlap
    from trusted_space.overlap import read_ids

    first, second = read_ids(a, column), read_ids(b, column)
    n = psi_overlap(first.ids, second.ids)
    if as_json:
        print(
            json.dumps(
                {"overlap": n, "invalid_rows": {str(a): first.invalid, str(b): second.invalid}}
            )
        )
        return
    console.print(t("overlap.done", n=n), highlight=False)
    for path, f in ((a, first), (b, second)):
        if f.invalid:
            err_console.print(
                t("overlap.invalid", path=path, n=len(f.invalid), rows=f.invalid[:10]),
                highlight=False,
            )
