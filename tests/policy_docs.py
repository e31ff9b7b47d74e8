"""Example policies re-dated to be valid today, for tests that run any day."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]


def dated(file: str, **changes: Any) -> dict[str, Any]:
    """policies/examples/FILE, valid from a month ago for a year."""
    doc: dict[str, Any] = yaml.safe_load((ROOT / "policies" / "examples" / file).read_text("utf-8"))
    today = dt.date.today()
    doc["valid_from"] = (today - dt.timedelta(days=30)).isoformat()
    doc["valid_until"] = (today + dt.timedelta(days=365)).isoformat()
    doc.update(changes)
    return doc


def dated_example(name: str, **changes: Any) -> dict[str, Any]:
    doc = dated(f"underwriting_score.{name}.yaml")
    doc["limits"]["batch"]["min"] = 1
    doc.update(changes)
    return doc


def joint_example(version: int = 1, **changes: Any) -> dict[str, Any]:
    """One policy for both owners' data: the hospital's and the CDC's examples merged."""
    doc = dated_example("hospital", id="joint-underwriting", version=version)
    cdc = dated_example("cdc")
    doc["owners"] = ["hospital", "cdc"]
    doc["columns"] = {**doc["columns"], **cdc["columns"]}
    doc["output"]["features"] = doc["output"]["features"] + cdc["output"]["features"]
    doc.update(changes)
    return doc


def exact_cohort_policy(name: str, min_count: int) -> dict[str, Any]:
    """The cohort example of ``name`` (hospital or cdc) with ``min_count``
    everywhere (the strictest applies) and no differential privacy: exact
    cells, so two runs can be compared byte for byte."""
    doc = dated(f"cohort_statistics.{name}.yaml")
    doc["output"]["min_count"] = min_count
    for column, klass in doc["columns"].items():
        if isinstance(klass, dict):
            doc["columns"][column] = {**klass, "min_count": min_count}
    del doc["privacy"]
    return doc


def exact_overlap_policy(name: str, min_count: int) -> dict[str, Any]:
    """The subject_overlap example of ``name`` (hospital or cdc) with
    ``min_count`` everywhere and no differential privacy: an exact count."""
    doc = dated(f"subject_overlap.{name}.yaml")
    doc["output"]["min_count"] = min_count
    for column, klass in doc["columns"].items():
        if isinstance(klass, dict):
            doc["columns"][column] = {**klass, "min_count": min_count}
    del doc["privacy"]
    return doc


def write_policy(folder: Path, name: str, doc: dict[str, Any]) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path
