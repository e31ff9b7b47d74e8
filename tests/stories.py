"""Shared steps of the end-to-end stories: run a product on tspace synth files,
load them into an embedded deployment's providers, and re-sign a ledger
export as someone holding a signing key could."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from connectors.base import LoadOptions
from products.underwriting.runner import UnderwritingRun, run_underwriting
from trusted_space.core.canonical_json import canonical_json
from trusted_space.crypto import CryptoSuite, SigningKey
from trusted_space.demo import default_model_path
from trusted_space.embedded import EmbeddedDeployment
from trusted_space.hazmat.paillier import TEST_ONLY_PAILLIER_1024

AS_OF = dt.date(2026, 10, 31)


def underwrite_synth(data: Path, workdir: Path, **kw: Any) -> UnderwritingRun:
    """The underwriting job on the files ``generate_health`` wrote to ``data``."""
    options: dict[str, Any] = {
        "model": default_model_path(),
        "as_of": AS_OF,
        "out": None,
        "paillier_preset": TEST_ONLY_PAILLIER_1024,
        **kw,
    }
    return run_underwriting(
        workdir=workdir,
        hospital=[data / "hospital_visits.csv"],
        cdc_reports=[data / "cdc_case_reports.csv"],
        cdc_registry=[data / "cdc_chronic_registry.csv"],
        applicants=data / "applicants.csv",
        **options,
    )


def offer_health(dep: EmbeddedDeployment, data: Path) -> None:
    """The hospital and the CDC of ``dep`` load tspace synth health files and
    offer their datasets."""
    dep.provider("hospital").load("csv", [data / "hospital_visits.csv"], LoadOptions())
    dep.provider("cdc").load(
        "csv", [data / "cdc_case_reports.csv", data / "cdc_chronic_registry.csv"], LoadOptions()
    )
    for provider in dep.providers.values():
        provider.offer_datasets()


def resign(entries: list[dict[str, Any]], suite: CryptoSuite, key: SigningKey, start: int) -> None:
    """Recompute hashes, chain and signatures of ledger entries from number
    ``start`` on: what a holder of ``key`` can forge, so only what it cannot
    sign for (the space's key, a node's signature, a checkpoint) stays wrong."""
    for i in range(start - 1, len(entries)):
        e = entries[i]
        if i:
            e["prev"] = entries[i - 1]["hash"]
        body = {k: e[k] for k in ("seq", "time", "actor", "kind", "job_id", "details", "prev")}
        digest = suite.hash(canonical_json(body))
        e["hash"], e["signature"] = digest.hex(), key.sign(digest).hex()


def underwriting_reference(data: Path) -> list[Any]:
    """The plaintext DuckDB scores of the same files (products/underwriting/reference.py)."""
    from products.underwriting.reference import reference_scores

    return reference_scores(
        hospital=data / "hospital_visits.csv",
        reports=data / "cdc_case_reports.csv",
        registry=data / "cdc_chronic_registry.csv",
        applicants=data / "applicants.csv",
        model=default_model_path(),
        as_of=AS_OF,
    )


# A small cohort query whose cells every generated population fills.
DIABETES_BY_SEX: dict[str, Any] = {
    "hospital": {"cohort": "inpatients", "from": "2025-01-01", "to": "2026-06-30"},
    "cdc": {"cohort": "chronic_registry", "condition": "diabetes"},
    "measures": ["count", "sum_cost"],
    "group_by": ["sex"],
    "min_count": 0,
}


def cohort_synth(
    data: Path, workdir: Path, query: dict[str, Any] | None = None, **kw: Any
) -> tuple[Any, Path]:
    """The cohort job on ``generate_health`` files; returns the run and the query file."""
    import yaml

    from products.cohort.runner import run_cohort

    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "query.yaml"
    path.write_text(yaml.safe_dump(query or DIABETES_BY_SEX), encoding="utf-8")
    options: dict[str, Any] = {"paillier_preset": TEST_ONLY_PAILLIER_1024, **kw}
    run = run_cohort(
        workdir=workdir,
        hospital=[data / "hospital_visits.csv"],
        cdc_reports=[data / "cdc_case_reports.csv"],
        cdc_registry=[data / "cdc_chronic_registry.csv"],
        query=path,
        out=workdir / "cells.csv",
        **options,
    )
    return run, path


def cohort_reference(data: Path, query: Path) -> list[dict[str, Any]]:
    """The plain DuckDB join of the same files (products/cohort/reference.py)."""
    from products.cohort.query import load_query
    from products.cohort.reference import reference_cells

    return reference_cells(
        load_query(query),
        hospital=data / "hospital_visits.csv",
        reports=data / "cdc_case_reports.csv",
        registry=data / "cdc_chronic_registry.csv",
    )
