"""Commands that run products: the demo, underwriting, lending, claims, cohorts and overlaps."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from trusted_space.cli.common import (
    INPUT,
    LOOKUP_ENGINES,
    OUTPUT,
    AllowFuture,
    ApiKeyFile,
    Applicants,
    AsOf,
    ClaimOutputs,
    ClaimsConsentRefs,
    ClaimsFile,
    Companies,
    ConsentRefs,
    EmbeddedWorkdir,
    Features,
    FeaturesOut,
    LookupEngine,
    Patience,
    Policies,
    Purpose,
    Ray,
    ScoresOut,
    SpaceUrl,
    Suite,
    bulk_progress,
    client_transport,
    console,
    err_console,
    errors,
    feature_list,
    parse_as_of,
    report_claims,
    report_features,
    report_scores,
    today,
    use_backend,
    warn_stale,
    workdir,
)
from trusted_space.core.errors import InputError
from trusted_space.core.i18n import t

if TYPE_CHECKING:
    from connectors.quality import QualityReport


@errors
def underwrite(
    hospital: Annotated[
        list[Path],
        typer.Option("--hospital", help="Hospital visits CSV (canonical columns)."),
        INPUT,
    ],
    cdc_reports: Annotated[
        list[Path], typer.Option("--cdc-reports", help="CDC case reports CSV."), INPUT
    ],
    cdc_registry: Annotated[
        list[Path], typer.Option("--cdc-registry", help="CDC chronic registry CSV."), INPUT
    ],
    applicants: Applicants,
    as_of: AsOf,
    out: ScoresOut,
    model: Annotated[
        Path | None,
        typer.Option("--model", help="The scoring model (JSON; default: the product's own)."),
        INPUT,
    ] = None,
    workdir_: EmbeddedWorkdir = None,
    policy: Policies = None,
    consumer: Annotated[
        str, typer.Option("--consumer", help="The insurer's participant id.")
    ] = "insurer",
    purpose: Purpose = "underwriting",
    consent_ref: ConsentRefs = None,
    suite: Suite = "default",
    ray: Ray = None,
    allow_future: AllowFuture = False,
    engine: LookupEngine = None,
) -> None:
    """核保评分: score an insurer's applicants against hospital and CDC data, privately."""
    day = parse_as_of(as_of, allow_future)
    use_backend(ray)
    from products.underwriting.runner import run_underwriting
    from trusted_space.demo import default_model_path

    with workdir(workdir_) as wd, bulk_progress():
        run = run_underwriting(
            workdir=wd,
            hospital=hospital,
            cdc_reports=cdc_reports,
            cdc_registry=cdc_registry,
            applicants=applicants,
            model=model or default_model_path(),
            as_of=day,
            out=out,
            purpose=purpose,
            consumer=consumer,
            policies=policy or [],
            consent_refs=consent_ref or [],
            suite=suite,
            engine=engine,
        )
        print_load_summaries(wd, run.quality, kept=workdir_ is not None)
    warn_stale(day, run.newest)
    report_scores(run.rows, run.duties, out, run.engine)


def _demo_engine(value: str) -> str:
    if value not in LOOKUP_ENGINES:
        raise typer.BadParameter(t("err.base.cli.engine_choice", choices=", ".join(LOOKUP_ENGINES)))
    return value


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
        OUTPUT,
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic data.")] = 2026,
    suite: Suite = "default",
    ray: Ray = None,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="blind_lookup (default: the insurer learns scores only) or direct_lookup "
            "(PSI: it also learns which applicants each provider holds).",
            callback=_demo_engine,
        ),
    ] = "blind_lookup",
) -> None:
    """演示: generate data, run the underwriting and fast-claims stories privately, check them
    against plaintext."""
    use_backend(ray)
    from trusted_space.demo import run_demo

    with workdir(workdir_) as wd:
        if workdir_ is None:
            console.print(t("demo.workdir_temp"), highlight=False)
        else:
            console.print(t("demo.workdir", path=wd), highlight=False)
        mismatches = run_demo(
            console,
            wd,
            people=people,
            applicants=applicants,
            seed=seed,
            suite=suite,
            engine=engine,
        )
    if mismatches:
        raise typer.Exit(1)


