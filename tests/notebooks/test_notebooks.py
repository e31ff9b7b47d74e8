"""Every notebook runs top to bottom in a fresh kernel (nbclient) without an
error: each checks its own results against the plaintext references with
asserts. Executed copies go to test-artifacts/notebooks/ for reading."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
ARTIFACTS = Path(os.environ.get("TSPACE_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "notebooks"
EXPECTED = {
    "bank_lending",
    "cohort_statistics",
    "insurer_underwriting",
    "provider_onboarding",
    "steward_policies",
}


def test_the_five_user_stories_are_there() -> None:
    assert {p.stem for p in NOTEBOOKS} == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the kernel's work folders land here
    book = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in book.cells if c.cell_type == "code"), (
        "commit notebooks without outputs; CI executes them"
    )
    client = NotebookClient(
        book,
        timeout=120,  # per cell; each notebook takes well under two minutes in all
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        client.execute()
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        nbformat.write(book, ARTIFACTS / path.name)
    images = sum(
        1
        for c in book.cells
        for o in c.get("outputs", [])
        if "image/png" in o.get("data", {})
    )
    assert images >= 1, "each story shows at least one plot"
