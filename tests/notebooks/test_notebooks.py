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
        1 for c in book.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})
    )
    assert images >= 1, "each story shows at least one plot"


def test_onboarding_says_when_the_real_fixtures_are_absent(tmp_path: Path) -> None:
    """A reader's clone without ../shared/data/real is told the real-data part
    was skipped, in the notebook's output, not left with an empty table."""
    path = ROOT / "notebooks" / "provider_onboarding.ipynb"
    book = nbformat.read(path, as_version=4)
    first_real = next(
        i
        for i, c in enumerate(book.cells)
        if c.cell_type == "code" and "if REAL.is_dir():" in c.source
    )
    book.cells = book.cells[: first_real + 1]
    missing = tmp_path / "no-such-folder"
    book.cells.insert(
        0,
        nbformat.v4.new_code_cell(f"import os; os.environ['TSPACE_REAL_DATA'] = {str(missing)!r}"),
    )
    NotebookClient(
        book, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    said = "".join(
        o.get("text", "") for c in book.cells if c.cell_type == "code" for o in c.get("outputs", [])
    )
    assert "real fixtures not found" in said and str(missing) in said
