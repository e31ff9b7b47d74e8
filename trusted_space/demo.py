"""``tspace demo``: the underwriting and fast-claims stories on generated data, checked.

Generates a population, runs the private job through the embedded space,
recomputes every score in plaintext DuckDB and compares them. Prints the
applicants, matches per provider, bands, time per stage and peak memory.
Then verifies a generated claims file against the same hospital, privately
and in plaintext, and compares every claim's answer.
"""

from __future__ import annotations

import datetime as dt
import resource
import sys
from collections import Counter
from importlib import resources
from pathlib import Path

from rich.console import Console
from rich.table import Table

from products.claims.reference import reference_claims
from products.claims.runner import run_claims
from products.score_model import ScoreModel
from products.underwriting.reference import reference_scores
from products.underwriting.runner import ScoreRow, run_underwriting
from trusted_space.bulk import parallel
from trusted_space.core.i18n import MESSAGES, t
from trusted_space.core.progress import stage_progress
from trusted_space.core.timing import watching
from trusted_space.synth import generate_claims, generate_health

AS_OF = dt.date(2026, 10, 31)
TOLERANCE = 1e-6


def default_model_path() -> Path:
    """The embedded default underwriting model (products/underwriting/default_model.json)."""
    return Path(str(resources.files("products.underwriting").joinpath("default_model.json")))


def compare(private: list[ScoreRow], reference: list[ScoreRow]) -> list[str]:
    """Every difference between the private rows and the reference rows."""
    problems: list[str] = []
    if len(private) != len(reference):
        return [f"{len(private)} rows against {len(reference)} in the reference"]
    for p, r in zip(private, reference, strict=True):
        if (p.applicant_ref, p.status, p.band) != (r.applicant_ref, r.status, r.band):
            problems.append(f"{p.applicant_ref}: {p.status}/{p.band} against {r.status}/{r.band}")
        elif (
            p.score is not None
            and r.score is not None
            and abs(float(p.score - r.score)) > TOLERANCE
        ):
            problems.append(f"{p.applicant_ref}: score {p.score} against {r.score}")
    return problems


