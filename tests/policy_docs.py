"""Example policies re-dated to be valid today, for tests that run any day."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]


def dated_example(name: str, **changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(
        (ROOT / "policies" / "examples" / f"underwriting_score.{name}.yaml").read_text("utf-8")
    )
    today = dt.date.today()
    doc["valid_from"] = (today - dt.timedelta(days=30)).isoformat()
    doc["valid_until"] = (today + dt.timedelta(days=365)).isoformat()
    doc["limits"]["batch"]["min"] = 1
    doc.update(changes)
    return doc


def write_policy(folder: Path, name: str, doc: dict[str, Any]) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path
