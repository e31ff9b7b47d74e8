"""docs/cli.md and docs/rest-api.md are generated from the code; they must
be current (run ``python docs/reference.py`` after changing a command or a route)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _reference():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("docs_reference", ROOT / "docs" / "reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_references_are_current() -> None:
    reference = _reference()
    for name, make in reference.FILES.items():
        committed = (ROOT / "docs" / name).read_text(encoding="utf-8")
        assert committed == make(), f"docs/{name} is stale: run python docs/reference.py"


def test_every_command_and_route_is_documented() -> None:
    reference = _reference()
    cli, rest = reference.cli_markdown(), reference.rest_markdown()
    for command in ("tspace demo", "tspace ledger verify", "tspace consent import", "tspace serve"):
        assert f"## `{command}`" in cli
    for route in ("POST /v1/jobs", "GET /v1/tasks", "POST /v1/policies", "GET /v1/health"):
        assert f"## `{route}`" in rest