def run_demo(
    console: Console,
    workdir: Path,
    *,
    people: int,
    applicants: int | None,
    seed: int,
    suite: str = "default",
) -> int:
    """Run the demo; return the number of mismatches (0 on success)."""
    console.rule(t("demo.title"))
    data = workdir / "data"
    batch = applicants if applicants is not None else max(1, min(1000, people // 10))
    model_path = default_model_path()
    with stage_progress(console) as progress:
        generate_health(people, seed, data, applicants=batch, end_date=AS_OF, progress=progress)

        def stage_bar(name: str, done: int, total: int) -> None:
            key = f"stage.{name}"
            progress(t(key) if key in _known_stages() else name, done, total)

        def bulk_bar(label: str, done: int, total: int) -> None:
            key = f"progress.{label}"
            progress(t(key) if key in MESSAGES else label, done, total)

        with watching(stage_bar), parallel.reporting(bulk_bar):
            run = run_underwriting(
                workdir=workdir,
                hospital=[data / "hospital_visits.csv"],
                cdc_reports=[data / "cdc_case_reports.csv"],
                cdc_registry=[data / "cdc_chronic_registry.csv"],
                applicants=data / "applicants.csv",
                model=model_path,
                as_of=AS_OF,
                out=workdir / "scores.csv",
                suite=suite,
            )
        progress(t("stage.reference"), 0, 1)
        reference = reference_scores(
            hospital=data / "hospital_visits.csv",
            reports=data / "cdc_case_reports.csv",
            registry=data / "cdc_chronic_registry.csv",
            applicants=data / "applicants.csv",
            as_of=AS_OF,
            model=model_path,
        )
        progress(t("stage.reference"), 1, 1)
    problems = compare(run.rows, reference)

    summary = Table(t("table.item"), t("table.value"))
    summary.add_row(t("summary.people"), f"{people:,}")
    summary.add_row(t("summary.applicants"), f"{len(run.rows):,}")
    summary.add_row(t("summary.invalid"), f"{sum(r.status == 'invalid_id' for r in run.rows):,}")
    for provider, n in run.matched.items():
        summary.add_row(t("summary.matched", provider=provider), f"{n:,}")
    for provider, report in run.quality.items():
        summary.add_row(t("summary.rejected", provider=provider), f"{report.rows_rejected:,}")
    worker_mib = parallel.worker_peak_mib()
    summary.add_row(t("summary.peak_memory"), f"{_peak_mib():,.0f} MiB")
    if worker_mib:
        summary.add_row(t("summary.peak_memory_workers"), f"{worker_mib:,.0f} MiB")
    console.print(summary)

    bands = Table(t("table.band"), t("table.count"))
    counts = Counter(r.band for r in run.rows if r.band is not None)
    for label, _bound in ScoreModel.load(model_path).bands:
        bands.add_row(label, f"{counts.get(label, 0):,}")
    console.print(bands)

    stages = Table(t("table.stage"), t("table.seconds"))
    for name, seconds in run.seconds.items():
        key = f"stage.{name}"
        stages.add_row(t(key) if key in _known_stages() else name, f"{seconds:.2f}")
    console.print(stages)

    scored = sum(r.status == "scored" for r in run.rows)
    if problems:
        console.print(f"[red]{t('check.mismatch', n=len(problems))}[/red]")
        for line in problems[:20]:
            console.print(f"  {line}", markup=False)
    else:
        console.print(f"[green]{t('check.ok', n=scored, tol=TOLERANCE)}[/green]")
    return len(problems) + claims_step(
        console, workdir, data, people=people, seed=seed, suite=suite
    )


def claims_step(
    console: Console, workdir: Path, data: Path, *, people: int, seed: int, suite: str
) -> int:
    """Fast claims on the same hospital data: a generated claims file verified
    privately, then in plaintext; the number of claims that differ."""
    console.rule(t("demo.claims_title"))
    count = max(1, min(500, people // 20))
    with stage_progress(console) as progress:
        progress(t("stage.synth"), 0, 1)
        generate_claims(data / "hospital_visits.csv", data / "claims.csv", count, seed)
        progress(t("stage.synth"), 1, 1)
        run = run_claims(
            workdir=workdir,
            hospital=[data / "hospital_visits.csv"],
            claims=data / "claims.csv",
            as_of=AS_OF,
            out=workdir / "claims_result.csv",
            suite=suite,
        )
        progress(t("stage.reference"), 0, 1)
        reference = reference_claims(
            hospital=[data / "hospital_visits.csv"],
            claims=data / "claims.csv",
            as_of=AS_OF,
            outputs=run.outputs,
        )
        progress(t("stage.reference"), 1, 1)
    statuses = Table(t("table.status"), t("table.claims"))
    counts = Counter(r.status for r in run.rows)
    for status in ("verified", "mismatch", "not_found", "invalid", "no_consent"):
        statuses.add_row(status, f"{counts.get(status, 0):,}")
    console.print(statuses)
    differ = [
        f"{p.claim_ref}: {p.cells(run.outputs)[1:]} against {r.cells(run.outputs)[1:]}"
        for p, r in zip(run.rows, reference, strict=True)
        if p.cells(run.outputs) != r.cells(run.outputs)
    ]
    if len(run.rows) != len(reference):
        differ.append(f"{len(run.rows)} claims against {len(reference)} in the reference")
    if differ:
        console.print(f"[red]{t('check.claims_mismatch', n=len(differ))}[/red]")
        for line in differ[:20]:
            console.print(f"  {line}", markup=False)
    else:
        console.print(f"[green]{t('check.claims_ok', n=len(run.rows))}[/green]")
    return len(differ)


def _known_stages() -> set[str]:
    return {k for k in MESSAGES if k.startswith("stage.")}


def _peak_mib() -> float:
    """Peak resident memory of this process."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return own / (1024 * 1024) if sys.platform == "darwin" else own / 1024