@errors
def lend(
    tenders: Annotated[
        list[Path],
        typer.Option("--tenders", help="One trading centre's OCDS file or folder (repeatable)."),
        INPUT,
    ],
    applicants: Companies,
    as_of: AsOf,
    out: FeaturesOut,
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
        INPUT,
    ] = None,
    features: Features = None,
    default_scheme: Annotated[
        list[str] | None,
        typer.Option(
            "--default-scheme",
            help="CENTRE=SCHEME: the scheme of ids a centre's publisher writes without one "
            "(as `tspace load --mapping` declares it; CENTRE is the node name tspace prints). "
            "Repeatable.",
        ),
    ] = None,
    suite: Suite = "default",
    ray: Ray = None,
    allow_future: AllowFuture = False,
) -> None:
    """信贷特征: a bank's bid-history features per company, from trading centres' OCDS data."""
    day = parse_as_of(as_of, allow_future)
    use_backend(ray)
    from products.lending.runner import run_lending

    with workdir(workdir_) as wd, bulk_progress():
        run = run_lending(
            workdir=wd,
            tenders=tenders,
            applicants=applicants,
            as_of=day,
            out=out,
            purpose=purpose,
            consumer=consumer,
            policies=policy or [],
            rates=rates,
            features=feature_list(features),
            default_schemes=scheme_pairs(default_scheme or []),
            suite=suite,
        )
        print_load_summaries(wd, run.quality, kept=workdir_ is not None)
    warn_stale(day, run.newest)
    report_features(run.rows, run.duties, out)


def scheme_pairs(values: list[str]) -> dict[str, str]:
    """``CENTRE=SCHEME`` options as a mapping; a malformed one is an input error."""
    from trusted_space.core.errors import InputError

    pairs: dict[str, str] = {}
    for value in values:
        centre, sep, scheme = value.partition("=")
        if not sep or not centre.strip() or not scheme.strip():
            raise InputError(t("lend.default_scheme_form", value=value))
        pairs[centre.strip()] = scheme.strip()
    return pairs


@errors
def claims(
    hospital: Annotated[
        list[Path],
        typer.Option(
            "--hospital",
            help="A hospital group's visits CSV (canonical columns; repeatable: one group "
            "may run several hospitals).",
        ),
        INPUT,
    ],
    claims_file: Annotated[Path, ClaimsFile, INPUT],
    out: Annotated[Path, typer.Option("--out", help="Where to write result.csv."), OUTPUT],
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Evaluation date, YYYY-MM-DD (default today, China time)."),
    ] = None,
    workdir_: EmbeddedWorkdir = None,
    policy: Policies = None,
    consumer: Annotated[
        str, typer.Option("--consumer", help="The insurer's participant id.")
    ] = "insurer",
    purpose: Purpose = "claims",
    consent_ref: ClaimsConsentRefs = None,
    outputs: ClaimOutputs = None,
    suite: Suite = "default",
    ray: Ray = None,
    allow_future: AllowFuture = False,
) -> None:
    """快速理赔: verify an insurer's claims against the hospital's records, privately."""
    day = parse_as_of(as_of, allow_future) if as_of else today()
    use_backend(ray)
    from products.claims.runner import run_claims

    with workdir(workdir_) as wd, bulk_progress():
        run = run_claims(
            workdir=wd,
            hospital=hospital,
            claims=claims_file,
            as_of=day,
            out=out,
            purpose=purpose,
            consumer=consumer,
            policies=policy or [],
            consent_refs=consent_ref or [],
            outputs=feature_list(outputs),
            suite=suite,
        )
        print_load_summaries(wd, run.quality, kept=workdir_ is not None)
    warn_stale(day, run.newest)
    report_claims(run.rows, run.duties, out)


