"""Every notebook runs top to bottom in a fresh kernel (nbclient) without an
error: each checks its own results against the plaintext references with
asserts. Executed copies go to test-artifacts/notebooks/ for reading.

Notebooks are committed executed, so a reader browsing the repository sees
the tables and plots. Their outputs hold timings and fresh randomness, so the
check is not byte equality: the committed copy is stripped and re-run, and
each cell of the committed copy must show the same kinds of output (streams,
tables, images, in order) as the fresh run: a cell edited or added without
re-executing the notebook fails. Re-execute with
``jupyter nbconvert --to notebook --execute --inplace notebooks/NAME.ipynb``
(the ``notebooks`` extra) or ``python -m tests.notebooks.execute``."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from trusted_space.hazmat.paillier import TEST_ONLY_KEYS_ENV

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
ARTIFACTS = Path(os.environ.get("TSPACE_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "notebooks"
EXPECTED = {
    "bank_lending",
    "claims_verification",
    "cohort_statistics",
    "insurer_underwriting",
    "provider_onboarding",
    "steward_policies",
}


def test_the_six_user_stories_are_there() -> None:
    assert {p.stem for p in NOTEBOOKS} == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the kernel's work folders land here
    # The kernel makes the named test keys (1024 bits) instead of 2048-bit
    # ones: the stories and their reference checks are the same, at a
    # fraction of the Paillier time. A reader's run uses the default keys.
    monkeypatch.setenv(TEST_ONLY_KEYS_ENV, "1")
    committed = nbformat.read(path, as_version=4)
    assert_executed_in_order(committed)
    book = stripped(committed)
    client = NotebookClient(
        book,
        timeout=600,  # per cell: generous, for a busy machine
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
    assert not missing_glyphs(book), "a Chinese title drawn without a CJK font"
    assert output_kinds(committed) == output_kinds(book), (
        f"{path.name}: the committed outputs are stale; re-execute it (see this module)"
    )


def stripped(book: nbformat.NotebookNode) -> nbformat.NotebookNode:
    fresh = copy.deepcopy(book)
    for cell in fresh.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return fresh


def assert_executed_in_order(book: nbformat.NotebookNode) -> None:
    """Committed executed, top to bottom in one kernel, without an error."""
    code = [c for c in book.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), (
        "commit notebooks executed top to bottom in a fresh kernel"
    )
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]


def output_kinds(book: nbformat.NotebookNode) -> list[list[str]]:
    """Per code cell, what it shows: stream names and display MIME types.

    Consecutive writes to one stream count once: the kernel sends a stream
    in as many messages as its flushes happened to take (timing, not
    content), so one print-heavy cell may arrive as one output or two."""
    kinds = []
    for cell in book.cells:
        if cell.cell_type != "code":
            continue
        shown = []
        for o in cell.outputs:
            if o.output_type == "stream":
                if not shown or shown[-1] != o.name:
                    shown.append(o.name)
            else:
                shown.append("+".join(sorted(k for k in o.get("data", {}) if k != "text/plain")))
        kinds.append(shown)
    return kinds


def missing_glyphs(book: nbformat.NotebookNode) -> list[str]:
    return [
        o.text
        for c in book.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "stream" and "missing from" in o.text
    ]


def test_onboarding_says_when_the_real_fixtures_are_absent(tmp_path: Path) -> None:
    """A reader's clone without ../shared/data/real is told the real-data part
    was skipped, in the notebook's output, not left with an empty table."""
    path = ROOT / "notebooks" / "provider_onboarding.ipynb"
    book = stripped(nbformat.read(path, as_version=4))
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
