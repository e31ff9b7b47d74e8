"""Generated data for every lookup role, loaded into node stores (feature tests)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from connectors.base import LoadOptions, get_connector
from connectors.node_store import NodeStore
from trusted_space.synth import generate_health, generate_tenders

AS_OF = dt.date(2026, 10, 31)
# Every (product, role) that computes features per subject.
ROLES = [
    ("underwriting_score", "hospital"),
    ("underwriting_score", "cdc"),
    ("tender_lending_features", "centre"),
]

Sources = dict[str, tuple[str, list[Path]]]


def role_sources(data: Path, people: int, companies: int, seed: int) -> Sources:
    """Generate hospital, CDC and tender data under ``data``: role -> (connector, files)."""
    generate_health(people, seed, data / "health", applicants=10, end_date=AS_OF)
    generate_tenders(companies, seed, data / "tenders", applicants=10, end_date=AS_OF)
    return {
        "hospital": ("csv", [data / "health" / "hospital_visits.csv"]),
        "cdc": (
            "csv",
            [
                data / "health" / "cdc_case_reports.csv",
                data / "health" / "cdc_chronic_registry.csv",
            ],
        ),
        "centre": ("ocds", sorted((data / "tenders" / "centre_a").glob("*.json"))),
    }


def load_nodes(sources: Sources, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One node folder per role, its sources loaded: role -> folder."""
    out = {}
    for role, (kind, paths) in sources.items():
        out[role] = tmp_path_factory.mktemp(role)
        with NodeStore(out[role]) as store:
            get_connector(kind).load(paths, store, LoadOptions())
    return out