@errors
def cohort(
    hospital: Annotated[
        list[Path],
        typer.Option("--hospital", help="Hospital visits CSV (canonical columns)."),
        INPUT,
    ],
    cdc_reports: Annotated[
        list[Path], typer.Option("--cdc-reports", help="CDC case reports CSV."), INPUT
    ],
    cdc_registry: Annotated[
        list[Path], typer.Option("--cdc-registry", help="CDC chronic registry CSV."), INPUT
    ],
    query: Annotated[Path, typer.Option("--query", help="The cohort query (YAML)."), INPUT],
    out: Annotated[Path, typer.Option("--out", help="Where to write result.csv."), OUTPUT],
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
        print_load_summaries(wd, run.quality, kept=workdir_ is not None)
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
    space: SpaceUrl,
    api_key_file: ApiKeyFile,
    purpose: Annotated[str, typer.Option("--purpose", help="Purpose of use.")] = "research",
    epsilon: Annotated[
        float | None,
        typer.Option(
            "--epsilon",
            min=0.001,
            help="Differential privacy: the space adds discrete Laplace noise with this epsilon "
            "to the count, under encryption (a policy may require it).",
        ),
    ] = None,
    hospital: Annotated[
        str | None,
        typer.Option(
            "--hospital", help="The hospital provider (default: the first that offers data)."
        ),
    ] = None,
    cdc: Annotated[
        str | None,
        typer.Option("--cdc", help="The CDC provider (default: the first that offers data)."),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="The day the count is recorded for, YYYY-MM-DD (default today)."
        ),
    ] = None,
    workdir: Annotated[
        Path,
        typer.Option("--workdir", help="The requester's node folder (keys, job files)."),
        OUTPUT,
    ] = Path(".tspace-client"),
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    patience: Patience = 60.0,
) -> None:
    """交集规模: how many people a hospital and a CDC both hold, and nothing else. Their
    two nodes run PSI cardinality between them through the space (the space relays
    blinded sets it cannot read); you get only the count, suppressed below the policy's
    minimum and noised when asked. Both files on one machine: `tspace overlap-local`."""
    import json

    from products.overlap.client import client_overlap

    day = parse_as_of(as_of, False) if as_of else today()
    chosen = {
        role: name for role, name in (("hospital", hospital), ("cdc", cdc)) if name is not None
    }
    if len(chosen) == 1:
        raise InputError(t("overlap.both_or_neither"))
    transport = client_transport(space, api_key_file, patience)
    try:
        outcome = client_overlap(
            transport,
            workdir=workdir,
            purpose=purpose,
            as_of=day,
            epsilon=epsilon,
            providers=chosen or None,
        )
    finally:
        transport.close()
    if as_json:
        print(
            json.dumps(
                {
                    "job_id": outcome.job_id,
                    "overlap": None if outcome.count is None else max(outcome.count, 0),
                    "status": outcome.status,
                    "privacy": outcome.privacy,
                    "duties": outcome.duties,
                }
            )
        )
        return
    if outcome.count is None:
        console.print(t("overlap.suppressed"), highlight=False)
    else:
        console.print(t("overlap.count", n=max(outcome.count, 0)), highlight=False)
    sd = outcome.privacy.get("noise_sd", {}).get("overlap")
    if sd is not None:
        console.print(
            t("overlap.noise", epsilon=outcome.privacy.get("epsilon"), sd=sd), highlight=False
        )


@errors
def overlap_local(
    a: Annotated[
        Path, typer.Argument(help="The first id file (CSV); plays the PSI client."), INPUT
    ],
    b: Annotated[
        Path, typer.Argument(help="The second id file (CSV); plays the PSI server."), INPUT
    ],
    column: Annotated[str, typer.Option("--column", help="The identifier column.")] = "person_id",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """交集规模（本地）: how many identifiers two files on this machine share, by PSI
    cardinality. A local mode: one process reads both files and runs both parties (PSI
    client and server), so it shows the protocol's output and protects nothing between
    two parties. Between two providers over a space: `tspace overlap`."""
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


def print_load_summaries(
    wd: Path, quality: Mapping[str, QualityReport], *, kept: bool = True
) -> None:
    """Each provider's load in one line: what a job ran on, and what it
    refused. ``kept``: whether the work folder outlives the command (without
    ``--workdir`` it is a temporary one, removed with the reports in it)."""
    for name, report in quality.items():
        path = wd / "nodes" / name / "quality" / "last_load.json" if kept else t("load.not_kept")
        console.print(report.summary(name, path), markup=False, highlight=False)
