"""Shared steps of the end-to-end stories: run a product on tspace synth files,
and re-sign a ledger export as someone holding a signing key could."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from products.underwriting.runner import UnderwritingRun, run_underwriting
from trusted_space.canonical_json import canonical_json
from trusted_space.crypto import CryptoSuite, SigningKey
from trusted_space.demo import default_model_path
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
